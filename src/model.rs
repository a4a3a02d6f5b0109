//! A scenario compiled into the tables the engine reads in its hot loop.

use crate::calendar::{Calendar, CalendarPeriod, Time, Window, DAY, HOUR};
use crate::dist::Sampler;
use crate::scenario::{Bound, Crisis, Hours, NurseOrder, Period, Scenario, Shift, TargetMetric};

#[derive(Clone, Debug)]
pub struct Model {
    pub calendar: Calendar,
    pub horizon: Time,
    pub warmup: Time,
    pub regions: Vec<RegionModel>,
    pub agreements: Vec<AgreementModel>,
    /// Thresholds of `answered_within_<T>`, in the order of `Scenario::within_thresholds`.
    pub within: Vec<Time>,
    /// For each region, the other regions it shares at least one agreement with.
    pub partners: Vec<Vec<usize>>,
    pub targets: Vec<TargetModel>,
    /// Start of each calendar month touching the measured window (settlement).
    pub months: Vec<Time>,
    /// The threshold of the by-hour service level: the first target's, or 5 minutes.
    pub chart_within: Time,
    /// The scenario's own targets are `targets[..user_targets]`; after them come
    /// the time series of `by_week.csv` and `by_month.csv`, counted by the
    /// engine as targets are: per region `r`, the week series at
    /// `user_targets + 2 r` and the month series at `user_targets + 2 r + 1`.
    pub user_targets: usize,
    /// For each region, the crisis agreements it is a member of: its queue
    /// can switch them on and off.
    pub crisis_of_region: Vec<Vec<usize>>,
    /// `settled[r * n + j]`: whether calls of region r answered by nurses of
    /// region j count in the settlement.
    pub settled: Vec<bool>,
    /// The ordered pairs `(r, j)` of regions that share an agreement: the rows
    /// of the bilateral settlement.
    pub settlement_pairs: Vec<(usize, usize)>,
}

/// Which calendar period a time series is kept per.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesPeriod {
    /// Monday-based weeks.
    Week,
    /// Calendar months.
    Month,
}

/// The threshold of the time series' service level (`answered_within_5m`).
pub const SERIES_WITHIN: Time = 5 * crate::calendar::MINUTE;

#[derive(Clone, Debug)]
pub struct RegionModel {
    pub name: String,
    /// Arrival rate in calls per millisecond for each interval of the week
    /// (Monday 00:00 first): `168 × HOUR / interval` values.
    pub rate: Vec<f64>,
    /// Length of the intervals of `rate`: an hour, or a half or quarter hour
    /// for a region whose calls are read per interval from a file.
    pub interval: Time,
    pub handle: Sampler,
    pub mean_handle: f64,
    /// Dated changes of handle time `(first day, sampler, mean)`, in date order:
    /// calls arriving on or after the day take it (until the next change).
    pub handle_changes: Vec<(i64, Sampler, f64)>,
    /// Added to the handle time when a nurse of another region answers.
    pub partner_extra_handle: Time,
    pub patience: Sampler,
    /// Regular shifts (one week, or a rotation of N weeks), and dated
    /// schedules `(first day, last day, staffing)` that replace them; staffing
    /// factors already applied.
    pub shifts: Staffing,
    pub schedules: Vec<(i64, i64, Staffing)>,
    /// Calls per ms of each interval of `interval` from time zero, from a
    /// history file; when present it replaces `rate`.
    pub history: Option<Vec<f64>>,
    /// Distinct positive overflow delays of the agreements this region is in:
    /// the waiting times at which its calls may become eligible for partners.
    pub overflow_delays: Vec<Time>,
    /// Stable identity of the region for random streams (hash of its name), so
    /// that the same region sees the same callers in every scenario.
    pub stream_id: u64,
    pub redial: Option<RedialModel>,
    /// Block when this many calls wait (u32::MAX: never).
    pub max_queue: u32,
    /// Block when the estimated wait exceeds this (Time::MAX: never).
    pub max_wait: Time,
    /// Off-phone periods: each logged-on nurse starts one at `break_rate` per
    /// ms; each lasts `break_length`. Zero rate: no shrinkage.
    pub break_rate: f64,
    pub break_length: Sampler,
    /// Most nurses the region ever schedules (bounds the break process).
    pub max_nurses: u32,
    pub daily_variation: f64,
    /// Dated volume factors `(first day, last day, factor)`.
    pub surges: Vec<(i64, i64, f64)>,
}

