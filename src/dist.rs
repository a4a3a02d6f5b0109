//! Distributions of handle time and patience, and their samplers.
//!
//! All parameters are in milliseconds of simulated time. Samples are rounded to
//! the engine's millisecond clock.

use crate::calendar::{Time, MAX_DURATION};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, Exp1, StandardNormal};

/// A distribution as the user declared it (validated).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    Exponential {
        mean: f64,
    },
    LogNormal {
        mean: f64,
        cv: f64,
    },
    Gamma {
        mean: f64,
        cv: f64,
    },
    Weibull {
        mean: f64,
        cv: f64,
    },
    Fixed {
        value: f64,
    },
    /// Resampled uniformly from the listed values.
    Empirical {
        values: Vec<f64>,
    },
    /// Never happens (patience: the caller never hangs up).
    Never,
}

impl Dist {
    pub fn mean(&self) -> f64 {
        match self {
            Dist::Exponential { mean } | Dist::LogNormal { mean, .. } | Dist::Gamma { mean, .. } | Dist::Weibull { mean, .. } => *mean,
            Dist::Fixed { value } => *value,
            Dist::Empirical { values } => values.iter().sum::<f64>() / values.len() as f64,
            Dist::Never => f64::INFINITY,
        }
    }

    /// The sampler of a validated distribution (see [`Dist::try_sampler`]).
    pub fn sampler(&self) -> Sampler {
        self.try_sampler().expect("distribution validated by the scenario reader")
    }

    /// Builds the sampler, or says why these parameters cannot be sampled.
    /// The scenario reader calls this for every distribution, so that a bad
    /// parameter is a located problem at `check` time and never a panic in `run`.
    pub fn try_sampler(&self) -> Result<Sampler, DistError> {
        let duration = |what: &'static str, x: f64| -> Result<f64, DistError> {
            if x.is_finite() && x >= 0.0 && x <= MAX_DURATION as f64 {
                Ok(x)
            } else {
                Err(DistError::Duration { what, value: x })
            }
        };
        let positive = |what: &'static str, x: f64| -> Result<f64, DistError> {
            match duration(what, x)? {
                x if x > 0.0 => Ok(x),
                _ => Err(DistError::Duration { what, value: x }),
            }
        };
        let cv_ok = |cv: f64| -> Result<f64, DistError> {
            if (MIN_CV..=MAX_CV).contains(&cv) {
                Ok(cv)
            } else {
                Err(DistError::Cv(cv))
            }
        };
        let finite = |x: f64| -> Result<f64, DistError> {
            if x.is_finite() {
                Ok(x)
            } else {
                Err(DistError::Degenerate)
            }
        };
        Ok(match *self {
            Dist::Exponential { mean } => Sampler::Exponential {
                mean: positive("mean", mean)?,
            },
            Dist::LogNormal { mean, cv } => {
                let (mean, cv) = (positive("mean", mean)?, cv_ok(cv)?);
                let sigma2 = (1.0 + cv * cv).ln();
                Sampler::LogNormal {
                    mu: finite(mean.ln() - sigma2 / 2.0)?,
                    sigma: finite(sigma2.sqrt())?,
                }
            }
            Dist::Gamma { mean, cv } => {
                let (mean, cv) = (positive("mean", mean)?, cv_ok(cv)?);
                let shape = finite(1.0 / (cv * cv))?;
                let scale = finite(mean / shape)?;
                Sampler::Gamma(rand_distr::Gamma::new(shape, scale).map_err(|_| DistError::Degenerate)?)
            }
            Dist::Weibull { mean, cv } => {
                let (mean, cv) = (positive("mean", mean)?, cv_ok(cv)?);
                let shape = weibull_shape_for_cv(cv);
                let scale = finite(mean / libm::tgamma(1.0 + 1.0 / shape))?;
                if scale <= 0.0 {
                    return Err(DistError::Degenerate);
                }
                Sampler::Weibull {
                    scale,
                    inv_shape: finite(1.0 / shape)?,
                }
            }
            Dist::Fixed { value } => Sampler::Fixed(duration("value", value)?.round() as Time),
            Dist::Empirical { ref values } => {
                if values.is_empty() {
                    return Err(DistError::Empty);
                }
                let values = values
                    .iter()
                    .map(|&v| duration("value", v).map(|v| v.round() as Time))
                    .collect::<Result<Vec<_>, _>>()?;
                Sampler::Empirical(values)
            }
            Dist::Never => Sampler::Never,
        })
    }
}

/// Smallest and largest coefficient of variation accepted for `lognormal`,
/// `gamma` and `weibull` (and for `daily_variation`, which is a gamma factor).
/// Below the minimum the distribution is a constant in all but name (use
/// `fixed`); far tails beyond the maximum cannot be sampled meaningfully.
pub const MIN_CV: f64 = 0.001;
pub const MAX_CV: f64 = 20.0;

