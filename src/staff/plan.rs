//! What `staff` may change and what it costs: the adjusted shifts (slots),
//! the shift patterns added as shifts without nurses, and each slot's cost
//! of one nurse a week.

use crate::calendar::{DaySet, Time, Window, HOUR, MINUTE, WEEKDAYS};
use crate::scenario::{Scenario, Shift};

use super::{StaffError, StaffingRow};

/// A shift `staff` may change.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    pub region: usize,
    /// Position in the region's shifts of [`Plan::scenario`] (patterns after the scenario's own).
    pub shift: usize,
    pub window: Window,
    pub nurses_before: u32,
    /// Drawn from `shift_patterns`: not in the scenario before.
    pub new: bool,
    /// Hours of one nurse on this shift in a week.
    pub hours_per_week: f64,
    /// Cost of one nurse on this shift in a week, in the plan's unit.
    pub cost_per_nurse: f64,
}

/// What the cost is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CostUnit {
    NurseHours,
    /// Money (`cost_per_nurse_hour`, in SEK).
    Money,
}

impl CostUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            CostUnit::NurseHours => "nurse hours per week",
            CostUnit::Money => "SEK per week",
        }
    }
}

/// The scenario with its pattern shifts, the slots and the bounds.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The scenario with every adjusted region's new pattern shifts appended (no nurses).
    pub scenario: Scenario,
    pub slots: Vec<Slot>,
    pub unit: CostUnit,
    /// Most nurses on any slot.
    pub max_nurses: u32,
    /// Cost a week of the shifts `staff` does not change.
    pub fixed_cost: f64,
}

/// Most nurses `--max-nurses` may allow on one shift (as a scenario may write).
pub const MAX_NURSES_PER_SHIFT: u32 = 100_000;

/// A staffing: nurses on each slot, in slot order.
pub type Staffing = Vec<u32>;

impl Plan {
    /// The plan for `selectors` (`--adjust`, in `--set` syntax), or for every
    /// shift of every region with nurses when there are none.
    pub fn new(scenario: &Scenario, selectors: &[String]) -> Result<Plan, StaffError> {
        let chosen = if selectors.is_empty() {
            default_selection(scenario)?
        } else {
            let mut all = vec![];
            for s in selectors {
                for pick in select(scenario, s)? {
                    if !all.contains(&pick) {
                        all.push(pick);
                    }
                }
            }
            all
        };
        let unit = cost_unit(scenario)?;
        let mut scenario = scenario.clone();
        let mut slots: Vec<(usize, usize, Window, u32, bool)> = chosen
            .iter()
            .map(|&(r, k)| {
                (
                    r,
                    k,
                    scenario.regions[r].shifts[k].window,
                    scenario.regions[r].shifts[k].nurses,
                    false,
                )
            })
            .collect();
        let mut regions: Vec<usize> = chosen.iter().map(|c| c.0).collect();
        regions.dedup();
        for r in regions {
            if !scenario.regions[r].schedules.is_empty() {
                return Err(StaffError::Invalid(format!(
                    "region `{}` has dated schedules, which replace its shifts between their dates: staff adjusts the regular shifts only.\n  = help: remove the schedules (or run staff on a copy without them), or leave the region out with --adjust",
                    scenario.regions[r].name
                )));
            }
            let region = &scenario.regions[r];
            if region.staffing_factor != 1.0 {
                return Err(StaffError::Invalid(format!(
                    "region `{}` has a staffing factor ({}), which rounds each shift's nurses: staff adjusts whole nurses on the shifts as written.\n  = help: write the shifts with the staffed numbers and no staffing_factor, or leave the region out with --adjust",
                    region.name, region.staffing_factor
                )));
            }
            let region = &mut scenario.regions[r];
            let absence = region.shifts.first().map_or(0.0, |s| s.absence);
            for window in region.shift_patterns.clone() {
                if region.shifts.iter().any(|s| s.window == window) {
                    continue;
                }
                region.shifts.push(Shift {
                    window,
                    nurses: 0,
                    absence,
                });
                slots.push((r, region.shifts.len() - 1, window, 0, true));
            }
        }
        let price = |r: usize| match unit {
            CostUnit::NurseHours => 1.0,
            CostUnit::Money => scenario.regions[r].cost_per_nurse_hour.unwrap_or(0.0),
        };
        let slots: Vec<Slot> = slots
            .into_iter()
            .map(|(region, shift, window, nurses_before, new)| Slot {
                region,
                shift,
                window,
                nurses_before,
                new,
                hours_per_week: hours_per_week(&window),
                cost_per_nurse: hours_per_week(&window) * price(region),
            })
            .collect();
        let fixed_cost = scenario
            .regions
            .iter()
            .enumerate()
            .flat_map(|(r, region)| region.shifts.iter().enumerate().map(move |(k, s)| (r, k, s)))
            .filter(|(r, k, _)| !slots.iter().any(|s| s.region == *r && s.shift == *k))
            .map(|(r, _, s)| {
                let nurses = crate::scenario::staffed(s.nurses, scenario.regions[r].staffing_factor);
                nurses as f64 * hours_per_week(&s.window) * price(r)
            })
            .sum::<f64>()
            + scenario
                .regions
                .iter()
                .enumerate()
                .map(|(r, region)| rotation_hours_per_week(region) * price(r))
                .sum::<f64>();
        Ok(Plan {
            scenario,
            slots,
            unit,
            max_nurses: MAX_NURSES_PER_SHIFT,
            fixed_cost,
        })
    }

