//! The event loop of one replication: an event-queue kernel ([`queue`]), the
//! regions' queues of waiting calls, their nurses, and handlers grouped by
//! concern: arrivals ([`arrivals`]); calls, queues, hang-ups and redials
//! ([`calls`]); nurses, shifts, breaks, agreements and dispatch ([`nurses`]);
//! accounting into the [`Tally`] ([`accounting`]).
//!
//! Semantics (design §1, README "The model"): every call waits in its own
//! region's first-come first-served queue and keeps its place there;
//! agreements only make it *additionally* eligible for partner nurses (see
//! [`routing`]). A free nurse takes, among eligible calls, her own region's
//! longest-waiting call first (or the oldest, under `oldest-first`); a newly
//! eligible call goes to a free nurse of its own region, else to the free nurse
//! idle longest. Nurse counts follow the shift schedule; when it drops, idle
//! nurses log off at once and busy ones finish their call first, which is
//! recorded as overtime. Shrinkage is off-phone work: breaks fall due at random
//! and a nurse takes a due break before her next call.
//!
//! **Simultaneous events**: at each instant, every change of state that is due
//! (shift rises and drops, agreement windows opening and closing, new days) is
//! applied first; only then do nurses who became available through them choose
//! calls; then callers whose patience ran out hang up; then everything else
//! (arrivals, redials, ends of calls and breaks, overflows) in creation order.

mod accounting;
mod arrivals;
mod calls;
mod crisis;
mod daily;
mod nurses;
pub mod queue;
pub mod routing;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;

use crate::calendar::{Time, HOUR, MINUTE};
use crate::model::Model;
use crate::stats::Tally;

use calls::CallQueue;
use daily::DailyCounts;
use queue::{Class, EventQueue, What};
use routing::Routing;

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
/// memory stays bounded whatever the scenario (16 bytes per waiting call).
pub const MAX_WAITING: u32 = 250_000;

/// Events between two looks at the cancellation flag.
const CANCEL_CHECK_EVERY: u32 = 4096;

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

/// One replication of a model: build it with [`Simulation::new`], run it with
/// [`Simulation::run`] (or [`Simulation::run_cancellable`]).
pub struct Simulation<'m> {
    model: &'m Model,
    seed: u64,
    replication: u64,
    now: Time,
    events: EventQueue,
    queues: Vec<CallQueue>,
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
    /// With at most 64 regions: the set of regions with calls waiting.
    waiting_mask: u64,
    /// With at most 64 regions: the set of regions with an idle nurse.
    idle_mask: u64,
    /// With at most 64 regions: for each region, the set of its partners.
    partner_mask: Vec<u64>,
    /// Whether region `r` has any calls at all.
    has_arrivals: Vec<bool>,
    /// The hour since the start and its hour of the week, of the last call attempt.
    hour_cache: (i64, usize),
    /// Thresholds of `answered_within_<T>` counted call by call, `(k, limit)`:
    /// those the wait histogram cannot give exactly (the others are read
    /// from it by [`Simulation::finish`]).
    within_per_call: Vec<(usize, Time)>,
    /// The calendar month of the last answered call: `[from, to)` and its index.
    month_cache: (Time, Time, usize),
    /// Per target, the judged period (if any) of the last time looked up:
    /// `[from, to)` and the period.
    period_cache: Vec<(Time, Time, Option<usize>)>,
    /// Targets each region's calls count towards.
    targets_of_region: Vec<Vec<usize>>,
    /// Calls per region and day, folded into the targets' periods at the end.
    daily: DailyCounts,
    /// Regions whose nurses may have a call to choose once the changes of
    /// state of the current instant are all applied (see [`nurses`]).
    dispatch_pending: Vec<bool>,
    any_dispatch_pending: bool,
    /// Per agreement: whether its crisis is on (always true without crisis routing).
    crisis_on: Vec<bool>,
    /// Per region: whether its queue can switch a crisis agreement on or off.
    crisis_watch: Vec<bool>,
    /// Whether any target is a percentile (`wait_p75`): its waits are kept per period.
    percentile_targets: bool,
    /// Whether any agreement has crisis routing (one predictable test in the
    /// hot path when none has).
    any_crisis: bool,
    tally: Tally,
}

