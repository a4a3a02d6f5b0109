//! Calibration: fit unknown parameters of a simulator to observed aggregates,
//! with honest uncertainty, behind a small [`Model`] trait so that the method
//! can be tested on synthetic truth independently of the simulator.
//!
//! # Method (sequential quadratic emulation, then a Bayesian posterior)
//!
//! The simulator is expensive and noisy, so it is never searched directly.
//! Instead, in *waves* (the history-matching scheme of Craig, Goldstein et al.):
//!
//! 1. **Design.** A randomly shifted Halton sequence (seeded) fills the current
//!    region of the parameter box with `4·q` points (q = number of quadratic
//!    terms, at least 16). Every point is simulated with the same replication
//!    indices `0..R`: common random numbers, so differences between points are
//!    differences of θ, not of luck.
//! 2. **Surrogate.** For each observed metric, a full quadratic in θ (with
//!    interactions) is fitted by least squares to the points' replication means
//!    inside the region. Its error is estimated by the residual variance s²,
//!    and its variance at θ is s²·(1 + h(θ)), h the leverage: lack of fit plus
//!    the uncertainty of the coefficients.
//! 3. **Likelihood.** Each observation y is Gaussian around the surrogate m(θ)
//!    with variance = observation variance + simulation variance of an
//!    R-replication mean, σ²_rep(θ)/R (σ²_rep itself a quadratic surface of the
//!    points' replication variances) + surrogate variance. Observation
//!    variance: the given `sd`²; else, for a share with a known `count` n,
//!    p(1−p)/n with p the share the model predicts at θ (the binomial
//!    likelihood; the fit table shows it at the observed share); else the
//!    simulator's own replication variance σ²_rep(θ) — the observed window is
//!    taken as one more replication of the modelled window, which is exactly
//!    right when the scenario describes the observed period, and is the
//!    honest default for counts, waits and percentiles.
//! 4. **Posterior.** Uniform prior on the box; the posterior is evaluated on a
//!    dense quasi-random sample of the region (8192 points by default) as
//!    importance weights. Its 0.05 %–99.95 % marginal quantiles, widened by 25 %
//!    on each side, give the next wave's region. A quadratic is a good local
//!    model, so the surrogate becomes exact where it matters as the region
//!    shrinks. Waves stop when the region no longer shrinks (every side at least
//!    70 % of the previous) and the posterior is not cut by the region's edge.
//! 5. **Report.** Per parameter the posterior median and the equal-tailed 95 %
//!    credible interval. The fit: every observation beside the simulated value
//!    at the estimate, mean and 95 % confidence interval over fresh
//!    replications (indices `R..R+R_fit`, never used by the design).
//!
//! Why this method: it needs few simulations (a 2-parameter calibration takes
//! about 1000 replications), it is deterministic given the seed, it uses common
//! random numbers throughout, every source of error enters the likelihood
//! explicitly, and because the prior is uniform over the box, the credible
//! intervals have 95 % coverage when the truth is drawn from the box (the tests
//! check this on synthetic truth).
//!
//! **Identifiability.** A parameter is flagged *not identifiable* when its
//! posterior is flat — the 95 % interval covers more than 80 % of the box, or
//! the posterior variance is more than 80 % of the prior's — or multi-modal:
//! two clearly separated peaks in its marginal posterior (each at least a
//! quarter of the highest, with a valley below half the lower one between).
//! `Calibration::identifiable` is false when any parameter is flagged.

pub mod calibrated;
mod design;
pub mod observed;
pub mod scenario_model;
mod surrogate;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use design::{shifted_halton, SplitMix64};
use surrogate::{n_features, Quadratic, QuadraticDesign, Region};

/// The simulation was cancelled (for instance by Ctrl-C); calibration stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// A simulator seen by the calibration: free parameters in, observed metrics out.
///
/// For nursequeue's own simulator: one parameter per `--free KEY=LOW..HIGH`
/// (durations in minutes); `simulate` applies `KEY=value` to the parsed
/// scenario as `--set` does, compiles it, runs the single replication
/// `replication` (its random streams derived from the scenario's seed and that
/// index, as `run` does), and reads each observation's metric for its region
/// (or the total) over its window from that replication's summary.
pub trait Model: Sync {
    /// The free parameters and their boxes, in the order of θ.
    fn parameters(&self) -> &[Parameter];