/// The shifts of each day: one week repeated, or a rotation of N weeks.
#[derive(Clone, Debug)]
pub struct Staffing {
    /// The day (from time zero) on which week 1 begins.
    pub start_day: i64,
    /// The weeks of the cycle (one for plain shifts).
    pub weeks: Vec<Vec<Shift>>,
}

impl Staffing {
    fn weekly(shifts: &[Shift], factor: f64) -> Staffing {
        Staffing {
            start_day: 0,
            weeks: vec![scale(shifts, factor)],
        }
    }

    /// The shifts in force for shifts starting on `day`.
    #[inline]
    pub fn on(&self, day: i64) -> &[Shift] {
        if self.weeks.len() == 1 {
            return &self.weeks[0];
        }
        let k = (day - self.start_day).div_euclid(7).rem_euclid(self.weeks.len() as i64);
        &self.weeks[k as usize]
    }

    fn scaled(&self, factor: f64) -> Staffing {
        Staffing {
            start_day: self.start_day,
            weeks: self.weeks.iter().map(|w| scale(w, factor)).collect(),
        }
    }

    /// The most nurses any week schedules at once (an upper bound: all shifts added).
    fn max_nurses(&self) -> u32 {
        self.weeks
            .iter()
            .map(|w| w.iter().map(|s| s.nurses).fold(0u32, u32::saturating_add))
            .max()
            .unwrap_or(0)
    }
}

/// Shifts with their nurses multiplied by a staffing factor (see [`crate::scenario::staffed`]).
fn scale(shifts: &[Shift], factor: f64) -> Vec<Shift> {
    shifts
        .iter()
        .map(|s| Shift {
            nurses: crate::scenario::staffed(s.nurses, factor),
            ..s.clone()
        })
        .collect()
}

#[derive(Clone, Debug)]
pub struct RedialModel {
    pub probability: f64,
    pub delay: Sampler,
    pub max_attempts: u32,
}

#[derive(Clone, Debug)]
pub struct AgreementModel {
    pub name: String,
    pub members: Vec<usize>,
    pub hours: Hours,
    pub overflow_after: Option<Time>,
    pub nurse_order: NurseOrder,
    /// First and last day in force (days since the start; open ends at the extremes).
    pub first_day: i64,
    pub last_day: i64,
    /// Crisis routing: active only while the crisis is on.
    pub crisis: Option<Crisis>,
}

impl AgreementModel {
    /// Whether the agreement is in force on `day` (days since the start).
    #[inline]
    pub fn in_force(&self, day: i64) -> bool {
        self.first_day <= day && day <= self.last_day
    }

    /// Whether the agreement has dates at all.
    pub fn dated(&self) -> bool {
        self.first_day != i64::MIN || self.last_day != i64::MAX
    }
}

/// A target with the periods in which it is judged.
#[derive(Clone, Debug)]
pub struct TargetModel {
    pub metric: TargetMetric,
    pub within: Time,
    pub bound: Bound,
    /// Regions whose calls count (all when the target names none).
    pub regions: Vec<usize>,
    /// Start of each period, then the end of the last; only complete periods
    /// inside the measured window are judged (the whole window if none is).
    pub boundaries: Vec<Time>,
}

impl TargetModel {
    pub fn periods(&self) -> usize {
        self.boundaries.len() - 1
    }

    /// Index of the period containing `t`, if it is judged.
    #[inline]
    pub fn period_of(&self, t: Time) -> Option<usize> {
        let i = self.boundaries.partition_point(|&b| b <= t);
        (i >= 1 && i < self.boundaries.len()).then(|| i - 1)
    }
}

impl RegionModel {
    /// The handle time of calls arriving on `day`, and its mean.
    #[inline]
    pub fn handle_on(&self, day: i64) -> (&Sampler, f64) {
        match self.handle_changes.iter().rev().find(|c| c.0 <= day) {
            Some(c) => (&c.1, c.2),
            None => (&self.handle, self.mean_handle),
        }
    }

