//! Interval data read from `.xlsx` (with calamine) or CSV files: a week's
//! calls per interval in the grid layout workforce tools export.
//!
//! **Layout.** A header row and a first column. Either the header row names
//! the seven days, Monday first (`Mon`…`Sun`, `Monday`…, or Swedish
//! `Mån`…`Sön`), and each following row is one interval of the day, its first
//! cell the interval's start (`00:00`, `00:30`, … or `00:00-00:30`; any other
//! text is taken as a label); or the grid is transposed: the first column names
//! the days and the header row the intervals. 24 hourly, 48 half-hourly or 96
//! quarter-hourly intervals; each cell is the expected number of calls in
//! that interval (a number ≥ 0).

use std::path::Path;

/// A week of expected calls per interval, Monday 00:00 first.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Intervals per hour: 1, 2 or 4.
    pub per_hour: usize,
    /// `168 * per_hour` expected calls.
    pub calls: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

/// The cells of a file, and how to name a cell in messages.
struct Cells {
    rows: Vec<Vec<Cell>>,
    /// (sheet name, first row, first column) for `.xlsx`; `None` for CSV.
    sheet: Option<(String, u32, u32)>,
}

impl Cells {
    /// `sheet 'Kalmar', cell C5` or `line 5, column 3`.
    fn at(&self, r: usize, c: usize) -> String {
        match &self.sheet {
            Some((name, r0, c0)) => format!("sheet '{name}', cell {}{}", column_letters(c + *c0 as usize), r + *r0 as usize + 1),
            None => format!("line {}, column {}", r + 1, c + 1),
        }
    }
    fn get(&self, r: usize, c: usize) -> &Cell {
        self.rows.get(r).and_then(|row| row.get(c)).unwrap_or(&Cell::Empty)
    }
}

fn column_letters(mut c: usize) -> String {
    let mut s = vec![];
    loop {
        s.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ascii")
}

fn is_xlsx(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "xlsx" | "xlsm" | "xls" | "ods"))
}

fn read_cells(path: &Path, sheet: Option<&str>) -> Result<Cells, String> {
    if is_xlsx(path) {
        use calamine::Reader;
        let mut book = calamine::open_workbook_auto(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) if names.iter().any(|n| n == s) => s.to_string(),
            Some(s) => return Err(format!("`{}` has no sheet '{s}' (it has: {})", path.display(), names.join(", "))),
            None => names
                .first()
                .cloned()
                .ok_or_else(|| format!("`{}` has no sheets", path.display()))?,
        };
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("cannot read sheet '{name}' of `{}`: {e}", path.display()))?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let rows = range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|d| match d {
                        calamine::Data::Empty => Cell::Empty,
                        calamine::Data::Int(i) => Cell::Number(*i as f64),
                        calamine::Data::Float(f) => Cell::Number(*f),
                        calamine::Data::DateTime(t) => Cell::Number(t.as_f64()),
                        calamine::Data::String(s) if s.trim().is_empty() => Cell::Empty,
                        other => Cell::Text(other.to_string().trim().to_string()),
                    })
                    .collect()
            })
            .collect();
        Ok(Cells {
            rows,
            sheet: Some((name, r0, c0)),
        })
    } else {
        if sheet.is_some() {
            return Err(format!(
                "`{}` is a CSV file, which has no sheets: remove the sheet key",
                path.display()
            ));
        }
        let text = read_text(path)?;
        let (mut reader, _) = csv_reader(&text, false);
        let mut rows = vec![];
        for record in reader.records() {
            let record = record.map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            rows.push(
                record
                    .iter()
                    .map(|s| {
                        let s = s.trim();
                        if s.is_empty() {
                            Cell::Empty
                        } else if let Ok(x) = s.replace(',', ".").parse::<f64>() {
                            Cell::Number(x)
                        } else {
                            Cell::Text(s.to_string())
                        }
                    })
                    .collect(),
            );
        }
        Ok(Cells { rows, sheet: None })
    }
}

/// Day index (0 = Monday) of a day name in English or Swedish.
fn weekday(cell: &Cell) -> Option<usize> {
    let Cell::Text(t) = cell else { return None };
    let t = t.to_lowercase();
    const NAMES: [[&str; 2]; 7] = [
        ["mon", "mån"],
        ["tue", "tis"],
        ["wed", "ons"],
        ["thu", "tor"],
        ["fri", "fre"],
        ["sat", "lör"],
        ["sun", "sön"],
    ];
    let head: String = t.chars().take(3).collect();
    NAMES.iter().position(|n| n.contains(&head.as_str()))
}