    /// One replication at θ: the value of every observed metric, in the order
    /// of the observations passed to [`calibrate`]. The replication index fixes
    /// the random numbers, whatever θ (common random numbers).
    fn simulate(&self, theta: &[f64], replication: u64) -> Result<Vec<f64>, Cancelled>;
}

/// One free parameter: a key (as `--set` accepts it) and its box.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Parameter {
    pub key: String,
    pub low: f64,
    pub high: f64,
}

/// An observed aggregate, in the units of the outputs (shares as fractions,
/// waits in minutes, counts per replication over the window).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    pub metric: String,
    pub region: Option<String>,
    pub value: f64,
    /// The observation's own standard deviation.
    pub sd: Option<f64>,
    /// The number of calls a share was measured on.
    pub count: Option<f64>,
}

/// Whether a metric is a share of calls (binomial when its count is known).
pub fn is_share(metric: &str) -> bool {
    metric.ends_with("_share") || metric.starts_with("answered_within")
}

/// Settings of a calibration; `Default` gives sensible ones.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    pub seed: u64,
    /// Replications per design point (R, at least 2).
    pub replications: usize,
    /// Design points per wave (default 4·q, at least 16).
    pub points_per_wave: Option<usize>,
    /// At most this many waves (at least 1).
    pub max_waves: usize,
    /// Quasi-random points on which the posterior is evaluated.
    pub posterior_samples: usize,
    /// Fresh replications at the estimate for the fit table (at least 2).
    pub fit_replications: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 1177,
            replications: 10,
            points_per_wave: None,
            max_waves: 6,
            posterior_samples: 8192,
            fit_replications: 20,
        }
    }
}

/// Why a calibration did not produce a result.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CalibrateError {
    #[error("calibration cancelled")]
    Cancelled,
    #[error("{0}")]
    Invalid(String),
}

impl From<Cancelled> for CalibrateError {
    fn from(_: Cancelled) -> Self {
        CalibrateError::Cancelled
    }
}

/// One parameter's estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub key: String,
    /// Posterior median.
    pub estimate: f64,
    /// Equal-tailed 95 % credible interval.
    pub ci95: [f64; 2],
    /// Posterior standard deviation.
    pub sd: f64,
    pub identifiable: bool,
    /// Why the parameter is not identifiable (absent when it is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
}

/// A simulated value: mean over replications and its 95 % confidence interval.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Simulated {
    pub mean: f64,
    pub ci95: [f64; 2],
}

/// One observation beside the simulated value at the estimate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FitRow {
    pub metric: String,
    pub region: Option<String>,
    pub observed: f64,
    /// The observation's standard deviation used in the likelihood.
    pub sd: f64,
    /// Where `sd` comes from: "given", "binomial" or "replication".
    pub sd_rule: &'static str,
    pub simulated: Simulated,
}

/// Standard deviations between an observation and the simulated value at
/// the estimate beyond which the fit is reported as poor.
pub const MISFIT_Z: f64 = 4.0;

/// The result of a calibration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Calibration {
    pub parameters: Vec<Estimate>,
    /// False when an observation lies far (more than [`MISFIT_Z`] standard
    /// deviations) from the simulated value at the estimate.
    pub fits: bool,
    pub fit: Vec<FitRow>,
    /// False when any parameter is not identifiable.
    pub identifiable: bool,
    /// Simulated replications in all (design and fit).
    pub simulations: usize,
    /// Waves of design run.
    pub waves: usize,
    /// Effective number of posterior samples in the last wave.
    pub effective_samples: f64,
    /// Caveats (the waves did not settle, the surrogate error dominates, …).
    pub notes: Vec<String>,
}

