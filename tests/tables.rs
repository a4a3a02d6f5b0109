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
    rows.iter()
        .filter(|r| r.group == group)
        .map(|r| r.values[k].mean.unwrap_or(f64::NAN))
        .collect()
}

#[test]
fn weeks_and_months_add_up_to_the_horizon_and_show_a_surge() {
    let s = summarize(SURGED);
    let weeks: Vec<&str> = s.by_week.iter().filter(|r| r.group == "total").map(|r| r.period.as_str()).collect();
    assert_eq!(weeks, ["2024-W10", "2024-W11", "2024-W12", "2024-W13", "2024-W14", "2024-W15"]);
    let months: Vec<&str> = s
        .by_month
        .iter()
        .filter(|r| r.group == "total")
        .map(|r| r.period.as_str())
        .collect();
    assert_eq!(months, ["2024-03", "2024-04"]);
    // The first week is clipped by the warmup; days add up to the measured window.
    let first = &s.by_week[0];
    assert_eq!(
        (first.first_day.as_str(), first.last_day.as_str(), first.days),
        ("2024-03-06", "2024-03-10", 5.0)
    );
    let days: f64 = s.by_month.iter().filter(|r| r.group == "total").map(|r| r.days).sum();
    assert_eq!(days, 40.0);
    for group in ["Kalmar", "Halland", "total"] {
        for key in ["offered", "answered"] {
            let whole = common::estimate(if group == "total" { &s.total } else { s.region(group).unwrap() }, &s, key)
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

fn nursequeue() -> assert_cmd::Command {
    assert_cmd::Command::cargo_bin("nursequeue").expect("binary")
}

#[test]
fn a_sweep_writes_one_row_per_point_and_region_and_names_target_columns() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    let text = SURGED
        .replace("horizon = \"6w\"", "horizon = \"2w\"")
        .replace("replications = 4", "replications = 2")
        + r#"
[[target]]
metric = "answered_within"
within = "5m"
at_least = 0.5
region = "Kalmar"
per = "day"

[[target]]
metric = "mean_wait"
at_most = "3m"
"#;
    std::fs::write(&scenario, text).unwrap();
    let out = dir.path().join("out");
    let o = nursequeue()
        .arg("sweep")
        .arg(&scenario)
        .args(["--vary", "region.Kalmar.shifts.0.nurses=1,2", "--progress", "none", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let sweep = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let header = sweep.lines().next().unwrap();
    for column in [
        "target_answered_within_5m_Kalmar_day_met",
        "target_answered_within_5m_Kalmar_day_share_of_periods_met",
        "target_mean_wait_all_horizon_met",
        "target_mean_wait_all_horizon_share_of_periods_met",
    ] {
        assert!(header.split(',').any(|c| c == column), "{column} not in {header}");
    }
    assert!(!header.contains("target_1_"));
    let regions = std::fs::read_to_string(out.join("sweep_regions.csv")).unwrap();
    let mut lines = regions.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], ["point", "region.Kalmar.shifts.0.nurses", "region"]);
    assert!(header.contains(&"answered_within_5m_ci_low"));
    let rows: Vec<Vec<String>> = lines.map(|l| l.split(',').map(String::from).collect()).collect();
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str(), r[2].as_str())).collect();
    assert_eq!(
        keys,
        [
            ("0", "1", "Kalmar"),
            ("0", "1", "Halland"),
            ("1", "2", "Kalmar"),
            ("1", "2", "Halland")
        ]
    );
    // A second nurse in Kalmar helps Kalmar, not Halland (no agreement).
    let k = header.iter().position(|c| *c == "answered_within_5m").unwrap();
    let v = |i: usize| rows[i][k].parse::<f64>().unwrap();
    assert!(v(2) > v(0) + 0.1, "{} vs {}", v(2), v(0));
    assert_eq!(v(1), v(3), "Halland is untouched (same callers)");
}

/// Reads a workbook's sheet as calamine sees it.
fn sheet(bytes: &[u8], name: &str) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("a workbook");
    assert!(book.worksheet_formula(name).expect("formulas").is_empty(), "{name}: no formulas");
    book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

