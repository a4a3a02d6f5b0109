use super::*;
use crate::calendar::{DAY, HOUR, MINUTE};

const BASE: &str = r#"
start = 2024-03-04
horizon = "1w"
[defaults]
handle_time = { dist = "gamma", mean = "9m", cv = 0.6 }
patience = { dist = "none" }
weekday_rate = [2, 1, 1, 1, 1, 1, 1]
[[region]]
name = "A"
calls_per_week = 800
hourly_rate = [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0]
shifts = [ { days = "Mon-Fri", from = "22:00", to = "07:00", nurses = 2 } ]
[[region]]
name = "B"
calls_per_day = 10
patience = { dist = "empirical", values = ["1m", "90s"] }
[[agreement]]
name = "pair"
members = ["A", "B"]
hours = ["Mon-Fri 07:00-16:00", "all 22:00-07:00"]
overflow_after = "never"
[[target]]
metric = "mean_wait"
at_most = "5m"
region = "B"
per = "month"
"#;

#[test]
fn a_full_scenario_loads_with_defaults_and_shapes() {
    let s = load_str("t.toml", BASE, &[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.name, "t", "name defaults to the file stem");
    assert_eq!((s.replications, s.seed, s.warmup), (10, 1177, 0));
    let a = &s.regions[0];
    // 800 calls a week; Monday weighs 2/8 of the week, spread over 08–16.
    let monday: f64 = a.calls_per_hour[..24].iter().sum();
    assert!((monday - 200.0).abs() < 1e-9);
    assert_eq!(a.calls_per_hour[7], 0.0);
    assert!((a.calls_per_hour[8] - 25.0).abs() < 1e-9);
    assert_eq!(
        a.handle_time,
        Dist::Gamma {
            mean: 9.0 * MINUTE as f64,
            cv: 0.6
        }
    );
    assert_eq!(a.patience, Dist::Never);
    assert_eq!(
        s.regions[1].patience,
        Dist::Empirical {
            values: vec![60_000.0, 90_000.0]
        }
    );
    let b_week: f64 = s.regions[1].calls_per_hour.iter().sum();
    assert!((b_week - 70.0).abs() < 1e-9);
    let ag = &s.agreements[0];
    assert_eq!(ag.overflow_after, None);
    assert_eq!(ag.nurse_order, NurseOrder::OwnFirst);
    let Hours::Windows(ws) = &ag.hours else { panic!() };
    assert_eq!(ws[1].length(), 9 * HOUR);
    assert_eq!(s.targets[0].bound, Bound::AtMost(5.0));
    assert_eq!(s.targets[0].region, Some(1));
    assert_eq!(s.targets[0].per, Period::Month);
    assert_eq!(s.horizon, 7 * DAY);
}

#[test]
fn overrides_apply_before_validation() {
    let s = load_str(
        "t.toml",
        BASE,
        &[
            "agreement.pair.overflow_after=2m".into(),
            "region.A.shifts.0.nurses=5".into(),
            "replications=3".into(),
        ],
    )
    .unwrap();
    assert_eq!(s.agreements[0].overflow_after, Some(2 * MINUTE));
    assert_eq!(s.regions[0].shifts[0].nurses, 5);
    assert_eq!(s.replications, 3);
    let err = load_str("t.toml", BASE, &["region.A.shifts.0.nurses=-1".into()]).unwrap_err();
    assert!(err.to_string().contains("--set region.A.shifts.0.nurses=-1:1:"), "{err}");
}

#[test]
fn every_problem_is_reported_once() {
    let text = BASE
        .replace("calls_per_week = 800", "calls_per_week = 800\ncalls_per_day = 3\nnurse = 4")
        .replace("\"Mon-Fri 07:00-16:00\"", "\"Mon-Fri 07:00\"");
    let err = load_str("t.toml", &text, &[]).unwrap_err();
    let out = err.to_string();
    assert!(out.contains("not both"), "{out}");
    assert!(out.contains("unknown key `nurse`"), "{out}");
    assert!(out.contains("not a window"), "{out}");
    assert!(out.contains("3 problems found"), "{out}");
}

#[test]
fn duplicate_names_and_impossible_runs_are_refused() {
    let text = BASE
        .replace("name = \"B\"", "name = \"A\"")
        .replace("horizon = \"1w\"", "horizon = \"1w\"\nwarmup = \"2w\"");
    let out = load_str("t.toml", &text, &[]).unwrap_err().to_string();
    assert!(out.contains("two regions are named `A`"), "{out}");
    assert!(out.contains("warmup must be shorter than the horizon"), "{out}");
}

/// Every table of the reader, each key used once: the reader checks (in
/// tests) that it reads exactly the keys `scenario::keys` lists.
const EVERY_TABLE: &str = r#"
name = "all keys"
start = "2024-03-04"
horizon = "2w"
warmup = "1d"
replications = 2
seed = 5
holidays = ["2024-03-08"]
[defaults]
handle_time = { dist = "weibull", mean = "9m", cv = 0.6 }
patience = { dist = "lognormal", mean = "9m", cv = 0.6 }
hourly_rate = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
weekday_rate = [1,1,1,1,1,1,1]
redial = { probability = 0.3, delay = { dist = "fixed", value = "5m" }, max_attempts = 2 }
overload = { max_queue = 50, max_wait = "30m" }
shrinkage = 0.1
shrinkage_block = "20m"
absence = 0.05
daily_variation = 0.1
[[region]]
name = "A"
volume_factor = 1.1
calls_per_week = 800
hourly_rate = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
weekday_rate = [1,1,1,1,1,1,1]
handle_time = { dist = "gamma", mean = "9m", cv = 0.6 }
patience = { dist = "exponential", mean = "9m" }
absence = 0.02
shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 2, absence = 0.1 } ]
schedules = [ { from = "2024-03-10", to = "2024-03-11", shifts = [ { from = "08:00", to = "16:00", nurses = 1 } ] } ]
redial = { probability = 0.3, delay = { dist = "empirical", values = ["5m"] } }
overload = { max_queue = 50 }
shrinkage = 0.1
shrinkage_block = "20m"
daily_variation = 0.1
[[region]]
name = "B"
calls_per_day = 10
[[region]]
name = "C"
calls_per_hour = [0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]
[[agreement]]
name = "pair"
members = ["A", "B"]
hours = "always"
overflow_after = "4m"
nurse_order = "oldest-first"
[[target]]
metric = "answered_within"
within = "5m"
at_least = 0.5
region = "A"
per = "week"
[[surge]]
from = "2024-03-05"
to = "2024-03-06"
factor = 1.5
regions = ["B"]
[settlement]
price_per_call = 500
[sweep]
vary = ["region.A.shifts.0.nurses=1,2"]
"#;

