//! `run` (one scenario) and `compare` (several on the same callers).

use super::args::{CompareArgs, Format, RunArgs};
use super::failure::{invalid, out, run_failure, Failure};
use super::progress::ProgressReport;
use super::steps::{apply_run_flags, check_size, load, output_set, print_warnings, runner, write_set};
use crate::experiment::{self, runner::Cancel};
use crate::model::{self, Model};
use crate::output;
use crate::scenario::{self, Scenario};

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

/// `run`: simulates a scenario and prints (and writes) its summary.
pub(super) fn run(args: RunArgs, cancel: &Cancel) -> Result<(), Failure> {
    let mut s = load(&args.scenario)?;
    apply_run_flags(&mut s, &args.run)?;
    check_size(Model::compile(&s).work(), s.replications as f64, args.run.allow_large)?;
    let set = output_set(&args.out)?;
    let mut bar = ProgressReport::new(args.progress, "run");
    let summary = experiment::run_with_progress(&s, &runner(args.run.threads, cancel)?, &mut |p| bar.update(p));
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

/// `compare`: runs the scenarios on the same callers and prints (and writes)
/// their differences against the first.
pub(super) fn compare(args: CompareArgs, cancel: &Cancel) -> Result<(), Failure> {
    let mut scenarios = load_compared(&args)?;
    apply_run_flags(&mut scenarios[0], &args.run)?;
    let work = scenarios
        .iter()
        .fold(model::Work::default(), |w, s| w.plus(Model::compile(s).work()));
    check_size(work, scenarios[0].replications as f64, args.run.allow_large)?;
    let set = output_set(&args.out)?;
    let mut bar = ProgressReport::new(args.progress, "compare");
    let comparison = experiment::compare_with_progress(&scenarios, &runner(args.run.threads, cancel)?, &mut |p| bar.update(p));
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

/// Loads every compared scenario with `--set`, then its own `--set-for`
/// flags; reports the problems of all of them at once.
fn load_compared(args: &CompareArgs) -> Result<Vec<Scenario>, Failure> {
    let mut problems = String::new();
    let mut scenarios = vec![];
    let per_scenario = overrides_per_scenario(&args.set_for, args.scenarios.len()).map_err(invalid)?;
    for (n, (path, own)) in args.scenarios.iter().zip(&per_scenario).enumerate() {
        let overrides: Vec<String> = args.set.iter().chain(own).cloned().collect();
        match scenario::load_file(path, &overrides) {
            Ok(mut s) => {
                print_warnings(&s);
                // Two runs of one file differ by their own overrides: say which in the name.
                if !own.is_empty() && !own.iter().any(|o| o.trim_start().starts_with("name=")) {
                    s.name = format!("{} ({})", s.name, own.join("; "));
                }
                scenarios.push(s)
            }
            Err(mut e) => {
                // The sources are the file, the `--set` flags, then this
                // scenario's own flags: name those as the user wrote them.
                for (source, flag) in e.sources.iter_mut().skip(1 + args.set.len()).zip(own) {
                    source.name = format!("--set-for {}:{flag}", n + 1);
                }
                problems += &e.to_string();
            }
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(scenarios)
}
