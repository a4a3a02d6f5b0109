//! What one replication counts: a [`Tally`], whose size does not depend on the
//! number of calls.

use crate::calendar::{Time, HOUR, MINUTE, SECOND};

/// Waiting times of answered calls in fixed bins: exact zeros, one-second bins
/// up to two hours, one-minute bins up to two days, then one open bin.
#[derive(Clone, Debug)]
pub struct WaitHistogram {
    bins: Box<[u32; OPEN_BIN + 1]>,
}

const SECOND_BINS: usize = 7_200;
const MINUTE_BINS: usize = 46 * 60;
const OPEN_BIN: usize = 1 + SECOND_BINS + MINUTE_BINS;

impl Default for WaitHistogram {
    fn default() -> Self {
        WaitHistogram {
            bins: Box::new([0; OPEN_BIN + 1]),
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

    /// Waits of at most `limit` ms, when the histogram holds that count
    /// exactly (`limit` a whole number of seconds up to two hours, or zero).
    pub fn exact_at_most(&self, limit: Time) -> Option<u64> {
        Self::exact_last_bin(limit).map(|last| self.bins[..=last].iter().map(|&b| b as u64).sum())
    }

    /// The last bin of the waits of at most `limit` ms, when `limit` is a bin boundary.
    pub fn exact_last_bin(limit: Time) -> Option<usize> {
        if limit < 0 || limit % SECOND != 0 || limit / SECOND > SECOND_BINS as Time {
            return None;
        }
        Some((limit / SECOND) as usize)
    }

    /// Waits of at most `minutes` whole minutes (exact: a bin boundary).
    pub fn at_most_minutes(&self, minutes: usize) -> u64 {
        let last = if minutes == 0 { 0 } else { (minutes * 60).min(SECOND_BINS) };
        self.bins[..=last].iter().map(|&b| b as u64).sum()
    }

    pub fn merge(&mut self, other: &WaitHistogram) {
        self.bins.iter_mut().zip(other.bins.iter()).for_each(|(a, b)| *a += b);
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
    /// Per target, the waits of answered calls in each judged period: only
    /// for percentile targets (`wait_p75`), empty for the others, so that
    /// memory grows with periods, never with calls.
    pub target_waits: Vec<Vec<WaitHistogram>>,
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
            target_waits: vec![vec![]; target_periods.len()],
            staffing: vec![StaffingSample::default(); regions * 168],
            calls_simulated: 0,
        }
    }
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
}
