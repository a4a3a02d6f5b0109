//! Progress of the simulating commands on standard error (never standard
//! output), as `--progress` asks.

use std::io::IsTerminal;
use std::time::Instant;

use crate::experiment::runner::Progress;
use crate::sweep::Progress as Mode;

/// Progress of a simulating command on standard error (never standard output):
/// an indicatif bar with rate and time left on a terminal, a plain line every
/// few seconds otherwise, nothing with `--progress none`.
pub(super) struct ProgressReport {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    command: &'static str,
    started: Instant,
    last_line: Option<Instant>,
}

/// Seconds between two plain progress lines.
const LINE_EVERY: f64 = 2.0;

impl ProgressReport {
    pub(super) fn new(mode: Mode, command: &'static str) -> ProgressReport {
        let terminal = std::io::stderr().is_terminal();
        let bar = (mode == Mode::Bar || (mode == Mode::Auto && terminal)).then(|| {
            let b = indicatif::ProgressBar::hidden();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} simulations ({per_sec}) {msg}eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b
        });
        ProgressReport {
            bar,
            lines: mode == Mode::Lines || (mode == Mode::Auto && !terminal),
            command,
            started: Instant::now(),
            last_line: None,
        }
    }

    pub(super) fn update(&mut self, p: Progress) {
        if let Some(b) = &self.bar {
            b.set_length(p.total);
            b.set_position(p.done);
        }
        let since = self.last_line.unwrap_or(self.started).elapsed().as_secs_f64();
        // Short runs stay quiet; a long one gets a line every few seconds and a last one.
        let last = p.done == p.total && self.last_line.is_some();
        if self.lines && (since >= LINE_EVERY || last) {
            let elapsed = self.started.elapsed().as_secs_f64();
            let rate = p.done as f64 / elapsed.max(1e-9);
            let left = if p.done > 0 { (p.total - p.done) as f64 / rate } else { f64::NAN };
            eprintln!(
                "{}: {}/{} simulations, {:.2} per second, {:.1} s elapsed, about {:.0} s left",
                self.command, p.done, p.total, rate, elapsed, left
            );
            self.last_line = Some(Instant::now());
        }
    }

    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
