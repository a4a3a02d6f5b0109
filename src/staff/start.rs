//! The analytic start: for each adjusted region and hour of the week, the
//! least nurses for which the exact Erlang A queue (that hour's arrival rate,
//! the mean handle time and the mean patience, as if both were exponential)
//! meets every target on the region; scheduled nurses are that divided by the
//! share of time on the phones (shrinkage, absence). The slots are then
//! filled greedily, each nurse on the shift that covers the most uncovered
//! nurse-hours per unit of cost (set multicover). This is only the start: it
//! ignores redials, pooling between regions and that targets judge whole
//! periods rather than every hour, which the simulation search corrects.

use crate::calendar::{DAY, HOUR, MINUTE};
use crate::erlang::Queue;
use crate::scenario::{Bound, Region, Target, TargetMetric};

use super::plan::{Plan, Staffing};

/// Largest offered load (Erlang) the start computes exactly; above it the hour needs the cap.
const MAX_LOAD: f64 = 1e5;
/// Nurses an hour may need at most in the start (a target no staffing meets caps here).
const MAX_NEED: u32 = 100_000;

/// The analytic start, within the plan's slots (each at most `MAX_NEED`).
pub fn analytic_start(plan: &Plan) -> Staffing {
    let mut staffing: Staffing = vec![0; plan.slots.len()];
    let mut regions: Vec<usize> = plan.slots.iter().map(|s| s.region).collect();
    regions.sort_unstable();
    regions.dedup();
    for r in regions {
        let need = hourly_need(&plan.scenario.regions[r], r, &plan.scenario.targets);
        cover(plan, r, &need, &mut staffing);
    }
    staffing
}

/// Scheduled nurses needed in each hour of the week (Monday 00–01 first).
pub fn hourly_need(region: &Region, r: usize, targets: &[Target]) -> Vec<u32> {
    let mine: Vec<&Target> = targets.iter().filter(|t| t.region.is_none_or(|x| x == r)).collect();
    let minute = MINUTE as f64;
    let mu = minute / region.handle_time.mean();
    let patience = region.patience.mean();
    // Outside what the exact sums compute quickly, patience is treated as
    // none (very patient callers) or as a hundredth of a handle time.
    let ratio = patience / region.handle_time.mean();
    let theta = if !patience.is_finite() || ratio > 1e3 {
        0.0
    } else {
        minute / patience.max(region.handle_time.mean() * 1e-2)
    };
    let on_phones = (1.0 - region.shrinkage) * (1.0 - region.shifts.first().map_or(0.0, |s| s.absence));
    region
        .calls_per_hour
        .iter()
        .map(|&calls| {
            let lambda = calls / 60.0;
            let n = least_nurses(lambda, mu, theta, &mine);
            if n >= MAX_NEED {
                MAX_NEED
            } else {
                ((n as f64 / on_phones.max(0.05)).ceil() as u32).min(MAX_NEED)
            }
        })
        .collect()
}

