//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nursequeue::experiment::{self, Summary};
use nursequeue::scenario::{self, Scenario};
use nursequeue::stats::Estimate;

pub fn scenario(text: &str) -> Scenario {
    scenario::load_str("test.toml", text, &[]).unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"))
}

pub fn summarize(text: &str) -> Summary {
    experiment::run(&scenario(text), 0).expect("run")
}

pub fn estimate(values: &[Estimate], s: &Summary, metric: &str) -> Estimate {
    values[s.metric(metric).unwrap_or_else(|| panic!("no metric {metric}"))]
}

/// Asserts that a simulated mean agrees with an exact value: the distance must
/// be within `k` half-widths of the 95 % confidence interval over replications
/// (k = 2 is about four standard errors). Prints the distance, in half-widths.
pub fn assert_agrees(label: &str, e: Estimate, exact: f64, k: f64) {
    let mean = e.mean.expect("defined");
    let half = e.half_width().expect("two or more replications");
    let distance = (mean - exact).abs() / half;
    eprintln!("{label:<55} simulated {mean:>10.5} ±{half:.5}   exact {exact:>10.5}   distance {distance:.2} half-widths");
    assert!(
        distance <= k,
        "{label}: simulated {mean} ±{half} vs exact {exact} ({distance:.2} half-widths)"
    );
}

/// A one-region stationary scenario: λ calls a minute, exponential handle time
/// and patience (minutes; `None` = never hangs up), n nurses all day.
pub fn stationary(lambda: f64, handle: f64, patience: Option<f64>, n: u32, horizon: &str, reps: u32) -> String {
    let patience = match patience {
        Some(p) => format!("{{ dist = \"exponential\", mean = \"{p}m\" }}"),
        None => "{ dist = \"none\" }".into(),
    };
    format!(
        r#"
start = "2024-03-04"
horizon = "{horizon}"
warmup = "1d"
replications = {reps}
seed = 42
[[region]]
name = "R"
calls_per_day = {}
handle_time = {{ dist = "exponential", mean = "{handle}m" }}
patience = {patience}
shifts = [{{ days = "all", from = "00:00", to = "24:00", nurses = {n} }}]
"#,
        lambda * 1440.0
    )
}
