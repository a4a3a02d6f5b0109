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
