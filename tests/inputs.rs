//! Inputs as planners have them: handle time that moves (dated changes, extra
//! time on partners' calls), staffing as people plan it (rotations, staffing
//! factors), percentile targets, and call history from a CSV file.

mod common;
use common::*;
use nursequeue::erlang::erlang_b;
use nursequeue::model::Model;
use nursequeue::scenario::{self, staffed};
use std::process::Command;

fn nursequeue() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nursequeue"))
}

/// `check` of a scenario (and files beside it) in a fresh directory: exit code and stderr.
fn check_in_dir(toml: &str, files: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), toml).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = nursequeue().current_dir(dir.path()).args(["check", "s.toml"]).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn assert_refused(toml: &str, files: &[(&str, &str)], expected: &[&str]) {
    let (code, err) = check_in_dir(toml, files);
    assert_eq!(code, 2, "expected exit 2, got {code}:\n{err}");
    for e in expected {
        assert!(err.contains(e), "expected `{e}` in:\n{err}");
    }
}

// ---------------------------------------------------------------------------
// Percentile targets

/// Erlang C: the probability that a call waits in M/M/n with offered load `a`.
fn erlang_c(n: u32, a: f64) -> f64 {
    let b = erlang_b(n, a);
    n as f64 * b / (n as f64 - a * (1.0 - b))
}

/// M/M/n without abandonment: the wait of answered calls (all calls) is 0
/// with probability 1 − C and exponential with rate nμ − λ otherwise, so the
/// p-quantile is ln(C / (1 − p)) / (nμ − λ) when C > 1 − p.
#[test]
fn wait_p75_target_matches_erlang_c() {
    let (lambda, handle, n) = (2.0, 12.0, 26u32);
    let c = erlang_c(n, lambda * handle);
    let rate = n as f64 / handle - lambda;
    let exact_p75 = (c / 0.25).ln() / rate;
    let exact_p90 = (c / 0.10).ln() / rate;
    assert!(c > 0.3, "the test needs a clear queue (C = {c})");
    let text = stationary(lambda, handle, None, n, "3w", 12)
        + r#"
[[target]]
metric = "wait_p75"
at_most = "13m"
[[target]]
metric = "wait_p90"
at_most = "1m"
per = "day"
"#;
    let s = summarize(&text);
    assert_eq!(s.targets[0].metric, "wait_p75");
    assert_agrees("wait_p75 target vs Erlang C", s.targets[0].estimate, exact_p75, 2.0);
    assert_agrees("wait_p90 target vs Erlang C", s.targets[1].estimate, exact_p90, 2.0);
    // The target and the output metric of the same name agree (one histogram).
    let out = s.value("R", "wait_p75").unwrap().mean.unwrap();
    assert!((out - s.targets[0].estimate.mean.unwrap()).abs() < 1e-6 * out.max(1.0));
    assert_eq!(s.targets[0].met, Some(true), "p75 ≈ {exact_p75:.2} min is under 13 minutes");
    // Judged per day: 20 days of 12 replications; p90 (about 10 minutes) is above 1 minute on almost every day.
    assert_eq!(s.targets[1].periods_judged, 20 * 12);
    assert_eq!(s.targets[1].met, Some(false));
    let share = s.targets[1].share_of_periods_met.unwrap();
    assert!(share < 0.2, "{share}");
    let reached = s.targets[1].reached.unwrap();
    assert!(reached.level > 1.0, "{reached:?}");
}

#[test]
fn percentile_targets_are_judged_in_their_share_of_periods() {
    let base = stationary(2.0, 12.0, None, 26, "15d", 4);
    let with = |bound: &str| {
        summarize(&format!(
            "{base}\n[[target]]\nmetric = \"wait_p50\"\nat_most = \"{bound}\"\nper = \"day\"\nmet_in = 0.5\n"
        ))
    };
    // p50 of all calls is 0 when fewer than half wait (C < 0.5) and small otherwise.
    let lenient = with("30m");
    assert_eq!(lenient.targets[0].met, Some(true));
    assert_eq!(lenient.targets[0].share_of_periods_met, Some(1.0));
    let strict = with("0s");
    let c = erlang_c(26, 24.0);
    // Waits are zero for half the calls only when C < 0.5.
    assert_eq!(strict.targets[0].met, Some(c < 0.5), "C = {c}");
}

