//! Scenario files: the TOML schema of design §2, loading, `--set` overrides and
//! validation that reports every problem at once with its line and column.

pub mod diagnostic;
pub mod files;
pub mod keys;
mod read;
pub(crate) use read::clean_name;
pub mod tree;
pub mod warnings;

use crate::calendar::{Time, Window};
use crate::dist::Dist;
pub use diagnostic::{Problem, Problems, Source, Span};

/// A validated scenario, ready to compile into a model.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub start: jiff::civil::Date,
    pub horizon: Time,
    pub warmup: Time,
    pub replications: u32,
    pub seed: u64,
    pub regions: Vec<Region>,
    pub agreements: Vec<Agreement>,
    pub targets: Vec<Target>,
    /// Dates treated as Sundays (shapes, shifts and agreement hours).
    pub holidays: Vec<jiff::civil::Date>,
    /// Dated volume factors (e.g. a Covid wave).
    pub surges: Vec<Surge>,
    /// Price of one call answered on another region's behalf, for the settlement.
    pub price_per_call: Option<f64>,
    /// The scenario file as written (for reports).
    pub source: String,
    /// `[sweep] vary`: grid definitions (`KEY=V1,V2,…`) used when `sweep` gets no `--vary`.
    pub sweep: Vec<String>,
    /// Warnings (valid, but probably not what was meant), each rendered with
    /// its place in the file as `check` and `run` print them on standard error.
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Surge {
    /// Inclusive first and last date.
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    pub factor: f64,
    /// Regions affected (indices); empty = all.
    pub regions: Vec<usize>,
}

/// Callers who hung up or were blocked call again.
#[derive(Clone, Debug, PartialEq)]
pub struct Redial {
    pub probability: f64,
    pub delay: Dist,
    /// Attempts per caller at most, the first included.
    pub max_attempts: u32,
}

/// "Call later" messages: calls are blocked when the queue or the estimated wait is too long.
#[derive(Clone, Debug, PartialEq)]
pub struct Overload {
    pub max_queue: Option<u32>,
    pub max_wait: Option<Time>,
}

/// A dated staffing change: between the dates (inclusive, by the day a shift
/// starts) these shifts replace the region's regular ones.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// `None`: the region's regular staffing (shifts or rotation), scaled by
    /// `staffing_factor` (a summer with 30 % fewer nurses needs no shift list).
    pub shifts: Option<Vec<Shift>>,
    /// Multiplies the nurses of every shift between the dates (see [`staffed`]).
    pub staffing_factor: f64,
}

/// A rotation of N weeks (a 6-week cycle): week `k` of the cycle holds the
/// shifts of the days in the k-th week counted from `start` (a Monday),
/// repeating every N weeks before and after it.
#[derive(Clone, Debug)]
pub struct Rotation {
    pub start: jiff::civil::Date,
    pub weeks: Vec<Vec<Shift>>,
}

/// From the first day of arrival `from` on (until the next change), the
/// region's calls take this handle time.
#[derive(Clone, Debug)]
pub struct HandleChange {
    pub from: jiff::civil::Date,
    pub handle_time: Dist,
}

/// Nurses on a shift of `nurses` under a staffing factor: rounded to the
/// nearest whole nurse, halves up (2 × 0.75 = 1.5 → 2). A shift is staffed by
/// people, so each shift is rounded on its own: every shift stays within half
/// a nurse of the plan, and a factor of 1 changes nothing.
pub fn staffed(nurses: u32, factor: f64) -> u32 {
    if factor == 1.0 {
        return nurses;
    }
    // The tolerance keeps a written half a half (10 × 0.5 × 0.7 is 3.4999… in binary).
    (nurses as f64 * factor + 0.5 + 1e-9).floor().clamp(0.0, u32::MAX as f64) as u32
}