/// A design point with the mean and variance of each metric over its replications.
struct Point {
    u: Vec<f64>,
    mean: Vec<f64>,
    var: Vec<f64>,
}

/// The observation's variance rule, before the replication variance is known.
#[derive(Clone, Copy)]
enum SdRule {
    Given(f64),
    /// sd at the observed share, and the count
    Binomial(f64, f64),
    Replication,
}

fn validate(params: &[Parameter], obs: &[Observation], opt: &Options) -> Result<Vec<SdRule>, CalibrateError> {
    fn bad<T>(m: String) -> Result<T, CalibrateError> {
        Err(CalibrateError::Invalid(m))
    }
    if params.is_empty() {
        return bad("no free parameter: give at least one".into());
    }
    if params.len() > design::MAX_DIMENSIONS {
        return bad(format!(
            "{} free parameters: at most {} are supported",
            params.len(),
            design::MAX_DIMENSIONS
        ));
    }
    for (i, p) in params.iter().enumerate() {
        if !(p.low.is_finite() && p.high.is_finite() && p.low < p.high) {
            return bad(format!(
                "free parameter {}: its range {}..{} must be finite with low < high",
                p.key, p.low, p.high
            ));
        }
        if params[..i].iter().any(|o| o.key == p.key) {
            return bad(format!("free parameter {} is given twice", p.key));
        }
    }
    if obs.is_empty() {
        return bad("no observation: give at least one".into());
    }
    if opt.replications < 2 || opt.fit_replications < 2 || opt.max_waves < 1 || opt.posterior_samples < 100 {
        return bad(
            "options: replications and fit replications must be at least 2, waves at least 1, posterior samples at least 100".into(),
        );
    }
    if let Some(n) = opt.points_per_wave {
        if n < n_features(params.len()) + 2 {
            return bad(format!(
                "{n} points per wave cannot fit a quadratic in {} parameters: give at least {}",
                params.len(),
                n_features(params.len()) + 2
            ));
        }
    }
    obs.iter()
        .map(|o| {
            let what = match &o.region {
                Some(r) => format!("observation {} of {r}", o.metric),
                None => format!("observation {}", o.metric),
            };
            if !o.value.is_finite() {
                return bad(format!("{what}: the value must be a finite number"));
            }
            if let Some(sd) = o.sd {
                if !(sd.is_finite() && sd > 0.0) {
                    return bad(format!("{what}: sd must be a positive number"));
                }
                return Ok(SdRule::Given(sd));
            }
            if let Some(n) = o.count {
                if !is_share(&o.metric) {
                    return bad(format!("{what}: a count only defines the sd of a share; give sd instead"));
                }
                if !(n.is_finite() && n >= 1.0) {
                    return bad(format!("{what}: count must be at least 1"));
                }
                if !(0.0..=1.0).contains(&o.value) {
                    return bad(format!("{what}: a share must lie between 0 and 1"));
                }
                // keep p(1−p) away from zero: a share observed as 0 or 1 still has
                // the uncertainty of half a call
                let p = o.value.clamp(0.5 / n, 1.0 - 0.5 / n);
                return Ok(SdRule::Binomial((p * (1.0 - p) / n).sqrt(), n));
            }
            Ok(SdRule::Replication)
        })
        .collect()
}

