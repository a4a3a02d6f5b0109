//! `calibrate`: fits free parameters of a scenario to observed aggregates and
//! writes the calibrated scenario.

use std::sync::Mutex;

use super::args::{CalibrateArgs, Format};
use super::failure::{failed, interrupted, invalid, out, Failure};
use super::progress::ProgressReport;
use super::steps::{load, output_set, reload, runner, same_flags_note, write_set};
use crate::calibrate::scenario_model::{self, FreeUnit, ScenarioModel};
use crate::calibrate::{self, calibrated, observed, CalibrateError, Calibration, Model as _};
use crate::experiment::runner::{Cancel, Progress};
use crate::output::calibration;
use crate::scenario::Scenario;

/// `calibrate`: prints (and writes) the estimates with their 95 % intervals.
pub(super) fn calibrate(args: CalibrateArgs, cancel: &Cancel) -> Result<(), Failure> {
    let base = load(&args.scenario)?;
    let observed_text =
        std::fs::read_to_string(&args.observed).map_err(|e| invalid(format!("cannot read {}: {e}", args.observed.display())))?;
    let names = crate::stats::metric_names(&base.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>());
    let located = observed::read(&args.observed.display().to_string(), &observed_text, &base, &names).map_err(invalid)?;
    let free = args
        .free
        .iter()
        .map(|f| scenario_model::parse_free(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let file_name = args.scenario.scenario.display().to_string();
    let model = ScenarioModel::new(&file_name, &base.source, &args.scenario.set, free, &located, cancel.flag()).map_err(invalid)?;
    let set = output_set(&args.out)?;
    let options = calibrate::Options {
        seed: args.seed.unwrap_or(base.seed),
        replications: args.replications as usize,
        ..Default::default()
    };
    let observations: Vec<calibrate::Observation> = located.iter().map(|l| l.observation.clone()).collect();
    let result = fit(&args, &model, &observations, &options, cancel)?;
    let json = serde_json::to_string_pretty(&result).map_err(|e| failed(e.to_string()))? + "\n";
    if let Some(set) = set {
        let text = calibrated_toml(&args, &base, &model, &result, &file_name)?;
        let ranges: Vec<(f64, f64)> = model.parameters().iter().map(|p| (p.low, p.high)).collect();
        let report = calibration::html(
            &result,
            &calibration::ReportInput {
                scenario: &base.name,
                source: &base.source,
                observed_source: &observed_text,
                ranges: &ranges,
            },
            &|k, x| model.value_shown(k, x),
        );
        write_set(
            set,
            Ok(vec![
                ("calibration.json".to_string(), json.clone().into_bytes()),
                ("calibrated.toml".to_string(), text.into_bytes()),
                ("report.html".to_string(), report.into_bytes()),
            ]),
        )?;
    }
    match args.format {
        Format::Json => out(&json),
        Format::Text => out(&calibration::text(&result, &|k, x| model.value_shown(k, x))),
    }
}

/// Runs the calibration on `--threads` threads, with progress on standard error.
fn fit(
    args: &CalibrateArgs,
    model: &ScenarioModel,
    observations: &[calibrate::Observation],
    options: &calibrate::Options,
    cancel: &Cancel,
) -> Result<Calibration, Failure> {
    let progress = Mutex::new(ProgressReport::new(args.progress, "calibrate"));
    let result = runner(args.threads, cancel)?
        .install(|| {
            calibrate::calibrate(model, observations, options, &|done, total| {
                let p = Progress {
                    done: done as u64,
                    total: total as u64,
                };
                progress.lock().unwrap_or_else(|e| e.into_inner()).update(p)
            })
        })
        .map_err(|e| match e {
            CalibrateError::Cancelled => interrupted("interrupted: nothing was written"),
            CalibrateError::Invalid(m) => invalid(m),
        })?;
    progress.lock().unwrap_or_else(|e| e.into_inner()).finish();
    Ok(result)
}

/// `calibrated.toml`: the scenario file with the estimates set, under a header
/// that says how it was calibrated; checked to load as it is.
fn calibrated_toml(
    args: &CalibrateArgs,
    base: &Scenario,
    model: &ScenarioModel,
    result: &Calibration,
    file_name: &str,
) -> Result<String, Failure> {
    let values: Vec<(String, toml_edit::Value)> = result
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let value = match model.unit(k) {
                FreeUnit::Number => toml_edit::Value::from(p.estimate),
                FreeUnit::Minutes => toml_edit::Value::from(model.value_text(k, p.estimate)),
            };
            (p.key.clone(), value)
        })
        .collect();
    let mut header = format!(
        "# Calibrated by `nursequeue calibrate` against {}: {}.\n",
        args.observed
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
        result
            .parameters
            .iter()
            .enumerate()
            .map(|(k, p)| format!(
                "{} = {} (95 % interval {} – {})",
                p.key,
                model.value_shown(k, p.estimate),
                model.value_shown(k, p.ci95[0]),
                model.value_shown(k, p.ci95[1])
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    if !result.identifiable {
        header += "# NOT IDENTIFIABLE: the observations do not pin down every parameter.\n";
    }
    header += &same_flags_note("Calibrated", &args.scenario.set);
    let text = header + &calibrated::with_values(&base.source, &values).map_err(failed)?;
    // What is written must run as it is.
    reload(file_name, &text, &args.scenario.set, "calibrated")?;
    debug_assert!(model
        .scenario_at(&result.parameters.iter().map(|p| p.estimate).collect::<Vec<_>>())
        .is_ok());
    Ok(text)
}
