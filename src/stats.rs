//! Streaming statistics: what one replication counts (a [`Tally`] whose size does
//! not depend on the number of calls), the metrics derived from it, and their
//! means with 95 % confidence intervals over replications.

use crate::calendar::{Time, HOUR, MINUTE, SECOND};

/// Waiting times of answered calls in fixed bins: exact zeros, one-second bins
/// up to two hours, one-minute bins up to two days, then one open bin.
#[derive(Clone, Debug)]
pub struct WaitHistogram {
    bins: Vec<u32>,
}

const SECOND_BINS: usize = 7_200;
const MINUTE_BINS: usize = 46 * 60;
const OPEN_BIN: usize = 1 + SECOND_BINS + MINUTE_BINS;

impl Default for WaitHistogram {
    fn default() -> Self {
        WaitHistogram {
            bins: vec![0; OPEN_BIN + 1],
        }
    }
}

impl WaitHistogram {
    #[inline]
    pub fn add(&mut self, wait: Time) {
        self.bins[Self::bin(wait)] += 1;
    }

    #[inline]
    fn bin(wait: Time) -> usize {
        if wait <= 0 {
            return 0;
        }
        let s = ((wait - 1) / SECOND) as usize;
        if s < SECOND_BINS {
            1 + s
        } else {
            (1 + SECOND_BINS + (s - SECOND_BINS) / 60).min(OPEN_BIN)
        }
    }

    /// Lower edge and width of a bin, in milliseconds.
    fn edges(bin: usize) -> (f64, f64) {
        match bin {
            0 => (0.0, 0.0),
            b if b <= SECOND_BINS => ((b - 1) as f64 * SECOND as f64, SECOND as f64),
            b if b < OPEN_BIN => ((2 * HOUR) as f64 + (b - 1 - SECOND_BINS) as f64 * MINUTE as f64, MINUTE as f64),
            _ => ((48 * HOUR) as f64, 0.0),
        }
    }

    /// Waits of at most `minutes` whole minutes (exact: a bin boundary).
    pub fn at_most_minutes(&self, minutes: usize) -> u64 {
        let last = if minutes == 0 { 0 } else { (minutes * 60).min(SECOND_BINS) };
        self.bins[..=last].iter().map(|&b| b as u64).sum()
    }

    pub fn merge(&mut self, other: &WaitHistogram) {
        self.bins.iter_mut().zip(&other.bins).for_each(|(a, b)| *a += b);
    }

    /// The q-quantile in minutes (linear within a bin), `NaN` when empty.
    /// Waits beyond two days report two days.
    pub fn quantile(&self, q: f64) -> f64 {
        let total: u64 = self.bins.iter().map(|&b| b as u64).sum();
        if total == 0 {
            return f64::NAN;
        }
        let rank = q * total as f64;
        let mut cum = 0u64;
        for (i, &count) in self.bins.iter().enumerate() {
            if count == 0 {
                continue;
            }
            if (cum + count as u64) as f64 >= rank {
                let (low, width) = Self::edges(i);
                let frac = ((rank - cum as f64) / count as f64).clamp(0.0, 1.0);
                return (low + frac * width) / MINUTE as f64;
            }
            cum += count as u64;
        }
        Self::edges(OPEN_BIN).0 / MINUTE as f64
    }
}

/// Counts of one hour of the week for one region (attributed to arrival time).
#[derive(Clone, Copy, Debug, Default)]
pub struct HourCell {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    /// Answered within the chart threshold (`Model::chart_within`).
    pub answered_within_target: u64,
    pub wait_answered_ms: f64,
}

/// Sums of periodic samples of one region in one hour of the week.
#[derive(Clone, Copy, Debug, Default)]
pub struct StaffingSample {
    pub samples: u64,
    pub nurses_on_phones: u64,
    pub calls_waiting: u64,
}

/// Calls of one judged period of a target.
#[derive(Clone, Copy, Debug, Default)]
pub struct PeriodCounts {
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub answered_within: u64,
    pub wait_answered_ms: f64,
}

/// What happened to one region's calls in one replication.
#[derive(Clone, Debug)]
pub struct RegionCalls {
    pub offered: u64,
    pub unique_callers: u64,
    /// Unique callers answered at some attempt.
    pub callers_answered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub blocked: u64,
    /// Blocked because the region's queue reached the engine's hard limit.
    pub over_capacity: u64,
    pub still_waiting: u64,
    pub wait_answered_ms: f64,
    pub wait_abandoned_ms: f64,
    /// Answered within each threshold of `Model::within`.
    pub within: Vec<u64>,
    pub waits: WaitHistogram,
    pub by_hour: Vec<HourCell>,
}

