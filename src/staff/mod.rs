//! `nursequeue staff`: the least-cost staffing that meets every target of a
//! scenario, certified on fresh seeds.
//!
//! The method, in four steps (each its own file):
//! 1. [`plan`]: which shifts may change (`--adjust` selectors, or all shifts
//!    of regions that have nurses, plus the region's `shift_patterns` as new
//!    shifts with no nurses yet) and what one nurse on each costs a week;
//! 2. [`start`]: an analytic start, per region and hour of the week the least
//!    nurses for which Erlang A meets the region's targets, covered by the
//!    cheapest shifts;
//! 3. [`search`]: simulation with common random numbers (one search seed):
//!    greedy additions, each the nurse that closes most of the targets' gap
//!    per unit of cost, until every target holds by the certification rule;
//!    then greedy removals, the costliest nurse whose removal keeps every
//!    target holding, until none can go;
//! 4. [`certify`]: the chosen staffing, today's, and the chosen one minus one
//!    nurse on each shift simulated again on a seed independent of the
//!    search: each target's interval, whether the staffing is certified, and
//!    whether it is a local minimum.
//!
//! [`judge`] holds the one rule by which a target "holds" in both the search
//! and the certification.

pub mod certify;
pub mod judge;
pub mod plan;
pub mod search;
pub mod staffed;
pub mod start;

use serde::Serialize;

use crate::experiment::runner::Runner;
use crate::experiment::{RunError, TargetResult};
use crate::scenario::Scenario;

pub use plan::{CostUnit, Plan, Slot};

/// What the user asked for.
#[derive(Clone, Debug)]
pub struct Options {
    /// `--adjust` selectors in `--set` syntax; empty: every shift of every region with nurses.
    pub adjust: Vec<String>,
    /// Most nurses on any adjusted shift; `None`: the default of [`plan::default_max_nurses`].
    pub max_nurses: Option<u32>,
    /// Seed of the search; the certification seed is derived from it.
    pub seed: u64,
    /// Replications of every evaluation (search and certification).
    pub replications: u32,
}

/// Why staffing could not be found.
#[derive(Debug)]
pub enum StaffError {
    /// Bad input (exit code 2): the message says what and how to fix it.
    Invalid(String),
    /// No staffing within the bounds meets every target; the best found is attached.
    Infeasible(String, Box<StaffResult>),
    /// The simulation stopped (Ctrl-C) or could not start.
    Run(RunError),
}

impl std::fmt::Display for StaffError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StaffError::Invalid(m) | StaffError::Infeasible(m, _) => f.write_str(m),
            StaffError::Run(e) => write!(f, "{e}"),
        }
    }
}

impl From<RunError> for StaffError {
    fn from(e: RunError) -> Self {
        StaffError::Run(e)
    }
}

/// Where the search is, for a progress report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Evaluating today's staffing and the analytic start.
    Start,
    /// Adding nurses until every target holds.
    Additions,
    /// Removing nurses while every target holds.
    Removals,
    /// Fresh seeds: certification and local minimality.
    Certification,
    /// A nurse added where the margin is smallest, after a missed certification.
    Repair,
}

impl Phase {
    /// The phase's name in progress lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "start",
            Phase::Additions => "additions",
            Phase::Removals => "removals",
            Phase::Certification => "certification",
            Phase::Repair => "repair",
        }
    }
}

/// A progress report: the phase, its step, and simulations done and still
/// known to come (the search's remaining steps are not known in advance).
#[derive(Clone, Copy, Debug)]
pub struct StaffProgress {
    pub phase: Phase,
    pub step: usize,
    /// Simulations finished so far, over all phases.
    pub simulations_done: u64,
    /// Simulations known still to come: the rest of the current batch and the certification.
    pub simulations_left: u64,
}

/// One shift's staffing, before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaffingRow {
    pub region: String,
    /// The shift's position in the region's `shifts` (new shifts come after the existing ones).
    pub shift: usize,
    pub days: String,
    pub from: String,
    pub to: String,
    pub nurses_before: u32,
    pub nurses: u32,
    /// A shift drawn from `shift_patterns` (not in the scenario before).
    pub new: bool,
    /// Nurse hours a week with the new staffing.
    pub nurse_hours_per_week: f64,
    /// Cost a week with the new staffing, in the unit of [`Cost`].
    pub cost: f64,
}

