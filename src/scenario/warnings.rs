//! Warnings: scenarios that are valid but probably not what was meant (silent
//! traps). They never stop a run; `check` and `run` print them on standard
//! error as `warning:` with the place in the file.
//!
//! - calls that arrive while their region has no nurse on duty and no active
//!   agreement gives them to a partner with nurses on duty (they can only
//!   wait or hang up): the hours and days it happens, looked at on every
//!   quarter hour of the run;
//! - a shift that crosses midnight and lasts more than 12 hours: most likely a
//!   day shift typed backwards (`from = "16:00", to = "07:00"`);
//! - an agreement whose dates do not meet the simulated period at all;
//! - a crisis that can never end (a release level of 0: no queue is ever
//!   shorter than no calls) or is on from the start (a trigger of 0).

use std::collections::HashMap;

use super::diagnostic::Problems;
use super::tree::{Node, Value};
use super::Scenario;
use crate::calendar::{Time, Window, DAY, HOUR, MINUTE};
use crate::model::Model;

/// A night shift longer than this that crosses midnight looks typed backwards.
const LONGEST_PLAUSIBLE_NIGHT: Time = 12 * HOUR;
/// The coverage of calls is looked at on each quarter hour.
const STEP: Time = 15 * MINUTE;
const STEPS_PER_DAY: usize = (DAY / STEP) as usize;

/// Every warning of a valid scenario, with its place in `root`.
pub fn find(s: &Scenario, root: &Node) -> Problems {
    let mut p = Problems::default();
    let regions = items(root.get("region"));
    for (r, region) in s.regions.iter().enumerate() {
        let Some(node) = regions.get(r) else { continue };
        for (k, shift) in region.shifts.iter().enumerate() {
            backwards_shift(&shift.window, items(node.get("shifts")).get(k).copied(), &mut p);
        }
        let schedules = items(node.get("schedules"));
        for (i, schedule) in region.schedules.iter().enumerate() {
            let shifts = items(schedules.get(i).and_then(|n| n.get("shifts")));
            for (k, shift) in schedule.shifts.iter().flatten().enumerate() {
                backwards_shift(&shift.window, shifts.get(k).copied(), &mut p);
            }
        }
    }
    let model = Model::compile(s);
    let agreements = items(root.get("agreement"));
    for (a, agreement) in model.agreements.iter().enumerate() {
        let last = (model.horizon - 1).div_euclid(DAY);
        if agreement.first_day > last || agreement.last_day < 0 {
            let node = agreements.get(a).and_then(|n| n.get("from").or(n.get("to")).or(Some(*n)));
            if let Some(node) = node {
                p.at(
                    node.span,
                    format!(
                        "agreement `{}` is never in force: its dates are outside the simulated period ({} to {})",
                        agreement.name,
                        model.calendar.date_of_day(0),
                        model.calendar.date_of_day(last)
                    ),
                )
                .hint("check the dates, `start` and `horizon`; it changes nothing in this run");
            }
        }
    }
    for (a, agreement) in s.agreements.iter().enumerate() {
        let (Some(crisis), Some(node)) = (&agreement.crisis, agreements.get(a).and_then(|n| n.get("crisis"))) else {
            continue;
        };
        crisis_levels(crisis, &agreement.name, node, &mut p);
    }
    uncovered_calls(&model, &regions, &mut p);
    p
}

/// A release level of 0 means the crisis never ends once it starts; a
/// trigger of 0 means it is on from the first instant: both are what an
/// agreement without `crisis` does, spelled as if it were something else.
fn crisis_levels(c: &super::Crisis, agreement: &str, node: &Node, p: &mut Problems) {
    let place = |key: &str| node.get(key).unwrap_or(node).span;
    if c.waiting_at_least == Some(0) || c.longest_wait_over == Some(0) {
        let key = if c.waiting_at_least == Some(0) {
            "waiting_at_least"
        } else {
            "longest_wait_over"
        };
        p.at(
            place(key),
            format!("the crisis of agreement `{agreement}` is on from the start ({key} = 0)"),
        )
        .hint("give a trigger above 0, or remove `crisis` for an agreement that is always in force in its hours");
    } else if (c.waiting_at_least.is_some() && c.release_below == 0) || (c.longest_wait_over.is_some() && c.release_below_wait == 0) {
        let (key, example) = if c.waiting_at_least.is_some() && c.release_below == 0 {
            ("release_below", "release_below = 5")
        } else {
            ("release_below_wait", "release_below_wait = \"5m\"")
        };
        p.at(
            place(key),
            format!("the crisis of agreement `{agreement}` never ends once it starts ({key} = 0)"),
        )
        .hint(format!(
            "a crisis ends when every member is below the release level: give a level above 0, e.g. `{example}`"
        ));
    }
}