/// Runs `points × replications` simulations in parallel, results in a fixed order.
fn simulate_all<M: Model + ?Sized>(
    model: &M,
    thetas: &[Vec<f64>],
    reps: std::ops::Range<u64>,
    n_metrics: usize,
    done: &AtomicUsize,
    total: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<Vec<Vec<f64>>>, CalibrateError> {
    let nrep = (reps.end - reps.start) as usize;
    let jobs: Vec<(usize, u64)> = (0..thetas.len()).flat_map(|i| reps.clone().map(move |r| (i, r))).collect();
    let out: Vec<Vec<f64>> = jobs
        .par_iter()
        .map(|&(i, r)| {
            let v = model.simulate(&thetas[i], r)?;
            let d = done.fetch_add(1, Ordering::Relaxed) + 1;
            progress(d, total);
            if v.len() != n_metrics {
                return Err(CalibrateError::Invalid(format!(
                    "the model returned {} metrics for {} observations",
                    v.len(),
                    n_metrics
                )));
            }
            if let Some(k) = v.iter().position(|x| !x.is_finite()) {
                let at: Vec<String> = model
                    .parameters()
                    .iter()
                    .zip(&thetas[i])
                    .map(|(p, x)| format!("{}={x:.4}", p.key))
                    .collect();
                return Err(CalibrateError::Invalid(format!(
                    "observation #{} has no simulated value at {} (an empty denominator, such as no answered calls)\n  = help: narrow the --free ranges so that every observed metric is defined across them",
                    k + 1,
                    at.join(" ")
                )));
            }
            Ok(v)
        })
        .collect::<Result<_, CalibrateError>>()?;
    let mut chunks = out.into_iter();
    Ok((0..thetas.len()).map(|_| chunks.by_ref().take(nrep).collect()).collect())
}

fn mean_var(values: &[Vec<f64>], k: usize) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|v| v[k]).sum::<f64>() / n;
    let var = values.iter().map(|v| (v[k] - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// Weighted quantile of (value, weight) pairs sorted by value.
fn weighted_quantile(sorted: &[(f64, f64)], total: f64, q: f64) -> f64 {
    let target = q * total;
    let mut cum = 0.0;
    for &(x, w) in sorted {
        cum += w;
        if cum >= target {
            return x;
        }
    }
    sorted.last().map(|s| s.0).unwrap_or(f64::NAN)
}

/// The 0.975 quantile of Student's t with `df` degrees of freedom
/// (Cornish–Fisher expansion about the normal quantile; exact to 1e-3 for df ≥ 3).
fn t975(df: usize) -> f64 {
    match df {
        0 => f64::INFINITY,
        1 => 12.706,
        2 => 4.303,
        3 => 3.182,
        4 => 2.776,
        _ => {
            let z: f64 = 1.959_963_984_540_054;
            let n = df as f64;
            z + (z.powi(3) + z) / (4.0 * n)
                + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * n * n)
                + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * n.powi(3))
        }
    }
}

/// The posterior of one wave: sample points (unit coordinates) and normalised weights.
struct Posterior {
    samples: Vec<Vec<f64>>,
    weights: Vec<f64>,
    /// max over metrics of surrogate variance / (observation + simulation variance)
    surrogate_share: f64,
}

impl Posterior {
    fn marginal(&self, k: usize) -> (Vec<(f64, f64)>, f64) {
        let mut m: Vec<(f64, f64)> = self.samples.iter().zip(&self.weights).map(|(s, &w)| (s[k], w)).collect();
        m.sort_by(|a, b| a.0.total_cmp(&b.0));
        (m, 1.0)
    }

    fn effective_samples(&self) -> f64 {
        1.0 / self.weights.iter().map(|w| w * w).sum::<f64>()
    }
}

