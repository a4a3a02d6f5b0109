//! The CSV tables of `--out`: `regions.csv`, `by_hour.csv`, `flows.csv`,
//! `targets.csv`, `settlement.csv`, `by_week.csv`, `by_month.csv`. Text cells that a spreadsheet would read
//! as a formula are neutralised (see [`cell`]); numbers stay numbers.

use crate::calendar::WEEKDAYS;
use crate::experiment::{PeriodRow, Summary, SERIES_METRICS};
use crate::scenario::Bound;
use crate::stats::Estimate;

/// A text cell made safe for spreadsheets (OWASP's advice against CSV
/// injection): text starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'`, so Excel and LibreOffice show it as text instead
/// of running it as a formula. Numbers (`-3.5`, `+2`, `1e-3`) are left as they
/// are, so a negative number stays a number.
pub fn cell(text: &str) -> String {
    let risky = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let number = text.parse::<f64>().is_ok_and(f64::is_finite);
    if risky && !number {
        format!("'{text}")
    } else {
        text.to_string()
    }
}

/// A table's header and rows of text cells, as written into CSV before
/// [`cell`] (the workbook writes the same cells, numbers as numbers).
pub type Table = (Vec<String>, Vec<Vec<String>>);

/// Every table of a run, by name (`regions` for `regions.csv`), in the order
/// of the workbook's sheets.
pub fn tables(s: &Summary) -> Vec<(&'static str, Table)> {
    vec![
        ("regions", regions_table(s)),
        ("targets", targets_table(s)),
        ("flows", flows_table(s)),
        ("settlement", settlement_table(s)),
        ("settlement_pairs", settlement_pairs_table(s)),
        ("by_hour", by_hour_table(s)),
        ("by_week", series_table(&s.by_week)),
        ("by_month", series_table(&s.by_month)),
    ]
}

/// A CSV document: a header and rows, every cell passed through [`cell`].
pub fn document(header: &[String], rows: &[Vec<String>]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(header.iter().map(|c| cell(c))).expect("in-memory csv");
    for row in rows {
        w.write_record(row.iter().map(|c| cell(c))).expect("in-memory csv");
    }
    w.into_inner().expect("in-memory csv")
}

/// A number as written into CSV (shortest round-trip form), empty when undefined.
pub fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

fn strings<const N: usize>(names: [&str; N]) -> Vec<String> {
    names.map(String::from).to_vec()
}

/// `targets.csv`: one row per target.
pub fn targets_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = targets_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn targets_table(s: &Summary) -> Table {
    let header = strings([
        "metric",
        "region",
        "per",
        "bound",
        "limit",
        "estimate",
        "ci_low",
        "ci_high",
        "met",
        "share_of_periods_met",
        "periods_judged",
    ]);
    let rows: Vec<Vec<String>> = s
        .targets
        .iter()
        .map(|t| {
            let (kind, limit) = match t.bound {
                Bound::AtLeast(b) => ("at_least", b),
                Bound::AtMost(b) => ("at_most", b),
            };
            vec![
                t.metric.clone(),
                t.region.clone().unwrap_or_else(|| "all".into()),
                t.per.to_string(),
                kind.into(),
                num(Some(limit)),
                num(t.estimate.mean),
                num(t.estimate.ci95.map(|c| c.0)),
                num(t.estimate.ci95.map(|c| c.1)),
                t.met.map_or(String::new(), |m| m.to_string()),
                num(t.share_of_periods_met),
                t.periods_judged.to_string(),
            ]
        })
        .collect();
    (header, rows)
}

/// `settlement.csv`: per region and month (and the horizon), calls answered
/// for and by other regions, the net balance, and money when priced.
pub fn settlement_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = settlement_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn settlement_table(s: &Summary) -> Table {
    let header = strings([
        "region",
        "period",
        "answered_for_others",
        "answered_by_others",
        "net_answered_for_others",
        "net_ci_low",
        "net_ci_high",
        "net_amount",
    ]);
    let rows: Vec<Vec<String>> = s
        .settlement
        .iter()
        .map(|r| {
            vec![
                r.region.clone(),
                r.period.to_string(),
                num(r.answered_for_others.mean),
                num(r.answered_by_others.mean),
                num(r.net.mean),
                num(r.net.ci95.map(|c| c.0)),
                num(r.net.ci95.map(|c| c.1)),
                num(r.net_amount),
            ]
        })
        .collect();
    (header, rows)
}

/// `settlement_pairs.csv`: who owes whom. Per month (and the horizon), each
/// ordered pair of regions with calls of `from` answered by nurses of `to`,
/// whether they are settled, and money when priced.
pub fn settlement_pairs_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = settlement_pairs_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn settlement_pairs_table(s: &Summary) -> Table {
    let header = strings(["period", "from", "to", "answered", "ci_low", "ci_high", "settled", "amount"]);
    let rows: Vec<Vec<String>> = s
        .bilateral_list()
        .iter()
        .map(|b| {
            vec![
                b.period.to_string(),
                b.calls_of.clone(),
                b.answered_by.clone(),
                num(b.answered.mean),
                num(b.answered.ci95.map(|c| c.0)),
                num(b.answered.ci95.map(|c| c.1)),
                b.settled.to_string(),
                num(b.amount),
            ]
        })
        .collect();
    (header, rows)
}