    /// The index in `rate` of the interval starting at `start` (a multiple of
    /// `interval`), holidays as Sundays.
    #[inline]
    pub fn rate_index(&self, calendar: &Calendar, start: Time) -> usize {
        let per_hour = (HOUR / self.interval) as usize;
        calendar.hour_of_week(start) * per_hour + (start.rem_euclid(HOUR) / self.interval) as usize
    }
}

impl Model {
    pub fn compile(s: &Scenario) -> Model {
        let calendar = Calendar::with_holidays(s.start, &s.holidays);
        let day_of = |d| calendar.day_of_date(d);
        let mut regions: Vec<RegionModel> = s
            .regions
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let interval = match &r.history {
                    Some(h) => h.interval,
                    None => HOUR / r.intervals_per_hour.max(1) as Time,
                };
                let rate: Vec<f64> = r.calls_per_interval.iter().map(|calls| calls / interval as f64).collect();
                let regular = match &r.rotation {
                    Some(rot) => Staffing {
                        start_day: day_of(rot.start),
                        weeks: rot.weeks.clone(),
                    },
                    None => Staffing::weekly(&r.shifts, 1.0),
                };
                let schedules: Vec<(i64, i64, Staffing)> = r
                    .schedules
                    .iter()
                    .map(|sc| {
                        let factor = r.staffing_factor * sc.staffing_factor;
                        let staffing = match &sc.shifts {
                            Some(shifts) => Staffing::weekly(shifts, factor),
                            None => regular.scaled(factor),
                        };
                        (day_of(sc.from), day_of(sc.to), staffing)
                    })
                    .collect();
                let regular = regular.scaled(r.staffing_factor);
                let max_nurses = std::iter::once(&regular)
                    .chain(schedules.iter().map(|s| &s.2))
                    .map(Staffing::max_nurses)
                    .max()
                    .unwrap_or(0);
                let block = r.shrinkage_block as f64;
                RegionModel {
                    name: r.name.clone(),
                    rate,
                    interval,
                    handle: r.handle_time.sampler(),
                    mean_handle: r.handle_time.mean(),
                    handle_changes: r
                        .handle_changes
                        .iter()
                        .map(|c| (day_of(c.from), c.handle_time.sampler(), c.handle_time.mean()))
                        .collect(),
                    partner_extra_handle: r.partner_extra_handle,
                    patience: r.patience.sampler(),
                    shifts: regular,
                    schedules,
                    history: r.history.as_ref().map(|h| h.calls.iter().map(|c| c / h.interval as f64).collect()),
                    overflow_delays: vec![],
                    stream_id: fnv1a(r.name.as_bytes()),
                    redial: r.redial.as_ref().map(|d| RedialModel {
                        probability: d.probability,
                        delay: d.delay.sampler(),
                        max_attempts: d.max_attempts,
                    }),
                    max_queue: r.overload.as_ref().and_then(|o| o.max_queue).unwrap_or(u32::MAX),
                    max_wait: r.overload.as_ref().and_then(|o| o.max_wait).unwrap_or(Time::MAX),
                    // On/off alternation with mean off time `block` spends a share
                    // `shrinkage` off the phones when breaks start at s/((1−s)·block).
                    break_rate: if r.shrinkage > 0.0 {
                        r.shrinkage / ((1.0 - r.shrinkage) * block)
                    } else {
                        0.0
                    },
                    break_length: crate::dist::Dist::Exponential { mean: block }.sampler(),
                    max_nurses,
                    daily_variation: r.daily_variation,
                    surges: s
                        .surges
                        .iter()
                        .filter(|g| g.regions.is_empty() || g.regions.contains(&index))
                        .map(|g| (day_of(g.from), day_of(g.to), g.factor))
                        .collect(),
                }
            })
            .collect();
        let agreements: Vec<AgreementModel> = s
            .agreements
            .iter()
            .map(|a| AgreementModel {
                name: a.name.clone(),
                members: a.members.clone(),
                hours: a.hours.clone(),
                overflow_after: a.overflow_after,
                nurse_order: a.nurse_order,
                first_day: a.from.map_or(i64::MIN, day_of),
                last_day: a.to.map_or(i64::MAX, day_of),
                crisis: a.crisis.clone(),
            })
            .collect();
        let n = regions.len();
        let mut partners = vec![vec![]; n];
        for a in &agreements {
            for &r in &a.members {
                partners[r].extend(a.members.iter().copied().filter(|&j| j != r));
                if let Some(d) = a.overflow_after.filter(|&d| d > 0) {
                    if !regions[r].overflow_delays.contains(&d) {
                        regions[r].overflow_delays.push(d);
                    }
                }
            }
        }
        partners.iter_mut().for_each(|p| {
            p.sort_unstable();
            p.dedup();
        });
        // A crisis triggered by the longest wait is looked at when each call of
        // a member has waited that long (the same timers as overflow delays).
        for a in &agreements {
            if let Some(d) = a.crisis.as_ref().and_then(|c| c.longest_wait_over).filter(|&d| d > 0) {
                for &r in &a.members {
                    if !regions[r].overflow_delays.contains(&d) {
                        regions[r].overflow_delays.push(d);
                    }
                }
            }
        }
        regions.iter_mut().for_each(|r| r.overflow_delays.sort_unstable());
        let crisis_of_region = (0..n)
            .map(|r| {
                (0..agreements.len())
                    .filter(|&a| agreements[a].crisis.is_some() && agreements[a].members.contains(&r))
                    .collect()
            })
            .collect();
        let (settled, settlement_pairs) = settlement_rules(s, &partners);
        let targets = s
            .targets
            .iter()
            .map(|t| TargetModel {
                metric: t.metric,
                within: t.within.unwrap_or(0),
                bound: t.bound,
                regions: t.region.map_or_else(|| (0..n).collect(), |r| vec![r]),
                boundaries: judged_periods(&calendar, t.per, s.warmup, s.horizon),
            })
            .collect::<Vec<TargetModel>>();
        let user_targets = targets.len();
        let mut targets = targets;
        for r in 0..n {
            for kind in [CalendarPeriod::Week, CalendarPeriod::Month] {
                targets.push(TargetModel {
                    metric: TargetMetric::AnsweredWithin,
                    within: SERIES_WITHIN,
                    bound: Bound::AtLeast(0.0),
                    regions: vec![r],
                    boundaries: series_boundaries(&calendar, kind, s.warmup, s.horizon),
                });
            }
        }
        let months = calendar.period_starts(CalendarPeriod::Month, s.warmup, s.horizon);
        Model {
            calendar,
            horizon: s.horizon,
            warmup: s.warmup,
            regions,
            agreements,
            within: s.within_thresholds().into_iter().map(|(t, _)| t).collect(),
            partners,
            targets,
            months,
            chart_within: s.chart_within().1,
            user_targets,
            crisis_of_region,
            settled,
            settlement_pairs,
        }
    }

    /// The scenario's own targets (without the time series).
    pub fn user_targets(&self) -> &[TargetModel] {
        &self.targets[..self.user_targets]
    }

    /// The boundaries of a time series' periods (the first and last clipped to
    /// the measured window), and the index of region `r`'s series in `targets`.
    pub fn series(&self, r: usize, period: SeriesPeriod) -> (usize, &[Time]) {
        let k = self.user_targets + 2 * r + (period == SeriesPeriod::Month) as usize;
        (k, &self.targets[k].boundaries)
    }

    /// The boundaries of a time series' periods (without a region).
    pub fn series_boundaries(&self, period: SeriesPeriod) -> Vec<Time> {
        let kind = match period {
            SeriesPeriod::Week => CalendarPeriod::Week,
            SeriesPeriod::Month => CalendarPeriod::Month,
        };
        series_boundaries(&self.calendar, kind, self.warmup, self.horizon)
    }

    /// The shifts in force for shifts starting on `day` in region `r`.
    pub fn shifts_on(&self, r: usize, day: i64) -> &[Shift] {
        let region = &self.regions[r];
        region
            .schedules
            .iter()
            .find(|(from, to, _)| *from <= day && day <= *to)
            .map_or(&region.shifts, |s| &s.2)
            .on(day)
    }

    /// Whether agreement `a` is in force at time `t` by its dates and hours
    /// (a crisis agreement is active only while its crisis is on as well). A
    /// window belongs to the day it starts on: one opening on the last day
    /// runs to its end past midnight, one opening the day before the first
    /// day does not.
    pub fn agreement_active(&self, a: usize, t: Time) -> bool {
        let agreement = &self.agreements[a];
        let day = t.div_euclid(DAY);
        match &agreement.hours {
            Hours::Always => agreement.in_force(day),
            Hours::Windows(ws) => ws.iter().any(|w| {
                [day, day - 1]
                    .iter()
                    .any(|&d| agreement.in_force(d) && self.occurrence_covers(w, d, t))
            }),
        }
    }

    /// Whether an occurrence of `w` starting today or yesterday covers `t`.
    pub fn window_covers(&self, w: &Window, day: i64, t: Time) -> bool {
        [day, day - 1].iter().any(|&d| self.occurrence_covers(w, d, t))
    }

    pub fn occurrence_covers(&self, w: &Window, day: i64, t: Time) -> bool {
        w.occurrence(day * DAY, self.calendar.weekday_of_day(day))
            .is_some_and(|(start, end)| start <= t && t < end)
    }

    /// Volume factor of region `r` on `day` from surges (daily variation is random, in the engine).
    pub fn surge_factor(&self, r: usize, day: i64) -> f64 {
        self.regions[r]
            .surges
            .iter()
            .filter(|(a, b, _)| *a <= day && day <= *b)
            .map(|g| g.2)
            .product()
    }

    /// What one replication of this model costs: call attempts, engine
    /// events and peak memory, estimated before anything runs (see [`Work`]).
    /// Multiply `attempts` and `events` by the replications (and sweep points);
    /// `memory_bytes` is what each replication running at the same time needs.
    pub fn work(&self) -> Work {
        let mut total = Work::default();
        for r in 0..self.regions.len() {
            total = total.plus(self.region_work(r));
        }
        // Statistics: by hour, flows between regions, targets' periods, hourly samples.
        let n = self.regions.len() as f64;
        let groups = n + self.agreements.len() as f64 + 1.0;
        let periods: f64 = self.user_targets().iter().map(|t| t.boundaries.len() as f64).sum();
        // The weekly and monthly series: per period and region, counts in the
        // tally and the observation and six accumulators in the fold.
        let series: f64 = [SeriesPeriod::Week, SeriesPeriod::Month]
            .map(|k| self.series_boundaries(k).len() as f64)
            .iter()
            .sum();
        total.memory_bytes +=
            groups * GROUP_BYTES + n * n * 64.0 + periods * n * 64.0 + series * n * 256.0 + (self.months.len() as f64 + 1.0) * n * 96.0;
        // Percentile targets: a wait histogram per judged period.
        let histograms: f64 = self
            .user_targets()
            .iter()
            .filter(|t| matches!(t.metric, TargetMetric::WaitPercentile(_)))
            .map(|t| t.periods() as f64)
            .sum();
        total.memory_bytes += histograms * HISTOGRAM_BYTES;
        // The engine's counts per region and day (and per distinct target limit).
        let mut limits: Vec<Time> = self.targets.iter().map(|t| t.within).collect();
        limits.sort_unstable();
        limits.dedup();
        total.memory_bytes += n * (self.horizon / DAY + 1) as f64 * (32.0 + 8.0 * limits.len() as f64);
        total.events += (self.horizon / HOUR + 1) as f64 * (1.0 + self.agreements.len() as f64);
        total
    }

    /// [`Model::work`] of region `r` alone (its calls, nurses and breaks).
    pub fn region_work(&self, r: usize) -> Work {
        let region = &self.regions[r];
        let days = self.horizon.div_euclid(DAY) + 1;
        // Calls on each weekday (holidays count as Sundays), before surges.
        let mut per_weekday = [0.0f64; 7];
        let per_day = region.rate.len() / 7;
        for (i, rate) in region.rate.iter().enumerate() {
            per_weekday[i / per_day] += rate * region.interval as f64;
        }
        let (mut first_calls, mut shift_steps) = (0.0, 0.0);
        for day in 0..days {
            let share = ((self.horizon - day * DAY) as f64 / DAY as f64).min(1.0);
            let weekday = self.calendar.weekday_of_day(day);
            // Daily variation has mean 1: it does not change the expectation.
            first_calls += per_weekday[weekday] * share * self.surge_factor(r, day);
            for shift in self.shifts_on(r, day) {
                if shift.window.days.contains(weekday) {
                    // Each nurse logs on and off one by one, plus two staff checks.
                    shift_steps += 2.0 * shift.nurses as f64 + 2.0;
                }
            }
        }
        // Redials: as an upper bound, every attempt fails and is repeated with
        // the redial probability, up to `max_attempts` attempts a caller.
        let per_caller = region.redial.as_ref().map_or(1.0, |d| {
            (0..d.max_attempts.max(1)).map(|k| d.probability.powi(k as i32)).sum::<f64>()
        });
        let attempts = first_calls * per_caller;
        // Each attempt: its arrival, its answer or hang-up, its patience timer,
        // and one timer per overflow delay.
        let per_attempt = 2.0 + f64::from(!matches!(region.patience, crate::dist::Sampler::Never)) + region.overflow_delays.len() as f64;
        // Breaks are drawn at the rate of the largest staff, and each taken one ends.
        let breaks = 2.0 * region.break_rate * region.max_nurses as f64 * self.horizon as f64;
        let events = attempts * per_attempt + breaks + shift_steps + 25.0 * days as f64;
        // Memory: waiting calls up to the engine's cap, nurses (idle and
        // leaving queues, today's and yesterday's shifts), per-region statistics.
        let waiting = attempts.min(crate::engine::MAX_WAITING as f64);
        // A history keeps one rate per interval of the window.
        let history = region.history.as_ref().map_or(0.0, |h| 8.0 * h.len() as f64);
        let memory_bytes = waiting * CALL_BYTES + 64.0 * region.max_nurses as f64 + GROUP_BYTES + history;
        Work {
            attempts,
            events,
            memory_bytes,
        }
    }
}