    /// Sets the bound on every slot: `--max-nurses`, or a default from today's
    /// staffing and the analytic start.
    pub fn set_max_nurses(&mut self, max: Option<u32>, start: &[u32]) -> Result<(), StaffError> {
        self.max_nurses = match max {
            Some(0) => {
                return Err(StaffError::Invalid(
                    "--max-nurses 0 leaves no nurse on any adjusted shift.\n  = help: give the most nurses one shift may have, e.g. --max-nurses 30".into(),
                ))
            }
            Some(m) if m > MAX_NURSES_PER_SHIFT => {
                return Err(StaffError::Invalid(format!(
                    "--max-nurses {m} is more than the {MAX_NURSES_PER_SHIFT} nurses a shift may have"
                )))
            }
            Some(m) => m,
            None => default_max_nurses(&self.before(), start),
        };
        Ok(())
    }

    /// Today's staffing.
    pub fn before(&self) -> Staffing {
        self.slots.iter().map(|s| s.nurses_before).collect()
    }

    /// Cost a week of all shifts (adjusted and not) with this staffing.
    pub fn cost(&self, staffing: &[u32]) -> f64 {
        self.fixed_cost
            + self
                .slots
                .iter()
                .zip(staffing)
                .map(|(s, &n)| s.cost_per_nurse * n as f64)
                .sum::<f64>()
    }

    /// The scenario with this staffing.
    pub fn scenario_with(&self, staffing: &[u32]) -> Scenario {
        let mut s = self.scenario.clone();
        for (slot, &n) in self.slots.iter().zip(staffing) {
            s.regions[slot.region].shifts[slot.shift].nurses = n;
        }
        s
    }

    /// The table of adjusted shifts (new shifts only when they got nurses,
    /// numbered as they are appended to the region's shifts in `staffed.toml`).
    pub fn rows(&self, staffing: &[u32]) -> Vec<StaffingRow> {
        let mut next_new: Vec<usize> = self
            .scenario
            .regions
            .iter()
            .map(|r| {
                r.shifts.len()
                    - self
                        .slots
                        .iter()
                        .filter(|s| s.new && self.scenario.regions[s.region].name == r.name)
                        .count()
            })
            .collect();
        self.slots
            .iter()
            .zip(staffing)
            .filter(|(slot, &n)| !slot.new || n > 0)
            .map(|(slot, &n)| StaffingRow {
                region: self.scenario.regions[slot.region].name.clone(),
                shift: if slot.new {
                    next_new[slot.region] += 1;
                    next_new[slot.region] - 1
                } else {
                    slot.shift
                },
                days: days_text(slot.window.days),
                from: clock_text(slot.window.from),
                to: clock_text(slot.window.to),
                nurses_before: slot.nurses_before,
                nurses: n,
                new: slot.new,
                nurse_hours_per_week: slot.hours_per_week * n as f64,
                cost: slot.cost_per_nurse * n as f64,
            })
            .collect()
    }

