//! The metric catalogue: one table defines every metric reported for a region,
//! an agreement and the total — its key, label, unit, decimals, where it is
//! shown, and how it is computed from one replication's counts. Every output
//! (text tables, JSON, CSV, charts, HTML) takes its metrics from here, so adding
//! a metric is one line in [`CATALOGUE`].

use super::tally::{NurseTime, RegionCalls, Tally};
use crate::calendar::{HOUR, MINUTE};

/// What a metric measures, which decides its scale and how it is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Calls per replication (a count).
    Calls,
    /// A fraction between 0 and 1 (shown ×100 as a percentage).
    Share,
    /// Minutes.
    Minutes,
    /// Hours.
    Hours,
}

impl Unit {
    /// The factor a value is multiplied by for display (100 for shares).
    pub fn scale(self) -> f64 {
        match self {
            Unit::Share => 100.0,
            _ => 1.0,
        }
    }

    /// Whether the metric is a share (a ratio of counts) rather than an amount.
    pub fn is_share(self) -> bool {
        self == Unit::Share
    }
}

/// Where a metric appears besides JSON and CSV, which carry every metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// The table printed by `run`.
    RunTable,
    /// The side-by-side table printed by `compare`.
    CompareTable,
    /// The key-figures table of `report.html`.
    Html,
    /// The table of points printed by `sweep`.
    Sweep,
    /// The bar charts of `compare`, one per metric.
    CompareChart,
}

const RUN: u8 = 1;
const CMP: u8 = 2;
const HTML: u8 = 4;
const SWEEP: u8 = 8;
const CMP_CHART: u8 = 16;

impl View {
    fn bit(self) -> u8 {
        match self {
            View::RunTable => RUN,
            View::CompareTable => CMP,
            View::Html => HTML,
            View::Sweep => SWEEP,
            View::CompareChart => CMP_CHART,
        }
    }
}

/// The counts of a group of regions in one replication, from which every
/// metric is computed.
pub struct GroupCounts {
    /// The group's calls (summed over its regions).
    pub calls: RegionCalls,
    /// The group's nurses' time (summed over its regions).
    pub nurses: NurseTime,
    /// Calls of regions outside the group answered by the group's nurses.
    pub for_others: u64,
    /// Calls of the group answered by nurses outside it.
    pub by_others: u64,
}

/// How a metric is computed: one value, or one value per service-level
/// threshold (`answered_within_<T>`). `NaN` marks an empty denominator.
#[derive(Clone, Copy)]
pub enum Compute {
    /// One value per group.
    One(fn(&GroupCounts) -> f64),
    /// One value per threshold, given the threshold's index.
    PerThreshold(fn(&GroupCounts, usize) -> f64),
}

/// One line of the catalogue.
#[derive(Clone, Copy)]
pub struct MetricDef {
    /// The key in JSON and CSV; `{T}` stands for a threshold such as `5m`.
    pub key: &'static str,
    /// The column header in text and HTML tables; `{T}` as in `key`.
    pub label: &'static str,
    /// What it is, in words: chart titles; `{T}` as in `key`.
    pub title: &'static str,
    /// The unit, which gives the scale.
    pub unit: Unit,
    /// Decimals shown in tables (after scaling).
    pub decimals: usize,
    /// Views that show it (for per-threshold metrics, see `thresholds_shown`).
    views: u8,
    /// For per-threshold metrics: the thresholds shown in the views, with their views.
    thresholds_shown: &'static [(&'static str, u8)],
    /// How it is computed.
    pub compute: Compute,
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        f64::NAN
    }
}

const fn one(
    key: &'static str,
    label: &'static str,
    title: &'static str,
    unit: Unit,
    decimals: usize,
    views: u8,
    f: fn(&GroupCounts) -> f64,
) -> MetricDef {
    MetricDef {
        key,
        label,
        title,
        unit,
        decimals,
        views,
        thresholds_shown: &[],
        compute: Compute::One(f),
    }
}

