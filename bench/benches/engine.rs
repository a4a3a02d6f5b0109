//! Calls simulated per second (criterion reports "elements/s"). Run with
//! `cargo bench -p nursequeue-bench` from the repository root.
//!
//! - `single_region`: one region, 2 calls/min, exponential handle time 12 min and
//!   patience 8 min, 24 nurses around the clock (24 Erlang), 50 weeks ≈ 1 M calls.
//! - `national_year`: `bench/national-10-2023.toml` (the national-10 scenario as
//!   it stood before calibration, frozen so figures stay comparable: 10 regions,
//!   national hours, overflow after 4 minutes, the 24/7 collaboration, night
//!   cover, a national queue, redials) for one simulated year, one thread.
//! - `sweep_scaling`: a 64-point sweep of a 3-region scenario on 1 and 2 threads.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nursequeue::experiment::simulate;
use nursequeue::model::Model;
use nursequeue::scenario::{load_str, Scenario};
use nursequeue::sweep;

const SINGLE_REGION: &str = r#"
start = "2024-01-01"
horizon = "50w"
replications = 1
[[region]]
name = "R"
calls_per_day = 2880
handle_time = { dist = "exponential", mean = "12m" }
patience = { dist = "exponential", mean = "8m" }
shifts = [ { from = "00:00", to = "24:00", nurses = 24 } ]
"#;

/// An example scenario of the main crate, by its path from the repository root.
fn scenario_file(path: &str, overrides: &[&str]) -> Scenario {
    let path = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    let path = path.as_str();
    let text = std::fs::read_to_string(path).expect("example scenario");
    let sets: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    load_str(path, &text, &sets).unwrap_or_else(|e| panic!("{e}"))
}

fn one_replication(c: &mut Criterion, name: &str, scenario: &Scenario) {
    let model = Model::compile(scenario);
    let calls = simulate(&model, scenario.seed, 0).calls_simulated;
    let mut group = c.benchmark_group(name);
    group.sample_size(10).throughput(Throughput::Elements(calls));
    group.bench_function("one replication, one thread", |b| b.iter(|| simulate(&model, scenario.seed, 0)));
    group.finish();
}

fn single_region(c: &mut Criterion) {
    one_replication(c, "single_region", &load_str("single", SINGLE_REGION, &[]).expect("valid"));
}

fn national_year(c: &mut Criterion) {
    one_replication(
        c,
        "national_year",
        &scenario_file("bench/national-10-2023.toml", &["horizon=52w", "warmup=0m"]),
    );
}

fn sweep_scaling(c: &mut Criterion) {
    // 64 points: 8 overflow delays × 8 volume factors, 2 replications of 2 weeks
    // each, through the same code as `nursequeue sweep`.
    let file = format!("{}/../scenarios/overflow-3-after-4m.toml", env!("CARGO_MANIFEST_DIR"));
    let path = std::path::Path::new(&file);
    let sets: Vec<String> = ["horizon=2w", "replications=2"].map(String::from).to_vec();
    let base = scenario_file("scenarios/overflow-3-after-4m.toml", &["horizon=2w", "replications=2"]);
    let varies = vec![
        sweep::parse_vary("agreement.overflow.overflow_after=0m,1m,2m,3m,4m,6m,8m,never").expect("vary"),
        sweep::parse_vary("region.*.volume_factor=0.8,0.9,1.0,1.1,1.2,1.3,1.4,1.5").expect("vary"),
    ];
    let run = |threads: usize| {
        let job = sweep::SweepRun {
            scenario_path: path,
            base: &base,
            sets: &sets,
            plan: sweep::Plan::new(&base, &sets, varies.clone()),
            threads,
            shard: None,
            out: None,
            resume: false,
            progress: sweep::Progress::None,
        };
        sweep::execute(&job).ok().expect("sweep").len()
    };
    let calls: u64 = {
        (0..64)
            .map(|i| {
                let plan = sweep::Plan::new(&base, &sets, varies.clone());
                let flags = [sets.clone(), plan.sets(i)].concat();
                let s = load_str("p", &base.source, &flags).expect("valid");
                let m = Model::compile(&s);
                (0..2).map(|rep| simulate(&m, s.seed, rep).calls_simulated).sum::<u64>()
            })
            .sum()
    };
    let mut group = c.benchmark_group("sweep_scaling");
    group.sample_size(10).throughput(Throughput::Elements(calls));
    for threads in [1, 2] {
        group.bench_function(format!("64 points, {threads} thread{}", if threads == 1 { "" } else { "s" }), |b| {
            b.iter(|| run(threads))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    // Criterion's own plots need system fonts; the figures are what matter here.
    config = Criterion::default().without_plots();
    targets = single_region, national_year, sweep_scaling
}
criterion_main!(benches);
