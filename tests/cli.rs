//! The real binary, run the way a user runs it.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn run_prints_a_readable_summary() {
    nursequeue()
        .args(["run", "scenarios/single-region.toml", "--replications", "3"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Halland")
                .and(predicate::str::contains("abandoned %"))
                .and(predicate::str::contains("calls simulated")),
        );
}

#[test]
fn run_json_has_the_documented_shape() {
    let out = nursequeue()
        .args(["run", "scenarios/cluster-3-2024.toml", "--format", "json", "--replications", "4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON on stdout");
    assert_eq!(v["replications"], 4);
    assert_eq!(v["seed"], 1177);
    assert_eq!(v["regions"].as_array().unwrap().len(), 3);
    let region = &v["regions"][0];
    assert_eq!(region["region"], "Jönköping");
    for metric in [
        "offered",
        "unique_callers",
        "answered",
        "abandoned",
        "blocked",
        "answered_share",
        "abandoned_share",
        "answered_within_5m",
        "answered_within_10m",
        "answered_within_5m_of_answered",
        "mean_wait_answered",
        "mean_wait_all",
        "wait_p50",
        "wait_p75",
        "wait_p90",
        "wait_p95",
        "occupancy",
        "overtime_hours",
    ] {
        assert!(region[metric]["mean"].is_number(), "{metric}");
        assert_eq!(region[metric]["ci95"].as_array().map(|a| a.len()), Some(2), "{metric}");
    }
    let share = region["answered_share"]["mean"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&share));
    assert!(v["total"]["offered"]["mean"].as_f64().unwrap() > 0.0);
    assert!(!v["flows"].as_array().unwrap().is_empty());
    assert!(v["run"]["calls_simulated"].as_u64().unwrap() > 0);
    assert!(v["run"]["wall_seconds"].is_number());
    assert!(v["run"]["threads"].is_number());
}

#[test]
fn out_writes_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    nursequeue()
        .args(["run", "scenarios/overflow-3-after-4m.toml", "--replications", "2", "--out"])
        .arg(&out)
        .assert()
        .success();
    for file in ["summary.json", "regions.csv", "by_hour.csv", "flows.csv"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap_or_else(|_| panic!("{file} missing"));
        assert!(text.lines().count() > 1, "{file} is empty");
    }
    let by_hour = std::fs::read_to_string(out.join("by_hour.csv")).unwrap();
    assert_eq!(by_hour.lines().count(), 1 + 3 * 168);
    let regions = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    assert!(regions.starts_with("kind,name,offered,offered_ci_low,offered_ci_high"));
    assert_eq!(regions.lines().count(), 1 + 3 + 1 + 1, "regions, the agreement, the total");
}

#[test]
fn same_seed_gives_identical_results_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out = dir.path().join(format!("t{threads}"));
        let o = nursequeue()
            .args([
                "run",
                "scenarios/overflow-3-after-4m.toml",
                "--replications",
                "6",
                "--format",
                "json",
                "--threads",
                threads,
                "--out",
            ])
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success());
        let mut v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        // The run block holds wall time and thread count; everything else must match.
        v.as_object_mut().unwrap().remove("run");
        (serde_json::to_string(&v).unwrap(), out)
    };
    let (one, dir1) = run("1");
    let (two, dir2) = run("2");
    assert_eq!(one, two, "JSON differs between --threads 1 and 2");
    for file in ["regions.csv", "by_hour.csv", "flows.csv"] {
        assert_eq!(
            std::fs::read(dir1.join(file)).unwrap(),
            std::fs::read(dir2.join(file)).unwrap(),
            "{file} differs"
        );
    }
    let (again, _) = run("2");
    assert_eq!(one, again, "two identical runs differ");
}

#[test]
fn check_accepts_every_example_scenario() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            nursequeue()
                .arg("check")
                .arg(&path)
                .assert()
                .success()
                .stdout(predicate::str::contains("valid"));
        }
    }
}

#[test]
fn check_lists_every_problem_with_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "bad.toml",
        r#"start = "2024-03-04"
horizon = "4w"
replications = 5
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "20m", cv = 2 }
[[region]]
name = "Kalmar"
calls_per_week = -10
shifts = [ { from = "08:00", to = "08:00", nurses = 3 } ]
[[agreement]]
name = "night"
members = ["Kalmr", "Kalmar"]
overflow_after = "4 fortnights"
hours = "all 22:00-07:00"
"#,
    );
    let expected = [
        "bad.toml:6:55",  // cv does not apply to exponential
        "bad.toml:9:18",  // negative volume
        "bad.toml:10:12", // from == to
        "bad.toml:13:12", // unknown region, with a suggestion
        "bad.toml:14:18", // bad duration
    ];
    let assert = nursequeue().arg("check").arg(&path).assert().code(2);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for place in expected {
        assert!(stderr.contains(place), "missing {place} in:\n{stderr}");
    }
    assert!(stderr.contains("did you mean `Kalmar`?"), "{stderr}");
    assert!(stderr.contains("5 problems found"), "{stderr}");
}

