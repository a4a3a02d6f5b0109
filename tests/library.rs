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

// ---------------------------------------------------------------------------
// The scenario library: every file in scenarios/ checks and runs, its short-run
// figures are pinned by snapshots, and the calibrated files reproduce the
// reported figures they were fitted to.

/// Every `.toml` directly in scenarios/ (the observed files live in a subfolder).
fn library_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files
}

/// A short, readable digest of a run: the figures a reader of the scenario
/// would quote, per region and in total.
fn digest(s: &nursequeue::Summary) -> String {
    let mut out = String::new();
    let groups = s.region_names.iter().map(String::as_str).chain(["total"]);
    for group in groups {
        let cell = |key: &str| match s.value(group, key).and_then(|e| e.mean) {
            Some(v) => format!("{v:.4}"),
            None => "-".to_string(),
        };
        out.push_str(&format!(
            "{group}: offered {} answered_share {} answered_within_5m {} wait_p75 {}\n",
            cell("offered"),
            cell("answered_share"),
            cell("answered_within_5m"),
            cell("wait_p75")
        ));
    }
    out
}

#[test]
fn every_library_scenario_checks_runs_and_keeps_its_figures() {
    let files = library_files();
    assert!(files.len() >= 12, "the library lost files: {files:?}");
    for path in files {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        // Short: ten days (after each file's own warmup), two replications.
        let overrides = ["horizon=10d".to_string(), "replications=2".to_string()];
        let scenario = nursequeue::load_scenario(&path, &overrides).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let summary = nursequeue::run(&scenario, 0).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let offered = summary.value("total", "offered").and_then(|e| e.mean).unwrap();
        assert!(offered > 0.0, "{stem}: no calls");
        insta::assert_snapshot!(format!("scenario_{stem}"), digest(&summary));
    }
}

/// The `[defaults]` block (caller behaviour and shapes) of a scenario file, as written.
fn defaults_block(path: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("\n[defaults]").expect("a [defaults] block");
    let end = text[start..].find("[[region]]").map(|i| start + i).unwrap();
    text[start..end].trim().to_string()
}

#[test]
fn the_norrbotten_months_share_one_caller_behaviour() {
    let months = ["2018-10", "2020-03", "2020-10", "2020-11"];
    let blocks: Vec<String> = months
        .iter()
        .map(|m| defaults_block(&format!("scenarios/norrbotten-{m}.toml")))
        .collect();
    for (m, b) in months.iter().zip(&blocks) {
        assert_eq!(
            b, &blocks[3],
            "norrbotten-{m}.toml's [defaults] differ from November 2020's, where they were fitted"
        );
    }
    // Only volume and staffing differ: the shifts are the same table in every month.
    let shifts = |m: &str| {
        let s = nursequeue::load_scenario(format!("scenarios/norrbotten-{m}.toml"), &[]).unwrap();
        format!("{:?}", s.regions[0].shifts)
    };
    for m in months {
        assert_eq!(shifts(m), shifts("2020-11"), "{m}");
    }
}

/// Whether `reported` lies in the 95 % prediction interval of ONE simulated
/// period: the replications' mean ± t·sd·√(1 + 1/n), the sd recovered from the
/// confidence interval of the mean. A reported month is one draw of the
/// month, not a mean of many, so this is the band it must fall in.
fn in_prediction_band(summary: &nursequeue::Summary, group: &str, key: &str, reported: f64) -> (bool, f64, f64) {
    let e = summary.value(group, key).unwrap();
    let (mean, (lo, hi)) = (e.mean.unwrap(), e.ci95.unwrap());
    let n = e.n as f64;
    let half = (hi - lo) / 2.0; // t · sd / √n
    let band = half * n.sqrt() * (1.0 + 1.0 / n).sqrt();
    ((reported - mean).abs() <= band, mean, band)
}

#[test]
fn kalmar_2021_answers_about_8_percent_within_9_minutes() {
    let scenario = nursequeue::load_scenario("scenarios/kalmar-2021.toml", &[]).unwrap();
    let summary = nursequeue::run(&scenario, 0).unwrap();
    let (ok, mean, band) = in_prediction_band(&summary, "Kalmar", "answered_within_9m", 0.08);
    assert!(ok, "Kalmar within 9 minutes: simulated {mean:.4} ± {band:.4}, reported 0.08 [001]");
    // National answered shares plausible against the published 78.5–81 % [004]:
    // the observation calibrate used, 0.785 with sd 0.02, at two sd.
    let total = summary.value("total", "answered_share").unwrap().mean.unwrap();
    assert!((0.745..=0.825).contains(&total), "answered share {total}");
    // R8 [001]: the collaborating regions' queue times "ligger på ungefär samma
    // nivåer" — not fitted, so a check: the ten regions' mean waits of answered
    // calls lie within a factor 1.5 of each other.
    let waits: Vec<f64> = summary
        .region_names
        .iter()
        .filter(|r| r.as_str() != "National queue")
        .map(|r| summary.value(r, "mean_wait_answered").unwrap().mean.unwrap())
        .collect();
    assert_eq!(waits.len(), 10);
    let (lo, hi) = waits.iter().fold((f64::MAX, 0.0_f64), |(lo, hi), &w| (lo.min(w), hi.max(w)));
    assert!(hi <= 1.5 * lo, "mean waits range {lo:.1}–{hi:.1} minutes");
}

#[test]
fn the_norrbotten_months_reproduce_the_reported_answered_shares_and_p75_band() {
    // R1, R4, R3, R5 [003]; R2: 75th percentile wait of answered calls 13–33 min (2020).
    for (m, reported, in_2020) in [
        ("2020-11", 0.6954, true),
        ("2020-03", 0.6964, true),
        ("2020-10", 0.7950, true),
        ("2018-10", 0.7128, false),
    ] {
        let scenario = nursequeue::load_scenario(format!("scenarios/norrbotten-{m}.toml"), &[]).unwrap();
        let summary = nursequeue::run(&scenario, 0).unwrap();
        let (ok, mean, band) = in_prediction_band(&summary, "Norrbotten", "answered_share", reported);
        assert!(ok, "{m}: answered share {mean:.4} ± {band:.4}, reported {reported}");
        let p75 = summary.value("Norrbotten", "wait_p75").unwrap().ci95.unwrap();
        if in_2020 {
            assert!(p75.0 >= 13.0 && p75.1 <= 33.0, "{m}: p75 wait {p75:?} outside 13–33 minutes");
        }
    }
}

/// The value a month file carries as "fitted by calibrate" is what `calibrate`
/// finds from the observed file next to it (its 95 % interval holds it), so
/// the file cannot drift from its documented fit.
#[test]
fn the_fitted_norrbotten_staffing_is_what_calibrate_finds() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_nursequeue"))
        .args([
            "calibrate",
            "scenarios/norrbotten-2020-10.toml",
            "--observed",
            "scenarios/observed/norrbotten-2020-10.toml",
            "--free",
            "region.Norrbotten.shrinkage=0..0.6",
            "--format",
            "json",
            "--progress",
            "none",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fit["fits"], true, "{fit}");
    assert_eq!(fit["identifiable"], true, "{fit}");
    let ci = &fit["parameters"][0]["ci95"];
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    let scenario = nursequeue::load_scenario("scenarios/norrbotten-2020-10.toml", &[]).unwrap();
    let in_file = scenario.regions[0].shrinkage;
    assert!((lo..=hi).contains(&in_file), "file has {in_file}, calibrate finds {lo}..{hi}");
}