#[derive(Clone, Debug)]
pub struct Region {
    pub name: String,
    /// Expected calls per hour for each hour of the week, Monday 00:00–01:00 first.
    pub calls_per_hour: Vec<f64>,
    /// Expected calls per interval of the week, Monday 00:00 first:
    /// `168 × intervals_per_hour` values (the hours themselves unless read from
    /// a half- or quarter-hourly `calls_file`). The arrival rate is constant
    /// within each interval.
    pub calls_per_interval: Vec<f64>,
    /// Intervals per hour of `calls_per_interval`: 1, 2 or 4.
    pub intervals_per_hour: usize,
    pub handle_time: Dist,
    /// Dated changes of handle time, by date (`handle_time_changes`).
    pub handle_changes: Vec<HandleChange>,
    /// Extra handle time when a nurse of another region answers this region's call.
    pub partner_extra_handle: Time,
    pub patience: Dist,
    pub shifts: Vec<Shift>,
    /// A rotation of N weeks, in place of `shifts` (which is then empty).
    pub rotation: Option<Rotation>,
    /// Multiplies the nurses of the regular shifts, rotation and schedules.
    pub staffing_factor: f64,
    pub schedules: Vec<Schedule>,
    /// Calls per interval from history, dated (`calls_history`); `None`: the weekly rates.
    pub history: Option<files::History>,
    pub redial: Option<Redial>,
    pub overload: Option<Overload>,
    /// Share of logged-on nurse time spent off the phones (breaks, training, other duties).
    pub shrinkage: f64,
    /// Mean length of one off-phone period.
    pub shrinkage_block: Time,
    /// Coefficient of variation of a random day-to-day volume factor (gamma, mean 1).
    pub daily_variation: f64,
    /// Whether this region's calls answered by other regions are settled
    /// (`settled = false`: e.g. the national queue, whose calls nobody pays for).
    pub settled: bool,
    /// Money per scheduled nurse hour (the region's, else `[defaults]`'s).
    pub cost_per_nurse_hour: Option<f64>,
    /// Shifts (without nurses) that `staff` may add to this region.
    pub shift_patterns: Vec<Window>,
}

#[derive(Clone, Debug)]
pub struct Shift {
    pub window: Window,
    pub nurses: u32,
    /// Probability that a scheduled nurse does not come (drawn per shift and day).
    pub absence: f64,
}

#[derive(Clone, Debug)]
pub struct Agreement {
    pub name: String,
    /// Indices into `Scenario::regions`.
    pub members: Vec<usize>,
    pub hours: Hours,
    /// `None` = never (the agreement makes no call eligible).
    pub overflow_after: Option<Time>,
    pub nurse_order: NurseOrder,
    /// First and last day (inclusive) on which the agreement is in force; `None`: open.
    pub from: Option<jiff::civil::Date>,
    pub to: Option<jiff::civil::Date>,
    /// Crisis routing: the agreement is active only while a member's queue is long.
    pub crisis: Option<Crisis>,
    /// Whether calls answered through this agreement are settled (default true).
    pub settled: bool,
}