#[test]
fn percentile_targets_are_validated() {
    let base = stationary(1.0, 10.0, Some(10.0), 12, "2d", 2);
    assert_refused(
        &format!("{base}[[target]]\nmetric = \"wait_p75\"\nat_most = 13\n"),
        &[],
        &["s.toml:", "bounded by a duration", "at_most = \"13m\""],
    );
    assert_refused(
        &format!("{base}[[target]]\nmetric = \"wait_p80\"\nat_most = \"13m\"\n"),
        &[],
        &["unknown target metric `wait_p80`", "wait_p95"],
    );
    // A floor on waiting is refused with its place, for percentiles and the mean.
    for metric in ["wait_p75", "mean_wait"] {
        assert_refused(
            &format!("{base}[[target]]\nmetric = \"{metric}\"\nat_least = \"5m\"\n"),
            &[],
            &["s.toml:", "bounds the wait from above", "at_most"],
        );
    }
}

// ---------------------------------------------------------------------------
// Handle time that moves

/// One region, nurses enough that no one waits, callers who never hang up.
fn ample(handle: &str, extra: &str, warmup: &str, horizon: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "{horizon}"
warmup = "{warmup}"
replications = 10
seed = 11
[[region]]
name = "R"
calls_per_day = 1440
handle_time = {{ dist = "exponential", mean = "{handle}" }}
patience = {{ dist = "none" }}
shifts = [{{ days = "all", from = "00:00", to = "24:00", nurses = 60 }}]
{extra}
"#
    )
}

/// With a dated change the mean handle time in each period is the one given:
/// occupancy = λ · E[handle] / nurses (λ = 1 a minute, 60 nurses, no waiting).
#[test]
fn dated_handle_time_changes_give_each_period_its_mean() {
    let change = r#"handle_time_changes = [ { from = "2024-03-11", handle_time = { dist = "exponential", mean = "20m" } },
                        { from = "2024-03-18", handle_time = { dist = "fixed", value = "30m" } } ]"#;
    // Before the first change (the horizon ends on 11 March).
    let before = summarize(&ample("10m", change, "1d", "7d"));
    assert_agrees(
        "occupancy before the change (10m)",
        before.value("R", "occupancy").unwrap(),
        10.0 / 60.0,
        2.0,
    );
    // Between the changes: measured from 11 March (busy time of calls in
    // progress at the warmup is a few minutes in a week).
    let between = summarize(&ample("10m", change, "7d", "14d"));
    assert_agrees(
        "occupancy after the change (20m)",
        between.value("R", "occupancy").unwrap(),
        20.0 / 60.0,
        2.0,
    );
    let after = summarize(&ample("10m", change, "14d", "18d"));
    assert_agrees(
        "occupancy after the second change (30m)",
        after.value("R", "occupancy").unwrap(),
        30.0 / 60.0,
        2.0,
    );
}

#[test]
fn handle_time_changes_apply_from_defaults_and_are_validated() {
    let s = scenario(&ample("10m", "", "0s", "2d").replace(
        "[[region]]",
        "[defaults]\nhandle_time_changes = [ { from = \"2024-03-05\", handle_time = { dist = \"fixed\", value = \"7m\" } } ]\n[[region]]",
    ));
    let model = Model::compile(&s);
    assert_eq!(model.regions[0].handle_on(0).1, 10.0 * 60_000.0);
    assert_eq!(model.regions[0].handle_on(1).1, 7.0 * 60_000.0);
    let out_of_order = r#"handle_time_changes = [ { from = "2024-03-11", handle_time = { dist = "fixed", value = "5m" } },
                        { from = "2024-03-05", handle_time = { dist = "fixed", value = "6m" } } ]"#;
    assert_refused(&ample("10m", out_of_order, "0s", "2d"), &[], &["s.toml:", "date order"]);
    let bad = r#"handle_time_changes = [ { from = "2024-03-11", handle_time = { dist = "none" } } ]"#;
    assert_refused(&ample("10m", bad, "0s", "2d"), &[], &["s.toml:", "cannot be `none`"]);
}