/// The staffing's cost a week, before and after.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cost {
    pub before: f64,
    pub after: f64,
    /// `"nurse hours per week"` or `"SEK per week"`.
    pub unit: String,
}

/// A target checked by the certification rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CertifiedTarget {
    /// The target's result as `run` reports it.
    #[serde(flatten)]
    pub result: TargetResult,
    /// `"share_of_periods"` (the target has `met_in`) or `"estimate"`.
    pub judged_on: &'static str,
    /// The 95 % interval the rule looks at: of the share of periods met, or of the estimate.
    pub interval: [f64; 2],
    /// Whether the rule holds: the interval on the right side of the requirement.
    pub holds: bool,
}

/// The certification: fresh seeds, independent of the search.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Certification {
    pub seed: u64,
    pub replications: u32,
    /// The rule, in words.
    pub rule: String,
    pub certified: bool,
    pub targets: Vec<CertifiedTarget>,
}

/// One nurse fewer on one shift, on the certification seeds.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Removal {
    pub region: String,
    pub shift: usize,
    pub days: String,
    pub from: String,
    pub to: String,
    /// Whether every target still holds by the rule without this nurse.
    pub targets_still_hold: bool,
}

/// How the search went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SearchInfo {
    pub seed: u64,
    pub replications: u32,
    pub max_nurses: u32,
    /// Distinct staffings simulated.
    pub evaluations: usize,
    pub additions: usize,
    pub removals: usize,
    /// Whether today's staffing already met every target (by the rule, on the search seed).
    pub targets_held_before: bool,
    /// Where the search started: `"today"` (today's staffing held every
    /// target and cost less than the analytic start) or `"analytic start"`.
    pub started_from: &'static str,
    /// Nurses added after a missed certification, each round certified on a
    /// fresh seed of its own (at most [`MAX_REPAIRS`]).
    pub repairs: usize,
}

/// At most this many nurses are added to repair a missed certification.
pub const MAX_REPAIRS: usize = 8;

/// The result of `staff` (the JSON of `--format json`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StaffResult {
    pub scenario: String,
    pub staffing: Vec<StaffingRow>,
    pub cost: Cost,
    /// Every target with today's staffing (certification seeds).
    pub targets_before: Vec<TargetResult>,
    /// Every target with the new staffing (certification seeds), as `run` reports it.
    pub targets: Vec<TargetResult>,
    pub certification: Certification,
    /// Whether removing any one nurse from any adjusted shift breaks a target by the rule.
    pub local_minimum: bool,
    /// Every single-nurse removal checked, and whether the targets still hold without it.
    pub removals: Vec<Removal>,
    pub search: SearchInfo,
}

