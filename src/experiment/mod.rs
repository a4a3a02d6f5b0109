//! Replications of scenarios run in parallel and folded, in replication order,
//! into summaries: identical results whatever the thread count. `compare`
//! runs several scenarios on the same replications (common random numbers) and
//! folds their paired differences.

use crate::engine::Simulation;
use crate::model::{Model, SeriesPeriod, TargetModel};
use crate::scenario::{Bound, Scenario, TargetMetric};
use crate::stats::{group_values, metric_set, Accumulator, Estimate, HourCell, Metric, PeriodCounts, StaffingSample, Tally, WaitHistogram};
use runner::{Runner, Stopped};

pub mod runner;
mod summary;
pub use summary::*;

/// Why an experiment stopped without a result.
#[derive(Debug)]
pub enum RunError {
    /// The worker threads could not be started.
    Threads(String),
    /// Ctrl-C.
    Interrupted,
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Threads(e) => write!(f, "cannot start worker threads: {e}"),
            RunError::Interrupted => write!(f, "interrupted: no results written"),
        }
    }
}

impl std::error::Error for RunError {}

/// The waiting-time curve is reported for 0, 1, …, 60 minutes.
pub const CURVE_MINUTES: usize = 60;

/// What one replication contributes to a summary: metric values per group,
/// flows, by-hour counts, targets and settlement. Small, unlike its [`Tally`].
#[derive(Clone, Debug)]
pub struct Observation {
    /// Regions, then agreements, then the total; each a vector in `metric_names` order.
    pub groups: Vec<Vec<f64>>,
    /// `flows[r * n + j]`: calls of region r answered by nurses of region j.
    pub flows: Vec<u64>,
    /// Per region and hour of the week.
    pub by_hour: Vec<HourCell>,
    /// Per target: (value over the judged periods, share of judged periods met, met, judged).
    pub targets: Vec<(f64, f64, u64, u64)>,
    /// Per target: its value in each judged period (for the level reached in
    /// a share of periods).
    pub target_periods: Vec<Vec<f64>>,
    /// Per settlement period (each month, then the horizon) and region:
    /// calls answered for others, by others, and the net.
    pub settlement: Vec<[f64; 3]>,
    /// Per settlement period and pair of `Model::settlement_pairs`: calls of
    /// the first region answered by nurses of the second.
    pub bilateral: Vec<u64>,
    /// Per region: calls answered within 0..=60 minutes (counts), then offered.
    pub wait_curve: Vec<u64>,
    /// Per region and hour of the week: samples of nurses on the phones and calls waiting.
    pub staffing: Vec<StaffingSample>,
    /// Calls generated, warmup included.
    pub calls_simulated: u64,
    /// Per series period (weeks, then months): the calls of each region, then of all.
    pub series: [Vec<Vec<PeriodCounts>>; 2],
}

/// The groups a summary reports: each region, each agreement's members, all regions.
pub fn groups(model: &Model) -> Vec<Vec<usize>> {
    let n = model.regions.len();
    let mut g: Vec<Vec<usize>> = (0..n).map(|r| vec![r]).collect();
    g.extend(model.agreements.iter().map(|a| a.members.clone()));
    g.push((0..n).collect());
    g
}

