//! Agreements and eligibility: which nurses may answer which waiting calls.
//!
//! A call of region `r` that has waited `w` is eligible for a nurse of region
//! `j != r` when some active agreement contains both and `w >= overflow_after`.
//! Because each region's queue is first-come first-served, only the head of a
//! queue needs checking: if the longest-waiting call is not eligible, none is.

use crate::calendar::Time;
use crate::model::Model;
use crate::scenario::NurseOrder;

pub const NEVER: Time = Time::MAX;

#[derive(Clone, Debug)]
pub struct Routing {
    n: usize,
    pub active: Vec<bool>,
    /// For (caller region r, nurse region j): the waiting time after which the
    /// call is eligible through an active `oldest-first` agreement (competes
    /// with her own calls by waiting time), and through an active `own-first`
    /// agreement (taken only when her own queue is empty).
    thresholds: Vec<(Time, Time)>,
    /// With at most 64 regions, for each nurse region `j`: the bit set of the
    /// other regions whose calls an active agreement lets her answer.
    answerable: Vec<u64>,
}

/// How a free nurse ranks an eligible call: lower is preferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Priority {
    /// Her own region's call, or a partner call under `oldest-first`.
    First,
    /// A partner call under `own-first`.
    AfterOwn,
}

impl Routing {
    pub fn new(model: &Model) -> Routing {
        let n = model.regions.len();
        Routing {
            n,
            active: vec![false; model.agreements.len()],
            thresholds: vec![(NEVER, NEVER); n * n],
            answerable: vec![0; n],
        }
    }

    /// Recomputes thresholds after agreements opened or closed.
    pub fn recompute(&mut self, model: &Model) {
        self.thresholds.iter_mut().for_each(|t| *t = (NEVER, NEVER));
        for (a, agreement) in model.agreements.iter().enumerate() {
            let Some(delay) = agreement.overflow_after.filter(|_| self.active[a]) else {
                continue;
            };
            for &r in &agreement.members {
                for &j in &agreement.members {
                    if r == j {
                        continue;
                    }
                    let t = &mut self.thresholds[r * self.n + j];
                    match agreement.nurse_order {
                        NurseOrder::OldestFirst => t.0 = t.0.min(delay),
                        NurseOrder::OwnFirst => t.1 = t.1.min(delay),
                    }
                }
            }
        }
        if self.n <= 64 {
            for j in 0..self.n {
                self.answerable[j] = (0..self.n)
                    .filter(|&r| r != j && self.may_answer(r, j))
                    .fold(0, |mask, r| mask | 1 << r);
            }
        }
    }

    /// With at most 64 regions: the bit set of regions whose calls nurses of
    /// region `j` may answer through an active agreement (her own excluded).
    #[inline]
    pub fn answerable(&self, j: usize) -> u64 {
        debug_assert!(self.n <= 64);
        self.answerable[j]
    }

    /// Whether any active agreement lets nurses of region `j` answer calls of region `r`.
    #[inline]
    pub fn may_answer(&self, r: usize, j: usize) -> bool {
        let (oldest_first, own_first) = self.thresholds[r * self.n + j];
        oldest_first != NEVER || own_first != NEVER
    }

    /// Whether a call of region `r` that has waited `waited` is eligible for a
    /// nurse of region `j`, and with what priority.
    #[inline]
    pub fn eligibility(&self, r: usize, j: usize, waited: Time) -> Option<Priority> {
        if r == j {
            return Some(Priority::First);
        }
        let (oldest_first, own_first) = self.thresholds[r * self.n + j];
        if waited >= oldest_first {
            Some(Priority::First)
        } else if waited >= own_first {
            Some(Priority::AfterOwn)
        } else {
            None
        }
    }
}
