//! Accounting: what happens to calls and nurses, counted into the [`Tally`].
//! Only calls arriving after the warmup count, attributed to their arrival.

use super::calls::WaitingCall;
use super::Simulation;
use crate::calendar::Time;
use crate::stats::Tally;

impl Simulation<'_> {
    /// A call attempt of region `r` arrived in hour of the week `hour`.
    pub(super) fn count_offered(&mut self, r: usize, hour: usize, attempt: u8, counted: bool) {
        self.tally.calls_simulated += 1;
        if counted {
            let c = &mut self.tally.calls[r];
            c.offered += 1;
            c.by_hour[hour].offered += 1;
            if attempt == 1 {
                c.unique_callers += 1;
            }
            self.daily.offered(r, self.now);
        }
    }

    pub(super) fn count_blocked(&mut self, r: usize, counted: bool, over_capacity: bool) {
        if counted {
            self.tally.calls[r].blocked += 1;
            self.tally.calls[r].over_capacity += over_capacity as u64;
        }
    }

    /// A counted call of region `r` hung up now.
    pub(super) fn count_abandoned(&mut self, r: usize, call: &WaitingCall) {
        let c = &mut self.tally.calls[r];
        c.abandoned += 1;
        c.wait_abandoned_ms += (self.now - call.arrival) as f64;
        c.by_hour[call.hour_of_week()].abandoned += 1;
        self.daily.abandoned(r, call.arrival);
    }

    /// The judged period of target `k` that `t` falls in (as
    /// `TargetModel::period_of`), cached for the period of the last lookup.
    #[inline]
    fn period_of(&mut self, k: usize, t: Time) -> Option<usize> {
        let (from, to, period) = self.period_cache[k];
        if from <= t && t < to {
            return period;
        }
        let b = &self.model.targets[k].boundaries;
        let i = b.partition_point(|&x| x <= t);
        let from = if i >= 1 { b[i - 1] } else { Time::MIN };
        let to = b.get(i).copied().unwrap_or(Time::MAX);
        let period = (i >= 1 && i < b.len()).then(|| i - 1);
        self.period_cache[k] = (from, to, period);
        period
    }

    /// A call of region `r` answered by a nurse of region `j` after waiting `wait`.
    pub(super) fn count_answer(&mut self, call: &WaitingCall, r: usize, j: usize, wait: Time) {
        if call.caller_counted() {
            self.tally.calls[r].callers_answered += 1;
        }
        if call.arrival < self.model.warmup {
            return;
        }
        let n = self.model.regions.len();
        self.tally.flows[r * n + j] += 1;
        let month = self.month_of(call.arrival);
        if let Some(f) = self.tally.flows_by_month.get_mut(month * n * n + r * n + j) {
            *f += 1;
        }
        let c = &mut self.tally.calls[r];
        c.answered += 1;
        c.wait_answered_ms += wait as f64;
        c.waits.add(wait);
        // Thresholds on a histogram bin boundary are read from it at the end.
        for &(k, limit) in &self.within_per_call {
            if wait <= limit {
                c.within[k] += 1;
            }
        }
        let cell = &mut c.by_hour[call.hour_of_week()];
        cell.answered += 1;
        cell.wait_answered_ms += wait as f64;
        if wait <= self.model.chart_within {
            cell.answered_within_target += 1;
        }
        self.daily.answered(r, call.arrival, wait);
        if self.percentile_targets {
            self.count_wait_in_periods(r, call.arrival, wait);
        }
    }

    /// Adds the wait of an answered call of region `r` to the histograms of
    /// the percentile targets' periods it belongs to (kept apart, so that
    /// scenarios without percentile targets pay nothing for them).
    #[inline(never)]
    fn count_wait_in_periods(&mut self, r: usize, arrival: Time, wait: Time) {
        for i in 0..self.targets_of_region[r].len() {
            let k = self.targets_of_region[r][i];
            if !matches!(self.model.targets[k].metric, crate::scenario::TargetMetric::WaitPercentile(_)) {
                continue;
            }
            if let Some(p) = self.period_of(k, arrival) {
                self.tally.target_waits[k][p].add(wait);
            }
        }
    }

    /// Index of the calendar month (of `Model::months`) that `t` falls in
    /// (the first when before it), cached for the month of the last call.
    #[inline]
    fn month_of(&mut self, t: Time) -> usize {
        let (from, to, month) = self.month_cache;
        if from <= t && t < to {
            return month;
        }
        let months = &self.model.months;
        let i = months.partition_point(|&m| m <= t);
        let from = if i >= 1 { months[i - 1] } else { Time::MIN };
        let to = months.get(i).copied().unwrap_or(Time::MAX);
        self.month_cache = (from, to, i.saturating_sub(1));
        i.saturating_sub(1)
    }

    /// A snapshot of nurses on the phones and calls waiting, for the staffing chart.
    pub(super) fn record_sample(&mut self) {
        let hour = self.model.calendar.hour_of_week(self.now);
        for (r, s) in self.staff.iter().enumerate() {
            let cell = &mut self.tally.staffing[r * 168 + hour];
            cell.samples += 1;
            cell.nurses_on_phones += (s.idle.len() + s.busy as usize) as u64;
            cell.calls_waiting += self.queues[r].waiting as u64;
        }
    }

    /// Adds the time since the last change to region `j`'s logged-on and
    /// off-phone integrals (only the part after the warmup and before the
    /// horizon counts). Call it before the number of nurses logged on or on a
    /// break changes; busy time is added once per call ([`Self::count_busy`]).
    /// All terms are whole milliseconds, so the sums are exact whatever their order.
    pub(super) fn account_nurse_time(&mut self, j: usize) {
        let clip = |t: Time| t.clamp(self.model.warmup, self.model.horizon);
        let s = &mut self.staff[j];
        let span = (clip(self.now) - clip(s.since)) as f64;
        if span > 0.0 {
            let nt = &mut self.tally.nurses[j];
            nt.logged_on_ms += span * (s.idle.len() + (s.busy + s.on_break) as usize) as f64;
            nt.off_phone_ms += span * s.on_break as f64;
        }
        s.since = self.now;
    }

    /// A nurse of region `j` is busy from now for `handle` (the part after the
    /// warmup and before the horizon counts).
    #[inline]
    pub(super) fn count_busy(&mut self, j: usize, handle: Time) {
        let clip = |t: Time| t.clamp(self.model.warmup, self.model.horizon);
        let span = clip(self.now.saturating_add(handle)) - clip(self.now);
        self.tally.nurses[j].busy_ms += span as f64;
    }

    pub(super) fn record_overtime(&mut self, j: usize, requested: Time, until: Time) {
        let from = requested.max(self.model.warmup);
        if until > from {
            self.tally.nurses[j].overtime_ms += (until - from) as f64;
        }
    }

    /// Closes the time integrals at the horizon and counts the calls still waiting.
    pub(super) fn finish(mut self) -> Tally {
        let horizon = self.model.horizon;
        self.now = horizon;
        for j in 0..self.staff.len() {
            self.account_nurse_time(j);
            for k in 0..self.staff[j].leaving.len() {
                let requested = self.staff[j].leaving[k];
                self.record_overtime(j, requested, horizon);
            }
        }
        for (k, &limit) in self.model.within.iter().enumerate() {
            for c in &mut self.tally.calls {
                if let Some(count) = c.waits.exact_at_most(limit) {
                    c.within[k] = count;
                }
            }
        }
        self.daily.fold_into(self.model, &mut self.tally.target_periods);
        for r in 0..self.queues.len() {
            self.tally.calls[r].still_waiting += self.queues[r].counted_waiting(self.model.warmup);
        }
        self.tally
    }
}
