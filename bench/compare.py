#!/usr/bin/env python3
"""Reproducible speed comparison, printed as the README's Performance table.

Runs, in interleaved rounds (each round runs every contender once; the median
over rounds is reported), the CPU time (user + system, of the child process,
from getrusage) of:

- nursequeue on the single-region model (bench/single-region.toml, one thread);
- nursequeue on bench/national-10-2023.toml (the national-10 scenario before calibration, frozen for
  comparable figures) for one year (one replication, one thread);
- nursequeue on all 21 regions for a year (bench/regions-21.toml, ≈ 5.5 M calls, one thread);
- a minimal exact FCFS recursion of the same single-region model (bench/src/bin/fcfs.rs);
- SimPy 4 on the same model (bench/simpy_mmn.py; fewer calls: it is slow);

then instructions per call with valgrind's callgrind (the difference between
two run lengths, so start-up and output do not count: 4 and 8 weeks of the
single region, 2 and 4 weeks of the national-10 benchmark, 200,000 and 400,000 calls of
the FCFS recursion).

With --sweep-scaling it also times (wall clock, median of the rounds) a
64-point sweep of scenarios/overflow-3-after-4m.toml on 1 and on 2 threads.

usage (from the repository root): python3 bench/compare.py [--rounds 5] [--no-callgrind]
needs: cargo, python3 with simpy (pip install simpy), valgrind (for callgrind).
"""
import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NQ = os.path.join(ROOT, "target", "release", "nursequeue")
FCFS = os.path.join(ROOT, "target", "release", "fcfs")
SINGLE = "bench/single-region.toml"
NATIONAL = "bench/national-10-2023.toml"
NATIONAL_YEAR = ["--set", "horizon=52w", "--set", "warmup=0m", "--set", "replications=1"]
REGIONS_21 = "bench/regions-21.toml"
SWEEP = ["sweep", "scenarios/overflow-3-after-4m.toml", "--progress", "none", "--format", "json",
         "--replications", "2", "--set", "horizon=2w",
         "--vary", "region.*.volume_factor=0.7,0.8,0.9,1.0,1.1,1.2,1.3,1.4",
         "--vary", "agreement.overflow.overflow_after=0m,1m,2m,3m,4m,6m,8m,never"]
FCFS_CALLS = 10_000_000
SIMPY_CALLS = 100_000