/// What running a model costs (one replication unless said otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Work {
    /// Expected call attempts: first calls with surges (daily variation has
    /// mean 1) and, as an upper bound, every redial allowed (`max_attempts`
    /// when every attempt fails and redials with the redial probability).
    pub attempts: f64,
    /// Events and per-nurse steps of the engine: each attempt's arrival,
    /// answer or hang-up and timers; off-phone breaks; nurses logging on and
    /// off at shift changes; hourly and daily events.
    pub events: f64,
    /// Peak memory of one replication, in bytes (an upper bound).
    pub memory_bytes: f64,
}

/// Engine events per call attempt in a plain scenario: `Work::calls` counts in
/// these, so that it compares with measured calls per second.
pub const EVENTS_PER_CALL: f64 = 3.0;
/// Work no flag can allow: 10¹² events in all (days of computing on a
/// large machine; counters and clocks are safe well beyond it).
pub const MAX_EVENTS: f64 = 1e12;
/// Memory no flag can allow for one replication: 4 GiB.
pub const MAX_MEMORY_BYTES: f64 = 4.0 * 1024.0 * 1024.0 * 1024.0;
/// Memory of one wait histogram (`stats::WaitHistogram`: 10 000 counters).
const HISTOGRAM_BYTES: f64 = 40.0 * 1024.0;
/// Memory of one waiting call (its slot, its place in the queue, its pending events).
const CALL_BYTES: f64 = 96.0;
/// Memory of the statistics of one region, agreement or the total (wait histograms, by hour).
const GROUP_BYTES: f64 = 256.0 * 1024.0;

