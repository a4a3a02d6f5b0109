//! The command line: argument definitions and the commands they run.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::calendar::{parse_duration, MINUTE};
use crate::erlang::Queue;
use crate::experiment;
use crate::experiment::runner::{Cancel, Runner};
use crate::model::{self, Model};
use crate::output::{self, io::OutputSet};
use crate::scenario::{self, Scenario};

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
fn out(text: &str) -> Result<(), Failure> {
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

/// Checks `--out` before any work and prepares its temporary folder.
fn output_set(dir: &Option<PathBuf>) -> Result<Option<OutputSet>, Failure> {
    dir.as_deref()
        .map(|d| OutputSet::begin(d).map_err(|e| invalid(format!("{e}\n  = nothing was simulated or written"))))
        .transpose()
}

/// Writes a set of output files into place as a whole.
fn write_set(set: OutputSet, files: Result<Vec<output::File>, String>) -> Result<(), Failure> {
    let target = set.target().to_path_buf();
    let fail = |e: String| {
        failed(format!(
            "cannot write results to {}: {e}; nothing was written there",
            target.display()
        ))
    };
    output::commit(set, files.map_err(fail)?).map_err(|e| fail(e.to_string()))
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

fn failed(message: impl Into<String>) -> Failure {
    Failure {
        code: 1,
        message: message.into(),
    }
}

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
        Err(f) if f.code == 0 => ExitCode::SUCCESS,
        Err(f) => {
            let newline = if f.message.ends_with('\n') { "" } else { "\n" };
            // Scenario diagnostics carry their own `error:` per problem.
            let prefix = if f.message.starts_with("error") { "" } else { "error: " };
            output::io::eprint(&format!("{prefix}{}{newline}", f.message));
            ExitCode::from(f.code)
        }
    }
}

/// Runs a parsed command that cannot be cancelled.
pub fn execute(cli: Cli) -> Result<(), Failure> {
    execute_with(cli, &Cancel::new())
}

/// Runs a parsed command; setting `cancel` stops it (exit code 130).
pub fn execute_with(cli: Cli, cancel: &Cancel) -> Result<(), Failure> {
    match cli.command {
        Command::Run(args) => run(args, cancel),
        Command::Check(args) => check(args),
        Command::Compare(args) => compare(args, cancel),
        Command::Sweep(args) => sweep(args, cancel),
        Command::Calibrate(args) => calibrate(args, cancel),
        Command::Staff(args) => staff(args, cancel),
        Command::Merge(args) => merge(args, cancel),
        Command::Erlang(args) => erlang(args),
        Command::Schema => out(&scenario::keys::json_schema_text()),
        Command::Completions(args) => completions(args),
        Command::Man => man(),
    }
}

fn completions(args: CompletionsArgs) -> Result<(), Failure> {
    use clap::CommandFactory;
    let mut script = vec![];
    clap_complete::generate(args.shell, &mut Cli::command(), "nursequeue", &mut script);
    out(&String::from_utf8_lossy(&script))
}

fn man() -> Result<(), Failure> {
    use clap::CommandFactory;
    let mut page = vec![];
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| failed(format!("cannot render the manual page: {e}")))?;
    out(&String::from_utf8_lossy(&page))
}

/// `--set-for N:KEY=VALUE` flags sorted per scenario (N counts from 1).
fn overrides_per_scenario(flags: &[String], scenarios: usize) -> Result<Vec<Vec<String>>, String> {
    use crate::scenario::{Problems, Source, Span};
    let mut per = vec![vec![]; scenarios];
    let (mut problems, mut sources) = (Problems::default(), vec![]);
    for flag in flags {
        let n = flag
            .split_once(':')
            .and_then(|(n, rest)| Some((n.trim().parse::<usize>().ok()?, n.len(), rest)));
        if let Some((n, _, rest)) = n.filter(|&(n, _, _)| (1..=scenarios).contains(&n)) {
            per[n - 1].push(rest.to_string());
            continue;
        }
        sources.push(Source {
            name: format!("--set-for {flag}"),
            text: flag.clone(),
        });
        let span = |end: usize| Span {
            source: sources.len() - 1,
            start: 0,
            end,
        };
        match n {
            Some((n, len, _)) => problems
                .at(span(len), format!("there is no scenario {n}: {scenarios} are compared"))
                .hint("N counts the scenarios as named on the command line, from 1"),
            None => problems
                .at(span(flag.len()), "expected N:KEY=VALUE")
                .hint("e.g. --set-for 2:region.Kalmar.calls_per_day=400 (N counts the scenarios as named, from 1)"),
        };
    }
    if problems.is_empty() {
        Ok(per)
    } else {
        Err(problems.render(&sources))
    }
}

