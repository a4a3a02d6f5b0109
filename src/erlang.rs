//! Exact results for one stationary queue: Erlang B, Erlang C and Erlang A
//! (M/M/n+M, Palm's model with exponential patience). Times are in minutes.
//!
//! Everything is computed in log space so that n in the thousands and heavy
//! overload stay finite: Erlang B by its recursion on 1/B, the Mandelbaum–Zeltyn
//! function A(x, z) by summing its series around the largest term, waiting-time
//! tails in the closed form (never the cancelling sum of exponentials), and the
//! mean wait of answered callers by quadrature of that tail.

/// One stationary queue: arrival rate λ per minute, mean handle time 1/μ
/// minutes, mean patience 1/θ minutes (`theta = 0`: callers never hang up), n nurses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Queue {
    pub lambda: f64,
    pub mu: f64,
    pub theta: f64,
    pub n: u32,
}

/// Erlang B: the blocking probability of n servers offered `load` Erlang.
pub fn erlang_b(n: u32, load: f64) -> f64 {
    (-log_inverse_erlang_b(n, load)).exp()
}

/// ln(1/B(n, R)) by 1/B(k) = 1 + (k/R)·1/B(k−1), each step a softplus in log space.
fn log_inverse_erlang_b(n: u32, load: f64) -> f64 {
    if load <= 0.0 {
        return if n == 0 { 0.0 } else { f64::INFINITY };
    }
    let mut log_inv = 0.0f64;
    for k in 1..=n {
        let x = log_inv + (k as f64).ln() - load.ln();
        log_inv = softplus(x);
    }
    log_inv
}

/// ln(1 + e^x) without overflow.
fn softplus(x: f64) -> f64 {
    if x > 35.0 {
        x + (-x).exp()
    } else {
        x.exp().ln_1p()
    }
}

