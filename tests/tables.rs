//! Issue 13, the tables: time series per week and month, the Excel workbook,
//! and interval grids and shift tables read from files.

mod common;

use common::summarize;
use nursequeue::experiment::{PeriodRow, SERIES_METRICS};

/// Two months, a surge in the second half of March in one region.
const SURGED: &str = r#"
name = "surge"
start = "2024-03-04"
horizon = "6w"
warmup = "2d"
replications = 4
seed = 13

[defaults]
handle_time = { dist = "exponential", mean = "6m" }
patience = { dist = "exponential", mean = "15m" }

[[region]]
name = "Kalmar"
calls_per_week = 1400
shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 1 } ]

[[region]]
name = "Halland"
calls_per_week = 700
shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 1 } ]

[[surge]]
from = "2024-03-18"
to = "2024-03-24"
factor = 2.0
regions = ["Kalmar"]
"#;

fn column(rows: &[PeriodRow], group: &str, key: &str) -> Vec<f64> {
    let k = SERIES_METRICS.iter().position(|m| *m == key).unwrap();
    rows.iter().filter(|r| r.group == group).map(|r| r.values[k].mean.unwrap_or(f64::NAN)).collect()
}

#[test]
fn weeks_and_months_add_up_to_the_horizon_and_show_a_surge() {
    let s = summarize(SURGED);
    let weeks: Vec<&str> = s.by_week.iter().filter(|r| r.group == "total").map(|r| r.period.as_str()).collect();
    assert_eq!(weeks, ["2024-W10", "2024-W11", "2024-W12", "2024-W13", "2024-W14", "2024-W15"]);
    let months: Vec<&str> = s.by_month.iter().filter(|r| r.group == "total").map(|r| r.period.as_str()).collect();
    assert_eq!(months, ["2024-03", "2024-04"]);
    // The first week is clipped by the warmup; days add up to the measured window.
    let first = &s.by_week[0];
    assert_eq!((first.first_day.as_str(), first.last_day.as_str(), first.days), ("2024-03-06", "2024-03-10", 5.0));
    let days: f64 = s.by_month.iter().filter(|r| r.group == "total").map(|r| r.days).sum();
    assert_eq!(days, 40.0);
    for group in ["Kalmar", "Halland", "total"] {
        for key in ["offered", "answered"] {
            let whole = common::estimate(
                if group == "total" { &s.total } else { s.region(group).unwrap() },
                &s,
                key,
            )
            .mean
            .unwrap();
            for rows in [&s.by_week, &s.by_month] {
                let sum: f64 = column(rows, group, key).iter().sum();
                assert!((sum - whole).abs() < 1e-6 * whole, "{group} {key}: {sum} vs {whole}");
            }
        }
    }
    // The surge week (W12) has twice Kalmar's calls of a normal week, and a worse service level.
    let offered = column(&s.by_week, "Kalmar", "offered");
    assert!(offered[2] > 1.8 * offered[1] && offered[2] > 1.8 * offered[3], "{offered:?}");
    let within = column(&s.by_week, "Kalmar", "answered_within_5m");
    assert!(within[2] < within[1] && within[2] < within[3], "{within:?}");
    let halland = column(&s.by_week, "Halland", "offered");
    assert!(halland[2] < 1.2 * halland[1], "{halland:?}");
    // Every row has an interval over the four replications.
    assert!(s.by_week.iter().all(|r| r.values.iter().all(|e| e.ci95.is_some())));
}

#[test]
fn by_week_and_by_month_csv_are_written() {
    let s = summarize(SURGED);
    let files = nursequeue::output::table_files(&s).unwrap();
    let text = |name: &str| String::from_utf8(files.iter().find(|f| f.0 == name).unwrap().1.clone()).unwrap();
    let month = text("by_month.csv");
    let mut lines = month.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("period,first_day,last_day,days,region,offered,offered_ci_low,offered_ci_high,answered,"));
    assert_eq!(month.lines().count(), 1 + 2 * 3);
    assert!(month.contains("\n2024-04,2024-04-01,2024-04-14,14,Kalmar,"));
    assert_eq!(text("by_week.csv").lines().count(), 1 + 6 * 3);
    // The summary's JSON is unchanged by the series.
    assert!(!text("summary.json").contains("by_week"));
}