/// Every metric, in the order of JSON objects' construction and CSV columns.
/// Per-threshold lines that follow each other are expanded threshold by
/// threshold (`answered_within_5m`, `answered_within_5m_of_answered`,
/// `answered_within_10m`, …).
pub static CATALOGUE: &[MetricDef] = &[
    one("offered", "offered", "Calls offered (attempts)", Unit::Calls, 0, RUN | HTML, |g| {
        g.calls.offered as f64
    }),
    one("unique_callers", "callers", "Distinct callers", Unit::Calls, 0, 0, |g| {
        g.calls.unique_callers as f64
    }),
    one("answered", "answered", "Calls answered", Unit::Calls, 0, 0, |g| {
        g.calls.answered as f64
    }),
    one("abandoned", "abandoned", "Calls abandoned", Unit::Calls, 0, 0, |g| {
        g.calls.abandoned as f64
    }),
    one("blocked", "blocked", "Calls blocked", Unit::Calls, 0, 0, |g| g.calls.blocked as f64),
    one(
        "still_waiting",
        "still waiting",
        "Calls still waiting at the horizon",
        Unit::Calls,
        0,
        0,
        |g| g.calls.still_waiting as f64,
    ),
    one(
        "answered_share",
        "answered %",
        "Share of calls answered",
        Unit::Share,
        1,
        RUN | CMP | HTML | SWEEP | CMP_CHART,
        |g| ratio(g.calls.answered as f64, g.calls.offered as f64),
    ),
    one(
        "abandoned_share",
        "abandoned %",
        "Share of calls abandoned",
        Unit::Share,
        1,
        RUN | CMP | HTML | SWEEP,
        |g| ratio(g.calls.abandoned as f64, g.calls.offered as f64),
    ),
    one("blocked_share", "blocked %", "Share of calls blocked", Unit::Share, 1, 0, |g| {
        ratio(g.calls.blocked as f64, g.calls.offered as f64)
    }),
    one(
        "callers_answered_share",
        "callers answered %",
        "Share of callers answered at some attempt",
        Unit::Share,
        1,
        0,
        |g| ratio(g.calls.callers_answered as f64, g.calls.unique_callers as f64),
    ),
    MetricDef {
        key: "answered_within_{T}",
        label: "≤{T} %",
        title: "Share of calls answered within {T}",
        unit: Unit::Share,
        decimals: 1,
        views: 0,
        thresholds_shown: &[("5m", RUN | CMP | HTML | SWEEP | CMP_CHART), ("10m", RUN | HTML)],
        compute: Compute::PerThreshold(|g, t| ratio(g.calls.within[t] as f64, g.calls.offered as f64)),
    },
    MetricDef {
        key: "answered_within_{T}_of_answered",
        label: "≤{T} % of answered",
        title: "Share of answered calls answered within {T}",
        unit: Unit::Share,
        decimals: 1,
        views: 0,
        thresholds_shown: &[],
        compute: Compute::PerThreshold(|g, t| ratio(g.calls.within[t] as f64, g.calls.answered as f64)),
    },
    one(
        "mean_wait_answered",
        "mean wait",
        "Mean wait of answered calls (minutes)",
        Unit::Minutes,
        2,
        RUN | CMP | HTML | SWEEP | CMP_CHART,
        |g| ratio(g.calls.wait_answered_ms, g.calls.answered as f64) / MINUTE as f64,
    ),
    one(
        "mean_wait_all",
        "mean wait all",
        "Mean wait of answered and abandoned calls (minutes)",
        Unit::Minutes,
        2,
        0,
        |g| {
            ratio(
                g.calls.wait_answered_ms + g.calls.wait_abandoned_ms,
                (g.calls.answered + g.calls.abandoned) as f64,
            ) / MINUTE as f64
        },
    ),
    one(
        "wait_p50",
        "p50 wait",
        "Median wait of answered calls (minutes)",
        Unit::Minutes,
        1,
        0,
        |g| g.calls.waits.quantile(0.50),
    ),
    one(
        "wait_p75",
        "p75 wait",
        "75th percentile of the wait of answered calls (minutes)",
        Unit::Minutes,
        1,
        0,
        |g| g.calls.waits.quantile(0.75),
    ),
    one(
        "wait_p90",
        "p90 wait",
        "90th percentile of the wait of answered calls (minutes)",
        Unit::Minutes,
        1,
        RUN | CMP | HTML,
        |g| g.calls.waits.quantile(0.90),
    ),
    one(
        "wait_p95",
        "p95 wait",
        "95th percentile of the wait of answered calls (minutes)",
        Unit::Minutes,
        1,
        0,
        |g| g.calls.waits.quantile(0.95),
    ),
    one(
        "occupancy",
        "occupancy %",
        "Nurse occupancy",
        Unit::Share,
        1,
        RUN | CMP | HTML | SWEEP,
        |g| ratio(g.nurses.busy_ms, g.nurses.logged_on_ms - g.nurses.off_phone_ms),
    ),
    one("nurse_hours", "nurse h", "Nurse hours logged on", Unit::Hours, 1, 0, |g| {
        g.nurses.logged_on_ms / HOUR as f64
    }),
    one(
        "shrinkage",
        "shrinkage %",
        "Share of logged-on time off the phones",
        Unit::Share,
        1,
        0,
        |g| ratio(g.nurses.off_phone_ms, g.nurses.logged_on_ms),
    ),
    one("overtime_hours", "overtime h", "Overtime hours", Unit::Hours, 1, RUN, |g| {
        g.nurses.overtime_ms / HOUR as f64
    }),
    one(
        "answered_for_others",
        "for others",
        "Calls of other regions answered",
        Unit::Calls,
        0,
        0,
        |g| g.for_others as f64,
    ),
    one(
        "answered_by_others",
        "by others",
        "Calls answered by other regions",
        Unit::Calls,
        0,
        0,
        |g| g.by_others as f64,
    ),
    one(
        "net_answered_for_others",
        "net for others",
        "Net calls answered for others",
        Unit::Calls,
        0,
        CMP | HTML,
        |g| g.for_others as f64 - g.by_others as f64,
    ),
    one(
        "calls_over_capacity",
        "over capacity",
        "Calls refused at the queue's hard limit",
        Unit::Calls,
        0,
        0,
        |g| g.calls.over_capacity as f64,
    ),
];