/// The elements of a list node (none when absent or not a list).
fn items(n: Option<&Node>) -> Vec<&Node> {
    match n.map(|n| &n.value) {
        Some(Value::Array(a)) => a.iter().collect(),
        _ => vec![],
    }
}

fn backwards_shift(w: &Window, node: Option<&Node>, p: &mut Problems) {
    let Some(node) = node else { return };
    if w.to >= w.from || w.length() <= LONGEST_PLAUSIBLE_NIGHT {
        return;
    }
    let at = node.get("from").unwrap_or(node);
    p.at(
        at.span,
        format!(
            "this shift runs overnight from {} to {} the next day ({}): did you mean from {} to {}?",
            clock(w.from),
            clock(w.to),
            crate::calendar::format_duration(w.length()),
            clock(w.to),
            clock(w.from)
        ),
    )
    .hint("a shift whose end is before its start crosses midnight; night shifts rarely last more than 12 hours");
}

fn clock(t: Time) -> String {
    format!("{:02}:{:02}", t / HOUR, t % HOUR / MINUTE)
}

/// Where calls go unanswered by design, for one region: each distinct set of
/// uncovered times of day (e.g. `07:00-16:00`) with the weekdays, the number
/// of days and the first and last day it happens on, in order of first day.
#[derive(Default)]
struct Gaps {
    patterns: Vec<(String, [bool; 7], usize, i64, i64)>,
}

impl Gaps {
    fn add(&mut self, times: String, weekday: usize, day: i64) {
        match self.patterns.iter_mut().find(|p| p.0 == times) {
            Some(p) => {
                p.1[weekday] = true;
                p.2 += 1;
                p.4 = day;
            }
            None => {
                let mut days = [false; 7];
                days[weekday] = true;
                self.patterns.push((times, days, 1, day, day));
            }
        }
    }
}

/// Patterns shown in one warning at most (the rest are counted).
const MAX_PATTERNS: usize = 4;

fn uncovered_calls(model: &Model, region_nodes: &[&Node], p: &mut Problems) {
    let n = model.regions.len();
    let days = (model.horizon + DAY - 1).div_euclid(DAY);
    let mut gaps: Vec<Gaps> = (0..n).map(|_| Gaps::default()).collect();
    // Days alike in everything that matters are looked at once.
    let mut seen: HashMap<Vec<i64>, Vec<String>> = HashMap::new();
    for day in 0..days {
        let times = seen
            .entry(day_key(model, day))
            .or_insert_with(|| uncovered_on(model, day).iter().map(|steps| ranges(steps)).collect());
        let weekday = model.calendar.weekday_of_day(day);
        for (r, times) in times.iter().enumerate() {
            if !times.is_empty() {
                gaps[r].add(times.clone(), weekday, day);
            }
        }
    }
    for (r, g) in gaps.iter().enumerate() {
        if g.patterns.is_empty() {
            continue;
        }
        let Some(node) = region_nodes.get(r).map(|n| n.get("name").unwrap_or(n)) else {
            continue;
        };
        let date = |d: i64| model.calendar.date_of_day(d);
        let mut parts: Vec<String> = g
            .patterns
            .iter()
            .take(MAX_PATTERNS)
            .map(|(times, weekdays, days, first, last)| {
                let when = if first == last {
                    format!("on {}", date(*first))
                } else {
                    format!("on {days} days, {} to {}", date(*first), date(*last))
                };
                format!("{} {times} ({when})", weekday_set(weekdays))
            })
            .collect();
        if g.patterns.len() > MAX_PATTERNS {
            parts.push(format!("and {} more", g.patterns.len() - MAX_PATTERNS));
        }
        p.at(
            node.span,
            format!(
                "calls of `{}` arrive while it has no nurse on duty and no agreement gives them to a partner with nurses: {}",
                model.regions[r].name,
                parts.join("; ")
            ),
        )
        .hint("these callers can only wait or hang up: add shifts, or an agreement (with `hours`) whose partners have nurses then");
    }
}

