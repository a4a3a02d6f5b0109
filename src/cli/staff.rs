//! `staff`: the least-cost staffing that meets every target, certified on
//! fresh seeds, and the staffed scenario.

use super::args::{Format, StaffArgs};
use super::failure::{failed, invalid, out, run_failure, Failure};
use super::progress::ProgressReport;
use super::steps::{check_size, load, output_set, reload, runner, same_flags_note, write_set};
use crate::experiment::runner::{Cancel, Progress};
use crate::model::Model;
use crate::output;
use crate::scenario::{self, Scenario};
use crate::staff::{self, StaffError, StaffResult};

/// `staff`: prints (and writes) the staffing found and its certification.
pub(super) fn staff(args: StaffArgs, cancel: &Cancel) -> Result<(), Failure> {
    let base = load(&args.scenario)?;
    let replications = args.replications.unwrap_or(base.replications);
    if !(2..=100_000).contains(&replications) {
        return Err(invalid(
            "--replications must be between 2 and 100000 for staff (its rule uses 95 % intervals)",
        ));
    }
    check_size(Model::compile(&base).work(), replications as f64, false)?;
    let set = output_set(&args.out)?;
    if set.is_some() {
        check_layout(&args, &base)?;
    }
    let runner = runner(args.threads, cancel)?;
    let options = staff::Options {
        adjust: args.adjust.clone(),
        max_nurses: args.max_nurses,
        seed: args.seed.unwrap_or(base.seed),
        replications,
    };
    let mut bar = ProgressReport::new(args.progress, "staff");
    let result = staff::staff(&base, &options, &runner, &mut |p| {
        bar.update(Progress {
            done: p.simulations_done,
            total: p.simulations_done + p.simulations_left,
        })
    });
    bar.finish();
    let result = match result {
        Ok(result) => result,
        Err(StaffError::Invalid(m)) => return Err(invalid(m)),
        // Scripts asking for JSON still get the best staffing found, on
        // standard output; the verdict goes to standard error and the exit code.
        Err(StaffError::Infeasible(m, best)) => {
            return Err(match args.format {
                Format::Json => {
                    out(&output::staffing::json(&best))?;
                    invalid(m)
                }
                Format::Text => invalid(format!("{m}\n\n{}", output::staffing::text(&best))),
            })
        }
        Err(StaffError::Run(e)) => return Err(run_failure(e)),
    };
    if let Some(set) = set {
        let text = staffed_toml(&args, &base, &result, replications)?;
        write_set(
            set,
            Ok(vec![
                ("staffed.toml".to_string(), text.into_bytes()),
                ("staffing.json".to_string(), output::staffing::json(&result).into_bytes()),
                (
                    "report.html".to_string(),
                    output::staffing::html(&result, &base.source).into_bytes(),
                ),
            ]),
        )?;
    }
    match args.format {
        Format::Json => out(&output::staffing::json(&result))?,
        Format::Text => out(&output::staffing::text(&result))?,
    }
    if let (Some(dir), Format::Text) = (&args.out, args.format) {
        out(&format!(
            "staffed.toml, staffing.json and report.html written to {}\n",
            dir.display()
        ))?;
    }
    Ok(())
}

/// staffed.toml edits the file by region and shift position: refuses, before
/// any simulation, a --set that moves those positions.
fn check_layout(args: &StaffArgs, base: &Scenario) -> Result<(), Failure> {
    if args.scenario.set.is_empty() {
        return Ok(());
    }
    let file_name = args.scenario.scenario.display().to_string();
    if let Ok(file) = scenario::load_str(&file_name, &base.source, &[]) {
        if let Some(change) = staff::staffed::layout_change(&file, base) {
            return Err(invalid(format!(
                "staff --out cannot write staffed.toml: {change}, and staffed.toml sets the nurses of the file's shifts by their position.\n  = help: write the added or removed regions and shifts into the scenario file (--set that only changes values is fine), or leave out --out\n  = nothing was simulated or written"
            )));
        }
    }
    Ok(())
}

/// `staffed.toml`: the scenario file with the staffing found, under a header
/// that says how it was found; checked to load as it is, with that staffing.
fn staffed_toml(args: &StaffArgs, base: &Scenario, result: &StaffResult, replications: u32) -> Result<String, Failure> {
    let header = format!(
        "# Staffed by `nursequeue staff` (search seed {}, certification seed {}, {} replications): {}, cost {:.0} -> {:.0} {}.\n",
        result.search.seed,
        result.certification.seed,
        replications,
        if result.certification.certified {
            "certified"
        } else {
            "NOT certified"
        },
        result.cost.before,
        result.cost.after,
        result.cost.unit
    ) + &same_flags_note("Staffed", &args.scenario.set);
    let text = header + &staff::staffed::with_staffing(&base.source, base, &result.staffing).map_err(failed)?;
    // What is written must run as it is, with the staffing found.
    let file_name = args.scenario.scenario.display().to_string();
    let reloaded = reload(&file_name, &text, &args.scenario.set, "staffed")?;
    if !staff::staffed::has_staffing(&reloaded, &result.staffing) {
        return Err(failed(
            "the staffed scenario does not hold the staffing found (a bug; please report it)",
        ));
    }
    Ok(text)
}