/// What a replication's tally contributes to the summary.
pub fn observe(model: &Model, groups: &[Vec<usize>], tally: &Tally) -> Observation {
    Observation {
        groups: {
            let labels: Vec<String> = (0..tally.calls.first().map_or(0, |c| c.within.len()))
                .map(|t| t.to_string())
                .collect();
            let metrics = metric_set(&labels);
            groups.iter().map(|g| group_values(tally, g, &metrics)).collect()
        },
        flows: tally.flows.clone(),
        by_hour: tally.calls.iter().flat_map(|c| c.by_hour.iter().copied()).collect(),
        targets: model
            .user_targets()
            .iter()
            .zip(tally.target_periods.iter().zip(&tally.target_waits))
            .map(|(t, (periods, waits))| judge(t, periods, waits))
            .collect(),
        target_periods: model
            .user_targets()
            .iter()
            .zip(tally.target_periods.iter().zip(&tally.target_waits))
            .map(|(t, (periods, waits))| {
                periods
                    .iter()
                    .enumerate()
                    .map(|(k, p)| target_value(t.metric, p, waits.get(k)))
                    .filter(|v| !v.is_nan())
                    .collect()
            })
            .collect(),
        series: [SeriesPeriod::Week, SeriesPeriod::Month].map(|kind| series_counts(model, tally, kind)),
        settlement: settlement(model, tally),
        bilateral: bilateral(model, tally),
        wait_curve: tally
            .calls
            .iter()
            .flat_map(|c| (0..=CURVE_MINUTES).map(|m| c.waits.at_most_minutes(m)).chain([c.offered]))
            .collect(),
        staffing: tally.staffing.clone(),
        calls_simulated: tally.calls_simulated,
    }
}

/// Per period of a time series: the counts of each region, then of all regions.
fn series_counts(model: &Model, tally: &Tally, kind: SeriesPeriod) -> Vec<Vec<PeriodCounts>> {
    let n = model.regions.len();
    let periods = model.series_boundaries(kind).len() - 1;
    (0..periods)
        .map(|p| {
            let mut row: Vec<PeriodCounts> = (0..n)
                .map(|r| {
                    tally
                        .target_periods
                        .get(model.series(r, kind).0)
                        .and_then(|c| c.get(p))
                        .copied()
                        .unwrap_or_default()
                })
                .collect();
            let mut all = PeriodCounts::default();
            for c in &row {
                add_counts(&mut all, c);
            }
            row.push(all);
            row
        })
        .collect()
}

fn add_counts(all: &mut PeriodCounts, p: &PeriodCounts) {
    all.offered += p.offered;
    all.answered += p.answered;
    all.abandoned += p.abandoned;
    all.answered_within += p.answered_within;
    all.wait_answered_ms += p.wait_answered_ms;
}

/// The figures of a time series per period and group, in the order of
/// [`SERIES_METRICS`]; `NaN` with an empty denominator.
pub fn series_values(c: &PeriodCounts) -> [f64; 6] {
    let ratio = |a: f64, b: u64| if b > 0 { a / b as f64 } else { f64::NAN };
    [
        c.offered as f64,
        c.answered as f64,
        ratio(c.answered as f64, c.offered),
        ratio(c.answered_within as f64, c.offered),
        ratio(c.wait_answered_ms / 60_000.0, c.answered),
        ratio(c.abandoned as f64, c.offered),
    ]
}

/// The value of a target's metric over some calls, `NaN` with an empty
/// denominator; `waits` is their wait histogram (percentile targets only).
fn target_value(metric: TargetMetric, c: &PeriodCounts, waits: Option<&WaitHistogram>) -> f64 {
    let ratio = |a: f64, b: u64| if b > 0 { a / b as f64 } else { f64::NAN };
    match metric {
        TargetMetric::WaitPercentile(q) => waits.map_or(f64::NAN, |w| w.quantile(q as f64 / 100.0)),
        TargetMetric::AnsweredShare => ratio(c.answered as f64, c.offered),
        TargetMetric::AnsweredWithin => ratio(c.answered_within as f64, c.offered),
        TargetMetric::AnsweredWithinOfAnswered => ratio(c.answered_within as f64, c.answered),
        TargetMetric::AbandonedShare => ratio(c.abandoned as f64, c.offered),
        TargetMetric::MeanWait => ratio(c.wait_answered_ms / 60_000.0, c.answered),
    }
}

/// Periods met over periods judged, `None` when none was judged.
fn share_of_periods(met: u64, judged: u64) -> Option<f64> {
    (judged > 0).then(|| met as f64 / judged as f64)
}

