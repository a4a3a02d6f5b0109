//! The commands that print what the program knows about itself: the
//! scenario schema, shell completions and the manual page.

use clap::CommandFactory;

use super::failure::{failed, out, Failure};
use super::{Cli, CompletionsArgs};
use crate::scenario;

/// `schema`: the JSON Schema of scenario files.
pub(super) fn schema() -> Result<(), Failure> {
    out(&scenario::keys::json_schema_text())
}

/// `completions SHELL`: a completion script.
pub(super) fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    let mut script = vec![];
    clap_complete::generate(args.shell, &mut Cli::command(), "nursequeue", &mut script);
    out(&String::from_utf8_lossy(&script))
}

/// `man`: the manual page (roff).
pub(super) fn man() -> Result<(), Failure> {
    let mut page = vec![];
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| failed(format!("cannot render the manual page: {e}")))?;
    out(&String::from_utf8_lossy(&page))
}
