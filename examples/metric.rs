//! Loads a scenario, runs it and prints one metric for every region and the
//! total — nursequeue used as a library.
//!
//! ```sh
//! cargo run --release --example metric -- scenarios/cluster-3-2024.toml answered_within_5m
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "scenarios/single-region.toml".into());
    let key = args.next().unwrap_or_else(|| "answered_share".into());
    let scenario = nursequeue::load_scenario(&path, &[])?;
    let summary = nursequeue::run(&scenario, 0)?;
    let metric = summary
        .metrics
        .iter()
        .find(|m| m.key == key)
        .ok_or_else(|| format!("no metric `{key}`; the catalogue has: {}", summary.metric_names.join(", ")))?;
    println!("{} — {} ({} replications)", summary.scenario, metric.label, summary.replications);
    for group in summary.region_names.iter().map(String::as_str).chain(["total"]) {
        let e = summary.value(group, &key).expect("a region of this summary");
        let shown = match (e.mean, e.half_width()) {
            (Some(m), Some(h)) => format!(
                "{:.*} ±{:.*}",
                metric.def.decimals,
                m * metric.def.unit.scale(),
                metric.def.decimals,
                h * metric.def.unit.scale()
            ),
            (Some(m), None) => format!("{:.*}", metric.def.decimals, m * metric.def.unit.scale()),
            _ => "—".into(),
        };
        println!("  {group:<20} {shown}");
    }
    Ok(())
}
