//! Hostile input and interruptions: bounded work, bounded memory, well-defined
//! empty figures, clean Ctrl-C, and determinism across thread counts.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn an_endless_queue_is_capped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "flood.toml",
        r#"start = "2024-01-01"
horizon = "2d"
replications = 2
[[region]]
name = "Flooded"
calls_per_day = 400000
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "none" }
shifts = [ { from = "00:00", to = "24:00", nurses = 2 } ]
"#,
    );
    let o = nursequeue().arg("run").arg(&path).args(["--format", "json"]).output().unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["warnings"][0].as_str().unwrap().contains("reached 250000 waiting calls"));
    let r = &v["regions"][0];
    let get = |m: &str| r[m]["mean"].as_f64().unwrap();
    assert!(get("calls_over_capacity") > 100_000.0);
    assert!(get("still_waiting") <= 250_000.0);
    assert_eq!(
        get("offered"),
        get("answered") + get("abandoned") + get("blocked") + get("still_waiting")
    );
}

#[test]
fn very_large_work_needs_allow_large() {
    nursequeue()
        .args([
            "run",
            "scenarios/national-10.toml",
            "--set",
            "horizon=520w",
            "--replications",
            "500",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("billion calls").and(predicate::str::contains("--allow-large")));
    nursequeue()
        .args([
            "sweep",
            "scenarios/national-10.toml",
            "--set",
            "horizon=52w",
            "--vary",
            "region.Kalmar.shifts.0.nurses=1..200",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-large"));
}

#[test]
fn empty_denominators_are_null_not_nan() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "empty.toml",
        r#"start = "2024-01-01"
horizon = "1w"
replications = 3
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "Silent"
calls_per_week = 0
shifts = [ { from = "00:00", to = "24:00", nurses = 2 } ]
[[region]]
name = "Unstaffed"
calls_per_week = 100
[[target]]
metric = "mean_wait"
at_most = "5m"
region = "Unstaffed"
[[target]]
metric = "answered_share"
at_least = 0.5
region = "Silent"
per = "day"
"#,
    );
    let out = dir.path().join("out");
    let o = nursequeue()
        .arg("run")
        .arg(&path)
        .args(["--format", "json", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("NaN") && !text.contains("inf"));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["regions"][0]["answered_share"]["mean"],
        serde_json::Value::Null,
        "no calls: no share"
    );
    assert_eq!(v["regions"][0]["offered"]["mean"], 0.0);
    assert_eq!(
        v["regions"][1]["occupancy"]["mean"],
        serde_json::Value::Null,
        "no nurses: no occupancy"
    );
    assert_eq!(
        v["regions"][1]["mean_wait_answered"]["mean"],
        serde_json::Value::Null,
        "nobody answered"
    );
    assert_eq!(v["targets"][0]["met"], serde_json::Value::Null);
    assert_eq!(v["targets"][1]["periods_judged"], 0);
    for f in ["regions.csv", "targets.csv", "by_hour.csv"] {
        let csv = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!csv.contains("NaN") && !csv.contains("inf"), "{f}");
    }
    nursequeue()
        .arg("run")
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("—"));
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let run = |threads: &str| {
        let o = nursequeue()
            .args([
                "run",
                "scenarios/national-10.toml",
                "--set",
                "horizon=1w",
                "--replications",
                "9",
                "--format",
                "json",
                "--threads",
                threads,
            ])
            .output()
            .unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object_mut().unwrap().remove("run");
        serde_json::to_string(&v).unwrap()
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("8"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_sweep_cleanly_and_resume_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "sweep",
            "scenarios/national-10.toml",
            "--replications",
            "4",
            "--progress",
            "none",
            "--vary",
            "region.*.volume_factor=0.8,0.9,1.0,1.1,1.2,1.3",
            "--vary",
            "agreement.national.overflow_after=0m,2m,4m,8m,never",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(["--out".into(), out.display().to_string()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let bin = assert_cmd::cargo::cargo_bin("nursequeue");
    let mut child = std::process::Command::new(&bin)
        .args(args(&[]))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until some points are written, then press Ctrl-C.
    let points = out.join("points");
    let started = std::time::Instant::now();
    while std::fs::read_dir(&points).map(|d| d.count()).unwrap_or(0) < 2
        && started.elapsed().as_secs() < 120
        && child.try_wait().unwrap().is_none()
    {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_ne!(
        o.status.code(),
        Some(0),
        "the sweep finished before the interrupt, so nothing was tested: make it longer"
    );
    assert_eq!(o.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    assert!(!out.join("sweep.csv").exists(), "no half result");
    let stray: Vec<_> = std::fs::read_dir(&points)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with("point-"))
        .collect();
    assert!(stray.is_empty(), "temporary files left behind: {stray:?}");
    for e in std::fs::read_dir(&points).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).expect("every kept point is complete JSON");
    }
    Command::new(&bin).args(args(&["--resume"])).assert().success();
    assert_eq!(std::fs::read_to_string(out.join("sweep.csv")).unwrap().lines().count(), 1 + 30);
}
