//! The typed results of an experiment: a [`Summary`] per scenario (groups,
//! flows, targets, settlement) with its [`RunInfo`] kept apart, and a
//! [`Comparison`] of several. Their `Serialize` implementations write the JSON
//! of design §4 (keys in alphabetical order, as the published files have
//! always had); every other output is produced from the same structs.

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::scenario::{Bound, Period};
use crate::stats::{Estimate, HourCell, Metric};

/// How often a target is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// Once, over the whole measured window.
    Horizon,
    /// Per calendar month.
    Month,
    /// Per week, Monday to Sunday.
    Week,
    /// Per calendar day.
    Day,
}

impl Per {
    /// The name used in JSON, CSV and text (`month`).
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Horizon => "horizon",
            Per::Month => "month",
            Per::Week => "week",
            Per::Day => "day",
        }
    }
}

impl From<Period> for Per {
    fn from(p: Period) -> Per {
        match p {
            Period::Horizon => Per::Horizon,
            Period::Month => Per::Month,
            Period::Week => Per::Week,
            Period::Day => Per::Day,
        }
    }
}

impl std::fmt::Display for Per {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Per {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// A target's bound, written `{"at_least": 0.75}` or `{"at_most": 5.0}`.
mod bound_serde {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Limit {
        AtLeast(f64),
        AtMost(f64),
    }

    pub fn serialize<S: Serializer>(b: &Bound, s: S) -> Result<S::Ok, S::Error> {
        match *b {
            Bound::AtLeast(x) => Limit::AtLeast(x),
            Bound::AtMost(x) => Limit::AtMost(x),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Bound, D::Error> {
        Ok(match Limit::deserialize(d)? {
            Limit::AtLeast(x) => Bound::AtLeast(x),
            Limit::AtMost(x) => Bound::AtMost(x),
        })
    }
}

/// A region name, or `"all"` for a target on all regions.
mod region_or_all {
    use super::*;

    pub fn serialize<S: Serializer>(r: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(r.as_deref().unwrap_or("all"))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let s = String::deserialize(d)?;
        Ok((s != "all").then_some(s))
    }
}

/// One target's verdict. (Fields in the order of its JSON object.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetResult {
    /// The bound the estimate must meet.
    #[serde(with = "bound_serde")]
    pub bound: Bound,
    /// The metric over the judged periods, per replication.
    pub estimate: Estimate,
    /// Whether the estimate meets the bound (`None`: undefined, no calls).
    pub met: Option<bool>,
    /// The share of periods in which the target must be met; `met` then
    /// judges the share of periods met instead of the estimate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub met_in: Option<f64>,
    /// The level the target reaches in the share of periods it must be met
    /// in (`met_in`, else 90 %): "90 % of months reach 62 % within 5 minutes".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reached: Option<Reached>,
    /// The metric's key: `answered_share`, `answered_within_5m`, `mean_wait`, `abandoned_share`.
    pub metric: String,
    /// How often the target is judged.
    pub per: Per,
    /// Periods judged, over all replications.
    pub periods_judged: u64,
    /// The region the target is on; `None` for all regions.
    #[serde(with = "region_or_all")]
    pub region: Option<String>,
    /// Share of periods (over all replications) in which the target was met.
    pub share_of_periods_met: Option<f64>,
    /// The same as a mean over replications with a confidence interval.
    pub share_of_periods_met_by_replication: Estimate,
}

/// A level a target's metric reaches in a share of its periods.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reached {
    /// The share of periods.
    pub share: f64,
    /// The level (a share, or minutes for `mean_wait`).
    pub level: f64,
}

impl TargetResult {
    /// Whether the target's values are minutes (`mean_wait`, `wait_p75`) rather than shares.
    pub fn in_minutes(&self) -> bool {
        self.metric == "mean_wait" || self.metric.starts_with("wait_p")
    }
}

/// A settlement period: a calendar month of arrival, or the whole horizon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettlementPeriod {
    /// `YYYY-MM`.
    Month(String),
    /// The whole measured window.
    Horizon,
}

impl SettlementPeriod {
    /// `2024-03`, or `horizon`.
    pub fn as_str(&self) -> &str {
        match self {
            SettlementPeriod::Month(m) => m,
            SettlementPeriod::Horizon => "horizon",
        }
    }

