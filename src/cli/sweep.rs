//! `sweep` (a grid of what-ifs, whole or one shard of it) and `merge` (the
//! shards' parts into the result of the whole sweep).

use std::collections::HashSet;

use super::args::{Format, MergeArgs, SweepArgs};
use super::failure::{failed, interrupted, invalid, out, Failure};
use super::steps::{apply_run_flags, check_size, load, not_a_file, runner};
use crate::experiment::runner::Cancel;
use crate::output;
use crate::scenario::Scenario;
use crate::sweep::{self as sw, Finished, Plan, SweepError, Vary};

/// `sweep`: runs every point of the grid (or of this shard), then writes and
/// prints the sweep's tables (or the shard's part).
pub(super) fn sweep(args: SweepArgs, cancel: &Cancel) -> Result<(), Failure> {
    let mut base = load(&args.scenario)?;
    apply_run_flags(&mut base, &args.run)?;
    let varies = varies(&args, &base)?;
    let shard = args.shard.as_deref().map(sw::parse_shard).transpose().map_err(invalid)?;
    if let Some(out) = &args.out {
        not_a_file(out)?;
    }
    if (shard.is_some() || args.resume) && args.out.is_none() {
        return Err(invalid("--shard and --resume need --out DIR"));
    }
    let plan = counted_plan(&base, &args.scenario.set, varies)?;
    let runner = runner(args.run.threads, cancel)?;
    let run = sw::SweepRun {
        scenario_path: &args.scenario.scenario,
        base: &base,
        sets: &args.scenario.set,
        plan,
        threads: args.run.threads,
        shard,
        out: args.out.clone(),
        resume: args.resume,
        progress: args.progress,
    };
    // Every point of this shard is checked, and its own work counted, before anything runs.
    check_size(sw::estimate(&run, &runner).map_err(sweep_failure)?, 1.0, args.run.allow_large)?;
    let mut finished = sw::execute_with(&run, &runner).map_err(sweep_failure)?;
    if let (Some(dir), Some(s)) = (&args.out, shard) {
        let path = sw::write_part(dir, &mut finished, s, &base.source, &args.scenario.set).map_err(failed)?;
        eprintln!("part written to {}", path.display());
        return Ok(());
    }
    assemble(&args, &base, &mut finished, cancel)
}

/// The varied keys: `--vary`, or else the scenario's `[sweep]` list.
fn varies(args: &SweepArgs, base: &Scenario) -> Result<Vec<Vary>, Failure> {
    let specs = if args.vary.is_empty() {
        base.sweep.clone()
    } else {
        args.vary.clone()
    };
    if specs.is_empty() {
        return Err(invalid(
            "nothing to vary: give --vary KEY=V1,V2,… or a [sweep] vary list in the scenario",
        ));
    }
    let varies = specs
        .iter()
        .map(|v| sw::parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    check_varied_keys(&varies)?;
    Ok(varies)
}

/// Keys a sweep cannot vary: every point runs the base's seed and
/// replications (common random numbers), so varying them would label rows
/// with values that were never used; and a key given twice would too.
fn check_varied_keys(varies: &[Vary]) -> Result<(), Failure> {
    let mut seen = HashSet::new();
    for v in varies {
        if v.key == "seed" || v.key == "replications" {
            return Err(invalid(format!(
                "--vary {}: every point of a sweep runs the scenario's seed and replications, so that points see the same callers\n  = help: use --seed or --replications for the whole sweep",
                v.key
            )));
        }
        if !seen.insert(v.key.as_str()) {
            return Err(invalid(format!(
                "--vary {} is given twice\n  = help: list all its values in one --vary {}=V1,V2,…",
                v.key, v.key
            )));
        }
    }
    Ok(())
}

/// The sweep's plan, refused above `MAX_POINTS` points. Counted, not built:
/// a grid of 10^8 points is refused before anything is allocated.
fn counted_plan(base: &Scenario, sets: &[String], varies: Vec<Vary>) -> Result<Plan, Failure> {
    let plan = Plan::new(base, sets, varies);
    if plan.count > sw::MAX_POINTS {
        return Err(invalid(format!(
            "the grid has {} points; at most {}",
            if plan.count == usize::MAX {
                "more than 2^64".to_string()
            } else {
                plan.count.to_string()
            },
            sw::MAX_POINTS
        )));
    }
    Ok(plan)
}

/// Assembles the finished points into the sweep's tables (in `--out`, or
/// streamed as JSON to standard output) and prints them.
fn assemble(args: &SweepArgs, base: &Scenario, finished: &mut Finished, cancel: &Cancel) -> Result<(), Failure> {
    let plan = finished.plan().clone();
    let mut stdout = output::io::QuietStdout::default();
    let json_out: Option<&mut dyn std::io::Write> = match (args.format, &args.out) {
        (Format::Json, None) => Some(&mut stdout),
        _ => None,
    };
    let points = finished.points().map_err(failed)?;
    let assembled = sw::assemble(args.out.as_deref(), &plan, &base.source, points, json_out, cancel).map_err(|e| {
        let mut f = sweep_failure(e);
        if f.code == 130 && args.out.is_some() {
            f.message += "; every point is kept: rerun the same command with --resume to write the results";
        }
        f
    })?;
    if let Some(dir) = &args.out {
        eprintln!("results written to {}", dir.display());
        if args.format == Format::Json {
            let mut f = std::fs::File::open(dir.join("sweep.json")).map_err(|e| failed(e.to_string()))?;
            std::io::copy(&mut f, &mut stdout).map_err(|e| failed(format!("cannot write to standard output: {e}")))?;
        }
    }
    if args.format == Format::Text {
        out(&assembled.text())?;
    }
    Ok(())
}

/// `merge`: the parts of a sharded sweep into the whole sweep's tables.
pub(super) fn merge(args: MergeArgs, cancel: &Cancel) -> Result<(), Failure> {
    not_a_file(&args.out)?;
    let merged = sw::read_parts(&args.parts, cancel).map_err(sweep_failure)?;
    sw::assemble(Some(&args.out), &merged.plan, &merged.source, merged.points(), None, cancel).map_err(sweep_failure)?;
    eprintln!("merged {} points into {}", merged.len(), args.out.display());
    Ok(())
}

fn sweep_failure(e: SweepError) -> Failure {
    match e {
        SweepError::Invalid(m) => invalid(m),
        SweepError::Failed(m) => failed(m),
        SweepError::Interrupted(m) => interrupted(m),
    }
}
