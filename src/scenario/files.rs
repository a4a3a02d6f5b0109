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
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("`{}` is not UTF-8 text", path.display()))?;
        // Semicolons are the separator of CSV written with a decimal comma.
        let first = text.lines().next().unwrap_or("");
        let sep = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sep)
            .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
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