    /// Whether this is the whole horizon.
    pub fn is_horizon(&self) -> bool {
        *self == SettlementPeriod::Horizon
    }
}

impl std::fmt::Display for SettlementPeriod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for SettlementPeriod {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for SettlementPeriod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SettlementPeriod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(if s == "horizon" {
            SettlementPeriod::Horizon
        } else {
            SettlementPeriod::Month(s)
        })
    }
}

/// One row of the settlement: a region in one period. (Fields in the order of its JSON object.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettlementRow {
    /// This region's calls answered by other regions' nurses, per replication.
    pub answered_by_others: Estimate,
    /// Other regions' calls answered by this region's nurses, per replication.
    pub answered_for_others: Estimate,
    /// The net times the scenario's `price_per_call`, when priced.
    pub net_amount: Option<f64>,
    /// `answered_for_others − answered_by_others`.
    #[serde(rename = "net_answered_for_others")]
    pub net: Estimate,
    /// The month, or the horizon.
    pub period: SettlementPeriod,
    /// The region.
    pub region: String,
}

/// One row of the bilateral settlement (who owes whom): the calls of one
/// region answered by another's nurses in one period. (Fields in the order of
/// its JSON object.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BilateralRow {
    /// The settled calls times the scenario's `price_per_call`, when priced
    /// (none for calls the settlement rules exclude).
    pub amount: Option<f64>,
    /// Calls of `calls_of` answered by nurses of `answered_by`, per replication.
    pub answered: Estimate,
    /// The region whose nurses answered (is owed, when settled).
    pub answered_by: String,
    /// The region whose calls were answered (owes, when settled).
    pub calls_of: String,
    /// The month, or the horizon.
    pub period: SettlementPeriod,
    /// Whether these calls count in the settlement (`settled = false` on the
    /// caller's region or on every agreement the two share: they do not).
    pub settled: bool,
}

/// The figures of a time series row, in order: their keys.
pub const SERIES_METRICS: [&str; 6] = [
    "offered",
    "answered",
    "answered_share",
    "answered_within_5m",
    "mean_wait_answered",
    "abandoned_share",
];

/// One row of `by_week.csv` or `by_month.csv`: a region (or `total`) in one
/// week or month of arrival. Not part of `summary.json`.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodRow {
    /// `2024-W10` or `2024-03`.
    pub period: String,
    /// The first day of the period inside the measured window (`2024-03-04`).
    pub first_day: String,
    /// The last day of the period inside the measured window.
    pub last_day: String,
    /// Days of the period inside the measured window (fewer than 7 or a
    /// month's days at the ends of the window, where the period is clipped).
    pub days: f64,
    /// A region's name, or `total`.
    pub group: String,
    /// The figures of [`SERIES_METRICS`], in that order, per replication
    /// (counts are per replication; shares of offered calls; the wait in minutes).
    pub values: [Estimate; 6],
}

/// How a result was computed, apart from the result itself: it differs
/// between identical runs (wall time, threads), so results compare without it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Calls generated, warmup included, over all replications.
    pub calls_simulated: u64,
    /// Wall-clock time of the run.
    pub wall_seconds: f64,
    /// Worker threads used.
    pub threads: usize,
}