/// Why a distribution cannot be sampled.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DistError {
    #[error("{what} = {value} ms is not a duration between 0 and {}", crate::calendar::MAX_DURATION_TEXT)]
    Duration { what: &'static str, value: f64 },
    #[error("cv = {0} is outside {MIN_CV}–{MAX_CV}")]
    Cv(f64),
    #[error("an empirical distribution needs at least one value")]
    Empty,
    #[error("these parameters give a distribution that cannot be sampled")]
    Degenerate,
}

/// The Weibull shape k whose coefficient of variation is `cv`
/// (cv² = Γ(1+2/k)/Γ(1+1/k)² − 1, decreasing in k), by bisection on log k.
pub fn weibull_shape_for_cv(cv: f64) -> f64 {
    let cv_of = |k: f64| {
        let g1 = libm::lgamma(1.0 + 1.0 / k);
        let g2 = libm::lgamma(1.0 + 2.0 / k);
        ((g2 - 2.0 * g1).exp() - 1.0).max(0.0).sqrt()
    };
    // Shapes up to 500 cover cv ≥ 0.0026; smaller cvs search further (a
    // separate bracket, so results for the usual cvs do not change).
    let (mut lo, mut hi) = if cv_of(500.0) > cv {
        (500f64.ln(), 100_000f64.ln())
    } else {
        (0.02f64.ln(), 500f64.ln())
    };
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if cv_of(mid.exp()) > cv {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (0.5 * (lo + hi)).exp()
}

/// A distribution compiled for fast sampling.
#[derive(Clone, Debug)]
pub enum Sampler {
    Exponential { mean: f64 },
    LogNormal { mu: f64, sigma: f64 },
    Gamma(rand_distr::Gamma<f64>),
    Weibull { scale: f64, inv_shape: f64 },
    Fixed(Time),
    Empirical(Vec<Time>),
    Never,
}

impl Sampler {
    /// One draw in milliseconds; `Time::MAX` for `Never`.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Time {
        let ms = match self {
            Sampler::Exponential { mean } => {
                let e: f64 = Exp1.sample(rng);
                mean * e
            }
            Sampler::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Sampler::Gamma(g) => g.sample(rng),
            Sampler::Weibull { scale, inv_shape } => {
                let e: f64 = Exp1.sample(rng);
                scale * e.powf(*inv_shape)
            }
            Sampler::Fixed(v) => return *v,
            Sampler::Empirical(values) => return values[rng.random_range(0..values.len())],
            Sampler::Never => return Time::MAX,
        };
        // Clamp far tails so that clock arithmetic can never overflow; round
        // half up without a libm call (samples are never negative).
        (ms.min(crate::calendar::MAX_DURATION as f64) + 0.5) as Time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn moments(d: &Dist) -> (f64, f64) {
        let s = d.sampler();
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| s.sample(&mut rng) as f64).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        (m, v.sqrt() / m)
    }

    #[test]
    fn samplers_have_the_declared_mean_and_cv() {
        let mean = 600_000.0;
        for (d, cv) in [
            (Dist::Exponential { mean }, 1.0),
            (Dist::LogNormal { mean, cv: 0.7 }, 0.7),
            (Dist::Gamma { mean, cv: 0.5 }, 0.5),
            (Dist::Weibull { mean, cv: 1.3 }, 1.3),
        ] {
            let (m, c) = moments(&d);
            // 200k draws: standard error of the mean ≤ 1.3/√200k ≈ 0.3 %; allow 4 SE.
            assert!((m / mean - 1.0).abs() < 0.012, "{d:?}: mean {m}");
            assert!((c / cv - 1.0).abs() < 0.04, "{d:?}: cv {c}");
        }
        assert_eq!(
            Dist::Fixed { value: 5.0 }
                .sampler()
                .sample(&mut rand::rngs::Xoshiro256PlusPlus::seed_from_u64(1)),
            5
        );
    }

    #[test]
    fn degenerate_parameters_are_refused_not_panicked() {
        let mean = 600_000.0;
        for d in [
            Dist::Gamma { mean, cv: 1e-200 },
            Dist::Gamma { mean, cv: f64::NAN },
            Dist::LogNormal { mean, cv: 5e-324 },
            Dist::Weibull { mean, cv: 1e300 },
            Dist::Exponential { mean: 0.0 },
            Dist::Exponential { mean: f64::INFINITY },
            Dist::Fixed { value: 1e300 },
            Dist::Empirical { values: vec![] },
            Dist::Empirical {
                values: vec![1.0, f64::NAN],
            },
        ] {
            assert!(d.try_sampler().is_err(), "{d:?}");
        }
        // The smallest cv accepted samples with that cv.
        let (m, c) = moments(&Dist::Weibull { mean, cv: MIN_CV });
        assert!((m / mean - 1.0).abs() < 1e-3 && (c / MIN_CV - 1.0).abs() < 0.05, "{m} {c}");
        assert!(Dist::Gamma { mean, cv: MIN_CV }.try_sampler().is_ok());
        assert!(Dist::LogNormal { mean: 1.0, cv: MAX_CV }.try_sampler().is_ok());
    }

    #[test]
    fn weibull_shape_one_is_exponential() {
        assert!((weibull_shape_for_cv(1.0) - 1.0).abs() < 1e-9);
    }
}