/// One reported metric of a scenario: a catalogue line, for per-threshold
/// lines with one of the scenario's thresholds.
#[derive(Clone)]
pub struct Metric {
    /// The catalogue line.
    pub def: &'static MetricDef,
    /// The threshold's index and label (`5m`) for per-threshold metrics.
    pub threshold: Option<(usize, String)>,
    /// The key (`answered_within_5m`).
    pub key: String,
    /// The column header (`≤5m %`).
    pub label: String,
    /// What it is, in words (`Share of calls answered within 5m`).
    pub title: String,
}

impl std::fmt::Debug for Metric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key)
    }
}

impl Metric {
    /// Whether a view shows this metric.
    pub fn shown_in(&self, view: View) -> bool {
        match &self.threshold {
            None => self.def.views & view.bit() != 0,
            Some((_, label)) => self
                .def
                .thresholds_shown
                .iter()
                .any(|(t, views)| t == label && views & view.bit() != 0),
        }
    }

    /// The value of this metric for a group's counts.
    pub fn compute(&self, g: &GroupCounts) -> f64 {
        match (self.def.compute, &self.threshold) {
            (Compute::One(f), _) => f(g),
            (Compute::PerThreshold(f), Some((t, _))) => f(g, *t),
            (Compute::PerThreshold(_), None) => f64::NAN,
        }
    }
}

/// The metrics reported for a scenario with these `answered_within` thresholds,
/// in catalogue order.
pub fn metric_set(within_labels: &[String]) -> Vec<Metric> {
    let mut out = vec![];
    let mut k = 0;
    while k < CATALOGUE.len() {
        let def = &CATALOGUE[k];
        if let Compute::One(_) = def.compute {
            out.push(Metric {
                def,
                threshold: None,
                key: def.key.to_string(),
                label: def.label.to_string(),
                title: def.title.to_string(),
            });
            k += 1;
            continue;
        }
        // A block of per-threshold lines, expanded threshold by threshold.
        let end = (k..CATALOGUE.len())
            .find(|&i| matches!(CATALOGUE[i].compute, Compute::One(_)))
            .unwrap_or(CATALOGUE.len());
        for (t, label) in within_labels.iter().enumerate() {
            for def in &CATALOGUE[k..end] {
                out.push(Metric {
                    def,
                    threshold: Some((t, label.clone())),
                    key: def.key.replace("{T}", label),
                    label: def.label.replace("{T}", label),
                    title: def.title.replace("{T}", &in_words(label)),
                });
            }
        }
        k = end;
    }
    out
}

/// The metric a key names (`answered_share`, `answered_within_9m`,
/// `answered_within_9m_of_answered`, …), whatever the scenario's thresholds.
pub fn metric_by_key(key: &str) -> Option<Metric> {
    let threshold = key
        .strip_prefix("answered_within_")
        .map(|rest| rest.trim_end_matches("_of_answered").to_string());
    metric_set(&threshold.into_iter().collect::<Vec<_>>())
        .into_iter()
        .find(|m| m.key == key)
}

/// A threshold in a title: `5m` reads `5 minutes`; other forms stay as written.
fn in_words(label: &str) -> String {
    match label.strip_suffix('m').and_then(|n| n.parse::<u32>().ok()) {
        Some(1) => "1 minute".into(),
        Some(n) => format!("{n} minutes"),
        None => label.to_string(),
    }
}

/// Keys of the metrics reported for every region, agreement and the total,
/// in catalogue order (`answered_within_<T>` follow the scenario's thresholds).
pub fn metric_names(within_labels: &[String]) -> Vec<String> {
    metric_set(within_labels).into_iter().map(|m| m.key).collect()
}

