//! The simulation search: greedy additions until every target holds by the
//! rule, then greedy removals while they all still hold, every staffing
//! simulated on the same replications of one search seed (common random
//! numbers, so that neighbouring staffings differ by the staffing, not by
//! the callers).

use std::collections::HashMap;

use crate::experiment::runner::Runner;

use super::judge::{evaluate, Judgement};
use super::plan::{Plan, Staffing};
use super::{Phase, StaffError, StaffProgress};

/// What the search found.
#[derive(Clone, Debug)]
pub struct Found {
    pub staffing: Staffing,
    /// Whether every target holds with it (on the search seed).
    pub feasible: bool,
    /// Whether today's staffing already held every target.
    pub held_before: bool,
    /// Whether the search started from today's staffing (else the analytic start).
    pub started_from_today: bool,
    pub additions: usize,
    pub removals: usize,
    /// Simulations run by the search.
    pub simulations: u64,
}

/// A search in progress: its plan, runner, seed and the staffings judged so far.
pub struct Search<'a> {
    plan: &'a Plan,
    runner: &'a Runner,
    seed: u64,
    replications: u32,
    progress: &'a mut dyn FnMut(StaffProgress),
    judged: HashMap<Staffing, Judgement>,
    simulations: u64,
    phase: Phase,
    step: usize,
}