/// Minutes after midnight of an interval label (`07:30`, `07:30-08:00`, or a
/// spreadsheet time), `None` for any other label.
fn label_minutes(cell: &Cell) -> Option<i64> {
    match cell {
        Cell::Number(f) if (0.0..1.0).contains(f) => Some((f * 1440.0).round() as i64),
        Cell::Text(t) => {
            let start = t.split(['-', '–']).next()?.trim();
            let (h, m) = start.split_once([':', '.'])?;
            Some(h.trim().parse::<i64>().ok()? * 60 + m.trim().parse::<i64>().ok()?)
        }
        _ => None,
    }
}

/// Reads a week's calls per interval from `path` (`sheet`: the sheet of a
/// workbook, the first when `None`).
pub fn read_grid(path: &Path, sheet: Option<&str>) -> Result<Grid, String> {
    let mut cells = read_cells(path, sheet)?;
    while cells.rows.last().is_some_and(|r| r.iter().all(|c| *c == Cell::Empty)) {
        cells.rows.pop();
    }
    let header_days: Vec<Option<usize>> = (1..8).map(|c| weekday(cells.get(0, c))).collect();
    let column_days: Vec<Option<usize>> = (1..8).map(|r| weekday(cells.get(r, 0))).collect();
    let in_order = |d: &[Option<usize>]| d.iter().enumerate().all(|(i, x)| *x == Some(i));
    // (rows = intervals?, number of intervals)
    let (down, intervals) = if in_order(&header_days) {
        (true, cells.rows.len().saturating_sub(1))
    } else if in_order(&column_days) {
        let width = cells.rows.first().map_or(0, |r| r.len());
        let width = (1..width).rev().find(|&c| *cells.get(0, c) != Cell::Empty).unwrap_or(0);
        (false, width)
    } else {
        return Err(format!(
            "{}: expected the days Mon…Sun (Monday first) in the header row ({}…) or the first column ({}…): a grid of 7 days × 24, 48 or 96 intervals",
            path.display(),
            cells.at(0, 1),
            cells.at(1, 0)
        ));
    };
    let per_hour = match intervals {
        24 => 1,
        48 => 2,
        96 => 4,
        n => {
            return Err(format!(
                "{}: {n} intervals a day; expected 24 (hours), 48 (half-hours) or 96 (quarter-hours)",
                path.display()
            ))
        }
    };
    let minutes = 60 / per_hour as i64;
    let mut calls = vec![0.0; 168 * per_hour];
    for i in 0..intervals {
        let (lr, lc) = if down { (i + 1, 0) } else { (0, i + 1) };
        if let Some(m) = label_minutes(cells.get(lr, lc)) {
            if m != i as i64 * minutes {
                return Err(format!(
                    "{}, {}: interval {} should start at {:02}:{:02}",
                    path.display(),
                    cells.at(lr, lc),
                    i + 1,
                    i as i64 * minutes / 60,
                    i as i64 * minutes % 60
                ));
            }
        }
        for day in 0..7 {
            let (r, c) = if down { (i + 1, day + 1) } else { (day + 1, i + 1) };
            match cells.get(r, c) {
                Cell::Number(x) if x.is_finite() && *x >= 0.0 => calls[day * 24 * per_hour + i] = *x,
                other => {
                    let found = match other {
                        Cell::Empty => "an empty cell".to_string(),
                        Cell::Number(x) => format!("{x}"),
                        Cell::Text(t) => format!("'{t}'"),
                    };
                    return Err(format!(
                        "{}, {}: expected a number of calls ≥ 0, found {found}",
                        path.display(),
                        cells.at(r, c)
                    ));
                }
            }
        }
    }
    Ok(Grid { per_hour, calls })
}

/// A text file's contents without a leading byte-order mark.
fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))?;
    Ok(text.trim_start_matches('\u{feff}').to_string())
}

/// A CSV reader over `text` and its separator: semicolons when the first line
/// (after `#` comments, if `comments`) has more of them than commas, as CSV
/// written with a decimal comma has.
fn csv_reader(text: &str, comments: bool) -> (csv::Reader<&[u8]>, u8) {
    let first = text.lines().find(|l| !(comments && l.starts_with('#'))).unwrap_or("");
    let sep = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sep)
        .comment(comments.then_some(b'#'))
        .from_reader(text.as_bytes());
    (reader, sep)
}

