//! The one replication runner used by `run`, `compare` and `sweep` (and by
//! anything else that runs many simulations): a local thread pool, jobs
//! handed out in index order within a bounded window, results delivered to the
//! caller **in job order** (so folding them gives the same bytes whatever the
//! thread count), a progress callback, and a cancellation token passed in.
//!
//! The library never installs a signal handler: the program does (Ctrl-C sets
//! the token), and every simulation looks at the token every few thousand
//! events, so cancelling stops within milliseconds even in the middle of a
//! long replication.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// A cancellation token: cheap to clone, shared by everyone who must stop.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A token that is not cancelled (yet).
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks every holder of the token to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether anyone holding the token asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, as `Simulation::run_cancellable` takes it.
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// How far a run has come: jobs delivered (in order) out of all jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Jobs delivered so far.
    pub done: u64,
    /// Jobs in the whole run.
    pub total: u64,
}

/// Why a run stopped before delivering every job.
#[derive(Debug)]
pub enum Stopped<E> {
    /// The cancellation token was set.
    Cancelled,
    /// The sink refused a result (e.g. a file could not be written).
    Failed(E),
}

/// Runs numbered jobs on a local thread pool.
pub struct Runner {
    pool: rayon::ThreadPool,
    cancel: Cancel,
}

/// Worker threads a run may ask for: far more than any machine's cores, and
/// few enough that starting them takes no noticeable time.
pub const MAX_THREADS: usize = 1024;

impl Runner {
    /// A runner on `threads` worker threads (0: one per core), never cancelled
    /// unless a token is given with [`Runner::with_cancel`].
    pub fn new(threads: usize) -> Result<Runner, String> {
        if threads > MAX_THREADS {
            return Err(format!("{threads} threads are more than the {MAX_THREADS} a run may use"));
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("nursequeue-{i}"))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Runner {
            pool,
            cancel: Cancel::new(),
        })
    }

    /// The same runner, stopped by `cancel`.
    pub fn with_cancel(mut self, cancel: Cancel) -> Runner {
        self.cancel = cancel;
        self
    }

    /// The number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The token that stops this runner.
    pub fn cancel(&self) -> &Cancel {
        &self.cancel
    }

    /// Whether this runner's token was set.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// Runs `f` on the runner's pool (for parallel work that is not a list of
    /// jobs, e.g. validating every point of a sweep).
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool.install(f)
    }

    /// Runs jobs `0..jobs`: `work(i, cancel)` on the worker threads (`None`
    /// when it gave up because `cancel` was set), `sink(i, result)` on the
    /// calling thread in the order `0, 1, 2, …`, then `progress`.
    ///
    /// At most a window of a few jobs per thread is started ahead of the
    /// oldest undelivered one, so memory stays bounded whatever `jobs` is, and
    /// no thread waits for a whole batch to finish.
    pub fn run<T, E>(
        &self,
        jobs: u64,
        work: impl Fn(u64, &AtomicBool) -> Option<T> + Sync,
        mut sink: impl FnMut(u64, T) -> Result<(), E>,
        mut progress: impl FnMut(Progress),
    ) -> Result<(), Stopped<E>>
    where
        T: Send,
    {
        if self.is_cancelled() {
            return Err(Stopped::Cancelled);
        }
        if jobs == 0 {
            return Ok(());
        }
        let workers = self.threads().max(1);
        let window = (workers as u64 * 8).max(2);
        let state = Mutex::new(Claims {
            next: 0,
            delivered: 0,
            stop: false,
        });
        let wake = Condvar::new();
        let flag = self.cancel.flag();
        let (tx, rx) = std::sync::mpsc::channel::<(u64, T)>();
        let mut failure: Option<E> = None;
        let mut delivered = 0u64;
        std::thread::scope(|scope| {
            let (state, wake, work) = (&state, &wake, &work);
            let pool = &self.pool;
            scope.spawn(move || {
                pool.scope(|ps| {
                    for _ in 0..workers {
                        let tx = tx.clone();
                        ps.spawn(move |_| {
                            let _guard = StopOnPanic(state, wake);
                            loop {
                                let i = {
                                    let mut s = lock(state);
                                    loop {
                                        if s.stop || s.next >= jobs || flag.load(Ordering::Relaxed) {
                                            return;
                                        }
                                        if s.next < s.delivered + window {
                                            s.next += 1;
                                            break s.next - 1;
                                        }
                                        s = wake.wait(s).unwrap_or_else(|e| e.into_inner());
                                    }
                                };
                                match work(i, flag) {
                                    Some(t) => {
                                        if tx.send((i, t)).is_err() {
                                            return;
                                        }
                                    }
                                    None => {
                                        // Cancelled: wake the others so they see it too.
                                        lock(state).stop = true;
                                        wake.notify_all();
                                        return;
                                    }
                                }
                            }
                        });
                    }
                });
                drop(tx);
            });
            let mut pending: BTreeMap<u64, T> = BTreeMap::new();
            for (i, t) in rx.iter() {
                if failure.is_some() {
                    continue;
                }
                pending.insert(i, t);
                let before = delivered;
                while let Some(t) = pending.remove(&delivered) {
                    if let Err(e) = sink(delivered, t) {
                        failure = Some(e);
                        break;
                    }
                    delivered += 1;
                    progress(Progress {
                        done: delivered,
                        total: jobs,
                    });
                }
                if failure.is_some() {
                    pending.clear();
                    lock(state).stop = true;
                    wake.notify_all();
                } else if delivered != before {
                    lock(state).delivered = delivered;
                    wake.notify_all();
                }
            }
        });
        if let Some(e) = failure {
            return Err(Stopped::Failed(e));
        }
        if delivered < jobs {
            // Workers only stop early when cancelled (a panic has been
            // propagated by the scope above).
            return Err(Stopped::Cancelled);
        }
        Ok(())
    }
}

