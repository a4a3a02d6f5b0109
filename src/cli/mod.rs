//! The command line: parse the arguments, run the command, turn its outcome
//! into an exit code. Each command (or family of commands) has its own module;
//! `args.rs` holds what clap parses, `failure.rs` the exit codes.
//!
//! | module | commands |
//! | --- | --- |
//! | `run.rs` | `run`, `compare` |
//! | `sweep.rs` | `sweep`, `merge` |
//! | `calibrate.rs` | `calibrate` |
//! | `staff.rs` | `staff` |
//! | `check.rs` | `check` |
//! | `erlang.rs` | `erlang` |
//! | `docs.rs` | `schema`, `completions`, `man` |
//!
//! `steps.rs` holds what the simulating commands share (loading, size checks,
//! the runner, the output folder), `progress.rs` their progress on standard error.

use std::process::ExitCode;

use clap::Parser;

use crate::experiment::runner::Cancel;
use crate::output;

mod args;
mod calibrate;
mod check;
mod docs;
mod erlang;
mod failure;
mod progress;
mod run;
mod staff;
mod steps;
mod sweep;

pub use args::*;
pub use failure::Failure;

/// Makes Ctrl-C cancel `cancel`: long work stops within about a second and
/// exits 130, with output files complete or not written. A second Ctrl-C
/// ends the program at once. Only the program installs this, never the library.
fn cancel_on_ctrl_c(cancel: &Cancel) {
    let cancel = cancel.clone();
    let _ = ctrlc::set_handler(move || {
        if cancel.is_cancelled() {
            std::process::exit(130);
        }
        cancel.cancel();
    });
}

/// Parses arguments and runs the command; what `main` calls.
pub fn main() -> ExitCode {
    let cancel = Cancel::new();
    cancel_on_ctrl_c(&cancel);
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match execute_with(cli, &cancel) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => exit_code(f),
    }
}

/// Prints a failure's message on standard error and gives its exit code
/// (none for a closed standard output: the program stops quietly).
fn exit_code(f: Failure) -> ExitCode {
    if f.code == 0 {
        return ExitCode::SUCCESS;
    }
    let newline = if f.message.ends_with('\n') { "" } else { "\n" };
    // Scenario diagnostics carry their own `error:` per problem.
    let prefix = if f.message.starts_with("error") { "" } else { "error: " };
    output::io::eprint(&format!("{prefix}{}{newline}", f.message));
    ExitCode::from(f.code)
}

/// Runs a parsed command that cannot be cancelled.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    execute_with(cli, &Cancel::new())
}

/// Runs a parsed command; setting `cancel` stops it (exit code 130).
pub fn execute_with(cli: Cli, cancel: &Cancel) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run::run(args, cancel),
        Command::Check(args) => check::check(args),
        Command::Compare(args) => run::compare(args, cancel),
        Command::Sweep(args) => sweep::sweep(args, cancel),
        Command::Calibrate(args) => calibrate::calibrate(args, cancel),
        Command::Staff(args) => staff::staff(args, cancel),
        Command::Merge(args) => sweep::merge(args, cancel),
        Command::Erlang(args) => erlang::erlang(args),
        Command::Schema => docs::schema(),
        Command::Completions(args) => docs::completions(args),
        Command::Man => docs::man(),
    }
}
