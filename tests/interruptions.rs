//! Interrupted work: Ctrl-C in the middle of one long replication (run and
//! sweep), and sweeps stopped by SIGINT or SIGKILL at seeded random moments
//! and then resumed, which must give the bytes of an uninterrupted sweep.
//!
//! Moments are measured in CPU time of the child process (read from /proc),
//! never in wall time: the machines are shared and wall time swings.
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("nursequeue")
}

/// CPU time (user + system) used so far by a running process, in clock ticks
/// (1/100 s); `None` once it has exited.
fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: fields are counted after its `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    if f.first() == Some(&"Z") {
        return None;
    }
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// Waits until `child` has used `ticks` of CPU; false if it exited first.
/// (A generous guard only catches a hang: 20 minutes of waiting.)
fn wait_for_cpu(child: &mut Child, ticks: u64) -> bool {
    for _ in 0..(20 * 60 * 200) {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        match cpu_ticks(child.id()) {
            Some(t) if t >= ticks => return true,
            Some(_) => {}
            None => return false,
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    panic!("the child never used {ticks} ticks of CPU");
}

fn sigint(child: &Child) {
    let ok = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT failed");
}

/// Files in a folder (recursively), except the lock file.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(files(&p));
            } else if e.file_name() != ".sweep.lock" {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn ctrl_c_stops_a_long_run_in_the_middle_of_its_replication() {
    stopped_in_the_middle(&["run", "scenarios/national-10.toml"]);
}

#[test]
fn ctrl_c_stops_a_long_compare_in_the_middle_of_its_replication() {
    stopped_in_the_middle(&["compare", "scenarios/national-10.toml", "scenarios/cluster-3-2024.toml"]);
}

fn stopped_in_the_middle(command: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // One replication of ten years of national-10: seconds to tens of seconds of CPU.
    let mut child = Command::new(bin())
        .args(command)
        .args(["--set", "horizon=520w", "--replications", "1", "--threads", "1", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for_cpu(&mut child, 50),
        "the run finished (or died) before it could be interrupted: {:?}",
        child.wait_with_output().unwrap()
    );
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "Ctrl-C exits 130: {stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(o.stdout.is_empty(), "no summary printed");
    assert!(files(&out).is_empty(), "no output files: {:?}", files(&out));
}

#[test]
fn ctrl_c_stops_a_sweep_in_the_middle_of_a_long_replication() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let mut child = Command::new(bin())
        .args([
            "sweep",
            "scenarios/national-10.toml",
            "--set",
            "horizon=520w",
            "--replications",
            "1",
            "--threads",
            "1",
            "--progress",
            "lines",
            "--vary",
            "region.Kalmar.shifts.0.nurses=3,4",
            "--out",
        ])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for_cpu(&mut child, 50),
        "the sweep finished (or died) before it could be interrupted: {:?}",
        child.wait_with_output().unwrap()
    );
    sigint(&child);
    let o = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(130), "Ctrl-C exits 130: {stderr}");
    assert!(stderr.contains("--resume"), "{stderr}");
    // The first point (one replication of ten years) cannot have finished:
    // nothing but the plan is written.
    let written: Vec<PathBuf> = files(&out);
    assert_eq!(written, vec![out.join("sweep-plan.json")], "no point and no result files");
}

/// Runs a command to its end (it must succeed) and returns the CPU ticks it
/// was last seen to use.
fn run_measuring_cpu(args: Vec<String>) -> u64 {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ticks = 0;
    while child.try_wait().unwrap().is_none() {
        ticks = cpu_ticks(child.id()).unwrap_or(ticks).max(ticks);
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ticks
}

/// A small random generator (splitmix64) so that the moments are reproducible.
struct Moments(u64);

impl Moments {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % below
    }
}

fn sweep_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "sweep",
        "scenarios/overflow-3-after-4m.toml",
        "--replications",
        "4",
        "--threads",
        "2",
        "--progress",
        "none",
        "--vary",
        "region.*.volume_factor=0.8,1.0,1.2",
        "--vary",
        "agreement.overflow.overflow_after=0m,2m,4m,never",
        "--out",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    a.push(out.display().to_string());
    a.extend(extra.iter().map(|s| s.to_string()));
    a
}

/// The result files of a finished sweep, by name.
fn results(out: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file() && e.file_name() != ".sweep.lock")
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    v.sort();
    v
}

#[test]
fn sweeps_killed_or_interrupted_at_random_moments_resume_to_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let reference = dir.path().join("reference");
    let reference_ticks = run_measuring_cpu(sweep_args(&reference, &[]));
    let expected = results(&reference);
    assert!(expected.iter().any(|(n, _)| n == "sweep.csv"));
    let mut moments = Moments(20261203);
    let mut interrupted = 0;
    let rounds = 6;
    for round in 0..rounds {
        let out = dir.path().join(format!("round-{round}"));
        let kill = round % 2 == 1;
        // Stop it once or twice at random moments, resuming in between.
        for attempt in 0..2 {
            let extra: &[&str] = if attempt == 0 { &[] } else { &["--resume"] };
            let mut child = Command::new(bin())
                .args(sweep_args(&out, extra))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Within the first two thirds of a whole sweep's CPU time, so that
            // every first attempt is really stopped, however fast the machine.
            let at = 1 + moments.next((reference_ticks * 2 / 3).max(2));
            if wait_for_cpu(&mut child, at) {
                if kill {
                    child.kill().unwrap();
                } else {
                    sigint(&child);
                }
            }
            let o = child.wait_with_output().unwrap();
            match o.status.code() {
                Some(0) => {}
                Some(130) => interrupted += 1,
                None if kill => interrupted += 1,
                other => panic!(
                    "round {round}: exit {other:?} after a {} at {at} ticks: {}",
                    if kill { "SIGKILL" } else { "SIGINT" },
                    String::from_utf8_lossy(&o.stderr)
                ),
            }
        }
        let o = Command::new(bin()).args(sweep_args(&out, &["--resume"])).output().unwrap();
        assert!(
            o.status.success(),
            "round {round}: resume failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let got = results(&out);
        assert_eq!(
            got.iter().map(|f| &f.0).collect::<Vec<_>>(),
            expected.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "round {round}: the same files"
        );
        for ((name, a), (_, b)) in got.iter().zip(&expected) {
            assert!(a == b, "round {round}: {name} differs from the uninterrupted sweep");
        }
    }
    assert!(
        interrupted >= rounds,
        "only {interrupted} of {} attempts were really interrupted",
        2 * rounds
    );
}
