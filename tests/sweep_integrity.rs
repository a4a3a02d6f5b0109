//! Sweep and merge integrity: `--resume` and `merge` refuse (exit 2, with the
//! file and what to do) every point or part that does not belong — another
//! plan, edited, truncated, empty, duplicated, swapped or renamed — two
//! sweeps cannot write one folder, and absurd sizes are refused before
//! anything is allocated.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

fn sweep_cmd(out: &Path, vary: &str, extra: &[&str]) -> Command {
    let mut c = nursequeue();
    c.args([
        "sweep",
        "scenarios/overflow-3-after-4m.toml",
        "--replications",
        "2",
        "--set",
        "horizon=1w",
        "--progress",
        "none",
        "--vary",
        "region.*.volume_factor=1.0,1.2",
        "--vary",
        vary,
        "--out",
    ])
    .arg(out)
    .args(extra);
    c
}

const GRID: &str = "agreement.overflow.overflow_after=0m,4m,never";

fn point(out: &Path, i: usize) -> PathBuf {
    out.join(format!("points/point-{i:06}.json"))
}

/// A finished sweep of 6 points in `out`, with sweep.csv removed so that a
/// `--resume` has to assemble again.
fn finished(out: &Path) {
    sweep_cmd(out, GRID, &[]).assert().success();
    std::fs::remove_file(out.join("sweep.csv")).unwrap();
}

