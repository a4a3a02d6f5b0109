//! Nurses: who answers which call (dispatch), shifts, off-phone breaks, and
//! agreements opening and closing.
//!
//! Changes of state (a shift starting or ending, an agreement window opening
//! or closing) never let nurses choose calls by themselves: they mark the
//! regions whose nurses may now have a call, and once every change of state of
//! the instant is applied, [`Simulation::dispatch`] lets those nurses choose,
//! the one idle longest first. So a nurse who logs on at the millisecond an
//! agreement closes never sees it open, whatever order the events were made in.

use rand::RngExt;
use rand_distr::{Binomial, Distribution, Exp1};

use super::calls::WaitingCall;
use super::queue::What;
use super::routing::Priority;
use super::{Simulation, ABSENCE, SAMPLE_EVERY};
use crate::calendar::{Time, DAY};
use crate::scenario::Hours;

impl Simulation<'_> {
    /// Offers the head of region `r`'s queue (and then the next) to free nurses:
    /// one of the region's own first, otherwise the eligible nurse idle longest.
    pub(super) fn offer_head(&mut self, r: usize) {
        while let Some(arrival) = self.head_arrival(r) {
            let waited = self.now - arrival;
            let nurse_region = if !self.staff[r].idle.is_empty() {
                Some(r)
            } else {
                self.partner_to_answer(r, waited)
            };
            let Some(j) = nurse_region else { return };
            self.take_idle_nurse(j);
            self.answer_head(r, j);
        }
    }

    /// The partner region whose eligible nurse has been idle longest (ties:
    /// the lower region) for a call of region `r` that has waited `waited`.
    #[inline]
    fn partner_to_answer(&self, r: usize, waited: Time) -> Option<usize> {
        if self.queues.len() <= 64 {
            // Partners with an idle nurse, from the bit sets.
            let mut candidates = self.partner_mask[r] & self.idle_mask;
            let mut best: Option<(Time, usize)> = None;
            while candidates != 0 {
                let j = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                let since = *self.staff[j].idle.front().expect("an idle nurse");
                if best.is_none_or(|b| (since, j) < b) && self.routing.eligibility(r, j, waited).is_some() {
                    best = Some((since, j));
                }
            }
            best.map(|(_, j)| j)
        } else {
            self.model.partners[r]
                .iter()
                .filter_map(|&j| self.staff[j].idle.front().map(|&since| (since, j)))
                .filter(|&(_, j)| self.routing.eligibility(r, j, waited).is_some())
                .min()
                .map(|(_, j)| j)
        }
    }

    /// Takes the nurse of region `j` idle longest off the idle list (to answer
    /// a call: the number logged on does not change).
    pub(super) fn take_idle_nurse(&mut self, j: usize) {
        self.staff[j].idle.pop_front();
        self.sync_idle_bit(j);
    }

    /// Keeps region `j`'s bit in the set of regions with idle nurses.
    #[inline]
    fn sync_idle_bit(&mut self, j: usize) {
        if j < 64 {
            let bit = 1u64 << j;
            if self.staff[j].idle.is_empty() {
                self.idle_mask &= !bit;
            } else {
                self.idle_mask |= bit;
            }
        }
    }

    /// The region whose head call a free nurse of region `j` should take.
    fn choose_call(&mut self, j: usize) -> Option<usize> {
        let mut best: Option<(Priority, Time, bool, usize)> = self.head_arrival(j).map(|a| (Priority::First, a, false, j));
        if self.queues.len() <= 64 {
            // Only partner regions with a waiting call that an active agreement
            // lets her answer, in region order (as the partner list).
            let mut candidates = self.routing.answerable(j) & self.waiting_mask;
            while candidates != 0 {
                let r = candidates.trailing_zeros() as usize;
                candidates &= candidates - 1;
                self.consider(j, r, &mut best);
            }
        } else {
            for i in 0..self.model.partners[j].len() {
                let r = self.model.partners[j][i];
                if self.routing.may_answer(r, j) {
                    self.consider(j, r, &mut best);
                }
            }
        }
        best.map(|b| b.3)
    }

    /// Whether the head call of partner region `r` is a better choice for a
    /// nurse of region `j` than `best`.
    #[inline]
    fn consider(&mut self, j: usize, r: usize, best: &mut Option<(Priority, Time, bool, usize)>) {
        let Some(arrival) = self.head_arrival(r) else { return };
        let Some(priority) = self.routing.eligibility(r, j, self.now - arrival) else {
            return;
        };
        let candidate = (priority, arrival, true, r);
        if best.is_none_or(|b| candidate < b) {
            *best = Some(candidate);
        }
    }

    /// A nurse of region `j` (already taken off the idle list) answers the head of region `r`.
    fn answer_head(&mut self, r: usize, j: usize) {
        let call = self.queues[r].pop_head();
        self.sync_waiting_bit(r);
        self.answer_call(&call, r, j);
    }

    /// A nurse of region `j` (already taken off the idle list) answers `call` of region `r`.
    #[inline]
    pub(super) fn answer_call(&mut self, call: &WaitingCall, r: usize, j: usize) {
        let wait = self.now - call.arrival;
        self.count_answer(call, r, j, wait);
        let mut handle = call.handle();
        if j != r {
            // A nurse answering another region's call needs longer (its routines, its referrals).
            handle = handle.saturating_add(self.model.regions[r].partner_extra_handle);
        }
        self.count_busy(j, handle);
        self.staff[j].busy += 1;
        self.events.schedule_service_end(self.now.saturating_add(handle), j as u32);
    }

    /// A nurse of region `j` has finished a call (`after_call`) or a break:
    /// she logs off if her shift is over, takes a due break, or the next call.
    pub(super) fn nurse_free(&mut self, j: usize, after_call: bool) {
        if let Some(requested) = self.staff[j].leaving.pop_front() {
            if after_call {
                self.record_overtime(j, requested, self.now);
            }
            return;
        }
        if self.staff[j].breaks_due > 0 {
            self.staff[j].breaks_due -= 1;
            self.start_break(j);
            return;
        }
        match self.choose_call(j) {
            Some(r) => self.answer_head(r, j),
            None => {
                self.staff[j].idle.push_back(self.now);
                self.sync_idle_bit(j);
            }
        }
    }

    fn start_break(&mut self, j: usize) {
        self.account_nurse_time(j);
        self.staff[j].on_break += 1;
        let length = self.model.regions[j].break_length.sample(&mut self.streams[j].breaks);
        self.events
            .schedule(self.now.saturating_add(length), What::BreakEnd { region: j as u32 });
    }

    /// Breaks fall due at `break_rate` per nurse on the phones, generated by
    /// thinning a process at the rate of the largest possible staff.
    pub(super) fn schedule_break_due(&mut self, r: usize) {
        let region = &self.model.regions[r];
        if region.break_rate <= 0.0 || region.max_nurses == 0 {
            return;
        }
        let gap: f64 = Exp1.sample(&mut self.streams[r].breaks);
        let at = self.now as f64 + gap / (region.break_rate * region.max_nurses as f64);
        if at < self.model.horizon as f64 {
            self.events.schedule(at.ceil() as Time, What::BreakDue { region: r as u32 });
        }
    }

    pub(super) fn break_due(&mut self, r: usize) {
        // Only nurses on the phones start a break: each at `break_rate`, so the
        // share off the phones settles at rate·length / (1 + rate·length) = shrinkage.
        let on_phones = self.staff[r].on_duty() - self.staff[r].on_break as usize;
        let accept = self.streams[r].breaks.random::<f64>() * self.model.regions[r].max_nurses as f64;
        if accept < on_phones as f64 {
            if self.staff[r].idle.is_empty() {
                // Taken by the next nurse to finish a call (never more than are on duty).
                let s = &mut self.staff[r];
                s.breaks_due = (s.breaks_due + 1).min(s.busy);
            } else {
                self.account_nurse_time(r);
                self.take_idle_nurse(r);
                self.start_break(r);
            }
        }
        self.schedule_break_due(r);
    }

    /// Marks region `r`'s free nurses as having perhaps a call to choose once
    /// the changes of state of this instant are applied.
    fn dispatch_later(&mut self, r: usize) {
        self.dispatch_pending[r] = true;
        self.any_dispatch_pending = true;
    }

    /// After the changes of state of an instant: the free nurses of the marked
    /// regions choose calls, the one idle longest first (ties: lower region),
    /// until none of them has an eligible call.
    pub(super) fn dispatch(&mut self) {
        self.any_dispatch_pending = false;
        let mut regions: Vec<usize> = (0..self.dispatch_pending.len()).filter(|&r| self.dispatch_pending[r]).collect();
        regions.iter().for_each(|&r| self.dispatch_pending[r] = false);
        loop {
            let next = regions
                .iter()
                .enumerate()
                .filter_map(|(k, &j)| self.staff[j].idle.front().map(|&since| (since, j, k)))
                .min();
            let Some((_, j, k)) = next else { break };
            match self.choose_call(j) {
                Some(r) => {
                    self.take_idle_nurse(j);
                    self.answer_head(r, j);
                }
                None => {
                    regions.swap_remove(k);
                }
            }
        }
    }

    /// Nurses scheduled in region `r` at time `t`: shifts that started today or
    /// yesterday and cover `t`, each less its absent nurses (drawn per shift and
    /// day, the same whenever asked).
    fn scheduled_nurses(&self, r: usize, t: Time) -> usize {
        let model = self.model;
        let day = t.div_euclid(DAY);
        let mut total = 0;
        for d in [day, day - 1] {
            for (k, shift) in model.shifts_on(r, d).iter().enumerate() {
                if !model.occurrence_covers(&shift.window, d, t) {
                    continue;
                }
                total += if shift.absence > 0.0 {
                    let key = (d as u64).wrapping_mul(0x1_0000_0001) ^ k as u64 ^ (shift.window.from as u64) << 40;
                    let present = Binomial::new(shift.nurses as u64, 1.0 - shift.absence).expect("valid absence");
                    present.sample(&mut self.keyed_rng(r, ABSENCE, key)) as usize
                } else {
                    shift.nurses as usize
                };
            }
        }
        total
    }

    /// Brings region `r`'s logged-on nurses to the number the schedule asks for now.
    pub(super) fn staff_check(&mut self, r: usize) {
        let target = self.scheduled_nurses(r, self.now);
        let on_duty = self.staff[r].on_duty();
        self.account_nurse_time(r);
        if target > on_duty {
            let mut add = target - on_duty;
            // A busy nurse who was about to leave stays instead of a new one logging on.
            while add > 0 && self.staff[r].leaving.pop_back().is_some() {
                add -= 1;
            }
            for _ in 0..add {
                self.staff[r].idle.push_back(self.now);
            }
            self.sync_idle_bit(r);
            self.dispatch_later(r);
        } else if target < on_duty {
            let mut remove = on_duty - target;
            while remove > 0 && self.staff[r].idle.pop_front().is_some() {
                remove -= 1;
            }
            self.sync_idle_bit(r);
            for _ in 0..remove {
                self.staff[r].leaving.push_back(self.now);
            }
        }
    }

    pub(super) fn agreement_check(&mut self, a: usize) {
        let active = self.crisis_on[a] && self.model.agreement_active(a, self.now);
        if active == self.routing.active[a] {
            return;
        }
        self.routing.active[a] = active;
        self.routing.recompute(self.model);
        if active {
            // Calls already waiting long enough become eligible at once: free
            // nurses of the members pick, the one idle longest first.
            for k in 0..self.model.agreements[a].members.len() {
                self.dispatch_later(self.model.agreements[a].members[k]);
            }
        }
    }

    /// Schedules the day's shift changes and agreement windows, and the next day.
    pub(super) fn new_day(&mut self, day: i64) {
        // First, so that it runs before the shift changes at the next midnight.
        self.events.schedule((day + 1) * DAY, What::NewDay { day: day + 1 });
        self.schedule_changes_of_day(day);
    }

    /// Schedules the shift changes and agreement windows of the occurrences
    /// starting on `day` (those not before now: at the start, the ends of the
    /// previous day's occurrences that cross midnight into the first day).
    pub(super) fn schedule_changes_of_day(&mut self, day: i64) {
        let model = self.model;
        let start = day * DAY;
        let weekday = model.calendar.weekday_of_day(day);
        let now = self.now;
        for r in 0..model.regions.len() {
            for shift in model.shifts_on(r, day) {
                if let Some((from, to)) = shift.window.occurrence(start, weekday) {
                    for t in [from, to].into_iter().filter(|&t| t >= now) {
                        self.events.schedule(t, What::StaffCheck { region: r as u32 });
                    }
                }
            }
        }
        for (a, agreement) in model.agreements.iter().enumerate() {
            // Dates start and end at midnight (windows are checked at their own ends).
            if agreement.dated() && (day == agreement.first_day || day - 1 == agreement.last_day) && start >= now {
                self.events.schedule(start, What::AgreementCheck { agreement: a as u32 });
            }
            if let Hours::Windows(ws) = &agreement.hours {
                for w in ws {
                    if let Some((from, to)) = w.occurrence(start, weekday) {
                        for t in [from, to].into_iter().filter(|&t| t >= now) {
                            self.events.schedule(t, What::AgreementCheck { agreement: a as u32 });
                        }
                    }
                }
            }
        }
    }

    pub(super) fn sample(&mut self) {
        self.record_sample();
        self.events.schedule(self.now + SAMPLE_EVERY, What::Sample);
    }
}