/// The share of periods a target's level is read at when it has no `met_in`.
pub const DEFAULT_REACH_SHARE: f64 = 0.9;

/// The level a target reaches in at least the share `q` of its periods:
/// the highest level that `q` of the period values reach (at least), or the
/// lowest they stay under (at most) — exact on the simulated periods.
pub fn reached_level(bound: Bound, q: f64, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let needed = ((q * n as f64).ceil() as usize).clamp(1, n);
    Some(match bound {
        Bound::AtLeast(_) => sorted[n - needed],
        Bound::AtMost(_) => sorted[needed - 1],
    })
}

/// Whether a value meets a target's bound.
pub fn meets(bound: Bound, value: f64) -> bool {
    match bound {
        Bound::AtLeast(b) => value >= b,
        Bound::AtMost(b) => value <= b,
    }
}

/// A target over one replication: its value over all judged periods, the
/// share of periods met, periods met and judged. `waits`: the wait
/// histogram of each period (percentile targets; empty otherwise).
fn judge(target: &TargetModel, periods: &[PeriodCounts], waits: &[WaitHistogram]) -> (f64, f64, u64, u64) {
    let mut all = PeriodCounts::default();
    let mut all_waits = (!waits.is_empty()).then(WaitHistogram::default);
    let (mut met, mut judged) = (0u64, 0u64);
    for (k, p) in periods.iter().enumerate() {
        add_counts(&mut all, p);
        if let (Some(a), Some(w)) = (all_waits.as_mut(), waits.get(k)) {
            a.merge(w);
        }
        let v = target_value(target.metric, p, waits.get(k));
        if !v.is_nan() {
            judged += 1;
            met += meets(target.bound, v) as u64;
        }
    }
    let share = if judged > 0 { met as f64 / judged as f64 } else { f64::NAN };
    (target_value(target.metric, &all, all_waits.as_ref()), share, met, judged)
}

/// Calls of region r answered by region j in month `m` (`None`: the horizon).
fn flows_of(model: &Model, tally: &Tally, m: Option<usize>, r: usize, j: usize) -> u64 {
    let n = model.regions.len();
    match m {
        Some(m) => tally.flows_by_month[m * n * n + r * n + j],
        None => tally.flows[r * n + j],
    }
}

/// Each month, then the horizon.
fn settlement_periods(model: &Model) -> impl Iterator<Item = Option<usize>> {
    (0..model.months.len()).map(Some).chain([None])
}

/// Per settlement period and region: settled calls answered for others, by
/// others, and the net (flows that the settlement rules exclude do not count).
fn settlement(model: &Model, tally: &Tally) -> Vec<[f64; 3]> {
    let n = model.regions.len();
    let months = model.months.len();
    let flows_of = |m: Option<usize>, r: usize, j: usize| {
        if model.settled[r * n + j] {
            flows_of(model, tally, m, r, j)
        } else {
            0
        }
    };
    let mut out = Vec::with_capacity((months + 1) * n);
    for m in (0..months).map(Some).chain([None]) {
        for region in 0..n {
            let for_others: u64 = (0..n).filter(|&r| r != region).map(|r| flows_of(m, r, region)).sum();
            let by_others: u64 = (0..n).filter(|&j| j != region).map(|j| flows_of(m, region, j)).sum();
            out.push([for_others as f64, by_others as f64, for_others as f64 - by_others as f64]);
        }
    }
    out
}

/// Per settlement period and ordered pair of partner regions: calls of the
/// first answered by the second (settled or not: the rows say which).
fn bilateral(model: &Model, tally: &Tally) -> Vec<u64> {
    settlement_periods(model)
        .flat_map(|m| model.settlement_pairs.iter().map(move |&(r, j)| flows_of(model, tally, m, r, j)))
        .collect()
}

/// Runs replication `replication` of the model.
pub fn simulate(model: &Model, seed: u64, replication: u64) -> Tally {
    Simulation::new(model, seed, replication).run()
}

