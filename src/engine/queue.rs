//! The event-queue kernel: a min-heap of events packed into 128-bit keys.
//!
//! A key sorts by, from the most significant bits down:
//!
//! | bits | field | range |
//! | --- | --- | --- |
//! | 39 | time (ms since the start) | `0 ≤ time < 2^39` (17 years; horizons are at most 10) |
//! | 2 | [`Class`] | state changes, then hang-ups, then everything else |
//! | 40 | sequence number | creation order; never wraps in practice (10^12 events) |
//! | 47 | the packed [`What`] | kind (4 bits) and its fields (43 bits) |
//!
//! So events run in time order; at one instant every change of state first,
//! then hang-ups, then the other events in the order they were created.
//!
//! The horizon is enforced here and nowhere else: an event at or after the
//! horizon is dropped when it is scheduled (never pushed). Callers add
//! durations with saturating arithmetic, so a duration past the horizon is
//! simply an event that never happens.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::calendar::Time;

/// Bits of the time in a key.
pub const TIME_BITS: u32 = 39;
const CLASS_BITS: u32 = 2;
const SEQ_BITS: u32 = 40;
const WHAT_BITS: u32 = 47;
/// Bits of a [`What`]'s fields, below its 4-bit kind.
const BODY_BITS: u32 = WHAT_BITS - 4;

/// Largest horizon the key can hold (exclusive).
pub const MAX_HORIZON: Time = 1 << TIME_BITS;
/// Regions a packed event can name (a call's region shares its body with the call's index).
pub const MAX_REGIONS: usize = 1 << REGION_BITS;
const REGION_BITS: u32 = 12;
/// Calls of one region a packed event can name (per replication).
pub const MAX_CALL_INDEX: u64 = 1 << (BODY_BITS - REGION_BITS);

/// The order of simultaneous events: at one instant, every change of state
/// (shifts, agreement windows, new days) first, then callers who hang up,
/// then everything else (arrivals, redials, service and break ends, overflow
/// checks, samples) in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    State = 0,
    HangUp = 1,
    Other = 2,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    Arrival {
        region: u32,
    },
    Redial {
        region: u32,
        attempt: u8,
        caller_counted: bool,
    },
    /// The caller with index `index` in region `region`'s queue hangs up (if still waiting).
    Abandon {
        region: u32,
        index: u64,
    },
    /// The call `index` of region `region` has waited long enough to overflow.
    Overflow {
        region: u32,
        index: u64,
    },
    ServiceEnd {
        nurse_region: u32,
    },
    BreakDue {
        region: u32,
    },
    BreakEnd {
        region: u32,
    },
    StaffCheck {
        region: u32,
    },
    AgreementCheck {
        agreement: u32,
    },
    NewDay {
        day: i64,
    },
    /// A snapshot of nurses and waiting calls, for the staffing chart.
    Sample,
}

/// The kind number of a packed [`What`].
#[inline]
pub fn kind(packed: u64) -> u64 {
    packed >> BODY_BITS
}

/// Kind number of [`What::Arrival`] (whose body is the region).
pub const KIND_ARRIVAL: u64 = 0;
/// Kind number of [`What::Abandon`] (see [`call_of`]).
pub const KIND_ABANDON: u64 = 2;
/// Kind number of [`What::ServiceEnd`] (whose body is the nurse's region).
pub const KIND_SERVICE_END: u64 = 4;

/// The region in the body of a packed [`What::Arrival`] or [`What::ServiceEnd`].
#[inline]
pub fn low_region(packed: u64) -> usize {
    packed as u32 as usize
}

/// The region and call index in the body of a packed [`What::Abandon`] or [`What::Overflow`].
#[inline]
pub fn call_of(packed: u64) -> (usize, u64) {
    let body = packed & ((1 << BODY_BITS) - 1);
    ((body & ((1 << REGION_BITS) - 1)) as usize, body >> REGION_BITS)
}

impl What {
    pub fn class(self) -> Class {
        Self::class_of_kind(self.kind())
    }