/// A finished experiment: every reported figure as a mean with its 95 % CI.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The scenario's name.
    pub scenario: String,
    /// The seed of replication 0.
    pub seed: u64,
    /// Replications run.
    pub replications: u32,
    /// The metrics of every group, in catalogue order (values below are in this order).
    pub metrics: Vec<Metric>,
    /// Their keys.
    pub metric_names: Vec<String>,
    /// Region names, in scenario order.
    pub region_names: Vec<String>,
    /// Agreement names, in scenario order.
    pub agreement_names: Vec<String>,
    /// Per region, each metric of `metrics`.
    pub regions: Vec<Vec<Estimate>>,
    /// Per agreement (its members' calls and nurses), each metric.
    pub agreements: Vec<Vec<Estimate>>,
    /// All regions, each metric.
    pub total: Vec<Estimate>,
    /// `flows[r * n + j]`: calls of region r answered by nurses of region j, per replication.
    pub flows: Vec<Estimate>,
    /// Sums over replications, per region and hour of the week.
    pub by_hour: Vec<HourCell>,
    /// Every target's verdict.
    pub targets: Vec<TargetResult>,
    /// Per month (then the horizon) and region.
    pub settlement: Vec<SettlementRow>,
    /// Per month (then the horizon), each ordered pair of regions that share
    /// an agreement: calls of one answered by the other.
    pub bilateral: Vec<BilateralRow>,
    /// Money per call answered for another region, if priced.
    pub price_per_call: Option<f64>,
    /// Per region, money per nurse hour (`cost_per_nurse_hour`), if priced.
    /// Not in the JSON (a summary read back has none).
    pub cost_per_nurse_hour: Vec<Option<f64>>,
    /// Per region, share of offered calls answered within 0..=60 minutes.
    pub wait_curve: Vec<Vec<f64>>,
    /// Per region and hour of the week: mean nurses on the phones and calls waiting.
    pub staffing: Vec<(f64, f64)>,
    /// Per week of arrival (Monday-based, clipped to the measured window), each
    /// region then the total. Not in the JSON.
    pub by_week: Vec<PeriodRow>,
    /// Per calendar month of arrival, each region then the total. Not in the JSON.
    pub by_month: Vec<PeriodRow>,
    /// The first target threshold, or 5 minutes: the service level the charts show.
    pub chart_within: (String, crate::calendar::Time),
    /// Wall time, threads and calls simulated: not part of the result.
    pub run: RunInfo,
}

impl Summary {
    /// Staffing cost per replication: each region's nurse hours logged on at
    /// its `cost_per_nurse_hour` (regions without one count nothing); `None`
    /// when no region is priced.
    pub fn staffing_cost(&self) -> Option<f64> {
        if self.cost_per_nurse_hour.iter().all(Option::is_none) {
            return None;
        }
        let hours = |name: &str| self.value(name, "nurse_hours").and_then(|e| e.mean).unwrap_or(0.0);
        Some(
            self.region_names
                .iter()
                .zip(&self.cost_per_nurse_hour)
                .map(|(name, price)| price.unwrap_or(0.0) * hours(name))
                .sum(),
        )
    }