fn load(args: &ScenarioArgs) -> Result<Scenario, Failure> {
    let s = scenario::load_file(&args.scenario, &args.set).map_err(|e| invalid(e.to_string()))?;
    // Warnings never change the exit code: they go to standard error.
    for w in &s.warnings {
        output::io::eprint(w);
    }
    Ok(s)
}

fn check(args: CheckArgs) -> Result<(), Failure> {
    let s = load(&args.scenario)?;
    // Dated schedules count: their shifts replace the regular ones on their dates.
    let nurses: u32 = s
        .regions
        .iter()
        .flat_map(|r| {
            // A rotation's weeks hold the regular shifts; dated schedules their
            // own; the staffing factors scale them, as the model does.
            let rotation = r.rotation.iter().flat_map(|rot| rot.weeks.iter().flatten());
            let regular = r
                .shifts
                .iter()
                .chain(rotation)
                .map(|sh| scenario::staffed(sh.nurses, r.staffing_factor));
            let dated = r.schedules.iter().flat_map(|sc| {
                let factor = r.staffing_factor * sc.staffing_factor;
                sc.shifts.iter().flatten().map(move |sh| scenario::staffed(sh.nurses, factor))
            });
            regular.chain(dated)
        })
        .max()
        .unwrap_or(0);
    out(&format!(
        "{}: valid — {} region{}, {} agreement{}, {} target{}, {} replications of {} (largest shift: {} nurses){}\n",
        args.scenario.scenario.display(),
        s.regions.len(),
        plural(s.regions.len()),
        s.agreements.len(),
        plural(s.agreements.len()),
        s.targets.len(),
        plural(s.targets.len()),
        s.replications,
        crate::calendar::format_duration(s.horizon),
        nurses,
        dated_summary(&s)
    ))
}

