//! Seeded random numbers and the space-filling design (a randomly shifted Halton
//! sequence), in unit coordinates.

/// SplitMix64: a tiny, fast, well-mixed generator; all randomness of the
/// calibration comes from one of these, seeded by the caller.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in [0, 1).
    pub(crate) fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// The SplitMix64 output function: a bijective 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const PRIMES: [u64; 24] = [
    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89,
];

/// The maximum number of free parameters (one Halton base per dimension).
pub(crate) const MAX_DIMENSIONS: usize = PRIMES.len();

/// Van der Corput radical inverse of `i` in base `b`.
fn radical_inverse(mut i: u64, b: u64) -> f64 {
    let inv = 1.0 / b as f64;
    let mut f = inv;
    let mut x = 0.0;
    while i > 0 {
        x += (i % b) as f64 * f;
        i /= b;
        f *= inv;
    }
    x
}

/// `n` points of the Halton sequence in [0, 1)^d, each coordinate shifted
/// modulo 1 by a uniform drawn from `rng` (Cranley–Patterson rotation), so the
/// design is space-filling and yet random given the seed.
pub(crate) fn shifted_halton(n: usize, d: usize, rng: &mut SplitMix64) -> Vec<Vec<f64>> {
    let shift: Vec<f64> = (0..d).map(|_| rng.uniform()).collect();
    (0..n)
        .map(|i| {
            (0..d)
                .map(|k| {
                    let x = radical_inverse(i as u64 + 1, PRIMES[k]) + shift[k];
                    x - x.floor()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halton_is_space_filling_and_seeded() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let pa = shifted_halton(64, 2, &mut a);
        assert_eq!(pa, shifted_halton(64, 2, &mut b));
        // each eighth of each axis holds 8 ± 1 of the 64 points (a random sample would scatter ±2.6)
        for k in 0..2 {
            let mut counts = [0; 8];
            for p in &pa {
                assert!((0.0..1.0).contains(&p[k]));
                counts[(p[k] * 8.0) as usize] += 1;
            }
            assert!(counts.iter().all(|&c| (7..=9).contains(&c)), "{counts:?}");
        }
    }
}