    /// The kind number of a packed event (its top 4 bits).
    #[inline]
    fn kind(self) -> u64 {
        match self {
            What::Arrival { .. } => 0,
            What::Redial { .. } => 1,
            What::Abandon { .. } => 2,
            What::Overflow { .. } => 3,
            What::ServiceEnd { .. } => 4,
            What::BreakDue { .. } => 5,
            What::BreakEnd { .. } => 6,
            What::StaffCheck { .. } => 7,
            What::AgreementCheck { .. } => 8,
            What::NewDay { .. } => 9,
            What::Sample => 10,
        }
    }

    /// State changes (kinds 7–9), hang-ups (kind 2), the rest.
    #[inline]
    fn class_of_kind(kind: u64) -> Class {
        match kind {
            7..=9 => Class::State,
            2 => Class::HangUp,
            _ => Class::Other,
        }
    }

    #[inline]
    fn pack(self) -> u64 {
        let region_index = |region: u32, index: u64| {
            assert!((region as usize) < MAX_REGIONS, "region {region} out of the event key's range");
            assert!(index < MAX_CALL_INDEX, "call index {index} out of the event key's range");
            region as u64 | index << REGION_BITS
        };
        let (kind, body): (u64, u64) = match self {
            What::Arrival { region } => (KIND_ARRIVAL, region as u64),
            What::Redial {
                region,
                attempt,
                caller_counted,
            } => (1, region as u64 | (attempt as u64) << 32 | (caller_counted as u64) << 40),
            What::Abandon { region, index } => (KIND_ABANDON, region_index(region, index)),
            What::Overflow { region, index } => (3, region_index(region, index)),
            What::ServiceEnd { nurse_region } => (KIND_SERVICE_END, nurse_region as u64),
            What::BreakDue { region } => (5, region as u64),
            What::BreakEnd { region } => (6, region as u64),
            What::StaffCheck { region } => (7, region as u64),
            What::AgreementCheck { agreement } => (8, agreement as u64),
            What::NewDay { day } => {
                assert!((0..1 << 32).contains(&day), "day {day} out of the event key's range");
                (9, day as u64)
            }
            What::Sample => (10, 0),
        };
        debug_assert!(body < 1 << BODY_BITS);
        kind << BODY_BITS | body
    }

    #[inline]
    pub fn unpack(bits: u64) -> What {
        let body = bits & ((1 << BODY_BITS) - 1);
        let low = body as u32;
        let region = (body & ((1 << REGION_BITS) - 1)) as u32;
        let index = body >> REGION_BITS;
        match bits >> BODY_BITS {
            0 => What::Arrival { region: low },
            1 => What::Redial {
                region: low,
                attempt: (body >> 32) as u8,
                caller_counted: (body >> 40) & 1 == 1,
            },
            2 => What::Abandon { region, index },
            3 => What::Overflow { region, index },
            4 => What::ServiceEnd { nurse_region: low },
            5 => What::BreakDue { region: low },
            6 => What::BreakEnd { region: low },
            7 => What::StaffCheck { region: low },
            8 => What::AgreementCheck { agreement: low },
            9 => What::NewDay { day: body as i64 },
            _ => What::Sample,
        }
    }
}

/// An event's sort key (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key(u128);

impl Key {
    #[cfg(test)]
    fn new(time: Time, class: Class, seq: u64, what: What) -> Key {
        Key::from_packed(time, class, seq, what.pack())
    }

    #[inline]
    fn from_packed(time: Time, class: Class, seq: u64, packed: u64) -> Key {
        // One comparison checks both: time < 2^39 (and ≥ 0) and seq < 2^40.
        assert!(
            (time as u64 | seq >> (SEQ_BITS - TIME_BITS)) < 1 << TIME_BITS,
            "event time {time} or sequence number {seq} out of the key's range"
        );
        Key((time as u128) << (CLASS_BITS + SEQ_BITS + WHAT_BITS)
            | (class as u128) << (SEQ_BITS + WHAT_BITS)
            | (seq as u128) << WHAT_BITS
            | packed as u128)
    }

