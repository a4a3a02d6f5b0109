//! Replications of one scenario run in parallel and folded, in replication
//! order, into a [`Summary`]: identical results whatever the thread count.

use rayon::prelude::*;

use crate::engine::Simulation;
use crate::model::Model;
use crate::scenario::Scenario;
use crate::stats::{group_metrics, metric_names, Accumulator, Estimate, HourCell, Tally};

/// What one replication contributes to a summary: metric values per group,
/// flows and the by-hour counts. Small, unlike the [`Tally`] it comes from.
#[derive(Clone, Debug)]
pub struct Observation {
    /// Regions, then agreements, then the total; each a vector in `metric_names` order.
    pub groups: Vec<Vec<f64>>,
    pub flows: Vec<u64>,
    pub by_hour: Vec<HourCell>,
    pub calls_simulated: u64,
}

/// The groups a summary reports: each region, each agreement's members, all regions.
pub fn groups(model: &Model) -> Vec<Vec<usize>> {
    let n = model.regions.len();
    let mut g: Vec<Vec<usize>> = (0..n).map(|r| vec![r]).collect();
    g.extend(model.agreements.iter().map(|a| a.members.clone()));
    g.push((0..n).collect());
    g
}

pub fn observe(groups: &[Vec<usize>], tally: &Tally) -> Observation {
    Observation {
        groups: groups.iter().map(|g| group_metrics(tally, g)).collect(),
        flows: tally.flows.clone(),
        by_hour: tally.calls.iter().flat_map(|c| c.by_hour.iter().copied()).collect(),
        calls_simulated: tally.calls_simulated,
    }
}

/// Runs replication `replication` of the model.
pub fn simulate(model: &Model, seed: u64, replication: u64) -> Tally {
    Simulation::new(model, seed, replication).run()
}

/// Folds observations (in replication order) into estimates.
#[derive(Clone, Debug)]
pub struct Fold {
    pub groups: Vec<Vec<Accumulator>>,
    pub flows: Vec<Accumulator>,
    pub by_hour: Vec<HourCell>,
    pub calls_simulated: u64,
    pub replications: u64,
}

impl Fold {
    pub fn new(groups: usize, metrics: usize, regions: usize) -> Fold {
        Fold {
            groups: vec![vec![Accumulator::default(); metrics]; groups],
            flows: vec![Accumulator::default(); regions * regions],
            by_hour: vec![HourCell::default(); regions * 168],
            calls_simulated: 0,
            replications: 0,
        }
    }

    pub fn add(&mut self, o: &Observation) {
        for (acc, values) in self.groups.iter_mut().zip(&o.groups) {
            acc.iter_mut().zip(values).for_each(|(a, &v)| a.add(v));
        }
        self.flows.iter_mut().zip(&o.flows).for_each(|(a, &v)| a.add(v as f64));
        for (sum, cell) in self.by_hour.iter_mut().zip(&o.by_hour) {
            sum.offered += cell.offered;
            sum.answered += cell.answered;
            sum.abandoned += cell.abandoned;
            sum.answered_within_5m += cell.answered_within_5m;
            sum.wait_answered_ms += cell.wait_answered_ms;
        }
        self.calls_simulated += o.calls_simulated;
        self.replications += 1;
    }
}

/// Runs `replications` replications on `threads` threads (0 = all cores),
/// feeding each observation, in replication order, to `sink`. Replications run
/// in batches so that memory stays bounded however many there are.
pub fn run_replications<F>(
    model: &Model,
    seed: u64,
    replications: u32,
    threads: usize,
    mut sink: F,
) -> Result<(), rayon::ThreadPoolBuildError>
where
    F: FnMut(u64, Observation),
{
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let groups = groups(model);
    let batch = (pool.current_num_threads() * 4).max(1) as u64;
    let total = replications as u64;
    let mut start = 0;
    while start < total {
        let end = (start + batch).min(total);
        let observations: Vec<Observation> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|rep| observe(&groups, &simulate(model, seed, rep)))
                .collect()
        });
        for (k, o) in observations.into_iter().enumerate() {
            sink(start + k as u64, o);
        }
        start = end;
    }
    Ok(())
}

/// A finished experiment: every reported figure as a mean with its 95 % CI.
#[derive(Clone, Debug)]
pub struct Summary {
    pub scenario: String,
    pub seed: u64,
    pub replications: u32,
    pub metric_names: Vec<String>,
    pub region_names: Vec<String>,
    pub agreement_names: Vec<String>,
    pub regions: Vec<Vec<Estimate>>,
    pub agreements: Vec<Vec<Estimate>>,
    pub total: Vec<Estimate>,
    /// `flows[r * n + j]`: calls of region r answered by nurses of region j, per replication.
    pub flows: Vec<Estimate>,
    /// Sums over replications, per region and hour of the week.
    pub by_hour: Vec<HourCell>,
    pub calls_simulated: u64,
    pub wall_seconds: f64,
    pub threads: usize,
}

impl Summary {
    pub fn metric(&self, name: &str) -> Option<usize> {
        self.metric_names.iter().position(|m| m == name)
    }

    pub fn region(&self, name: &str) -> Option<&[Estimate]> {
        self.region_names.iter().position(|r| r == name).map(|i| self.regions[i].as_slice())
    }
}

/// Simulates a scenario: all its replications, folded into a summary.
pub fn run(scenario: &Scenario, threads: usize) -> Result<Summary, rayon::ThreadPoolBuildError> {
    let started = std::time::Instant::now();
    let model = Model::compile(scenario);
    let names = metric_names(&scenario.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>());
    let n = model.regions.len();
    let mut fold = Fold::new(n + model.agreements.len() + 1, names.len(), n);
    run_replications(&model, scenario.seed, scenario.replications, threads, |_, o| fold.add(&o))?;
    let threads_used = if threads == 0 { rayon::current_num_threads() } else { threads };
    let estimates = |accs: &Vec<Accumulator>| accs.iter().map(Accumulator::estimate).collect::<Vec<_>>();
    let mut groups: Vec<Vec<Estimate>> = fold.groups.iter().map(estimates).collect();
    let total = groups.pop().expect("total group");
    let agreements = groups.split_off(n);
    Ok(Summary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        replications: scenario.replications,
        metric_names: names,
        region_names: scenario.regions.iter().map(|r| r.name.clone()).collect(),
        agreement_names: scenario.agreements.iter().map(|a| a.name.clone()).collect(),
        regions: groups,
        agreements,
        total,
        flows: estimates(&fold.flows),
        by_hour: fold.by_hour,
        calls_simulated: fold.calls_simulated,
        wall_seconds: started.elapsed().as_secs_f64(),
        threads: threads_used,
    })
}