/// Region B has no nurses; all its calls are answered by A's nurses in a
/// pooled agreement, each with 3 extra minutes: A's occupancy is
/// (λ_A · 10 + λ_B · (10 + 3)) / n_A.
#[test]
fn partner_extra_handle_shows_in_occupancy() {
    let text = r#"
start = "2024-03-04"
horizon = "8d"
warmup = "1d"
replications = 10
seed = 5
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "none" }
partner_extra_handle = "3m"
[[region]]
name = "A"
calls_per_day = 1440
shifts = [{ days = "all", from = "00:00", to = "24:00", nurses = 60 }]
[[region]]
name = "B"
calls_per_day = 720
[[agreement]]
name = "pool"
members = ["A", "B"]
overflow_after = "0m"
"#;
    let s = summarize(text);
    let exact = (1.0 * 10.0 + 0.5 * 13.0) / 60.0;
    assert_agrees(
        "A's occupancy with extra handle on B's calls",
        s.value("A", "occupancy").unwrap(),
        exact,
        2.0,
    );
    let without = summarize(&text.replace("partner_extra_handle = \"3m\"", ""));
    assert_agrees("A's occupancy without", without.value("A", "occupancy").unwrap(), 15.0 / 60.0, 2.0);
}

// ---------------------------------------------------------------------------
// Staffing as people plan it

#[test]
fn staffing_factor_rounds_each_shift_to_the_nearest_nurse() {
    assert_eq!(staffed(5, 0.7), 4, "3.5 rounds up");
    assert_eq!(staffed(3, 0.7), 2, "2.1");
    assert_eq!(staffed(2, 0.7), 1, "1.4");
    assert_eq!(staffed(1, 0.7), 1, "0.7");
    assert_eq!(staffed(1, 0.4), 0, "0.4");
    assert_eq!(staffed(7, 1.0), 7);
    assert_eq!(staffed(10, 1.25), 13, "12.5 rounds up");
    // Factors that multiply (region × schedule) to a half in decimal are halves.
    // A decimal half is a half, though binary makes 45 × 0.7 = 31.499999999999996.
    assert_eq!(staffed(45, 0.7), 32, "31.5 rounds up");
    assert_eq!(staffed(25, 0.58), 15, "14.5 rounds up");
}

const PLANNED: &str = r#"
start = "2024-03-04"
horizon = "10w"
replications = 2
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "Kalmar"
calls_per_day = 500
staffing_factor = 0.5
schedules = [ { from = "2024-03-25", to = "2024-03-31", staffing_factor = 0.7 },
              { from = "2024-04-08", to = "2024-04-14", shifts = [ { from = "08:00", to = "16:00", nurses = 9 } ] } ]
[region.rotation]
start = "2024-02-26"
[[region.rotation.weeks]]
shifts = [ { from = "07:00", to = "16:00", nurses = 10 } ]
[[region.rotation.weeks]]
shifts = [ { from = "07:00", to = "16:00", nurses = 6 } ]
[[region.rotation.weeks]]
shifts = [ { from = "07:00", to = "16:00", nurses = 3 }, { from = "16:00", to = "07:00", nurses = 1 } ]
"#;