impl<'a> Search<'a> {
    pub fn new(plan: &'a Plan, runner: &'a Runner, seed: u64, replications: u32, progress: &'a mut dyn FnMut(StaffProgress)) -> Search<'a> {
        Search {
            plan,
            runner,
            seed,
            replications,
            progress,
            judged: HashMap::new(),
            simulations: 0,
            phase: Phase::Start,
            step: 0,
        }
    }

    /// Replications simulated so far.
    pub fn simulations(&self) -> u64 {
        self.simulations
    }

    /// Distinct staffings simulated so far.
    pub fn evaluations(&self) -> usize {
        self.judged.len()
    }

    /// Searches from the analytic start (or today's staffing, when it holds and costs less).
    pub fn run(&mut self, start: &Staffing) -> Result<Found, StaffError> {
        let plan = self.plan;
        let max = plan.max_nurses;
        let before = plan.before();
        let start: Staffing = start.iter().map(|&n| n.min(max)).collect();
        let ceiling: Staffing = vec![max; plan.slots.len()];
        let judged = self.judge(&[before.clone(), start.clone(), ceiling.clone()])?;
        let held_before = judged[0].holds();
        let mut found = Found {
            staffing: ceiling.clone(),
            feasible: judged[2].holds(),
            held_before,
            started_from_today: false,
            additions: 0,
            removals: 0,
            simulations: 0,
        };
        if !found.feasible {
            // Not even every shift at the bound meets the targets: nothing to search.
            found.simulations = self.simulations;
            return Ok(found);
        }
        let before_in_bounds = before.iter().all(|&n| n <= max);
        found.started_from_today = held_before && before_in_bounds && (!judged[1].holds() || plan.cost(&before) < plan.cost(&start));
        let mut current = if found.started_from_today { before } else { start };
        self.phase = Phase::Additions;
        while !self.judge(std::slice::from_ref(&current))?[0].holds() {
            current = self.add_one(&current)?;
            found.additions += 1;
        }
        self.phase = Phase::Removals;
        self.step = 0;
        // A nurse whose removal broke a target is not tried again: with fewer
        // nurses elsewhere it would break it too (targets improve with
        // nurses; the certification checks every removal again at the end).
        let mut blocked = vec![false; plan.slots.len()];
        while let Some((next, removed)) = self.remove_some(&current, &mut blocked)? {
            current = next;
            found.removals += removed;
        }
        found.staffing = current;
        found.simulations = self.simulations;
        Ok(found)
    }

    /// The staffing with one more nurse where it closes most of the targets'
    /// gap per unit of cost (ties: the earlier shift).
    fn add_one(&mut self, current: &Staffing) -> Result<Staffing, StaffError> {
        self.step += 1;
        let plan = self.plan;
        let slots: Vec<usize> = (0..plan.slots.len()).filter(|&k| current[k] < plan.max_nurses).collect();
        let candidates: Vec<Staffing> = slots.iter().map(|&k| with(current, k, 1)).collect();
        let mut list = vec![current.clone()];
        list.extend(candidates.iter().cloned());
        let judged = self.judge(&list)?;
        let gap = judged[0].gap();
        let best = slots
            .iter()
            .zip(&judged[1..])
            .map(|(&k, j)| (k, (gap - j.gap()) / plan.slots[k].cost_per_nurse.max(1e-9)))
            .fold(None::<(usize, f64)>, |best, (k, score)| match best {
                Some((_, s)) if s >= score => best,
                _ => Some((k, score)),
            });
        // The ceiling holds every target, so some slot is below it.
        let (k, _) = best.ok_or_else(|| StaffError::Invalid("no shift can take another nurse".into()))?;
        Ok(with(current, k, 1))
    }

    /// The staffing with one more nurse where it widens the smallest margin
    /// of any target most per unit of cost, on the search seed: the repair of
    /// a staffing that holds there but missed its certification on a fresh
    /// seed (it lies too close to a bound).
    pub fn strengthen(&mut self, current: &Staffing) -> Result<Staffing, StaffError> {
        self.phase = Phase::Repair;
        self.step += 1;
        let plan = self.plan;
        let slots: Vec<usize> = (0..plan.slots.len()).filter(|&k| current[k] < plan.max_nurses).collect();
        let mut list = vec![current.clone()];
        list.extend(slots.iter().map(|&k| with(current, k, 1)));
        let judged = self.judge(&list)?;
        let margin = judged[0].margin();
        let best = slots
            .iter()
            .zip(&judged[1..])
            .map(|(&k, j)| (k, (j.margin() - margin) / plan.slots[k].cost_per_nurse.max(1e-9)))
            .fold(None::<(usize, f64)>, |best, (k, score)| match best {
                Some((_, s)) if s >= score => best,
                _ => Some((k, score)),
            });
        let (k, _) = best.ok_or_else(|| StaffError::Invalid("every adjusted shift is at --max-nurses: no nurse can be added".into()))?;
        Ok(with(current, k, 1))
    }

    /// The staffing with nurses removed while every target keeps holding, and
    /// how many: all the single removals that keep every target holding at
    /// once if their combination still holds, else the costlier half of
    /// them, a quarter, … (one simulation checks each combination: large
    /// scenarios shed their surplus in a few steps), else the costliest one
    /// (ties: the larger margin, then the earlier shift); `None` when every
    /// removal not `blocked` breaks a target. Slots whose removal breaks a
    /// target are marked in `blocked`.
    fn remove_some(&mut self, current: &Staffing, blocked: &mut [bool]) -> Result<Option<(Staffing, usize)>, StaffError> {
        self.step += 1;
        let plan = self.plan;
        let slots: Vec<usize> = (0..plan.slots.len()).filter(|&k| current[k] > 0 && !blocked[k]).collect();
        let candidates: Vec<Staffing> = slots.iter().map(|&k| with(current, k, -1)).collect();
        let judged = self.judge(&candidates)?;
        for (&k, j) in slots.iter().zip(&judged) {
            blocked[k] = !j.holds();
        }
        let mut holding: Vec<(usize, f64, f64)> = slots
            .iter()
            .zip(&judged)
            .filter(|(_, j)| j.holds())
            .map(|(&k, j)| (k, plan.slots[k].cost_per_nurse, j.margin()))
            .collect();
        holding.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
        let Some(&(best, _, _)) = holding.first() else {
            return Ok(None);
        };
        // All of them, else the costlier half, quarter, … (one simulation each).
        let mut take = holding.len();
        while take > 1 {
            let mut some = current.clone();
            holding[..take].iter().for_each(|&(k, _, _)| some[k] -= 1);
            if self.judge(std::slice::from_ref(&some))?[0].holds() {
                return Ok(Some((some, take)));
            }
            take /= 2;
        }
        Ok(Some((with(current, best, -1), 1)))
    }

    /// Judges staffings, simulating in one batch only those not judged before.
    fn judge(&mut self, list: &[Staffing]) -> Result<Vec<Judgement>, StaffError> {
        let mut new: Vec<Staffing> = vec![];
        for s in list {
            if !self.judged.contains_key(s) && !new.contains(s) {
                new.push(s.clone());
            }
        }
        if !new.is_empty() {
            let (phase, step, done) = (self.phase, self.step, self.simulations);
            let certification = (2 + self.plan.slots.len() as u64) * self.replications as u64;
            let progress = &mut *self.progress;
            let judged = evaluate(self.plan, &new, self.runner, self.seed, self.replications, &mut |p| {
                progress(StaffProgress {
                    phase,
                    step,
                    simulations_done: done + p.done,
                    simulations_left: p.total - p.done + certification,
                })
            })?;
            self.simulations += new.len() as u64 * self.replications as u64;
            self.judged.extend(new.into_iter().zip(judged));
        }
        Ok(list.iter().map(|s| self.judged[s].clone()).collect())
    }
}

/// `staffing` with `delta` nurses more on slot `k`.
fn with(staffing: &Staffing, k: usize, delta: i64) -> Staffing {
    let mut s = staffing.clone();
    s[k] = (s[k] as i64 + delta).max(0) as u32;
    s
}
