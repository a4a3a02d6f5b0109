//! nursequeue: a discrete-event simulator of shared, multi-region nurse
//! telephone queues (the Swedish 1177 advice line and its collaboration
//! agreements). See the README for the model and the scenario format.
//!
//! The library's façade is small: [`load_scenario`], [`run`], [`compare`],
//! [`sweep()`] and the result types ([`Summary`], [`Comparison`], [`Estimate`]).
//! To bound the threads or stop a run from another thread (Ctrl-C), build a
//! [`Runner`] with a [`Cancel`] token and call [`experiment::run_with`] or
//! [`experiment::compare_with`].
//!
//! ```no_run
//! let scenario = nursequeue::load_scenario("scenarios/cluster-3-2024.toml", &[]).unwrap();
//! let summary = nursequeue::run(&scenario, 0).unwrap();
//! let share = summary.value("total", "answered_within_5m").unwrap();
//! println!("answered within 5 minutes: {:.1} %", 100.0 * share.mean.unwrap());
//! ```
#![warn(missing_docs)]
// `!(x <= limit)` is how a limit check also refuses NaN: written so on purpose.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

#[allow(missing_docs)]
pub mod calendar;
#[allow(missing_docs)]
pub mod calibrate;
#[allow(missing_docs)]
pub mod cli;
#[allow(missing_docs)]
pub mod dist;
#[allow(missing_docs)]
pub mod engine;
pub use engine::routing;
#[allow(missing_docs)]
pub mod erlang;
pub mod experiment;
#[allow(missing_docs)]
pub mod model;
pub mod output;
#[allow(missing_docs)]
pub mod scenario;
#[allow(missing_docs)]
pub mod staff;
pub mod stats;
#[allow(missing_docs)]
pub mod sweep;

pub use experiment::runner::{Cancel, Progress, Runner};
pub use experiment::{Comparison, RunInfo, SettlementRow, Summary, TargetResult};
pub use scenario::Scenario;
pub use stats::{Estimate, Metric, MetricDef, Unit, View, CATALOGUE};

use std::path::Path;

/// What can go wrong when the library is used directly.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The scenario (or a `KEY=VALUE` override) is invalid: every problem, with file, line and column.
    #[error("{0}")]
    Invalid(#[from] scenario::Invalid),
    /// A sweep's `KEY=VALUES` list is malformed.
    #[error("{0}")]
    Vary(String),
    /// The simulation could not run or was interrupted.
    #[error("{0}")]
    Run(#[from] experiment::RunError),
}

/// Loads and validates a scenario file; `overrides` are `KEY=VALUE` texts as
/// given to `--set` (`region.Kalmar.shifts.0.nurses=7`).
pub fn load_scenario(path: impl AsRef<Path>, overrides: &[String]) -> Result<Scenario, Error> {
    Ok(scenario::load_file(path.as_ref(), overrides)?)
}

/// Simulates every replication of a scenario on `threads` threads (0: all
/// cores) and summarizes them. Results do not depend on `threads`.
pub fn run(scenario: &Scenario, threads: usize) -> Result<Summary, Error> {
    Ok(experiment::run(scenario, threads)?)
}

/// Runs the same callers through several scenarios (the first one's seed and
/// replications) and takes each one's differences against the first.
pub fn compare(scenarios: &[Scenario], threads: usize) -> Result<Comparison, Error> {
    Ok(experiment::compare(scenarios, threads)?)
}

/// One point of a sweep: the values of the varied keys and its summary.
#[derive(Clone, Debug)]
pub struct SweepPoint {
    /// `(key, value)` for every varied key, in the order given.
    pub values: Vec<(String, String)>,
    /// The point's results: exactly those of [`run`] with these overrides.
    pub summary: Summary,
}

/// Runs every combination of the `vary` lists (`KEY=V1,V2,…` or `KEY=4..9`,
/// as `--vary` takes them) of the scenario file at `path`, with `overrides`
/// applied first. Points run one after the other, each on `threads` threads.
pub fn sweep(path: impl AsRef<Path>, overrides: &[String], vary: &[String], threads: usize) -> Result<Vec<SweepPoint>, Error> {
    let base = load_scenario(path.as_ref(), overrides)?;
    let varies = vary
        .iter()
        .map(|v| sweep::parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Vary)?;
    let plan = sweep::Plan::new(&base, overrides, varies);
    if plan.count > sweep::MAX_POINTS {
        return Err(Error::Vary(format!("the grid has more than {} points", sweep::MAX_POINTS)));
    }
    (0..plan.count)
        .map(|i| {
            let mut sets = overrides.to_vec();
            sets.extend(plan.sets(i));
            let mut scenario = load_scenario(path.as_ref(), &sets)?;
            // Every point sees the same callers: the base's seed and replications.
            (scenario.seed, scenario.replications) = (base.seed, base.replications);
            Ok(SweepPoint {
                values: plan
                    .varies
                    .iter()
                    .map(|v| v.key.clone())
                    .zip(plan.values(i).into_iter().map(String::from))
                    .collect(),
                summary: run(&scenario, threads)?,
            })
        })
        .collect()
}
