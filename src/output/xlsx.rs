//! `results.xlsx`: the CSV tables of a run as one workbook, one sheet per
//! table (`regions`, `targets`, `flows`, `settlement`, `settlement_pairs`, `by_hour`, `by_week`,
//! `by_month`), with the same cells as the CSV files: numbers are stored as
//! numbers (shares formatted as percentages, the value still the fraction),
//! everything else as text. Text is always written as a text cell, so a
//! region named `=HYPERLINK(…)` can never become a formula, and it needs no
//! leading `'` (unlike CSV).

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::csv::tables;
use crate::experiment::Summary;
use crate::stats::Unit;

/// Columns that always hold text, even when a value looks like a number
/// (a region named `2024`).
const TEXT_COLUMNS: [&str; 15] = [
    "kind",
    "name",
    "region",
    "from",
    "to",
    "metric",
    "per",
    "bound",
    "met",
    "settled",
    "period",
    "first_day",
    "last_day",
    "weekday",
    "group",
];

/// Columns of `targets` whose values are in the target's own unit.
const TARGET_VALUES: [&str; 4] = ["limit", "estimate", "ci_low", "ci_high"];

/// The workbook of a run.
pub fn workbook(s: &Summary) -> Result<Vec<u8>, String> {
    let shares: Vec<String> = s
        .metrics
        .iter()
        .filter(|m| matches!(m.def.unit, Unit::Share))
        .map(|m| m.key.clone())
        .chain(["answered_within_target", "share_of_periods_met", "answered_within_5m"].map(String::from))
        .collect();
    let is_share = |column: &str| {
        let key = column.trim_end_matches("_ci_low").trim_end_matches("_ci_high");
        shares.iter().any(|k| k == key)
    };
    let err = |e: XlsxError| format!("cannot write the workbook: {e}");
    let mut book = reproducible_workbook().map_err(err)?;
    let percent = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    for (name, (header, rows)) in tables(s) {
        let sheet = book.add_worksheet();
        sheet.set_name(name).map_err(err)?;
        for (c, h) in header.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, h, &bold).map_err(err)?;
        }
        let metric_col = header.iter().position(|h| h == "metric");
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            // In `targets`, the values are shares unless the metric is a wait.
            let target_share = name == "targets" && metric_col.is_some_and(|k| row[k] != "mean_wait" && !row[k].starts_with("wait_p"));
            for (c, (text, h)) in row.iter().zip(&header).enumerate() {
                let c = c as u16;
                let number = (!TEXT_COLUMNS.contains(&h.as_str()))
                    .then(|| text.parse::<f64>().ok().filter(|x| x.is_finite()))
                    .flatten();
                match number {
                    Some(x) if is_share(h) || (target_share && TARGET_VALUES.contains(&h.as_str())) => {
                        sheet.write_number_with_format(r, c, x, &percent).map_err(err)?;
                    }
                    Some(x) => {
                        sheet.write_number(r, c, x).map_err(err)?;
                    }
                    None if text.is_empty() => {}
                    None => {
                        sheet.write_string(r, c, text).map_err(err)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
        sheet.autofit();
    }
    book.save_to_buffer().map_err(err)
}

/// A workbook whose bytes depend only on its cells: its "created" property is
/// fixed (1 January 1980, the ZIP format's own epoch) instead of the clock, so
/// the same scenario and seed write the same file, as for every other output.
fn reproducible_workbook() -> Result<Workbook, XlsxError> {
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(1980, 1, 1)?));
    Ok(book)
}

/// Excel's last row (a sheet holds at most 1,048,576 rows).
const MAX_ROWS: u32 = 1_048_576;

/// `sweep.xlsx`: `sweep.csv` and `sweep_regions.csv` as the sheets `points`
/// and `regions`, read back from the CSV files and written row by row in
/// constant memory, so a sweep of any size never holds its table.
pub fn sweep_workbook(tables: &[(&str, &std::path::Path)], out: &std::path::Path) -> Result<(), String> {
    let err = |e: XlsxError| format!("cannot write the workbook: {e}");
    let mut book = reproducible_workbook().map_err(err)?;
    let percent = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    for (name, csv_path) in tables {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(csv_path)
            .map_err(|e| format!("cannot read {}: {e}", csv_path.display()))?;
        let sheet = book.add_worksheet_with_constant_memory().map_err(err)?;
        sheet.set_name(*name).map_err(err)?;
        let mut header: Vec<String> = vec![];
        for (r, record) in reader.records().enumerate() {
            let record = record.map_err(|e| format!("cannot read {}: {e}", csv_path.display()))?;
            let r = r as u32;
            if r == 0 {
                header = record.iter().map(String::from).collect();
                for (c, h) in header.iter().enumerate() {
                    sheet.write_string_with_format(0, c as u16, h, &bold).map_err(err)?;
                }
                continue;
            }
            if r == MAX_ROWS - 1 {
                let note = format!("Excel holds no more rows: the CSV file {} has all of them.", csv_path.display());
                sheet.write_string(r, 0, note).map_err(err)?;
                break;
            }
            for (c, (text, h)) in record.iter().zip(&header).enumerate() {
                let c = c as u16;
                let number = (h != "region")
                    .then(|| text.parse::<f64>().ok().filter(|x| x.is_finite()))
                    .flatten();
                match number {
                    Some(x) if is_share_column(h) => sheet.write_number_with_format(r, c, x, &percent).map_err(err)?,
                    Some(x) => sheet.write_number(r, c, x).map_err(err)?,
                    None if text.is_empty() => sheet,
                    // The CSV cell may carry the leading `'` that neutralises a formula.
                    None => sheet.write_string(r, c, unneutralised(text)).map_err(err)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(err)?;
    }
    book.save(out).map_err(err)
}

/// Whether a sweep column holds a share: a share metric, its interval ends,
/// or a target's share of periods met.
fn is_share_column(column: &str) -> bool {
    let key = column.trim_end_matches("_ci_low").trim_end_matches("_ci_high");
    key.ends_with("_share_of_periods_met") || crate::stats::metric_by_key(key).is_some_and(|m| m.def.unit == Unit::Share)
}

/// A CSV text cell without the `'` that [`super::csv::cell`] puts before a
/// formula-like start: a workbook's text cell can never become a formula.
fn unneutralised(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => text,
    }
}