impl RegionCalls {
    pub fn new(thresholds: usize) -> RegionCalls {
        RegionCalls {
            offered: 0,
            unique_callers: 0,
            callers_answered: 0,
            answered: 0,
            abandoned: 0,
            blocked: 0,
            over_capacity: 0,
            still_waiting: 0,
            wait_answered_ms: 0.0,
            wait_abandoned_ms: 0.0,
            within: vec![0; thresholds],
            waits: WaitHistogram::default(),
            by_hour: vec![HourCell::default(); 168],
        }
    }
}

/// Time of one region's nurses in one replication (after the warmup).
#[derive(Clone, Copy, Debug, Default)]
pub struct NurseTime {
    /// Nurse-milliseconds logged on (including overtime and off-phone time).
    pub logged_on_ms: f64,
    /// Nurse-milliseconds off the phones (shrinkage).
    pub off_phone_ms: f64,
    pub busy_ms: f64,
    pub overtime_ms: f64,
}

/// Everything one replication counts.
#[derive(Clone, Debug)]
pub struct Tally {
    pub calls: Vec<RegionCalls>,
    pub nurses: Vec<NurseTime>,
    /// `flows[r * n + j]`: calls of region r answered by nurses of region j.
    pub flows: Vec<u64>,
    /// The same per calendar month of arrival: `flows_by_month[m * n * n + r * n + j]`.
    pub flows_by_month: Vec<u64>,
    /// Per target, the counts of each judged period.
    pub target_periods: Vec<Vec<PeriodCounts>>,
    /// Every 15 minutes after the warmup, per region and hour of the week: the
    /// number of samples, nurses on the phones and calls waiting, summed.
    pub staffing: Vec<StaffingSample>,
    /// Every call generated, warmup included.
    pub calls_simulated: u64,
}

impl Tally {
    pub fn new(regions: usize, thresholds: usize, months: usize, target_periods: &[usize]) -> Tally {
        Tally {
            calls: (0..regions).map(|_| RegionCalls::new(thresholds)).collect(),
            nurses: vec![NurseTime::default(); regions],
            flows: vec![0; regions * regions],
            flows_by_month: vec![0; months * regions * regions],
            target_periods: target_periods.iter().map(|&p| vec![PeriodCounts::default(); p]).collect(),
            staffing: vec![StaffingSample::default(); regions * 168],
            calls_simulated: 0,
        }
    }
}

/// Names of the metrics reported for every region, agreement and the total,
/// in a fixed order (`answered_within_<T>` follow the scenario's thresholds).
pub fn metric_names(within_labels: &[String]) -> Vec<String> {
    let mut names: Vec<String> = [
        "offered",
        "unique_callers",
        "answered",
        "abandoned",
        "blocked",
        "still_waiting",
        "answered_share",
        "abandoned_share",
        "blocked_share",
        "callers_answered_share",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for label in within_labels {
        names.push(format!("answered_within_{label}"));
        names.push(format!("answered_within_{label}_of_answered"));
    }
    names.extend(
        [
            "mean_wait_answered",
            "mean_wait_all",
            "wait_p50",
            "wait_p75",
            "wait_p90",
            "wait_p95",
            "occupancy",
            "nurse_hours",
            "shrinkage",
            "overtime_hours",
            "answered_for_others",
            "answered_by_others",
            "net_answered_for_others",
            "calls_over_capacity",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    names
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        f64::NAN
    }
}

/// Metric values (same order as [`metric_names`], checked by a test) of a group of regions in one
/// replication: calls of these regions, and nurses of these regions. `NaN`
/// marks a value with an empty denominator.
pub fn group_metrics(tally: &Tally, group: &[usize]) -> Vec<f64> {
    let n = tally.nurses.len();
    let thresholds = tally.calls[0].within.len();
    let mut sum = RegionCalls {
        by_hour: vec![],
        ..RegionCalls::new(thresholds)
    };
    for &r in group {
        let c = &tally.calls[r];
        sum.offered += c.offered;
        sum.unique_callers += c.unique_callers;
        sum.callers_answered += c.callers_answered;
        sum.answered += c.answered;
        sum.abandoned += c.abandoned;
        sum.blocked += c.blocked;
        sum.over_capacity += c.over_capacity;
        sum.still_waiting += c.still_waiting;
        sum.wait_answered_ms += c.wait_answered_ms;
        sum.wait_abandoned_ms += c.wait_abandoned_ms;
        sum.within.iter_mut().zip(&c.within).for_each(|(a, b)| *a += b);
        sum.waits.merge(&c.waits);
    }
    let nurses = group.iter().fold(NurseTime::default(), |acc, &r| NurseTime {
        logged_on_ms: acc.logged_on_ms + tally.nurses[r].logged_on_ms,
        off_phone_ms: acc.off_phone_ms + tally.nurses[r].off_phone_ms,
        busy_ms: acc.busy_ms + tally.nurses[r].busy_ms,
        overtime_ms: acc.overtime_ms + tally.nurses[r].overtime_ms,
    });
    let inside = |r: usize| group.contains(&r);
    let (mut for_others, mut by_others) = (0u64, 0u64);
    for r in 0..n {
        for j in 0..n {
            let f = tally.flows[r * n + j];
            if inside(j) && !inside(r) {
                for_others += f;
            }
            if inside(r) && !inside(j) {
                by_others += f;
            }
        }
    }
    let (offered, answered) = (sum.offered as f64, sum.answered as f64);
    let mut m = vec![
        offered,
        sum.unique_callers as f64,
        answered,
        sum.abandoned as f64,
        sum.blocked as f64,
        sum.still_waiting as f64,
        ratio(answered, offered),
        ratio(sum.abandoned as f64, offered),
        ratio(sum.blocked as f64, offered),
        ratio(sum.callers_answered as f64, sum.unique_callers as f64),
    ];
    for &w in &sum.within {
        m.push(ratio(w as f64, offered));
        m.push(ratio(w as f64, answered));
    }
    let minute = MINUTE as f64;
    m.extend([
        ratio(sum.wait_answered_ms, answered) / minute,
        ratio(sum.wait_answered_ms + sum.wait_abandoned_ms, answered + sum.abandoned as f64) / minute,
        sum.waits.quantile(0.50),
        sum.waits.quantile(0.75),
        sum.waits.quantile(0.90),
        sum.waits.quantile(0.95),
        ratio(nurses.busy_ms, nurses.logged_on_ms - nurses.off_phone_ms),
        nurses.logged_on_ms / HOUR as f64,
        ratio(nurses.off_phone_ms, nurses.logged_on_ms),
        nurses.overtime_ms / HOUR as f64,
        for_others as f64,
        by_others as f64,
        for_others as f64 - by_others as f64,
        sum.over_capacity as f64,
    ]);
    m
}

/// Running mean and variance (Welford), fed in replication order so that the
/// result does not depend on how replications were scheduled on threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accumulator {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Accumulator {
    /// Adds one replication's value; `NaN` (undefined) values are skipped.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    pub fn estimate(&self) -> Estimate {
        if self.n == 0 {
            return Estimate {
                mean: None,
                ci95: None,
                n: 0,
            };
        }
        let ci95 = (self.n >= 2).then(|| {
            let sd = (self.m2 / (self.n - 1) as f64).max(0.0).sqrt();
            let half = student_t_975(self.n - 1) * sd / (self.n as f64).sqrt();
            (self.mean - half, self.mean + half)
        });
        Estimate {
            mean: Some(self.mean),
            ci95,
            n: self.n,
        }
    }
}

