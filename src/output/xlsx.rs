//! `results.xlsx`: the CSV tables of a run as one workbook, one sheet per
//! table (`regions`, `targets`, `flows`, `settlement`, `by_hour`, `by_week`,
//! `by_month`), with the same cells as the CSV files: numbers are stored as
//! numbers (shares formatted as percentages, the value still the fraction),
//! everything else as text. Text is always written as a text cell, so a
//! region named `=HYPERLINK(…)` can never become a formula, and it needs no
//! leading `'` (unlike CSV).

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::csv::tables;
use crate::experiment::Summary;
use crate::stats::Unit;

/// Columns that always hold text, even when a value looks like a number
/// (a region named `2024`).
const TEXT_COLUMNS: [&str; 14] = [
    "kind",
    "name",
    "region",
    "from",
    "to",
    "metric",
    "per",
    "bound",
    "met",
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
    let mut book = Workbook::new();
    let percent = Format::new().set_num_format("0.0%");
    let bold = Format::new().set_bold();
    let err = |e: XlsxError| format!("cannot write the workbook: {e}");
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