/// The least n for which the queue meets every target (binary search: each
/// target's measure improves with n).
fn least_nurses(lambda: f64, mu: f64, theta: f64, targets: &[&Target]) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    let load = lambda / mu;
    if load > MAX_LOAD {
        return MAX_NEED;
    }
    let meets_all = |n: u32| n > 0 && targets.iter().all(|t| meets(t, Queue { lambda, mu, theta, n }));
    let mut hi = ((load + 5.0 * load.sqrt() + 5.0).ceil() as u32).max(1);
    while !meets_all(hi) {
        if hi >= MAX_NEED {
            return MAX_NEED;
        }
        hi = hi.saturating_mul(2).min(MAX_NEED);
    }
    let mut lo = 0u32; // does not meet (no nurse answers anyone)
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if meets_all(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

/// Whether one stationary hour meets a target's bound (a target that asks
/// for fewer answered calls, or more abandoned ones, never constrains it).
fn meets(t: &Target, q: Queue) -> bool {
    if !q.is_stable() {
        return false;
    }
    let within = t.within.unwrap_or(0) as f64 / MINUTE as f64;
    // The p-th percentile of the wait of answered calls is at most b exactly
    // when at least p % of answered calls wait at most b.
    if let TargetMetric::WaitPercentile(p) = t.metric {
        return match t.bound {
            Bound::AtMost(b) => q.answered_within_of_answered(b) >= p as f64 / 100.0,
            Bound::AtLeast(_) => true,
        };
    }
    let value = match t.metric {
        TargetMetric::WaitPercentile(_) => unreachable!("handled above"),
        TargetMetric::AnsweredShare => 1.0 - q.p_abandon(),
        TargetMetric::AnsweredWithin => q.answered_within(within),
        TargetMetric::AnsweredWithinOfAnswered => q.answered_within_of_answered(within),
        TargetMetric::MeanWait => q.mean_wait_answered(),
        TargetMetric::AbandonedShare => q.p_abandon(),
    };
    let improves_with_nurses = !matches!(t.metric, TargetMetric::MeanWait | TargetMetric::AbandonedShare);
    match t.bound {
        Bound::AtLeast(b) if improves_with_nurses => value >= b,
        Bound::AtMost(b) if !improves_with_nurses => value <= b,
        _ => true,
    }
}

/// Whether `window` has a nurse on the phone at the middle of hour `h` of the week.
fn covers(window: &crate::calendar::Window, h: usize) -> bool {
    let t = h as i64 * HOUR + HOUR / 2;
    let week = 7 * DAY;
    (0..7).filter(|&d| window.days.contains(d)).any(|d| {
        let start = d as i64 * DAY + window.from;
        let offset = (t - start).rem_euclid(week);
        offset < window.length()
    })
}

/// Greedy set multicover of `need` with region `r`'s slots, on top of the
/// region's shifts that are not adjusted.
fn cover(plan: &Plan, r: usize, need: &[u32], staffing: &mut Staffing) {
    let region = &plan.scenario.regions[r];
    let mut have = vec![0u32; 168];
    for (k, shift) in region.shifts.iter().enumerate() {
        if plan.slots.iter().any(|s| s.region == r && s.shift == k) {
            continue;
        }
        for (h, v) in have.iter_mut().enumerate() {
            if covers(&shift.window, h) {
                *v = v.saturating_add(shift.nurses);
            }
        }
    }
    let mine: Vec<usize> = (0..plan.slots.len()).filter(|&k| plan.slots[k].region == r).collect();
    let hours: Vec<Vec<usize>> = mine
        .iter()
        .map(|&k| (0..168).filter(|&h| covers(&plan.slots[k].window, h)).collect())
        .collect();
    loop {
        let short = |h: usize| need[h].saturating_sub(have[h]);
        let best = mine
            .iter()
            .zip(&hours)
            .filter(|(&k, _)| staffing[k] < MAX_NEED)
            .map(|(&k, hs)| {
                let gain = hs.iter().filter(|&&h| short(h) > 0).count() as f64;
                (k, gain / plan.slots[k].cost_per_nurse.max(1e-9), hs)
            })
            .filter(|(_, score, _)| *score > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((k, _, hs)) = best else { break };
        staffing[k] += 1;
        for &h in hs {
            have[h] = have[h].saturating_add(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{DaySet, Window};

    #[test]
    fn a_night_shift_covers_the_early_hours_of_the_next_day() {
        let w = Window::new(DaySet::parse("Mon").unwrap(), 22 * HOUR, 7 * HOUR).unwrap();
        assert!(covers(&w, 22) && covers(&w, 23) && covers(&w, 24 + 6));
        assert!(!covers(&w, 21) && !covers(&w, 24 + 7) && !covers(&w, 2));
        // Sunday night runs into Monday morning.
        let sunday = Window::new(DaySet::parse("Sun").unwrap(), 22 * HOUR, 7 * HOUR).unwrap();
        assert!(covers(&sunday, 0) && covers(&sunday, 167) && !covers(&sunday, 7));
    }
}
