//! Calls: attempts (first calls and redials), each region's first-come
//! first-served queue, overload protection, hang-ups and redials.

use std::collections::VecDeque;

use rand::RngExt;

use super::queue::What;
use super::{Simulation, MAX_WAITING};
use crate::calendar::Time;

/// A waiting call, held inline in its region's queue: 16 bytes.
#[derive(Clone, Copy, Debug)]
pub(super) struct WaitingCall {
    pub arrival: Time,
    /// Handle time (40 bits, saturated: beyond any horizon), attempt (8 bits),
    /// hour of the week of arrival (8 bits), caller counted (1 bit), hung up (1 bit).
    bits: u64,
}

const HANDLE_BITS: u32 = 40;
const HANDLE_MAX: Time = (1 << HANDLE_BITS) - 1;

impl WaitingCall {
    fn new(arrival: Time, handle: Time, attempt: u8, hour_of_week: usize, caller_counted: bool) -> WaitingCall {
        let handle = handle.clamp(0, HANDLE_MAX) as u64;
        WaitingCall {
            arrival,
            bits: handle | (attempt as u64) << 40 | (hour_of_week as u64) << 48 | (caller_counted as u64) << 56,
        }
    }

    pub fn handle(self) -> Time {
        (self.bits & HANDLE_MAX as u64) as Time
    }

    pub fn attempt(self) -> u8 {
        (self.bits >> 40) as u8
    }

    pub fn hour_of_week(self) -> usize {
        (self.bits >> 48) as u8 as usize
    }

    pub fn caller_counted(self) -> bool {
        (self.bits >> 56) & 1 == 1
    }

    fn hung_up(self) -> bool {
        (self.bits >> 57) & 1 == 1
    }

    fn hang_up(&mut self) {
        self.bits |= 1 << 57;
    }
}

/// One region's queue: a ring buffer of calls in arrival order. Each call has
/// an index (its position in the region's sequence of queued calls) by which
/// its hang-up and overflow events name it. A call that hangs up stays in the
/// buffer, marked, until it reaches the front (lazy removal).
#[derive(Clone, Debug, Default)]
pub(super) struct CallQueue {
    calls: VecDeque<WaitingCall>,
    /// Index of the call at the front.
    front: u64,
    /// Calls waiting (hung-up calls excluded).
    pub waiting: u32,
}

impl CallQueue {
    fn push(&mut self, call: WaitingCall) -> u64 {
        self.calls.push_back(call);
        self.waiting += 1;
        self.front + self.calls.len() as u64 - 1
    }

    fn get(&self, index: u64) -> Option<&WaitingCall> {
        index.checked_sub(self.front).and_then(|k| self.calls.get(k as usize))
    }

    /// Whether the call `index` is still waiting.
    pub fn is_waiting(&self, index: u64) -> bool {
        self.get(index).is_some_and(|c| !c.hung_up())
    }

    /// Marks the call `index` as hung up, if it is waiting.
    fn hang_up(&mut self, index: u64) -> Option<WaitingCall> {
        let k = index.checked_sub(self.front)? as usize;
        let call = self.calls.get_mut(k).filter(|c| !c.hung_up())?;
        call.hang_up();
        self.waiting -= 1;
        Some(*call)
    }

    /// Arrival time of the longest-waiting call, dropping hung-up calls from the front.
    #[inline]
    pub fn head_arrival(&mut self) -> Option<Time> {
        if self.waiting == 0 {
            // Only hung-up calls (if any) are left: nothing to look at.
            return None;
        }
        while let Some(c) = self.calls.front() {
            if !c.hung_up() {
                return Some(c.arrival);
            }
            self.calls.pop_front();
            self.front += 1;
        }
        None
    }

    /// Removes the longest-waiting call (the front must be waiting).
    pub fn pop_head(&mut self) -> WaitingCall {
        let call = self.calls.pop_front().expect("a waiting call");
        debug_assert!(!call.hung_up());
        self.front += 1;
        self.waiting -= 1;
        call
    }

    /// Waiting calls that arrived after `warmup` (for the horizon's count).
    pub fn counted_waiting(&self, warmup: Time) -> u64 {
        self.calls.iter().filter(|c| !c.hung_up() && c.arrival >= warmup).count() as u64
    }
}

