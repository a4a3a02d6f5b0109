//! The smallest exact simulation of one FCFS M/M/n+M queue we know: callers
//! in arrival order, a min-heap of the n nurses' next free times; a caller's
//! offered wait is V = max(0, earliest free time − arrival); she is answered
//! if V ≤ patience (the nurse is then busy until arrival + V + handle time),
//! else she hangs up. No calendar, no statistics beyond three counters: the
//! limit of what a simulator of this model can do per call.
//!
//! `fcfs CALLS [SEED]`: λ = 2 calls/min, handle time exp(12 min), patience
//! exp(8 min), 24 nurses (as the single-region benchmark). Prints the answered
//! share and the mean wait of answered calls, as a sanity check.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};

fn main() {
    let mut args = std::env::args().skip(1);
    let calls: u64 = args.next().and_then(|a| a.parse().ok()).expect("usage: fcfs CALLS [SEED]");
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let (lambda, handle, patience, nurses) = (2.0_f64, 12.0_f64, 8.0_f64, 24);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    // Free times as integer nanominutes so the heap orders exactly.
    let mut free: BinaryHeap<Reverse<u64>> = (0..nurses).map(|_| Reverse(0)).collect();
    let scale = 1e9;
    let (mut t, mut answered, mut wait_sum) = (0.0_f64, 0u64, 0.0_f64);
    for _ in 0..calls {
        let e: f64 = Exp1.sample(&mut rng);
        t += e / lambda;
        let arrival = (t * scale) as u64;
        let h: f64 = Exp1.sample(&mut rng);
        let p: f64 = Exp1.sample(&mut rng);
        let Reverse(earliest) = *free.peek().expect("nurses");
        let wait = earliest.saturating_sub(arrival);
        if wait as f64 <= p * patience * scale {
            free.pop();
            free.push(Reverse(arrival + wait + (h * handle * scale) as u64));
            answered += 1;
            wait_sum += wait as f64 / scale;
        }
    }
    println!(
        "calls {calls} answered_share {:.5} mean_wait_answered_min {:.4}",
        answered as f64 / calls as f64,
        wait_sum / answered.max(1) as f64
    );
}