/// Like [`simulate`], but `None` as soon as `cancel` is set.
pub fn simulate_cancellable(model: &Model, seed: u64, replication: u64, cancel: &std::sync::atomic::AtomicBool) -> Option<Tally> {
    Simulation::new(model, seed, replication).run_cancellable(cancel)
}

/// Folds observations (in replication order) into estimates.
#[derive(Clone, Debug)]
pub struct Fold {
    /// Per group (regions, agreements, total) and metric.
    pub groups: Vec<Vec<Accumulator>>,
    /// Per pair of regions.
    pub flows: Vec<Accumulator>,
    /// Sums per region and hour of the week.
    pub by_hour: Vec<HourCell>,
    /// Per target: value, share of periods met; and periods met / judged in all.
    pub targets: Vec<(Accumulator, Accumulator, u64, u64)>,
    /// Per target: its value in every judged period of every replication.
    pub target_periods: Vec<Vec<f64>>,
    /// Per settlement period and region: for others, by others, net.
    pub settlement: Vec<[Accumulator; 3]>,
    /// Per settlement period and pair of partner regions: calls answered.
    pub bilateral: Vec<Accumulator>,
    /// Sums of the observations' wait curves.
    pub wait_curve: Vec<u64>,
    /// Sums of the staffing samples.
    pub staffing: Vec<StaffingSample>,
    /// Calls generated over all replications.
    pub calls_simulated: u64,
    /// Per series period (weeks, months), period and group (regions, then all): each figure.
    pub series: [Vec<Vec<[Accumulator; 6]>>; 2],
}

impl Fold {
    /// An empty fold for a model with `metrics` metrics per group.
    pub fn new(model: &Model, metrics: usize) -> Fold {
        let n = model.regions.len();
        Fold {
            groups: vec![vec![Accumulator::default(); metrics]; groups(model).len()],
            flows: vec![Accumulator::default(); n * n],
            by_hour: vec![HourCell::default(); n * 168],
            targets: vec![(Accumulator::default(), Accumulator::default(), 0, 0); model.user_targets().len()],
            target_periods: vec![vec![]; model.user_targets().len()],
            settlement: vec![[Accumulator::default(); 3]; (model.months.len() + 1) * n],
            bilateral: vec![Accumulator::default(); (model.months.len() + 1) * model.settlement_pairs.len()],
            wait_curve: vec![0; n * (CURVE_MINUTES + 2)],
            staffing: vec![StaffingSample::default(); n * 168],
            calls_simulated: 0,
            series: [SeriesPeriod::Week, SeriesPeriod::Month]
                .map(|kind| vec![vec![[Accumulator::default(); 6]; n + 1]; model.series_boundaries(kind).len() - 1]),
        }
    }

    /// Adds one replication's observation (in replication order).
    pub fn add(&mut self, o: &Observation) {
        for (acc, values) in self.groups.iter_mut().zip(&o.groups) {
            acc.iter_mut().zip(values).for_each(|(a, &v)| a.add(v));
        }
        self.flows.iter_mut().zip(&o.flows).for_each(|(a, &v)| a.add(v as f64));
        for (sum, cell) in self.by_hour.iter_mut().zip(&o.by_hour) {
            sum.offered += cell.offered;
            sum.answered += cell.answered;
            sum.abandoned += cell.abandoned;
            sum.answered_within_target += cell.answered_within_target;
            sum.wait_answered_ms += cell.wait_answered_ms;
        }
        for (acc, &(value, share, met, judged)) in self.targets.iter_mut().zip(&o.targets) {
            acc.0.add(value);
            acc.1.add(share);
            acc.2 += met;
            acc.3 += judged;
        }
        for (all, values) in self.target_periods.iter_mut().zip(&o.target_periods) {
            all.extend_from_slice(values);
        }
        for (acc, values) in self.settlement.iter_mut().zip(&o.settlement) {
            acc.iter_mut().zip(values).for_each(|(a, &v)| a.add(v));
        }
        self.bilateral.iter_mut().zip(&o.bilateral).for_each(|(a, &v)| a.add(v as f64));
        self.wait_curve.iter_mut().zip(&o.wait_curve).for_each(|(a, b)| *a += b);
        for (a, b) in self.staffing.iter_mut().zip(&o.staffing) {
            a.samples += b.samples;
            a.nurses_on_phones += b.nurses_on_phones;
            a.calls_waiting += b.calls_waiting;
        }
        self.calls_simulated += o.calls_simulated;
        for (fold, obs) in self.series.iter_mut().zip(&o.series) {
            for (accs, counts) in fold.iter_mut().flatten().zip(obs.iter().flatten()) {
                accs.iter_mut().zip(series_values(counts)).for_each(|(a, v)| a.add(v));
            }
        }
    }
}