impl<'m> Simulation<'m> {
    pub fn new(model: &'m Model, seed: u64, replication: u64) -> Simulation<'m> {
        let n = model.regions.len();
        assert!(n <= queue::MAX_REGIONS, "at most {} regions", queue::MAX_REGIONS);
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
            events: EventQueue::new(model.horizon, n),
            queues: (0..n).map(|_| CallQueue::default()).collect(),
            staff: vec![Staff::default(); n],
            routing: Routing::new(model),
            streams,
            next_arrival: vec![0.0; n],
            day_factor: vec![(i64::MIN, 1.0); n],
            rate_piece: vec![(i64::MIN, 0.0); n],
            waiting_mask: 0,
            idle_mask: 0,
            partner_mask: model
                .partners
                .iter()
                .map(|p| p.iter().filter(|&&j| j < 64).fold(0, |m, &j| m | 1u64 << j))
                .collect(),
            has_arrivals: model.regions.iter().map(|r| r.rate.iter().any(|&x| x > 0.0)).collect(),
            hour_cache: (i64::MIN, 0),
            within_per_call: model
                .within
                .iter()
                .enumerate()
                .filter(|&(_, &limit)| crate::stats::WaitHistogram::exact_last_bin(limit).is_none())
                .map(|(k, &limit)| (k, limit))
                .collect(),
            month_cache: (Time::MAX, Time::MIN, 0),
            period_cache: vec![(Time::MAX, Time::MIN, None); model.targets.len()],
            targets_of_region: (0..n)
                .map(|r| {
                    (0..model.targets.len())
                        .filter(|&k| model.targets[k].regions.contains(&r))
                        .collect()
                })
                .collect(),
            daily: DailyCounts::new(model),
            dispatch_pending: vec![false; n],
            any_dispatch_pending: false,
            // With every queue empty, only a trigger of zero is reached.
            crisis_on: model
                .agreements
                .iter()
                .map(|a| {
                    a.crisis
                        .as_ref()
                        .is_none_or(|c| c.waiting_at_least == Some(0) || c.longest_wait_over == Some(0))
                })
                .collect(),
            crisis_watch: model.crisis_of_region.iter().map(|a| !a.is_empty()).collect(),
            any_crisis: model.agreements.iter().any(|a| a.crisis.is_some()),
            percentile_targets: model
                .targets
                .iter()
                .any(|t| matches!(t.metric, crate::scenario::TargetMetric::WaitPercentile(_))),
            tally: Tally {
                // Percentile targets keep a histogram of waits per judged period.
                target_waits: model
                    .targets
                    .iter()
                    .map(|t| match t.metric {
                        crate::scenario::TargetMetric::WaitPercentile(_) => vec![crate::stats::WaitHistogram::default(); t.periods()],
                        _ => vec![],
                    })
                    .collect(),
                ..Tally::new(n, model.within.len(), model.months.len(), &periods)
            },
        }
    }

    /// Runs the replication to the horizon and returns what it counted.
    pub fn run(self) -> Tally {
        let never = AtomicBool::new(false);
        self.run_cancellable(&never).expect("never cancelled")
    }

    /// Runs the replication to the horizon, looking at `cancel` (a relaxed
    /// load) every few thousand events: `None` as soon as it is set.
    pub fn run_cancellable(mut self, cancel: &AtomicBool) -> Option<Tally> {
        let model = self.model;
        for a in 0..model.agreements.len() {
            self.events.schedule(0, What::AgreementCheck { agreement: a as u32 });
        }
        for r in 0..model.regions.len() {
            self.events.schedule(0, What::StaffCheck { region: r as u32 });
            self.schedule_next_arrival(r);
            self.schedule_break_due(r);
        }
        self.events.schedule(0, What::NewDay { day: 0 });
        // Shifts and agreement windows that started the day before the start
        // and cross midnight end on the first day.
        self.schedule_changes_of_day(-1);
        self.events.schedule(model.warmup, What::Sample);
        let mut until_check = CANCEL_CHECK_EVERY;
        while let Some((time, packed)) = self.events.pop_packed() {
            until_check -= 1;
            if until_check == 0 {
                if cancel.load(Ordering::Relaxed) {
                    return None;
                }
                until_check = CANCEL_CHECK_EVERY;
            }
            self.now = time;
            // The most frequent kinds without building a `What`.
            match queue::kind(packed) {
                queue::KIND_SERVICE_END => self.service_end(queue::low_region(packed)),
                queue::KIND_ARRIVAL => self.arrival(queue::low_region(packed)),
                queue::KIND_ABANDON => {
                    let (r, index) = queue::call_of(packed);
                    self.abandon(r, index);
                }
                _ => self.handle(What::unpack(packed)),
            }
            if self.any_dispatch_pending && self.events.peek() != Some((time, Class::State)) {
                self.dispatch();
            }
        }
        Some(self.finish())
    }