impl Work {
    /// The work of both (e.g. the scenarios of a `compare`).
    pub fn plus(self, o: Work) -> Work {
        Work {
            attempts: self.attempts + o.attempts,
            events: self.events + o.events,
            memory_bytes: self.memory_bytes + o.memory_bytes,
        }
    }

    /// The work of `runs` replications: events and attempts scale, the
    /// memory of one replication does not.
    pub fn times(self, runs: f64) -> Work {
        Work {
            attempts: self.attempts * runs,
            events: self.events * runs,
            memory_bytes: self.memory_bytes,
        }
    }

    /// Another run after this one: events and attempts add up, memory is the
    /// larger of the two (runs do not hold their memory at once beyond one
    /// per thread, which the ceiling leaves room for).
    pub fn plus_run(self, o: Work) -> Work {
        Work {
            attempts: self.attempts + o.attempts,
            events: self.events + o.events,
            memory_bytes: self.memory_bytes.max(o.memory_bytes),
        }
    }

    /// The work in "calls" (events / [`EVENTS_PER_CALL`]): the unit of the
    /// `--allow-large` threshold and of calls-per-second measurements.
    pub fn calls(&self) -> f64 {
        self.events / EVENTS_PER_CALL
    }

    /// Why `runs` replications of this much work can never be done, even with
    /// `--allow-large`: `None` when they can.
    pub fn refusal(&self, runs: f64) -> Option<String> {
        let events = self.events * runs;
        if !(events <= MAX_EVENTS) {
            return Some(format!(
                "this would take about {:.1e} engine events ({:.1e} call attempts), more than the {MAX_EVENTS:.0e} that any run may take, even with --allow-large",
                events,
                self.attempts * runs
            ));
        }
        if !(self.memory_bytes <= MAX_MEMORY_BYTES) {
            return Some(format!(
                "one replication would need about {:.1} GiB of memory, more than the {:.0} GiB any run may use",
                self.memory_bytes / (1024.0 * 1024.0 * 1024.0),
                MAX_MEMORY_BYTES / (1024.0 * 1024.0 * 1024.0)
            ));
        }
        None
    }
}

