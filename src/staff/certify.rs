//! Certification: the chosen staffing simulated again on a seed independent
//! of the search, together with today's staffing and with the chosen one
//! minus one nurse on each adjusted shift (all on the same fresh callers),
//! each judged by the search's rule.

use crate::experiment::runner::{Progress, Runner};
use crate::experiment::{RunError, TargetResult};

use super::judge::evaluate;
use super::plan::{Plan, Staffing};
use super::{CertifiedTarget, Removal};

/// What the certification found.
#[derive(Clone, Debug)]
pub struct Checked {
    /// Today's staffing, as `run` reports its targets.
    pub before: Vec<TargetResult>,
    /// The chosen staffing, each target by the rule.
    pub after: Vec<CertifiedTarget>,
    /// Each single-nurse removal from an adjusted shift that has a nurse.
    pub removals: Vec<Removal>,
}

/// The certification seed: derived from the search seed by the engine's own
/// stream hash under a purpose of its own, so its callers share nothing with
/// the search's (and it is printed, so `run --seed` reproduces it).
pub fn certification_seed(search_seed: u64) -> u64 {
    repair_seed(search_seed, 0)
}

/// The seed of certification round `round` (0: the first): each round of
/// repair is certified on callers none of the earlier rounds saw.
pub fn repair_seed(search_seed: u64, round: u64) -> u64 {
    crate::engine::stream_seed(search_seed, u64::MAX, u64::MAX - round, 0x0063_6572_7469_6679)
}

/// Certifies `chosen` on `seed`.
pub fn certify(
    plan: &Plan,
    chosen: &Staffing,
    runner: &Runner,
    seed: u64,
    replications: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<Checked, RunError> {
    let removable: Vec<usize> = (0..plan.slots.len()).filter(|&k| chosen[k] > 0).collect();
    let mut list = vec![chosen.clone(), plan.before()];
    list.extend(removable.iter().map(|&k| {
        let mut s = chosen.clone();
        s[k] -= 1;
        s
    }));
    let judged = evaluate(plan, &list, runner, seed, replications, progress)?;
    let after = judged[0]
        .results
        .iter()
        .zip(&judged[0].checks)
        .map(|(r, c)| CertifiedTarget {
            result: r.clone(),
            judged_on: c.judged_on,
            interval: c.interval,
            holds: c.holds,
        })
        .collect();
    let removals = removable
        .iter()
        .zip(&judged[2..])
        .map(|(&k, j)| {
            let slot = &plan.slots[k];
            Removal {
                region: plan.scenario.regions[slot.region].name.clone(),
                shift: slot.shift,
                days: super::plan::days_text(slot.window.days),
                from: super::plan::clock_text(slot.window.from),
                to: super::plan::clock_text(slot.window.to),
                targets_still_hold: j.holds(),
            }
        })
        .collect();
    Ok(Checked {
        before: judged[1].results.clone(),
        after,
        removals,
    })
}
