//! `nursequeue calibrate` on synthetic truth: observations simulated with a
//! known mean patience are fitted back, the 95 % interval covers the truth,
//! and `calibrated.toml` runs as it is. (The method's coverage over many
//! trials is tested in the library's calibrate module.)

use assert_cmd::Command;
use std::path::Path;

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

const SCENARIO: &str = "scenarios/single-region.toml";

/// One observed week simulated with patience mean 15 minutes (seed 99, not
/// the scenario's: the "real" week is not one of the calibration's replications).
fn observed_week(dir: &Path) -> std::path::PathBuf {
    let out = nursequeue()
        .args(["run", SCENARIO, "--format", "json"])
        .args(["--set", "defaults.patience.mean=15m", "--set", "horizon=1w"])
        .args(["--set", "replications=1", "--set", "seed=99"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let t = &v["total"];
    let text = format!(
        "[[observed]]\nmetric = \"answered_share\"\nvalue = {}\ncount = {}\n\n[[observed]]\nmetric = \"mean_wait_all\"\nvalue = {}\n",
        t["answered_share"]["mean"], t["offered"]["mean"], t["mean_wait_all"]["mean"]
    );
    let path = dir.join("observed.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_known_patience_is_recovered_and_the_calibrated_scenario_runs() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_week(dir.path());
    let out_dir = dir.path().join("out");
    let out = nursequeue()
        .args(["calibrate", SCENARIO, "--set", "horizon=1w", "--observed"])
        .arg(&observed)
        .args([
            "--free",
            "defaults.patience.mean=3m..60m",
            "--format",
            "json",
            "--progress",
            "none",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["parameters"][0];
    assert_eq!(p["key"], "defaults.patience.mean");
    let (low, high) = (p["ci95"][0].as_f64().unwrap(), p["ci95"][1].as_f64().unwrap());
    assert!(
        low <= 15.0 && 15.0 <= high,
        "the 95 % interval {low}–{high} misses the true 15 minutes"
    );
    assert!(
        high - low < 0.5 * (60.0 - 3.0),
        "a two-metric fit should narrow the box: {low}–{high}"
    );
    assert_eq!(v["identifiable"], true);
    assert_eq!(v["fit"].as_array().unwrap().len(), 2);
    assert!(v["fit"][0]["simulated"]["ci95"][1].is_number());
    // calibrated.toml is the scenario with the estimate set, and it runs.
    let calibrated = std::fs::read_to_string(out_dir.join("calibrated.toml")).unwrap();
    assert!(calibrated.starts_with("# Calibrated by `nursequeue calibrate`"), "{calibrated}");
    assert!(calibrated.contains("mean = \"1"), "{calibrated}");
    nursequeue().arg("check").arg(out_dir.join("calibrated.toml")).assert().success();
    assert!(out_dir.join("calibration.json").exists());
    // The report names every parameter and observation, with the verdict.
    let report = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(report.contains("defaults.patience.mean"), "the parameter is in the report");
    assert!(report.contains("Share of calls answered"), "observations are labelled: {report}");
    assert!(report.contains("mean_wait_all"));
    assert!(report.contains("pinned down by the observations"), "the verdict is stated");
    assert!(report.contains("3.000m – 60.00m"), "the range searched is shown");
}

#[test]
fn a_parameter_the_observations_do_not_depend_on_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    let observed = observed_week(dir.path());
    // The price per call has no effect at all on the observed metrics.
    let out = nursequeue()
        .args(["calibrate", SCENARIO, "--set", "horizon=1w", "--observed"])
        .arg(&observed)
        .args([
            "--free",
            "defaults.patience.mean=3m..60m",
            "--free",
            "settlement.price_per_call=100..1000",
        ])
        .args(["--format", "json", "--progress", "none", "--replications", "4"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["identifiable"], false);
    assert_eq!(v["parameters"][1]["identifiable"], false);
    assert!(v["parameters"][1]["why"].as_str().unwrap().contains("flat"), "{v}");
}

#[test]
fn bad_observations_and_free_keys_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let observed = dir.path().join("observed.toml");
    std::fs::write(
        &observed,
        "[[observed]]\nmetric = \"answerd_share\"\nvalue = 0.7\n\n[[observed]]\nmetric = \"answered_share\"\nvalue = 69.5\nregion = \"Nowhere\"\n",
    )
    .unwrap();
    let out = nursequeue()
        .args(["calibrate", SCENARIO, "--observed"])
        .arg(&observed)
        .args(["--free", "defaults.patience.mean=3m..60m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("observed.toml:2:10") && err.contains("did you mean `answered_share`"),
        "{err}"
    );
    assert!(err.contains("observed.toml:7:9") && err.contains("between 0 and 1"), "{err}");
    assert!(err.contains("observed.toml:8:10") && err.contains("no region `Nowhere`"), "{err}");
    let good = observed_week(dir.path());
    for (free, says) in [
        ("defaults.patience.mean=60m..3m", "from a lower to a higher"),
        ("defaults.patience.mean=3m", "no `..`"),
        ("region.Halland.shifts.0.nurses=20..30", "whole number"),
        ("region.Nowhere.calls_per_day=1..2", "Nowhere"),
    ] {
        let out = nursequeue()
            .args(["calibrate", SCENARIO, "--observed"])
            .arg(&good)
            .args(["--free", free])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{free}: {err}");
        assert!(err.contains(says), "{free}: {err}");
    }
}

/// An observation no value in the box can reproduce is reported as a poor
/// fit, not as a confident estimate; impossible values are refused.
#[test]
fn an_unreachable_observation_is_a_poor_fit_and_impossible_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let observed = dir.path().join("low.toml");
    std::fs::write(&observed, "[[observed]]\nmetric = \"answered_share\"\nvalue = 0.1\n").unwrap();
    let out = nursequeue()
        .args(["calibrate", SCENARIO, "--set", "horizon=2d", "--replications", "2", "--observed"])
        .arg(&observed)
        .args(["--free", "defaults.patience.mean=3m..60m", "--format", "json", "--progress", "none"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["fits"], false, "{v}");
    assert!(v["notes"][0].as_str().unwrap().starts_with("POOR FIT"), "{v}");
    for text in ["value = -1", "value = 1.0\nsd = 1e200", "value = 1e308"] {
        std::fs::write(&observed, format!("[[observed]]\nmetric = \"mean_wait_answered\"\n{text}\n")).unwrap();
        let out = nursequeue()
            .args(["calibrate", SCENARIO, "--observed"])
            .arg(&observed)
            .args(["--free", "defaults.patience.mean=3m..60m"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("low.toml:"), "{text}");
    }
}