fn resume_refused(out: &Path, needle: &str) {
    sweep_cmd(out, GRID, &["--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle).and(predicate::str::contains("--resume")));
    assert!(!out.join("sweep.csv").exists(), "nothing assembled from a refused folder");
}

#[test]
fn resume_refuses_points_that_do_not_belong() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    finished(&out);
    let good = std::fs::read(point(&out, 2)).unwrap();
    let restore = || std::fs::write(point(&out, 2), &good).unwrap();

    // Edited: one digit of a figure changed.
    let text = String::from_utf8(good.clone()).unwrap();
    let at = text.find("\"mean\":").unwrap() + 8;
    let mut edited = text.clone().into_bytes();
    edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(point(&out, 2), &edited).unwrap();
    resume_refused(&out, "edited");
    restore();

    // Truncated and empty files.
    std::fs::write(point(&out, 2), &good[..good.len() / 2]).unwrap();
    resume_refused(&out, "truncated");
    std::fs::write(point(&out, 2), b"").unwrap();
    resume_refused(&out, "empty");
    restore();

    // A point copied under another point's name: the index does not match.
    std::fs::copy(point(&out, 2), point(&out, 3)).unwrap();
    resume_refused(&out, "holds point 2 where point 3 belongs");
    std::fs::remove_file(point(&out, 3)).unwrap();

    // A copy under a name that is not a point's.
    std::fs::copy(point(&out, 2), out.join("points/point-000002 (copy).json")).unwrap();
    resume_refused(&out, "not a point file");
    std::fs::remove_file(out.join("points/point-000002 (copy).json")).unwrap();

    // A point beyond the grid.
    std::fs::copy(point(&out, 2), point(&out, 17)).unwrap();
    resume_refused(&out, "not part of this sweep");
    std::fs::remove_file(point(&out, 17)).unwrap();

    // A point of another sweep (another grid, same scenario).
    let other = dir.path().join("other");
    sweep_cmd(&other, "agreement.overflow.overflow_after=1m,2m,3m", &[])
        .assert()
        .success();
    std::fs::copy(point(&other, 2), point(&out, 2)).unwrap();
    resume_refused(&out, "another sweep");
    restore();

    // Point 3 was lost above (its copy removed) and point 4 is lost too:
    // resume redoes them, and the result is the whole sweep again.
    assert!(!point(&out, 3).exists());
    std::fs::remove_file(point(&out, 4)).unwrap();
    sweep_cmd(&out, GRID, &["--resume"]).assert().success();
    let reference = dir.path().join("reference");
    sweep_cmd(&reference, GRID, &[]).assert().success();
    for f in ["sweep.csv", "sweep.json", "report.html"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(reference.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn a_new_sweep_in_an_old_folder_never_mixes_with_it() {
    // The case from the field: a folder that held an older sweep, a new sweep
    // started there (stopped early), then resumed: only the new sweep's points.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep_cmd(&out, "agreement.overflow.overflow_after=1m,2m,3m,5m", &[])
        .assert()
        .success();
    // The new sweep starts afresh: the old points are cleared, the old results removed.
    sweep_cmd(&out, GRID, &[]).assert().success();
    let names: Vec<_> = std::fs::read_dir(out.join("points"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 6, "only the new sweep's 6 points: {names:?}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 7);
    assert!(!csv.contains(",1m,") && !csv.contains(",5m,"), "{csv}");
    // --resume with another grid is refused rather than mixed in.
    sweep_cmd(&out, "agreement.overflow.overflow_after=1m,2m,3m,5m", &["--resume"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("different sweep"));
}

#[cfg(target_os = "linux")]
#[test]
fn two_sweeps_cannot_write_one_folder_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let long = |c: &mut std::process::Command| {
        c.args([
            "sweep",
            "scenarios/national-10.toml",
            "--set",
            "horizon=520w",
            "--replications",
            "1",
            "--threads",
            "1",
            "--progress",
            "none",
            "--vary",
            "region.Kalmar.shifts.0.nurses=3,4",
            "--out",
        ])
        .arg(&out);
    };
    let mut first = std::process::Command::new(assert_cmd::cargo::cargo_bin("nursequeue"));
    long(&mut first);
    let mut first = first
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (a generous guard only against a hang) until the first holds the lock.
    let plan = out.join("sweep-plan.json");
    for _ in 0..120_000 {
        if plan.exists() || first.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(first.try_wait().unwrap().is_none(), "the first sweep should still be running");
    let second = sweep_cmd(&out, GRID, &[]).output().unwrap();
    let running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(running, "the first sweep finished too early for the test");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("another sweep is writing into") && stderr.contains(".sweep.lock"),
        "{stderr}"
    );
    // The first was killed (SIGKILL): the system released its lock, so a new
    // sweep can use the folder without any manual clean-up.
    sweep_cmd(&out, GRID, &[]).assert().success();
}

fn shards(parts: &Path) {
    for k in 0..3 {
        sweep_cmd(parts, GRID, &["--shard", &format!("{k}/3")]).assert().success();
    }
}

fn merge_refused(parts: &Path, needle: &str) {
    let out = parts.parent().unwrap().join("merged");
    nursequeue()
        .arg("merge")
        .arg(parts)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(needle));
    assert!(!out.join("sweep.csv").exists(), "nothing written from refused parts");
}

fn part(parts: &Path, k: usize) -> PathBuf {
    parts.join(format!("part-{k}-of-3.jsonl"))
}

#[test]
fn merge_refuses_parts_that_do_not_belong() {
    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    shards(&parts);
    let good = std::fs::read_to_string(part(&parts, 1)).unwrap();
    let restore = || std::fs::write(part(&parts, 1), &good).unwrap();

    // A figure of a point edited.
    let at = good.find("\"mean\":").unwrap() + 8;
    let mut edited = good.clone().into_bytes();
    edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(part(&parts, 1), &edited).unwrap();
    merge_refused(&parts, "edited");
    restore();

    // The scenario text edited (in the header).
    std::fs::write(part(&parts, 1), good.replacen("nurses", "nurzes", 1)).unwrap();
    merge_refused(&parts, "edited");
    restore();

    // Truncated, and empty.
    std::fs::write(part(&parts, 1), &good[..good.len() * 2 / 3]).unwrap();
    merge_refused(&parts, "part-1-of-3.jsonl");
    std::fs::write(part(&parts, 1), "").unwrap();
    merge_refused(&parts, "empty");
    restore();

    // Two point lines swapped inside a part.
    let mut lines: Vec<&str> = good.lines().collect();
    lines.swap(1, 2);
    std::fs::write(part(&parts, 1), lines.join("\n") + "\n").unwrap();
    merge_refused(&parts, "where point");
    restore();

    // A part given twice.
    std::fs::copy(part(&parts, 1), parts.join("part-1-of-3-copy.jsonl")).unwrap();
    merge_refused(&parts, "both shard 1/3");
    std::fs::remove_file(parts.join("part-1-of-3-copy.jsonl")).unwrap();

    // A part of another sweep.
    let other = dir.path().join("other");
    for k in 0..3 {
        sweep_cmd(
            &other,
            "agreement.overflow.overflow_after=1m,2m,3m",
            &["--shard", &format!("{k}/3")],
        )
        .assert()
        .success();
    }
    std::fs::copy(part(&other, 1), part(&parts, 1)).unwrap();
    merge_refused(&parts, "different sweep");
    restore();

    // A missing part.
    std::fs::remove_file(part(&parts, 2)).unwrap();
    merge_refused(&parts, "missing part-2-of-3.jsonl");
}

#[cfg(target_os = "linux")]
#[test]
fn absurd_sizes_are_refused_before_anything_is_allocated() {
    let dir = tempfile::tempdir().unwrap();
    // Under a 1 GB address-space limit: a grid of 10^8 points, or a part
    // claiming 10^12 points, must be refused without allocating them.
    let limited = |args: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v 1000000; exec {} {args}",
                assert_cmd::cargo::cargo_bin("nursequeue").display()
            ))
            .output()
            .unwrap()
    };
    let o = limited(
        "sweep scenarios/single-region.toml --vary region.Halland.calls_per_day=1..10000 --vary region.Halland.shifts.0.nurses=1..10000",
    );
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("100000000 points; at most 100000"));

    let parts = dir.path().join("parts");
    shards(&parts);
    let good = std::fs::read_to_string(part(&parts, 0)).unwrap();
    let huge = good.replacen("\"points\":6", "\"points\":1000000000000", 1);
    assert_ne!(huge, good);
    std::fs::write(part(&parts, 0), huge).unwrap();
    let o = limited(&format!("merge {} --out {}", parts.display(), dir.path().join("m").display()));
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("claims 1000000000000 points"));

    // Each point's own work is counted: one point with an absurd volume is caught.
    nursequeue()
        .args(["sweep", "scenarios/single-region.toml", "--vary", "region.*.volume_factor=1,1e300"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("calls"));
}

/// A point line of a sweep written before points were typed (cluster-3-2024,
/// a week, two replications, a daily target with `met_in`, so that it holds
/// `reached`): the typed point reads it and writes the same bytes.
const OLD_POINT: &str = "tests/fixtures/sweep-point-v1.json";

#[test]
fn a_point_written_by_the_previous_release_reads_back_to_the_same_bytes() {
    use nursequeue::sweep::{store, Point};
    let line = std::fs::read(OLD_POINT).unwrap();
    let plan_id = std::str::from_utf8(&line[9..73]).unwrap();
    let body = store::open_point_line(&line, plan_id).unwrap();
    let point: Point = serde_json::from_slice(body).unwrap();
    assert_eq!(point.index, 1);
    assert_eq!(point.values.get("agreement.0.overflow_after").map(String::as_str), Some("4m"));
    let target = &point.summary.targets[0];
    assert!(
        target.reached.is_some() && target.met_in == Some(0.5),
        "the fixture holds reached and met_in"
    );
    assert_eq!(point.to_json(), std::str::from_utf8(body).unwrap());
    assert_eq!(store::point_line(plan_id, &point.to_json()).as_bytes(), &line[..]);
    // sweep.json holds the same point pretty-printed: as the JSON tree of its bytes is.
    let tree: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(
        serde_json::to_string_pretty(&point).unwrap(),
        serde_json::to_string_pretty(&tree).unwrap()
    );
}

#[test]
fn a_fresh_point_is_written_with_every_key_in_alphabetical_order() {
    use nursequeue::sweep::Point;
    let sets = ["horizon=1w".to_string(), "replications=2".to_string()];
    let scenario = nursequeue::load_scenario("scenarios/national-10.toml", &sets).unwrap();
    let summary = nursequeue::run(&scenario, 1).unwrap();
    assert!(summary.targets.iter().any(|t| t.reached.is_some()), "targets with reached");
    let point = Point {
        index: 7,
        summary,
        values: [("region.Kalmar.shifts.0.nurses".to_string(), "5".to_string())].into(),
    };
    let text = point.to_json();
    // A JSON tree orders the keys of every object alphabetically, as point files always had them.
    let tree: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(text, serde_json::to_string(&tree).unwrap());
    assert!(!text.contains("\"run\""), "no run block in a point");
    let back: Point = serde_json::from_str(&text).unwrap();
    assert_eq!(back.to_json(), text, "a point reads back to the same bytes");
}

/// A part of a sweep written before parts were typed (single-region, a week,
/// two replications, two points, shard 0/1).
const OLD_PART: &str = "tests/fixtures/sweep-part-v1.jsonl";

#[test]
fn a_part_written_by_the_previous_release_reads_back_to_the_same_bytes_and_merges() {
    use nursequeue::sweep::{store, Plan};
    let text = std::fs::read_to_string(OLD_PART).unwrap();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    assert_eq!(lines.len(), 4, "a header, two points, an end line");
    let header: store::PartHeader = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(serde_json::to_string(&header).unwrap() + "\n", lines[0]);
    let plan = Plan::from_file(header.plan.clone()).unwrap();
    assert_eq!(plan.id(), header.plan_id, "the same plan id from the typed plan");
    for (i, line) in lines[1..3].iter().enumerate() {
        let body = store::open_point_line(line.as_bytes(), &header.plan_id).unwrap();
        let point = store::check_point(body, &plan, i).unwrap();
        assert_eq!(store::point_line(&header.plan_id, &point.to_json()), *line);
    }
    let end: store::PartEnd = serde_json::from_str(lines[3]).unwrap();
    assert_eq!(serde_json::to_string(&end).unwrap() + "\n", lines[3]);

    let dir = tempfile::tempdir().unwrap();
    let parts = dir.path().join("parts");
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::copy(OLD_PART, parts.join("part-0-of-1.jsonl")).unwrap();
    let merged = dir.path().join("merged");
    nursequeue().arg("merge").arg(&parts).arg("--out").arg(&merged).assert().success();
    let csv = std::fs::read_to_string(merged.join("sweep.csv")).unwrap();
    assert_eq!(csv.lines().count(), 3, "a header and one row per point");
    assert!(csv.lines().nth(2).unwrap().starts_with("1,120,"));
}