/// Calls per interval from history (`calls_history`): dated, from the
/// scenario's first day at 00:00, one value per interval to the horizon
/// (rows of the file outside that window are checked, then left out).
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Length of an interval: an hour, a half hour or a quarter hour.
    pub interval: crate::calendar::Time,
    /// Expected calls in each interval, the first starting at time zero.
    pub calls: Vec<f64>,
}

impl History {
    /// Intervals per hour: 1, 2 or 4.
    pub fn per_hour(&self) -> usize {
        (crate::calendar::HOUR / self.interval) as usize
    }

    /// The mean calls of each interval of the week (Monday 00:00 first) over
    /// the history, for the weekly summaries (`check`, work estimates, Erlang
    /// comparisons); the engine uses the dated values themselves.
    pub fn average_week(&self, start: jiff::civil::Date) -> Vec<f64> {
        let week = 168 * self.per_hour();
        let first = start.weekday().to_monday_zero_offset() as usize * 24 * self.per_hour();
        let (mut sum, mut count) = (vec![0.0; week], vec![0u32; week]);
        for (i, c) in self.calls.iter().enumerate() {
            sum[(first + i) % week] += c;
            count[(first + i) % week] += 1;
        }
        sum.iter()
            .zip(&count)
            .map(|(s, &n)| if n > 0 { s / n as f64 } else { 0.0 })
            .collect()
    }
}

/// Where a value of a history file is: `history.csv:12:3`.
fn place(path: &Path, line: u64, column: usize) -> String {
    format!("{}:{line}:{column}", path.display())
}

/// A time of a history row: `2021-03-01 07:00`, `2021-03-01T07:00` (seconds
/// `:00` allowed). Times are read on the simulation's clock, whose days all
/// have 24 hours: a zone offset (`+01:00`, `Z`) is refused.
fn history_datetime(text: &str) -> Result<jiff::civil::DateTime, String> {
    let t = text.trim();
    if t.ends_with('Z') || t.get(10..).is_some_and(|rest| rest.contains(['+', '-'])) {
        return Err(format!(
            "`{t}` has a zone offset: write local times without it (the simulated clock has no daylight saving time; see the README)"
        ));
    }
    t.replace(' ', "T")
        .parse::<jiff::civil::DateTime>()
        .map_err(|_| format!("`{t}` is not a date and time: write YYYY-MM-DD HH:MM"))
}

/// An hour column: `7`, `07`, `07:00` or `07:15`, as minutes after midnight.
fn history_hour(text: &str) -> Result<i64, String> {
    let t = text.trim();
    let (h, m) = match t.split_once(':') {
        Some((h, m)) => (h.trim().parse::<i64>().ok(), m.trim().parse::<i64>().ok()),
        None => (t.parse::<i64>().ok(), Some(0)),
    };
    match (h, m) {
        (Some(h), Some(m)) if (0..24).contains(&h) && (0..60).contains(&m) => Ok(h * 60 + m),
        _ => Err(format!("`{t}` is not an hour: write 0…23 or HH:MM")),
    }
}

/// A count of calls: a finite number ≥ 0 (a decimal comma with `;` separators).
fn history_count(text: &str, decimal_comma: bool) -> Result<f64, String> {
    let t = text.trim();
    let parsed = if decimal_comma {
        t.replace(',', ".").parse::<f64>()
    } else {
        t.parse::<f64>()
    };
    match parsed {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Ok(x) => Err(format!("calls must be a number ≥ 0, found {x}")),
        Err(_) if t.is_empty() => Err("calls are missing (an empty cell)".into()),
        Err(_) => Err(format!("calls must be a number ≥ 0, found `{t}`")),
    }
}

