//! `nursequeue staff`: exact answers on stationary queues (exact Erlang A),
//! a certified, locally minimal week that beats scaling today's staffing by
//! one factor, determinism across threads, the JSON shape, `staffed.toml`,
//! the new keys (`cost_per_nurse_hour`, `shift_patterns`) and bad input.

mod common;

use assert_cmd::Command;
use nursequeue::erlang::Queue;
use nursequeue::scenario::Scenario;
use nursequeue::staff::{self, judge, Options, Plan, StaffResult};
use nursequeue::Runner;

fn nursequeue() -> Command {
    Command::cargo_bin("nursequeue").expect("binary")
}

fn staff_of(s: &Scenario, adjust: &[&str]) -> StaffResult {
    try_staff(s, adjust).unwrap_or_else(|e| panic!("staff failed: {e}"))
}

/// `staff` through the library, on the scenario's seed and replications.
fn try_staff(s: &Scenario, adjust: &[&str]) -> Result<StaffResult, staff::StaffError> {
    let options = Options {
        adjust: adjust.iter().map(|a| a.to_string()).collect(),
        max_nurses: None,
        seed: s.seed,
        replications: s.replications,
    };
    staff::staff(s, &options, &Runner::new(2).unwrap(), &mut |_| {})
}

/// One stationary region (exponential handle time and patience, one 24/7
/// shift) and one target over the horizon.
fn stationary(lambda: f64, handle: f64, patience: f64, nurses: u32, target: &str) -> String {
    let base = common::stationary(lambda, handle, Some(patience), nurses, "15d", 10);
    format!("{base}\n[[target]]\n{target}\n")
}

/// The least n whose exact Erlang A value meets the bound, and the values of
/// it and its neighbour below.
fn least_exact(q: impl Fn(u32) -> f64, meets: impl Fn(f64) -> bool) -> (u32, f64, f64) {
    let n = (1..200).find(|&n| meets(q(n))).expect("some n meets it");
    (n, q(n), q(n - 1))
}

#[test]
fn a_stationary_queue_gets_exactly_the_least_nurses_exact_erlang_a_allows() {
    // Each case: the bound sits between the exact values of n−1 and n, at
    // least one percentage point (or 30 % of the bound for a wait) from
    // both: five times the simulation's 95 % half-width at 10 × 14 days
    // (about 0.2 points for these shares).
    struct Case {
        lambda: f64,
        handle: f64,
        patience: f64,
        target: &'static str,
        value: fn(&Queue) -> f64,
        at_least: bool,
        bound: f64,
    }
    let cases = [
        Case {
            lambda: 0.5,
            handle: 8.0,
            patience: 10.0,
            target: "metric = \"answered_within\"\nwithin = \"5m\"\nat_least = 0.80",
            value: |q| q.answered_within(5.0),
            at_least: true,
            bound: 0.80,
        },
        Case {
            lambda: 1.0,
            handle: 10.0,
            patience: 20.0,
            target: "metric = \"answered_share\"\nat_least = 0.948",
            value: |q| 1.0 - q.p_abandon(),
            at_least: true,
            bound: 0.948,
        },
        Case {
            lambda: 0.3,
            handle: 12.0,
            patience: 30.0,
            target: "metric = \"mean_wait\"\nat_most = \"1m\"",
            value: |q| q.mean_wait_answered(),
            at_least: false,
            bound: 1.0,
        },
    ];
    for c in &cases {
        let queue = |n| Queue {
            lambda: c.lambda,
            mu: 1.0 / c.handle,
            theta: 1.0 / c.patience,
            n,
        };
        let meets = |v: f64| if c.at_least { v >= c.bound } else { v <= c.bound };
        let (n, at, below) = least_exact(|n| (c.value)(&queue(n)), meets);
        let clear = if c.at_least { 0.01 } else { 0.3 * c.bound };
        assert!(
            (at - c.bound).abs() > clear && (below - c.bound).abs() > clear,
            "case not clear-cut: n={n} value {at}, n−1 value {below}, bound {}",
            c.bound
        );
        // Start far from the answer, above and below it.
        for today in [1, n + 4] {
            let s = common::scenario(&stationary(c.lambda, c.handle, c.patience, today, c.target));
            let r = staff_of(&s, &[]);
            assert_eq!(r.staffing.len(), 1);
            eprintln!(
                "{}: exact least n = {n}; staff from {today} gives {}",
                c.target.replace('\n', " "),
                r.staffing[0].nurses
            );
            assert_eq!(r.staffing[0].nurses, n, "{}", c.target);
            // The premise: the neighbours are far from the bound relative to the noise.
            let interval = r.certification.targets[0].interval;
            assert!((interval[1] - interval[0]) / 2.0 < clear / 3.0, "{interval:?}");
            assert!(r.certification.certified && r.local_minimum, "{}", staff_text(&r));
        }
    }
}