    /// The position of a metric in the value vectors, by key.
    pub fn metric(&self, key: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m.key == key)
    }

    /// A region's metric values, by region name.
    pub fn region(&self, name: &str) -> Option<&[Estimate]> {
        self.region_names.iter().position(|r| r == name).map(|i| self.regions[i].as_slice())
    }

    /// A metric of a region (by name) or of the total (`"total"`).
    pub fn value(&self, group: &str, key: &str) -> Option<Estimate> {
        let k = self.metric(key)?;
        if group == "total" {
            return Some(self.total[k]);
        }
        self.region(group).map(|v| v[k])
    }

    /// Things the user must know about a result: regions whose queue hit the
    /// engine's hard limit (the scenario is overloaded without bound).
    pub fn warnings(&self) -> Vec<String> {
        let Some(k) = self.metric("calls_over_capacity") else {
            return vec![];
        };
        self.region_names
            .iter()
            .zip(&self.regions)
            .filter_map(|(name, values)| {
                let over = values[k].mean.filter(|&m| m > 0.0)?;
                Some(format!(
                    "the queue of {name} reached {} waiting calls: calls arrive faster than they can ever be answered and callers never hang up; \
                     {over:.0} further calls per replication were refused and counted as blocked (add staff, patience or overload protection)",
                    crate::engine::MAX_WAITING
                ))
            })
            .collect()
    }

    /// Settled calls of region `from` answered by region `to` over the horizon,
    /// per replication: the flow unless the settlement rules exclude it (a
    /// summary read from JSON of an older version, without the bilateral
    /// settlement, gives the flow).
    pub fn settled_flow(&self, from: usize, to: usize) -> f64 {
        let n = self.region_names.len();
        let flow = self.flows[from * n + to].mean.unwrap_or(0.0);
        let excluded = self.bilateral.iter().any(|b| {
            !b.settled && b.period.is_horizon() && b.calls_of == self.region_names[from] && b.answered_by == self.region_names[to]
        });
        if excluded {
            0.0
        } else {
            flow
        }
    }

    /// The rows of the bilateral settlement with calls (as published).
    pub fn bilateral_list(&self) -> Vec<&BilateralRow> {
        self.bilateral.iter().filter(|b| b.answered.mean.unwrap_or(0.0) > 0.0).collect()
    }

    /// The flows with calls, as `(from, to, answered)`.
    pub fn flow_list(&self) -> Vec<(&str, &str, &Estimate)> {
        let n = self.region_names.len();
        (0..n * n)
            .filter(|&k| self.flows[k].mean.unwrap_or(0.0) > 0.0)
            .map(|k| (self.region_names[k / n].as_str(), self.region_names[k % n].as_str(), &self.flows[k]))
            .collect()
    }

    /// The JSON document of `run --format json` and `summary.json`: the
    /// summary with its `run` block.
    pub fn document(&self) -> SummaryDocument<'_> {
        SummaryDocument {
            summary: self,
            run: Some(&self.run),
        }
    }

    /// The summary as a sweep stores it with each point: no run block, and
    /// the keys of every object in alphabetical order (a target's `reached`
    /// among them), as point files, parts and `sweep.json` have always been
    /// written. Read it back with [`Summary`]'s `Deserialize`.
    pub fn in_key_order(&self) -> KeyOrdered<'_> {
        KeyOrdered(self)
    }

    fn serialize_with_run<S: Serializer>(&self, run: Option<&RunInfo>, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_as(run, TargetOrder::Published, s)
    }

    fn serialize_as<S: Serializer>(&self, run: Option<&RunInfo>, order: TargetOrder, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        fn groups<'a>(names: &'a [String], values: &'a [Vec<Estimate>], metrics: &'a [Metric], label: &'static str) -> Vec<Group<'a>> {
            names
                .iter()
                .zip(values)
                .map(|(name, values)| Group {
                    label,
                    name,
                    metrics,
                    values,
                })
                .collect()
        }
        map.serialize_entry(
            "agreements",
            &groups(&self.agreement_names, &self.agreements, &self.metrics, "agreement"),
        )?;
        let flows: Vec<Flow<'_>> = self
            .flow_list()
            .into_iter()
            .map(|(from, to, answered)| Flow { answered, from, to })
            .collect();
        map.serialize_entry("bilateral_settlement", &self.bilateral_list())?;
        map.serialize_entry("flows", &flows)?;
        map.serialize_entry("regions", &groups(&self.region_names, &self.regions, &self.metrics, "region"))?;
        map.serialize_entry("replications", &self.replications)?;
        if let Some(run) = run {
            map.serialize_entry("run", run)?;
        }
        map.serialize_entry("scenario", &self.scenario)?;
        map.serialize_entry("seed", &self.seed)?;
        map.serialize_entry("settlement", &self.settlement)?;
        match order {
            TargetOrder::Published => map.serialize_entry("targets", &self.targets)?,
            TargetOrder::Alphabetical => {
                let targets: Vec<SortedTarget<'_>> = self.targets.iter().map(SortedTarget::from).collect();
                map.serialize_entry("targets", &targets)?
            }
        }
        map.serialize_entry(
            "total",
            &Group {
                label: "region",
                name: "total",
                metrics: &self.metrics,
                values: &self.total,
            },
        )?;
        map.serialize_entry("warnings", &self.warnings())?;
        map.end()
    }
}