/// Boundaries of the complete periods inside `[warmup, horizon)`; the whole
/// window when no period fits (or the target is judged over the horizon).
fn judged_periods(calendar: &Calendar, per: Period, warmup: Time, horizon: Time) -> Vec<Time> {
    let kind = match per {
        Period::Horizon => return vec![warmup, horizon],
        Period::Day => CalendarPeriod::Day,
        Period::Week => CalendarPeriod::Week,
        Period::Month => CalendarPeriod::Month,
    };
    let mut starts = calendar.period_starts(kind, warmup, horizon);
    starts.push(Time::MAX);
    let complete: Vec<(Time, Time)> = starts
        .windows(2)
        .map(|w| (w[0], w[1].min(calendar_end(kind, calendar, w[0]))))
        .filter(|&(a, b)| a >= warmup && b <= horizon)
        .collect();
    if complete.is_empty() {
        return vec![warmup, horizon];
    }
    let mut b: Vec<Time> = complete.iter().map(|p| p.0).collect();
    b.push(complete.last().unwrap().1);
    b
}

/// Every period of `kind` touching `[warmup, horizon)`, the first starting at
/// the warmup and the last ending at the horizon (partial periods included):
/// start of each, then the horizon.
fn series_boundaries(calendar: &Calendar, kind: CalendarPeriod, warmup: Time, horizon: Time) -> Vec<Time> {
    let mut b: Vec<Time> = calendar
        .period_starts(kind, warmup, horizon)
        .into_iter()
        .map(|t| t.max(warmup))
        .collect();
    b.dedup();
    if b.is_empty() {
        b.push(warmup);
    }
    b.push(horizon);
    b
}

/// End of the period of `kind` starting at `start`.
fn calendar_end(kind: CalendarPeriod, calendar: &Calendar, start: Time) -> Time {
    let next = calendar.period_starts(kind, start + DAY, start + 40 * DAY);
    next.into_iter().find(|&t| t > start).unwrap_or(Time::MAX)
}

/// Which flows are settled, and the ordered pairs of the bilateral settlement.
/// Calls of region r answered by region j are settled unless r has
/// `settled = false`, or every agreement with both r and j has `settled = false`.
fn settlement_rules(s: &Scenario, partners: &[Vec<usize>]) -> (Vec<bool>, Vec<(usize, usize)>) {
    let n = s.regions.len();
    let mut settled = vec![false; n * n];
    for a in s.agreements.iter().filter(|a| a.settled) {
        for &r in &a.members {
            for &j in &a.members {
                settled[r * n + j] = s.regions[r].settled;
            }
        }
    }
    let pairs = (0..n).flat_map(|r| partners[r].iter().map(move |&j| (r, j))).collect();
    (settled, pairs)
}

/// FNV-1a: a fixed, portable hash (std's hasher is randomised per process).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}