/// Runs `replications` replications of every model on the runner, feeding
/// the observations of each replication, in replication order, to `sink`.
/// Every model gets the same seeds: common random numbers.
pub fn run_replications<F>(runner: &Runner, models: &[Model], seed: u64, replications: u32, mut sink: F) -> Result<(), RunError>
where
    F: FnMut(u64, Vec<Observation>),
{
    run_replications_with_progress(runner, models, seed, replications, &mut sink, &mut |_| {})
}

/// [`run_replications`], calling `progress` after each simulation is delivered
/// (`total`: replications × models).
pub fn run_replications_with_progress(
    runner: &Runner,
    models: &[Model],
    seed: u64,
    replications: u32,
    sink: &mut dyn FnMut(u64, Vec<Observation>),
    progress: &mut dyn FnMut(runner::Progress),
) -> Result<(), RunError> {
    let groups: Vec<Vec<Vec<usize>>> = models.iter().map(groups).collect();
    let per_rep = models.len() as u64;
    let mut row: Vec<Observation> = Vec::with_capacity(models.len());
    runner
        .run(
            replications as u64 * per_rep,
            |i, cancel| {
                let (rep, k) = (i / per_rep, (i % per_rep) as usize);
                simulate_cancellable(&models[k], seed, rep, cancel).map(|t| observe(&models[k], &groups[k], &t))
            },
            |i, o| {
                row.push(o);
                if row.len() == models.len() {
                    sink(i / per_rep, std::mem::take(&mut row));
                }
                Ok::<(), std::convert::Infallible>(())
            },
            progress,
        )
        .map_err(|e| match e {
            Stopped::Cancelled => RunError::Interrupted,
            Stopped::Failed(never) => match never {},
        })
}

fn metrics_of(scenario: &Scenario) -> Vec<Metric> {
    metric_set(&scenario.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>())
}

fn names_of(scenario: &Scenario) -> Vec<String> {
    metrics_of(scenario).into_iter().map(|m| m.key).collect()
}

fn estimates(accs: &[Accumulator]) -> Vec<Estimate> {
    accs.iter().map(Accumulator::estimate).collect()
}

/// The rows of the bilateral settlement: per period, each ordered pair of
/// partner regions with the calls of one answered by the other.
fn bilateral_rows(scenario: &Scenario, model: &Model, periods: &[SettlementPeriod], accs: &[Accumulator]) -> Vec<BilateralRow> {
    let n = model.regions.len();
    let pairs = &model.settlement_pairs;
    periods
        .iter()
        .enumerate()
        .flat_map(|(p, period)| {
            pairs.iter().enumerate().map(move |(k, &(r, j))| {
                let answered = accs[p * pairs.len() + k].estimate();
                let settled = model.settled[r * n + j];
                BilateralRow {
                    period: period.clone(),
                    calls_of: scenario.regions[r].name.clone(),
                    answered_by: scenario.regions[j].name.clone(),
                    answered,
                    settled,
                    amount: scenario
                        .price_per_call
                        .filter(|_| settled)
                        .and_then(|price| answered.mean.map(|m| m * price)),
                }
            })
        })
        .collect()
}