    /// Hour of the week now (cached for the current hour).
    #[inline]
    fn hour_of_week_now(&mut self) -> usize {
        let hour = self.now / HOUR;
        if self.hour_cache.0 != hour {
            self.hour_cache = (hour, self.model.calendar.hour_of_week(self.now));
        }
        self.hour_cache.1
    }

    #[inline]
    fn arrival(&mut self, r: usize) {
        self.attempt(r, 1, true);
        self.schedule_next_arrival(r);
    }

    /// A nurse of region `j` has finished a call.
    #[inline]
    fn service_end(&mut self, j: usize) {
        if !self.staff[j].leaving.is_empty() || self.staff[j].breaks_due > 0 {
            // She logs off or starts a break.
            self.account_nurse_time(j);
        }
        self.staff[j].busy -= 1;
        self.nurse_free(j, true);
    }

    fn handle(&mut self, what: What) {
        match what {
            What::Arrival { region } => self.arrival(region as usize),
            What::Redial {
                region,
                attempt,
                caller_counted,
            } => self.attempt(region as usize, attempt, caller_counted),
            What::Abandon { region, index } => self.abandon(region as usize, index),
            What::Overflow { region, index } => {
                let r = region as usize;
                if self.queues[r].is_waiting(index) {
                    if self.any_crisis && self.crisis_watch[r] {
                        // The call may have waited long enough to start a crisis.
                        self.crisis_update(r);
                    }
                    self.offer_head(r);
                }
            }
            What::ServiceEnd { nurse_region } => self.service_end(nurse_region as usize),
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::load_str;

    const ONE_REGION: &str = r#"
start = "2024-03-04"
horizon = "2w"
replications = 1
[[region]]
name = "R"
calls_per_day = 2880
handle_time = { dist = "exponential", mean = "12m" }
patience = { dist = "exponential", mean = "8m" }
shifts = [ { from = "00:00", to = "24:00", nurses = 24 } ]
"#;

    #[test]
    fn a_cancelled_run_returns_none_and_an_uncancelled_one_the_same_tally() {
        let s = load_str("t.toml", ONE_REGION, &[]).expect("valid");
        let model = Model::compile(&s);
        let set = AtomicBool::new(true);
        assert!(Simulation::new(&model, 1, 0).run_cancellable(&set).is_none());
        let unset = AtomicBool::new(false);
        let a = Simulation::new(&model, 1, 0).run_cancellable(&unset).expect("not cancelled");
        let b = Simulation::new(&model, 1, 0).run();
        assert!(a.calls_simulated > 30_000);
        assert_eq!(a.calls_simulated, b.calls_simulated);
        assert_eq!(a.calls[0].answered, b.calls[0].answered);
        assert_eq!(a.calls[0].abandoned, b.calls[0].abandoned);
        assert_eq!(a.nurses[0].busy_ms, b.nurses[0].busy_ms);
    }

    #[test]
    fn a_flag_set_from_another_thread_stops_a_long_run() {
        let s = load_str("t.toml", ONE_REGION, &["horizon=520w".to_string()]).expect("valid");
        let model = Model::compile(&s);
        let cancel = AtomicBool::new(false);
        std::thread::scope(|scope| {
            let run = scope.spawn(|| Simulation::new(&model, 1, 0).run_cancellable(&cancel));
            // Whenever the flag is set, the run stops at its next look at it
            // (unless it had already finished: 10 years take several seconds).
            std::thread::sleep(std::time::Duration::from_millis(50));
            cancel.store(true, Ordering::Relaxed);
            assert!(run.join().expect("no panic").is_none());
        });
    }
}