#[test]
fn the_reader_reads_exactly_the_listed_keys() {
    // Table::get and Table::finish assert (in tests) that every key read is
    // listed in scenario::keys and every listed key is read.
    load_str("all.toml", EVERY_TABLE, &[]).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_committed_schema_is_the_readers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenario.schema.json");
    let committed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        committed == keys::json_schema(),
        "scenario.schema.json differs from the reader's keys: regenerate it with\n  cargo run --release -- schema > scenario.schema.json"
    );
    // Every key of a full scenario is in the schema, and the reader refuses a key the schema lacks.
    let schema = keys::json_schema();
    for table in ["defaults", "settlement", "sweep"] {
        assert!(schema["properties"][table]["properties"].is_object(), "{table}");
    }
    let region_keys = schema["properties"]["region"]["items"]["properties"].as_object().unwrap();
    assert_eq!(region_keys.len(), keys::REGION.len());
    let err = load_str("t.toml", &format!("{BASE}\nnot_in_schema = 1\n"), &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown key `not_in_schema`"), "{err}");
}

#[test]
fn names_are_nfc_and_clean() {
    // "Örebro" composed (NFC) and decomposed (NFD) is one region.
    let two = BASE
        .replace("name = \"A\"", "name = \"\u{d6}rebro\"")
        .replace("name = \"B\"", "name = \"O\u{308}rebro\"");
    let err = load_str("t.toml", &two, &[]).unwrap_err().to_string();
    assert!(err.contains("two regions are named `\u{d6}rebro`"), "{err}");
    // An NFD member, target region or --set path finds the NFC region.
    let one = BASE
        .replace("name = \"A\"", "name = \"\u{d6}rebro\"")
        .replace("[\"A\", \"B\"]", "[\"O\u{308}rebro\", \"B\"]");
    let s = load_str("t.toml", &one, &["region.O\u{308}rebro.calls_per_week=5".into()]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.regions[0].name, "\u{d6}rebro");
    assert!((s.regions[0].calls_per_hour.iter().sum::<f64>() - 5.0).abs() < 1e-9);
    // A name taken from the file's name cannot carry an escape sequence either.
    let s = load_str("dir/odd\u{1b}[31m.toml", BASE, &[]).unwrap();
    assert_eq!(s.name, "odd\u{FFFD}[31m");
    for bad in ["\"\"", "\"  \"", "\"A\\u001b[2J\"", "\"A\\u202Eb\"", "\"A\\nB\""] {
        let text = BASE.replace("name = \"B\"", &format!("name = {bad}"));
        let err = load_str("t.toml", &text, &[]).unwrap_err();
        assert!(err.problems.list.iter().all(|p| p.span.is_some()), "{err}");
        let shown = err.to_string();
        assert!(
            !shown.contains('\x1b') && !shown.contains('\u{202E}') || shown.contains("U+"),
            "{shown}"
        );
        assert!(!shown.contains('\x1b'), "a raw escape reached the output: {shown}");
    }
}

