//! Arrivals: each region's non-homogeneous Poisson process, generated exactly
//! from its piecewise-constant hourly rate, with daily volume factors.

use rand::rngs::Xoshiro256PlusPlus;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1, Gamma};

use super::{splitmix, stream_seed, Simulation, DAILY_VOLUME};
use crate::calendar::{Time, DAY};

impl Simulation<'_> {
    /// A stream for one (region, purpose, key) that does not depend on the order
    /// of events: daily volume factors and absences, drawn when first needed.
    pub(super) fn keyed_rng(&self, r: usize, purpose: u64, key: u64) -> Xoshiro256PlusPlus {
        let id = self.model.regions[r].stream_id;
        Xoshiro256PlusPlus::seed_from_u64(stream_seed(self.seed, self.replication, id, splitmix(purpose) ^ key))
    }

    /// Volume factor of region `r` on `day`: surges times a random daily factor.
    fn volume_factor(&mut self, r: usize, day: i64) -> f64 {
        if self.day_factor[r].0 != day {
            let cv = self.model.regions[r].daily_variation;
            let random = if cv > 0.0 {
                let shape = 1.0 / (cv * cv);
                Gamma::new(shape, 1.0 / shape)
                    .expect("valid gamma")
                    .sample(&mut self.keyed_rng(r, DAILY_VOLUME, day as u64))
            } else {
                1.0
            };
            self.day_factor[r] = (day, self.model.surge_factor(r, day) * random);
        }
        self.day_factor[r].1
    }

    /// Draws the next arrival of region `r` exactly from its piecewise-constant
    /// rate: an Exp(1) amount of cumulative intensity is spent hour by hour, so
    /// short peaks are never skipped.
    pub(super) fn schedule_next_arrival(&mut self, r: usize) {
        let model = self.model;
        if !self.has_arrivals[r] {
            return;
        }
        let mut need: f64 = Exp1.sample(&mut self.streams[r].arrivals);
        let mut t = self.next_arrival[r];
        // Pieces of constant rate: hours, or a file's half or quarter hours.
        let piece = model.regions[r].interval;
        loop {
            // t ≥ 0, so truncation is the floor.
            let hour = (t / piece as f64) as i64;
            if self.rate_piece[r].0 != hour {
                let start = hour * piece;
                let region = &model.regions[r];
                let base = match &region.history {
                    // Dated history: the piece's own value (none beyond the file's end).
                    Some(h) => h.get(hour as usize).copied().unwrap_or(0.0),
                    None => region.rate[region.rate_index(&model.calendar, start)],
                };
                let rate = base * self.volume_factor(r, start.div_euclid(DAY));
                self.rate_piece[r] = (hour, rate);
            }
            let rate = self.rate_piece[r].1;
            let hour_end = ((hour + 1) * piece) as f64;
            let available = rate * (hour_end - t);
            if need <= available {
                t += need / rate;
                break;
            }
            need -= available;
            t = hour_end;
            if t >= model.horizon as f64 {
                return;
            }
        }
        self.next_arrival[r] = t;
        // The ceiling without a libm call (t ≥ 0).
        let time = t as Time + ((t as Time as f64) < t) as Time;
        self.events.schedule_arrival(time, r as u32);
    }
}
