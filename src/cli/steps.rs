//! The steps the simulating commands share: loading the scenario with its
//! flags, refusing work too large to finish, the runner, and the `--out`
//! folder, written as a whole or not at all.

use std::path::{Path, PathBuf};

use super::failure::{failed, invalid, Failure};
use super::{RunFlags, ScenarioArgs};
use crate::experiment::runner::{Cancel, Runner};
use crate::model;
use crate::output::{self, io::OutputSet};
use crate::scenario::{self, Scenario};

/// Loads the scenario of a command, printing its warnings on standard error.
pub(super) fn load(args: &ScenarioArgs) -> Result<Scenario, Failure> {
    let s = scenario::load_file(&args.scenario, &args.set).map_err(|e| invalid(e.to_string()))?;
    print_warnings(&s);
    Ok(s)
}

/// Prints a scenario's warnings on standard error: they never change the exit code.
pub(super) fn print_warnings(s: &Scenario) {
    for w in &s.warnings {
        output::io::eprint(w);
    }
}

/// Applies `--replications` and `--seed` to a loaded scenario.
pub(super) fn apply_run_flags(s: &mut Scenario, flags: &RunFlags) -> Result<(), Failure> {
    if let Some(r) = flags.replications {
        if r == 0 || r > 100_000 {
            return Err(invalid("--replications must be between 1 and 100000"));
        }
        s.replications = r;
    }
    if let Some(seed) = flags.seed {
        s.seed = seed;
    }
    Ok(())
}

/// Calls one core simulates in a second on a typical multi-region scenario.
const CALLS_PER_CORE_SECOND: f64 = 2.5e6;
/// Work above this many simulated calls needs --allow-large (about ten minutes on two cores).
const LARGE_WORK: f64 = 3e9;

/// Refuses work that could never finish; asks for --allow-large above
/// LARGE_WORK calls (work that would run for a very long time).
pub(super) fn check_size(work: model::Work, runs: f64, allow_large: bool) -> Result<(), Failure> {
    if let Some(why) = work.refusal(runs) {
        return Err(invalid(format!(
            "{why}.\n  = help: use fewer replications, points, regions or a shorter horizon"
        )));
    }
    let calls = work.calls() * runs;
    if calls <= LARGE_WORK || allow_large {
        return Ok(());
    }
    if !calls.is_finite() {
        return Err(invalid(
            "this would simulate an unbounded number of calls (a volume or factor far too large).\n  = help: check the values of --set and --vary",
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let minutes = calls / (CALLS_PER_CORE_SECOND * cores) / 60.0;
    Err(invalid(format!(
        "this would simulate about {:.1} billion calls — roughly {:.0} minutes on {} cores.\n  = help: add --allow-large to run it anyway, or use fewer replications, points or a shorter horizon",
        calls / 1e9,
        minutes.max(1.0),
        cores
    )))
}

/// The runner of a command: its `--threads`, stopped by `cancel`.
pub(super) fn runner(threads: usize, cancel: &Cancel) -> Result<Runner, Failure> {
    Runner::new(threads).map(|r| r.with_cancel(cancel.clone())).map_err(|e| {
        invalid(format!(
            "cannot start worker threads: {e}\n  = help: give a smaller --threads (0: one per core)"
        ))
    })
}

/// Refuses an output folder that is a file, before any work.
pub(super) fn not_a_file(out: &Path) -> Result<(), Failure> {
    if out.exists() && !out.is_dir() {
        return Err(invalid(format!(
            "--out {}: this is a file, not a folder; give a folder (it is created if missing), or move the file away\n  = nothing was simulated or written",
            out.display()
        )));
    }
    Ok(())
}

/// Checks `--out` before any work and prepares its temporary folder.
pub(super) fn output_set(dir: &Option<PathBuf>) -> Result<Option<OutputSet>, Failure> {
    dir.as_deref()
        .map(|d| OutputSet::begin(d).map_err(|e| invalid(format!("{e}\n  = nothing was simulated or written"))))
        .transpose()
}

/// Writes a set of output files into place as a whole.
pub(super) fn write_set(set: OutputSet, files: Result<Vec<output::File>, String>) -> Result<(), Failure> {
    let target = set.target().to_path_buf();
    let fail = |e: String| {
        failed(format!(
            "cannot write results to {}: {e}; nothing was written there",
            target.display()
        ))
    };
    output::commit(set, files.map_err(fail)?).map_err(|e| fail(e.to_string()))
}

/// The header line of a scenario the program writes (`verb`: Calibrated,
/// Staffed) that names the `--set` flags it needs to run; empty without any.
pub(super) fn same_flags_note(verb: &str, sets: &[String]) -> String {
    if sets.is_empty() {
        return String::new();
    }
    format!("# {verb} with --set {}: run it with the same flags.\n", sets.join(" --set "))
}

/// Loads a scenario the program wrote (`what`: calibrated, staffed) as the
/// user will run it: it must load as it is.
pub(super) fn reload(file_name: &str, text: &str, sets: &[String], what: &str) -> Result<Scenario, Failure> {
    scenario::load_str(file_name, text, sets)
        .map_err(|e| failed(format!("the {what} scenario does not load (a bug; please report it):\n{e}")))
}