#[test]
fn every_bad_holiday_and_empirical_value_is_reported() {
    let text = BASE
        .replace(
            "start = 2024-03-04",
            "start = 2024-03-04\nholidays = [\"2024-02-30\", \"2024-03-08\", \"x\"]",
        )
        .replace("values = [\"1m\", \"90s\"]", "values = [\"1q\", \"90s\", \"-1m\", 4]");
    let err = load_str("t.toml", &text, &[]).unwrap_err();
    let shown = err.to_string();
    assert_eq!(shown.matches("is not a date").count(), 2, "{shown}");
    assert_eq!(shown.matches("patience.values").count(), 3, "{shown}");
}

#[test]
fn what_check_accepts_run_can_sample() {
    // Known crashes of `run` on scenarios that `check` accepted.
    for (from, to) in [
        ("start = 2024-03-04", "start = 9999-12-05"),
        ("cv = 0.6", "cv = 1e-200"),
        ("calls_per_week = 800", "calls_per_week = 800\ndaily_variation = 1e-200"),
        ("calls_per_week = 800", "calls_per_week = 800\ndaily_variation = 5e-324"),
        ("\"90s\"", "\"1818w1d\""),
        ("horizon = \"1w\"", "horizon = \"1818w1d\""),
        ("calls_per_week = 800", "calls_per_week = 800\nvolume_factor = 1e300"),
    ] {
        assert!(BASE.contains(from), "{from}");
        let err = load_str("t.toml", &BASE.replacen(from, to, 1), &[]).expect_err(to);
        assert!(err.problems.list.iter().all(|p| p.span.is_some()), "{err}");
    }
    // Shapes whose product underflows are normalised one by one: exact, not NaN.
    let tiny = BASE
        .replace(
            "weekday_rate = [2, 1, 1, 1, 1, 1, 1]",
            "weekday_rate = [1e-160, 1e-160, 1e-160, 1e-160, 1e-160, 1e-160, 1e-160]",
        )
        .replace(
            "hourly_rate = [0,0,0,0,0,0,0,0,1,1,1,1,1,1,1,1,0,0,0,0,0,0,0,0]",
            &format!("hourly_rate = [{}]", vec!["1e-160"; 24].join(",")),
        );
    let s = load_str("t.toml", &tiny, &[]).unwrap_or_else(|e| panic!("{e}"));
    for &c in &s.regions[0].calls_per_hour {
        assert!((c - 800.0 / 168.0).abs() < 1e-9, "{c}");
    }
    // Every distribution the reader accepts builds its sampler.
    let s = load_str("t.toml", &BASE.replace("cv = 0.6", "cv = 0.001"), &[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(s.regions[0].handle_time.try_sampler().is_ok());
}

#[test]
fn work_counts_redials_surges_and_breaks() {
    let s = load_str("t.toml", BASE, &[]).unwrap();
    let base = crate::model::Model::compile(&s).work();
    // 800 a week + 70 a week, one week.
    assert!((base.attempts - 870.0).abs() < 1.0, "{base:?}");
    let redials = BASE.replace(
        "calls_per_week = 800",
        "calls_per_week = 800\nredial = { probability = 1, delay = { dist = \"fixed\", value = \"1m\" }, max_attempts = 3 }",
    );
    let w = crate::model::Model::compile(&load_str("t.toml", &redials, &[]).unwrap()).work();
    assert!((w.attempts - (3.0 * 800.0 + 70.0)).abs() < 1.0, "{w:?}");
    let surge = format!("{BASE}\n[[surge]]\nfrom = \"2024-03-04\"\nto = \"2024-03-10\"\nfactor = 2\n");
    let w = crate::model::Model::compile(&load_str("t.toml", &surge, &[]).unwrap()).work();
    assert!((w.attempts - 2.0 * 870.0).abs() < 1.0, "{w:?}");
    let breaks = BASE.replace(
        "calls_per_week = 800",
        "calls_per_week = 800\nshrinkage = 0.5\nshrinkage_block = \"1m\"",
    );
    let w = crate::model::Model::compile(&load_str("t.toml", &breaks, &[]).unwrap()).work();
    // Break draws at 1/min for each of 2 nurses over a week, each with its end.
    assert!(w.events > base.events + 2.0 * 2.0 * 7.0 * 24.0 * 60.0 * 0.9, "{w:?} vs {base:?}");
    assert!(w.refusal(1.0).is_none());
    assert!(crate::model::Work { events: 2e12, ..w }.refusal(1.0).is_some());
    assert!(crate::model::Work { memory_bytes: 1e12, ..w }.refusal(1.0).is_some());
}

#[test]
fn a_duration_written_as_a_number_gets_a_usable_hint() {
    for (value, hint) in [("10", "\"10m\""), ("nan", "\"10m\""), ("inf", "\"10m\"")] {
        let text = BASE.replace("horizon = \"1w\"", &format!("horizon = {value}"));
        let e = load_str("t.toml", &text, &[]).expect_err("a number is not a duration").to_string();
        assert!(e.contains(hint) && !e.contains("NaNm") && !e.contains("infm"), "{e}");
    }
}