    pub fn time(self) -> Time {
        (self.0 >> (CLASS_BITS + SEQ_BITS + WHAT_BITS)) as Time
    }

    pub fn class(self) -> Class {
        match (self.0 >> (SEQ_BITS + WHAT_BITS)) & 3 {
            0 => Class::State,
            1 => Class::HangUp,
            _ => Class::Other,
        }
    }

    pub fn what(self) -> What {
        What::unpack((self.0 & ((1 << WHAT_BITS) - 1)) as u64)
    }
}

/// The pending events of one replication, up to (not including) the horizon.
///
/// Each region has at most one pending arrival, and an arrival's handler
/// schedules the region's next one: arrivals are kept in a small heap of
/// their own, where the next arrival replaces the one just taken with one
/// sift (instead of a pop and a push on the large heap). The order of events
/// is exactly as if they were all in one heap.
pub struct EventQueue {
    heap: BinaryHeap<Reverse<Key>>,
    arrivals: BinaryHeap<Reverse<Key>>,
    /// The top of `arrivals` was returned by `pop` and awaits its replacement.
    arrival_taken: bool,
    seq: u64,
    horizon: Time,
    /// Time of the last event popped: nothing may be scheduled before it.
    now: Time,
}

impl EventQueue {
    pub fn new(horizon: Time, regions: usize) -> EventQueue {
        assert!(
            (0..=MAX_HORIZON).contains(&horizon),
            "horizon {horizon} ms out of the event key's range"
        );
        EventQueue {
            heap: BinaryHeap::with_capacity(1024),
            arrivals: BinaryHeap::with_capacity(regions),
            arrival_taken: false,
            seq: 0,
            horizon,
            now: 0,
        }
    }

    /// Schedules `what` at `time`; an event at or after the horizon is dropped.
    #[inline]
    pub fn schedule(&mut self, time: Time, what: What) {
        if time >= self.horizon {
            return;
        }
        debug_assert!(time >= self.now, "event at {time} scheduled in the past ({})", self.now);
        self.seq += 1;
        let packed = what.pack();
        let key = Key::from_packed(time, What::class_of_kind(packed >> BODY_BITS), self.seq, packed);
        if let What::Arrival { .. } = what {
            self.push_arrival(key);
        } else {
            self.heap.push(Reverse(key));
        }
    }

    /// Schedules the next arrival of `region` at `time` (what
    /// `schedule(time, What::Arrival { region })` does, without the dispatch on the kind).
    #[inline]
    pub fn schedule_arrival(&mut self, time: Time, region: u32) {
        if time >= self.horizon {
            return;
        }
        debug_assert!(time >= self.now, "event at {time} scheduled in the past ({})", self.now);
        self.seq += 1;
        let key = Key::from_packed(time, Class::Other, self.seq, region as u64);
        self.push_arrival(key);
    }

    /// Schedules the end of a call answered by a nurse of `nurse_region` (what
    /// `schedule(time, What::ServiceEnd { nurse_region })` does, without the
    /// dispatch on the kind).
    #[inline]
    pub fn schedule_service_end(&mut self, time: Time, nurse_region: u32) {
        if time >= self.horizon {
            return;
        }
        debug_assert!(time >= self.now, "event at {time} scheduled in the past ({})", self.now);
        self.seq += 1;
        let key = Key::from_packed(time, Class::Other, self.seq, KIND_SERVICE_END << BODY_BITS | nurse_region as u64);
        debug_assert_eq!(key.what(), What::ServiceEnd { nurse_region });
        self.heap.push(Reverse(key));
    }

