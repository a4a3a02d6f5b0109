//! The command line's arguments: every command and flag, as clap derives
//! them (the help texts and the manual page come from here).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    args_override_self = true,
    name = "nursequeue",
    version,
    about = "Simulate shared, multi-region nurse telephone queues (1177-style advice lines)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Simulate a scenario and print a summary (or JSON, or write all tables to a folder).
    Run(RunArgs),
    /// Validate a scenario: list every problem with file, line and column.
    Check(CheckArgs),
    /// Run the same callers through several scenarios and show the differences against the first.
    Compare(CompareArgs),
    /// Run a grid of what-ifs: every combination of the --vary values, in parallel.
    Sweep(SweepArgs),
    /// Fit unknown parameters (--free KEY=LOW..HIGH) to observed aggregates, with 95 % intervals.
    Calibrate(CalibrateArgs),
    /// The least-cost staffing that meets every target, certified on fresh seeds.
    Staff(StaffArgs),
    /// Combine the parts of a sharded sweep into the result of the whole sweep.
    Merge(MergeArgs),
    /// Analytic Erlang C / Erlang A figures for one stationary queue.
    Erlang(ErlangArgs),
    /// Print the JSON Schema of scenario files (for editors: Taplo, Tombi).
    Schema,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `nursequeue man > nursequeue.1`.
    Man,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell, e.g. bash: `nursequeue completions bash > /etc/bash_completion.d/nursequeue`.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub scenario: PathBuf,
    /// Override any scenario key, e.g. --set region.Kalmar.shifts.0.nurses=7 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the tables, charts and report.html into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunFlags,
    /// Exit with code 3 when a target is not met (for scripts and CI).
    #[arg(long)]
    pub fail_on_target: bool,
    /// Progress on standard error: a bar with rate and time left on a terminal, plain lines otherwise.
    #[arg(long, value_enum, default_value_t = crate::sweep::Progress::Auto)]
    pub progress: crate::sweep::Progress,
}

/// Flags shared by the commands that simulate.
#[derive(Args, Debug)]
pub struct RunFlags {
    /// Number of replications (overrides the scenario's; for compare and sweep, every scenario's or point's).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Random seed (overrides the scenario's; for compare and sweep, every scenario's or point's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores; on a shared node give each task its share). Results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Run even when the estimated work is very large.
    #[arg(long)]
    pub allow_large: bool,
}

#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Two or more scenario files; differences are taken against the first.
    #[arg(required = true, num_args = 2..)]
    pub scenarios: Vec<PathBuf>,
    /// Override a key in every scenario (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Override a key in the N-th scenario only (1 = the first named), after the
    /// --set flags: `compare A.toml A.toml --set-for 2:region.Kalmar.calls_per_day=400`
    /// (repeatable; also KEY+=VALUE and KEY=remove).
    #[arg(long = "set-for", value_name = "N:KEY=VALUE")]
    pub set_for: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write comparison.json, charts, report.html and each scenario's tables into this folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunFlags,
    /// Progress on standard error: a bar with rate and time left on a terminal, plain lines otherwise.
    #[arg(long, value_enum, default_value_t = crate::sweep::Progress::Auto)]
    pub progress: crate::sweep::Progress,
}

#[derive(Args, Debug)]
pub struct SweepArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// A key and its values: KEY=V1,V2,… or KEY=4..9 (repeatable; the grid is every
    /// combination). Without it, the scenario's [sweep] vary list is used.
    #[arg(long, value_name = "KEY=VALUES")]
    pub vary: Vec<String>,
    /// Write sweep.csv, sweep.json, charts and report.html (and each point as it finishes) here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Run only shard I of N (points whose index is I modulo N) and write part-I-of-N.json into --out.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Skip the points already written into --out by an interrupted run of the same sweep.
    #[arg(long)]
    pub resume: bool,
    #[arg(long, value_enum, default_value_t = crate::sweep::Progress::Auto)]
    pub progress: crate::sweep::Progress,
    /// Output on standard output: a table of the points, or sweep.json.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    #[command(flatten)]
    pub run: RunFlags,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// part-I-of-N.json files, or folders holding them.
    #[arg(required = true)]
    pub parts: Vec<PathBuf>,
    /// Where to write sweep.csv, sweep.json, charts and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct CalibrateArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// The observed aggregates: a TOML file of [[observed]] entries (metric, value, optional region, count, sd).
    #[arg(long, value_name = "OBSERVED.toml")]
    pub observed: PathBuf,
    /// A free parameter and its range, any key --set takes whose value is a number or a duration:
    /// region.Norrbotten.calls_per_day=300..500, defaults.patience.mean=5m..60m (repeatable).
    #[arg(long = "free", value_name = "KEY=LOW..HIGH", required = true)]
    pub free: Vec<String>,
    /// Replications per design point (all points share them: common random numbers).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub replications: u32,
    /// Seed of the design (the simulations use the scenario's seed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Output format on standard output.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write calibration.json, calibrated.toml (the scenario with the estimates set) and report.html here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Progress on standard error.
    #[arg(long, value_enum, default_value_t = crate::sweep::Progress::Auto)]
    pub progress: crate::sweep::Progress,
}

#[derive(Args, Debug)]
pub struct StaffArgs {
    #[command(flatten)]
    pub scenario: ScenarioArgs,
    /// Shifts that may change, in --set syntax: 'region.Norrbotten.shifts.*', 'region.*.shifts.0'
    /// (repeatable; default: every shift of every region that has nurses).
    #[arg(long, value_name = "SELECTOR")]
    pub adjust: Vec<String>,
    /// Most nurses on any adjusted shift (default: three times the most today or in the analytic start, at least 20).
    #[arg(long, value_name = "N")]
    pub max_nurses: Option<u32>,
    /// Replications of every simulated staffing (default: the scenario's; at least 2).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Seed of the search (default: the scenario's); the certification seed is derived from it.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write staffed.toml (the scenario with the new staffing), staffing.json and report.html here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Progress on standard error.
    #[arg(long, value_enum, default_value_t = crate::sweep::Progress::Auto)]
    pub progress: crate::sweep::Progress,
}

#[derive(Args, Debug)]
pub struct ErlangArgs {
    /// Calls arriving per period (see --per).
    #[arg(long)]
    pub calls: f64,
    /// The period of --calls, e.g. 30m, 1h, 1w.
    #[arg(long, default_value = "1h")]
    pub per: String,
    /// Mean handle time (talk + after-call work), e.g. 3m, 12m.
    #[arg(long = "handle-time", alias = "aht")]
    pub handle_time: String,
    /// Mean patience (exponential) before a caller hangs up, or `none` (Erlang C).
    #[arg(long, default_value = "none")]
    pub patience: String,
    /// Nurses: one number, or a range such as 10..16 for a table.
    #[arg(long)]
    pub nurses: String,
    /// Service-level threshold(s), e.g. 20s or 5m,10m.
    #[arg(long, default_value = "5m", value_delimiter = ',')]
    pub within: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}