/// Turns a fold into the summary of a scenario.
pub fn summarize(scenario: &Scenario, model: &Model, fold: Fold, replications: u32, wall_seconds: f64, threads: usize) -> Summary {
    let n = model.regions.len();
    let mut groups: Vec<Vec<Estimate>> = fold.groups.iter().map(|g| estimates(g)).collect();
    let total = groups.pop().expect("total group");
    let agreements = groups.split_off(n);
    let region_names: Vec<String> = scenario.regions.iter().map(|r| r.name.clone()).collect();
    let region_names_all: Vec<String> = region_names.iter().cloned().chain(["total".to_string()]).collect();
    let targets = scenario
        .targets
        .iter()
        .zip(fold.targets.iter().zip(&fold.target_periods))
        .map(|(t, ((value, share, met, judged), periods))| {
            let estimate = value.estimate();
            TargetResult {
                metric: match t.metric {
                    TargetMetric::AnsweredShare => "answered_share".into(),
                    TargetMetric::AnsweredWithin => format!("answered_within_{}", t.within_text.clone().unwrap_or_default()),
                    TargetMetric::AnsweredWithinOfAnswered => {
                        format!("answered_within_{}_of_answered", t.within_text.clone().unwrap_or_default())
                    }
                    TargetMetric::MeanWait => "mean_wait".into(),
                    TargetMetric::AbandonedShare => "abandoned_share".into(),
                    TargetMetric::WaitPercentile(q) => format!("wait_p{q}"),
                },
                region: t.region.map(|r| region_names[r].clone()),
                per: t.per.into(),
                bound: t.bound,
                met: match t.met_in {
                    // "Met in 90 % of months": judged on the share of periods, not the mean.
                    Some(q) => share_of_periods(*met, *judged).map(|s| s >= q),
                    None => estimate.mean.map(|m| meets(t.bound, m)),
                },
                met_in: t.met_in,
                reached: {
                    let share = t.met_in.unwrap_or(DEFAULT_REACH_SHARE);
                    reached_level(t.bound, share, periods).map(|level| Reached { share, level })
                },
                estimate,
                share_of_periods_met: share_of_periods(*met, *judged),
                share_of_periods_met_by_replication: share.estimate(),
                periods_judged: *judged,
            }
        })
        .collect();
    let periods: Vec<SettlementPeriod> = model
        .months
        .iter()
        .map(|&m| model.calendar.month_label(m.div_euclid(crate::calendar::DAY)))
        .map(SettlementPeriod::Month)
        .chain([SettlementPeriod::Horizon])
        .collect();
    let settlement = periods
        .iter()
        .enumerate()
        .flat_map(|(p, label)| {
            let fold = &fold;
            let region_names = &region_names;
            (0..n).map(move |r| {
                let acc = &fold.settlement[p * n + r];
                SettlementRow {
                    region: region_names[r].clone(),
                    period: label.clone(),
                    answered_for_others: acc[0].estimate(),
                    answered_by_others: acc[1].estimate(),
                    net: acc[2].estimate(),
                    net_amount: scenario.price_per_call.and_then(|p| acc[2].estimate().mean.map(|m| m * p)),
                }
            })
        })
        .collect();
    let bilateral = bilateral_rows(scenario, model, &periods, &fold.bilateral);
    Summary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        replications,
        metrics: metrics_of(scenario),
        metric_names: names_of(scenario),
        region_names,
        agreement_names: scenario.agreements.iter().map(|a| a.name.clone()).collect(),
        regions: groups,
        agreements,
        total,
        flows: estimates(&fold.flows),
        by_hour: fold.by_hour,
        targets,
        settlement,
        bilateral,
        price_per_call: scenario.price_per_call,
        cost_per_nurse_hour: scenario.regions.iter().map(|r| r.cost_per_nurse_hour).collect(),
        wait_curve: fold
            .wait_curve
            .chunks(CURVE_MINUTES + 2)
            .map(|c| {
                let offered = c[CURVE_MINUTES + 1] as f64;
                c[..=CURVE_MINUTES]
                    .iter()
                    .map(|&x| if offered > 0.0 { x as f64 / offered } else { f64::NAN })
                    .collect()
            })
            .collect(),
        staffing: fold
            .staffing
            .iter()
            .map(|s| {
                if s.samples > 0 {
                    (
                        s.nurses_on_phones as f64 / s.samples as f64,
                        s.calls_waiting as f64 / s.samples as f64,
                    )
                } else {
                    (f64::NAN, f64::NAN)
                }
            })
            .collect(),
        by_week: series_rows(model, &fold.series[0], SeriesPeriod::Week, &region_names_all),
        by_month: series_rows(model, &fold.series[1], SeriesPeriod::Month, &region_names_all),
        chart_within: scenario.chart_within(),
        run: RunInfo {
            calls_simulated: fold.calls_simulated,
            wall_seconds,
            threads,
        },
    }
}

