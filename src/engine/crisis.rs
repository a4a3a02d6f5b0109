//! Crisis routing: an agreement that switches on while a member region's
//! queue is long and off again once every member's queue is short (with
//! hysteresis between the two levels).
//!
//! The crisis state is followed at every change of a member's queue (a call
//! queued, answered or hung up) and when a waiting call reaches the trigger
//! wait (a timer per call, as overflow delays): these are the only instants
//! at which the state can change, so it is exact, not polled. A trigger can
//! only be reached at the queue that just grew or whose call just reached the
//! wait; a release needs every member below its release levels. A crisis
//! turning on or off is a change of state like an agreement's hours opening
//! or closing: routing is recomputed at once and nurses choose calls only once
//! the changes of the instant are applied (see [`super::nurses`]).

use super::Simulation;
use crate::calendar::Time;
use crate::scenario::Crisis;

impl Simulation<'_> {
    /// Follows the crisis agreements of region `r` after its queue changed.
    pub(super) fn crisis_update(&mut self, r: usize) {
        let model = self.model;
        for &a in &model.crisis_of_region[r] {
            let crisis = model.agreements[a].crisis.as_ref().expect("a crisis agreement");
            let on = if self.crisis_on[a] {
                !model.agreements[a].members.iter().all(|&m| self.released(m, crisis))
            } else {
                self.triggered(r, crisis)
            };
            if on != self.crisis_on[a] {
                self.crisis_on[a] = on;
                self.agreement_check(a);
            }
        }
    }

    /// How long region `m`'s longest-waiting call has waited (0 with none).
    fn longest_wait(&mut self, m: usize) -> Time {
        self.head_arrival(m).map_or(0, |arrival| self.now - arrival)
    }

    /// Whether region `m`'s queue reaches a trigger of the crisis.
    fn triggered(&mut self, m: usize, c: &Crisis) -> bool {
        c.waiting_at_least.is_some_and(|n| self.queues[m].waiting >= n) || c.longest_wait_over.is_some_and(|t| self.longest_wait(m) >= t)
    }

    /// Whether region `m`'s queue is below every release level of the crisis.
    fn released(&mut self, m: usize, c: &Crisis) -> bool {
        c.waiting_at_least.is_none_or(|_| self.queues[m].waiting < c.release_below)
            && c.longest_wait_over.is_none_or(|_| self.longest_wait(m) < c.release_below_wait)
    }
}