/// A mean over replications with its 95 % confidence interval. `mean` is `None`
/// when no replication defined the value (an empty denominator); `ci95` is
/// `None` with fewer than two replications that define it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub mean: Option<f64>,
    pub ci95: Option<(f64, f64)>,
    pub n: u64,
}

impl Estimate {
    pub fn half_width(&self) -> Option<f64> {
        self.ci95.map(|(l, h)| (h - l) / 2.0)
    }
}

/// The 97.5 % quantile of Student's t distribution with `df` degrees of freedom.
pub fn student_t_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
        2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    if df == 0 {
        return f64::NAN;
    }
    if df <= 30 {
        return TABLE[df as usize - 1];
    }
    // Cornish–Fisher expansion around the normal quantile; error < 1e-5 for df > 30.
    let z: f64 = 1.959_963_985;
    let v = df as f64;
    z + (z.powi(3) + z) / (4.0 * v)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * v.powi(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = WaitHistogram::default();
        for _ in 0..50 {
            h.add(0);
        }
        for s in 1..=50 {
            h.add(s * MINUTE);
        }
        assert_eq!(h.quantile(0.5), 0.0);
        let p75 = h.quantile(0.75);
        assert!((p75 - 25.0).abs() < 0.05, "{p75}");
        assert!(WaitHistogram::default().quantile(0.5).is_nan());
        h.add(100 * HOUR);
        assert_eq!(h.quantile(1.0), 48.0 * 60.0);
    }

    #[test]
    fn every_metric_has_a_name() {
        let labels = vec!["5m".to_string(), "10m".to_string(), "7m".to_string()];
        let tally = Tally::new(2, labels.len(), 1, &[]);
        assert_eq!(group_metrics(&tally, &[0, 1]).len(), metric_names(&labels).len());
    }

    #[test]
    fn accumulator_and_t() {
        let mut a = Accumulator::default();
        for x in [1.0, 2.0, 3.0, f64::NAN] {
            a.add(x);
        }
        let e = a.estimate();
        assert_eq!(e.mean, Some(2.0));
        assert_eq!(e.n, 3);
        let (l, h) = e.ci95.unwrap();
        assert!((h - 2.0 - 4.3027 / 3f64.sqrt()).abs() < 1e-9 && (2.0 - l - (h - 2.0)).abs() < 1e-12);
        assert!((student_t_975(40) - 2.0211).abs() < 1e-4);
        assert!((student_t_975(120) - 1.9799).abs() < 1e-4);
    }
}