/// Crisis routing (report 000: "Vid kris kan samtal styras över nationellt"):
/// the agreement switches on when any member region's queue reaches a trigger
/// and off again once every member's queue is below the (lower) release levels.
#[derive(Clone, Debug, PartialEq)]
pub struct Crisis {
    /// On when a member has at least this many calls waiting.
    pub waiting_at_least: Option<u32>,
    /// Off only when every member has fewer calls waiting than this.
    pub release_below: u32,
    /// On when a member's longest-waiting call has waited this long.
    pub longest_wait_over: Option<Time>,
    /// Off only when every member's longest wait is shorter than this.
    pub release_below_wait: Time,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Hours {
    Always,
    Windows(Vec<Window>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NurseOrder {
    /// Own region's longest-waiting call first, then other regions' eligible calls.
    OwnFirst,
    /// The longest-waiting eligible call, whoever's.
    OldestFirst,
}

#[derive(Clone, Debug)]
pub struct Target {
    /// The share of periods in which the target must be met (`met_in = 0.9`:
    /// met in 90 % of months); without it the target is judged on its estimate.
    pub met_in: Option<f64>,
    pub metric: TargetMetric,
    pub within: Option<Time>,
    pub bound: Bound,
    pub region: Option<usize>,
    pub per: Period,
    /// The text the user wrote for `within`, used in metric names (`answered_within_5m`).
    pub within_text: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetMetric {
    AnsweredShare,
    /// Answered within `within`, over offered calls.
    AnsweredWithin,
    /// Answered within `within`, over answered calls (`of = "answered"`).
    AnsweredWithinOfAnswered,
    MeanWait,
    AbandonedShare,
    /// A percentile of the wait of answered calls (`wait_p75`: 75).
    WaitPercentile(u8),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    AtLeast(f64),
    AtMost(f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Horizon,
    Month,
    Week,
    Day,
}

/// A scenario that failed to load: every problem, with the sources needed to
/// show them. Displays as `check` prints it (`file:line:column`, the line, a
/// caret, a hint, for each problem).
#[derive(Debug, thiserror::Error)]
#[error("{}", problems.render(sources))]
pub struct Invalid {
    pub problems: Problems,
    pub sources: Vec<Source>,
}

/// Loads and validates a scenario from text; `overrides` are `--set` flags.
pub fn load_str(file_name: &str, text: &str, overrides: &[String]) -> Result<Scenario, Invalid> {
    let mut sources = vec![Source {
        name: file_name.to_string(),
        text: text.to_string(),
    }];
    let mut problems = Problems::default();
    let root = tree::parse(0, text, &mut problems);
    let scenario = root.and_then(|mut root| {
        for flag in overrides {
            sources.push(Source {
                name: format!("--set {flag}"),
                text: flag.clone(),
            });
            tree::apply_override(&mut root, sources.len() - 1, flag, &mut problems);
        }
        // Files named in the scenario (`calls_file`) are found beside it.
        let base = std::path::Path::new(file_name).parent().unwrap_or(std::path::Path::new(""));
        let s = read::scenario(&root, default_name(file_name), base, &mut problems)?;
        let warnings = if problems.is_empty() {
            warnings::find(&s, &root).render_warnings(&sources)
        } else {
            vec![]
        };
        Some(Scenario { warnings, ..s })
    });
    let scenario = scenario.map(|s| Scenario {
        source: text.to_string(),
        ..s
    });
    match scenario {
        Some(s) if problems.is_empty() => Ok(s),
        _ => Err(Invalid { problems, sources }),
    }
}

/// Loads and validates a scenario file.
pub fn load_file(path: &std::path::Path, overrides: &[String]) -> Result<Scenario, Invalid> {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => load_str(&name, &text, overrides),
            Err(e) => Err(not_utf8(name, e)),
        },
        Err(e) => {
            let mut problems = Problems::default();
            problems
                .general(format!("cannot read scenario `{name}`: {e}"))
                .hint("check the path; scenarios/ holds examples");
            Err(Invalid { problems, sources: vec![] })
        }
    }
}

/// A file that is not UTF-8: the place of the first bad byte.
fn not_utf8(name: String, e: std::string::FromUtf8Error) -> Invalid {
    let at = e.utf8_error().valid_up_to();
    let bytes = e.into_bytes();
    let bad = bytes[at];
    // Show the text up to the end of the offending line, the bad bytes as U+FFFD.
    let line_end = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| at + i);
    let text = String::from_utf8_lossy(&bytes[..line_end]).into_owned();
    let mut problems = Problems::default();
    problems
        .at(
            Span {
                source: 0,
                start: at,
                end: at + 1,
            },
            format!("the file is not UTF-8: byte 0x{bad:02X} cannot start or continue a character"),
        )
        .hint("save the scenario as UTF-8 (an old editor may have written Latin-1 or Windows-1252); TOML files are always UTF-8");
    Invalid {
        problems,
        sources: vec![Source { name, text }],
    }
}

fn default_name(file_name: &str) -> String {
    std::path::Path::new(file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| file_name.to_string())
}

impl Scenario {
    /// The region of this name (compared in Unicode NFC, as names are read).
    pub fn region_index(&self, name: &str) -> Option<usize> {
        let name = read::clean_name(name);
        self.regions.iter().position(|r| r.name == name)
    }

    /// The service-level threshold shown by hour and in charts: the first
    /// `answered_within` target's, or 5 minutes.
    pub fn chart_within(&self) -> (String, Time) {
        self.targets
            .iter()
            .find_map(|t| t.within.zip(t.within_text.clone()).map(|(w, l)| (l, w)))
            .unwrap_or(("5m".into(), 5 * crate::calendar::MINUTE))
    }

    /// Thresholds for `answered_within_<T>`: always 5 and 10 minutes, plus every target's.
    pub fn within_thresholds(&self) -> Vec<(Time, String)> {
        let mut list = vec![
            (5 * crate::calendar::MINUTE, "5m".to_string()),
            (10 * crate::calendar::MINUTE, "10m".to_string()),
        ];
        for t in &self.targets {
            if let (Some(w), Some(text)) = (t.within, &t.within_text) {
                if !list.iter().any(|(v, _)| *v == w) {
                    list.push((w, text.clone()));
                }
            }
        }
        list
    }
}

#[cfg(test)]
mod tests;