impl Simulation<'_> {
    /// One call attempt of region `r`: the caller's `attempt`-th.
    pub(super) fn attempt(&mut self, r: usize, attempt: u8, caller_counted: bool) {
        let model = self.model;
        let region = &model.regions[r];
        let streams = &mut self.streams[r];
        // First attempts draw from their own streams, so that redials never
        // shift the callers of another scenario (common random numbers).
        // Dated handle time: the one in force on the day of arrival.
        let handle_dist = if region.handle_changes.is_empty() {
            &region.handle
        } else {
            region.handle_on(self.now.div_euclid(crate::calendar::DAY)).0
        };
        let (handle, patience) = if attempt == 1 {
            (
                handle_dist.sample(&mut streams.handle),
                region.patience.sample(&mut streams.patience),
            )
        } else {
            (handle_dist.sample(&mut streams.retry), region.patience.sample(&mut streams.retry))
        };
        let counted = self.now >= model.warmup;
        let caller_counted = if attempt == 1 { counted } else { caller_counted };
        let hour = self.hour_of_week_now();
        self.count_offered(r, hour, attempt, counted);
        let over_capacity = self.queues[r].waiting >= MAX_WAITING;
        if over_capacity || self.overloaded(r) {
            self.count_blocked(r, counted, over_capacity);
            self.maybe_redial(r, attempt, caller_counted);
            return;
        }
        let call = WaitingCall::new(self.now, handle, attempt, hour, caller_counted);
        if self.queues[r].waiting == 0 && !self.staff[r].idle.is_empty() {
            // No one waits and a nurse of her own region is free: answered at
            // once, exactly as through the queue, without taking a place in it
            // (so no hang-up or overflow to schedule).
            self.take_idle_nurse(r);
            self.answer_call(&call, r, r);
            return;
        }
        let index = self.queues[r].push(call);
        self.sync_waiting_bit(r);
        self.offer_head(r);
        if self.queues[r].is_waiting(index) {
            self.events.schedule_abandon(self.now.saturating_add(patience), r as u32, index);
            for &d in &region.overflow_delays {
                // A caller whose patience equals the overflow delay hangs up
                // then: she never becomes eligible for partners.
                if d < patience {
                    self.events
                        .schedule(self.now.saturating_add(d), What::Overflow { region: r as u32, index });
                }
            }
        }
    }

    /// Overload protection: "call later" when the queue is too long or the
    /// estimated wait (waiting calls × mean handle time / nurses on the phones)
    /// is too long.
    fn overloaded(&self, r: usize) -> bool {
        let region = &self.model.regions[r];
        let waiting = self.queues[r].waiting;
        if waiting >= region.max_queue {
            return true;
        }
        if region.max_wait == Time::MAX {
            return false;
        }
        let s = &self.staff[r];
        let on_phones = (s.idle.len() + s.busy as usize).max(1) as f64;
        let mean_handle = region.handle_on(self.now.div_euclid(crate::calendar::DAY)).1;
        waiting as f64 * mean_handle / on_phones > region.max_wait as f64
    }

    fn maybe_redial(&mut self, r: usize, attempt: u8, caller_counted: bool) {
        let Some(redial) = &self.model.regions[r].redial else { return };
        if attempt as u32 >= redial.max_attempts {
            return;
        }
        let rng = &mut self.streams[r].redial;
        if rng.random::<f64>() >= redial.probability {
            return;
        }
        let at = self.now.saturating_add(redial.delay.sample(rng));
        self.events.schedule(
            at,
            What::Redial {
                region: r as u32,
                attempt: attempt + 1,
                caller_counted,
            },
        );
    }

    /// The caller `index` of region `r` hangs up, if she is still waiting.
    pub(super) fn abandon(&mut self, r: usize, index: u64) {
        let Some(call) = self.queues[r].hang_up(index) else { return };
        self.sync_waiting_bit(r);
        if call.arrival >= self.model.warmup {
            self.count_abandoned(r, &call);
        }
        self.maybe_redial(r, call.attempt(), call.caller_counted());
    }

    /// Keeps region `r`'s bit in the set of regions with waiting calls.
    #[inline]
    pub(super) fn sync_waiting_bit(&mut self, r: usize) {
        if r < 64 {
            let bit = 1u64 << r;
            if self.queues[r].waiting > 0 {
                self.waiting_mask |= bit;
            } else {
                self.waiting_mask &= !bit;
            }
        }
        if self.any_crisis && self.crisis_watch[r] {
            self.crisis_update(r);
        }
    }

    /// Arrival time of the longest-waiting call of region `r`.
    #[inline]
    pub(super) fn head_arrival(&mut self, r: usize) -> Option<Time> {
        self.queues[r].head_arrival()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waiting_call_takes_16_bytes_and_keeps_its_fields() {
        assert_eq!(std::mem::size_of::<WaitingCall>(), 16);
        let c = WaitingCall::new(123_456, 789, 3, 167, true);
        assert_eq!(
            (c.arrival, c.handle(), c.attempt(), c.hour_of_week(), c.caller_counted()),
            (123_456, 789, 3, 167, true)
        );
        // A handle time beyond 40 bits saturates: still far past any horizon.
        assert_eq!(WaitingCall::new(0, Time::MAX, 1, 0, false).handle(), HANDLE_MAX);
        const { assert!(HANDLE_MAX > super::super::queue::MAX_HORIZON) };
    }

    #[test]
    fn calls_are_named_by_their_index_and_hung_up_calls_leave_lazily() {
        let mut q = CallQueue::default();
        let a = q.push(WaitingCall::new(10, 1, 1, 0, true));
        let b = q.push(WaitingCall::new(20, 1, 1, 0, true));
        let c = q.push(WaitingCall::new(30, 1, 1, 0, true));
        assert_eq!((a, b, c, q.waiting), (0, 1, 2, 3));
        assert!(q.hang_up(a).is_some());
        assert!(q.hang_up(a).is_none(), "hangs up once");
        assert_eq!(q.head_arrival(), Some(20));
        assert_eq!(q.pop_head().arrival, 20);
        assert!(!q.is_waiting(b), "answered");
        assert!(q.hang_up(b).is_none());
        assert!(q.is_waiting(c));
        assert_eq!(q.counted_waiting(25), 1);
        assert!(q.hang_up(c).is_some());
        assert_eq!((q.waiting, q.head_arrival()), (0, None));
        let d = q.push(WaitingCall::new(40, 1, 1, 0, false));
        assert_eq!(d, 3);
        assert_eq!(q.head_arrival(), Some(40));
    }
}