/// What `check` says about the dated parts of a scenario (empty without any).
fn dated_summary(s: &Scenario) -> String {
    let schedules: usize = s.regions.iter().map(|r| r.schedules.len()).sum();
    let with: Vec<&str> = s
        .regions
        .iter()
        .filter(|r| !r.schedules.is_empty())
        .map(|r| r.name.as_str())
        .collect();
    let mut parts = vec![];
    if schedules > 0 {
        parts.push(format!("{schedules} dated schedule{} ({})", plural(schedules), with.join(", ")));
    }
    let dated: Vec<String> = s
        .agreements
        .iter()
        .filter(|a| a.from.is_some() || a.to.is_some())
        .map(|a| {
            let day = |d: Option<jiff::civil::Date>| d.map_or("…".to_string(), |d| d.to_string());
            format!("{} {} to {}", a.name, day(a.from), day(a.to))
        })
        .collect();
    if !dated.is_empty() {
        parts.push(format!("dated agreement{}: {}", plural(dated.len()), dated.join(", ")));
    }
    let crisis: Vec<&str> = s
        .agreements
        .iter()
        .filter(|a| a.crisis.is_some())
        .map(|a| a.name.as_str())
        .collect();
    if !crisis.is_empty() {
        parts.push(format!("crisis routing: {}", crisis.join(", ")));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join("; "))
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Applies `--replications` and `--seed` to a loaded scenario.
fn apply_run_flags(s: &mut Scenario, flags: &RunFlags) -> Result<(), Failure> {
    if let Some(r) = flags.replications {
        if r == 0 || r > 100_000 {
            return Err(invalid("--replications must be between 1 and 100000"));
        }
        s.replications = r;
    }
    if let Some(seed) = flags.seed {
        s.seed = seed;
    }
    Ok(())
}

fn run(args: RunArgs, cancel: &Cancel) -> Result<(), Failure> {
    let mut s = load(&args.scenario)?;
    apply_run_flags(&mut s, &args.run)?;
    check_size(Model::compile(&s).work(), s.replications as f64, args.run.allow_large)?;
    let set = output_set(&args.out)?;
    let mut bar = ProgressReport::new(args.progress, "run");
    let summary = experiment::run_with_progress(&s, &runner(&args.run, cancel)?, &mut |p| bar.update(p));
    bar.finish();
    let summary = summary.map_err(run_failure)?;
    if let Some(set) = set {
        write_set(set, output::run_files(&summary, &s.source))?;
    }
    match args.format {
        Format::Json => out(&(output::json::summary(&summary) + "\n"))?,
        Format::Text => out(&output::text::run_text(&s, &summary))?,
    }
    if let (Some(dir), Format::Text) = (&args.out, args.format) {
        out(&format!("Tables written to {}\n", dir.display()))?;
    }
    if args.fail_on_target && summary.targets.iter().any(|t| t.met != Some(true)) {
        return Err(Failure {
            code: 3,
            message: "a target was not met (--fail-on-target)".into(),
        });
    }
    Ok(())
}

fn compare(args: CompareArgs, cancel: &Cancel) -> Result<(), Failure> {
    let mut problems = String::new();
    let mut scenarios = vec![];
    let per_scenario = overrides_per_scenario(&args.set_for, args.scenarios.len()).map_err(invalid)?;
    for (path, own) in args.scenarios.iter().zip(&per_scenario) {
        let overrides: Vec<String> = args.set.iter().chain(own).cloned().collect();
        match scenario::load_file(path, &overrides) {
            Ok(mut s) => {
                s.warnings.iter().for_each(|w| output::io::eprint(w));
                // Two runs of one file differ by their own overrides: say which in the name.
                if !own.is_empty() && !own.iter().any(|o| o.trim_start().starts_with("name=")) {
                    s.name = format!("{} ({})", s.name, own.join("; "));
                }
                scenarios.push(s)
            }
            Err(e) => problems += &e.to_string(),
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    apply_run_flags(&mut scenarios[0], &args.run)?;
    let work = scenarios
        .iter()
        .fold(model::Work::default(), |w, s| w.plus(Model::compile(s).work()));
    check_size(work, scenarios[0].replications as f64, args.run.allow_large)?;
    let set = output_set(&args.out)?;
    let mut bar = ProgressReport::new(args.progress, "compare");
    let comparison = experiment::compare_with_progress(&scenarios, &runner(&args.run, cancel)?, &mut |p| bar.update(p));
    bar.finish();
    let comparison = comparison.map_err(run_failure)?;
    if let Some(set) = set {
        let sources: Vec<String> = scenarios.iter().map(|s| s.source.clone()).collect();
        write_set(set, output::comparison_files(&comparison, &sources))?;
    }
    match args.format {
        Format::Json => out(&(output::json::comparison(&comparison) + "\n")),
        Format::Text => out(&output::text::comparison_text(&comparison)),
    }
}

/// Calls one core simulates in a second on a typical multi-region scenario.
const CALLS_PER_CORE_SECOND: f64 = 2.5e6;
/// Work above this many simulated calls needs --allow-large (about ten minutes on two cores).
const LARGE_WORK: f64 = 3e9;

/// Refuses work that would run for a very long time unless the user asked for it.
/// Refuses work that could never finish; asks for --allow-large above LARGE_WORK calls.
fn check_size(work: model::Work, runs: f64, allow_large: bool) -> Result<(), Failure> {
    if let Some(why) = work.refusal(runs) {
        return Err(invalid(format!(
            "{why}.\n  = help: use fewer replications, points, regions or a shorter horizon"
        )));
    }
    let calls = work.calls() * runs;
    if calls <= LARGE_WORK || allow_large {
        return Ok(());
    }
    if !calls.is_finite() {
        return Err(invalid(
            "this would simulate an unbounded number of calls (a volume or factor far too large).\n  = help: check the values of --set and --vary",
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let minutes = calls / (CALLS_PER_CORE_SECOND * cores) / 60.0;
    Err(invalid(format!(
        "this would simulate about {:.1} billion calls — roughly {:.0} minutes on {} cores.\n  = help: add --allow-large to run it anyway, or use fewer replications, points or a shorter horizon",
        calls / 1e9,
        minutes.max(1.0),
        cores
    )))
}

/// Progress of `run` and `compare` on standard error (never standard output):
/// an indicatif bar with rate and time left on a terminal, a plain line every
/// few seconds otherwise, nothing with `--progress none`.
struct ProgressReport {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    command: &'static str,
    started: std::time::Instant,
    last_line: Option<std::time::Instant>,
}

/// Seconds between two plain progress lines.
const LINE_EVERY: f64 = 2.0;

impl ProgressReport {
    fn new(mode: crate::sweep::Progress, command: &'static str) -> ProgressReport {
        use crate::sweep::Progress;
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let bar = (mode == Progress::Bar || (mode == Progress::Auto && terminal)).then(|| {
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
            lines: mode == Progress::Lines || (mode == Progress::Auto && !terminal),
            command,
            started: std::time::Instant::now(),
            last_line: None,
        }
    }

    fn update(&mut self, p: crate::experiment::runner::Progress) {
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
            self.last_line = Some(std::time::Instant::now());
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The runner of a command: its `--threads`, stopped by `cancel`.
fn runner(flags: &RunFlags, cancel: &Cancel) -> Result<Runner, Failure> {
    Runner::new(flags.threads).map(|r| r.with_cancel(cancel.clone())).map_err(|e| {
        invalid(format!(
            "cannot start worker threads: {e}\n  = help: give a smaller --threads (0: one per core)"
        ))
    })
}

fn run_failure(e: experiment::RunError) -> Failure {
    match e {
        experiment::RunError::Interrupted => Failure {
            code: 130,
            message: e.to_string(),
        },
        other => failed(other.to_string()),
    }
}

fn minutes(flag: &str, text: &str) -> Result<f64, Failure> {
    parse_duration(text)
        .map(|t| t as f64 / MINUTE as f64)
        .map_err(|e| invalid(format!("--{flag}: {e}")))
}

fn nurse_range(text: &str) -> Result<Vec<u32>, Failure> {
    let bad = || invalid(format!("--nurses `{text}`: give a number such as 13 or a range such as 10..16"));
    let (lo, hi) = match text.split_once("..") {
        Some((a, b)) => (
            a.trim().parse::<u32>().map_err(|_| bad())?,
            b.trim().trim_start_matches('=').parse::<u32>().map_err(|_| bad())?,
        ),
        None => {
            let n = text.trim().parse::<u32>().map_err(|_| bad())?;
            (n, n)
        }
    };
    if lo == 0 || hi < lo || hi > 100_000 {
        return Err(bad());
    }
    Ok((lo..=hi).collect())
}

fn erlang(args: ErlangArgs) -> Result<(), Failure> {
    let per = minutes("per", &args.per)?;
    if !(args.calls.is_finite() && args.calls > 0.0) || per <= 0.0 {
        return Err(invalid("--calls and --per must be positive"));
    }
    let handle = minutes("handle-time", &args.handle_time)?;
    if handle <= 0.0 {
        return Err(invalid("--handle-time must be longer than zero"));
    }
    let theta = if args.patience == "none" {
        0.0
    } else {
        let p = minutes("patience", &args.patience)?;
        if p <= 0.0 {
            return Err(invalid("--patience must be longer than zero, or none"));
        }
        1.0 / p
    };
    let within: Vec<(String, f64)> = args
        .within
        .iter()
        .map(|w| Ok((w.trim().to_string(), minutes("within", w)?)))
        .collect::<Result<_, Failure>>()?;
    let lambda = args.calls / per;
    check_erlang_range(lambda * handle, theta * handle)?;
    let nurses = nurse_range(&args.nurses)?;
    if nurses.len() as f64 * lambda * handle > ERLANG_TABLE_WORK {
        return Err(invalid(format!(
            "{} rows at an offered load of {:.0} Erlang would take minutes\n  = help: ask --nurses for a narrower range around the load (e.g. {}..{})",
            nurses.len(),
            lambda * handle,
            (lambda * handle).floor(),
            (lambda * handle * 1.2).ceil()
        )));
    }
    let rows: Vec<output::erlang::ErlangRow> = nurses
        .into_iter()
        .map(|n| {
            output::erlang::ErlangRow::new(
                Queue {
                    lambda,
                    mu: 1.0 / handle,
                    theta,
                    n,
                },
                &within,
            )
        })
        .collect();
    match args.format {
        Format::Json => out(&(output::erlang::json(&rows) + "\n")),
        Format::Text => out(&output::erlang::text(lambda, handle, theta, &within, &rows)),
    }
}

/// The offered loads and patience ratios the exact formulas compute in a
/// moment and to full precision; beyond them the sums run for a very long
/// time or lose every digit.
const ERLANG_LOAD: (f64, f64) = (1e-6, 1e3);
/// Rows × offered load a staffing table may ask for (the cost of a row grows with the load).
const ERLANG_TABLE_WORK: f64 = 1e5;
const ERLANG_PATIENCE_RATIO: (f64, f64) = (1e-6, 1e6);

/// Refuses queues outside the range the exact formulas handle.
fn check_erlang_range(load: f64, patience_ratio: f64) -> Result<(), Failure> {
    if !(ERLANG_LOAD.0..=ERLANG_LOAD.1).contains(&load) {
        return Err(invalid(format!(
            "an offered load of {load:.3e} Erlang (calls per minute × handle time in minutes) is outside {:.0e}–{:.0e}, the range `erlang` computes exactly\n  = help: check --calls, --per and --handle-time; for larger systems, simulate with `nursequeue run`",
            ERLANG_LOAD.0, ERLANG_LOAD.1
        )));
    }
    if patience_ratio > 0.0 && !(ERLANG_PATIENCE_RATIO.0..=ERLANG_PATIENCE_RATIO.1).contains(&patience_ratio) {
        return Err(invalid(format!(
            "handle time / patience = {patience_ratio:.3e} is outside {:.0e}–{:.0e}, the range `erlang` computes exactly\n  = help: check --handle-time and --patience (or use --patience none)",
            ERLANG_PATIENCE_RATIO.0, ERLANG_PATIENCE_RATIO.1
        )));
    }
    Ok(())
}

/// Refuses an output folder that is a file, before any work.
fn not_a_file(out: &std::path::Path) -> Result<(), Failure> {
    if out.exists() && !out.is_dir() {
        return Err(invalid(format!(
            "--out {}: this is a file, not a folder; give a folder (it is created if missing), or move the file away\n  = nothing was simulated or written",
            out.display()
        )));
    }
    Ok(())
}

/// Keys a sweep cannot vary: every point runs the base's seed and
/// replications (common random numbers), so varying them would label rows
/// with values that were never used; and a key given twice would too.
fn check_varied_keys(varies: &[crate::sweep::Vary]) -> Result<(), Failure> {
    let mut seen = std::collections::HashSet::new();
    for v in varies {
        if v.key == "seed" || v.key == "replications" {
            return Err(invalid(format!(
                "--vary {}: every point of a sweep runs the scenario's seed and replications, so that points see the same callers\n  = help: use --seed or --replications for the whole sweep",
                v.key
            )));
        }
        if !seen.insert(v.key.as_str()) {
            return Err(invalid(format!(
                "--vary {} is given twice\n  = help: list all its values in one --vary {}=V1,V2,…",
                v.key, v.key
            )));
        }
    }
    Ok(())
}

fn sweep_failure(e: crate::sweep::SweepError) -> Failure {
    use crate::sweep::SweepError;
    match e {
        SweepError::Invalid(m) => invalid(m),
        SweepError::Failed(m) => failed(m),
        SweepError::Interrupted(m) => Failure { code: 130, message: m },
    }
}

fn sweep(args: SweepArgs, cancel: &Cancel) -> Result<(), Failure> {
    use crate::sweep as sw;
    let mut base = load(&args.scenario)?;
    apply_run_flags(&mut base, &args.run)?;
    let specs = if args.vary.is_empty() {
        base.sweep.clone()
    } else {
        args.vary.clone()
    };
    if specs.is_empty() {
        return Err(invalid(
            "nothing to vary: give --vary KEY=V1,V2,… or a [sweep] vary list in the scenario",
        ));
    }
    let varies = specs
        .iter()
        .map(|v| sw::parse_vary(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    check_varied_keys(&varies)?;
    let shard = args.shard.as_deref().map(sw::parse_shard).transpose().map_err(invalid)?;
    if let Some(out) = &args.out {
        not_a_file(out)?;
    }
    if (shard.is_some() || args.resume) && args.out.is_none() {
        return Err(invalid("--shard and --resume need --out DIR"));
    }
    // Counted, not built: a grid of 10^8 points is refused before anything is allocated.
    let plan = sw::Plan::new(&base, &args.scenario.set, varies);
    if plan.count > sw::MAX_POINTS {
        return Err(invalid(format!(
            "the grid has {} points; at most {}",
            if plan.count == usize::MAX {
                "more than 2^64".to_string()
            } else {
                plan.count.to_string()
            },
            sw::MAX_POINTS
        )));
    }
    let runner = runner(&args.run, cancel)?;
    let run = sw::SweepRun {
        scenario_path: &args.scenario.scenario,
        base: &base,
        sets: &args.scenario.set,
        plan,
        threads: args.run.threads,
        shard,
        out: args.out.clone(),
        resume: args.resume,
        progress: args.progress,
    };
    // Every point of this shard is checked, and its own work counted, before anything runs.
    check_size(sw::estimate(&run, &runner).map_err(sweep_failure)?, 1.0, args.run.allow_large)?;
    let mut finished = sw::execute_with(&run, &runner).map_err(sweep_failure)?;
    if let (Some(dir), Some(s)) = (&args.out, shard) {
        let path = sw::write_part(dir, &mut finished, s, &base.source, &args.scenario.set).map_err(failed)?;
        eprintln!("part written to {}", path.display());
        return Ok(());
    }
    let plan = finished.plan().clone();
    let mut stdout = output::io::QuietStdout::default();
    let json_out: Option<&mut dyn std::io::Write> = match (args.format, &args.out) {
        (Format::Json, None) => Some(&mut stdout),
        _ => None,
    };
    let points = finished.points().map_err(failed)?;
    let assembled = sw::assemble(args.out.as_deref(), &plan, &base.source, points, json_out, cancel).map_err(|e| {
        let mut f = sweep_failure(e);
        if f.code == 130 && args.out.is_some() {
            f.message += "; every point is kept: rerun the same command with --resume to write the results";
        }
        f
    })?;
    if let Some(dir) = &args.out {
        eprintln!("results written to {}", dir.display());
        if args.format == Format::Json {
            let mut f = std::fs::File::open(dir.join("sweep.json")).map_err(|e| failed(e.to_string()))?;
            std::io::copy(&mut f, &mut stdout).map_err(|e| failed(format!("cannot write to standard output: {e}")))?;
        }
    }
    if args.format == Format::Text {
        out(&assembled.text())?;
    }
    Ok(())
}

fn merge(args: MergeArgs, cancel: &Cancel) -> Result<(), Failure> {
    not_a_file(&args.out)?;
    let merged = crate::sweep::read_parts(&args.parts, cancel).map_err(sweep_failure)?;
    crate::sweep::assemble(Some(&args.out), &merged.plan, &merged.source, merged.points(), None, cancel).map_err(sweep_failure)?;
    eprintln!("merged {} points into {}", merged.len(), args.out.display());
    Ok(())
}

fn calibrate(args: CalibrateArgs, cancel: &Cancel) -> Result<(), Failure> {
    use crate::calibrate::{self, calibrated, observed, scenario_model};
    let base = load(&args.scenario)?;
    let observed_text =
        std::fs::read_to_string(&args.observed).map_err(|e| invalid(format!("cannot read {}: {e}", args.observed.display())))?;
    let names = crate::stats::metric_names(&base.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>());
    let located = observed::read(&args.observed.display().to_string(), &observed_text, &base, &names).map_err(invalid)?;
    let free = args
        .free
        .iter()
        .map(|f| scenario_model::parse_free(f))
        .collect::<Result<Vec<_>, _>>()
        .map_err(invalid)?;
    let file_name = args.scenario.scenario.display().to_string();
    let model =
        scenario_model::ScenarioModel::new(&file_name, &base.source, &args.scenario.set, free, &located, cancel.flag()).map_err(invalid)?;
    let set = output_set(&args.out)?;
    let options = calibrate::Options {
        seed: args.seed.unwrap_or(base.seed),
        replications: args.replications as usize,
        ..Default::default()
    };
    let observations: Vec<calibrate::Observation> = located.iter().map(|l| l.observation.clone()).collect();
    let progress = std::sync::Mutex::new(ProgressReport::new(args.progress, "calibrate"));
    let runner = Runner::new(args.threads).map_err(|e| {
        invalid(format!(
            "cannot start worker threads: {e}\n  = help: give a smaller --threads (0: one per core)"
        ))
    })?;
    let result = runner
        .install(|| {
            calibrate::calibrate(&model, &observations, &options, &|done, total| {
                let p = crate::experiment::runner::Progress {
                    done: done as u64,
                    total: total as u64,
                };
                progress.lock().unwrap_or_else(|e| e.into_inner()).update(p)
            })
        })
        .map_err(|e| match e {
            calibrate::CalibrateError::Cancelled => Failure {
                code: 130,
                message: "interrupted: nothing was written".into(),
            },
            calibrate::CalibrateError::Invalid(m) => invalid(m),
        })?;
    progress.lock().unwrap_or_else(|e| e.into_inner()).finish();
    let estimates: Vec<f64> = result.parameters.iter().map(|p| p.estimate).collect();
    let values: Vec<(String, toml_edit::Value)> = result
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let value = match model.unit(k) {
                scenario_model::FreeUnit::Number => toml_edit::Value::from(p.estimate),
                scenario_model::FreeUnit::Minutes => toml_edit::Value::from(model.value_text(k, p.estimate)),
            };
            (p.key.clone(), value)
        })
        .collect();
    let json = serde_json::to_string_pretty(&result).map_err(|e| failed(e.to_string()))? + "\n";
    if let Some(set) = set {
        let mut header = format!(
            "# Calibrated by `nursequeue calibrate` against {}: {}.\n",
            args.observed
                .file_name()
                .map_or(String::new(), |n| n.to_string_lossy().into_owned()),
            result
                .parameters
                .iter()
                .enumerate()
                .map(|(k, p)| format!(
                    "{} = {} (95 % interval {} – {})",
                    p.key,
                    model.value_shown(k, p.estimate),
                    model.value_shown(k, p.ci95[0]),
                    model.value_shown(k, p.ci95[1])
                ))
                .collect::<Vec<_>>()
                .join("; ")
        );
        if !result.identifiable {
            header += "# NOT IDENTIFIABLE: the observations do not pin down every parameter.\n";
        }
        if !args.scenario.set.is_empty() {
            header += &format!(
                "# Calibrated with --set {}: run it with the same flags.\n",
                args.scenario.set.join(" --set ")
            );
        }
        let text = header + &calibrated::with_values(&base.source, &values).map_err(failed)?;
        // What is written must run as it is.
        crate::scenario::load_str(&file_name, &text, &args.scenario.set)
            .map_err(|e| failed(format!("the calibrated scenario does not load (a bug; please report it):\n{e}")))?;
        debug_assert!(model.scenario_at(&estimates).is_ok());
        use crate::calibrate::Model as _;
        let ranges: Vec<(f64, f64)> = model.parameters().iter().map(|p| (p.low, p.high)).collect();
        let report = crate::output::calibration::html(
            &result,
            &crate::output::calibration::ReportInput {
                scenario: &base.name,
                source: &base.source,
                observed_source: &observed_text,
                ranges: &ranges,
            },
            &|k, x| model.value_shown(k, x),
        );
        write_set(
            set,
            Ok(vec![
                ("calibration.json".to_string(), json.clone().into_bytes()),
                ("calibrated.toml".to_string(), text.into_bytes()),
                ("report.html".to_string(), report.into_bytes()),
            ]),
        )?;
    }
    match args.format {
        Format::Json => out(&json),
        Format::Text => out(&crate::output::calibration::text(&result, &|k, x| model.value_shown(k, x))),
    }
}

fn staff(args: StaffArgs, cancel: &Cancel) -> Result<(), Failure> {
    use crate::staff::{self, StaffError};
    let base = load(&args.scenario)?;
    let replications = args.replications.unwrap_or(base.replications);
    if !(2..=100_000).contains(&replications) {
        return Err(invalid(
            "--replications must be between 2 and 100000 for staff (its rule uses 95 % intervals)",
        ));
    }
    check_size(Model::compile(&base).work(), replications as f64, false)?;
    let set = output_set(&args.out)?;
    // staffed.toml edits the file by region and shift position: refuse, before
    // any simulation, a --set that moves those positions.
    if set.is_some() && !args.scenario.set.is_empty() {
        let file_name = args.scenario.scenario.display().to_string();
        if let Ok(file) = crate::scenario::load_str(&file_name, &base.source, &[]) {
            if let Some(change) = staff::staffed::layout_change(&file, &base) {
                return Err(invalid(format!(
                    "staff --out cannot write staffed.toml: {change}, and staffed.toml sets the nurses of the file's shifts by their position.\n  = help: write the added or removed regions and shifts into the scenario file (--set that only changes values is fine), or leave out --out\n  = nothing was simulated or written"
                )));
            }
        }
    }
    let flags = RunFlags {
        replications: None,
        seed: None,
        threads: args.threads,
        allow_large: false,
    };
    let runner = runner(&flags, cancel)?;
    let options = staff::Options {
        adjust: args.adjust.clone(),
        max_nurses: args.max_nurses,
        seed: args.seed.unwrap_or(base.seed),
        replications,
    };
    let mut bar = ProgressReport::new(args.progress, "staff");
    let result = staff::staff(&base, &options, &runner, &mut |p| {
        bar.update(crate::experiment::runner::Progress {
            done: p.simulations_done,
            total: p.simulations_done + p.simulations_left,
        })
    });
    bar.finish();
    let result = result.map_err(|e| match e {
        StaffError::Invalid(m) => invalid(m),
        StaffError::Infeasible(m, best) => invalid(format!("{m}\n\n{}", output::staffing::text(&best))),
        StaffError::Run(e) => run_failure(e),
    })?;
    if let Some(set) = set {
        let file_name = args.scenario.scenario.display().to_string();
        let mut header = format!(
            "# Staffed by `nursequeue staff` (search seed {}, certification seed {}, {} replications): {}, cost {:.0} -> {:.0} {}.\n",
            result.search.seed,
            result.certification.seed,
            replications,
            if result.certification.certified {
                "certified"
            } else {
                "NOT certified"
            },
            result.cost.before,
            result.cost.after,
            result.cost.unit
        );
        if !args.scenario.set.is_empty() {
            header += &format!(
                "# Staffed with --set {}: run it with the same flags.\n",
                args.scenario.set.join(" --set ")
            );
        }
        let text = header + &staff::staffed::with_staffing(&base.source, &base, &result.staffing).map_err(failed)?;
        // What is written must run as it is, with the staffing found.
        let reloaded = crate::scenario::load_str(&file_name, &text, &args.scenario.set)
            .map_err(|e| failed(format!("the staffed scenario does not load (a bug; please report it):\n{e}")))?;
        if !staff::staffed::has_staffing(&reloaded, &result.staffing) {
            return Err(failed(
                "the staffed scenario does not hold the staffing found (a bug; please report it)",
            ));
        }
        write_set(
            set,
            Ok(vec![
                ("staffed.toml".to_string(), text.into_bytes()),
                ("staffing.json".to_string(), output::staffing::json(&result).into_bytes()),
                (
                    "report.html".to_string(),
                    output::staffing::html(&result, &base.source).into_bytes(),
                ),
            ]),
        )?;
    }
    match args.format {
        Format::Json => out(&output::staffing::json(&result))?,
        Format::Text => out(&output::staffing::text(&result))?,
    }
    if let (Some(dir), Format::Text) = (&args.out, args.format) {
        out(&format!(
            "staffed.toml, staffing.json and report.html written to {}\n",
            dir.display()
        ))?;
    }
    Ok(())
}