    /// `Norrbotten shift 2 (Mon-Fri 22:00-07:00)`.
    pub fn slot_label(&self, k: usize) -> String {
        let s = &self.slots[k];
        format!(
            "{} shift {} ({} {}-{}{})",
            self.scenario.regions[s.region].name,
            s.shift,
            days_text(s.window.days),
            clock_text(s.window.from),
            clock_text(s.window.to),
            if s.new { ", new" } else { "" }
        )
    }
}

/// The default bound: three times the most nurses on any adjusted shift today
/// or in the analytic start, and at least 20, so that a target far from
/// today's staffing is still within reach.
pub fn default_max_nurses(before: &[u32], start: &[u32]) -> u32 {
    let most = before.iter().chain(start).copied().max().unwrap_or(0);
    most.saturating_mul(3).clamp(20, MAX_NURSES_PER_SHIFT)
}

/// Nurse hours of one nurse on `window` in a week.
pub fn hours_per_week(window: &Window) -> f64 {
    let days = (0..7).filter(|&d| window.days.contains(d)).count() as f64;
    days * window.length() as f64 / HOUR as f64
}

/// Nurse hours of a region's rotation in its mean week (staffing factor
/// applied): its nurses are not in `shifts`, but they are paid.
fn rotation_hours_per_week(region: &crate::scenario::Region) -> f64 {
    let Some(rotation) = &region.rotation else {
        return 0.0;
    };
    let total: f64 = rotation
        .weeks
        .iter()
        .flatten()
        .map(|s| crate::scenario::staffed(s.nurses, region.staffing_factor) as f64 * hours_per_week(&s.window))
        .sum();
    total / rotation.weeks.len().max(1) as f64
}

/// Every shift of every region that has nurses.
fn default_selection(s: &Scenario) -> Result<Vec<(usize, usize)>, StaffError> {
    // A rotation's nurses are not in `shifts`: leaving the region out silently
    // would report a staffing (and a cost) that is not the scenario's.
    if let Some(r) = s.regions.iter().find(|r| r.rotation.is_some()) {
        return Err(rotation_refused(&r.name));
    }
    let picks: Vec<(usize, usize)> = s
        .regions
        .iter()
        .enumerate()
        .filter(|(_, r)| r.shifts.iter().any(|sh| sh.nurses > 0))
        .flat_map(|(i, r)| (0..r.shifts.len()).map(move |k| (i, k)))
        .collect();
    if picks.is_empty() {
        return Err(StaffError::Invalid(
            "no region of the scenario has nurses, so there is no shift to adjust.\n  = help: name the shifts to staff with --adjust 'region.NAME.shifts.*'"
                .into(),
        ));
    }
    Ok(picks)
}