#[test]
fn rotation_and_staffing_factors_give_the_planned_nurses() {
    let model = Model::compile(&scenario(PLANNED));
    let nurses = |day: i64| -> Vec<u32> { model.shifts_on(0, day).iter().map(|s| s.nurses).collect() };
    // The rotation's week 1 began on 26 Feb, so 4 March (day 0) is in week 2,
    // then week 3, week 1, … (region factor 0.5: 6 → 3, 3 → 2 (1.5 up), 1 → 1 (0.5 up), 10 → 5).
    assert_eq!(nurses(0), vec![3]);
    assert_eq!(nurses(6), vec![3], "Sunday: still week 2");
    assert_eq!(nurses(7), vec![2, 1]);
    assert_eq!(nurses(14), vec![5], "week 1 of the second cycle");
    // 25–31 March: the regular week (week 2 of the cycle: day 21) × 0.5 × 0.7 = 6 × 0.35 = 2.1 → 2.
    assert_eq!(nurses(21), vec![2]);
    // 1 April: back to the rotation, week 3 (3 × 0.5 = 1.5 → 2, 1 × 0.5 = 0.5 → 1).
    assert_eq!(nurses(28), vec![2, 1]);
    // 8–14 April: the schedule's own shifts, with the region's factor (9 × 0.5 = 4.5 → 5).
    assert_eq!(nurses(35), vec![5]);
    assert_eq!(nurses(42), vec![3], "15 April: week 2 of the third cycle");
}

#[test]
fn rotations_are_validated() {
    let not_monday = PLANNED.replace("start = \"2024-02-26\"", "start = \"2024-02-27\"");
    assert_refused(&not_monday, &[], &["s.toml:", "Monday"]);
    let both = PLANNED.replace("staffing_factor = 0.5\n", "staffing_factor = 0.5\nshifts = []\n");
    assert_refused(&both, &[], &["s.toml:", "not both"]);
    let empty_schedule = PLANNED.replace("staffing_factor = 0.7 }", "}");
    assert_refused(&empty_schedule, &[], &["s.toml:", "needs shifts or a staffing_factor"]);
    let big = PLANNED.replace("staffing_factor = 0.5", "staffing_factor = 50");
    assert_refused(&big, &[], &["s.toml:", "staffing_factor"]);
}

// ---------------------------------------------------------------------------
// History as input

/// A year of synthetic hourly counts from 2024-01-01: a daily and weekly
/// shape and a deterministic wobble, about 3 calls an hour.
fn year_of_history() -> (String, Vec<f64>) {
    let mut text = String::from("datetime,calls\n");
    let mut counts = vec![];
    let start = "2024-01-01".parse::<jiff::civil::Date>().unwrap();
    for day in 0..366i64 {
        let date = start + jiff::Span::new().days(day);
        for hour in 0..24 {
            let shape = if (8..20).contains(&hour) { 5.0 } else { 1.0 };
            let weekend = if day % 7 >= 5 { 0.6 } else { 1.0 };
            let wobble = 1.0 + 0.3 * ((day * 24 + hour) as f64 * 0.37).sin();
            let c = (shape * weekend * wobble * 10.0).round() / 10.0;
            counts.push(c);
            text.push_str(&format!("{date} {hour:02}:00,{c}\n"));
        }
    }
    (text, counts)
}

#[test]
fn a_year_of_history_is_reproduced_per_interval() {
    let (csv, counts) = year_of_history();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("history.csv"), &csv).unwrap();
    let toml = r#"
