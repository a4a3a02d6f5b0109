//! The event loop of one replication: a heap of timed events and a clock,
//! the regions' queues, and their nurses.
//!
//! Semantics (design §1): every call waits in its own region's first-come
//! first-served queue and keeps its place there; agreements only make it
//! *additionally* eligible for partner nurses (see [`crate::routing`]). A free
//! nurse takes, among eligible calls, her own region's longest-waiting call
//! first (or the oldest, under `oldest-first`); a newly eligible call goes to a
//! free nurse of its own region, else to the free nurse idle longest. Nurse
//! counts follow the shift schedule; when it drops, idle nurses log off at once
//! and busy ones finish their call first, which is recorded as overtime.
//! Shrinkage is off-phone work: breaks fall due at random and a nurse takes a
//! due break before her next call.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Binomial, Distribution, Exp1, Gamma};

use crate::calendar::{Time, DAY, MINUTE};
use crate::model::Model;
use crate::routing::{Priority, Routing};
use crate::scenario::Hours;
use crate::stats::Tally;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Arrival {
        region: u32,
    },
    Redial {
        region: u32,
        attempt: u8,
        caller_counted: bool,
    },
    Abandon {
        call: u32,
        generation: u32,
    },
    Overflow {
        call: u32,
        generation: u32,
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

/// An event packed into 128 bits so the heap moves little memory: the high 64
/// bits are the time (ms) and a sequence number, so simultaneous events run in
/// the order they were made; the low 64 bits are the packed [`What`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Event(u128);

/// Bits of the sequence number below the time in an event's key. Ties only
/// matter between events at the same millisecond, which are never millions
/// of events apart.
const SEQ_BITS: u32 = 24;
/// Call generations kept in events (slots are reused far fewer times than
/// this while one of their events is pending).
const GENERATION_MASK: u32 = (1 << 28) - 1;

impl Event {
    fn new(time: Time, seq: u64, what: What) -> Event {
        let key = ((time as u64) << SEQ_BITS) | (seq & ((1 << SEQ_BITS) - 1));
        Event(((key as u128) << 64) | what.pack() as u128)
    }

    fn time(self) -> Time {
        ((self.0 >> 64) as u64 >> SEQ_BITS) as Time
    }

    fn what(self) -> What {
        What::unpack(self.0 as u64)
    }
}

impl What {
    fn pack(self) -> u64 {
        let (kind, body): (u64, u64) = match self {
            What::Arrival { region } => (0, region as u64),
            What::Redial {
                region,
                attempt,
                caller_counted,
            } => (1, region as u64 | (attempt as u64) << 32 | (caller_counted as u64) << 40),
            What::Abandon { call, generation } => (2, call as u64 | ((generation & GENERATION_MASK) as u64) << 32),
            What::Overflow { call, generation } => (3, call as u64 | ((generation & GENERATION_MASK) as u64) << 32),
            What::ServiceEnd { nurse_region } => (4, nurse_region as u64),
            What::BreakDue { region } => (5, region as u64),
            What::BreakEnd { region } => (6, region as u64),
            What::StaffCheck { region } => (7, region as u64),
            What::AgreementCheck { agreement } => (8, agreement as u64),
            What::NewDay { day } => (9, day as u64 & 0xffff_ffff),
            What::Sample => (10, 0),
        };
        kind << 60 | body
    }

    fn unpack(bits: u64) -> What {
        let low = bits as u32;
        let high = ((bits >> 32) as u32) & GENERATION_MASK;
        match bits >> 60 {
            0 => What::Arrival { region: low },
            1 => What::Redial {
                region: low,
                attempt: (bits >> 32) as u8,
                caller_counted: (bits >> 40) & 1 == 1,
            },
            2 => What::Abandon {
                call: low,
                generation: high,
            },
            3 => What::Overflow {
                call: low,
                generation: high,
            },
            4 => What::ServiceEnd { nurse_region: low },
            5 => What::BreakDue { region: low },
            6 => What::BreakEnd { region: low },
            7 => What::StaffCheck { region: low },
            8 => What::AgreementCheck { agreement: low },
            9 => What::NewDay { day: low as i64 },
            _ => What::Sample,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CallState {
    Waiting,
    Abandoned,
    Free,
}

#[derive(Clone, Copy, Debug)]
struct Call {
    region: u32,
    generation: u32,
    state: CallState,
    /// Arrived after the warmup: its fate is counted.
    counted: bool,
    /// The caller's first attempt arrived after the warmup.
    caller_counted: bool,
    attempt: u8,
    hour_of_week: u8,
    arrival: Time,
    handle: Time,
}

/// The nurses of one region.
#[derive(Clone, Debug, Default)]
struct Staff {
    /// When each idle nurse became idle; the front has been idle longest.
    idle: VecDeque<Time>,
    busy: u32,
    on_break: u32,
    /// Breaks that fell due while no nurse was free: taken before the next call.
    breaks_due: u32,
    /// Times at which a log-off was requested but the nurse was busy.
    leaving: VecDeque<Time>,
    /// Calls waiting in this region's queue (hung-up calls excluded).
    waiting: u32,
    /// Last time the time integrals were brought up to date.
    since: Time,
}

impl Staff {
    fn on_duty(&self) -> usize {
        self.idle.len() + (self.busy + self.on_break) as usize - self.leaving.len()
    }
}

/// Random streams of one region. Each purpose has its own stream so that the
/// same region sees the same callers whatever the agreements and staffing.
struct Streams {
    arrivals: Xoshiro256PlusPlus,
    handle: Xoshiro256PlusPlus,
    patience: Xoshiro256PlusPlus,
    redial: Xoshiro256PlusPlus,
    /// Handle time and patience of repeated attempts.
    retry: Xoshiro256PlusPlus,
    breaks: Xoshiro256PlusPlus,
}

const SAMPLE_EVERY: Time = 15 * MINUTE;

/// Calls that may wait in one region's queue at once. A queue only gets here
/// when calls arrive faster than they can ever be answered and callers never
/// hang up; further calls are refused (counted as blocked and reported), so
/// memory stays bounded whatever the scenario.
pub const MAX_WAITING: u32 = 250_000;

/// Random purposes, one stream each per region.
const ARRIVALS: u64 = 1;
const HANDLE: u64 = 2;
const PATIENCE: u64 = 3;
const REDIAL: u64 = 4;
const RETRY: u64 = 5;
const BREAKS: u64 = 6;
const DAILY_VOLUME: u64 = 7;
const ABSENCE: u64 = 8;

/// Seed of the stream for (scenario seed, replication, region, purpose).
pub fn stream_seed(seed: u64, replication: u64, region: u64, purpose: u64) -> u64 {
    let mut h = splitmix(seed ^ 0x6e75_7273_6571_7565);
    for x in [replication, region, purpose] {
        h = splitmix(h ^ x);
    }
    h
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub struct Simulation<'m> {
    model: &'m Model,
    seed: u64,
    replication: u64,
    now: Time,
    seq: u64,
    /// A min-heap of events (`Reverse`: BinaryHeap is a max-heap).
    events: BinaryHeap<Reverse<Event>>,
    calls: Vec<Call>,
    free_slots: Vec<u32>,
    queues: Vec<VecDeque<u32>>,
    staff: Vec<Staff>,
    routing: Routing,
    streams: Vec<Streams>,
    /// Next arrival of each region in continuous time (ms), so rounding to the
    /// integer clock never accumulates.
    next_arrival: Vec<f64>,
    /// Volume factor of each region for one day: `(day, factor)`.
    day_factor: Vec<(i64, f64)>,
    /// Arrival rate of each region in its current hour: `(hour since start, calls per ms)`.
    rate_piece: Vec<(i64, f64)>,
    /// Targets each region's calls count towards.
    targets_of_region: Vec<Vec<usize>>,
    tally: Tally,
}

impl<'m> Simulation<'m> {
    pub fn new(model: &'m Model, seed: u64, replication: u64) -> Simulation<'m> {
        let n = model.regions.len();
        let streams = model
            .regions
            .iter()
            .map(|r| {
                let s = |purpose| Xoshiro256PlusPlus::seed_from_u64(stream_seed(seed, replication, r.stream_id, purpose));
                Streams {
                    arrivals: s(ARRIVALS),
                    handle: s(HANDLE),
                    patience: s(PATIENCE),
                    redial: s(REDIAL),
                    retry: s(RETRY),
                    breaks: s(BREAKS),
                }
            })
            .collect();
        let periods: Vec<usize> = model.targets.iter().map(|t| t.periods()).collect();
        Simulation {
            model,
            seed,
            replication,
            now: 0,
            seq: 0,
            events: BinaryHeap::with_capacity(1024),
            calls: Vec::with_capacity(1024),
            free_slots: Vec::new(),
            queues: vec![VecDeque::new(); n],
            staff: vec![Staff::default(); n],
            routing: Routing::new(model),
            streams,
            next_arrival: vec![0.0; n],
            day_factor: vec![(i64::MIN, 1.0); n],
            rate_piece: vec![(i64::MIN, 0.0); n],
            targets_of_region: (0..n)
                .map(|r| {
                    (0..model.targets.len())
                        .filter(|&k| model.targets[k].regions.contains(&r))
                        .collect()
                })
                .collect(),
            tally: Tally::new(n, model.within.len(), model.months.len(), &periods),
        }
    }

    /// Runs the replication to the horizon and returns what it counted.
    pub fn run(self) -> Tally {
        self.run_cancellable(&std::sync::atomic::AtomicBool::new(false))
            .expect("never cancelled")
    }

    /// Like [`Simulation::run`], but looks at `cancel` every 4096 events and
    /// gives up (`None`) once it is set.
    pub fn run_cancellable(mut self, cancel: &std::sync::atomic::AtomicBool) -> Option<Tally> {
        let model = self.model;
        let mut events: u32 = 0;
        for a in 0..model.agreements.len() {
            self.schedule(0, What::AgreementCheck { agreement: a as u32 });
        }
        for r in 0..model.regions.len() {
            self.schedule(0, What::StaffCheck { region: r as u32 });
            self.schedule_next_arrival(r);
            self.schedule_break_due(r);
        }
        self.schedule(0, What::NewDay { day: 0 });
        self.schedule(model.warmup, What::Sample);
        while let Some(Reverse(event)) = self.events.pop() {
            if event.time() >= model.horizon {
                break;
            }
            events = events.wrapping_add(1);
            if events & 4095 == 0 && cancel.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            self.now = event.time();
            match event.what() {
                What::Arrival { region } => {
                    self.attempt(region as usize, 1, true);
                    self.schedule_next_arrival(region as usize);
                }
                What::Redial {
                    region,
                    attempt,
                    caller_counted,
                } => self.attempt(region as usize, attempt, caller_counted),
                What::Abandon { call, generation } => self.abandon(call, generation),
                What::Overflow { call, generation } => {
                    if self.is_waiting(call, generation) {
                        self.offer_head(self.calls[call as usize].region as usize);
                    }
                }
                What::ServiceEnd { nurse_region } => {
                    let j = nurse_region as usize;
                    self.account_nurse_time(j);
                    self.staff[j].busy -= 1;
                    self.nurse_free(j, true);
                }
                What::BreakDue { region } => self.break_due(region as usize),
                What::BreakEnd { region } => {
                    let j = region as usize;
                    self.account_nurse_time(j);
                    self.staff[j].on_break -= 1;
                    self.nurse_free(j, false);
                }
                What::StaffCheck { region } => self.staff_check(region as usize),
                What::AgreementCheck { agreement } => self.agreement_check(agreement as usize),
                What::NewDay { day } => self.new_day(day),
                What::Sample => self.sample(),
            }
        }
        Some(self.finish())
    }

    fn schedule(&mut self, time: Time, what: What) {
        self.seq += 1;
        self.events.push(Reverse(Event::new(time, self.seq, what)));
    }

    /// A stream for one (region, purpose, key) that does not depend on the order
    /// of events: daily volume factors and absences, drawn when first needed.
    fn keyed_rng(&self, r: usize, purpose: u64, key: u64) -> Xoshiro256PlusPlus {
        let id = self.model.regions[r].stream_id;
        Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, self.replication, id, splitmix(purpose) ^ key))
    }

    /// Volume factor of region `r` on `day`: surges times a random daily factor.
    fn volume_factor(&mut self, r: usize, day: i64) -> f64 {
        if self.day_factor[r].0 != day {
            let cv = self.model.regions[r].daily_variation;
            let random = if cv > 0.0 {
                let shape = 1.0 / (cv * cv);
                Gamma::new(shape, 1.0 / shape)
                    .expect("valid gamma")
                    .sample(&mut self.keyed_rng(r, DAILY_VOLUME, day as u64))
            } else {
                1.0
            };
            self.day_factor[r] = (day, self.model.surge_factor(r, day) * random);
        }
        self.day_factor[r].1
    }

    /// Draws the next arrival of region `r` exactly from its piecewise-constant
    /// rate: an Exp(1) amount of cumulative intensity is spent hour by hour, so
    /// short peaks are never skipped.
    fn schedule_next_arrival(&mut self, r: usize) {
        let model = self.model;
        if model.regions[r].rate.iter().all(|&x| x <= 0.0) {
            return;
        }
        let mut need: f64 = Exp1.sample(&mut self.streams[r].arrivals);
        let mut t = self.next_arrival[r];
        // Pieces of constant rate: hours, or a file's half or quarter hours.
        let piece = model.regions[r].interval;
        loop {
            // t ≥ 0, so truncation is the floor.
            let hour = (t / piece as f64) as i64;
            if self.rate_piece[r].0 != hour {
                let start = hour * piece;
                let index = model.regions[r].rate_index(&model.calendar, start);
                let rate = model.regions[r].rate[index] * self.volume_factor(r, start.div_euclid(DAY));
                self.rate_piece[r] = (hour, rate);
            }
            let rate = self.rate_piece[r].1;
            let hour_end = ((hour + 1) * piece) as f64;
            let available = rate * (hour_end - t);
            if need <= available {
                t += need / rate;
                break;
            }
            need -= available;
            t = hour_end;
            if t >= model.horizon as f64 {
                return;
            }
        }
        self.next_arrival[r] = t;
        // The ceiling without a libm call (t ≥ 0).
        let time = t as Time + ((t as Time as f64) < t) as Time;
        if time < model.horizon {
            self.schedule(time, What::Arrival { region: r as u32 });
        }
    }

    /// One call attempt of region `r`: the caller's `attempt`-th.
    fn attempt(&mut self, r: usize, attempt: u8, caller_counted: bool) {
        let model = self.model;
        let region = &model.regions[r];
        let streams = &mut self.streams[r];
        // First attempts draw from their own streams, so that redials never
        // shift the callers of another scenario (common random numbers).
        let (handle, patience) = if attempt == 1 {
            (
                region.handle.sample(&mut streams.handle),
                region.patience.sample(&mut streams.patience),
            )
        } else {
            (region.handle.sample(&mut streams.retry), region.patience.sample(&mut streams.retry))
        };
        let counted = self.now >= model.warmup;
        let caller_counted = if attempt == 1 { counted } else { caller_counted };
        let hour = model.calendar.hour_of_week(self.now);
        self.tally.calls_simulated += 1;
        if counted {
            let c = &mut self.tally.calls[r];
            c.offered += 1;
            c.by_hour[hour].offered += 1;
            self.count_period(r, self.now, |p| p.offered += 1);
        }
        if attempt == 1 && counted {
            self.tally.calls[r].unique_callers += 1;
        }
        let over_capacity = self.staff[r].waiting >= MAX_WAITING;
        if over_capacity || self.overloaded(r) {
            if counted {
                self.tally.calls[r].blocked += 1;
                self.tally.calls[r].over_capacity += over_capacity as u64;
            }
            self.maybe_redial(r, attempt, caller_counted);
            return;
        }
        let call = Call {
            region: r as u32,
            generation: 0,
            state: CallState::Waiting,
            counted,
            caller_counted,
            attempt,
            hour_of_week: hour as u8,
            arrival: self.now,
            handle,
        };
        let id = self.new_call(call);
        self.queues[r].push_back(id);
        self.staff[r].waiting += 1;
        let generation = self.calls[id as usize].generation;
        self.offer_head(r);
        if self.is_waiting(id, generation) {
            let deadline = self.now.saturating_add(patience);
            if deadline < model.horizon {
                self.schedule(deadline, What::Abandon { call: id, generation });
            }
            for &d in &region.overflow_delays {
                if d < patience && self.now + d < model.horizon {
                    self.schedule(self.now + d, What::Overflow { call: id, generation });
                }
            }
        }
    }

    /// Overload protection: "call later" when the queue is too long or the
    /// estimated wait (waiting calls × mean handle time / nurses on the phones)
    /// is too long.
    fn overloaded(&self, r: usize) -> bool {
        let region = &self.model.regions[r];
        let s = &self.staff[r];
        if s.waiting >= region.max_queue {
            return true;
        }
        if region.max_wait == Time::MAX {
            return false;
        }
        let on_phones = (s.idle.len() + s.busy as usize).max(1) as f64;
        s.waiting as f64 * region.mean_handle / on_phones > region.max_wait as f64
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
        if at < self.model.horizon {
            self.schedule(
                at,
                What::Redial {
                    region: r as u32,
                    attempt: attempt + 1,
                    caller_counted,
                },
            );
        }
    }

    /// Adds to the counts of every target period the call of region `r` that
    /// arrived at `arrival` belongs to.
    fn count_period(&mut self, r: usize, arrival: Time, update: impl Fn(&mut crate::stats::PeriodCounts)) {
        for &k in &self.targets_of_region[r] {
            if let Some(p) = self.model.targets[k].period_of(arrival) {
                update(&mut self.tally.target_periods[k][p]);
            }
        }
    }

    fn new_call(&mut self, mut call: Call) -> u32 {
        match self.free_slots.pop() {
            Some(id) => {
                call.generation = self.calls[id as usize].generation.wrapping_add(1);
                self.calls[id as usize] = call;
                id
            }
            None => {
                self.calls.push(call);
                (self.calls.len() - 1) as u32
            }
        }
    }

    fn is_waiting(&self, id: u32, generation: u32) -> bool {
        let c = &self.calls[id as usize];
        c.generation & GENERATION_MASK == generation & GENERATION_MASK && c.state == CallState::Waiting
    }

    fn abandon(&mut self, id: u32, generation: u32) {
        if !self.is_waiting(id, generation) {
            return;
        }
        let call = self.calls[id as usize];
        let r = call.region as usize;
        // The call stays in its queue until it reaches the head (lazy removal).
        self.calls[id as usize].state = CallState::Abandoned;
        self.staff[r].waiting -= 1;
        if call.counted {
            let c = &mut self.tally.calls[r];
            c.abandoned += 1;
            c.wait_abandoned_ms += (self.now - call.arrival) as f64;
            c.by_hour[call.hour_of_week as usize].abandoned += 1;
            self.count_period(r, call.arrival, |p| p.abandoned += 1);
        }
        self.maybe_redial(r, call.attempt, call.caller_counted);
    }

    /// Arrival time of the longest-waiting call of region `r`, dropping calls
    /// that hung up from the front of the queue.
    fn head_arrival(&mut self, r: usize) -> Option<Time> {
        if self.staff[r].waiting == 0 {
            // Only hung-up calls (if any) are left: nothing to look at.
            return None;
        }
        while let Some(&id) = self.queues[r].front() {
            let call = &self.calls[id as usize];
            if call.state == CallState::Waiting {
                return Some(call.arrival);
            }
            self.queues[r].pop_front();
            self.release(id);
        }
        None
    }

    fn release(&mut self, id: u32) {
        self.calls[id as usize].state = CallState::Free;
        self.free_slots.push(id);
    }

    /// Offers the head of region `r`'s queue (and then the next) to free nurses:
    /// one of the region's own first, otherwise the eligible nurse idle longest.
    fn offer_head(&mut self, r: usize) {
        while let Some(arrival) = self.head_arrival(r) {
            let waited = self.now - arrival;
            let nurse_region = if !self.staff[r].idle.is_empty() {
                Some(r)
            } else {
                self.model.partners[r]
                    .iter()
                    .filter(|&&j| self.routing.eligibility(r, j, waited).is_some())
                    .filter_map(|&j| self.staff[j].idle.front().map(|&since| (since, j)))
                    .min()
                    .map(|(_, j)| j)
            };
            let Some(j) = nurse_region else { return };
            self.take_idle_nurse(j);
            self.answer_head(r, j);
        }
    }

    /// Takes the nurse of region `j` idle longest off the idle list (time
    /// integrals first, so the interval before counts her as idle).
    fn take_idle_nurse(&mut self, j: usize) {
        self.account_nurse_time(j);
        self.staff[j].idle.pop_front();
    }

    /// The region whose head call a free nurse of region `j` should take.
    fn choose_call(&mut self, j: usize) -> Option<usize> {
        let mut best: Option<(Priority, Time, bool, usize)> = self.head_arrival(j).map(|a| (Priority::First, a, false, j));
        for i in 0..self.model.partners[j].len() {
            let r = self.model.partners[j][i];
            if !self.routing.may_answer(r, j) {
                continue;
            }
            let Some(arrival) = self.head_arrival(r) else { continue };
            let Some(priority) = self.routing.eligibility(r, j, self.now - arrival) else {
                continue;
            };
            let candidate = (priority, arrival, true, r);
            if best.is_none_or(|b| candidate < b) {
                best = Some(candidate);
            }
        }
        best.map(|b| b.3)
    }

    /// A nurse of region `j` (already taken off the idle list) answers the head of region `r`.
    fn answer_head(&mut self, r: usize, j: usize) {
        let id = self.queues[r].pop_front().expect("answer_head needs a waiting call");
        let call = self.calls[id as usize];
        debug_assert_eq!(call.state, CallState::Waiting);
        self.release(id);
        self.staff[r].waiting -= 1;
        let wait = self.now - call.arrival;
        if call.counted {
            self.count_answer(&call, r, j, wait);
        }
        if call.caller_counted {
            self.tally.calls[r].callers_answered += 1;
        }
        self.account_nurse_time(j);
        self.staff[j].busy += 1;
        self.schedule(self.now.saturating_add(call.handle), What::ServiceEnd { nurse_region: j as u32 });
    }

    fn count_answer(&mut self, call: &Call, r: usize, j: usize, wait: Time) {
        let n = self.model.regions.len();
        self.tally.flows[r * n + j] += 1;
        let month = self.model.months.partition_point(|&m| m <= call.arrival).saturating_sub(1);
        if let Some(f) = self.tally.flows_by_month.get_mut(month * n * n + r * n + j) {
            *f += 1;
        }
        let c = &mut self.tally.calls[r];
        c.answered += 1;
        c.wait_answered_ms += wait as f64;
        c.waits.add(wait);
        for (k, &limit) in self.model.within.iter().enumerate() {
            if wait <= limit {
                c.within[k] += 1;
            }
        }
        let cell = &mut c.by_hour[call.hour_of_week as usize];
        cell.answered += 1;
        cell.wait_answered_ms += wait as f64;
        if wait <= self.model.chart_within {
            cell.answered_within_target += 1;
        }
        for &k in &self.targets_of_region[r] {
            let target = &self.model.targets[k];
            if let Some(p) = target.period_of(call.arrival) {
                let counts = &mut self.tally.target_periods[k][p];
                counts.answered += 1;
                counts.wait_answered_ms += wait as f64;
                if wait <= target.within {
                    counts.answered_within += 1;
                }
            }
        }
    }

    /// A nurse of region `j` has finished a call (`after_call`) or a break:
    /// she logs off if her shift is over, takes a due break, or the next call.
    fn nurse_free(&mut self, j: usize, after_call: bool) {
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
            None => self.staff[j].idle.push_back(self.now),
        }
    }

    fn start_break(&mut self, j: usize) {
        self.account_nurse_time(j);
        self.staff[j].on_break += 1;
        let length = self.model.regions[j].break_length.sample(&mut self.streams[j].breaks);
        self.schedule(self.now.saturating_add(length), What::BreakEnd { region: j as u32 });
    }

    /// Breaks fall due at `break_rate` per nurse on the phones, generated by
    /// thinning a process at the rate of the largest possible staff.
    fn schedule_break_due(&mut self, r: usize) {
        let region = &self.model.regions[r];
        if region.break_rate <= 0.0 || region.max_nurses == 0 {
            return;
        }
        let gap: f64 = Exp1.sample(&mut self.streams[r].breaks);
        let at = self.now as f64 + gap / (region.break_rate * region.max_nurses as f64);
        if at < self.model.horizon as f64 {
            self.schedule(at.ceil() as Time, What::BreakDue { region: r as u32 });
        }
    }

    fn break_due(&mut self, r: usize) {
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
                self.take_idle_nurse(r);
                self.start_break(r);
            }
        }
        self.schedule_break_due(r);
    }

    /// Lets free nurses of region `j`, idle longest first, take eligible calls.
    fn free_nurses_take_calls(&mut self, j: usize) {
        while !self.staff[j].idle.is_empty() {
            let Some(r) = self.choose_call(j) else { break };
            self.take_idle_nurse(j);
            self.answer_head(r, j);
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
    fn staff_check(&mut self, r: usize) {
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
            self.free_nurses_take_calls(r);
        } else if target < on_duty {
            let mut remove = on_duty - target;
            while remove > 0 && self.staff[r].idle.pop_front().is_some() {
                remove -= 1;
            }
            for _ in 0..remove {
                self.staff[r].leaving.push_back(self.now);
            }
        }
    }

    fn agreement_check(&mut self, a: usize) {
        let active = self.model.agreement_active(a, self.now);
        if active == self.routing.active[a] {
            return;
        }
        self.routing.active[a] = active;
        self.routing.recompute(self.model);
        if active {
            // Calls already waiting long enough become eligible at once: free
            // nurses of the members pick, the one idle longest first.
            let members = &self.model.agreements[a].members;
            let mut done = vec![false; members.len()];
            loop {
                let next = (0..members.len())
                    .filter(|&k| !done[k])
                    .filter_map(|k| self.staff[members[k]].idle.front().map(|&since| (since, members[k], k)))
                    .min();
                let Some((_, j, k)) = next else { break };
                match self.choose_call(j) {
                    Some(r) => {
                        self.take_idle_nurse(j);
                        self.answer_head(r, j);
                    }
                    None => done[k] = true,
                }
            }
        }
    }

    /// Schedules the day's shift changes and agreement windows.
    fn new_day(&mut self, day: i64) {
        let model = self.model;
        let start = day * DAY;
        if start + DAY < model.horizon {
            // First, so that it runs before the shift changes at the next midnight.
            self.schedule(start + DAY, What::NewDay { day: day + 1 });
        }
        let weekday = model.calendar.weekday_of_day(day);
        for r in 0..model.regions.len() {
            for shift in model.shifts_on(r, day) {
                if let Some((from, to)) = shift.window.occurrence(start, weekday) {
                    for t in [from, to].into_iter().filter(|&t| t < model.horizon) {
                        self.schedule(t, What::StaffCheck { region: r as u32 });
                    }
                }
            }
        }
        for (a, agreement) in model.agreements.iter().enumerate() {
            if let Hours::Windows(ws) = &agreement.hours {
                for w in ws {
                    if let Some((from, to)) = w.occurrence(start, weekday) {
                        for t in [from, to].into_iter().filter(|&t| t < model.horizon) {
                            self.schedule(t, What::AgreementCheck { agreement: a as u32 });
                        }
                    }
                }
            }
        }
    }

    fn sample(&mut self) {
        let hour = self.model.calendar.hour_of_week(self.now);
        for (r, s) in self.staff.iter().enumerate() {
            let cell = &mut self.tally.staffing[r * 168 + hour];
            cell.samples += 1;
            cell.nurses_on_phones += (s.idle.len() + s.busy as usize) as u64;
            cell.calls_waiting += s.waiting as u64;
        }
        if self.now + SAMPLE_EVERY < self.model.horizon {
            self.schedule(self.now + SAMPLE_EVERY, What::Sample);
        }
    }

    /// Adds the time since the last change to region `j`'s nurse-time integrals
    /// (only the part after the warmup and before the horizon counts).
    fn account_nurse_time(&mut self, j: usize) {
        let clip = |t: Time| t.clamp(self.model.warmup, self.model.horizon);
        let s = &mut self.staff[j];
        let span = (clip(self.now) - clip(s.since)) as f64;
        if span > 0.0 {
            let nt = &mut self.tally.nurses[j];
            nt.logged_on_ms += span * (s.idle.len() + (s.busy + s.on_break) as usize) as f64;
            nt.off_phone_ms += span * s.on_break as f64;
            nt.busy_ms += span * s.busy as f64;
        }
        s.since = self.now;
    }

    fn record_overtime(&mut self, j: usize, requested: Time, until: Time) {
        let from = requested.max(self.model.warmup);
        if until > from {
            self.tally.nurses[j].overtime_ms += (until - from) as f64;
        }
    }

    fn finish(mut self) -> Tally {
        let horizon = self.model.horizon;
        self.now = horizon;
        for j in 0..self.staff.len() {
            self.account_nurse_time(j);
            for k in 0..self.staff[j].leaving.len() {
                let requested = self.staff[j].leaving[k];
                self.record_overtime(j, requested, horizon);
            }
        }
        for r in 0..self.queues.len() {
            for &id in &self.queues[r] {
                let call = &self.calls[id as usize];
                if call.state == CallState::Waiting && call.counted {
                    self.tally.calls[r].still_waiting += 1;
                }
            }
        }
        self.tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pack_and_order() {
        let all = [
            What::Arrival { region: 7 },
            What::Redial {
                region: 3,
                attempt: 4,
                caller_counted: true,
            },
            What::Abandon {
                call: u32::MAX,
                generation: GENERATION_MASK,
            },
            What::Overflow { call: 12, generation: 5 },
            What::ServiceEnd { nurse_region: 2 },
            What::BreakDue { region: 1 },
            What::BreakEnd { region: 1 },
            What::StaffCheck { region: 9 },
            What::AgreementCheck { agreement: 4 },
            What::NewDay { day: 3650 },
            What::Sample,
        ];
        for w in all {
            assert_eq!(What::unpack(w.pack()), w);
        }
        let ten_years = 3650 * DAY;
        let (a, b, c) = (
            Event::new(ten_years, 5, all[0]),
            Event::new(ten_years, 6, all[1]),
            Event::new(ten_years + 1, 1, all[2]),
        );
        assert!(a < b && b < c, "earlier time first, then creation order");
        assert_eq!(c.time(), ten_years + 1);
        assert_eq!(c.what(), all[2]);
    }
}
