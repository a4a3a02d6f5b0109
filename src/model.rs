//! A scenario compiled into the tables the engine reads in its hot loop.

use crate::calendar::{Calendar, Time, Window, DAY, HOUR};
use crate::dist::Sampler;
use crate::scenario::{Hours, NurseOrder, Scenario};

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
}

#[derive(Clone, Debug)]
pub struct RegionModel {
    pub name: String,
    /// Arrival rate in calls per millisecond for each hour of the week (Monday 00–01 first).
    pub rate: [f64; 168],
    pub handle: Sampler,
    pub patience: Sampler,
    pub shifts: Vec<(Window, u32)>,
    /// Distinct positive overflow delays of the agreements this region is in:
    /// the waiting times at which its calls may become eligible for partners.
    pub overflow_delays: Vec<Time>,
    /// Stable identity of the region for random streams (hash of its name), so
    /// that the same region sees the same callers in every scenario.
    pub stream_id: u64,
}

#[derive(Clone, Debug)]
pub struct AgreementModel {
    pub name: String,
    pub members: Vec<usize>,
    pub hours: Hours,
    pub overflow_after: Option<Time>,
    pub nurse_order: NurseOrder,
}

impl Model {
    pub fn compile(s: &Scenario) -> Model {
        let calendar = Calendar::new(s.start);
        let mut regions: Vec<RegionModel> = s
            .regions
            .iter()
            .map(|r| {
                let mut rate = [0.0; 168];
                for (i, calls) in r.calls_per_hour.iter().enumerate() {
                    rate[i] = calls / HOUR as f64;
                }
                RegionModel {
                    name: r.name.clone(),
                    rate,
                    handle: r.handle_time.sampler(),
                    patience: r.patience.sampler(),
                    shifts: r.shifts.iter().map(|sh| (sh.window, sh.nurses)).collect(),
                    overflow_delays: vec![],
                    stream_id: fnv1a(r.name.as_bytes()),
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
            })
            .collect();
        let n = regions.len();
        let mut partners = vec![vec![]; n];
        for a in &agreements {
            for &r in &a.members {
                for &j in &a.members {
                    if r != j && !partners[r].contains(&j) {
                        partners[r].push(j);
                    }
                }
                if let Some(d) = a.overflow_after.filter(|&d| d > 0) {
                    if !regions[r].overflow_delays.contains(&d) {
                        regions[r].overflow_delays.push(d);
                    }
                }
            }
        }
        for p in &mut partners {
            p.sort_unstable();
        }
        for r in &mut regions {
            r.overflow_delays.sort_unstable();
        }
        Model {
            calendar,
            horizon: s.horizon,
            warmup: s.warmup,
            regions,
            agreements,
            within: s.within_thresholds().into_iter().map(|(t, _)| t).collect(),
            partners,
        }
    }

    /// Nurses scheduled in region `r` at time `t` (shifts that started today or
    /// yesterday and cover `t`; overlapping shifts add up).
    pub fn scheduled_nurses(&self, r: usize, t: Time) -> u32 {
        let day = t.div_euclid(DAY);
        self.regions[r]
            .shifts
            .iter()
            .filter(|(w, _)| self.window_covers(w, day, t))
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether agreement `a` is active at time `t`.
    pub fn agreement_active(&self, a: usize, t: Time) -> bool {
        match &self.agreements[a].hours {
            Hours::Always => true,
            Hours::Windows(ws) => ws
                .iter()
                .any(|w| self.window_covers(w, t.div_euclid(DAY), t)),
        }
    }

    fn window_covers(&self, w: &Window, day: i64, t: Time) -> bool {
        [day, day - 1].iter().any(|&d| {
            w.occurrence(d * DAY, self.calendar.weekday_of_day(d))
                .is_some_and(|(start, end)| start <= t && t < end)
        })
    }

    /// Expected number of calls over the horizon in all regions (for work estimates).
    pub fn expected_calls(&self) -> f64 {
        let weekly: f64 = self
            .regions
            .iter()
            .map(|r| r.rate.iter().sum::<f64>() * HOUR as f64)
            .sum();
        weekly * self.horizon as f64 / crate::calendar::WEEK as f64
    }
}

/// FNV-1a: a fixed, portable hash (std's hasher is randomised per process).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}