    /// Schedules the hang-up of call `index` of `region` (what
    /// `schedule(time, What::Abandon { region, index })` does, without the
    /// dispatch on the kind).
    #[inline]
    pub fn schedule_abandon(&mut self, time: Time, region: u32, index: u64) {
        if time >= self.horizon {
            return;
        }
        debug_assert!(time >= self.now, "event at {time} scheduled in the past ({})", self.now);
        assert!((region as usize) < MAX_REGIONS, "region {region} out of the event key's range");
        assert!(index < MAX_CALL_INDEX, "call index {index} out of the event key's range");
        self.seq += 1;
        let packed = KIND_ABANDON << BODY_BITS | region as u64 | index << REGION_BITS;
        let key = Key::from_packed(time, Class::HangUp, self.seq, packed);
        debug_assert_eq!(key.what(), What::Abandon { region, index });
        self.heap.push(Reverse(key));
    }

    #[inline]
    fn push_arrival(&mut self, key: Key) {
        if self.arrival_taken {
            self.arrival_taken = false;
            let mut top = self.arrivals.peek_mut().expect("the arrival taken");
            debug_assert!(matches!((top.0.what(), key.what()), (What::Arrival { region: a }, What::Arrival { region: b }) if a == b));
            *top = Reverse(key);
        } else {
            self.arrivals.push(Reverse(key));
        }
    }

    /// Drops an arrival taken whose region has no next arrival.
    #[inline]
    fn settle(&mut self) {
        if self.arrival_taken {
            self.arrival_taken = false;
            self.arrivals.pop();
        }
    }