/// The rows of `by_week.csv` or `by_month.csv`: per period, each region then the total.
fn series_rows(model: &Model, fold: &[Vec<[Accumulator; 6]>], kind: SeriesPeriod, groups: &[String]) -> Vec<PeriodRow> {
    let bounds = model.series_boundaries(kind);
    let day = crate::calendar::DAY;
    fold.iter()
        .enumerate()
        .flat_map(|(p, accs)| {
            let (from, to) = (bounds[p], bounds[p + 1]);
            let first = model.calendar.date_of_day(from.div_euclid(day));
            // The last day touched: `to` is exclusive.
            let last = model.calendar.date_of_day((to - 1).div_euclid(day));
            let label = match kind {
                SeriesPeriod::Week => {
                    let iso = first.iso_week_date();
                    format!("{:04}-W{:02}", iso.year(), iso.week())
                }
                SeriesPeriod::Month => model.calendar.month_label(from.div_euclid(day)),
            };
            let days = (to - from) as f64 / day as f64;
            groups.iter().zip(accs).map(move |(g, a)| PeriodRow {
                period: label.clone(),
                first_day: first.to_string(),
                last_day: last.to_string(),
                days,
                group: g.clone(),
                values: a.map(|acc| acc.estimate()),
            })
        })
        .collect()
}

fn runner(threads: usize) -> Result<Runner, RunError> {
    Runner::new(threads).map_err(RunError::Threads)
}

/// Simulates a scenario: all its replications, folded into a summary.
pub fn run(scenario: &Scenario, threads: usize) -> Result<Summary, RunError> {
    run_with(scenario, &runner(threads)?)
}

/// [`run`] on a given runner (its threads and cancellation token).
pub fn run_with(scenario: &Scenario, runner: &Runner) -> Result<Summary, RunError> {
    run_with_progress(scenario, runner, &mut |_| {})
}

/// [`run_with`], calling `progress` as replications finish (for a progress bar).
pub fn run_with_progress(scenario: &Scenario, runner: &Runner, progress: &mut dyn FnMut(runner::Progress)) -> Result<Summary, RunError> {
    let started = std::time::Instant::now();
    let model = Model::compile(scenario);
    let mut fold = Fold::new(&model, names_of(scenario).len());
    run_replications_with_progress(
        runner,
        std::slice::from_ref(&model),
        scenario.seed,
        scenario.replications,
        &mut |_, o| fold.add(&o[0]),
        progress,
    )?;
    Ok(summarize(
        scenario,
        &model,
        fold,
        scenario.replications,
        started.elapsed().as_secs_f64(),
        runner.threads(),
    ))
}