/// ln(e^a + e^b).
fn log_add(a: f64, b: f64) -> f64 {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if lo == f64::NEG_INFINITY {
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// ln A(x, z) with A(x, z) = Σ_{k≥0} z^k / Π_{i=1..k}(x+i), summed around its
/// largest term k* = max(0, ⌊z − x⌋) until terms fall below 1e-17 of the sum.
pub fn log_a(x: f64, z: f64) -> f64 {
    if z <= 0.0 {
        return 0.0;
    }
    let k_star = (z - x).floor().max(0.0);
    let log_peak = k_star * z.ln() - (libm::lgamma(x + k_star + 1.0) - libm::lgamma(x + 1.0));
    let mut sum = 1.0f64;
    let mut term = 1.0f64;
    let mut k = k_star;
    loop {
        term *= z / (x + k + 1.0);
        k += 1.0;
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    term = 1.0;
    k = k_star;
    while k > 0.0 {
        term *= (x + k) / z;
        k -= 1.0;
        sum += term;
        if term < 1e-17 * sum {
            break;
        }
    }
    log_peak + sum.ln()
}

impl Queue {
    /// Offered load R = λ/μ in Erlang.
    pub fn load(&self) -> f64 {
        self.lambda / self.mu
    }

    fn rho(&self) -> f64 {
        self.load() / self.n as f64
    }

    fn has_patience(&self) -> bool {
        self.theta > 0.0
    }

    /// Whether the queue is stable without abandonment (R < n); always true with patience.
    pub fn is_stable(&self) -> bool {
        self.has_patience() || self.load() < self.n as f64
    }

    /// ln π_n, the probability that all n nurses are busy and nobody waits.
    fn log_pi_n(&self) -> f64 {
        let log_a = log_a(self.n as f64 * self.mu / self.theta, self.lambda / self.theta);
        let log_inv_b = log_inverse_erlang_b(self.n, self.load());
        // π_n = 1 / (1/E − 1 + A)
        let log_inv_b_minus_1 = if log_inv_b > 35.0 {
            log_inv_b + (-(log_inv_b.exp().recip())).ln_1p()
        } else {
            log_inv_b.exp_m1().ln()
        };
        -log_add(log_inv_b_minus_1, log_a)
    }

    /// Probability that an arriving caller has to wait (all nurses busy).
    pub fn p_wait(&self) -> f64 {
        if self.n == 0 {
            return 1.0;
        }
        if !self.has_patience() {
            if !self.is_stable() {
                return 1.0;
            }
            let e = erlang_b(self.n, self.load());
            return e / (1.0 - self.rho() * (1.0 - e));
        }
        let x = self.n as f64 * self.mu / self.theta;
        (log_a(x, self.lambda / self.theta) + self.log_pi_n()).exp()
    }

    /// Probability that a caller hangs up before being answered.
    pub fn p_abandon(&self) -> f64 {
        if !self.has_patience() {
            return if self.is_stable() { 0.0 } else { f64::NAN };
        }
        if self.n == 0 {
            return 1.0;
        }
        let rho = self.rho();
        let p_wait = self.p_wait();
        let pi_n = self.log_pi_n().exp();
        (p_wait * (1.0 - 1.0 / rho) + pi_n / rho).clamp(0.0, 1.0)
    }

    /// ln P(V > t): the offered wait (time until a nurse would be free) exceeds t.
    fn log_tail_offered_wait(&self, t: f64) -> f64 {
        let (x, y) = (self.n as f64 * self.mu / self.theta, self.lambda / self.theta);
        let decay = (-self.theta * t).exp();
        self.log_pi_n() + log_a(x, y * decay) + y * (-(-self.theta * t).exp_m1()) - self.n as f64 * self.mu * t
    }

    /// P(answered and waited more than t).
    fn answered_after(&self, t: f64) -> f64 {
        if !self.has_patience() {
            if !self.is_stable() {
                return f64::NAN;
            }
            return self.p_wait() * (-(self.n as f64 * self.mu - self.lambda) * t).exp();
        }
        let (x, y) = (self.n as f64 * self.mu / self.theta, self.lambda / self.theta);
        let log_a_t = log_a(x, y * (-self.theta * t).exp());
        // (P(V > t)/ρ)·(1 − 1/A)
        (self.log_tail_offered_wait(t) - self.rho().ln() + (-(-log_a_t).exp()).ln_1p()).exp()
    }

    /// Share of all callers answered within t (abandoners count as failures).
    pub fn answered_within(&self, t: f64) -> f64 {
        (1.0 - self.p_abandon() - self.answered_after(t)).clamp(0.0, 1.0)
    }

    /// Share of answered callers answered within t.
    pub fn answered_within_of_answered(&self, t: f64) -> f64 {
        self.answered_within(t) / (1.0 - self.p_abandon())
    }

    /// Answered within t over callers who did not hang up before t.
    pub fn answered_within_short_abandons_excluded(&self, t: f64) -> f64 {
        if !self.has_patience() {
            return self.answered_within(t);
        }
        let abandoned_before = integrate(
            |s| self.theta * (-self.theta * s).exp() * self.log_tail_offered_wait(s).exp(),
            0.0,
            t,
        );
        self.answered_within(t) / (1.0 - abandoned_before)
    }

    /// Mean wait of all callers, abandoners counting their time until they hang up.
    pub fn mean_wait_all(&self) -> f64 {
        if !self.has_patience() {
            return self.mean_wait_answered();
        }
        self.p_abandon() / self.theta
    }

    /// Mean wait of answered callers (average speed of answer).
    pub fn mean_wait_answered(&self) -> f64 {
        if !self.has_patience() {
            if !self.is_stable() {
                return f64::INFINITY;
            }
            return self.p_wait() / (self.n as f64 * self.mu - self.lambda);
        }
        let scale = 1.0 / (self.n as f64 * self.mu).min(self.theta).max(1e-12);
        integrate_to_infinity(|s| self.answered_after(s), scale) / (1.0 - self.p_abandon())
    }

    /// Busy share of nurse time.
    pub fn occupancy(&self) -> f64 {
        let answered = if self.has_patience() {
            1.0 - self.p_abandon()
        } else if self.is_stable() {
            1.0
        } else {
            f64::NAN
        };
        self.lambda * answered / (self.n as f64 * self.mu)
    }
}

/// Adaptive Simpson quadrature of a smooth function on [a, b].
pub fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    #[allow(clippy::too_many_arguments)] // a plain recursion over the interval and its samples
    fn step(f: &dyn Fn(f64) -> f64, a: f64, b: f64, fa: f64, fm: f64, fb: f64, whole: f64, tol: f64, depth: u32) -> f64 {
        let m = 0.5 * (a + b);
        let (lm, rm) = (0.5 * (a + m), 0.5 * (m + b));
        let (flm, frm) = (f(lm), f(rm));
        let left = (m - a) / 6.0 * (fa + 4.0 * flm + fm);
        let right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
        if depth == 0 || (left + right - whole).abs() <= 15.0 * tol {
            return left + right + (left + right - whole) / 15.0;
        }
        step(f, a, m, fa, flm, fm, left, tol / 2.0, depth - 1) + step(f, m, b, fm, frm, fb, right, tol / 2.0, depth - 1)
    }
    if b <= a {
        return 0.0;
    }
    let (fa, fb, fm) = (f(a), f(b), f(0.5 * (a + b)));
    let whole = (b - a) / 6.0 * (fa + 4.0 * fm + fb);
    // Relative tolerance: the integrands here are smooth tails of very different scales.
    let tol = 1e-12 * whole.abs().max(1e-300);
    step(&f, a, b, fa, fm, fb, whole, tol, 24)
}

/// ∫₀^∞ of a decaying function, over segments that double in length from `scale`.
fn integrate_to_infinity(f: impl Fn(f64) -> f64, scale: f64) -> f64 {
    let (mut a, mut len, mut total) = (0.0, scale, 0.0);
    for _ in 0..64 {
        let piece = integrate(&f, a, a + len);
        total += piece;
        a += len;
        len *= 2.0;
        if piece.abs() <= 1e-13 * total.abs() && f(a).abs() * len <= 1e-13 * total.abs() {
            break;
        }
    }
    total
}

/// A second exact method for cross-checks: the stationary birth–death chain on
/// the number of callers in the system (birth λ, death min(j,n)μ + (j−n)⁺θ),
/// weights in log space, truncated 40 nats below the largest. Returns
/// (P(wait), P(abandon)) by PASTA and the abandonment rate.
pub fn birth_death(q: &Queue) -> (f64, f64) {
    let death = |j: usize| (j.min(q.n as usize)) as f64 * q.mu + j.saturating_sub(q.n as usize) as f64 * q.theta;
    let mut logw = vec![0.0f64];
    let mut max = 0.0f64;
    let mut j = 0usize;
    loop {
        j += 1;
        let next = logw[j - 1] + q.lambda.ln() - death(j).ln();
        logw.push(next);
        max = max.max(next);
        if next < max - 40.0 && j > q.n as usize {
            break;
        }
    }
    let total: f64 = logw.iter().map(|w| (w - max).exp()).sum();
    let p = |j: usize| (logw[j] - max).exp() / total;
    let p_wait: f64 = (q.n as usize..logw.len()).map(p).sum();
    let abandon_rate: f64 = (q.n as usize..logw.len()).map(|j| p(j) * (j - q.n as usize) as f64 * q.theta).sum();
    (p_wait, abandon_rate / q.lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// pyworkforce's Erlang A example: 100 calls / 30 min, AHT 3 min, patience 5 min.
    #[test]
    fn pyworkforce_erlang_a() {
        let q = Queue {
            lambda: 100.0 / 30.0,
            mu: 1.0 / 3.0,
            theta: 1.0 / 5.0,
            n: 13,
        };
        let t = 20.0 / 60.0;
        assert!(close(q.p_wait(), 0.2258, 5e-5), "{}", q.p_wait());
        assert!(close(q.p_abandon(), 0.02496, 5e-6), "{}", q.p_abandon());
        assert!(close(q.answered_within(t), 0.8582, 5e-5), "{}", q.answered_within(t));
        assert!(close(q.occupancy(), 0.7500, 5e-5), "{}", q.occupancy());
        let q14 = Queue { n: 14, ..q };
        assert!(close(q14.p_wait(), 0.14526, 5e-6), "{}", q14.p_wait());
        assert!(close(q14.p_abandon(), 0.013984, 5e-7), "{}", q14.p_abandon());
        assert!(close(q14.answered_within(t), 0.916792, 5e-7), "{}", q14.answered_within(t));
        assert!(close(q14.occupancy(), 0.704297, 5e-7), "{}", q14.occupancy());
        assert!(close(q14.mean_wait_all(), 0.069919, 5e-7), "{}", q14.mean_wait_all());
    }

    /// R package ErlangC README: the same traffic without abandonment, 14 agents.
    #[test]
    fn r_erlangc_example() {
        let q = Queue {
            lambda: 100.0 / 30.0,
            mu: 1.0 / 3.0,
            theta: 0.0,
            n: 14,
        };
        assert!(close(q.p_wait(), 0.1741319, 5e-8), "{}", q.p_wait());
        assert!(
            close(q.answered_within(20.0 / 60.0), 0.88835, 5e-6),
            "{}",
            q.answered_within(20.0 / 60.0)
        );
        assert!(
            close(q.mean_wait_answered() * 60.0, 7.836, 5e-4),
            "{}",
            q.mean_wait_answered() * 60.0
        );
    }

    #[test]
    fn agrees_with_birth_death_chain_including_overload_and_large_n() {
        for q in [
            Queue {
                lambda: 2.0,
                mu: 1.0 / 12.0,
                theta: 1.0 / 8.0,
                n: 24,
            },
            Queue {
                lambda: 2.0,
                mu: 1.0 / 12.0,
                theta: 1.0 / 8.0,
                n: 15,
            },
            Queue {
                lambda: 0.1,
                mu: 0.1,
                theta: 0.05,
                n: 1,
            },
            Queue {
                lambda: 900.0,
                mu: 1.0,
                theta: 0.5,
                n: 1000,
            },
            Queue {
                lambda: 2000.0,
                mu: 1.0,
                theta: 0.1,
                n: 1000,
            },
        ] {
            let (pw, pa) = birth_death(&q);
            assert!(close(q.p_wait(), pw, 1e-9 * pw.max(1e-3)), "{q:?}: {} vs {pw}", q.p_wait());
            assert!(close(q.p_abandon(), pa, 1e-9), "{q:?}: {} vs {pa}", q.p_abandon());
            for t in [0.0, 1.0, 5.0, 30.0] {
                let sl = q.answered_within(t);
                assert!(sl.is_finite() && (0.0..=1.0).contains(&sl));
            }
            assert!(q.mean_wait_answered().is_finite());
        }
    }

    #[test]
    fn erlang_a_tends_to_erlang_c() {
        let c = Queue {
            lambda: 1.5,
            mu: 0.1,
            theta: 0.0,
            n: 17,
        };
        let a = Queue { theta: 1e-7, ..c };
        assert!(close(a.p_wait(), c.p_wait(), 1e-5));
        assert!(close(a.answered_within(2.0), c.answered_within(2.0), 1e-5));
        assert!(close(a.mean_wait_answered(), c.mean_wait_answered(), 1e-3));
    }
}
