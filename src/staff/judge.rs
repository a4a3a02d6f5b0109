//! The one rule by which a target "holds", used alike by the search and the
//! certification, and the simulation of several staffings on common random
//! numbers that it judges.

use crate::experiment::runner::{Progress, Runner};
use crate::experiment::{run_replications_with_progress, summarize, Fold, RunError, TargetResult};
use crate::model::Model;
use crate::scenario::{Bound, Target, TargetMetric};

use super::plan::{Plan, Staffing};

/// The rule, as reports state it.
pub const RULE: &str = "a target holds when its 95 % interval lies on the right side of the requirement: \
with met_in = p, the lower end of the share of periods met (the lower of the Wilson interval over all judged \
periods and the Student-t interval over replications) is at least p; without met_in, the lower end (at_least) \
or the upper end (at_most) of the estimate's 95 % interval meets the bound";

/// z of a two-sided 95 % interval.
const Z95: f64 = 1.959_963_984_540_054;

/// One target judged by the rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    pub holds: bool,
    /// How far the target is from holding (0 when it holds): in share points,
    /// or relative to the bound for a waiting time. The search closes it.
    pub gap: f64,
    /// How far inside the requirement it is (negative when it does not hold), in the same units.
    pub margin: f64,
    /// The interval the rule looks at.
    pub interval: [f64; 2],
    /// `"share_of_periods"` or `"estimate"`.
    pub judged_on: &'static str,
}

/// A staffing's targets: as `run` reports them, and by the rule.
#[derive(Clone, Debug)]
pub struct Judgement {
    pub results: Vec<TargetResult>,
    pub checks: Vec<Check>,
}

impl Judgement {
    /// Whether every target holds.
    pub fn holds(&self) -> bool {
        self.checks.iter().all(|c| c.holds)
    }

    /// The targets' gaps added up: what greedy additions close.
    pub fn gap(&self) -> f64 {
        self.checks.iter().map(|c| c.gap).sum()
    }

    /// The smallest margin of any target: how safely the staffing holds.
    pub fn margin(&self) -> f64 {
        self.checks.iter().map(|c| c.margin).fold(f64::INFINITY, f64::min)
    }
}

/// Simulates every staffing on the same `replications` of `seed` (common
/// random numbers) and judges each one's targets.
pub fn evaluate(
    plan: &Plan,
    staffings: &[Staffing],
    runner: &Runner,
    seed: u64,
    replications: u32,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<Judgement>, RunError> {
    let scenarios: Vec<_> = staffings.iter().map(|s| plan.scenario_with(s)).collect();
    let models: Vec<Model> = scenarios.iter().map(Model::compile).collect();
    let metrics = crate::stats::metric_set(&plan.scenario.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>()).len();
    let mut folds: Vec<Fold> = models.iter().map(|m| Fold::new(m, metrics)).collect();
    run_replications_with_progress(
        runner,
        &models,
        seed,
        replications,
        &mut |_, row| folds.iter_mut().zip(&row).for_each(|(f, o)| f.add(o)),
        progress,
    )?;
    Ok(scenarios
        .iter()
        .zip(&models)
        .zip(folds)
        .map(|((s, m), fold)| {
            let mut s = s.clone();
            s.seed = seed;
            let summary = summarize(&s, m, fold, replications, 0.0, runner.threads());
            let checks = s.targets.iter().zip(&summary.targets).map(|(t, r)| check(t, r)).collect();
            Judgement {
                results: summary.targets,
                checks,
            }
        })
        .collect())
}

/// Judges one target's result by [`RULE`].
pub fn check(target: &Target, result: &TargetResult) -> Check {
    // Waiting times are compared relative to their bound, shares in share points.
    let scale = match (target.metric, target.bound) {
        (TargetMetric::MeanWait | TargetMetric::WaitPercentile(_), Bound::AtLeast(b) | Bound::AtMost(b)) => b.abs().max(1e-9),
        _ => 1.0,
    };
    let short = |value: f64| match target.bound {
        Bound::AtLeast(b) => (b - value) / scale,
        Bound::AtMost(b) => (value - b) / scale,
    };
    match target.met_in {
        Some(p) => {
            let Some(share) = result.share_of_periods_met else {
                return nothing_judged("share_of_periods");
            };
            let judged = result.periods_judged as f64;
            let (mut lo, mut hi) = wilson(share, judged);
            if let Some((a, b)) = result.share_of_periods_met_by_replication.ci95 {
                (lo, hi) = (lo.min(a.max(0.0)), hi.max(b.min(1.0)));
            }
            // The level reached in the share p of periods moves with every nurse,
            // even while the share of periods met does not: it guides the search.
            let level_gap = result.reached.map_or(0.0, |r| short(r.level).max(0.0));
            Check {
                holds: lo >= p,
                gap: (p - lo).max(0.0) + level_gap,
                margin: lo - p,
                interval: [lo, hi],
                judged_on: "share_of_periods",
            }
        }
        None => {
            let Some((lo, hi)) = result.estimate.ci95.filter(|(a, b)| a.is_finite() && b.is_finite()) else {
                return nothing_judged("estimate");
            };
            let edge = match target.bound {
                Bound::AtLeast(_) => lo,
                Bound::AtMost(_) => hi,
            };
            let shortfall = short(edge);
            Check {
                holds: shortfall <= 0.0,
                gap: shortfall.max(0.0),
                margin: -shortfall,
                interval: [lo, hi],
                judged_on: "estimate",
            }
        }
    }
}

/// A target with no calls to judge (no period, or no replication with a
/// value) cannot be improved by staffing: it does not stop the search.
fn nothing_judged(judged_on: &'static str) -> Check {
    Check {
        holds: true,
        gap: 0.0,
        margin: f64::INFINITY,
        interval: [f64::NAN, f64::NAN],
        judged_on,
    }
}

/// The Wilson score interval (95 %) of a share observed in `n` trials.
pub fn wilson(share: f64, n: f64) -> (f64, f64) {
    if n <= 0.0 {
        return (0.0, 1.0);
    }
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let centre = (share + z2 / (2.0 * n)) / denominator;
    let half = Z95 / denominator * (share * (1.0 - share) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_a_published_value() {
        // 81 of 263 (Newcombe 1998, method 3): 0.2553 – 0.3662.
        let (lo, hi) = wilson(81.0 / 263.0, 263.0);
        assert!((lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4, "{lo} {hi}");
        // All met in 20 periods is not enough for 90 %.
        assert!(wilson(1.0, 20.0).0 < 0.9);
        assert!(wilson(1.0, 40.0).0 > 0.9);
    }
}