/// Reads region `region`'s calls from a history file covering exactly the
/// simulated window (`start` at 00:00, `horizon` long). The header names the
/// time column(s) — `datetime`, or `date` and `hour` — and the count columns:
/// `calls`, or one column per region named as the region. Rows are one
/// interval each (hour, half hour or quarter hour, the same throughout),
/// in any order, with no gap and no duplicate; lines starting with `#` are
/// comments. Errors are `file:line:column`.
pub fn read_history(path: &Path, region: &str, start: jiff::civil::Date, horizon: crate::calendar::Time) -> Result<History, String> {
    use crate::calendar::MINUTE;
    let text = read_text(path)?;
    // Lines starting with `#` are comments (where the data came from).
    let (mut reader, sep) = csv_reader(&text, true);
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => return Err(format!("{}: {e}", place(path, 1, 1))),
        None => {
            return Err(format!(
                "{}: the file is empty: expected a header `datetime,calls` or `date,hour,calls`",
                place(path, 1, 1)
            ))
        }
    };
    let header_line = header.position().map_or(1, |p| p.line());
    let names: Vec<String> = header.iter().map(|h| crate::scenario::clean_name(h.trim())).collect();
    let lower: Vec<String> = names.iter().map(|h| h.to_lowercase()).collect();
    let by_date_hour = lower.first().map(String::as_str) == Some("date") && lower.get(1).map(String::as_str) == Some("hour");
    if !by_date_hour && !matches!(lower.first().map(String::as_str), Some("datetime" | "time" | "timestamp")) {
        return Err(format!(
            "{}: the header must start with `datetime` or with `date,hour`, found `{}`",
            place(path, header_line, 1),
            names.first().cloned().unwrap_or_default()
        ));
    }
    let first_count = if by_date_hour { 2 } else { 1 };
    let column = names
        .iter()
        .position(|h| h == region)
        .or_else(|| lower.iter().position(|h| h == "calls"))
        .filter(|&c| c >= first_count)
        .ok_or_else(|| {
            format!(
                "{}: no column `{region}` or `calls` (the header has: {})",
                place(path, header_line, 1),
                names.join(", ")
            )
        })?;
    let origin = start.to_datetime(jiff::civil::Time::midnight());
    // (interval index from time zero in minutes, line) of every row.
    let mut rows: Vec<(i64, u64, f64)> = vec![];
    for record in records {
        let record = record.map_err(|e| format!("{}: {e}", place(path, e.position().map_or(0, |p| p.line()), 1)))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |c: usize| record.get(c).unwrap_or("");
        let when = if by_date_hour {
            let date = field(0)
                .trim()
                .parse::<jiff::civil::Date>()
                .map_err(|_| format!("{}: `{}` is not a date: write YYYY-MM-DD", place(path, line, 1), field(0).trim()))?;
            let minutes = history_hour(field(1)).map_err(|e| format!("{}: {e}", place(path, line, 2)))?;
            date.to_datetime(jiff::civil::Time::midnight()) + jiff::SignedDuration::from_mins(minutes)
        } else {
            history_datetime(field(0)).map_err(|e| format!("{}: {e}", place(path, line, 1)))?
        };
        let minutes = origin.duration_until(when).as_secs().div_euclid(60);
        let calls = history_count(field(column), sep == b';').map_err(|e| format!("{}: {e}", place(path, line, column + 1)))?;
        rows.push((minutes, line, calls));
    }
    if rows.is_empty() {
        return Err(format!("{}: no rows of calls after the header", place(path, 2, 1)));
    }
    let mut sorted: Vec<(i64, u64, f64)> = rows.clone();
    sorted.sort_by_key(|r| (r.0, r.1));
    for w in sorted.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!(
                "{}: a second row for the interval of line {} (a duplicate; a repeated hour when clocks go back in autumn must be merged: the simulated clock has no daylight saving time)",
                place(path, w[1].1, 1),
                w[0].1
            ));
        }
    }
    // The interval: the smallest step between rows, which must be 15, 30 or 60 minutes.
    let step = sorted.windows(2).map(|w| w[1].0 - w[0].0).min().unwrap_or(60);
    if !matches!(step, 15 | 30 | 60) {
        return Err(format!(
            "{}: rows {step} minutes apart: history must be hourly, half-hourly or quarter-hourly",
            place(path, sorted[1].1, 1)
        ));
    }
    let intervals = ((horizon + step * MINUTE - 1) / (step * MINUTE)) as usize;
    let mut calls = vec![f64::NAN; intervals];
    for &(minutes, line, value) in &rows {
        if minutes % step != 0 {
            return Err(format!(
                "{}: the time is not on a {step}-minute boundary (as the other rows are)",
                place(path, line, 1)
            ));
        }
        // Rows before the start or after the horizon are history the run does
        // not simulate: a year of history serves a run of any month of it.
        if minutes >= 0 && (minutes as i128) * (MINUTE as i128) < horizon as i128 {
            calls[(minutes / step) as usize] = value;
        }
    }
    if let Some(missing) = calls.iter().position(|c| c.is_nan()) {
        let at = origin + jiff::SignedDuration::from_mins(missing as i64 * step);
        let before = sorted
            .iter()
            .find(|r| r.0 > missing as i64 * step)
            .map_or(sorted.last().unwrap().1 + 1, |r| r.1);
        return Err(format!(
            "{}: no row for {at} (a gap; {} rows are needed from {start} 00:00 to the horizon; a missing hour when clocks go forward in spring must be given, e.g. as 0 calls)",
            place(path, before, 1),
            intervals
        ));
    }
    Ok(History {
        interval: step * MINUTE,
        calls,
    })
}