fn posterior(region: &Region, points: &[Point], obs: &[Observation], rules: &[SdRule], opt: &Options, rng: &mut SplitMix64) -> Posterior {
    let d = region.lo.len();
    let local: Vec<&Point> = points.iter().filter(|p| region.contains(&p.u)).collect();
    let refs: Vec<&[f64]> = local.iter().map(|p| p.u.as_slice()).collect();
    let design = QuadraticDesign::new(region, &refs);
    let r = opt.replications as f64;
    // per metric: the surface of its mean, the surface of its replication
    // variance (so the variance follows θ), the pooled replication variance
    struct Metric {
        mean: Quadratic,
        rep_var: Quadratic,
        pooled: f64,
        floor: f64,
    }
    let mut metrics = Vec::with_capacity(obs.len());
    let mut surrogate_share: f64 = 0.0;
    for (k, rule) in rules.iter().enumerate() {
        let y: Vec<f64> = local.iter().map(|p| p.mean[k]).collect();
        let vars: Vec<f64> = local.iter().map(|p| p.var[k]).collect();
        let pooled = vars.iter().sum::<f64>() / vars.len() as f64;
        let obs_var = match *rule {
            SdRule::Given(sd) | SdRule::Binomial(sd, _) => sd * sd,
            SdRule::Replication => pooled,
        };
        // a metric that never varies (a constant) must not give a zero variance
        let floor = 1e-12 * (1.0 + obs[k].value.abs()).powi(2);
        let mean = design.fit(&y);
        surrogate_share = surrogate_share.max(mean.residual_var / (obs_var + pooled / r).max(floor));
        metrics.push(Metric {
            mean,
            rep_var: design.fit(&vars),
            pooled,
            floor,
        });
    }
    let samples: Vec<Vec<f64>> = shifted_halton(opt.posterior_samples, d, rng)
        .iter()
        .map(|v| region.place(v))
        .collect();
    let log_post: Vec<f64> = samples
        .par_iter()
        .map(|u| {
            let (x, h) = design.at(u);
            metrics
                .iter()
                .zip(rules)
                .zip(obs)
                .map(|((m, rule), o)| {
                    let mu = m.mean.predict(&x);
                    // the replication variance at θ, kept above a tenth of its average
                    let rep_var = m.rep_var.predict(&x).max(0.1 * m.pooled);
                    let obs_var = match *rule {
                        SdRule::Given(sd) => sd * sd,
                        // the binomial variance of the share the model predicts at θ
                        SdRule::Binomial(_, n) => {
                            let p = mu.clamp(0.5 / n, 1.0 - 0.5 / n);
                            p * (1.0 - p) / n
                        }
                        SdRule::Replication => rep_var,
                    };
                    let var = (obs_var + rep_var / r).max(m.floor) + m.mean.residual_var * (1.0 + h);
                    let e = o.value - mu;
                    -0.5 * (e * e / var + var.ln())
                })
                .sum::<f64>()
        })
        .collect();
    let max = log_post.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let mut weights: Vec<f64> = log_post.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= total);
    Posterior {
        samples,
        weights,
        surrogate_share,
    }
}

/// Separated peaks of a marginal posterior (as positions in unit coordinates).
fn modes(marginal: &[(f64, f64)], lo: f64, hi: f64) -> Vec<f64> {
    const BINS: usize = 40;
    let width = (hi - lo).max(1e-300);
    let mut hist = [0.0f64; BINS];
    for &(x, w) in marginal {
        let b = (((x - lo) / width) * BINS as f64).floor().clamp(0.0, (BINS - 1) as f64) as usize;
        hist[b] += w;
    }
    let smooth: Vec<f64> = (0..BINS)
        .map(|i| {
            let l = if i > 0 { hist[i - 1] } else { hist[i] };
            let r = if i + 1 < BINS { hist[i + 1] } else { hist[i] };
            0.25 * l + 0.5 * hist[i] + 0.25 * r
        })
        .collect();
    let top = smooth.iter().cloned().fold(0.0, f64::max);
    // local maxima (plateaus count once) that reach a quarter of the top
    let mut peaks: Vec<usize> = Vec::new();
    for i in 0..BINS {
        let left_ok = i == 0 || smooth[i] > smooth[i - 1];
        let right_ok = smooth[i + 1..].iter().find(|&&v| v != smooth[i]).is_none_or(|&v| v < smooth[i]);
        if left_ok && right_ok && smooth[i] >= 0.25 * top {
            peaks.push(i);
        }
    }
    // merge neighbours that are not separated by a valley below half the lower peak
    let mut kept: Vec<usize> = Vec::new();
    for p in peaks {
        if let Some(&last) = kept.last() {
            let valley = smooth[last..=p].iter().cloned().fold(f64::INFINITY, f64::min);
            if valley > 0.5 * smooth[last].min(smooth[p]) {
                if smooth[p] > smooth[last] {
                    *kept.last_mut().unwrap() = p;
                }
                continue;
            }
        }
        kept.push(p);
    }
    kept.iter().map(|&i| lo + (i as f64 + 0.5) / BINS as f64 * width).collect()
}