/// Finds the least-cost staffing that meets every target of `scenario`.
pub fn staff(
    scenario: &Scenario,
    options: &Options,
    runner: &Runner,
    progress: &mut dyn FnMut(StaffProgress),
) -> Result<StaffResult, StaffError> {
    if scenario.targets.is_empty() {
        return Err(StaffError::Invalid(
            "the scenario has no [[target]]: there is nothing to staff for.\n  = help: add a target, e.g.\n    [[target]]\n    metric = \"answered_within\"\n    within = \"5m\"\n    at_least = 0.75"
                .into(),
        ));
    }
    if options.replications < 2 {
        return Err(StaffError::Invalid(
            "staff needs at least 2 replications: the certification rule uses 95 % intervals.\n  = help: give --replications 10 or more"
                .into(),
        ));
    }
    let mut plan = Plan::new(scenario, &options.adjust)?;
    let start = start::analytic_start(&plan);
    plan.set_max_nurses(options.max_nurses, &start)?;
    let mut search = search::Search::new(&plan, runner, options.seed, options.replications, progress);
    let mut found = search.run(&start)?;
    let mut evaluations = search.evaluations();
    let mut simulations = found.simulations;
    let mut repairs = 0;
    let mut certification_seed = certify::certification_seed(options.seed);
    let certify_round = |staffing: &plan::Staffing, seed: u64, done: u64, progress: &mut dyn FnMut(StaffProgress)| {
        certify::certify(&plan, staffing, runner, seed, options.replications, &mut |p| {
            progress(StaffProgress {
                phase: Phase::Certification,
                step: 0,
                simulations_done: done + p.done,
                simulations_left: p.total - p.done,
            })
        })
    };
    let mut checked = certify_round(&found.staffing, certification_seed, simulations, progress)?;
    // A staffing chosen as the cheapest that passes on the search seed leans
    // on that seed's luck: when a fresh seed finds it short, add the nurse
    // that widens the tightest margin most and certify again on new callers.
    while found.feasible && !checked.after.iter().all(|t| t.holds) && repairs < MAX_REPAIRS {
        let mut repair = search::Search::new(&plan, runner, options.seed, options.replications, progress);
        let Ok(next) = repair.strengthen(&found.staffing) else { break };
        evaluations += repair.evaluations();
        simulations += repair.simulations();
        found.staffing = next;
        repairs += 1;
        certification_seed = certify::repair_seed(options.seed, repairs as u64);
        checked = certify_round(&found.staffing, certification_seed, simulations, progress)?;
    }
    let result = StaffResult {
        scenario: scenario.name.clone(),
        staffing: plan.rows(&found.staffing),
        cost: Cost {
            before: plan.cost(&plan.before()),
            after: plan.cost(&found.staffing),
            unit: plan.unit.as_str().to_string(),
        },
        targets_before: checked.before,
        targets: checked.after.iter().map(|t| t.result.clone()).collect(),
        certification: Certification {
            seed: certification_seed,
            replications: options.replications,
            rule: judge::RULE.to_string(),
            certified: checked.after.iter().all(|t| t.holds),
            targets: checked.after,
        },
        local_minimum: checked.removals.iter().all(|r| !r.targets_still_hold),
        removals: checked.removals,
        search: SearchInfo {
            seed: options.seed,
            replications: options.replications,
            max_nurses: plan.max_nurses,
            evaluations,
            additions: found.additions,
            removals: found.removals,
            targets_held_before: found.held_before,
            started_from: if found.started_from_today { "today" } else { "analytic start" },
            repairs,
        },
    };
    if !found.feasible {
        return Err(StaffError::Infeasible(
            format!(
                "no staffing with at most {} nurses on each adjusted shift meets every target (judged on the search seed {}).{}\n  = the best found (every adjusted shift at {}) is shown below\n  = help: raise --max-nurses, adjust more shifts (--adjust), add shift_patterns, or relax the targets",
                plan.max_nurses,
                options.seed,
                too_few_periods(scenario, &result.targets, options.replications),
                plan.max_nurses
            ),
            Box::new(result),
        ));
    }
    Ok(result)
}

/// A note for each `met_in` target that too few judged periods make
/// impossible to certify: even with every period met, the lower end of the
/// rule's interval stays below the required share.
fn too_few_periods(scenario: &Scenario, results: &[TargetResult], replications: u32) -> String {
    let mut note = String::new();
    for (t, r) in scenario.targets.iter().zip(results) {
        let (Some(p), judged) = (t.met_in, r.periods_judged) else {
            continue;
        };
        if judged == 0 || all_met_lower(judged) >= p {
            continue;
        }
        let per_replication = (judged as f64 / replications as f64).max(1e-9);
        let needed = (1..=1_000_000u64).find(|&n| all_met_lower(n) >= p).unwrap_or(1_000_000);
        note += &format!(
            "\n  = {} (met_in = {p}): {judged} judged periods, all met, give a lower end of {:.1} %: the rule needs at least {needed} periods, about --replications {}",
            r.metric,
            100.0 * all_met_lower(judged),
            (needed as f64 / per_replication).ceil()
        );
    }
    note
}

/// The lower end of the rule's interval when all `n` periods are met.
fn all_met_lower(n: u64) -> f64 {
    judge::wilson(1.0, n as f64).0
}