/// One row of a table of shifts.
#[derive(Clone, Debug, PartialEq)]
pub struct ShiftRow {
    pub days: crate::calendar::DaySet,
    pub from: crate::calendar::Time,
    pub to: crate::calendar::Time,
    pub nurses: u32,
}

/// Reads a table of shifts: a header row naming the columns `days`, `from`,
/// `to` and `nurses` (any order, any case; Swedish `dagar`, `från`, `till`,
/// `sjuksköterskor` too), then one shift per row, as in the scenario's
/// `shifts` (`days` defaults to `all` when the column is absent or the cell
/// empty). Times are `HH:MM` text or spreadsheet times.
pub fn read_shifts(path: &Path, sheet: Option<&str>, max_nurses: u64) -> Result<Vec<ShiftRow>, String> {
    let mut cells = read_cells(path, sheet)?;
    while cells.rows.last().is_some_and(|r| r.iter().all(|c| *c == Cell::Empty)) {
        cells.rows.pop();
    }
    let header: Vec<String> = cells
        .rows
        .first()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Cell::Text(t) => t.to_lowercase(),
                    _ => String::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let days = column(&["days", "day", "dagar", "dag"]);
    let (Some(from), Some(to), Some(nurses)) = (
        column(&["from", "start", "från"]),
        column(&["to", "end", "till"]),
        column(&["nurses", "sjuksköterskor", "staff", "bemanning"]),
    ) else {
        return Err(format!(
            "{}: expected a header row with the columns days, from, to and nurses ({}…)",
            path.display(),
            cells.at(0, 0)
        ));
    };
    let mut rows = vec![];
    for r in 1..cells.rows.len() {
        if cells.rows[r].iter().all(|c| *c == Cell::Empty) {
            continue;
        }
        let bad = |c: usize, what: &str| {
            let found = match cells.get(r, c) {
                Cell::Empty => "an empty cell".to_string(),
                Cell::Number(x) => format!("{x}"),
                Cell::Text(t) => format!("'{t}'"),
            };
            format!("{}, {}: expected {what}, found {found}", path.display(), cells.at(r, c))
        };
        let day_set = match days.map(|c| (c, cells.get(r, c))) {
            None | Some((_, Cell::Empty)) => crate::calendar::DaySet::ALL,
            Some((c, Cell::Text(t))) => {
                crate::calendar::DaySet::parse(t).map_err(|e| format!("{} ({e})", bad(c, "days such as Mon-Fri")))?
            }
            Some((c, _)) => return Err(bad(c, "days such as Mon-Fri")),
        };
        let time = |c: usize| -> Result<crate::calendar::Time, String> {
            let text = match cells.get(r, c) {
                Cell::Text(t) => t.clone(),
                Cell::Number(f) if (0.0..=1.0).contains(f) => {
                    let m = (f * 1440.0).round() as i64;
                    format!("{:02}:{:02}", m / 60, m % 60)
                }
                _ => return Err(bad(c, "a clock time HH:MM")),
            };
            crate::calendar::parse_clock(&text).map_err(|e| format!("{} ({e})", bad(c, "a clock time HH:MM")))
        };
        let (f, t) = (time(from)?, time(to)?);
        let n = match cells.get(r, nurses) {
            Cell::Number(x) if x.fract() == 0.0 && *x >= 0.0 && *x <= max_nurses as f64 => *x as u32,
            _ => return Err(bad(nurses, &format!("a whole number of nurses, 0 to {max_nurses}"))),
        };
        rows.push(ShiftRow {
            days: day_set,
            from: f,
            to: t,
            nurses: n,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_are_spreadsheet_columns() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
    }
}