def cpu_run(cmd):
    """Runs cmd; returns (CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, out


def nq_calls(out):
    return json.loads(out)["run"]["calls_simulated"]


def contenders(baseline=None):
    extra = {}
    if baseline:
        extra = {
            "baseline binary, single region": (
                [baseline, "run", SINGLE, "--threads", "1", "--format", "json"], nq_calls, f"BASELINE run {SINGLE} …"),
            "baseline binary, national-10 benchmark one year": (
                [baseline, "run", NATIONAL, *NATIONAL_YEAR, "--threads", "1", "--format", "json"], nq_calls,
                f"BASELINE run {NATIONAL} …"),
        }
    return extra | {
        "nursequeue, single region": (
            [NQ, "run", SINGLE, "--threads", "1", "--format", "json"], nq_calls,
            f"target/release/nursequeue run {SINGLE} --threads 1 --format json"),
        "nursequeue, national-10 benchmark one year": (
            [NQ, "run", NATIONAL, *NATIONAL_YEAR, "--threads", "1", "--format", "json"], nq_calls,
            f"target/release/nursequeue run {NATIONAL} {' '.join(NATIONAL_YEAR)} --threads 1 --format json"),
        "nursequeue, all 21 regions one year": (
            [NQ, "run", REGIONS_21, "--threads", "1", "--format", "json"], nq_calls,
            f"target/release/nursequeue run {REGIONS_21} --threads 1 --format json"),
        "minimal exact FCFS recursion (Rust), single region": (
            [FCFS, str(FCFS_CALLS)], lambda out: FCFS_CALLS,
            f"target/release/fcfs {FCFS_CALLS}"),
        "SimPy 4, single region": (
            [sys.executable, "bench/simpy_mmn.py", str(SIMPY_CALLS)], lambda out: SIMPY_CALLS,
            f"python3 bench/simpy_mmn.py {SIMPY_CALLS}"),
    }


def callgrind_instructions(cmd):
    with tempfile.TemporaryDirectory() as tmp:
        out_file = os.path.join(tmp, "callgrind.out")
        r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}", *cmd],
                           cwd=ROOT, check=True, capture_output=True, text=True)
        m = re.search(r"Collected\s*:\s*(\d+)", r.stderr)
        return int(m.group(1)), r.stdout


def nq_instructions_per_call(binary, scenario=SINGLE, short="4w", long="8w"):
    flags = ["--set", "warmup=0m", "--set", "replications=1", "--threads", "1", "--format", "json"]
    i1, o1 = callgrind_instructions([binary, "run", scenario, "--set", f"horizon={short}", *flags])
    i2, o2 = callgrind_instructions([binary, "run", scenario, "--set", f"horizon={long}", *flags])
    return (i2 - i1) / (nq_calls(o2) - nq_calls(o1))


def instructions_per_call(baseline=None):
    """Instructions per call (single region) by difference of two run lengths."""
    result = {"nursequeue": nq_instructions_per_call(NQ),
              "nursequeue national": nq_instructions_per_call(NQ, NATIONAL, "2w", "4w")}
    if baseline:
        result["baseline"] = nq_instructions_per_call(baseline)
        result["baseline national"] = nq_instructions_per_call(baseline, NATIONAL, "2w", "4w")
    f1, _ = callgrind_instructions([FCFS, "200000"])
    f2, _ = callgrind_instructions([FCFS, "400000"])
    result["fcfs"] = (f2 - f1) / 200_000
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-callgrind", action="store_true")
    ap.add_argument("--sweep-scaling", action="store_true", help="also time a 64-point sweep on 1 and 2 threads")
    ap.add_argument("--baseline", help="another nursequeue binary to measure side by side (e.g. an older build)")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-p", "nursequeue", "--bin", "nursequeue"], cwd=ROOT, check=True)
    subprocess.run(["cargo", "build", "--release", "-p", "nursequeue-bench", "--bin", "fcfs"], cwd=ROOT, check=True)
    runs = contenders(args.baseline and os.path.abspath(args.baseline))
    rates = {name: [] for name in runs}
    cpu_seconds = {name: [] for name in runs}
    sweep_wall = {1: [], 2: []}
    for k in range(args.rounds):
        for name, (cmd, calls_of, _) in runs.items():
            cpu, out = cpu_run(cmd)
            rates[name].append(calls_of(out) / cpu)
            cpu_seconds[name].append(cpu)
        if args.sweep_scaling:
            for threads in (1, 2):
                started = time.monotonic()
                subprocess.run([NQ, *SWEEP, "--threads", str(threads)], cwd=ROOT, check=True, capture_output=True)
                sweep_wall[threads].append(time.monotonic() - started)
        print(f"round {k + 1}/{args.rounds}: " + ", ".join(f"{statistics.median(v) / 1e6:.2f}" for v in rates.values()),
              file=sys.stderr)
    med = {name: statistics.median(v) for name, v in rates.items()}
    ipc = {} if args.no_callgrind else instructions_per_call(args.baseline and os.path.abspath(args.baseline))
    simpy = med["SimPy 4, single region"]
    print(f"| contender | calls/s (CPU time, median of {args.rounds} interleaved rounds) | instructions per call | command |")
    print("| --- | --- | --- | --- |")
    for name, (_, _, command) in runs.items():
        rate = med[name]
        if name.startswith("SimPy"):
            shown = f"{rate / 1e3:.0f} thousand"
        else:
            shown = f"{rate / 1e6:.2f} million"
            if "single region" in name:
                shown += f" ({rate / simpy:.0f}× SimPy)"
            if "21 regions" in name:
                shown += f" ({statistics.median(cpu_seconds[name]):.2f} s CPU)"
        ins = ""
        if ipc and name == "baseline binary, single region":
            ins = f"{ipc['baseline']:,.0f}"
        elif ipc and name == "nursequeue, single region":
            ins = f"{ipc['nursequeue']:,.0f}"
        elif ipc and name == "nursequeue, national-10 benchmark one year":
            ins = f"{ipc['nursequeue national']:,.0f}"
        elif ipc and name == "baseline binary, national-10 benchmark one year":
            ins = f"{ipc['baseline national']:,.0f}"
        elif ipc and name.startswith("minimal"):
            ins = f"{ipc['fcfs']:,.0f}"
        print(f"| {name} | {shown} | {ins} | `{command}` |")
    if args.sweep_scaling:
        one, two = statistics.median(sweep_wall[1]), statistics.median(sweep_wall[2])
        print(f"\n64-point sweep, wall clock: {one:.2f} s on 1 thread, {two:.2f} s on 2: {one / two:.2f}× "
              f"(`target/release/nursequeue {' '.join(SWEEP)} --threads N`)")


if __name__ == "__main__":
    main()