/// The summary's results, without its run block: two runs of the same
/// scenario and seed serialize to the same bytes.
impl Serialize for Summary {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_with_run(None, s)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Entry {
    Name(String),
    Value(Estimate),
}

#[derive(Deserialize)]
struct FlowOwned {
    answered: Estimate,
    from: String,
    to: String,
}

#[derive(Deserialize)]
struct SummaryFile {
    agreements: Vec<std::collections::BTreeMap<String, Entry>>,
    #[serde(default)]
    bilateral_settlement: Vec<BilateralRow>,
    flows: Vec<FlowOwned>,
    regions: Vec<std::collections::BTreeMap<String, Entry>>,
    replications: u32,
    #[serde(default)]
    run: RunInfo,
    scenario: String,
    seed: u64,
    settlement: Vec<SettlementRow>,
    targets: Vec<TargetResult>,
    total: std::collections::BTreeMap<String, Entry>,
}

/// Reads a summary back from its JSON (`summary.json`, with or without the
/// run block). What JSON does not hold — by-hour counts, the waiting-time
/// curve, staffing samples — is empty, so the charts of a summary read back
/// have no lines; its JSON and `regions.csv` are those of the original.
impl<'de> Deserialize<'de> for Summary {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::calendar::MINUTE;
        let f = SummaryFile::deserialize(d)?;
        let keys: Vec<&String> = f.total.keys().filter(|k| matches!(f.total[*k], Entry::Value(_))).collect();
        // Thresholds in the order the scenario gives them: 5m, 10m, then the targets'.
        let within = |k: &str| {
            k.strip_prefix("answered_within_")
                .filter(|l| !l.ends_with("_of_answered"))
                .map(String::from)
        };
        let mut labels: Vec<String> = vec!["5m".into(), "10m".into()];
        labels.extend(f.targets.iter().filter_map(|t| within(&t.metric)));
        labels.extend(keys.iter().filter_map(|k| within(k)));
        let mut seen = std::collections::BTreeSet::new();
        labels.retain(|l| f.total.contains_key(&format!("answered_within_{l}")) && seen.insert(l.clone()));
        let metrics: Vec<Metric> = crate::stats::metric_set(&labels)
            .into_iter()
            .filter(|m| f.total.contains_key(&m.key))
            .collect();
        let undefined = Estimate {
            mean: None,
            ci95: None,
            n: 0,
        };
        let values = |map: &std::collections::BTreeMap<String, Entry>| -> Vec<Estimate> {
            metrics
                .iter()
                .map(|m| match map.get(&m.key) {
                    Some(Entry::Value(e)) => *e,
                    _ => undefined,
                })
                .collect()
        };
        let name = |map: &std::collections::BTreeMap<String, Entry>, label: &str| match map.get(label) {
            Some(Entry::Name(n)) => n.clone(),
            _ => String::new(),
        };
        let region_names: Vec<String> = f.regions.iter().map(|r| name(r, "region")).collect();
        let n = region_names.len();
        let zero = Estimate {
            mean: Some(0.0),
            ci95: (f.replications >= 2).then_some((0.0, 0.0)),
            n: f.replications as u64,
        };
        let mut flows = vec![zero; n * n];
        for flow in &f.flows {
            let at = |r: &str| region_names.iter().position(|x| x == r);
            if let (Some(i), Some(j)) = (at(&flow.from), at(&flow.to)) {
                flows[i * n + j] = flow.answered;
            }
        }
        let price_per_call = f
            .settlement
            .iter()
            .find_map(|r| Some(r.net_amount? / r.net.mean.filter(|m| *m != 0.0)?));
        let chart_within = f
            .targets
            .iter()
            .find_map(|t| within(&t.metric))
            .and_then(|l| crate::calendar::parse_duration(&l).ok().map(|t| (l, t)))
            .unwrap_or(("5m".into(), 5 * MINUTE));
        Ok(Summary {
            scenario: f.scenario,
            seed: f.seed,
            replications: f.replications,
            metric_names: metrics.iter().map(|m| m.key.clone()).collect(),
            agreement_names: f.agreements.iter().map(|a| name(a, "agreement")).collect(),
            regions: f.regions.iter().map(&values).collect(),
            agreements: f.agreements.iter().map(&values).collect(),
            total: values(&f.total),
            metrics,
            region_names,
            flows,
            by_hour: vec![HourCell::default(); n * 168],
            targets: f.targets,
            settlement: f.settlement,
            bilateral: f.bilateral_settlement,
            price_per_call,
            cost_per_nurse_hour: vec![None; n],
            wait_curve: vec![vec![f64::NAN; 61]; n],
            staffing: vec![(f64::NAN, f64::NAN); n * 168],
            by_week: vec![],
            by_month: vec![],
            chart_within,
            run: f.run,
        })
    }
}

/// Where a target's `reached` stands among its keys: after `met_in` in
/// `summary.json`, in alphabetical order in a sweep's files.
#[derive(Clone, Copy)]
enum TargetOrder {
    Published,
    Alphabetical,
}

/// A summary serialized with the keys of every object in alphabetical order
/// and without its run block: see [`Summary::in_key_order`].
pub struct KeyOrdered<'a>(&'a Summary);

impl Serialize for KeyOrdered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize_as(None, TargetOrder::Alphabetical, s)
    }
}

/// A target's verdict with its keys in alphabetical order (the fields of
/// [`TargetResult`], which `summary.json` writes with `reached` after `met_in`).
#[derive(Serialize)]
struct SortedTarget<'a> {
    #[serde(with = "bound_serde")]
    bound: Bound,
    estimate: &'a Estimate,
    met: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    met_in: Option<f64>,
    metric: &'a str,
    per: Per,
    periods_judged: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    reached: Option<SortedReached>,
    #[serde(with = "region_or_all")]
    region: Option<String>,
    share_of_periods_met: Option<f64>,
    share_of_periods_met_by_replication: &'a Estimate,
}

