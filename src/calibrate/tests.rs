//! Calibration on synthetic truth: fake models whose metrics are known smooth
//! functions of θ plus seeded replication noise.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::design::{mix, SplitMix64};
use super::*;
use crate::erlang::Queue;

/// A standard normal deviate fixed by `key` (Box–Muller on two hashed uniforms).
fn normal(key: u64) -> f64 {
    let u1 = ((mix(key) >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
    let u2 = (mix(key ^ 0xA5A5_A5A5_A5A5_A5A5) >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x1177, |h, &p| mix(h ^ p.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
}

/// One stationary Erlang A region observed over a window of three days:
/// θ = (mean patience in minutes, calls per 30 minutes); handle time 3 minutes,
/// 13 nurses. Metrics: answered share (binomial noise on the window's calls)
/// and mean wait of all callers, abandoners counting their time (5 % + 0.005
/// min noise, partly common across θ — common random numbers — partly
/// independent of it). Both are exact and cheap (no quadrature).
struct ErlangModel {
    params: Vec<Parameter>,
    noise: u64,
}

const WINDOW_MINUTES: f64 = 3.0 * 24.0 * 60.0;

impl ErlangModel {
    fn new(noise: u64) -> Self {
        ErlangModel {
            params: vec![
                Parameter {
                    key: "region.A.patience.mean".into(),
                    low: 3.0,
                    high: 30.0,
                },
                Parameter {
                    key: "region.A.calls_per_30m".into(),
                    low: 80.0,
                    high: 120.0,
                },
            ],
            noise,
        }
    }

    fn truth(theta: &[f64]) -> (f64, f64, f64) {
        let q = Queue {
            lambda: theta[1] / 30.0,
            mu: 1.0 / 3.0,
            theta: 1.0 / theta[0],
            n: 13,
        };
        let calls = q.lambda * WINDOW_MINUTES;
        (1.0 - q.p_abandon(), q.mean_wait_all(), calls)
    }
}

impl Model for ErlangModel {
    fn parameters(&self) -> &[Parameter] {
        &self.params
    }

    fn simulate(&self, theta: &[f64], replication: u64) -> Result<Vec<f64>, Cancelled> {
        let (share, wait, calls) = Self::truth(theta);
        let z_share = normal(key(&[self.noise, replication, 0]));
        let z_wait = normal(key(&[self.noise, replication, 1]));
        let jitter = normal(key(&[self.noise, replication, 2, theta[0].to_bits(), theta[1].to_bits()]));
        let share_sd = (share * (1.0 - share) / calls).sqrt();
        let wait_sd = 0.05 * wait + 0.005;
        Ok(vec![share + share_sd * z_share, wait + wait_sd * (0.95 * z_wait + 0.3122 * jitter)])
    }
}

/// Observations of the Erlang model: one replication at θ* not used by the
/// calibration; the share with its count (binomial sd), the wait without sd
/// (the simulator's replication variance).
fn erlang_observations(model: &ErlangModel, theta: &[f64], replication: u64) -> Vec<Observation> {
    let y = model.simulate(theta, replication).unwrap();
    let (_, _, calls) = ErlangModel::truth(theta);
    vec![
        Observation {
            metric: "answered_share".into(),
            region: Some("A".into()),
            value: y[0],
            sd: None,
            count: Some(calls),
        },
        Observation {
            metric: "mean_wait_all".into(),
            region: Some("A".into()),
            value: y[1],
            sd: None,
            count: None,
        },
    ]
}

/// A model given by a closure of θ, with independent-of-θ replication noise `sd`.
struct FnModel<F: Fn(&[f64]) -> Vec<f64> + Sync> {
    params: Vec<Parameter>,
    f: F,
    sd: f64,
}

impl<F: Fn(&[f64]) -> Vec<f64> + Sync> Model for FnModel<F> {
    fn parameters(&self) -> &[Parameter] {
        &self.params
    }
    fn simulate(&self, theta: &[f64], replication: u64) -> Result<Vec<f64>, Cancelled> {
        Ok((self.f)(theta)
            .into_iter()
            .enumerate()
            .map(|(m, v)| v + self.sd * normal(key(&[7, replication, m as u64])))
            .collect())
    }
}

fn unit_params(keys: &[&str]) -> Vec<Parameter> {
    keys.iter()
        .map(|k| Parameter {
            key: k.to_string(),
            low: 0.0,
            high: 1.0,
        })
        .collect()
}

fn obs(metric: &str, value: f64, sd: f64) -> Observation {
    Observation {
        metric: metric.into(),
        region: None,
        value,
        sd: Some(sd),
        count: None,
    }
}

fn quiet(_: usize, _: usize) {}

/// The two-sided 99 % acceptance band of a binomial(n, p) count: the smallest
/// `lo` and largest `hi` with P(X < lo) ≤ 0.5 % and P(X > hi) ≤ 0.5 %.
fn binomial_band(n: usize, p: f64) -> (usize, usize) {
    let mut pmf = vec![0.0f64; n + 1];
    for (x, v) in pmf.iter_mut().enumerate() {
        let ln_choose = libm::lgamma(n as f64 + 1.0) - libm::lgamma(x as f64 + 1.0) - libm::lgamma((n - x) as f64 + 1.0);
        *v = (ln_choose + x as f64 * p.ln() + (n - x) as f64 * (1.0 - p).ln()).exp();
    }
    let mut lo = 0;
    let mut below = 0.0;
    while below + pmf[lo] <= 0.005 {
        below += pmf[lo];
        lo += 1;
    }
    let mut hi = n;
    let mut above = 0.0;
    while above + pmf[hi] <= 0.005 {
        above += pmf[hi];
        hi -= 1;
    }
    (lo, hi)
}

#[test]
fn binomial_band_is_right() {
    // n = 100, p = 0.95: P(X ≤ 88) = 0.0043 ≤ 0.005 < P(X ≤ 89), and P(X = 100) = 0.0059 > 0.005
    assert_eq!(binomial_band(100, 0.95), (89, 100));
    assert_eq!(binomial_band(1000, 0.5), (459, 541));
}

#[test]
fn two_parameters_both_identified() {
    let model = ErlangModel::new(1);
    let truth = [12.0, 104.0];
    let observations = erlang_observations(&model, &truth, 1_000_000);
    let cal = calibrate(&model, &observations, &Options::default(), &quiet).unwrap();
    println!("{}", serde_json::to_string_pretty(&cal).unwrap());
    assert!(cal.identifiable, "{cal:#?}");
    for (e, (p, &t)) in cal.parameters.iter().zip(model.params.iter().zip(&truth)) {
        assert!(e.identifiable && e.why.is_none());
        assert!(e.ci95[0] <= e.estimate && e.estimate <= e.ci95[1]);
        // informative: far narrower than the box
        assert!(e.ci95[1] - e.ci95[0] < 0.3 * (p.high - p.low), "{e:?}");
        // a single trial's interval should hold the truth; the seeded case does
        assert!(e.ci95[0] <= t && t <= e.ci95[1], "{e:?} misses {t}");
    }
    assert_eq!(cal.fit.len(), 2);
    assert_eq!(cal.fit[0].sd_rule, "binomial");
    assert_eq!(cal.fit[1].sd_rule, "replication");
    for row in &cal.fit {
        assert!(row.simulated.ci95[0] < row.simulated.mean && row.simulated.mean < row.simulated.ci95[1]);
        // the observation lies within three of its own sd of the fitted simulation
        assert!((row.observed - row.simulated.mean).abs() < 3.0 * row.sd, "{row:?}");
    }
}

/// Coverage on synthetic truth: θ* drawn uniformly from the box (the prior),
/// one observation of each metric drawn at θ*, calibrate, and count how often
/// each parameter's 95 % interval covers θ*. Under a uniform prior a correct
/// posterior covers with probability exactly 0.95, so the count must lie in
/// the binomial 99 % acceptance band. Print with `-- --nocapture`; it reports
/// 940/1000 (patience) and 945/1000 (volume) against the band [931, 967];
/// 30 calibrations are flagged not identifiable (low volume: few abandon, so
/// patience is hardly observed).
#[test]
fn coverage_on_synthetic_truth() {
    const TRIALS: usize = 1000;
    let mut truth_rng = SplitMix64::new(2026);
    let thetas: Vec<[f64; 2]> = (0..TRIALS)
        .map(|_| [3.0 + 27.0 * truth_rng.uniform(), 80.0 + 40.0 * truth_rng.uniform()])
        .collect();
    let results: Vec<(bool, bool, usize, f64, f64, bool)> = thetas
        .par_iter()
        .enumerate()
        .map(|(i, theta)| {
            let model = ErlangModel::new(1000 + i as u64);
            let observations = erlang_observations(&model, theta, 1_000_000 + i as u64);
            let options = Options {
                seed: i as u64,
                ..Options::default()
            };
            let cal = calibrate(&model, &observations, &options, &quiet).unwrap();
            let covers = |j: usize| cal.parameters[j].ci95[0] <= theta[j] && theta[j] <= cal.parameters[j].ci95[1];
            let width = |j: usize| (cal.parameters[j].ci95[1] - cal.parameters[j].ci95[0]) / (model.params[j].high - model.params[j].low);
            (covers(0), covers(1), cal.simulations, width(0), width(1), cal.identifiable)
        })
        .collect();
    let (lo, hi) = binomial_band(TRIALS, 0.95);
    let c0 = results.iter().filter(|r| r.0).count();
    let c1 = results.iter().filter(|r| r.1).count();
    let both = results.iter().filter(|r| r.0 && r.1).count();
    let sims = results.iter().map(|r| r.2).sum::<usize>() as f64 / TRIALS as f64;
    let w0 = results.iter().map(|r| r.3).sum::<f64>() / TRIALS as f64;
    let w1 = results.iter().map(|r| r.4).sum::<f64>() / TRIALS as f64;
    let flagged = results.iter().filter(|r| !r.5).count();
    println!(
        "coverage over {TRIALS} trials: patience {c0}/{TRIALS} = {:.3}, volume {c1}/{TRIALS} = {:.3}, both {both}/{TRIALS}; \
         99 % band [{lo}, {hi}]; mean interval width {:.3} and {:.3} of the box; {sims:.0} simulations per calibration; \
         {flagged} calibrations flagged not identifiable",
        c0 as f64 / TRIALS as f64,
        c1 as f64 / TRIALS as f64,
        w0,
        w1
    );
    assert!((lo..=hi).contains(&c0), "patience coverage {c0}/{TRIALS} outside [{lo}, {hi}]");
    assert!((lo..=hi).contains(&c1), "volume coverage {c1}/{TRIALS} outside [{lo}, {hi}]");
}

#[test]
fn a_parameter_the_metrics_ignore_is_not_identifiable() {
    let model = FnModel {
        params: unit_params(&["a", "b", "unused"]),
        f: |t: &[f64]| vec![t[0] + 0.5 * t[1], t[0] - t[1] * t[1]],
        sd: 0.01,
    };
    let observations = vec![obs("m1", 0.3 + 0.5 * 0.6, 0.01), obs("m2", 0.3 - 0.36, 0.01)];
    let cal = calibrate(&model, &observations, &Options::default(), &quiet).unwrap();
    println!("{}", serde_json::to_string_pretty(&cal).unwrap());
    assert!(!cal.identifiable);
    assert!(cal.parameters[0].identifiable && cal.parameters[1].identifiable, "{cal:#?}");
    let unused = &cal.parameters[2];
    assert!(!unused.identifiable);
    assert!(unused.why.as_deref().unwrap().starts_with("flat"), "{unused:?}");
    assert!(unused.ci95[1] - unused.ci95[0] > 0.9, "{unused:?}");
}

#[test]
fn a_two_mode_parameter_is_flagged() {
    // m1 = (a − 0.5)² observed at 0.04: a = 0.3 and a = 0.7 fit equally well
    let model = FnModel {
        params: unit_params(&["a", "b"]),
        f: |t: &[f64]| vec![(t[0] - 0.5).powi(2), t[1]],
        sd: 0.002,
    };
    let observations = vec![obs("m1", 0.04, 0.002), obs("m2", 0.4, 0.01)];
    let cal = calibrate(&model, &observations, &Options::default(), &quiet).unwrap();
    println!("{}", serde_json::to_string_pretty(&cal).unwrap());
    assert!(!cal.identifiable);
    let a = &cal.parameters[0];
    assert!(!a.identifiable);
    let why = a.why.as_deref().unwrap();
    assert!(why.contains("multi-modal"), "{why}");
    // both modes are named, each close to its true place (bins are 1/40 of the region)
    let modes: Vec<f64> = why
        .rsplit("near ")
        .next()
        .unwrap()
        .split(", ")
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(modes.len(), 2, "{why}");
    assert!((modes[0] - 0.3).abs() < 0.03 && (modes[1] - 0.7).abs() < 0.03, "{modes:?}");
    assert!(cal.parameters[1].identifiable, "{cal:#?}");
}

#[test]
fn deterministic_given_the_seed() {
    let model = ErlangModel::new(5);
    let observations = erlang_observations(&model, &[20.0, 90.0], 1_000_000);
    let run = |seed| {
        let options = Options {
            seed,
            ..Options::default()
        };
        serde_json::to_string(&calibrate(&model, &observations, &options, &quiet).unwrap()).unwrap()
    };
    let a = run(3);
    assert_eq!(a, run(3));
    assert_eq!(
        a,
        rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap().install(|| run(3))
    );
    assert_ne!(a, run(4));
}

#[test]
fn json_has_the_documented_shape() {
    let model = ErlangModel::new(6);
    let observations = erlang_observations(&model, &[10.0, 110.0], 1_000_000);
    let cal = calibrate(&model, &observations, &Options::default(), &quiet).unwrap();
    let v: serde_json::Value = serde_json::to_value(&cal).unwrap();
    let p = &v["parameters"][0];
    assert_eq!(p["key"], "region.A.patience.mean");
    assert!(p["estimate"].is_f64() && p["ci95"][0].is_f64() && p["ci95"][1].is_f64());
    let f = &v["fit"][0];
    assert_eq!(f["metric"], "answered_share");
    assert_eq!(f["region"], "A");
    assert!(f["observed"].is_f64() && f["simulated"]["mean"].is_f64() && f["simulated"]["ci95"][1].is_f64());
    assert!(v["identifiable"].is_boolean());
    assert_eq!(v["simulations"].as_u64().unwrap() as usize, cal.simulations);
}

#[test]
fn progress_is_reported_and_ends_at_total() {
    let model = ErlangModel::new(8);
    let observations = erlang_observations(&model, &[15.0, 100.0], 1_000_000);
    let calls = Mutex::new(Vec::new());
    let cal = calibrate(&model, &observations, &Options::default(), &|d, t| {
        calls.lock().unwrap().push((d, t))
    })
    .unwrap();
    let calls = calls.into_inner().unwrap();
    let total = calls[0].1;
    assert!(calls.iter().all(|&(d, t)| t == total && d <= total));
    assert_eq!(*calls.last().unwrap(), (total, total));
    assert_eq!(calls.len(), cal.simulations + 1);
    let mut seen: Vec<usize> = calls[..calls.len() - 1].iter().map(|c| c.0).collect();
    seen.sort();
    assert_eq!(seen, (1..=cal.simulations).collect::<Vec<_>>());
}

/// Cancelled after a given number of simulations.
struct Cancelling {
    inner: ErlangModel,
    after: usize,
    calls: AtomicUsize,
}

impl Model for Cancelling {
    fn parameters(&self) -> &[Parameter] {
        self.inner.parameters()
    }
    fn simulate(&self, theta: &[f64], replication: u64) -> Result<Vec<f64>, Cancelled> {
        if self.calls.fetch_add(1, Ordering::Relaxed) >= self.after {
            return Err(Cancelled);
        }
        self.inner.simulate(theta, replication)
    }
}

#[test]
fn cancellation_propagates() {
    let inner = ErlangModel::new(9);
    let observations = erlang_observations(&inner, &[15.0, 100.0], 1_000_000);
    for after in [0, 5, 300] {
        let model = Cancelling {
            inner: ErlangModel::new(9),
            after,
            calls: AtomicUsize::new(0),
        };
        assert_eq!(
            calibrate(&model, &observations, &Options::default(), &quiet),
            Err(CalibrateError::Cancelled)
        );
    }
}

#[test]
fn invalid_inputs_are_refused_with_a_reason() {
    let model = ErlangModel::new(1);
    let good = erlang_observations(&model, &[15.0, 100.0], 1_000_000);
    let err = |observations: &[Observation], options: &Options| match calibrate(&model, observations, options, &quiet) {
        Err(CalibrateError::Invalid(m)) => m,
        other => panic!("{other:?}"),
    };
    assert!(err(&[], &Options::default()).contains("no observation"));
    let mut bad = good.clone();
    bad[1].count = Some(100.0);
    assert!(err(&bad, &Options::default()).contains("give sd"));
    let mut bad = good.clone();
    bad[0].value = 1.5;
    assert!(err(&bad, &Options::default()).contains("between 0 and 1"));
    let mut bad = good.clone();
    bad[0].sd = Some(-1.0);
    assert!(err(&bad, &Options::default()).contains("positive"));
    assert!(err(&good[..1], &Options::default()).contains("returned 2 metrics for 1"));
    assert!(err(
        &good,
        &Options {
            replications: 1,
            ..Options::default()
        }
    )
    .contains("at least 2"));
    let flat = FnModel {
        params: vec![Parameter {
            key: "x".into(),
            low: 1.0,
            high: 1.0,
        }],
        f: |t: &[f64]| vec![t[0]],
        sd: 0.1,
    };
    match calibrate(&flat, &[obs("m", 1.0, 0.1)], &Options::default(), &quiet) {
        Err(CalibrateError::Invalid(m)) => assert!(m.contains("low < high"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn t_quantiles() {
    assert!((t975(19) - 2.093).abs() < 1e-3, "{}", t975(19));
    assert!((t975(9) - 2.262).abs() < 1e-3, "{}", t975(9));
    assert!((t975(3) - 3.182).abs() < 2e-2, "{}", t975(3));
}
