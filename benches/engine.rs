//! Calls simulated per second on one thread (criterion reports "elements/s").
//! Run with `cargo bench`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use nursequeue::experiment::simulate;
use nursequeue::model::Model;
use nursequeue::scenario::load_str;

/// One region, 2 calls/min, exponential handle time 12 min and patience 8 min,
/// 24 nurses around the clock (24 Erlang offered), 50 weeks ≈ 1 million calls.
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

fn bench_scenario(c: &mut Criterion, name: &str, text: &str) {
    let scenario = load_str(name, text, &[]).unwrap_or_else(|e| panic!("{e}"));
    let model = Model::compile(&scenario);
    let calls = simulate(&model, scenario.seed, 0).calls_simulated;
    let mut group = c.benchmark_group(name);
    group.sample_size(10).throughput(Throughput::Elements(calls));
    group.bench_function("one replication", |b| b.iter(|| simulate(&model, scenario.seed, 0)));
    group.finish();
}

fn single_region(c: &mut Criterion) {
    bench_scenario(c, "single_region", SINGLE_REGION);
}

fn cluster_year(c: &mut Criterion) {
    let text = std::fs::read_to_string("scenarios/overflow-3-after-4m.toml").expect("example scenario");
    bench_scenario(c, "overflow_3_year", &text.replace("horizon = \"4w\"", "horizon = \"52w\""));
}

criterion_group!(benches, single_region, cluster_year);
criterion_main!(benches);