start = "2024-01-01"
horizon = "366d"
replications = 8
seed = 9
[[region]]
name = "Kalmar"
calls_history = "history.csv"
handle_time = { dist = "exponential", mean = "5m" }
patience = { dist = "none" }
shifts = [{ days = "all", from = "00:00", to = "24:00", nurses = 30 }]
"#;
    let path = dir.path().join("s.toml");
    std::fs::write(&path, toml).unwrap();
    let s = scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    // The model holds one rate per hour of the year, not the calls.
    let model = Model::compile(&s);
    assert_eq!(model.regions[0].history.as_ref().map(Vec::len), Some(366 * 24));
    // Memory of a replication: the rates and fixed statistics, not the calls.
    let memory = model.work().memory_bytes;
    assert!(memory < 8.0 * 1024.0 * 1024.0, "{memory} bytes");
    let summary = nursequeue::experiment::run(&s, 0).unwrap();
    // Per month: offered calls against the file's sum, within the CI.
    for row in summary.by_month.iter().filter(|r| r.group == "Kalmar") {
        let first: jiff::civil::Date = row.first_day.parse().unwrap();
        let last: jiff::civil::Date = row.last_day.parse().unwrap();
        let from = (first - "2024-01-01".parse::<jiff::civil::Date>().unwrap()).get_days() as usize;
        let to = (last - "2024-01-01".parse::<jiff::civil::Date>().unwrap()).get_days() as usize + 1;
        let expected: f64 = counts[from * 24..to * 24].iter().sum();
        assert_agrees(&format!("offered in {}", row.period), row.values[0], expected, 2.0);
    }
    // Per hour of the week, over 8 replications: Poisson counts, so the
    // standard deviation is exact; 4.5 σ for each of 168 cells.
    let reps = 8.0;
    let mut expected = [0.0f64; 168];
    for (i, c) in counts.iter().enumerate() {
        expected[i % 168] += c * reps; // 1 Jan 2024 is a Monday
    }
    for (h, e) in expected.iter().enumerate() {
        let got = summary.by_hour[h].offered as f64;
        assert!((got - e).abs() <= 4.5 * e.sqrt(), "hour {h} of the week: {got} calls, expected {e}");
    }
}

const HISTORY_SCENARIO: &str = r#"
start = "2024-03-04"
horizon = "1d"
replications = 2
[defaults]
handle_time = { dist = "exponential", mean = "5m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "Kalmar"
calls_history = "h.csv"
volume_factor = 2
shifts = [{ from = "00:00", to = "24:00", nurses = 3 }]
[[region]]
name = "Halland"
calls_history = "h.csv"
shifts = [{ from = "00:00", to = "24:00", nurses = 3 }]
"#;

/// A day of quarter hours, `date,hour,<regions>` layout, with a decimal comma.
fn quarter_hours() -> String {
    let mut t = String::from("date;hour;Kalmar;Halland\n");
    for q in 0..96 {
        t.push_str(&format!("2024-03-04;{:02}:{:02};{},5;1\n", q / 4, q % 4 * 15, q % 4));
    }
    t
}

#[test]
fn quarter_hours_and_region_columns_are_read_and_scaled() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("h.csv"), quarter_hours()).unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, HISTORY_SCENARIO).unwrap();
    let s = scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let k = s.regions[0].history.as_ref().unwrap();
    assert_eq!(k.interval, 15 * 60_000);
    assert_eq!(&k.calls[..4], &[1.0, 3.0, 5.0, 7.0], "(q + 0.5) × volume_factor 2");
    assert_eq!(s.regions[1].history.as_ref().unwrap().calls[5], 1.0);
    // The weekly summary (Monday's hours) is the hour's total.
    assert_eq!(s.regions[0].calls_per_hour[0], 16.0);
}

/// A longer history serves a run of part of it: rows before the start and
/// after the horizon are left out, and the window holds the same rates.
#[test]
fn rows_outside_the_window_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, HISTORY_SCENARIO).unwrap();
    std::fs::write(dir.path().join("h.csv"), quarter_hours()).unwrap();
    let exact = scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    let mut longer = quarter_hours();
    let header_end = longer.find('\n').unwrap() + 1;
    longer.insert_str(header_end, "2024-03-03;23:45;9;9\n");
    longer += "2024-03-05;00:00;9;9\n2024-03-05;00:15;9;9\n";
    std::fs::write(dir.path().join("h.csv"), longer).unwrap();
    let wider = scenario::load_file(&path, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exact.regions[0].history, wider.regions[0].history);
    assert_eq!(exact.regions[1].history, wider.regions[1].history);
}

