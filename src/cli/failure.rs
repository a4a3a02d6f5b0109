//! How a command fails: a message for the user and the exit code (2 for
//! invalid input, 1 when the work failed, 130 when interrupted, 0 when
//! standard output was closed), and printing that tolerates a closed pipe.

use crate::experiment::RunError;
use crate::output;

/// An error for the user, with its exit code: 2 for invalid input, 1 otherwise
/// (0 with no message: standard output was closed, stop quietly).
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Prints to standard output. When the reader has gone away (`| head`), the
/// command stops quietly with exit 0, as other command-line tools do.
pub(super) fn out(text: &str) -> Result<(), Failure> {
    output::io::print(text).map_err(|e| {
        if output::io::is_closed_pipe(&e) {
            Failure {
                code: 0,
                message: String::new(),
            }
        } else {
            failed(format!("cannot write to standard output: {e}"))
        }
    })
}

/// Bad input: exit code 2.
pub(super) fn invalid(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// The work itself failed: exit code 1.
pub(super) fn failed(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

/// Stopped by Ctrl-C: exit code 130.
pub(super) fn interrupted(message: impl Into<String>) -> Failure {
    Failure {
        code: 130,
        message: message.into(),
    }
}

/// A run or comparison that stopped without a result.
pub(super) fn run_failure(e: RunError) -> Failure {
    match e {
        RunError::Interrupted => interrupted(e.to_string()),
        other => failed(other.to_string()),
    }
}