/// The counts of a group of regions in one replication: calls of these
/// regions, and nurses of these regions.
pub fn group_counts(tally: &Tally, group: &[usize]) -> GroupCounts {
    let n = tally.nurses.len();
    let thresholds = tally.calls[0].within.len();
    let mut sum = RegionCalls {
        by_hour: vec![],
        ..RegionCalls::new(thresholds)
    };
    for &r in group {
        let c = &tally.calls[r];
        sum.offered += c.offered;
        sum.unique_callers += c.unique_callers;
        sum.callers_answered += c.callers_answered;
        sum.answered += c.answered;
        sum.abandoned += c.abandoned;
        sum.blocked += c.blocked;
        sum.over_capacity += c.over_capacity;
        sum.still_waiting += c.still_waiting;
        sum.wait_answered_ms += c.wait_answered_ms;
        sum.wait_abandoned_ms += c.wait_abandoned_ms;
        sum.within.iter_mut().zip(&c.within).for_each(|(a, b)| *a += b);
        sum.waits.merge(&c.waits);
    }
    let nurses = group.iter().fold(NurseTime::default(), |acc, &r| NurseTime {
        logged_on_ms: acc.logged_on_ms + tally.nurses[r].logged_on_ms,
        off_phone_ms: acc.off_phone_ms + tally.nurses[r].off_phone_ms,
        busy_ms: acc.busy_ms + tally.nurses[r].busy_ms,
        overtime_ms: acc.overtime_ms + tally.nurses[r].overtime_ms,
    });
    let inside = |r: usize| group.contains(&r);
    let (mut for_others, mut by_others) = (0u64, 0u64);
    for r in 0..n {
        for j in 0..n {
            let f = tally.flows[r * n + j];
            if inside(j) && !inside(r) {
                for_others += f;
            }
            if inside(r) && !inside(j) {
                by_others += f;
            }
        }
    }
    GroupCounts {
        calls: sum,
        nurses,
        for_others,
        by_others,
    }
}

/// Metric values of a group of regions in one replication, in the order of
/// [`metric_set`] for the tally's thresholds. `NaN` marks a value with an
/// empty denominator.
pub fn group_values(tally: &Tally, group: &[usize], metrics: &[Metric]) -> Vec<f64> {
    let counts = group_counts(tally, group);
    metrics.iter().map(|m| m.compute(&counts)).collect()
}

/// [`group_values`] for every metric of the catalogue (thresholds by position).
pub fn group_metrics(tally: &Tally, group: &[usize]) -> Vec<f64> {
    let labels: Vec<String> = (0..tally.calls.first().map_or(0, |c| c.within.len()))
        .map(|t| t.to_string())
        .collect();
    group_values(tally, group, &metric_set(&labels))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_distinct_key_and_the_documented_order() {
        let labels = vec!["5m".to_string(), "10m".to_string(), "7m".to_string()];
        let names = metric_names(&labels);
        let expected = "offered unique_callers answered abandoned blocked still_waiting answered_share abandoned_share \
            blocked_share callers_answered_share answered_within_5m answered_within_5m_of_answered answered_within_10m \
            answered_within_10m_of_answered answered_within_7m answered_within_7m_of_answered mean_wait_answered \
            mean_wait_all wait_p50 wait_p75 wait_p90 wait_p95 occupancy nurse_hours shrinkage overtime_hours \
            answered_for_others answered_by_others net_answered_for_others calls_over_capacity";
        assert_eq!(names.join(" "), expected);
        let tally = Tally::new(2, labels.len(), 1, &[]);
        let set = metric_set(&labels);
        assert_eq!(group_values(&tally, &[0, 1], &set).len(), names.len());
    }

    #[test]
    fn views_pick_their_columns() {
        let set = metric_set(&["5m".to_string(), "10m".to_string()]);
        let shown = |v: View| {
            set.iter()
                .filter(|m| m.shown_in(v))
                .map(|m| m.key.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            shown(View::RunTable),
            "offered answered_share abandoned_share answered_within_5m answered_within_10m mean_wait_answered wait_p90 occupancy overtime_hours"
        );
        assert_eq!(
            shown(View::CompareTable),
            "answered_share abandoned_share answered_within_5m mean_wait_answered wait_p90 occupancy net_answered_for_others"
        );
        assert_eq!(shown(View::CompareChart), "answered_share answered_within_5m mean_wait_answered");
        assert_eq!(
            shown(View::Sweep),
            "answered_share abandoned_share answered_within_5m mean_wait_answered occupancy"
        );
    }
}