#[test]
fn broken_toml_is_reported_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "syntax.toml", "start = \"2024-03-04\"\nhorizon = \"4w\n");
    nursequeue()
        .arg("check")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("syntax.toml:2:").and(predicate::str::contains("TOML syntax")));
    nursequeue().arg("run").arg(&path).assert().code(2);
}

#[test]
fn run_refuses_invalid_input_without_writing_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    nursequeue()
        .args([
            "run",
            "scenarios/single-region.toml",
            "--set",
            "region.Halland.calls_per_day=-5",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--set region.Halland.calls_per_day=-5:1:").and(predicate::str::contains("cannot be negative")));
    assert!(!out.exists());
    nursequeue()
        .args(["run", "no/such/file.toml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read scenario"));
    nursequeue()
        .args(["run", "scenarios/single-region.toml", "--set", "region.Haland.calls_per_day=5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("did you mean `Halland`"));
    nursequeue().args(["run", "--bogus"]).assert().code(2);
}

#[test]
fn set_overrides_change_the_result() {
    let answered = |set: &str| {
        let o = nursequeue()
            .args([
                "run",
                "scenarios/single-region.toml",
                "--replications",
                "2",
                "--format",
                "json",
                "--set",
                set,
            ])
            .output()
            .unwrap();
        assert!(o.status.success());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["total"]["answered_share"]["mean"].as_f64().unwrap()
    };
    assert!(answered("region.Halland.shifts.0.nurses=30") > answered("region.Halland.shifts.0.nurses=18") + 0.1);
}

#[test]
fn erlang_reproduces_published_figures() {
    nursequeue()
        .args([
            "erlang",
            "--calls",
            "100",
            "--per",
            "30m",
            "--handle-time",
            "3m",
            "--patience",
            "5m",
            "--nurses",
            "13",
            "--within",
            "20s",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("22.58")
                .and(predicate::str::contains("2.50"))
                .and(predicate::str::contains("85.82"))
                .and(predicate::str::contains("75.00")),
        );
    let o = nursequeue()
        .args([
            "erlang",
            "--calls",
            "100",
            "--per",
            "30m",
            "--handle-time",
            "3m",
            "--nurses",
            "14",
            "--within",
            "20s",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!((v[0]["p_wait"].as_f64().unwrap() - 0.1741319).abs() < 1e-7);
    assert!((v[0]["answered_within_20s"].as_f64().unwrap() - 0.88835).abs() < 1e-5);
    nursequeue()
        .args(["erlang", "--calls", "10", "--handle-time", "3 fortnights", "--nurses", "2"])
        .assert()
        .code(2);
}

/// Reads a few bytes of standard output, then closes the pipe as `head -c 10` does.
fn close_early(args: &[&str]) -> std::process::Output {
    use std::io::Read;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("nursequeue"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 10];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_stops_quietly() {
    for args in [
        &[
            "run",
            "scenarios/national-10.toml",
            "--replications",
            "2",
            "--set",
            "horizon=1w",
            "--format",
            "json",
        ][..],
        &[
            "erlang",
            "--calls",
            "60",
            "--per",
            "30m",
            "--handle-time",
            "3m",
            "--nurses",
            "1..2000",
        ][..],
        &["man"][..],
        &[
            "sweep",
            "scenarios/single-region.toml",
            "--set",
            "horizon=1w",
            "--set",
            "replications=1",
            "--vary",
            "region.*.shifts.0.nurses=10..60",
            "--progress",
            "none",
            "--format",
            "json",
        ][..],
    ] {
        let out = close_early(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {stderr}", out.status);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args:?}: {stderr}"
        );
    }
}

const HOSTILE_NAMES: &str = r#"
name = "=1+1"
start = "2024-03-04"
horizon = "2d"
replications = 2
[defaults]
handle_time = { dist = "exponential", mean = "6m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "=HYPERLINK(\"http://example.invalid\",\"click\")"
calls_per_day = 300
shifts = [{ from = "00:00", to = "24:00", nurses = 3 }]
[[region]]
name = "@SUM(A1:A9)"
calls_per_day = 200
[[region]]
name = "-2+3"
calls_per_day = 100
shifts = [{ from = "00:00", to = "24:00", nurses = 2 }]
[[agreement]]
name = "+cmd|' /C calc'!A0"
members = ["=HYPERLINK(\"http://example.invalid\",\"click\")", "@SUM(A1:A9)", "-2+3"]
hours = "always"
overflow_after = "0m"
"#;

#[test]
fn csv_cells_that_look_like_formulas_are_neutralised_and_numbers_kept() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "hostile.toml", HOSTILE_NAMES);
    let out = dir.path().join("out");
    nursequeue().arg("run").arg(&scenario).arg("--out").arg(&out).assert().success();
    let mut negative_numbers = 0;
    for file in ["regions.csv", "by_hour.csv", "flows.csv", "settlement.csv"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                assert!(
                    !cell.starts_with(['=', '+', '@', '\t', '\r']),
                    "{file}: a cell a spreadsheet would run as a formula: {cell:?}"
                );
                if cell.starts_with('-') {
                    assert!(cell.parse::<f64>().is_ok(), "{file}: {cell:?} is neither neutralised nor a number");
                    negative_numbers += 1;
                }
            }
        }
        assert!(text.contains("'@SUM(A1:A9)") && text.contains("'-2+3"), "{file}:\n{text}");
    }
    let regions = std::fs::read_to_string(out.join("regions.csv")).unwrap();
    assert!(
        regions.contains("\"'=HYPERLINK(\"\"http://example.invalid\"\",\"\"click\"\")\""),
        "{regions}"
    );
    assert!(regions.contains("'+cmd|' /C calc'!A0"), "{regions}");
    assert!(
        negative_numbers > 0,
        "the region without nurses has a negative settlement balance, written as a number"
    );
    // JSON and the text table keep names as they are.
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(json["regions"][1]["region"], "@SUM(A1:A9)");
}

#[test]
fn sweep_csv_cells_that_look_like_formulas_are_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "hostile.toml", HOSTILE_NAMES);
    let out = dir.path().join("out");
    nursequeue()
        .arg("sweep")
        .arg(&scenario)
        .args(["--vary", "name==SUM(1),@x,-x", "--progress", "none", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let values: Vec<String> = reader.records().map(|r| r.unwrap()[1].to_string()).collect();
    assert_eq!(values, ["'=SUM(1)", "'@x", "'-x"], "{text}");
}

#[test]
fn out_pointing_at_a_file_is_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "results", "not a folder");
    nursequeue()
        .args(["run", "scenarios/single-region.toml", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("is a file, not a folder").and(predicate::str::contains("nothing was simulated")));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    // A folder below a file cannot be created either.
    nursequeue()
        .args(["compare", "scenarios/single-region.toml", "scenarios/single-region.toml", "--out"])
        .arg(file.join("below"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot create"));
}

#[test]
fn an_unwritable_parent_is_refused_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let parent = dir.path().join("locked");
    std::fs::create_dir(&parent).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&parent, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    // Root may write anywhere; then a read-only file system stands in for the locked folder.
    let locked = if std::fs::write(parent.join("probe"), "x").is_ok() {
        if !Path::new("/proc/self").exists() {
            return;
        }
        Path::new("/proc/nursequeue-results").to_path_buf()
    } else {
        parent.join("results")
    };
    nursequeue()
        .args(["run", "scenarios/single-region.toml", "--out"])
        .arg(&locked)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("choose a folder you can write to"));
    assert!(!locked.exists());
}

#[test]
fn a_very_long_scenario_name_still_gives_a_complete_output_set() {
    let dir = tempfile::tempdir().unwrap();
    let long = "Å".repeat(150); // 300 bytes
    let base = std::fs::read_to_string("scenarios/single-region.toml").unwrap();
    let renamed = base.replacen("name = \"Single region, stationary\"", &format!("name = \"{long}\""), 1);
    assert_ne!(renamed, base);
    let b = write(dir.path(), "long.toml", &renamed);
    let out = dir.path().join("cmp");
    nursequeue()
        .args(["compare", "scenarios/single-region.toml"])
        .arg(&b)
        .args(["--replications", "2", "--set", "horizon=2d", "--out"])
        .arg(&out)
        .assert()
        .success();
    let folders: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    let second = folders.iter().find(|f| f.starts_with("2-")).expect("the second scenario's folder");
    assert!(second.len() < 200, "{second}");
    for file in [
        "summary.json",
        "regions.csv",
        "by_hour.csv",
        "flows.csv",
        "targets.csv",
        "settlement.csv",
    ] {
        assert!(out.join(second).join(file).exists(), "{file}");
    }
    assert!(out.join("report.html").exists() && out.join("comparison.json").exists());
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".nursequeue"))
        .collect();
    assert!(left.is_empty(), "temporary folders left behind: {left:?}");
}

#[test]
fn version_completions_and_man_page() {
    nursequeue()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with(format!("nursequeue {}", env!("CARGO_PKG_VERSION"))));
    for shell in ["bash", "zsh", "fish"] {
        nursequeue()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("nursequeue").and(predicate::str::contains("compare")));
    }
    nursequeue()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH nursequeue").and(predicate::str::contains("sweep")));
}

/// Progress goes to standard error only: standard output stays the summary
/// (JSON here) whatever `--progress` says, and `none` is silent.
#[test]
fn run_and_compare_progress_never_reaches_standard_output() {
    for progress in ["auto", "bar", "lines", "none"] {
        let out = nursequeue()
            .args([
                "run",
                "scenarios/single-region.toml",
                "--replications",
                "2",
                "--format",
                "json",
                "--progress",
                progress,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{progress}: {}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("standard output is only the JSON");
        assert!(json["total"].is_object());
        if progress == "none" {
            assert!(out.stderr.is_empty(), "--progress none: {}", String::from_utf8_lossy(&out.stderr));
        }
        let out = nursequeue()
            .args([
                "compare",
                "scenarios/jonkoping-alone.toml",
                "scenarios/jonkoping-cluster.toml",
                "--replications",
                "2",
                "--set",
                "horizon=1w",
                "--format",
                "json",
                "--progress",
                progress,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{progress}: {}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("standard output is only the JSON");
        assert!(json["differences"].is_array());
    }
}