/// `regions.csv`: one row per region, agreement and the total; for each metric
/// its mean and 95 % interval (empty where undefined).
pub fn regions_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = regions_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn regions_table(s: &Summary) -> Table {
    let mut header = strings(["kind", "name"]);
    for m in &s.metrics {
        header.extend([m.key.clone(), format!("{}_ci_low", m.key), format!("{}_ci_high", m.key)]);
    }
    let row = |kind: &str, name: &str, values: &[Estimate]| {
        let mut r = vec![kind.to_string(), name.to_string()];
        for e in values {
            r.extend([num(e.mean), num(e.ci95.map(|c| c.0)), num(e.ci95.map(|c| c.1))]);
        }
        r
    };
    let mut rows: Vec<Vec<String>> = s.region_names.iter().zip(&s.regions).map(|(n, v)| row("region", n, v)).collect();
    rows.extend(s.agreement_names.iter().zip(&s.agreements).map(|(n, v)| row("agreement", n, v)));
    rows.push(row("total", "total", &s.total));
    (header, rows)
}

/// `flows.csv`: calls of `from` answered by nurses of `to`, mean per replication.
pub fn flows_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = flows_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn flows_table(s: &Summary) -> Table {
    let n = s.region_names.len();
    let header = strings(["from", "to", "answered", "answered_ci_low", "answered_ci_high"]);
    let rows: Vec<Vec<String>> = (0..n * n)
        .map(|k| {
            let e = &s.flows[k];
            vec![
                s.region_names[k / n].clone(),
                s.region_names[k % n].clone(),
                num(e.mean),
                num(e.ci95.map(|c| c.0)),
                num(e.ci95.map(|c| c.1)),
            ]
        })
        .collect();
    (header, rows)
}

/// `by_hour.csv`: per region and hour of the week (by arrival time), offered
/// calls per replication and shares pooled over replications.
pub fn by_hour_csv(s: &Summary) -> Vec<u8> {
    let (header, rows) = by_hour_table(s);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn by_hour_table(s: &Summary) -> Table {
    let header = strings([
        "region",
        "hour_of_week",
        "weekday",
        "hour",
        "offered",
        "answered_share",
        "abandoned_share",
        "answered_within_target",
        "mean_wait_answered",
    ]);
    let reps = s.replications.max(1) as f64;
    let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
    let mut rows = vec![];
    for (r, name) in s.region_names.iter().enumerate() {
        for h in 0..168 {
            let c = &s.by_hour[r * 168 + h];
            let offered = c.offered as f64;
            rows.push(vec![
                name.clone(),
                h.to_string(),
                WEEKDAYS[h / 24].to_string(),
                (h % 24).to_string(),
                num(Some(offered / reps)),
                num(ratio(c.answered as f64, offered)),
                num(ratio(c.abandoned as f64, offered)),
                num(ratio(c.answered_within_target as f64, offered)),
                num(ratio(c.wait_answered_ms / 60_000.0, c.answered as f64)),
            ]);
        }
    }
    (header, rows)
}

/// `by_week.csv` or `by_month.csv`: per period of arrival and region (then
/// `total`), each figure of [`SERIES_METRICS`] with its 95 % interval.
pub fn series_csv(rows: &[PeriodRow]) -> Vec<u8> {
    let (header, rows) = series_table(rows);
    document(&header, &rows)
}

/// The cells of the same table (text, before [`cell`]).
pub fn series_table(rows: &[PeriodRow]) -> Table {
    let mut header = strings(["period", "first_day", "last_day", "days", "region"]);
    for key in SERIES_METRICS {
        header.extend([key.to_string(), format!("{key}_ci_low"), format!("{key}_ci_high")]);
    }
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.period.clone(),
                r.first_day.clone(),
                r.last_day.clone(),
                num(Some(r.days)),
                r.group.clone(),
            ];
            for e in &r.values {
                row.extend([num(e.mean), num(e.ci95.map(|c| c.0)), num(e.ci95.map(|c| c.1))]);
            }
            row
        })
        .collect();
    (header, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_numbers_kept() {
        for risky in [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+cmd|' /C calc'!A0",
            "@SUM(A1:A2)",
            "-2+3",
            "\tx",
            "\rx",
            "-",
            "=1",
        ] {
            assert_eq!(cell(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["Örebro", "-3.5", "+2", "1e-3", "-1e300", "0", "a=b", "", "5m"] {
            assert_eq!(cell(safe), safe, "{safe:?}");
        }
        let csv = String::from_utf8(document(&["=h".into()], &[vec!["-7".into()], vec!["-x".into()]])).unwrap();
        assert_eq!(csv, "'=h\n-7\n'-x\n");
    }
}
