//! `OBSERVED.toml`: the aggregates a calibration fits, read and checked with
//! `file:line:column` like a scenario.
//!
//! ```toml
//! [[observed]]
//! metric = "answered_share"   # any output metric of `run`
//! value = 0.6954              # shares as fractions, waits in minutes, counts per replication
//! region = "Norrbotten"       # optional; default: all regions
//! count = 14193               # optional: calls a share was measured on (binomial sd)
//! sd = 0.01                   # optional: the observation's own standard deviation
//! ```

use serde::Deserialize;
use toml::Spanned;

use super::Observation;
use crate::scenario::diagnostic::{did_you_mean, Problems, Source, Span};
use crate::scenario::Scenario;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    observed: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    metric: Spanned<String>,
    value: Spanned<toml::Value>,
    region: Option<Spanned<String>>,
    sd: Option<Spanned<toml::Value>>,
    count: Option<Spanned<toml::Value>>,
    from: Option<Spanned<toml::Value>>,
    to: Option<Spanned<toml::Value>>,
}

/// The largest value or sd an observation may give (a year of the whole
/// country's calls is below 10⁸).
const MAX_OBSERVED: f64 = 1e12;

/// An observation and where the simulator finds it: the metric's position in
/// a group's values, and the group (a region, or the total).
#[derive(Clone, Debug)]
pub struct Located {
    pub observation: Observation,
    pub metric: usize,
    pub group: usize,
}

/// Reads `text` (named `name` in messages) against the scenario's metrics
/// (`metric_names`, in the order of a group's values) and regions.
pub fn read(name: &str, text: &str, scenario: &Scenario, metric_names: &[String]) -> Result<Vec<Located>, String> {
    let sources = [Source {
        name: name.to_string(),
        text: text.to_string(),
    }];
    let mut problems = Problems::default();
    let at = |r: std::ops::Range<usize>| Span {
        source: 0,
        start: r.start,
        end: r.end,
    };
    let file: File = match toml::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            problems
                .at(at(span), e.message().to_string())
                .hint("each entry is [[observed]] with metric, value and optionally region, count, sd");
            return Err(problems.render(&sources));
        }
    };
    if file.observed.is_empty() {
        problems
            .general(format!("{name}: no [[observed]] entries"))
            .hint("add at least one observation");
    }
    let mut located = vec![];
    for e in &file.observed {
        let metric = metric_names.iter().position(|m| m == e.metric.get_ref());
        if metric.is_none() {
            let p = problems.at(at(e.metric.span()), format!("unknown metric `{}`", e.metric.get_ref()));
            match did_you_mean(e.metric.get_ref(), metric_names.iter().map(String::as_str)) {
                Some(m) => p.hint(format!(
                    "did you mean `{m}`? (answered_within_<T> needs a target with that `within` in the scenario)"
                )),
                None => p.hint("any metric `run` reports, e.g. answered_share, wait_p75, mean_wait_answered"),
            };
        }
        let group = match &e.region {
            None => Some(scenario.regions.len() + scenario.agreements.len()),
            Some(r) => {
                let found = scenario.region_index(r.get_ref());
                if found.is_none() {
                    problems
                        .at(at(r.span()), format!("no region `{}` in the scenario", r.get_ref()))
                        .hint(format!(
                            "one of: {}",
                            scenario.regions.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")
                        ));
                }
                found
            }
        };
        for window in [&e.from, &e.to].into_iter().flatten() {
            problems
                .at(at(window.span()), "`from`/`to` windows are not supported yet")
                .hint("an observation covers the scenario's measured window (from `warmup` to `horizon`): set `start`, `warmup` and `horizon` to the observed period");
        }
        let number = |v: &Spanned<toml::Value>, what: &str, problems: &mut Problems| -> Option<f64> {
            let x = match v.get_ref() {
                toml::Value::Float(x) => Some(*x),
                toml::Value::Integer(i) => Some(*i as f64),
                _ => None,
            };
            match x {
                Some(x) if x.is_finite() => Some(x),
                _ => {
                    problems.at(at(v.span()), format!("`{what}` must be a finite number"));
                    None
                }
            }
        };
        let value = number(&e.value, "value", &mut problems);
        let sd = e.sd.as_ref().and_then(|v| number(v, "sd", &mut problems));
        let count = e.count.as_ref().and_then(|v| number(v, "count", &mut problems));
        // Every output metric is a count, share, wait or hours: never negative,
        // and squares of values and sds must stay finite in the likelihood.
        if let Some(v) = value {
            if v < 0.0 {
                problems
                    .at(at(e.value.span()), format!("`value` cannot be negative, found {v}"))
                    .hint("counts, shares, waits and hours are all at least 0");
            } else if v > MAX_OBSERVED {
                problems.at(
                    at(e.value.span()),
                    format!("`value` {v:e} is implausibly large (at most {MAX_OBSERVED:e})"),
                );
            }
        }
        if let (Some(sd), Some(v)) = (sd, &e.sd) {
            if !(sd > 0.0 && sd <= MAX_OBSERVED) {
                problems.at(at(v.span()), format!("`sd` must be above 0 and at most {MAX_OBSERVED:e}"));
            }
        }
        if let (Some(n), Some(v)) = (count, &e.count) {
            if n < 1.0 {
                problems.at(at(v.span()), "`count` must be at least 1");
            } else if !super::is_share(e.metric.get_ref()) {
                problems
                    .at(at(v.span()), "`count` only applies to shares")
                    .hint("give `sd` for other metrics");
            }
        }
        if let (Some(v), true) = (value, super::is_share(e.metric.get_ref())) {
            if !(0.0..=1.0).contains(&v) {
                problems
                    .at(at(e.value.span()), format!("a share must lie between 0 and 1, found {v}"))
                    .hint("write shares as fractions: 69.54 % is 0.6954");
            }
        }
        if let (Some(metric), Some(group), Some(value)) = (metric, group, value) {
            located.push(Located {
                observation: Observation {
                    metric: e.metric.get_ref().clone(),
                    region: e.region.as_ref().map(|r| r.get_ref().clone()),
                    value,
                    sd,
                    count,
                },
                metric,
                group,
            });
        }
    }
    if problems.is_empty() {
        Ok(located)
    } else {
        Err(problems.render(&sources))
    }
}
