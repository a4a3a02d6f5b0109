//! The per-metric surrogate: a full quadratic response surface (intercept,
//! linear terms, squares and pairwise interactions) fitted by least squares in
//! local coordinates of the current region, with its own error estimate.

/// A box in unit coordinates of the parameter box.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Region {
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

impl Region {
    pub(crate) fn unit(d: usize) -> Self {
        Region {
            lo: vec![0.0; d],
            hi: vec![1.0; d],
        }
    }

    pub(crate) fn contains(&self, u: &[f64]) -> bool {
        u.iter()
            .enumerate()
            .all(|(k, &x)| x >= self.lo[k] - 1e-12 && x <= self.hi[k] + 1e-12)
    }

    /// Maps a unit point into [−1, 1]^d relative to this region.
    pub(crate) fn local(&self, u: &[f64]) -> Vec<f64> {
        u.iter()
            .enumerate()
            .map(|(k, &x)| {
                let half = 0.5 * (self.hi[k] - self.lo[k]);
                (x - 0.5 * (self.hi[k] + self.lo[k])) / half.max(1e-300)
            })
            .collect()
    }

    /// Maps a point of [0, 1)^d into this region.
    pub(crate) fn place(&self, v: &[f64]) -> Vec<f64> {
        v.iter()
            .enumerate()
            .map(|(k, &x)| self.lo[k] + x * (self.hi[k] - self.lo[k]))
            .collect()
    }
}

/// Number of quadratic features in d dimensions.
pub(crate) fn n_features(d: usize) -> usize {
    1 + d + d * (d + 1) / 2
}

fn features(z: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.push(1.0);
    out.extend_from_slice(z);
    for i in 0..z.len() {
        for j in i..z.len() {
            out.push(z[i] * z[j]);
        }
    }
}

/// Lower-triangular Cholesky factor of a symmetric positive definite matrix
/// (row-major, n × n), with a relative ridge added when it is nearly singular.
fn cholesky(a: &[f64], n: usize) -> Vec<f64> {
    let trace: f64 = (0..n).map(|i| a[i * n + i]).sum::<f64>() / n as f64;
    let mut ridge = 0.0;
    loop {
        let mut l = vec![0.0; n * n];
        let mut ok = true;
        'outer: for i in 0..n {
            for j in 0..=i {
                let mut s = a[i * n + j] + if i == j { ridge } else { 0.0 };
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                if i == j {
                    if s <= 0.0 || !s.is_finite() {
                        ok = false;
                        break 'outer;
                    }
                    l[i * n + i] = s.sqrt();
                } else {
                    l[i * n + j] = s / l[j * n + j];
                }
            }
        }
        if ok {
            return l;
        }
        ridge = if ridge == 0.0 { 1e-12 * trace.max(1e-300) } else { ridge * 10.0 };
    }
}

/// Solves L x = b in place (forward substitution).
fn forward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in 0..n {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i * n + k] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// Solves Lᵀ x = b in place (back substitution).
fn backward(l: &[f64], n: usize, b: &mut [f64]) {
    for i in (0..n).rev() {
        let mut s = b[i];
        for k in i + 1..n {
            s -= l[k * n + i] * b[k];
        }
        b[i] = s / l[i * n + i];
    }
}

/// The least-squares quadratic design shared by every metric fitted on the same
/// points: the Cholesky factor of XᵀX, so each metric costs one pair of solves.
pub(crate) struct QuadraticDesign {
    region: Region,
    q: usize,
    n: usize,
    rows: Vec<Vec<f64>>,
    chol: Vec<f64>,
}

/// One metric's fitted surface.
pub(crate) struct Quadratic {
    coef: Vec<f64>,
    /// Residual variance RSS / (n − q): lack of fit plus the part of the
    /// replication noise that common random numbers do not make common.
    pub residual_var: f64,
}

impl QuadraticDesign {
    /// `points` are in unit coordinates; the caller guarantees n > q.
    pub(crate) fn new(region: &Region, points: &[&[f64]]) -> Self {
        let d = region.lo.len();
        let q = n_features(d);
        let mut rows = Vec::with_capacity(points.len());
        let mut x = Vec::with_capacity(q);
        let mut xtx = vec![0.0; q * q];
        for p in points {
            features(&region.local(p), &mut x);
            for i in 0..q {
                for j in 0..q {
                    xtx[i * q + j] += x[i] * x[j];
                }
            }
            rows.push(x.clone());
        }
        let chol = cholesky(&xtx, q);
        QuadraticDesign {
            region: region.clone(),
            q,
            n: points.len(),
            rows,
            chol,
        }
    }

    pub(crate) fn fit(&self, y: &[f64]) -> Quadratic {
        let q = self.q;
        let mut coef = vec![0.0; q];
        for (row, &yi) in self.rows.iter().zip(y) {
            for i in 0..q {
                coef[i] += row[i] * yi;
            }
        }
        forward(&self.chol, q, &mut coef);
        backward(&self.chol, q, &mut coef);
        let rss: f64 = self
            .rows
            .iter()
            .zip(y)
            .map(|(row, &yi)| {
                let f: f64 = row.iter().zip(&coef).map(|(a, b)| a * b).sum();
                (yi - f) * (yi - f)
            })
            .sum();
        let dof = (self.n - q).max(1) as f64;
        Quadratic {
            coef,
            residual_var: rss / dof,
        }
    }

    /// The surface's features at `u` and the leverage h = xᵀ(XᵀX)⁻¹x there
    /// (the variance of the fitted surface in units of the residual variance).
    pub(crate) fn at(&self, u: &[f64]) -> (Vec<f64>, f64) {
        let mut x = Vec::with_capacity(self.q);
        features(&self.region.local(u), &mut x);
        let mut z = x.clone();
        forward(&self.chol, self.q, &mut z);
        let h = z.iter().map(|v| v * v).sum();
        (x, h)
    }
}

impl Quadratic {
    pub(crate) fn predict(&self, x: &[f64]) -> f64 {
        x.iter().zip(&self.coef).map(|(a, b)| a * b).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_quadratic_exactly() {
        let region = Region {
            lo: vec![0.2, 0.0],
            hi: vec![0.6, 1.0],
        };
        let f = |u: &[f64]| 1.0 + 2.0 * u[0] - 3.0 * u[1] + 4.0 * u[0] * u[1] - 5.0 * u[0] * u[0] + 0.5 * u[1] * u[1];
        let mut rng = super::super::design::SplitMix64::new(1);
        let pts: Vec<Vec<f64>> = super::super::design::shifted_halton(20, 2, &mut rng)
            .iter()
            .map(|v| region.place(v))
            .collect();
        let refs: Vec<&[f64]> = pts.iter().map(|p| p.as_slice()).collect();
        let design = QuadraticDesign::new(&region, &refs);
        let y: Vec<f64> = pts.iter().map(|p| f(p)).collect();
        let fit = design.fit(&y);
        assert!(fit.residual_var < 1e-20, "{}", fit.residual_var);
        for u in [[0.3, 0.5], [0.55, 0.1], [0.2, 1.0]] {
            let (x, h) = design.at(&u);
            assert!((fit.predict(&x) - f(&u)).abs() < 1e-9);
            assert!(h > 0.0, "{h}");
        }
        // at the centre the fitted surface is far surer than one observation (h ≪ 1)
        let (_, h) = design.at(&[0.4, 0.5]);
        assert!(h > 0.0 && h < 0.5, "{h}");
    }
}
