//! Each region's calls counted per day of arrival, and folded into the
//! targets' periods (and the weekly and monthly series) once, at the end.
//!
//! Every boundary of a judged period is a midnight, the warmup or the
//! horizon, and only calls arriving in `[warmup, horizon)` count: so the
//! counted calls of one day all fall in the same period of every target. One
//! add per call into its day replaces a period lookup per target and call,
//! and the sums are the same (whole numbers, exact in any order).

use crate::calendar::{Time, DAY};
use crate::model::Model;
use crate::stats::PeriodCounts;

/// Counts of one region's calls that arrived on one day.
#[derive(Clone, Copy, Debug, Default)]
struct Day {
    offered: u64,
    answered: u64,
    abandoned: u64,
    /// Whole milliseconds: exact as an integer, converted once at the end.
    wait_answered_ms: u64,
}

pub(super) struct DailyCounts {
    days: usize,
    /// The distinct `within` limits of the targets, each counted per day.
    limits: Vec<Time>,
    /// `counts[r * days + d]`.
    counts: Vec<Day>,
    /// `within[(r * days + d) * limits.len() + i]`: answered within `limits[i]`.
    within: Vec<u64>,
}

impl DailyCounts {
    pub fn new(model: &Model) -> DailyCounts {
        let days = model.horizon.div_euclid(DAY) as usize + 1;
        let mut limits: Vec<Time> = model.targets.iter().map(|t| t.within).collect();
        limits.sort_unstable();
        limits.dedup();
        let cells = model.regions.len() * days;
        DailyCounts {
            days,
            within: vec![0; cells * limits.len()],
            limits,
            counts: vec![Day::default(); cells],
        }
    }

    #[inline]
    fn cell(&self, r: usize, arrival: Time) -> usize {
        // Counted calls arrive in [warmup, horizon), so the day is in range.
        r * self.days + (arrival as u64 / DAY as u64) as usize
    }

    #[inline]
    pub fn offered(&mut self, r: usize, arrival: Time) {
        let c = self.cell(r, arrival);
        self.counts[c].offered += 1;
    }

    #[inline]
    pub fn abandoned(&mut self, r: usize, arrival: Time) {
        let c = self.cell(r, arrival);
        self.counts[c].abandoned += 1;
    }

    #[inline]
    pub fn answered(&mut self, r: usize, arrival: Time, wait: Time) {
        let c = self.cell(r, arrival);
        let day = &mut self.counts[c];
        day.answered += 1;
        day.wait_answered_ms += wait as u64;
        let within = &mut self.within[c * self.limits.len()..(c + 1) * self.limits.len()];
        for (count, &limit) in within.iter_mut().zip(&self.limits) {
            *count += (wait <= limit) as u64;
        }
    }

    /// Adds the days into the periods of every target (`periods[k][p]`).
    pub fn fold_into(&self, model: &Model, periods: &mut [Vec<PeriodCounts>]) {
        for (k, target) in model.targets.iter().enumerate() {
            let limit = self.limits.binary_search(&target.within).expect("every target's limit is counted");
            for d in 0..self.days {
                let from = (d as Time * DAY).max(model.warmup);
                let Some(p) = target.period_of(from).filter(|_| from < model.horizon) else {
                    continue;
                };
                let counts = &mut periods[k][p];
                for &r in &target.regions {
                    let c = r * self.days + d;
                    let day = self.counts[c];
                    counts.offered += day.offered;
                    counts.answered += day.answered;
                    counts.abandoned += day.abandoned;
                    counts.wait_answered_ms += day.wait_answered_ms as f64;
                    counts.answered_within += self.within[c * self.limits.len() + limit];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::MINUTE;
    use crate::scenario::load_str;
    use rand::rngs::Xoshiro256PlusPlus;
    use rand::{RngExt, SeedableRng};

    /// Warmup and horizon in the middle of a day, a month change, and targets
    /// judged per day, week, month and over the horizon with several limits.
    const SCENARIO: &str = r#"
start = "2024-01-29"
horizon = "20d"
warmup = "30h"
replications = 1
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "5m" }
[[region]]
name = "A"
calls_per_day = 10
shifts = [ { from = "00:00", to = "24:00", nurses = 1 } ]
[[region]]
name = "B"
calls_per_day = 10
shifts = [ { from = "00:00", to = "24:00", nurses = 1 } ]
[[target]]
metric = "answered_within"
within = "3m"
at_least = 0.8
per = "day"
[[target]]
metric = "answered_within"
within = "90s"
at_least = 0.8
per = "week"
region = "B"
[[target]]
metric = "abandoned_share"
at_most = 0.1
per = "month"
[[target]]
metric = "mean_wait"
at_most = "2m"
"#;

    fn periods(model: &Model) -> Vec<Vec<PeriodCounts>> {
        model.targets.iter().map(|t| vec![PeriodCounts::default(); t.periods()]).collect()
    }

    #[test]
    fn days_fold_into_the_same_counts_as_a_lookup_per_call() {
        let scenario = load_str("t.toml", SCENARIO, &["horizon=487h".to_string()]).expect("valid");
        let model = Model::compile(&scenario);
        assert!(model.warmup % DAY != 0 && model.horizon % DAY != 0);
        let mut daily = DailyCounts::new(&model);
        let mut direct = periods(&model);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for _ in 0..20_000 {
            let r = rng.random_range(0..2usize);
            let arrival = rng.random_range(model.warmup..model.horizon);
            let (answered, wait) = (rng.random::<f64>() < 0.9, rng.random_range(0..6 * MINUTE));
            daily.offered(r, arrival);
            if answered {
                daily.answered(r, arrival, wait);
            } else {
                daily.abandoned(r, arrival);
            }
            for (k, target) in model.targets.iter().enumerate() {
                let Some(p) = target.period_of(arrival).filter(|_| target.regions.contains(&r)) else {
                    continue;
                };
                let c = &mut direct[k][p];
                c.offered += 1;
                if answered {
                    c.answered += 1;
                    c.wait_answered_ms += wait as f64;
                    c.answered_within += (wait <= target.within) as u64;
                } else {
                    c.abandoned += 1;
                }
            }
        }
        let mut folded = periods(&model);
        daily.fold_into(&model, &mut folded);
        let key = |c: &PeriodCounts| (c.offered, c.answered, c.abandoned, c.answered_within, c.wait_answered_ms);
        for (k, (a, b)) in folded.iter().zip(&direct).enumerate() {
            assert_eq!(
                a.iter().map(key).collect::<Vec<_>>(),
                b.iter().map(key).collect::<Vec<_>>(),
                "target {k}"
            );
        }
        // The calls fell in many periods, and some outside every judged day.
        assert!(folded[0].len() >= 18 && folded[0].iter().all(|c| c.offered > 0));
        assert!(direct[0].iter().map(|c| c.offered).sum::<u64>() < 20_000);
    }
}