#[test]
fn bad_history_rows_are_refused_with_file_line_and_column() {
    let good = quarter_hours();
    let hint = "History as input";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            good.replace("2024-03-04;00:30;2,5", "2024-03-04;00:30;many"),
            vec!["h.csv:4:3", "`many`"],
        ),
        (
            good.replace("2024-03-04;00:30;2,5", "2024-03-04;00:30;-2"),
            vec!["h.csv:4:3", "≥ 0"],
        ),
        (
            good.replace("2024-03-04;00:30;2,5;1\n", ""),
            vec!["h.csv:4:1", "no row for 2024-03-04T00:30", "gap"],
        ),
        (
            good.replace("2024-03-04;00:45;", "2024-03-04;00:30;"),
            vec!["h.csv:5:1", "duplicate", "line 4"],
        ),
        (
            good.clone() + "2024-03-05;00:20;1;1\n",
            vec!["h.csv:98:1", "not on a 15-minute boundary"],
        ),
        (
            good.replace("2024-03-04;00:30", "2024-03-04;25:30"),
            vec!["h.csv:4:2", "not an hour"],
        ),
        (good.replace("Halland\n", "Skåne\n"), vec!["h.csv:1:1", "no column `Halland`"]),
        (
            good.replace("2024-03-04;00:30", "2024-13-04;00:30"),
            vec!["h.csv:4:1", "not a date"],
        ),
    ];
    for (csv, expected) in cases {
        let mut expected = expected;
        expected.push(hint);
        assert_refused(HISTORY_SCENARIO, &[("h.csv", &csv)], &expected);
    }
    // Zone offsets: the file's times are on the simulated clock, which has no DST.
    let offset = "datetime,calls\n2024-03-04T00:00+01:00,1\n";
    assert_refused(HISTORY_SCENARIO, &[("h.csv", offset)], &["h.csv:2:1", "zone offset"]);
    // A history with another volume.
    let both = HISTORY_SCENARIO.replace("volume_factor = 2", "calls_per_day = 5");
    assert_refused(&both, &[("h.csv", &good)], &["s.toml:", "not both"]);
}

// ---------------------------------------------------------------------------
// `--set` that adds and removes, and `compare --set-for`

const TWO_REGIONS: &str = r#"
start = "2024-03-04"
horizon = "2d"
replications = 2
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "Kalmar"
calls_per_day = 300
shifts = [{ from = "07:00", to = "22:00", nurses = 3 }]
[[region]]
name = "Halland"
calls_per_day = 300
shifts = [{ from = "00:00", to = "24:00", nurses = 3 }]
[[agreement]]
name = "night"
members = ["Kalmar", "Halland"]
hours = "all 22:00-07:00"
overflow_after = "0m"
"#;

