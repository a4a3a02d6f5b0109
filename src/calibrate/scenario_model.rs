//! The calibration's [`Model`] for a real scenario: each free key is set as
//! `--set` would set it, and one replication is simulated per call, its
//! random streams fixed by the scenario's seed and the replication index
//! (common random numbers across parameter values).

use std::sync::atomic::AtomicBool;

use super::observed::Located;
use super::{Cancelled, Model, Parameter};
use crate::calendar::{parse_duration, MINUTE};
use crate::experiment::{groups, observe, simulate_cancellable};
use crate::scenario::{self, Scenario};

/// How a free key's value is written: a plain number, or a duration in minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeUnit {
    Number,
    Minutes,
}

/// A `--free KEY=LOW..HIGH` flag: the parameter (durations in minutes) and its unit.
pub fn parse_free(text: &str) -> Result<(Parameter, FreeUnit), String> {
    let help = "write --free KEY=LOW..HIGH, e.g. --free region.Norrbotten.calls_per_day=300..500 or --free defaults.patience.mean=5m..60m";
    let (key, range) = text.split_once('=').ok_or_else(|| format!("--free {text}: no `=`; {help}"))?;
    let (low, high) = range
        .split_once("..")
        .ok_or_else(|| format!("--free {text}: no `..` in the range; {help}"))?;
    let (low, high, unit) = match (low.trim().parse::<f64>(), high.trim().parse::<f64>()) {
        (Ok(l), Ok(h)) => (l, h, FreeUnit::Number),
        _ => {
            let minutes = |t: &str| parse_duration(t).map(|d| d as f64 / MINUTE as f64);
            let l = minutes(low).map_err(|e| format!("--free {text}: {e}; {help}"))?;
            let h = minutes(high).map_err(|e| format!("--free {text}: {e}; {help}"))?;
            (l, h, FreeUnit::Minutes)
        }
    };
    if !(low.is_finite() && high.is_finite() && low < high) {
        return Err(format!("--free {text}: the range must run from a lower to a higher finite value"));
    }
    let key = key.trim().to_string();
    Ok((Parameter { key, low, high }, unit))
}

/// A scenario whose free keys the calibration sets.
pub struct ScenarioModel<'a> {
    file_name: String,
    source: String,
    sets: Vec<String>,
    parameters: Vec<Parameter>,
    units: Vec<FreeUnit>,
    observed: &'a [Located],
    cancel: &'a AtomicBool,
}

impl<'a> ScenarioModel<'a> {
    /// Checks that the scenario loads at the corners of the box and at an
    /// inner point (a key that takes whole numbers cannot be fitted).
    pub fn new(
        file_name: &str,
        source: &str,
        sets: &[String],
        free: Vec<(Parameter, FreeUnit)>,
        observed: &'a [Located],
        cancel: &'a AtomicBool,
    ) -> Result<ScenarioModel<'a>, String> {
        let (parameters, units) = free.into_iter().unzip();
        let model = ScenarioModel {
            file_name: file_name.to_string(),
            source: source.to_string(),
            sets: sets.to_vec(),
            parameters,
            units,
            observed,
            cancel,
        };
        for at in [0.0, 0.37, 1.0] {
            let theta: Vec<f64> = model.parameters.iter().map(|p| p.low + at * (p.high - p.low)).collect();
            model.scenario_at(&theta).map_err(|e| {
                format!(
                    "the scenario does not load with the free keys at {}:\n{e}",
                    model.sets_at(&theta)[model.sets.len()..].join(" ")
                )
            })?;
        }
        Ok(model)
    }

    /// The value of parameter `k` as written into the scenario.
    pub fn value_text(&self, k: usize, x: f64) -> String {
        match self.units[k] {
            FreeUnit::Number => format!("{x}"),
            FreeUnit::Minutes => format!("{}m", (x * 60_000.0).round() / 60_000.0),
        }
    }

    /// The value of parameter `k` for reading: four significant digits.
    pub fn value_shown(&self, k: usize, x: f64) -> String {
        if x == 0.0 {
            return match self.units[k] {
                FreeUnit::Number => "0".into(),
                FreeUnit::Minutes => "0m".into(),
            };
        }
        let digits = (3 - x.abs().max(1e-9).log10().floor() as i32).clamp(0, 6) as usize;
        match self.units[k] {
            FreeUnit::Number => format!("{x:.digits$}"),
            FreeUnit::Minutes => format!("{x:.digits$}m"),
        }
    }

    /// The unit of parameter `k`.
    pub fn unit(&self, k: usize) -> FreeUnit {
        self.units[k]
    }

    /// The `--set` flags of the scenario at θ: the fixed ones, then the free keys.
    pub fn sets_at(&self, theta: &[f64]) -> Vec<String> {
        let mut sets = self.sets.clone();
        sets.extend(
            self.parameters
                .iter()
                .enumerate()
                .map(|(k, p)| format!("{}={}", p.key, self.value_text(k, theta[k]))),
        );
        sets
    }

    /// The scenario at θ.
    pub fn scenario_at(&self, theta: &[f64]) -> Result<Scenario, scenario::Invalid> {
        scenario::load_str(&self.file_name, &self.source, &self.sets_at(theta))
    }
}

impl Model for ScenarioModel<'_> {
    fn parameters(&self) -> &[Parameter] {
        &self.parameters
    }

    fn simulate(&self, theta: &[f64], replication: u64) -> Result<Vec<f64>, Cancelled> {
        // The box was checked in `new`; a value inside it that still does not
        // load gives NaN, which the calibration treats as no information.
        let Ok(s) = self.scenario_at(theta) else {
            return Ok(vec![f64::NAN; self.observed.len()]);
        };
        let model = crate::model::Model::compile(&s);
        let tally = simulate_cancellable(&model, s.seed, replication, self.cancel).ok_or(Cancelled)?;
        let o = observe(&model, &groups(&model), &tally);
        Ok(self.observed.iter().map(|l| o.groups[l.group][l.metric]).collect())
    }
}