#[test]
fn the_workbook_holds_the_numbers_of_the_csv_files() {
    let s = summarize(
        &(SURGED.to_string()
            + r#"
[[agreement]]
name = "pair"
members = ["Kalmar", "Halland"]
hours = "always"
overflow_after = "2m"

[[target]]
metric = "answered_within"
within = "5m"
at_least = 0.6
per = "week"

[[target]]
metric = "mean_wait"
at_most = "3m"
"#),
    );
    let files = nursequeue::output::table_files(&s).unwrap();
    let bytes = &files.iter().find(|f| f.0 == "results.xlsx").expect("results.xlsx").1;
    for (name, csv_name) in [
        ("regions", "regions.csv"),
        ("targets", "targets.csv"),
        ("flows", "flows.csv"),
        ("settlement", "settlement.csv"),
        ("by_hour", "by_hour.csv"),
        ("by_week", "by_week.csv"),
        ("by_month", "by_month.csv"),
    ] {
        let csv_bytes = &files.iter().find(|f| f.0 == csv_name).unwrap().1;
        let numbers = assert_sheet_holds_the_csv(bytes, name, csv_bytes);
        assert!(numbers > 0 || name == "settlement", "{name}: numbers stored as numbers");
    }
}

/// Each cell of the sheet holds the CSV's cell: numbers as numbers, text as
/// text (without the CSV's formula guard). Returns how many numbers it holds.
fn assert_sheet_holds_the_csv(bytes: &[u8], name: &str, csv_bytes: &[u8]) -> usize {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(csv_bytes);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let range = sheet(bytes, name);
    assert_eq!(range.height(), records.len(), "{name}: rows");
    let mut numbers = 0;
    for (r, record) in records.iter().enumerate() {
        for (c, text) in record.iter().enumerate() {
            let got = range.get((r, c)).cloned().unwrap_or(calamine::Data::Empty);
            let number = text.parse::<f64>().ok().filter(|x| x.is_finite());
            match (&got, number) {
                (calamine::Data::Float(x), Some(want)) => {
                    assert_eq!(*x, want, "{name} row {r} column {c}");
                    numbers += 1;
                }
                (calamine::Data::Int(x), Some(want)) => {
                    assert_eq!(*x as f64, want, "{name} row {r} column {c}");
                    numbers += 1;
                }
                (calamine::Data::Empty, None) => assert_eq!(text, "", "{name} row {r} column {c}"),
                (calamine::Data::String(t), _) => {
                    assert_eq!(nursequeue::output::csv::cell(t), text, "{name} row {r} column {c}")
                }
                (other, _) => panic!("{name} row {r} column {c}: {other:?} for {text:?}"),
            }
        }
    }
    numbers
}

#[test]
fn the_sweep_workbook_holds_the_sweep_tables() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.toml");
    std::fs::write(&scenario, SURGED.replace("name = \"Halland\"", "name = \"=HYPERLINK(x)\"")).unwrap();
    let out = dir.path().join("sweep");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_nursequeue"))
        .arg("sweep")
        .arg(&scenario)
        .args([
            "--vary",
            "region.*.volume_factor=0.9,1.1",
            "--vary",
            "horizon=1w,2w",
            "--progress",
            "none",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(out.join("sweep.xlsx")).unwrap();
    for (name, csv_name) in [("points", "sweep.csv"), ("regions", "sweep_regions.csv")] {
        let csv_bytes = std::fs::read(out.join(csv_name)).unwrap();
        assert!(
            assert_sheet_holds_the_csv(&bytes, name, &csv_bytes) > 0,
            "{name}: numbers stored as numbers"
        );
    }
    let regions = sheet(&bytes, "regions");
    assert!(
        (0..regions.height()).any(|r| regions.get((r, 3)) == Some(&calamine::Data::String("=HYPERLINK(x)".into()))),
        "a formula-like name is text"
    );
}

#[test]
fn workbook_text_never_becomes_a_formula() {
    let s = summarize(&SURGED.replace("name = \"Halland\"", "name = \"=HYPERLINK(x)\""));
    let bytes = nursequeue::output::xlsx::workbook(&s).unwrap();
    let regions = sheet(&bytes, "regions");
    assert_eq!(regions.get((2, 1)), Some(&calamine::Data::String("=HYPERLINK(x)".into())));
}

/// A half-hourly grid: calls in interval i of day d.
fn grid_value(day: usize, i: usize) -> f64 {
    if (14..40).contains(&i) {
        (3 + (i * 7 + day * 3) % 11) as f64 + 0.5 * (i % 2) as f64
    } else {
        (i % 3) as f64
    }
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn write_grid_csv(path: &std::path::Path, transposed: bool) {
    let mut text = String::new();
    if transposed {
        text.push_str("day");
        for i in 0..48 {
            text.push_str(&format!(",{:02}:{:02}", i / 2, i % 2 * 30));
        }
        text.push('\n');
        for (d, name) in DAYS.iter().enumerate() {
            text.push_str(name);
            for i in 0..48 {
                text.push_str(&format!(",{}", grid_value(d, i)));
            }
            text.push('\n');
        }
    } else {
        text.push_str("interval,Mon,Tue,Wed,Thu,Fri,Sat,Sun\n");
        for i in 0..48usize {
            text.push_str(&format!(
                "{:02}:{:02}-{:02}:{:02}",
                i / 2,
                i % 2 * 30,
                i.div_ceil(2),
                (i + 1) % 2 * 30
            ));
            for d in 0..7 {
                text.push_str(&format!(",{}", grid_value(d, i)));
            }
            text.push('\n');
        }
    }
    std::fs::write(path, text).unwrap();
}

fn write_grid_xlsx(path: &std::path::Path, sheet: &str, bad_cell: Option<(u32, u16)>) {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet()
        .set_name("notes")
        .unwrap()
        .write_string(0, 0, "see the other sheet")
        .unwrap();
    let ws = book.add_worksheet().set_name(sheet).unwrap();
    ws.write_string(0, 0, "Tid").unwrap();
    for (d, name) in ["Mån", "Tis", "Ons", "Tor", "Fre", "Lör", "Sön"].iter().enumerate() {
        ws.write_string(0, d as u16 + 1, *name).unwrap();
    }
    for i in 0..48u32 {
        ws.write_string(i + 1, 0, format!("{:02}:{:02}", i / 2, i % 2 * 30)).unwrap();
        for d in 0..7u16 {
            if bad_cell == Some((i + 1, d + 1)) {
                ws.write_string(i + 1, d + 1, "n/a").unwrap();
            } else {
                ws.write_number(i + 1, d + 1, grid_value(d as usize, i as usize)).unwrap();
            }
        }
    }
    book.save(path).unwrap();
}

fn grid_scenario(file: &str, sheet: Option<&str>) -> String {
    let sheet = sheet.map_or(String::new(), |s| format!("calls_sheet = \"{s}\"\n"));
    format!(
        r#"
name = "grid"
start = "2024-03-04"
horizon = "1w"
warmup = "0d"
replications = 3
seed = 7

[defaults]
handle_time = {{ dist = "exponential", mean = "6m" }}
patience = {{ dist = "exponential", mean = "15m" }}

[[region]]
name = "Kalmar"
calls_file = "{file}"
{sheet}shifts = [ {{ days = "all", from = "00:00", to = "24:00", nurses = 2 }} ]
"#
    )
}

#[test]
fn the_same_grid_from_xlsx_and_csv_gives_the_same_rates_and_results() {
    let dir = tempfile::tempdir().unwrap();
    write_grid_csv(&dir.path().join("kalmar.csv"), false);
    write_grid_csv(&dir.path().join("kalmar-across.csv"), true);
    write_grid_xlsx(&dir.path().join("kalmar.xlsx"), "Kalmar v10", None);
    let load = |file: &str, sheet: Option<&str>| {
        let path = dir.path().join("s.toml");
        std::fs::write(&path, grid_scenario(file, sheet)).unwrap();
        nursequeue::scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"))
    };
    let csv = load("kalmar.csv", None);
    let across = load("kalmar-across.csv", None);
    let xlsx = load("kalmar.xlsx", Some("Kalmar v10"));
    let r = &csv.regions[0];
    assert_eq!(r.intervals_per_hour, 2);
    assert_eq!(r.calls_per_interval.len(), 336);
    assert_eq!(r.calls_per_interval[48 + 20], grid_value(1, 20), "Tuesday 10:00–10:30");
    assert_eq!(r.calls_per_hour[24 + 10], grid_value(1, 20) + grid_value(1, 21));
    for other in [&across, &xlsx] {
        assert_eq!(other.regions[0].calls_per_interval, r.calls_per_interval);
        assert_eq!(other.regions[0].calls_per_hour, r.calls_per_hour);
    }
    let results = |s: &nursequeue::scenario::Scenario| {
        let summary = nursequeue::experiment::run(s, 1).unwrap();
        String::from_utf8(nursequeue::output::csv::by_hour_csv(&summary)).unwrap()
            + &String::from_utf8(nursequeue::output::csv::regions_csv(&summary)).unwrap()
    };
    let a = results(&csv);
    assert_eq!(a, results(&xlsx));
    assert_eq!(a, results(&across));
    // Half-hourly rates are exact: calls offered in the first and second half
    // of a busy hour follow the grid, not the hour's mean.
    let model = nursequeue::model::Model::compile(&csv);
    let m = &model.regions[0];
    assert_eq!(m.rate.len(), 336);
    assert_eq!(m.interval, 30 * 60 * 1000);
    assert!((m.rate[20] * m.interval as f64 - grid_value(0, 20)).abs() < 1e-9);
}

#[test]
fn a_bad_grid_is_reported_with_the_key_and_the_cell() {
    let dir = tempfile::tempdir().unwrap();
    write_grid_xlsx(&dir.path().join("kalmar.xlsx"), "Kalmar", Some((5, 3)));
    let path = dir.path().join("s.toml");
    std::fs::write(&path, grid_scenario("kalmar.xlsx", Some("Kalmar"))).unwrap();
    let err = nursequeue::scenario::load_file(&path, &[]).unwrap_err().to_string();
    assert!(err.contains("sheet 'Kalmar', cell D6"), "{err}");
    assert!(err.contains("found 'n/a'"), "{err}");
    assert!(err.contains("s.toml:15:"), "{err}");
    std::fs::write(&path, grid_scenario("kalmar.xlsx", Some("Blekinge"))).unwrap();
    let err = nursequeue::scenario::load_file(&path, &[]).unwrap_err().to_string();
    assert!(err.contains("no sheet 'Blekinge'"), "{err}");
    std::fs::write(&path, grid_scenario("missing.csv", None)).unwrap();
    let err = nursequeue::scenario::load_file(&path, &[]).unwrap_err().to_string();
    assert!(err.contains("cannot read"), "{err}");
    // CSV: a bad cell by line and column.
    std::fs::write(dir.path().join("bad.csv"), "t,Mon,Tue,Wed,Thu,Fri,Sat,Sun\n00:00,1,2,3,4,5,6,-1\n").unwrap();
    std::fs::write(&path, grid_scenario("bad.csv", None)).unwrap();
    let err = nursequeue::scenario::load_file(&path, &[]).unwrap_err().to_string();
    assert!(err.contains("1 intervals a day"), "{err}");
}

#[test]
fn shifts_read_from_xlsx_and_csv_equal_the_scenario_shifts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("shifts.csv"),
        "days,from,to,nurses\nMon-Fri,07:00,16:00,3\nall,22:00,07:00,1\n,16:00,22:00,2\n",
    )
    .unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet().set_name("Bemanning").unwrap();
    for (c, h) in ["Dagar", "Från", "Till", "Sjuksköterskor"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (d, f, t, n)) in [
        ("Mon-Fri", "07:00", "16:00", 3.0),
        ("all", "22:00", "07:00", 1.0),
        ("", "16:00", "22:00", 2.0),
    ]
    .into_iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        if !d.is_empty() {
            ws.write_string(r, 0, d).unwrap();
        }
        ws.write_string(r, 1, f).unwrap();
        ws.write_string(r, 2, t).unwrap();
        ws.write_number(r, 3, n).unwrap();
    }
    book.save(dir.path().join("shifts.xlsx")).unwrap();
    let inline = r#"shifts = [ { days = "Mon-Fri", from = "07:00", to = "16:00", nurses = 3 }, { days = "all", from = "22:00", to = "07:00", nurses = 1 }, { from = "16:00", to = "22:00", nurses = 2 } ]"#;
    let path = dir.path().join("s.toml");
    let run = |shifts: &str| {
        let text =
            grid_scenario("calls.csv", None).replace(r#"shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 2 } ]"#, shifts);
        std::fs::write(&path, text).unwrap();
        let s = nursequeue::scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(nursequeue::output::csv::regions_csv(&nursequeue::experiment::run(&s, 1).unwrap())).unwrap()
    };
    write_grid_csv(&dir.path().join("calls.csv"), false);
    let want = run(inline);
    assert_eq!(run("shifts_file = \"shifts.csv\""), want);
    assert_eq!(run("shifts_file = \"shifts.xlsx\"\nshifts_sheet = \"Bemanning\""), want);
    // A bad cell is named.
    std::fs::write(dir.path().join("bad.csv"), "days,from,to,nurses\nMon-Fri,07:00,16:00,three\n").unwrap();
    let text = grid_scenario("calls.csv", None).replace(
        r#"shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 2 } ]"#,
        "shifts_file = \"bad.csv\"",
    );
    std::fs::write(&path, text).unwrap();
    let err = nursequeue::scenario::load_file(&path, &[]).unwrap_err().to_string();
    assert!(
        err.contains("line 2, column 4") && err.contains("'three'") && err.contains(":16:"),
        "{err}"
    );
}

/// The same summary writes the same workbook, whenever it is written (the
/// "created" property would otherwise carry the clock, to the second).
#[test]
fn workbooks_are_the_same_bytes_whenever_written() {
    let s = summarize(SURGED);
    let first = nursequeue::output::xlsx::workbook(&s).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert!(first == nursequeue::output::xlsx::workbook(&s).unwrap());
}