/// Runs every scenario with the same seed and replications (the first
/// scenario's): the same callers in every region whose demand is the same, so
/// that differences are measured on paired replications.
pub fn compare(scenarios: &[Scenario], threads: usize) -> Result<Comparison, RunError> {
    compare_with(scenarios, &runner(threads)?)
}

/// [`compare`] on a given runner (its threads and cancellation token).
pub fn compare_with(scenarios: &[Scenario], runner: &Runner) -> Result<Comparison, RunError> {
    compare_with_progress(scenarios, runner, &mut |_| {})
}

/// [`compare_with`], calling `progress` as simulations finish (for a progress bar).
pub fn compare_with_progress(
    scenarios: &[Scenario],
    runner: &Runner,
    progress: &mut dyn FnMut(runner::Progress),
) -> Result<Comparison, RunError> {
    let started = std::time::Instant::now();
    let (seed, replications) = (scenarios[0].seed, scenarios[0].replications);
    let models: Vec<Model> = scenarios.iter().map(Model::compile).collect();
    let names: Vec<Vec<String>> = scenarios.iter().map(names_of).collect();
    let mut folds: Vec<Fold> = models.iter().zip(&names).map(|(m, n)| Fold::new(m, n.len())).collect();
    // Metrics and regions shared with the first scenario, by name.
    let common_metrics: Vec<String> = names[0].iter().filter(|m| names.iter().all(|n| n.contains(m))).cloned().collect();
    let metric_index = |k: usize, m: &str| names[k].iter().position(|x| x == m).expect("common metric");
    let pairs: Vec<Vec<(usize, usize)>> = scenarios
        .iter()
        .map(|s| {
            scenarios[0]
                .regions
                .iter()
                .enumerate()
                .filter_map(|(i, r)| s.region_index(&r.name).map(|j| (i, j)))
                .collect()
        })
        .collect();
    let mut diffs: Vec<(Vec<Vec<Accumulator>>, Vec<Accumulator>)> = pairs
        .iter()
        .map(|p| {
            (
                vec![vec![Accumulator::default(); common_metrics.len()]; p.len()],
                vec![Accumulator::default(); common_metrics.len()],
            )
        })
        .collect();
    let mut sink = |_, observations: Vec<Observation>| {
        for (fold, o) in folds.iter_mut().zip(&observations) {
            fold.add(o);
        }
        let base = &observations[0];
        for k in 1..observations.len() {
            let o = &observations[k];
            for (c, m) in common_metrics.iter().enumerate() {
                let (mk, m0) = (metric_index(k, m), metric_index(0, m));
                for (p, &(i, j)) in pairs[k].iter().enumerate() {
                    diffs[k].0[p][c].add(o.groups[j][mk] - base.groups[i][m0]);
                }
                diffs[k].1[c].add(o.groups.last().unwrap()[mk] - base.groups.last().unwrap()[m0]);
            }
        }
    };
    run_replications_with_progress(runner, &models, seed, replications, &mut sink, progress)?;
    let wall = started.elapsed().as_secs_f64();
    let summaries: Vec<Summary> = scenarios
        .iter()
        .zip(&models)
        .zip(folds)
        .map(|((s, m), f)| summarize(&Scenario { seed, ..s.clone() }, m, f, replications, wall, runner.threads()))
        .collect();
    let differences = (1..scenarios.len())
        .map(|k| Difference {
            scenario: scenarios[k].name.clone(),
            region_names: pairs[k].iter().map(|&(i, _)| scenarios[0].regions[i].name.clone()).collect(),
            regions: diffs[k].0.iter().map(|accs| estimates(accs)).collect(),
            total: estimates(&diffs[k].1),
        })
        .collect();
    let metrics = summaries[0]
        .metrics
        .iter()
        .filter(|m| common_metrics.contains(&m.key))
        .cloned()
        .collect();
    Ok(Comparison {
        summaries,
        differences,
        metrics,
        metric_names: common_metrics,
    })
}
