//! The library façade, and golden snapshots of published figures: an
//! unintended change of a figure (from a dependency update, say) fails here.
//! After an intended change, review and accept the new snapshots
//! (`cargo insta review`, or `INSTA_UPDATE=always cargo test --test library`).

use nursequeue::output;

const SMALL: &str = r#"
name = "Snapshot: two regions, one week"
start = "2024-03-04"
horizon = "1w"
warmup = "1d"
replications = 3
seed = 20240304
[defaults]
handle_time = { dist = "lognormal", mean = "9m", cv = 0.6 }
patience = { dist = "exponential", mean = "12m" }
redial = { probability = 0.3, delay = { dist = "exponential", mean = "10m" } }
[[region]]
name = "Norr"
calls_per_day = 480
shifts = [{ days = "all", from = "07:00", to = "22:00", nurses = 5 }, { days = "all", from = "22:00", to = "07:00", nurses = 1 }]
[[region]]
name = "Söder"
calls_per_day = 360
shifts = [{ days = "Mon-Fri", from = "08:00", to = "17:00", nurses = 4 }]
[[agreement]]
name = "pair"
members = ["Norr", "Söder"]
hours = "always"
overflow_after = "2m"
[settlement]
price_per_call = 550
[[target]]
metric = "answered_within"
within = "3m"
at_least = 0.8
per = "day"
"#;

fn small_summary() -> nursequeue::Summary {
    let scenario = nursequeue::scenario::load_str("snapshot.toml", SMALL, &[]).expect("valid");
    nursequeue::run(&scenario, 1).expect("runs")
}

#[test]
fn summary_json_snapshot_without_the_run_block() {
    let s = small_summary();
    // `Summary` serializes its results only: wall time and threads are kept apart.
    let json = serde_json::to_string_pretty(&s).unwrap();
    assert!(!json.contains("wall_seconds"));
    insta::assert_snapshot!("summary_json", json);
    // The published document is the same with the run block added.
    let published: serde_json::Value = serde_json::from_str(&output::json::summary(&s)).unwrap();
    let mut stripped = published.clone();
    stripped.as_object_mut().unwrap().remove("run");
    assert_eq!(stripped, serde_json::from_str::<serde_json::Value>(&json).unwrap());
    assert_eq!(published["run"]["threads"], 1);
}

#[test]
fn a_summary_reads_back_from_its_json() {
    let s = small_summary();
    let published = output::json::summary(&s);
    let back: nursequeue::Summary = serde_json::from_str(&published).expect("reads back");
    assert_eq!(output::json::summary(&back), published);
    assert_eq!(output::csv::regions_csv(&back), output::csv::regions_csv(&s));
    assert_eq!(output::csv::flows_csv(&back), output::csv::flows_csv(&s));
    assert_eq!(output::csv::targets_csv(&back), output::csv::targets_csv(&s));
    assert_eq!(output::csv::settlement_csv(&back), output::csv::settlement_csv(&s));
    assert_eq!(back.metric_names, s.metric_names);
    assert_eq!(back.run, s.run);
}

#[test]
fn regions_csv_snapshot() {
    let csv = String::from_utf8(output::csv::regions_csv(&small_summary())).unwrap();
    insta::assert_snapshot!("regions_csv", csv);
}

#[test]
fn the_facade_loads_runs_compares_and_sweeps() {
    let scenario = nursequeue::load_scenario("scenarios/single-region.toml", &["horizon=3d".into(), "replications=2".into()]).unwrap();
    let summary = nursequeue::run(&scenario, 0).unwrap();
    let share = summary.value("total", "answered_share").unwrap();
    assert!(share.mean.unwrap() > 0.5 && share.mean.unwrap() <= 1.0);
    assert_eq!(summary.value("Halland", "offered"), summary.value("total", "offered"));
    // Every metric of the catalogue is reported, with its label and unit.
    for def in nursequeue::CATALOGUE {
        assert!(
            summary.metrics.iter().any(|m| m.def.key == def.key && m.def.unit == def.unit),
            "{}",
            def.key
        );
    }
    let comparison = nursequeue::compare(&[scenario.clone(), scenario.clone()], 0).unwrap();
    let d = comparison.differences[0].total[comparison.metric_names.iter().position(|m| m == "answered_share").unwrap()];
    assert_eq!(d.mean, Some(0.0), "the same scenario twice: no difference");
    let points = nursequeue::sweep(
        "scenarios/single-region.toml",
        &["horizon=2d".into(), "replications=2".into()],
        &["region.Halland.shifts.0.nurses=10,14".into()],
        0,
    )
    .unwrap();
    assert_eq!(points.len(), 2);
    assert_eq!(
        points[0].values,
        vec![("region.Halland.shifts.0.nurses".to_string(), "10".to_string())]
    );
    let within = |p: &nursequeue::SweepPoint| p.summary.value("total", "answered_within_5m").unwrap().mean.unwrap();
    assert!(within(&points[1]) > within(&points[0]), "more nurses answer sooner");
    // Errors are std errors that say what is wrong.
    let e = nursequeue::load_scenario("scenarios/no-such-file.toml", &[]).unwrap_err();
    let as_std: &dyn std::error::Error = &e;
    assert!(as_std.to_string().contains("no-such-file"), "{e}");
    let e = nursequeue::sweep("scenarios/single-region.toml", &[], &["no-equals-sign".into()], 0).unwrap_err();
    assert!(e.to_string().contains("KEY=V1,V2"), "{e}");
}
