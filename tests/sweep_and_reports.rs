//! Sweeps, shards, merge, resume, charts and the HTML report, through the real binary.

use assert_cmd::Command;
use std::path::Path;

#[path = "support/pixels.rs"]
mod pixels;
use pixels::rgb_pixels;

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

const VARY: [&str; 4] = [
    "--vary",
    "agreement.overflow.overflow_after=0m,4m,never",
    "--vary",
    "region.*.volume_factor=1.0,1.2",
];

fn sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = nursequeue();
    cmd.args([
        "sweep",
        "scenarios/overflow-3-after-4m.toml",
        "--replications",
        "3",
        "--set",
        "horizon=1w",
        "--progress",
        "none",
    ])
    .args(VARY)
    .arg("--out")
    .arg(out)
    .args(extra);
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    o
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|_| panic!("{} missing", path.display()))
}

const ASSEMBLED: [&str; 4] = ["sweep.csv", "sweep_regions.csv", "sweep.json", "report.html"];

#[test]
fn a_sweep_is_the_same_on_one_or_two_threads_and_in_shards() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    sweep(&one, &["--threads", "1"]);
    sweep(&two, &["--threads", "2"]);
    for f in ASSEMBLED {
        assert_eq!(read(&one.join(f)), read(&two.join(f)), "{f} differs between thread counts");
    }
    let csv = String::from_utf8(read(&one.join("sweep.csv"))).unwrap();
    assert_eq!(csv.lines().count(), 1 + 6, "one row per point");
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("point,agreement.overflow.overflow_after,region.*.volume_factor,"));
    // Three shards, merged, give the same bytes.
    let parts = dir.path().join("parts");
    for k in 0..3 {
        sweep(&parts, &["--shard", &format!("{k}/3")]);
        assert!(parts.join(format!("part-{k}-of-3.jsonl")).exists());
    }
    let merged = dir.path().join("merged");
    nursequeue()
        .args(["merge"])
        .arg(&parts)
        .arg("--out")
        .arg(&merged)
        .assert()
        .success();
    for f in ASSEMBLED {
        assert_eq!(read(&one.join(f)), read(&merged.join(f)), "{f} differs after merge");
    }
    // A missing part is refused.
    std::fs::remove_file(parts.join("part-1-of-3.jsonl")).unwrap();
    nursequeue()
        .args(["merge"])
        .arg(&parts)
        .arg("--out")
        .arg(dir.path().join("bad"))
        .assert()
        .code(2);
}

#[test]
fn a_sweep_point_equals_a_run_of_that_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = sweep(&out, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let point = &v["points"][4];
    assert_eq!(point["values"]["agreement.overflow.overflow_after"], "never");
    let run = nursequeue()
        .args([
            "run",
            "scenarios/overflow-3-after-4m.toml",
            "--replications",
            "3",
            "--set",
            "horizon=1w",
            "--format",
            "json",
        ])
        .args([
            "--set",
            "agreement.overflow.overflow_after=never",
            "--set",
            "region.*.volume_factor=1.0",
        ])
        .output()
        .unwrap();
    let mut r: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    r.as_object_mut().unwrap().remove("run");
    assert_eq!(point["summary"], r, "the same point through run and sweep");
}

#[test]
fn resume_skips_finished_points() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    sweep(&out, &[]);
    let full = read(&out.join("sweep.csv"));
    // Lose two points and the results, as an interrupted run would.
    for i in [1, 4] {
        std::fs::remove_file(out.join(format!("points/point-{i:06}.json"))).unwrap();
    }
    std::fs::remove_file(out.join("sweep.csv")).unwrap();
    let before: Vec<_> = (0..6)
        .map(|i| {
            std::fs::metadata(out.join(format!("points/point-{i:06}.json")))
                .ok()
                .map(|m| m.modified().unwrap())
        })
        .collect();
    let o = sweep(&out, &["--resume", "--progress", "lines"]);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        log.contains("6/6 points, 6/6 replications"),
        "only 2 points × 3 replications run again: {log}"
    );
    for (i, t) in before.iter().enumerate() {
        if let Some(t) = t {
            assert_eq!(
                Some(*t),
                std::fs::metadata(out.join(format!("points/point-{i:06}.json")))
                    .ok()
                    .map(|m| m.modified().unwrap()),
                "point {i} was redone"
            );
        }
    }
    assert_eq!(full, read(&out.join("sweep.csv")));
    // Another grid in the same folder is refused rather than mixed in.
    let mut cmd = nursequeue();
    cmd.args([
        "sweep",
        "scenarios/overflow-3-after-4m.toml",
        "--replications",
        "3",
        "--progress",
        "none",
        "--vary",
        "region.Örebro.shifts.0.nurses=5..6",
        "--resume",
        "--out",
    ])
    .arg(&out);
    cmd.assert().code(2);
}