    /// Removes and returns the next event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, What)> {
        self.pop_packed().map(|(time, packed)| (time, What::unpack(packed)))
    }

    /// Removes the next event and returns its time and its packed [`What`]
    /// (decode it with [`What::unpack`], or look at [`kind`] first).
    #[inline]
    pub fn pop_packed(&mut self) -> Option<(Time, u64)> {
        self.settle();
        let key = match (self.heap.peek(), self.arrivals.peek()) {
            (Some(&Reverse(k)), Some(&Reverse(a))) if a < k => {
                self.arrival_taken = true;
                a
            }
            (None, Some(&Reverse(a))) => {
                self.arrival_taken = true;
                a
            }
            (Some(_), _) => self.heap.pop().expect("peeked").0,
            (None, None) => return None,
        };
        self.now = key.time();
        Some((self.now, (key.0 & ((1 << WHAT_BITS) - 1)) as u64))
    }

    /// Time and class of the next event, without removing it.
    #[inline]
    pub fn peek(&mut self) -> Option<(Time, Class)> {
        self.settle();
        let key = match (self.heap.peek(), self.arrivals.peek()) {
            (Some(&Reverse(k)), Some(&Reverse(a))) => k.min(a),
            (Some(&Reverse(k)), None) => k,
            (None, Some(&Reverse(a))) => a,
            (None, None) => return None,
        };
        Some((key.time(), key.class()))
    }

    /// Events pending (an arrival just taken no longer counts).
    pub fn len(&self) -> usize {
        self.heap.len() + self.arrivals.len() - self.arrival_taken as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn horizon(&self) -> Time {
        self.horizon
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::DAY;

    fn all() -> Vec<What> {
        vec![
            What::Arrival { region: 7 },
            What::Redial {
                region: 3,
                attempt: 255,
                caller_counted: true,
            },
            What::Abandon {
                region: (MAX_REGIONS - 1) as u32,
                index: MAX_CALL_INDEX - 1,
            },
            What::Overflow { region: 0, index: 5 },
            What::ServiceEnd { nurse_region: 2 },
            What::BreakDue { region: 1 },
            What::BreakEnd { region: 1 },
            What::StaffCheck { region: u32::MAX },
            What::AgreementCheck { agreement: u32::MAX },
            What::NewDay { day: 3650 },
            What::Sample,
        ]
    }

    #[test]
    fn events_pack_and_unpack() {
        for w in all() {
            assert_eq!(What::unpack(w.pack()), w);
            let k = Key::new(MAX_HORIZON - 1, w.class(), (1 << SEQ_BITS) - 1, w);
            assert_eq!((k.time(), k.class(), k.what()), (MAX_HORIZON - 1, w.class(), w));
        }
    }

    #[test]
    fn earlier_first_then_class_then_creation_order() {
        let mut q = EventQueue::new(3650 * DAY, 1);
        let t = 3649 * DAY;
        q.schedule(t + 1, What::Sample);
        q.schedule(t, What::Arrival { region: 0 });
        q.schedule(t, What::ServiceEnd { nurse_region: 1 });
        q.schedule(t, What::Abandon { region: 0, index: 3 });
        q.schedule(t, What::StaffCheck { region: 2 });
        q.schedule(t, What::AgreementCheck { agreement: 0 });
        q.schedule(t, What::Abandon { region: 0, index: 1 });
        assert_eq!(q.len(), 7);
        assert_eq!(q.peek(), Some((t, Class::State)));
        let order: Vec<What> = std::iter::from_fn(|| q.pop().map(|e| e.1)).collect();
        assert_eq!(
            order,
            vec![
                What::StaffCheck { region: 2 },
                What::AgreementCheck { agreement: 0 },
                What::Abandon { region: 0, index: 3 },
                What::Abandon { region: 0, index: 1 },
                What::Arrival { region: 0 },
                What::ServiceEnd { nurse_region: 1 },
                What::Sample,
            ]
        );
        assert!(q.is_empty());
    }

    #[test]
    fn arrivals_kept_aside_keep_their_place() {
        let mut q = EventQueue::new(DAY, 3);
        q.schedule(50, What::Arrival { region: 2 });
        q.schedule(10, What::Sample);
        q.schedule(50, What::ServiceEnd { nurse_region: 0 });
        q.schedule(30, What::Arrival { region: 0 });
        q.schedule(50, What::Arrival { region: 1 });
        q.schedule(50, What::StaffCheck { region: 1 });
        assert_eq!(q.len(), 6);
        let mut order = vec![];
        while let Some((t, w)) = q.pop() {
            order.push((t, w));
            if (t, w) == (30, What::Arrival { region: 0 }) {
                q.schedule(50, What::Arrival { region: 0 });
            }
        }
        assert_eq!(
            order,
            vec![
                (10, What::Sample),
                (30, What::Arrival { region: 0 }),
                (50, What::StaffCheck { region: 1 }),
                (50, What::Arrival { region: 2 }),
                (50, What::ServiceEnd { nurse_region: 0 }),
                (50, What::Arrival { region: 1 }),
                (50, What::Arrival { region: 0 }),
            ]
        );
    }

    #[test]
    fn events_at_or_after_the_horizon_are_never_pushed() {
        let mut q = EventQueue::new(DAY, 1);
        q.schedule(DAY - 1, What::Sample);
        q.schedule(DAY, What::Sample);
        q.schedule(DAY + 1, What::Arrival { region: 0 });
        q.schedule(Time::MAX, What::ServiceEnd { nurse_region: 0 });
        assert_eq!(q.len(), 1);
        assert_eq!(q.pop(), Some((DAY - 1, What::Sample)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_ten_year_horizon_fits_the_key() {
        const { assert!(3653 * DAY < MAX_HORIZON) };
        let mut q = EventQueue::new(3653 * DAY, 1);
        q.schedule(3653 * DAY - 1, What::Sample);
        assert_eq!(q.pop(), Some((3653 * DAY - 1, What::Sample)));
    }

    #[test]
    #[should_panic(expected = "out of the event key's range")]
    fn a_horizon_beyond_the_key_is_refused() {
        EventQueue::new(MAX_HORIZON + 1, 1);
    }

    #[test]
    #[should_panic(expected = "out of the event key's range")]
    fn a_call_index_beyond_the_key_is_refused() {
        What::Abandon {
            region: 0,
            index: MAX_CALL_INDEX,
        }
        .pack();
    }

    #[test]
    #[should_panic(expected = "out of the event key's range")]
    fn a_region_beyond_the_key_is_refused() {
        What::Overflow {
            region: MAX_REGIONS as u32,
            index: 0,
        }
        .pack();
    }
}