/// [`Reached`] with its keys in alphabetical order.
#[derive(Serialize)]
struct SortedReached {
    level: f64,
    share: f64,
}

impl<'a> From<&'a TargetResult> for SortedTarget<'a> {
    fn from(t: &'a TargetResult) -> Self {
        SortedTarget {
            bound: t.bound,
            estimate: &t.estimate,
            met: t.met,
            met_in: t.met_in,
            metric: &t.metric,
            per: t.per,
            periods_judged: t.periods_judged,
            reached: t.reached.map(|r| SortedReached {
                level: r.level,
                share: r.share,
            }),
            region: t.region.clone(),
            share_of_periods_met: t.share_of_periods_met,
            share_of_periods_met_by_replication: &t.share_of_periods_met_by_replication,
        }
    }
}

/// A summary with its run block, as published (`summary.json`).
pub struct SummaryDocument<'a> {
    /// The results.
    pub summary: &'a Summary,
    /// The run block, if it is to be written.
    pub run: Option<&'a RunInfo>,
}

impl Serialize for SummaryDocument<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.summary.serialize_with_run(self.run, s)
    }
}

#[derive(Serialize)]
struct Flow<'a> {
    answered: &'a Estimate,
    from: &'a str,
    to: &'a str,
}

/// A region, agreement or total as a JSON object: its name and each metric.
struct Group<'a> {
    label: &'static str,
    name: &'a str,
    metrics: &'a [Metric],
    values: &'a [Estimate],
}

impl Serialize for Group<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&str, Option<&Estimate>)> = self
            .metrics
            .iter()
            .zip(self.values)
            .map(|(m, e)| (m.key.as_str(), Some(e)))
            .collect();
        entries.push((self.label, None));
        entries.sort_by(|a, b| a.0.cmp(b.0));
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (key, value) in entries {
            match value {
                Some(e) => map.serialize_entry(key, e)?,
                None => map.serialize_entry(key, self.name)?,
            }
        }
        map.end()
    }
}

/// Differences of one scenario against the first, over paired replications.
#[derive(Clone, Debug)]
pub struct Difference {
    /// The scenario compared with the first.
    pub scenario: String,
    /// Regions present in both scenarios (by name), in the first scenario's order.
    pub region_names: Vec<String>,
    /// Per region, each metric of the comparison's `metrics`.
    pub regions: Vec<Vec<Estimate>>,
    /// All regions.
    pub total: Vec<Estimate>,
}

/// Several scenarios run on the same callers, and their differences against the first.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// One summary per scenario.
    pub summaries: Vec<Summary>,
    /// One per scenario after the first.
    pub differences: Vec<Difference>,
    /// The metrics every scenario reports, in the first scenario's order.
    pub metrics: Vec<Metric>,
    /// Their keys.
    pub metric_names: Vec<String>,
}

impl Serialize for Comparison {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Diff<'a>(&'a Difference, &'a [Metric]);
        impl Serialize for Diff<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let (d, metrics) = (self.0, self.1);
                let regions: Vec<Group<'_>> = d
                    .region_names
                    .iter()
                    .zip(&d.regions)
                    .map(|(name, values)| Group {
                        label: "region",
                        name,
                        metrics,
                        values,
                    })
                    .collect();
                let mut map = s.serialize_map(Some(3))?;
                map.serialize_entry("regions", &regions)?;
                map.serialize_entry("scenario", &d.scenario)?;
                map.serialize_entry(
                    "total",
                    &Group {
                        label: "region",
                        name: "total",
                        metrics,
                        values: &d.total,
                    },
                )?;
                map.end()
            }
        }
        let mut map = s.serialize_map(Some(2))?;
        let diffs: Vec<Diff<'_>> = self.differences.iter().map(|d| Diff(d, &self.metrics)).collect();
        map.serialize_entry("differences", &diffs)?;
        let docs: Vec<SummaryDocument<'_>> = self.summaries.iter().map(Summary::document).collect();
        map.serialize_entry("scenarios", &docs)?;
        map.end()
    }
}
