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

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};

use crate::calendar::{Time, DAY, HOUR};
use crate::model::Model;
use crate::routing::{Priority, Routing};
use crate::stats::Tally;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum What {
    Arrival { region: u32 },
    Abandon { call: u32, generation: u32 },
    Overflow { call: u32, generation: u32 },
    ServiceEnd { nurse_region: u32 },
    StaffCheck { region: u32 },
    AgreementCheck { agreement: u32 },
    NewDay { day: i64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Event {
    time: Time,
    seq: u64,
    what: What,
}

impl Ord for Event {
    // Reversed: BinaryHeap is a max-heap and we want the earliest event; the
    // sequence number makes simultaneous events run in the order they were made.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

impl PartialOrd for Event {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
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
    /// Times at which a log-off was requested but the nurse was busy.
    leaving: VecDeque<Time>,
    /// Last time the time integrals were brought up to date.
    since: Time,
}

/// Random streams of one region. Each purpose has its own stream so that the
/// same region sees the same callers whatever the agreements and staffing.
struct Streams {
    arrivals: Xoshiro256PlusPlus,
    handle: Xoshiro256PlusPlus,
    patience: Xoshiro256PlusPlus,
}

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
    now: Time,
    seq: u64,
    events: BinaryHeap<Event>,
    calls: Vec<Call>,
    free_slots: Vec<u32>,
    queues: Vec<VecDeque<u32>>,
    staff: Vec<Staff>,
    routing: Routing,
    streams: Vec<Streams>,
    /// Next arrival of each region in continuous time (ms), so rounding to the
    /// integer clock never accumulates.
    next_arrival: Vec<f64>,
    tally: Tally,
}

impl<'m> Simulation<'m> {
    pub fn new(model: &'m Model, seed: u64, replication: u64) -> Simulation<'m> {
        let n = model.regions.len();
        let streams = model
            .regions
            .iter()
            .map(|r| {
                let s = |purpose| {
                    Xoshiro256PlusPlus::seed_from_u64(stream_seed(
                        seed,
                        replication,
                        r.stream_id,
                        purpose,
                    ))
                };
                Streams {
                    arrivals: s(1),
                    handle: s(2),
                    patience: s(3),
                }
            })
            .collect();
        Simulation {
            model,
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
            tally: Tally::new(n, model.within.len()),
        }
    }

    /// Runs the replication to the horizon and returns what it counted.
    pub fn run(mut self) -> Tally {
        let model = self.model;
        for a in 0..model.agreements.len() {
            self.schedule(
                0,
                What::AgreementCheck {
                    agreement: a as u32,
                },
            );
        }
        for r in 0..model.regions.len() {
            self.schedule(0, What::StaffCheck { region: r as u32 });
            self.schedule_next_arrival(r);
        }
        self.schedule(0, What::NewDay { day: 0 });
        while let Some(event) = self.events.pop() {
            if event.time >= model.horizon {
                break;
            }
            self.now = event.time;
            match event.what {
                What::Arrival { region } => self.arrival(region as usize),
                What::Abandon { call, generation } => self.abandon(call, generation),
                What::Overflow { call, generation } => {
                    if self.is_waiting(call, generation) {
                        self.offer_head(self.calls[call as usize].region as usize);
                    }
                }
                What::ServiceEnd { nurse_region } => self.service_end(nurse_region as usize),
                What::StaffCheck { region } => self.staff_check(region as usize),
                What::AgreementCheck { agreement } => self.agreement_check(agreement as usize),
                What::NewDay { day } => self.new_day(day),
            }
        }
        self.finish()
    }

    fn schedule(&mut self, time: Time, what: What) {
        self.seq += 1;
        self.events.push(Event {
            time,
            seq: self.seq,
            what,
        });
    }

    /// Draws the next arrival of region `r` exactly from its piecewise-constant
    /// rate: an Exp(1) amount of cumulative intensity is spent hour by hour, so
    /// short peaks are never skipped.
    fn schedule_next_arrival(&mut self, r: usize) {
        let model = self.model;
        let rates = &model.regions[r].rate;
        if rates.iter().all(|&x| x <= 0.0) {
            return;
        }
        let mut need: f64 = Exp1.sample(&mut self.streams[r].arrivals);
        let mut t = self.next_arrival[r];
        loop {
            let hour_end = ((t / HOUR as f64).floor() + 1.0) * HOUR as f64;
            let rate = rates[model.calendar.hour_of_week(t as Time)];
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
        let time = t.ceil() as Time;
        if time < model.horizon {
            self.schedule(time, What::Arrival { region: r as u32 });
        }
    }

    fn arrival(&mut self, r: usize) {
        let model = self.model;
        let region = &model.regions[r];
        let handle = region.handle.sample(&mut self.streams[r].handle);
        let patience = region.patience.sample(&mut self.streams[r].patience);
        let counted = self.now >= model.warmup;
        let hour = model.calendar.hour_of_week(self.now);
        self.tally.calls_simulated += 1;
        if counted {
            let c = &mut self.tally.calls[r];
            c.offered += 1;
            c.unique_callers += 1;
            c.by_hour[hour].offered += 1;
        }
        let id = self.new_call(Call {
            region: r as u32,
            generation: 0,
            state: CallState::Waiting,
            counted,
            hour_of_week: hour as u8,
            arrival: self.now,
            handle,
        });
        self.queues[r].push_back(id);
        let generation = self.calls[id as usize].generation;
        self.offer_head(r);
        if self.is_waiting(id, generation) {
            let deadline = self.now.saturating_add(patience);
            if deadline < model.horizon {
                self.schedule(
                    deadline,
                    What::Abandon {
                        call: id,
                        generation,
                    },
                );
            }
            for &d in &region.overflow_delays {
                if d < patience && self.now + d < model.horizon {
                    self.schedule(
                        self.now + d,
                        What::Overflow {
                            call: id,
                            generation,
                        },
                    );
                }
            }
        }
        self.schedule_next_arrival(r);
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
        c.generation == generation && c.state == CallState::Waiting
    }

    fn abandon(&mut self, id: u32, generation: u32) {
        if !self.is_waiting(id, generation) {
            return;
        }
        let call = &mut self.calls[id as usize];
        // The call stays in its queue until it reaches the head (lazy removal).
        call.state = CallState::Abandoned;
        if call.counted {
            let c = &mut self.tally.calls[call.region as usize];
            c.abandoned += 1;
            c.wait_abandoned_ms += (self.now - call.arrival) as f64;
            c.by_hour[call.hour_of_week as usize].abandoned += 1;
        }
    }

    /// Arrival time of the longest-waiting call of region `r`, dropping calls
    /// that hung up from the front of the queue.
    fn head_arrival(&mut self, r: usize) -> Option<Time> {
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
    /// integrals first, so the interval before counts her as logged on).
    fn take_idle_nurse(&mut self, j: usize) {
        self.account_nurse_time(j);
        self.staff[j].idle.pop_front();
    }

    /// The region whose head call a free nurse of region `j` should take.
    fn choose_call(&mut self, j: usize) -> Option<usize> {
        let mut best: Option<(Priority, Time, bool, usize)> =
            self.head_arrival(j).map(|a| (Priority::First, a, false, j));
        for i in 0..self.model.partners[j].len() {
            let r = self.model.partners[j][i];
            let Some(arrival) = self.head_arrival(r) else {
                continue;
            };
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
        let id = self.queues[r]
            .pop_front()
            .expect("answer_head needs a waiting call");
        let call = self.calls[id as usize];
        debug_assert_eq!(call.state, CallState::Waiting);
        self.release(id);
        let wait = self.now - call.arrival;
        if call.counted {
            let n = self.model.regions.len();
            self.tally.flows[r * n + j] += 1;
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
            if wait <= 5 * crate::calendar::MINUTE {
                cell.answered_within_5m += 1;
            }
        }
        self.account_nurse_time(j);
        self.staff[j].busy += 1;
        self.schedule(
            self.now.saturating_add(call.handle),
            What::ServiceEnd {
                nurse_region: j as u32,
            },
        );
    }

    fn service_end(&mut self, j: usize) {
        self.account_nurse_time(j);
        self.staff[j].busy -= 1;
        if let Some(requested) = self.staff[j].leaving.pop_front() {
            self.record_overtime(j, requested, self.now);
            return;
        }
        match self.choose_call(j) {
            Some(r) => self.answer_head(r, j),
            None => self.staff[j].idle.push_back(self.now),
        }
    }

    /// Lets free nurses of region `j`, idle longest first, take eligible calls.
    fn free_nurses_take_calls(&mut self, j: usize) -> bool {
        let mut took = false;
        while !self.staff[j].idle.is_empty() {
            let Some(r) = self.choose_call(j) else { break };
            self.take_idle_nurse(j);
            self.answer_head(r, j);
            took = true;
        }
        took
    }

    /// Brings region `r`'s logged-on nurses to the number the schedule asks for now.
    fn staff_check(&mut self, r: usize) {
        let target = self.model.scheduled_nurses(r, self.now) as usize;
        let s = &self.staff[r];
        let on_duty = s.idle.len() + s.busy as usize - s.leaving.len();
        if target > on_duty {
            let mut add = target - on_duty;
            // A busy nurse who was about to leave stays instead of a new one logging on.
            while add > 0 && self.staff[r].leaving.pop_back().is_some() {
                add -= 1;
            }
            self.account_nurse_time(r);
            for _ in 0..add {
                self.staff[r].idle.push_back(self.now);
            }
            self.free_nurses_take_calls(r);
        } else if target < on_duty {
            let mut remove = on_duty - target;
            self.account_nurse_time(r);
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
            let members = self.model.agreements[a].members.clone();
            let mut done = vec![false; members.len()];
            loop {
                let next = (0..members.len())
                    .filter(|&k| !done[k])
                    .filter_map(|k| {
                        self.staff[members[k]]
                            .idle
                            .front()
                            .map(|&since| (since, members[k], k))
                    })
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
        let weekday = model.calendar.weekday_of_day(day);
        for (r, region) in model.regions.iter().enumerate() {
            for (window, _) in &region.shifts {
                if let Some((from, to)) = window.occurrence(start, weekday) {
                    for t in [from, to] {
                        if t < model.horizon {
                            self.schedule(t, What::StaffCheck { region: r as u32 });
                        }
                    }
                }
            }
        }
        for (a, agreement) in model.agreements.iter().enumerate() {
            if let crate::scenario::Hours::Windows(ws) = &agreement.hours {
                for w in ws {
                    if let Some((from, to)) = w.occurrence(start, weekday) {
                        for t in [from, to] {
                            if t < model.horizon {
                                self.schedule(
                                    t,
                                    What::AgreementCheck {
                                        agreement: a as u32,
                                    },
                                );
                            }
                        }
                    }
                }
            }
        }
        if start + DAY < model.horizon {
            self.schedule(start + DAY, What::NewDay { day: day + 1 });
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
            nt.available_ms += span * (s.idle.len() + s.busy as usize) as f64;
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