/// Calibrates `model` to `observations`. `progress(done, total)` is called after
/// every simulation; `total` is the planned maximum (the last call has
/// `done == total` even when the waves stopped early).
pub fn calibrate<M: Model + ?Sized>(
    model: &M,
    observations: &[Observation],
    options: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Calibration, CalibrateError> {
    let params = model.parameters();
    let rules = validate(params, observations, options)?;
    let d = params.len();
    let k = observations.len();
    let n_wave = options.points_per_wave.unwrap_or((4 * n_features(d)).max(16));
    let r = options.replications as u64;
    let total = options.max_waves * n_wave * options.replications + options.fit_replications;
    let done = AtomicUsize::new(0);
    let mut rng = SplitMix64::new(options.seed);
    let to_theta = |u: &[f64]| -> Vec<f64> { u.iter().zip(params).map(|(&x, p)| p.low + x * (p.high - p.low)).collect() };

    let mut points: Vec<Point> = Vec::new();
    let mut region = Region::unit(d);
    let mut notes = Vec::new();
    let mut waves = 0;
    let post = loop {
        waves += 1;
        let us: Vec<Vec<f64>> = shifted_halton(n_wave, d, &mut rng).iter().map(|v| region.place(v)).collect();
        let thetas: Vec<Vec<f64>> = us.iter().map(|u| to_theta(u)).collect();
        let sims = simulate_all(model, &thetas, 0..r, k, &done, total, progress)?;
        for (u, reps) in us.into_iter().zip(sims) {
            let (mean, var) = (0..k).map(|m| mean_var(&reps, m)).unzip();
            points.push(Point { u, mean, var });
        }
        let post = posterior(&region, &points, observations, &rules, options, &mut rng);

        // the next region: the marginal 0.05 %–99.95 % quantiles, widened by 25 % a side
        let mut next = Region::unit(d);
        for j in 0..d {
            let (m, tot) = post.marginal(j);
            let (a, b) = (weighted_quantile(&m, tot, 0.0005), weighted_quantile(&m, tot, 0.9995));
            let margin = 0.25 * (b - a);
            next.lo[j] = (a - margin).max(0.0);
            next.hi[j] = (b + margin).min(1.0);
            // a region must keep a width the design can resolve
            if next.hi[j] - next.lo[j] < 1e-9 {
                let c = 0.5 * (a + b);
                next.lo[j] = (c - 5e-10).max(0.0);
                next.hi[j] = (c + 5e-10).min(1.0);
            }
        }
        let inside = (0..d).all(|j| next.lo[j] >= region.lo[j] - 1e-12 && next.hi[j] <= region.hi[j] + 1e-12);
        let settled = (0..d).all(|j| next.hi[j] - next.lo[j] >= 0.7 * (region.hi[j] - region.lo[j]));
        let surrogate_ok = post.surrogate_share < 0.5;
        if (waves >= 2 && inside && settled && surrogate_ok) || waves >= options.max_waves {
            if !(inside && settled) {
                notes.push(format!(
                    "the design had not settled after {waves} waves: the posterior may be cut by the design region; allow more waves"
                ));
            }
            if !surrogate_ok {
                notes.push(format!(
                    "the quadratic surrogate's error is {:.0} % of the observation and simulation variance: intervals are wider than the data alone would give",
                    100.0 * post.surrogate_share
                ));
            }
            break post;
        }
        // keep the new region within reach of the old one's data: a region that
        // moves out entirely is still fitted on its own wave's points
        region = next;
    };

    let ess = post.effective_samples();
    if ess < 200.0 {
        notes.push(format!(
            "the posterior rests on {ess:.0} effective samples: its quantiles are coarse"
        ));
    }

    let mut estimates = Vec::with_capacity(d);
    let mut est_u = Vec::with_capacity(d);
    for (j, p) in params.iter().enumerate() {
        let (m, tot) = post.marginal(j);
        let median = weighted_quantile(&m, tot, 0.5);
        let (a, b) = (weighted_quantile(&m, tot, 0.025), weighted_quantile(&m, tot, 0.975));
        let mean: f64 = m.iter().map(|(x, w)| x * w).sum();
        let var: f64 = m.iter().map(|(x, w)| w * (x - mean).powi(2)).sum();
        let scale = p.high - p.low;
        let mut why = Vec::new();
        if b - a > 0.8 {
            why.push(format!("flat: the 95 % interval covers {:.0} % of the range", 100.0 * (b - a)));
        } else if var > 0.8 / 12.0 {
            why.push(format!(
                "flat: the posterior variance is {:.0} % of the prior's",
                100.0 * var * 12.0
            ));
        }
        let peaks = modes(&m, region.lo[j], region.hi[j]);
        if peaks.len() > 1 {
            // a peak in the outermost bin against the box's own edge is posterior
            // mass piled up at a bound: say so, it means "at least" / "at most"
            let bin = (region.hi[j] - region.lo[j]) / 40.0;
            let at: Vec<String> = peaks
                .iter()
                .map(|&x| {
                    let edge = (x - 0.0 < bin && region.lo[j] == 0.0) || (1.0 - x < bin && region.hi[j] == 1.0);
                    format!("{:.4}{}", p.low + x * scale, if edge { " (the edge of the box)" } else { "" })
                })
                .collect();
            why.push(format!("multi-modal: separate modes near {}", at.join(", ")));
        }
        est_u.push(median);
        estimates.push(Estimate {
            key: p.key.clone(),
            estimate: p.low + median * scale,
            ci95: [p.low + a * scale, p.low + b * scale],
            sd: var.sqrt() * scale,
            identifiable: why.is_empty(),
            why: if why.is_empty() { None } else { Some(why.join("; ")) },
        });
    }

    // the fit: fresh replications at the estimate
    let theta = to_theta(&est_u);
    let fresh = r..r + options.fit_replications as u64;
    let reps = simulate_all(model, std::slice::from_ref(&theta), fresh, k, &done, total, progress)?.remove(0);
    let t = t975(reps.len() - 1);
    let fit: Vec<FitRow> = observations
        .iter()
        .zip(&rules)
        .enumerate()
        .map(|(m, (o, rule))| {
            let (mean, var) = mean_var(&reps, m);
            let half = t * (var / reps.len() as f64).sqrt();
            let (sd, sd_rule) = match *rule {
                SdRule::Given(sd) => (sd, "given"),
                SdRule::Binomial(sd, _) => (sd, "binomial"),
                SdRule::Replication => (var.sqrt(), "replication"),
            };
            FitRow {
                metric: o.metric.clone(),
                region: o.region.clone(),
                observed: o.value,
                sd,
                sd_rule,
                simulated: Simulated {
                    mean,
                    ci95: [mean - half, mean + half],
                },
            }
        })
        .collect();

    // An observation the estimate cannot reproduce means the box holds no
    // value that explains it: the estimate is then the least bad, not a fit.
    let misfits: Vec<String> = fit
        .iter()
        .filter_map(|f| {
            let sim_sd = (f.simulated.ci95[1] - f.simulated.ci95[0]) / (2.0 * 1.96);
            let z = (f.observed - f.simulated.mean).abs() / (f.sd * f.sd + sim_sd * sim_sd).sqrt();
            (z > MISFIT_Z).then(|| format!("{} ({z:.0} sd away)", f.metric))
        })
        .collect();
    let fits = misfits.is_empty();
    if !fits {
        notes.insert(
            0,
            format!(
                "POOR FIT: {} cannot be reproduced anywhere near the estimate; the --free box may not contain values that explain the observations, or they contradict each other",
                misfits.join(", ")
            ),
        );
    }
    let simulations = done.load(Ordering::Relaxed);
    progress(total, total);
    Ok(Calibration {
        fits,
        identifiable: estimates.iter().all(|e| e.identifiable),
        parameters: estimates,
        fit,
        simulations,
        waves,
        effective_samples: ess,
        notes,
    })
}