#[test]
fn set_adds_and_removes_shifts_and_agreements() {
    let load = |flags: &[&str]| {
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        scenario::load_str("t.toml", TWO_REGIONS, &flags)
    };
    let s = load(&[r#"region.Kalmar.shifts+={ days = "all", from = "22:00", to = "07:00", nurses = 2 }"#]).unwrap();
    assert_eq!(s.regions[0].shifts.len(), 2);
    assert_eq!(s.regions[0].shifts[1].nurses, 2);
    let s = load(&["agreement.night=remove"]).unwrap();
    assert!(s.agreements.is_empty());
    let s = load(&[
        "region.Halland.shifts.0=remove",
        "region.Halland.shifts+={ from = \"08:00\", to = \"17:00\", nurses = 9 }",
    ])
    .unwrap();
    assert_eq!(s.regions[1].shifts.len(), 1);
    assert_eq!(s.regions[1].shifts[0].nurses, 9);
    // A new agreement, and a key removed (the region then has no own patience: the default).
    let s = load(&[r#"agreement+={ name = "day", members = ["Kalmar", "Halland"], overflow_after = "4m" }"#]).unwrap();
    assert_eq!(s.agreements.len(), 2);
    // What was added is validated as if written in the file, pointing into the flag.
    let err = load(&[r#"region.Kalmar.shifts+={ from = "22:00", to = "07:00", nurses = -2 }"#])
        .unwrap_err()
        .to_string();
    assert!(err.contains("--set region.Kalmar.shifts+="), "{err}");
    let err = load(&["agreement.nightt=remove"]).unwrap_err().to_string();
    assert!(
        err.contains("--set agreement.nightt=remove:1:1") && err.contains("did you mean `night`"),
        "{err}"
    );
    let err = load(&["region.Kalmar.calls_per_day+=3"]).unwrap_err().to_string();
    assert!(err.contains("not a list"), "{err}");
}

#[test]
fn compare_sets_keys_per_scenario() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), TWO_REGIONS).unwrap();
    let out = nursequeue()
        .current_dir(dir.path())
        .args([
            "compare",
            "a.toml",
            "a.toml",
            "--format",
            "json",
            "--set-for",
            "2:region.Kalmar.calls_per_day=600",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = json["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "a (region.Kalmar.calls_per_day=600)"]);
    let offered = |k: usize| json["scenarios"][k]["regions"][0]["offered"]["mean"].as_f64().unwrap();
    assert!(offered(1) > 1.6 * offered(0), "{} vs {}", offered(1), offered(0));
    // Halland's callers are the same in both (common random numbers).
    let halland = |k: usize| json["scenarios"][k]["regions"][1]["offered"]["mean"].as_f64().unwrap();
    assert_eq!(halland(0), halland(1));
    for (flag, expected) in [
        ("3:region.Kalmar.calls_per_day=1", "--set-for 3:region.Kalmar.calls_per_day=1:1:1"),
        ("region.Kalmar.calls_per_day=1", "expected N:KEY=VALUE"),
        // A bad value is placed in the flag the user wrote, not in a `--set`.
        (
            "2:region.Kalmar.calls_per_day=-5",
            "--> --set-for 2:region.Kalmar.calls_per_day=-5:1:",
        ),
    ] {
        let out = nursequeue()
            .current_dir(dir.path())
            .args(["compare", "a.toml", "a.toml", "--set-for", flag])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expected), "{err}");
    }
}

/// Every new input at once (history, rotation, staffing factors, dated handle
/// time, extra time on partners' calls, a percentile target per week): the
/// same output whatever the thread count.
#[test]
fn new_inputs_give_the_same_results_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    std::fs::copy(src.join("history-example.csv"), dir.path().join("history-example.csv")).unwrap();
    let toml = std::fs::read_to_string(src.join("history-example.toml")).unwrap()
        + r#"
[[region]]
name = "Rotated"
calls_per_day = 300
partner_extra_handle = "2m"
handle_time_changes = [ { from = "2021-03-15", handle_time = { dist = "gamma", mean = "12m", cv = 0.8 } } ]
staffing_factor = 0.8
schedules = [ { from = "2021-03-20", to = "2021-03-24", staffing_factor = 0.5 } ]
[region.rotation]
start = "2021-03-01"
[[region.rotation.weeks]]
shifts = [ { from = "07:00", to = "22:00", nurses = 5 } ]
[[region.rotation.weeks]]
shifts = [ { from = "07:00", to = "22:00", nurses = 3 }, { from = "22:00", to = "07:00", nurses = 1 } ]
[[agreement]]
name = "pair"
members = ["Rotated", "Kalmar"]
overflow_after = "4m"
"#;
    std::fs::write(dir.path().join("s.toml"), toml).unwrap();
    let run = |threads: &str| {
        let o = nursequeue()
            .current_dir(dir.path())
            .args(["run", "s.toml", "--replications", "6", "--format", "json", "--threads", threads])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("run");
        serde_json::to_string(&v).unwrap()
    };
    let one = run("1");
    assert!(one.contains("\"wait_p75\""), "the percentile target is reported");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("5"));
}