/// What decides a day's coverage: its and the previous day's weekday (shifts
/// and windows cross midnight), the schedule of each region, the agreements
/// in force, whether each region has calls, and a partial last day.
fn day_key(model: &Model, day: i64) -> Vec<i64> {
    let mut key = vec![];
    for d in [day, day - 1] {
        key.push(model.calendar.weekday_of_day(d) as i64);
        for region in &model.regions {
            let schedule = region.schedules.iter().position(|(a, b, _)| *a <= d && d <= *b);
            key.push(schedule.map_or(-1, |i| i as i64));
        }
        key.extend(model.agreements.iter().map(|a| a.in_force(d) as i64));
    }
    key.extend((0..model.regions.len()).map(|r| (model.surge_factor(r, day) > 0.0) as i64));
    key.push(((day + 1) * DAY > model.horizon) as i64);
    key
}

/// Per region, the quarter hours of `day` with calls but nobody to answer them.
fn uncovered_on(model: &Model, day: i64) -> Vec<Vec<usize>> {
    let n = model.regions.len();
    let mut out = vec![vec![]; n];
    for q in 0..STEPS_PER_DAY {
        let t = day * DAY + q as Time * STEP;
        if t >= model.horizon {
            break;
        }
        let nurses: Vec<u32> = (0..n).map(|r| scheduled(model, r, t)).collect();
        for r in 0..n {
            let region = &model.regions[r];
            let calls = region.rate[region.rate_index(&model.calendar, t - t % region.interval)] > 0.0 && model.surge_factor(r, day) > 0.0;
            if !calls || nurses[r] > 0 {
                continue;
            }
            let covered = model.agreements.iter().enumerate().any(|(a, ag)| {
                ag.overflow_after.is_some()
                    && ag.members.contains(&r)
                    && ag.members.iter().any(|&j| j != r && nurses[j] > 0)
                    && model.agreement_active(a, t)
            });
            if !covered {
                out[r].push(q);
            }
        }
    }
    out
}

/// Nurses region `r` schedules at `t` (before absence and breaks).
fn scheduled(model: &Model, r: usize, t: Time) -> u32 {
    let day = t.div_euclid(DAY);
    [day, day - 1]
        .iter()
        .flat_map(|&d| {
            model
                .shifts_on(r, d)
                .iter()
                .filter(move |s| model.occurrence_covers(&s.window, d, t))
                .map(|s| s.nurses)
        })
        .sum()
}

/// Quarter hours of a day as text: `00:00-07:00 and 22:00-24:00`.
fn ranges(steps: &[usize]) -> String {
    let mut out = vec![];
    let mut k = 0;
    while k < steps.len() {
        let start = steps[k];
        while k + 1 < steps.len() && steps[k + 1] == steps[k] + 1 {
            k += 1;
        }
        out.push(format!("{}-{}", clock(start as Time * STEP), clock((steps[k] + 1) as Time * STEP)));
        k += 1;
    }
    out.join(" and ")
}

/// Weekdays as text: `Mon-Fri`, `Sat-Sun`, `Mon, Wed` (holidays count as Sundays).
fn weekday_set(days: &[bool; 7]) -> String {
    const NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let mut parts = vec![];
    let mut wd = 0;
    while wd < 7 {
        if !days[wd] {
            wd += 1;
            continue;
        }
        let mut end = wd;
        while end + 1 < 7 && days[end + 1] {
            end += 1;
        }
        parts.push(match end - wd {
            0 => NAMES[wd].to_string(),
            1 => format!("{}, {}", NAMES[wd], NAMES[end]),
            _ => format!("{}-{}", NAMES[wd], NAMES[end]),
        });
        wd = end + 1;
    }
    if parts.len() == 1 && parts[0] == "Mon-Sun" {
        return "every day".into();
    }
    parts.join(", ")
}