fn staff_text(r: &StaffResult) -> String {
    nursequeue::output::staffing::text(r)
}

/// A week with a daily shape (quiet nights, busy days), three shifts with
/// today's staffing flat at 6 each, and two targets.
const WEEK: &str = r#"
name = "Three shifts"
start = "2024-03-04"
horizon = "8d"
warmup = "1d"
replications = 20
seed = 7
[defaults]
hourly_rate = [0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.2, 2.0, 2.2, 2.0, 1.8, 1.6, 1.6, 1.5, 1.4, 1.4, 1.5, 1.6, 1.5, 1.2, 0.9, 0.6, 0.3]
handle_time = { dist = "exponential", mean = "8m" }
patience = { dist = "exponential", mean = "10m" }
[[region]]
name = "North"
calls_per_day = 700
shifts = [
  { days = "all", from = "07:00", to = "16:00", nurses = 6 },
  { days = "all", from = "16:00", to = "22:00", nurses = 6 },
  { days = "all", from = "22:00", to = "07:00", nurses = 6 },
]
[[target]]
metric = "answered_within"
within = "5m"
at_least = 0.8
[[target]]
metric = "answered_share"
at_least = 0.9
per = "day"
met_in = 0.8
"#;

#[test]
fn a_week_with_three_shifts_is_certified_locally_minimal_and_cheaper_than_scaling() {
    let s = common::scenario(WEEK);
    let r = staff_of(&s, &[]);
    eprintln!("{}", staff_text(&r));
    assert!(r.certification.certified, "{}", staff_text(&r));
    assert!(r.local_minimum, "{}", staff_text(&r));
    // The best staffing found by scaling today's by one factor, judged by the
    // same rule on the same certification seed.
    let plan = Plan::new(&s, &[]).unwrap();
    let runner = Runner::new(2).unwrap();
    let factors: Vec<f64> = (1..=40).map(|k| 0.1 * k as f64).collect();
    let scaled: Vec<Vec<u32>> = factors
        .iter()
        .map(|f| plan.before().iter().map(|&n| (f * n as f64).ceil() as u32).collect())
        .collect();
    let judged = judge::evaluate(&plan, &scaled, &runner, r.certification.seed, s.replications, &mut |_| {}).unwrap();
    let best = scaled
        .iter()
        .zip(&judged)
        .filter(|(_, j)| j.holds())
        .map(|(st, _)| plan.cost(st))
        .fold(f64::INFINITY, f64::min);
    eprintln!("cost found {} against {best} by scaling one factor", r.cost.after);
    assert!(best.is_finite(), "some factor up to 4 meets the targets");
    assert!(r.cost.after < best, "found {} is not cheaper than scaling ({best})", r.cost.after);
    // The daily shape asks for more nurses by day than at night.
    let nurses: Vec<u32> = r.staffing.iter().map(|x| x.nurses).collect();
    assert!(nurses[0] > nurses[2], "{nurses:?}");
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn results_do_not_depend_on_threads_and_the_json_has_its_shape() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "week.toml", WEEK);
    let json = |threads: &str| {
        let out = nursequeue()
            .args([
                "staff",
                path.to_str().unwrap(),
                "--format",
                "json",
                "--replications",
                "8",
                "--progress",
                "none",
                "--threads",
                threads,
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let one = json("1");
    assert_eq!(one, json("2"));
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    for row in v["staffing"].as_array().unwrap() {
        for key in ["region", "shift", "days", "from", "to", "nurses_before", "nurses"] {
            assert!(row.get(key).is_some(), "staffing row without {key}: {row}");
        }
    }
    assert_eq!(v["staffing"][0]["days"], "all");
    assert_eq!(v["staffing"][2]["from"], "22:00");
    for key in ["before", "after", "unit"] {
        assert!(v["cost"].get(key).is_some(), "cost without {key}");
    }
    assert_eq!(v["cost"]["unit"], "nurse hours per week");
    // Three shifts of 6 nurses covering the 24 hours of 7 days.
    assert_eq!(v["cost"]["before"], 6.0 * 24.0 * 7.0);
    let targets = v["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    assert!(targets[1].get("share_of_periods_met").is_some() && targets[1]["met_in"] == 0.8);
    let c = &v["certification"];
    assert!(c["seed"].is_u64() && c["replications"] == 8 && c["certified"].is_boolean());
    assert_eq!(c["targets"].as_array().unwrap().len(), 2);
    assert!(v["local_minimum"].is_boolean());
}

#[test]
fn staffed_toml_runs_and_reproduces_the_staffing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "week.toml", &WEEK.replace("replications = 20", "replications = 6"));
    let out_dir = dir.path().join("out");
    let out = nursequeue()
        .args([
            "staff",
            path.to_str().unwrap(),
            "--format",
            "json",
            "--progress",
            "none",
            "--out",
            out_dir.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let staffed = out_dir.join("staffed.toml");
    let s = nursequeue::load_scenario(&staffed, &[]).unwrap();
    for (row, shift) in v["staffing"].as_array().unwrap().iter().zip(&s.regions[0].shifts) {
        assert_eq!(row["nurses"].as_u64().unwrap(), shift.nurses as u64);
    }
    assert!(out_dir.join("report.html").exists() && out_dir.join("staffing.json").exists());
    let text = std::fs::read_to_string(&staffed).unwrap();
    assert!(
        text.contains("# Staffed by `nursequeue staff`") && text.contains("hourly_rate"),
        "{text}"
    );
    nursequeue()
        .args(["run", staffed.to_str().unwrap(), "--progress", "none"])
        .assert()
        .success();
}

/// A region with calls all day but only a day shift, allowed a night shift.
const PATTERNS: &str = r#"
start = "2024-03-04"
horizon = "8d"
warmup = "1d"
replications = 10
seed = 3
[defaults]
handle_time = { dist = "exponential", mean = "8m" }
patience = { dist = "exponential", mean = "10m" }
cost_per_nurse_hour = 800
shift_patterns = [ { days = "all", from = "16:00", to = "07:00" } ]
[[region]]
name = "South"
calls_per_day = 300
shifts = [ { days = "all", from = "07:00", to = "16:00", nurses = 3 } ]
[[target]]
metric = "answered_share"
at_least = 0.9
"#;

#[test]
fn shift_patterns_add_shifts_and_cost_per_nurse_hour_prices_them() {
    let s = common::scenario(PATTERNS);
    assert_eq!(s.regions[0].cost_per_nurse_hour, Some(800.0));
    assert_eq!(s.regions[0].shift_patterns.len(), 1);
    let r = staff_of(&s, &[]);
    eprintln!("{}", staff_text(&r));
    assert_eq!(r.cost.unit, "SEK per week");
    let new: Vec<_> = r.staffing.iter().filter(|x| x.new).collect();
    assert_eq!(new.len(), 1, "without a night shift the night's calls are lost");
    assert_eq!((new[0].from.as_str(), new[0].to.as_str(), new[0].shift), ("16:00", "07:00", 1));
    let hours: f64 = r.staffing.iter().map(|x| x.nurse_hours_per_week).sum();
    assert!((r.cost.after - 800.0 * hours).abs() < 1e-6);
    assert!((r.cost.before - 800.0 * 3.0 * 9.0 * 7.0).abs() < 1e-6);
    // staffed.toml gets the new shift.
    let text = staff::staffed::with_staffing(&s.source, &s, &r.staffing).unwrap();
    let again = nursequeue::scenario::load_str("staffed.toml", &text, &[]).unwrap();
    assert_eq!(again.regions[0].shifts.len(), 2);
    assert!(staff::staffed::has_staffing(&again, &r.staffing));
}

#[test]
fn check_validates_the_new_keys_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let bad = [
        ("cost_per_nurse_hour = 800", "cost_per_nurse_hour = -5", "cost_per_nurse_hour"),
        ("cost_per_nurse_hour = 800", "cost_per_nurse_hour = 9e9", "implausibly large"),
        ("from = \"16:00\", to = \"07:00\" }", "from = \"16:00\" }", "no `to`"),
        ("from = \"16:00\"", "from = \"16:00\", nurses = 2", "unknown key `nurses`"),
        ("from = \"16:00\"", "from = \"25:00\"", "from"),
    ];
    for (from, to, message) in bad {
        let path = write(dir.path(), "bad.toml", &PATTERNS.replace(from, to));
        let out = nursequeue().args(["check", path.to_str().unwrap()]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.contains(message) && err.contains("bad.toml:"), "{to}: {err}");
    }
    let twice = PATTERNS.replace(
        "shift_patterns = [ { days = \"all\", from = \"16:00\", to = \"07:00\" } ]",
        "shift_patterns = [ { days = \"all\", from = \"16:00\", to = \"07:00\" }, { from = \"16:00\", to = \"07:00\" } ]",
    );
    let path = write(dir.path(), "twice.toml", &twice);
    let out = nursequeue().args(["check", path.to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("listed twice"));
    // A region's own price and patterns replace the defaults'.
    let own = PATTERNS.replace(
        "name = \"South\"",
        "name = \"South\"\ncost_per_nurse_hour = 950\nshift_patterns = []",
    );
    let s = common::scenario(&own);
    assert_eq!(s.regions[0].cost_per_nurse_hour, Some(950.0));
    assert!(s.regions[0].shift_patterns.is_empty());
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let week = write(dir.path(), "week.toml", &WEEK.replace("replications = 20", "replications = 4"));
    let no_targets = write(dir.path(), "none.toml", &WEEK[..WEEK.find("[[target]]").unwrap()]);
    let p = week.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec![p, "--adjust", "region.Nowhere.shifts.*"], "there is no region `Nowhere`"),
        (vec![p, "--adjust", "region.North.shifts.7"], "matches no shift"),
        (vec![p, "--adjust", "region.North.nurses"], "four parts"),
        (vec![p, "--adjust", "agreement.x.shifts.0"], "only shifts of regions"),
        (vec![p, "--adjust", "region.North.shifts.day"], "not a shift position"),
        (vec![p, "--max-nurses", "0"], "--max-nurses 0"),
        (vec![p, "--replications", "1"], "between 2 and 100000"),
        (vec![no_targets.to_str().unwrap()], "no [[target]]"),
        (vec![p, "--max-nurses", "2"], "no staffing with at most 2 nurses"),
    ];
    for (args, message) in cases {
        let out = nursequeue().arg("staff").args(&args).args(["--progress", "none"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Infeasible: the best found is shown.
    let out = nursequeue()
        .args(["staff", p, "--max-nurses", "2", "--progress", "none"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 -> 2") || String::from_utf8_lossy(&out.stderr).contains("6 -> 2"));
    // With --format json the best found is the JSON on standard output (the
    // verdict on standard error, exit 2), so a script can read it.
    let out = nursequeue()
        .args(["staff", p, "--max-nurses", "2", "--progress", "none", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no staffing with at most 2 nurses"));
    let best: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the best staffing as JSON");
    assert!(!best["staffing"].as_array().unwrap().is_empty(), "{best}");
    // Prices on some regions with nurses but not on others cannot be added up.
    let mixed = WEEK.replace("name = \"North\"", "name = \"North\"\ncost_per_nurse_hour = 700")
        + "[[region]]\nname = \"East\"\ncalls_per_day = 100\nshifts = [ { from = \"00:00\", to = \"24:00\", nurses = 2 } ]\n";
    let path = write(dir.path(), "mixed.toml", &mixed);
    let out = nursequeue()
        .args(["staff", path.to_str().unwrap(), "--progress", "none"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no cost_per_nurse_hour"));
}

#[test]
fn targets_already_met_are_said_and_a_cheaper_staffing_is_still_sought() {
    let text = WEEK
        .replace("nurses = 6", "nurses = 14")
        .replace("replications = 20", "replications = 8");
    let s = common::scenario(&text);
    let r = staff_of(&s, &[]);
    assert!(r.search.targets_held_before);
    assert!(r.cost.after < r.cost.before);
    assert!(staff_text(&r).contains("already meets every target"));
}

#[test]
fn only_the_selected_shifts_change() {
    let s = common::scenario(&WEEK.replace("replications = 20", "replications = 6"));
    let r = staff_of(&s, &["region.North.shifts.0", "region.*.shifts.1"]);
    assert_eq!(r.staffing.len(), 2);
    assert_eq!((r.staffing[0].shift, r.staffing[1].shift), (0, 1));
}

#[test]
fn run_prices_the_nurse_hours_only_when_cost_per_nurse_hour_is_set() {
    let dir = tempfile::tempdir().unwrap();
    let priced = write(dir.path(), "priced.toml", PATTERNS);
    let out = nursequeue()
        .args(["run", priced.to_str().unwrap(), "--progress", "none"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Staffing cost of these hours at cost_per_nurse_hour"), "{text}");
    assert!(!text.contains("not priced"), "{text}");
    let unpriced = write(dir.path(), "unpriced.toml", &PATTERNS.replace("cost_per_nurse_hour = 800\n", ""));
    let out = nursequeue()
        .args(["run", unpriced.to_str().unwrap(), "--progress", "none"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("not priced") && !text.contains("Staffing cost"), "{text}");
}

#[test]
fn too_few_periods_for_met_in_are_explained() {
    // One judged day a replication, 10 replications: even all met cannot show 90 %.
    let text = WEEK
        .replace("replications = 20", "replications = 10")
        .replace("horizon = \"8d\"", "horizon = \"2d\"")
        .replace("met_in = 0.8", "met_in = 0.9");
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "short.toml", &text);
    let out = nursequeue()
        .args(["staff", path.to_str().unwrap(), "--progress", "none"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("10 judged periods, all met") && err.contains("--replications 35"),
        "{err}"
    );
}

/// The exact 75th percentile (minutes) of the wait of answered calls: the t
/// at which 75 % of answered calls have waited at most t (0 when more than
/// 75 % are answered at once), by bisection on the exact distribution.
fn exact_p75(q: &Queue) -> f64 {
    if q.answered_within_of_answered(0.0) >= 0.75 {
        return 0.0;
    }
    let (mut lo, mut hi) = (0.0, 1.0);
    while q.answered_within_of_answered(hi) < 0.75 {
        hi *= 2.0;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if q.answered_within_of_answered(mid) < 0.75 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    hi
}

/// A percentile target (`wait_p75` at most T) gets exactly the least nurse
/// count whose exact 75th percentile is at most T, from below and above.
#[test]
fn a_percentile_target_gets_exactly_the_least_nurses_exact_erlang_a_allows() {
    let (lambda, handle, patience) = (0.5, 8.0, 10.0);
    let queue = |n| Queue {
        lambda,
        mu: 1.0 / handle,
        theta: 1.0 / patience,
        n,
    };
    let bound = 1.3;
    let (n, at, below) = least_exact(|n| exact_p75(&queue(n)), |v| v <= bound);
    // Clear-cut: both neighbours at least 30 % of the bound away from it.
    assert!(
        (at - bound).abs() > 0.3 * bound && (below - bound).abs() > 0.3 * bound,
        "case not clear-cut: n={n} p75 {at}, n−1 p75 {below}"
    );
    for today in [1, n + 4] {
        let s = common::scenario(&stationary(
            lambda,
            handle,
            patience,
            today,
            "metric = \"wait_p75\"\nat_most = \"78s\"",
        ));
        let r = staff_of(&s, &[]);
        assert_eq!(r.staffing[0].nurses, n, "from {today}: exact p75 {at} at n, {below} at n−1");
        assert!(r.certification.certified, "{}", staff_text(&r));
    }
}

#[test]
fn a_region_with_a_staffing_factor_is_refused() {
    let text = stationary(0.5, 8.0, 10.0, 6, "metric = \"answered_share\"\nat_least = 0.9")
        .replace("[[region]]", "[[region]]\nstaffing_factor = 0.7");
    let e = try_staff(&common::scenario(&text), &[]).unwrap_err();
    assert!(e.to_string().contains("staffing factor"), "{e}");
}

/// `compare` prices each scenario's nurse hours and gives the Δ, in its text
/// and in report.html; the run report prices them too.
#[test]
fn compare_and_the_reports_show_the_staffing_cost_and_its_difference() {
    let dir = tempfile::tempdir().unwrap();
    let priced = write(dir.path(), "priced.toml", PATTERNS);
    let more = write(
        dir.path(),
        "more.toml",
        &PATTERNS.replace("cost_per_nurse_hour = 800\n", "cost_per_nurse_hour = 900\n"),
    );
    let out_dir = dir.path().join("out");
    let out = nursequeue()
        .args([
            "compare",
            priced.to_str().unwrap(),
            more.to_str().unwrap(),
            "--progress",
            "none",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("staffing cost (SEK)"), "{text}");
    // Same callers and nurses, hours 12.5 % dearer: the second costs 9/8 of
    // the first, and the Δ row is the difference.
    let table = &text[text.find("Nurse hours and settlement").expect("the money table")..];
    let cost = |name: &str| -> f64 {
        let line = table
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{text}"));
        // name, hours, ±half-width, cost, …
        line.split_whitespace().nth(3).unwrap().trim_start_matches('+').parse().unwrap()
    };
    let (first, second, delta) = (cost("priced"), cost("more"), cost("Δ"));
    assert!(first > 0.0 && (second / first - 9.0 / 8.0).abs() < 1e-4, "{text}");
    assert!((delta - (second - first)).abs() <= 1.0, "{text}");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(
        html.contains("staffing cost per replication (SEK)"),
        "the compare report prices staffing"
    );
    assert!(
        !html.contains("so staffing cost is not priced"),
        "each scenario's figures are priced"
    );
    let run_dir = dir.path().join("run");
    nursequeue()
        .args(["run", priced.to_str().unwrap(), "--progress", "none", "--out"])
        .arg(&run_dir)
        .assert()
        .success();
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(
        html.contains("Staffing cost (nurse hours logged on"),
        "the run report prices staffing"
    );
}

/// A region staffed by a rotation has no regular `shifts`: it must not be
/// left out silently (a staffing and a cost that are not the scenario's), nor
/// called a region "with fewer shifts".
#[test]
fn a_region_with_a_rotation_is_refused_not_left_out() {
    let rotation = "[region.rotation]\nstart = \"2024-03-04\"\n[[region.rotation.weeks]]\nshifts = [ { from = \"00:00\", to = \"24:00\", nurses = 6 } ]\n";
    let text = stationary(0.5, 8.0, 10.0, 6, "metric = \"answered_share\"\nat_least = 0.9");
    let at = text.find("shifts = [").unwrap();
    let end = at + text[at..].find('\n').unwrap() + 1;
    let text =
        format!("{}{}{}", &text[..at], &text[end..text.find("[[target]]").unwrap()], rotation) + &text[text.find("[[target]]").unwrap()..];
    let s = common::scenario(&text);
    assert!(s.regions[0].rotation.is_some() && s.regions[0].shifts.is_empty(), "{text}");
    for adjust in [&[][..], &["region.R.shifts.*"], &["region.*.shifts.0"]] {
        let e = try_staff(&s, adjust).unwrap_err();
        assert!(e.to_string().contains("rotation"), "{adjust:?}: {e}");
    }
}

/// `staffed.toml` sets nurses by the file's shift positions: a `--set` that
/// adds or removes regions or shifts is refused before any simulation (it
/// used to search for minutes and then fail with "a bug"), while a `--set`
/// that only changes values still writes the folder.
#[test]
fn staff_out_refuses_a_set_that_moves_shift_positions_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let week = write(dir.path(), "week.toml", &WEEK.replace("replications = 20", "replications = 2"));
    let p = week.to_str().unwrap();
    for set in [
        "region.North.shifts+={ from = \"10:00\", to = \"14:00\", nurses = 1 }",
        "region.North.shifts.0=remove",
        "region+={ name = \"X\", calls_per_day = 10, shifts = [ { from = \"07:00\", to = \"16:00\", nurses = 1 } ] }",
    ] {
        let out_dir = dir.path().join("out");
        let out = nursequeue()
            .args(["staff", p, "--set", set, "--out", out_dir.to_str().unwrap(), "--progress", "none"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{set}: {err}");
        assert!(
            err.contains("nothing was simulated") && err.contains("by their position"),
            "{set}: {err}"
        );
        assert!(!out_dir.exists(), "{set}");
    }
}

/// A staffing that misses a target cannot be called a local minimum ("one
/// nurse fewer breaks a target" when none holds): the infeasible answer said so.
#[test]
fn local_minimality_is_not_claimed_for_a_staffing_that_misses_a_target() {
    let dir = tempfile::tempdir().unwrap();
    let week = write(dir.path(), "week.toml", &WEEK.replace("replications = 20", "replications = 4"));
    let out = nursequeue()
        .args(["staff", week.to_str().unwrap(), "--max-nurses", "2", "--progress", "none"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("Certification: NOT certified"), "{err}");
    assert!(err.contains("Local minimum: not judged"), "{err}");
    assert!(!err.contains("Local minimum: yes"), "{err}");
}

/// The cost of the shifts `staff` leaves alone counts a rotation's mean week
/// and the staffing factor (both were left out: a region on a rotation cost
/// nothing, and a factor of 0.5 cost the nurses as written).
#[test]
fn the_cost_of_regions_not_adjusted_counts_rotations_and_staffing_factors() {
    let text = stationary(0.5, 8.0, 10.0, 6, "metric = \"answered_share\"\nat_least = 0.5");
    let at = text.find("[[target]]").unwrap();
    let rotation = "[[region]]\nname = \"Q\"\ncalls_per_week = 0\nstaffing_factor = 0.5\nhandle_time = { dist = \"exponential\", mean = \"8m\" }\npatience = { dist = \"exponential\", mean = \"10m\" }\n[region.rotation]\nstart = \"2024-03-04\"\n[[region.rotation.weeks]]\nshifts = [ { from = \"00:00\", to = \"24:00\", nurses = 1 } ]\n[[region.rotation.weeks]]\nshifts = [ { days = \"Mon-Fri\", from = \"08:00\", to = \"16:00\", nurses = 3 } ]\n";
    let text = format!("{}{rotation}{}", &text[..at], &text[at..]);
    let s = common::scenario(&text);
    let r = staff_of(&s, &["region.R.shifts.*"]);
    // R: 6 nurses × 168 h. Q: week 1 round(0.5) = 1 nurse × 168 h, week 2 round(1.5) = 2 × 40 h; mean 124 h.
    assert_eq!(r.cost.before, 6.0 * 168.0 + 124.0, "{}", staff_text(&r));
}
