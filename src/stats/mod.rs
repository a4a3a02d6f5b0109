//! Streaming statistics: what one replication counts (a [`Tally`], in
//! `tally.rs`, whose size does not depend on the number of calls), the metrics
//! derived from it (`metrics.rs`, one catalogue), and their means with 95 %
//! confidence intervals over replications.

mod metrics;
#[allow(missing_docs)]
mod tally;

pub use metrics::*;
pub use tally::*;

/// Running mean and variance (Welford), fed in replication order so that the
/// result does not depend on how replications were scheduled on threads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Accumulator {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Accumulator {
    /// Adds one replication's value; `NaN` (undefined) values are skipped.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    /// The mean and its 95 % confidence interval so far.
    pub fn estimate(&self) -> Estimate {
        if self.n == 0 {
            return Estimate {
                mean: None,
                ci95: None,
                n: 0,
            };
        }
        let ci95 = (self.n >= 2).then(|| {
            let sd = (self.m2 / (self.n - 1) as f64).max(0.0).sqrt();
            let half = student_t_975(self.n - 1) * sd / (self.n as f64).sqrt();
            (self.mean - half, self.mean + half)
        });
        Estimate {
            mean: Some(self.mean),
            ci95,
            n: self.n,
        }
    }
}

/// A mean over replications with its 95 % confidence interval. `mean` is `None`
/// when no replication defined the value (an empty denominator); `ci95` is
/// `None` with fewer than two replications that define it.
///
/// In JSON it is `{"ci95": [low, high], "mean": m}`, with `null` for what is
/// undefined (`n` is not written; it reads back as 0).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The mean over the replications that define the value.
    pub mean: Option<f64>,
    /// The 95 % Student-t confidence interval of the mean.
    pub ci95: Option<(f64, f64)>,
    /// Replications that define the value.
    pub n: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct EstimateJson {
    ci95: Option<[f64; 2]>,
    mean: Option<f64>,
}

impl serde::Serialize for Estimate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EstimateJson {
            ci95: self.ci95.filter(|(l, h)| l.is_finite() && h.is_finite()).map(|(l, h)| [l, h]),
            mean: self.mean.filter(|m| m.is_finite()),
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Estimate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let e = EstimateJson::deserialize(d)?;
        Ok(Estimate {
            mean: e.mean,
            ci95: e.ci95.map(|[l, h]| (l, h)),
            n: 0,
        })
    }
}

impl Estimate {
    /// Half the width of the confidence interval.
    pub fn half_width(&self) -> Option<f64> {
        self.ci95.map(|(l, h)| (h - l) / 2.0)
    }
}

/// The 97.5 % quantile of Student's t distribution with `df` degrees of freedom.
pub fn student_t_975(df: u64) -> f64 {
    const TABLE: [f64; 30] = [
        12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199,
        2.1098, 2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
    ];
    if df == 0 {
        return f64::NAN;
    }
    if df <= 30 {
        return TABLE[df as usize - 1];
    }
    // Cornish–Fisher expansion around the normal quantile; error < 1e-5 for df > 30.
    let z: f64 = 1.959_963_985;
    let v = df as f64;
    z + (z.powi(3) + z) / (4.0 * v)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
        + (3.0 * z.powi(7) + 19.0 * z.powi(5) + 17.0 * z.powi(3) - 15.0 * z) / (384.0 * v.powi(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulator_and_t() {
        let mut a = Accumulator::default();
        for x in [1.0, 2.0, 3.0, f64::NAN] {
            a.add(x);
        }
        let e = a.estimate();
        assert_eq!(e.mean, Some(2.0));
        assert_eq!(e.n, 3);
        let (l, h) = e.ci95.unwrap();
        assert!((h - 2.0 - 4.3027 / 3f64.sqrt()).abs() < 1e-9 && (2.0 - l - (h - 2.0)).abs() < 1e-12);
        assert!((student_t_975(40) - 2.0211).abs() < 1e-4);
        assert!((student_t_975(120) - 1.9799).abs() < 1e-4);
    }
}