struct Claims {
    /// The next job to hand out.
    next: u64,
    /// Jobs delivered to the sink so far.
    delivered: u64,
    stop: bool,
}

fn lock(m: &Mutex<Claims>) -> MutexGuard<'_, Claims> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Makes the other workers stop (instead of waiting forever for a job that
/// will never be delivered) when a worker panics.
struct StopOnPanic<'a>(&'a Mutex<Claims>, &'a Condvar);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(self.0).stop = true;
            self.1.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_order_whatever_the_thread_count() {
        for threads in [1, 2, 5] {
            let runner = Runner::new(threads).unwrap();
            let mut seen = vec![];
            let mut last = None;
            runner
                .run(
                    200,
                    |i, _| {
                        // Uneven work so that jobs finish out of order.
                        let spin = (i * 7919) % 13 * 1000;
                        Some((0..spin).fold(i, |a, b| a.wrapping_add(b)) - (0..spin).fold(0u64, |a, b| a.wrapping_add(b)))
                    },
                    |i, v| {
                        seen.push((i, v));
                        Ok::<(), ()>(())
                    },
                    |p| last = Some(p),
                )
                .unwrap();
            assert_eq!(seen, (0..200).map(|i| (i, i)).collect::<Vec<_>>());
            assert_eq!(last, Some(Progress { done: 200, total: 200 }));
        }
    }

    #[test]
    fn a_cancelled_token_stops_the_run() {
        let cancel = Cancel::new();
        let runner = Runner::new(2).unwrap().with_cancel(cancel.clone());
        let mut delivered = 0;
        let r = runner.run(
            1_000_000,
            |i, flag| {
                if i == 10 {
                    cancel.cancel();
                }
                (!flag.load(Ordering::Relaxed)).then_some(i)
            },
            |_, _| {
                delivered += 1;
                Ok::<(), ()>(())
            },
            |_| {},
        );
        assert!(matches!(r, Err(Stopped::Cancelled)));
        assert!(delivered < 1_000, "stopped soon after the token was set: {delivered}");
    }

    #[test]
    fn a_panicking_job_is_reported_not_a_deadlock() {
        let runner = Runner::new(2).unwrap();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            runner.run(
                1000,
                |i, _| {
                    assert!(i != 7, "job 7 fails");
                    Some(i)
                },
                |_, _| Ok::<(), ()>(()),
                |_| {},
            )
        }));
        assert!(r.is_err(), "the panic reaches the caller");
    }

    #[test]
    fn a_failing_sink_stops_the_run() {
        let runner = Runner::new(2).unwrap();
        let r = runner.run(1000, |i, _| Some(i), |i, _| if i == 5 { Err("disk full") } else { Ok(()) }, |_| {});
        assert!(matches!(r, Err(Stopped::Failed("disk full"))));
    }
}
