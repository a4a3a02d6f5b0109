//! `check`: validates a scenario and says what it holds.

use super::args::CheckArgs;
use super::failure::{out, Failure};
use super::steps::load;
use crate::calendar::format_duration;
use crate::scenario::{self, Scenario};

/// `check`: every problem with file, line and column, or a one-line summary.
pub(super) fn check(args: CheckArgs) -> Result<(), Failure> {
    let s = load(&args.scenario)?;
    let nurses = largest_shift(&s);
    out(&format!(
        "{}: valid — {} region{}, {} agreement{}, {} target{}, {} replications of {} (largest shift: {} nurses){}\n",
        args.scenario.scenario.display(),
        s.regions.len(),
        plural(s.regions.len()),
        s.agreements.len(),
        plural(s.agreements.len()),
        s.targets.len(),
        plural(s.targets.len()),
        s.replications,
        format_duration(s.horizon),
        nurses,
        dated_summary(&s)
    ))
}

/// The most nurses on any shift, as the model staffs it.
fn largest_shift(s: &Scenario) -> u32 {
    // Dated schedules count: their shifts replace the regular ones on their dates.
    s.regions
        .iter()
        .flat_map(|r| {
            // A rotation's weeks hold the regular shifts; dated schedules their
            // own; the staffing factors scale them, as the model does.
            let rotation = r.rotation.iter().flat_map(|rot| rot.weeks.iter().flatten());
            let regular = r
                .shifts
                .iter()
                .chain(rotation)
                .map(|sh| scenario::staffed(sh.nurses, r.staffing_factor));
            let dated = r.schedules.iter().flat_map(|sc| {
                let factor = r.staffing_factor * sc.staffing_factor;
                sc.shifts.iter().flatten().map(move |sh| scenario::staffed(sh.nurses, factor))
            });
            regular.chain(dated)
        })
        .max()
        .unwrap_or(0)
}

/// What `check` says about the dated parts of a scenario (empty without any).
fn dated_summary(s: &Scenario) -> String {
    let schedules: usize = s.regions.iter().map(|r| r.schedules.len()).sum();
    let with: Vec<&str> = s
        .regions
        .iter()
        .filter(|r| !r.schedules.is_empty())
        .map(|r| r.name.as_str())
        .collect();
    let mut parts = vec![];
    if schedules > 0 {
        parts.push(format!("{schedules} dated schedule{} ({})", plural(schedules), with.join(", ")));
    }
    let dated: Vec<String> = s
        .agreements
        .iter()
        .filter(|a| a.from.is_some() || a.to.is_some())
        .map(|a| {
            let day = |d: Option<jiff::civil::Date>| d.map_or("…".to_string(), |d| d.to_string());
            format!("{} {} to {}", a.name, day(a.from), day(a.to))
        })
        .collect();
    if !dated.is_empty() {
        parts.push(format!("dated agreement{}: {}", plural(dated.len()), dated.join(", ")));
    }
    let crisis: Vec<&str> = s
        .agreements
        .iter()
        .filter(|a| a.crisis.is_some())
        .map(|a| a.name.as_str())
        .collect();
    if !crisis.is_empty() {
        parts.push(format!("crisis routing: {}", crisis.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join("; "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