/// The shifts one selector picks: `region.<name|index|*>.shifts.<index|*>`.
fn select(s: &Scenario, selector: &str) -> Result<Vec<(usize, usize)>, StaffError> {
    let bad = |why: String| {
        StaffError::Invalid(format!(
            "--adjust `{selector}`: {why}\n  = help: select shifts as --set names them: 'region.Norrbotten.shifts.*', 'region.*.shifts.0', 'region.2.shifts.1'"
        ))
    };
    let parts: Vec<&str> = selector.split('.').collect();
    let [first, region, third, shift] = parts.as_slice() else {
        return Err(bad("a selector has four parts, region.<name>.shifts.<index>".into()));
    };
    if *first != "region" || *third != "shifts" {
        return Err(bad("only shifts of regions can be adjusted".into()));
    }
    let regions: Vec<usize> = match *region {
        "*" => (0..s.regions.len()).collect(),
        name => match s
            .region_index(name)
            .or_else(|| name.parse::<usize>().ok().filter(|&i| i < s.regions.len()))
        {
            Some(i) => vec![i],
            None => {
                let names: Vec<&str> = s.regions.iter().map(|r| r.name.as_str()).collect();
                return Err(bad(format!("there is no region `{name}`; the regions are {}", names.join(", "))));
            }
        },
    };
    if let Some(&r) = regions.iter().find(|&&r| s.regions[r].rotation.is_some()) {
        return Err(rotation_refused(&s.regions[r].name));
    }
    let picks: Vec<(usize, usize)> = match *shift {
        "*" => regions
            .iter()
            .flat_map(|&r| (0..s.regions[r].shifts.len()).map(move |k| (r, k)))
            .collect(),
        index => {
            let k: usize = index
                .parse()
                .map_err(|_| bad(format!("`{index}` is not a shift position (0, 1, …) or *")))?;
            regions
                .iter()
                .filter(|&&r| k < s.regions[r].shifts.len())
                .map(|&r| (r, k))
                .collect()
        }
    };
    if picks.is_empty() {
        return Err(bad("it matches no shift (the region has fewer shifts, or none)".into()));
    }
    Ok(picks)
}

/// `staff` changes the nurses of `shifts`; a rotation has a list of shifts per week.
fn rotation_refused(region: &str) -> StaffError {
    StaffError::Invalid(format!(
        "region `{region}` is staffed by a rotation ([region.rotation]), whose weeks have shifts of their own: staff adjusts the regular `shifts` only.\n  = help: run staff on a copy with the rotation written as `shifts`, or leave the region out with --adjust 'region.OTHER.shifts.*'"
    ))
}

/// Money when the scenario prices nurse hours, else nurse hours; a price on
/// some regions with nurses and not on others cannot be compared.
fn cost_unit(s: &Scenario) -> Result<CostUnit, StaffError> {
    let with_nurses = s
        .regions
        .iter()
        .filter(|r| r.shifts.iter().any(|sh| sh.nurses > 0) || !r.shift_patterns.is_empty() || r.rotation.is_some());
    let (priced, unpriced): (Vec<_>, Vec<_>) = with_nurses.partition(|r| r.cost_per_nurse_hour.is_some());
    match (priced.is_empty(), unpriced.first()) {
        (true, _) => Ok(CostUnit::NurseHours),
        (false, None) => Ok(CostUnit::Money),
        (false, Some(r)) => Err(StaffError::Invalid(format!(
            "region `{}` has nurses but no cost_per_nurse_hour while `{}` has one: costs cannot be added up.\n  = help: set cost_per_nurse_hour in [defaults] (or in every region)",
            r.name, priced[0].name
        ))),
    }
}

/// `all`, `Mon-Fri`, `Sat-Sun`, or a list `Mon,Wed`.
pub fn days_text(days: DaySet) -> String {
    if days == DaySet::ALL {
        return "all".into();
    }
    let on: Vec<usize> = (0..7).filter(|&d| days.contains(d)).collect();
    let contiguous = on.windows(2).all(|w| w[1] == w[0] + 1);
    if on.len() > 1 && contiguous {
        return format!("{}-{}", WEEKDAYS[on[0]], WEEKDAYS[on[on.len() - 1]]);
    }
    on.iter().map(|&d| WEEKDAYS[d]).collect::<Vec<_>>().join(",")
}

/// `HH:MM`.
pub fn clock_text(t: Time) -> String {
    format!("{:02}:{:02}", t / HOUR, (t % HOUR) / MINUTE)
}