#[test]
fn bad_sweeps_are_refused_before_running() {
    nursequeue()
        .args([
            "sweep",
            "scenarios/single-region.toml",
            "--vary",
            "region.Halland.calls_per_day=100,-5",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("cannot be negative"));
    nursequeue()
        .args(["sweep", "scenarios/single-region.toml", "--vary", "nonsense"])
        .assert()
        .code(2);
    nursequeue()
        .args(["sweep", "scenarios/single-region.toml"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("nothing to vary"));
    nursequeue()
        .args(["sweep", "scenarios/single-region.toml", "--vary", "seed=1,2", "--shard", "3/3"])
        .assert()
        .code(2);
}

#[test]
fn run_and_compare_write_charts_and_a_self_contained_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    nursequeue()
        .args([
            "run",
            "scenarios/overflow-3-after-4m.toml",
            "--replications",
            "2",
            "--set",
            "horizon=1w",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    for chart in ["service_level_by_hour", "waiting_time", "flows", "staffing"] {
        let png = rgb_pixels(&out.join(format!("{chart}.png")));
        // Not blank: a chart has white background, coloured lines and dark text.
        let distinct: std::collections::HashSet<_> = png.into_iter().collect();
        assert!(distinct.len() > 20, "{chart}.png looks blank");
        let svg = String::from_utf8(read(&out.join(format!("{chart}.svg")))).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("<text"), "{chart}.svg has no text");
    }
    let html = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert_eq!(html.matches("<svg").count(), 4);
    for external in ["<script src", "<link", "url(http", "src=\"http", "<img src=\"http"] {
        assert!(!html.contains(external), "report.html must not load {external}");
    }
    assert!(html.contains("Targets") && html.contains("seed 1177") && html.contains("Assumptions"));
    let cmp = dir.path().join("cmp");
    nursequeue()
        .args([
            "compare",
            "scenarios/overflow-3-after-4m.toml",
            "scenarios/cluster-3-2024.toml",
            "--replications",
            "2",
            "--set",
            "horizon=1w",
            "--out",
        ])
        .arg(&cmp)
        .assert()
        .success();
    assert!(String::from_utf8(read(&cmp.join("report.html"))).unwrap().matches("<svg").count() >= 3);
    assert!(cmp.join("comparison.json").exists() && cmp.join("compare_answered_share.png").exists());
}

#[test]
fn the_report_of_hundreds_of_regions_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..300).map(|i| format!("Region {i:03}")).collect();
    let mut toml = String::from(
        "start = \"2024-03-04\"\nhorizon = \"1d\"\nreplications = 1\n[defaults]\nhandle_time = { dist = \"exponential\", mean = \"6m\" }\npatience = { dist = \"exponential\", mean = \"10m\" }\n",
    );
    for n in &names {
        toml += &format!("[[region]]\nname = \"{n}\"\ncalls_per_day = 50\nshifts = [{{ from = \"00:00\", to = \"24:00\", nurses = 1 }}]\n");
    }
    let members: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    toml += &format!(
        "[[agreement]]\nname = \"all\"\nmembers = [{}]\nhours = \"always\"\noverflow_after = \"4m\"\n",
        members.join(",")
    );
    let scenario = dir.path().join("many.toml");
    std::fs::write(&scenario, toml).unwrap();
    let out = dir.path().join("out");
    nursequeue().arg("run").arg(&scenario).arg("--out").arg(&out).assert().success();
    let html = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert!(html.len() < 2_000_000, "report.html has {} bytes", html.len());
    assert!(html.contains("first 20 of 300 regions"), "charts say which regions they show");
    assert!(html.contains("first 100 of 300 regions; regions.csv has all of them"));
    assert!(read(&out.join("flows.svg")).len() < 1_000_000);
    // The tables keep every region.
    let regions = String::from_utf8(read(&out.join("regions.csv"))).unwrap();
    assert_eq!(regions.lines().count(), 1 + 300 + 1 + 1);
}
