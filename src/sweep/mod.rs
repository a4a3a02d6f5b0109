//! Sweeps: one scenario turned into a grid of what-ifs, every point × every
//! replication run on the [runner](crate::experiment::runner), with progress; shards for
//! clusters, `merge`, and `--resume`.
//!
//! A sweep is described by its [`Plan`]; the grid is never built in memory
//! (point `i`'s values are computed from `i`). A point is set up when its first
//! replication starts, written to disk (or to a spool file) as soon as it is
//! finished, and forgotten. The final tables and charts are assembled by
//! streaming those files in index order, so a sweep run in one go, resumed,
//! or run in shards and merged gives byte-identical output, and memory does
//! not grow with the number of points beyond one small row each.

mod assemble;
pub mod store;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use rayon::prelude::*;

pub use assemble::{assemble, point_cells, point_columns, point_header, Assembled};
pub use store::Point;

use crate::experiment::runner::{Runner, Stopped};
use crate::experiment::{self, groups, observe, simulate_cancellable, Fold, Observation};
use crate::model::{fnv1a, Model, Work};
use crate::output::io::write_atomic;
use crate::scenario::{self, Scenario};
use store::{lock_folder, FolderLock, PartEnd, PartHeader, PartSum, PlanFile, VaryFile};

/// The largest grid a sweep runs.
pub const MAX_POINTS: usize = 100_000;

/// One varied key and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    pub key: String,
    pub values: Vec<String>,
}

/// Parses `KEY=V1,V2,…` (a value may be a range of whole numbers, `4..9`, inclusive).
pub fn parse_vary(text: &str) -> Result<Vary, String> {
    let (key, list) = text
        .split_once('=')
        .ok_or_else(|| format!("`--vary {text}` has no `=`: write KEY=V1,V2,… (e.g. region.Kalmar.shifts.0.nurses=4..7)"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("`--vary {text}` names no key"));
    }
    let mut values = vec![];
    for item in list.split(',').map(str::trim) {
        if item.is_empty() {
            return Err(format!("`--vary {text}` has an empty value"));
        }
        match item.split_once("..") {
            Some((a, b)) if a.trim().parse::<i64>().is_ok() => {
                let (a, b): (i64, i64) = (
                    a.trim().parse().unwrap_or(0),
                    b.trim()
                        .trim_start_matches('=')
                        .parse()
                        .map_err(|_| format!("`{item}` is not a range of whole numbers such as 4..9"))?,
                );
                if b < a || b.checked_sub(a).is_none_or(|d| d > 10_000) {
                    return Err(format!(
                        "`{item}`: a range runs from the smaller to the larger number (at most 10,000 values)"
                    ));
                }
                values.extend((a..=b).map(|v| v.to_string()));
            }
            _ => values.push(item.to_string()),
        }
        if values.len() > MAX_POINTS {
            return Err(format!("`--vary {key}=…` has more than {MAX_POINTS} values"));
        }
    }
    Ok(Vary {
        key: key.to_string(),
        values,
    })
}

/// The grid: every combination of the varied values, the first key varying
/// slowest. Only the lists of values are kept; point `i` is computed from `i`.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario_name: String,
    pub varies: Vec<Vary>,
    /// Number of points; `usize::MAX` when the product overflows.
    pub count: usize,
    pub seed: u64,
    pub replications: u32,
    /// Fingerprint of the scenario text and fixed `--set` flags: parts of
    /// different sweeps are never merged.
    pub fingerprint: String,
}

fn count_points(varies: &[Vary]) -> usize {
    varies
        .iter()
        .try_fold(1usize, |n, v| n.checked_mul(v.values.len()))
        .unwrap_or(usize::MAX)
}

pub fn fingerprint(source: &str, sets: &[String]) -> String {
    format!("{:016x}", fnv1a(format!("{}\u{0}{}", source, sets.join("\u{0}")).as_bytes()))
}

impl Plan {
    pub fn new(base: &Scenario, sets: &[String], varies: Vec<Vary>) -> Plan {
        Plan {
            scenario_name: base.name.clone(),
            count: count_points(&varies),
            varies,
            seed: base.seed,
            replications: base.replications,
            fingerprint: fingerprint(&base.source, sets),
        }
    }

    /// The values of point `i`, one per varied key.
    pub fn values(&self, i: usize) -> Vec<&str> {
        let mut rest = i;
        let mut out: Vec<&str> = self
            .varies
            .iter()
            .rev()
            .map(|v| {
                let n = v.values.len();
                let x = &v.values[rest % n];
                rest /= n;
                x.as_str()
            })
            .collect();
        out.reverse();
        out
    }

    /// The values of point `i` by key, as kept with the point.
    pub fn values_map(&self, i: usize) -> BTreeMap<String, String> {
        self.varies
            .iter()
            .zip(self.values(i))
            .map(|(v, x)| (v.key.clone(), x.to_string()))
            .collect()
    }

    /// The `--set` flags of point `i`.
    pub fn sets(&self, i: usize) -> Vec<String> {
        self.varies
            .iter()
            .zip(self.values(i))
            .map(|(v, x)| format!("{}={}", v.key, x))
            .collect()
    }

    /// The plan as its files hold it.
    pub fn to_file(&self) -> PlanFile {
        PlanFile {
            fingerprint: self.fingerprint.clone(),
            points: self.count as u64,
            replications: self.replications,
            scenario: self.scenario_name.clone(),
            seed: self.seed,
            vary: self
                .varies
                .iter()
                .map(|v| VaryFile {
                    key: v.key.clone(),
                    values: v.values.clone(),
                })
                .collect(),
        }
    }

    /// The plan's identity: SHA-256 of its JSON (scenario fingerprint, grid,
    /// seed, replications). Every point and part carries it.
    pub fn id(&self) -> String {
        store::sha256_hex(&[json_text(&self.to_file()).as_bytes()])
    }

    /// Reads a plan back (from a part or `sweep-plan.json`), checking its
    /// sizes before anything is allocated for its points.
    pub fn from_file(file: PlanFile) -> Result<Plan, String> {
        let bad = |what: &str| format!("its plan has no valid `{what}`");
        if file.vary.iter().any(|v| v.values.is_empty()) {
            return Err(bad("vary"));
        }
        let varies: Vec<Vary> = file
            .vary
            .into_iter()
            .map(|v| Vary {
                key: v.key,
                values: v.values,
            })
            .collect();
        let count = count_points(&varies);
        let claimed = file.points;
        if varies.is_empty() || count > MAX_POINTS || claimed != count as u64 {
            return Err(format!(
                "its plan claims {claimed} points for a grid of {} (at most {MAX_POINTS})",
                if count == usize::MAX {
                    "more than 2^64".to_string()
                } else {
                    count.to_string()
                }
            ));
        }
        if file.replications == 0 {
            return Err(bad("replications"));
        }
        Ok(Plan {
            scenario_name: file.scenario,
            varies,
            count,
            seed: file.seed,
            replications: file.replications,
            fingerprint: file.fingerprint,
        })
    }
}

/// Compact JSON of one of the sweep's file records.
fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Keys are strings and every number is finite: this cannot fail.
    serde_json::to_string(value).expect("sweep records serialize to JSON")
}

/// `--shard I/N`: this task runs the points whose index is I modulo N.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard `{text}`: write I/N with 0 ≤ I < N, e.g. --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n || n > MAX_POINTS {
        return Err(bad());
    }
    Ok((i, n))
}

/// The points of shard `(k, n)` (all points without a shard), in index order.
fn shard_points(count: usize, shard: Option<(usize, usize)>) -> impl Iterator<Item = usize> + Clone {
    let (k, n) = shard.unwrap_or((0, 1));
    (k..count).step_by(n)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Progress {
    /// A progress bar on a terminal, plain lines otherwise.
    Auto,
    Bar,
    Lines,
    None,
}

/// Everything a sweep run needs.
pub struct SweepRun<'a> {
    pub scenario_path: &'a Path,
    pub base: &'a Scenario,
    /// Fixed `--set` flags (applied before the varied ones).
    pub sets: &'a [String],
    pub plan: Plan,
    pub threads: usize,
    pub shard: Option<(usize, usize)>,
    pub out: Option<PathBuf>,
    pub resume: bool,
    pub progress: Progress,
}

/// Why a sweep did not finish.
#[derive(Debug)]
pub enum SweepError {
    /// Invalid input: exit 2.
    Invalid(String),
    /// Anything else: exit 1.
    Failed(String),
    /// Ctrl-C: exit 130.
    Interrupted(String),
}

impl SweepRun<'_> {
    /// Point `i`'s scenario: the base scenario's text with the fixed and varied `--set` flags.
    fn load_point(&self, i: usize) -> Result<Scenario, String> {
        let flags = [self.sets, &self.plan.sets(i)].concat();
        let name = self.scenario_path.display().to_string();
        match scenario::load_str(&name, &self.base.source, &flags) {
            Ok(mut s) => {
                s.seed = self.plan.seed;
                s.replications = self.plan.replications;
                Ok(s)
            }
            Err(e) => Err(format!("point {i} ({}):\n{e}", self.plan.sets(i).join(" "))),
        }
    }

    /// The folder this run writes its points into: `--out`, or its shard's sub-folder.
    fn work_dir(&self) -> Option<PathBuf> {
        self.out.as_ref().map(|out| match self.shard {
            Some((k, n)) => out.join(format!("shard-{k}-of-{n}")),
            None => out.clone(),
        })
    }
}

/// Checks every point of this run (its shard) before anything runs, in
/// parallel and without keeping them, and estimates the work they will
/// simulate: each point's own work, so a swept value that makes one point
/// enormous is counted. The result is the work of every run of the shard
/// (events and attempts summed, memory of the largest replication).
pub fn estimate(run: &SweepRun, runner: &Runner) -> Result<Work, SweepError> {
    if run.plan.count > MAX_POINTS {
        return Err(SweepError::Invalid(format!(
            "the grid has {} points; at most {MAX_POINTS}",
            if run.plan.count == usize::MAX {
                "more than 2^64".to_string()
            } else {
                run.plan.count.to_string()
            }
        )));
    }
    let mine: Vec<usize> = shard_points(run.plan.count, run.shard).collect();
    let results: Vec<Result<Work, Option<String>>> = runner.install(|| {
        mine.par_iter()
            .map(|&i| {
                if runner.is_cancelled() {
                    return Err(None);
                }
                let s = run.load_point(i).map_err(Some)?;
                Ok(Model::compile(&s).work().times(s.replications as f64))
            })
            .collect()
    });
    let mut total = Work::default();
    for r in results {
        match r {
            Ok(w) => total = total.plus_run(w),
            Err(Some(problem)) => return Err(SweepError::Invalid(problem)),
            Err(None) => return Err(SweepError::Interrupted("interrupted before the sweep started".into())),
        }
    }
    Ok(total)
}

/// A point being simulated: set up by its first replication, dropped when done.
struct PointState {
    scenario: Scenario,
    model: Model,
    groups: Vec<Vec<usize>>,
}

type Slot = Arc<OnceLock<Result<Arc<PointState>, String>>>;

/// Where finished points go.
enum Store {
    /// `points/point-NNNNNN.json`, one file per point.
    Dir(PathBuf),
    /// Without `--out`: point lines appended to an anonymous temporary file.
    Spool(BufWriter<File>),
}

/// Point lines (index, line) read back in index order.
pub type PointLines<'a> = Box<dyn Iterator<Item = Result<(usize, Vec<u8>), String>> + 'a>;

/// A finished sweep (or shard): its points are on disk, ready to be
/// assembled or written as a part.
pub struct Finished {
    plan: Plan,
    plan_id: String,
    shard: Option<(usize, usize)>,
    store: Store,
    _lock: Option<FolderLock>,
}

impl Finished {
    /// Number of points (of this shard).
    pub fn len(&self) -> usize {
        shard_points(self.plan.count, self.shard).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The verified point lines of this run, in index order.
    pub fn lines(&mut self) -> Result<PointLines<'_>, String> {
        let indices = shard_points(self.plan.count, self.shard);
        let plan_id = self.plan_id.clone();
        match &mut self.store {
            Store::Dir(points) => {
                let points = points.clone();
                Ok(Box::new(indices.map(move |i| {
                    let path = store::point_file(&points, i);
                    let line = store::read_small(&path)
                        .and_then(|l| store::open_point_line(&l, &plan_id).map(|_| ()).map(|_| l))
                        .map_err(|e| format!("{} {e}", path.display()))?;
                    Ok((i, line))
                })))
            }
            Store::Spool(w) => {
                w.flush().map_err(|e| format!("cannot read back the points: {e}"))?;
                let mut f = w.get_ref().try_clone().map_err(|e| e.to_string())?;
                f.rewind().map_err(|e| e.to_string())?;
                let mut reader = BufReader::new(f);
                Ok(Box::new(indices.map(move |i| {
                    let mut line = vec![];
                    store::read_line(&mut reader, &mut line)?.ok_or("the spooled points end early")?;
                    store::open_point_line(&line, &plan_id)?;
                    Ok((i, line))
                })))
            }
        }
    }

    /// The verified points of this run, in index order.
    pub fn points(&mut self) -> Result<impl Iterator<Item = Result<Point, String>> + '_, String> {
        let plan = self.plan.clone();
        let plan_id = self.plan_id.clone();
        Ok(self.lines()?.map(move |r| {
            let (i, line) = r?;
            let body = store::open_point_line(&line, &plan_id)?;
            store::check_point(body, &plan, i).map_err(|e| format!("point {i} {e}"))
        }))
    }
}

/// Makes `dir` ready for this run: a fresh start clears the points of an
/// older sweep; `--resume` checks every point already there and returns
/// which points are done.
fn prepare(run: &SweepRun, dir: &Path, plan_id: &str) -> Result<Vec<bool>, SweepError> {
    let plan = &run.plan;
    let points = dir.join("points");
    let bad = |m: String| SweepError::Invalid(m);
    let io = |p: &Path, e: std::io::Error| SweepError::Failed(format!("{}: {e}", p.display()));
    let mut done = vec![false; plan.count];
    let plan_path = dir.join("sweep-plan.json");
    if run.resume {
        if let Ok(text) = std::fs::read_to_string(&plan_path) {
            let saved: PlanFile = serde_json::from_str(&text).map_err(|e| {
                bad(format!(
                    "{} is damaged ({e}): delete it and drop --resume to start the sweep again",
                    plan_path.display()
                ))
            })?;
            if saved != plan.to_file() {
                return Err(bad(format!("{} holds a different sweep (another scenario, grid, seed or replications): choose another --out folder, or drop --resume to start this one afresh", dir.display())));
            }
        }
    }
    let entries = match std::fs::read_dir(&points) {
        Ok(e) => e,
        Err(_) => return Ok(done),
    };
    let mine: Option<(usize, usize)> = run.shard;
    for entry in entries {
        let entry = entry.map_err(|e| io(&points, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tmp") {
            // A write that an interruption cut short: never a point.
            let _ = std::fs::remove_file(&path);
            continue;
        }
        let index = store::point_file_index(&name);
        if !run.resume {
            if index.is_some() {
                std::fs::remove_file(&path).map_err(|e| io(&path, e))?;
            }
            continue;
        }
        let refuse = |why: String| {
            bad(format!(
                "{} {why}.\n  = help: remove it (its point is then run again), or drop --resume to start the sweep afresh",
                path.display()
            ))
        };
        let Some(i) = index else {
            return Err(refuse("is not a point file of this sweep".into()));
        };
        if i >= plan.count || mine.is_some_and(|(k, n)| i % n != k) {
            return Err(refuse(format!(
                "is point {i}, which is not part of this sweep{}",
                if mine.is_some() { " shard" } else { "" }
            )));
        }
        let line = store::read_small(&path).map_err(&refuse)?;
        let body = store::open_point_line(&line, plan_id).map_err(&refuse)?;
        store::check_point(body, plan, i).map_err(&refuse)?;
        done[i] = true;
    }
    Ok(done)
}

/// Removes what an interrupted write left behind in a folder this run has locked.
fn remove_temporary_files(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp") && e.path().is_file() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Removes the assembled results of an older sweep before a fresh start, so
/// that the folder never shows results that do not belong to its points.
fn clear_results(run: &SweepRun, out: &Path) -> Result<(), SweepError> {
    let files: Vec<String> = match run.shard {
        Some(s) => vec![store::part_name(s)],
        None => ["sweep.csv", "sweep_regions.csv", "sweep.xlsx", "sweep.json", "report.html"]
            .map(String::from)
            .to_vec(),
    };
    for f in files {
        let p = out.join(f);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| SweepError::Failed(format!("cannot remove {}: {e}", p.display())))?;
        }
    }
    Ok(())
}

/// Runs the sweep (or this task's shard of it) without a cancellation token.
pub fn execute(run: &SweepRun) -> Result<Finished, SweepError> {
    let runner = Runner::new(run.threads).map_err(SweepError::Failed)?;
    execute_with(run, &runner)
}

/// Runs the sweep (or this task's shard of it) on `runner`: every point not
/// already finished (with `--resume`), each written as soon as it is done.
pub fn execute_with(run: &SweepRun, runner: &Runner) -> Result<Finished, SweepError> {
    let plan = &run.plan;
    if plan.count > MAX_POINTS {
        return Err(SweepError::Invalid(format!("the grid has more than {MAX_POINTS} points")));
    }
    let plan_id = plan.id();
    let failed = |what: &str, p: &Path, e: std::io::Error| SweepError::Failed(format!("cannot {what} {}: {e}", p.display()));
    let (store, lock, done) = match run.work_dir() {
        Some(dir) => {
            let points = dir.join("points");
            std::fs::create_dir_all(&points).map_err(|e| failed("create", &points, e))?;
            let lock = lock_folder(&dir).map_err(SweepError::Invalid)?;
            remove_temporary_files(&dir);
            let done = prepare(run, &dir, &plan_id)?;
            let out = run.out.as_deref().expect("a work folder comes from --out");
            clear_results(run, out)?;
            let plan_text = serde_json::to_string_pretty(&plan.to_file()).expect("json") + "\n";
            let plan_path = dir.join("sweep-plan.json");
            write_atomic(&plan_path, plan_text.as_bytes()).map_err(|e| failed("write", &plan_path, e))?;
            (Store::Dir(points), Some(lock), done)
        }
        None => {
            let spool = tempfile::tempfile().map_err(|e| SweepError::Failed(format!("cannot create a temporary file: {e}")))?;
            (Store::Spool(BufWriter::new(spool)), None, vec![false; plan.count])
        }
    };
    let mut finished = Finished {
        plan: plan.clone(),
        plan_id: plan_id.clone(),
        shard: run.shard,
        store,
        _lock: lock,
    };
    let mine = shard_points(plan.count, run.shard);
    let todo: Vec<usize> = mine.clone().filter(|&i| !done[i]).collect();
    let already = mine.count() - todo.len();
    drop(done);
    let reps = plan.replications as u64;
    let total_jobs = todo.len() as u64 * reps;
    let mut reporter = Reporter::new(run.progress, todo.len() + already, total_jobs);
    let slots: Mutex<HashMap<usize, Slot>> = Mutex::new(HashMap::new());
    let slot = |k: usize| -> Slot {
        let mut map = slots.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(k).or_default().clone()
    };
    let setup = |k: usize| -> Result<Arc<PointState>, String> {
        slot(k)
            .get_or_init(|| {
                let scenario = run.load_point(todo[k])?;
                let model = Model::compile(&scenario);
                let groups = groups(&model);
                Ok(Arc::new(PointState { scenario, model, groups }))
            })
            .clone()
    };
    let mut fold: Option<Fold> = None;
    let points_done = std::cell::Cell::new(already);
    let started = std::time::Instant::now();
    let threads = runner.threads();
    let result = runner.run(
        total_jobs,
        |job, cancel| {
            let (k, rep) = ((job / reps) as usize, job % reps);
            match setup(k) {
                Ok(p) => simulate_cancellable(&p.model, plan.seed, rep, cancel)
                    .map(|t| Ok::<Observation, String>(observe(&p.model, &p.groups, &t))),
                Err(e) => Some(Err(e)),
            }
        },
        |job, o| -> Result<(), SweepError> {
            let (k, rep) = ((job / reps) as usize, job % reps);
            let o = o.map_err(SweepError::Invalid)?;
            let p = setup(k).map_err(SweepError::Invalid)?;
            let f = fold.get_or_insert_with(|| {
                let names = crate::stats::metric_names(&p.scenario.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>());
                Fold::new(&p.model, names.len())
            });
            f.add(&o);
            if rep + 1 < reps {
                return Ok(());
            }
            let f = fold.take().expect("an open point");
            let summary = experiment::summarize(
                &p.scenario,
                &p.model,
                f,
                plan.replications,
                started.elapsed().as_secs_f64(),
                threads,
            );
            let i = todo[k];
            let line = store::point_line(&plan_id, &Point::new(plan, i, summary).to_json());
            match &mut finished.store {
                Store::Dir(points) => {
                    let path = store::point_file(points, i);
                    write_atomic(&path, line.as_bytes()).map_err(|e| failed("write", &path, e))?;
                }
                Store::Spool(w) => w
                    .write_all(line.as_bytes())
                    .map_err(|e| SweepError::Failed(format!("cannot write a temporary file: {e}")))?,
            }
            slots.lock().unwrap_or_else(|e| e.into_inner()).remove(&k);
            points_done.set(points_done.get() + 1);
            Ok(())
        },
        |p| reporter.update(points_done.get(), p.done, p.total),
    );
    reporter.finish();
    match result {
        Ok(()) => Ok(finished),
        Err(Stopped::Failed(e)) => Err(e),
        Err(Stopped::Cancelled) => {
            let kept = match run.work_dir() {
                Some(dir) => format!(
                    "; {} finished points are kept in {}: rerun the same command with --resume to continue",
                    points_done.get(),
                    dir.join("points").display()
                ),
                None => String::new(),
            };
            Err(SweepError::Interrupted(format!("interrupted{kept}")))
        }
    }
}

/// Reports progress as a bar or as plain lines on standard error.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    started: std::time::Instant,
    last_line: std::time::Instant,
    total_points: usize,
}

impl Reporter {
    fn new(mode: Progress, total_points: usize, total_jobs: u64) -> Reporter {
        use std::io::IsTerminal;
        let terminal = std::io::stderr().is_terminal();
        let bar = match mode {
            Progress::Bar => true,
            Progress::Auto => terminal,
            _ => false,
        };
        let bar = bar.then(|| {
            let b = indicatif::ProgressBar::new(total_jobs);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} replications ({msg}) eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        });
        let lines = mode == Progress::Lines || (mode == Progress::Auto && !terminal);
        Reporter {
            bar,
            lines,
            started: std::time::Instant::now(),
            last_line: std::time::Instant::now(),
            total_points,
        }
    }

    fn update(&mut self, points_done: usize, jobs_done: u64, total_jobs: u64) {
        if let Some(b) = &self.bar {
            b.set_position(jobs_done);
            b.set_message(format!("{points_done}/{} points", self.total_points));
        }
        let finished = jobs_done == total_jobs;
        if self.lines && (finished || self.last_line.elapsed().as_secs_f64() >= 2.0) {
            let elapsed = self.started.elapsed().as_secs_f64();
            let left = if jobs_done > 0 {
                elapsed * (total_jobs - jobs_done) as f64 / jobs_done as f64
            } else {
                f64::NAN
            };
            eprintln!(
                "sweep: {points_done}/{} points, {jobs_done}/{total_jobs} replications, {elapsed:.1} s elapsed, about {left:.0} s left",
                self.total_points
            );
            self.last_line = std::time::Instant::now();
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Writes `part-I-of-N.jsonl` into `dir`: a header (plan, scenario text,
/// fixed flags, shard), this shard's point lines, and an end line with the
/// count and the checksum of everything before it.
pub fn write_part(dir: &Path, finished: &mut Finished, shard: (usize, usize), source: &str, sets: &[String]) -> Result<PathBuf, String> {
    let path = dir.join(store::part_name(shard));
    let count = finished.len();
    // Written in the shard's own folder (which this run has locked), then renamed.
    let work = dir.join(format!("shard-{}-of-{}", shard.0, shard.1));
    let mut tmp = tempfile::NamedTempFile::new_in(&work).map_err(|e| format!("cannot write into {}: {e}", work.display()))?;
    let mut hasher = sha2::Sha256::new();
    use sha2::Digest;
    {
        let mut w = BufWriter::new(tmp.as_file_mut());
        let header = PartHeader {
            format: store::PART_FORMAT.into(),
            plan: finished.plan.to_file(),
            plan_id: finished.plan_id.clone(),
            points: count as u64,
            sets: sets.to_vec(),
            shard: [shard.0 as u64, shard.1 as u64],
            source: source.into(),
            version: store::PART_VERSION,
        };
        let header = json_text(&header) + "\n";
        let mut put = |bytes: &[u8]| -> Result<(), String> {
            hasher.update(bytes);
            w.write_all(bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        put(header.as_bytes())?;
        for line in finished.lines()? {
            put(&line?.1)?;
        }
        let end = PartEnd {
            end: PartSum {
                points: count as u64,
                sha256: store::hex(&hasher.finalize()),
            },
        };
        w.write_all((json_text(&end) + "\n").as_bytes())
            .and_then(|_| w.flush())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    tmp.persist(&path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(path)
}

/// Parts read and checked by [`read_parts`]: where each point's line is.
pub struct Merged {
    pub plan: Plan,
    plan_id: String,
    pub source: String,
    files: Vec<PathBuf>,
    /// Byte offset of point `i`'s line in `files[i % files.len()]`.
    offsets: Vec<u64>,
}

/// Reads parts (files, or folders holding `part-*.jsonl`) and checks that
/// they belong to one sweep, are intact (every checksum), and cover every
/// point exactly once. Only the offsets of the points are kept.
pub fn read_parts(paths: &[PathBuf], cancel: &crate::experiment::runner::Cancel) -> Result<Merged, SweepError> {
    read_parts_checked(paths, cancel).map_err(|e| {
        if cancel.is_cancelled() {
            SweepError::Interrupted("interrupted: nothing merged".into())
        } else {
            SweepError::Invalid(e)
        }
    })
}

fn read_parts_checked(paths: &[PathBuf], cancel: &crate::experiment::runner::Cancel) -> Result<Merged, String> {
    let mut files = vec![];
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("part-") && n.ends_with(".jsonl"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err("no parts found: give part-I-of-N.jsonl files or folders holding them".into());
    }
    let mut first: Option<(Plan, String, String, Vec<String>, usize)> = None;
    let mut by_shard: Vec<Option<PathBuf>> = vec![];
    let mut offsets: Vec<u64> = vec![];
    for f in &files {
        let name = f.display().to_string();
        let refuse = |why: String| format!("{name} {why}");
        let file = File::open(f).map_err(|e| refuse(format!("cannot be read: {e}")))?;
        let mut r = BufReader::new(file);
        let mut line = vec![];
        let mut hasher = sha2::Sha256::new();
        use sha2::Digest;
        let mut offset = 0u64;
        store::read_line_within(&mut r, &mut line, store::MAX_HEADER)
            .map_err(&refuse)?
            .ok_or_else(|| refuse("is empty".into()))?;
        hasher.update(&line);
        offset += line.len() as u64;
        let header: PartHeader = serde_json::from_slice(&line).map_err(|_| {
            refuse(if PartHeader::other_version(&line) {
                "is not a part of a nursequeue sweep of this version".into()
            } else {
                "is not a part of a nursequeue sweep (or is damaged)".into()
            })
        })?;
        if header.format != store::PART_FORMAT || header.version != store::PART_VERSION {
            return Err(refuse("is not a part of a nursequeue sweep of this version".into()));
        }
        let plan = Plan::from_file(header.plan).map_err(&refuse)?;
        let plan_id = plan.id();
        let (source, sets) = (header.source, header.sets);
        if header.plan_id != plan_id || fingerprint(&source, &sets) != plan.fingerprint {
            return Err(refuse(
                "was edited: its plan or scenario text does not match its fingerprint".into(),
            ));
        }
        let shard = match header.shard {
            [k, n] if k < n && n as usize <= MAX_POINTS => (k as usize, n as usize),
            _ => return Err(refuse("has no valid shard I/N".into())),
        };
        let count = shard_points(plan.count, Some(shard)).count();
        if header.points != count as u64 {
            return Err(refuse(format!(
                "claims {} points where shard {}/{} of this sweep has {count}",
                header.points, shard.0, shard.1
            )));
        }
        match &first {
            None => {
                by_shard = vec![None; shard.1];
                offsets = vec![0; plan.count];
                first = Some((plan.clone(), plan_id.clone(), source, sets, shard.1));
            }
            Some((_, id, _, _, n)) => {
                if *id != plan_id {
                    return Err(format!("{name} belongs to a different sweep than {}", files[0].display()));
                }
                if *n != shard.1 {
                    return Err(format!(
                        "{name} is shard {}/{} but {} is of {n} shards: give the parts of one sharded run",
                        shard.0,
                        shard.1,
                        files[0].display()
                    ));
                }
            }
        }
        if let Some(other) = &by_shard[shard.0] {
            return Err(format!("{name} and {} are both shard {}/{}", other.display(), shard.0, shard.1));
        }
        by_shard[shard.0] = Some(f.clone());
        for i in shard_points(plan.count, Some(shard)) {
            if cancel.is_cancelled() {
                return Err("interrupted".into());
            }
            store::read_line(&mut r, &mut line)
                .map_err(&refuse)?
                .ok_or_else(|| refuse(format!("is truncated: point {i} is missing")))?;
            let body = store::open_point_line(&line, &plan_id).map_err(|e| refuse(format!("has a point line that {e}")))?;
            // The summary is skipped here; `Merged::points` reads it.
            #[derive(serde::Deserialize)]
            struct Head {
                index: u64,
                values: BTreeMap<String, String>,
            }
            let head: Head = serde_json::from_slice(body).map_err(|e| refuse(format!("has a damaged point: {e}")))?;
            if head.index != i as u64 {
                return Err(refuse(format!(
                    "holds point {} where point {i} belongs (points duplicated, swapped or missing)",
                    head.index
                )));
            }
            if head.values != plan.values_map(i) {
                return Err(refuse(format!("holds values for point {i} that are not this sweep's")));
            }
            hasher.update(&line);
            offsets[i] = offset;
            offset += line.len() as u64;
        }
        store::read_line(&mut r, &mut line)
            .map_err(&refuse)?
            .ok_or_else(|| refuse("is truncated (no end line)".into()))?;
        let end: PartEnd = serde_json::from_slice(&line).map_err(|_| refuse("has extra or damaged lines at its end".into()))?;
        if end.end.points != count as u64 || end.end.sha256 != store::hex(&hasher.finalize()) {
            return Err(refuse("was edited or damaged (its checksum does not match its content)".into()));
        }
        if store::read_line(&mut r, &mut line).map_err(&refuse)?.is_some() {
            return Err(refuse("has lines after its end".into()));
        }
    }
    let (plan, plan_id, source, _, n) = first.expect("at least one part");
    let missing: Vec<String> = (0..n)
        .filter(|&k| by_shard[k].is_none())
        .take(10)
        .map(|k| store::part_name((k, n)))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the parts do not cover the sweep: missing {}{}",
            missing.join(", "),
            if by_shard.iter().filter(|s| s.is_none()).count() > 10 {
                ", …"
            } else {
                ""
            }
        ));
    }
    Ok(Merged {
        plan,
        plan_id,
        source,
        files: by_shard.into_iter().map(|f| f.expect("every shard")).collect(),
        offsets,
    })
}

impl Merged {
    pub fn len(&self) -> usize {
        self.plan.count
    }

    pub fn is_empty(&self) -> bool {
        self.plan.count == 0
    }

    /// The points of every part, in index order, each checked again.
    pub fn points(&self) -> impl Iterator<Item = Result<Point, String>> + '_ {
        let n = self.files.len();
        // Keep every part open when there are not too many of them.
        let mut open: Vec<Option<(BufReader<File>, u64)>> = (0..n).map(|_| None).collect();
        let keep = n <= 256;
        (0..self.plan.count).map(move |i| {
            let k = i % n;
            let path = &self.files[k];
            let refuse = |why: String| format!("{} {why}", path.display());
            let (mut reader, at) = match open[k].take() {
                Some(r) => r,
                None => (
                    BufReader::new(File::open(path).map_err(|e| refuse(format!("cannot be read: {e}")))?),
                    0,
                ),
            };
            if at != self.offsets[i] {
                reader
                    .seek(std::io::SeekFrom::Start(self.offsets[i]))
                    .map_err(|e| refuse(format!("cannot be read: {e}")))?;
            }
            let mut line = vec![];
            store::read_line(&mut reader, &mut line)
                .map_err(&refuse)?
                .ok_or_else(|| refuse("changed while it was merged".into()))?;
            let at = self.offsets[i] + line.len() as u64;
            let body = store::open_point_line(&line, &self.plan_id).map_err(|e| refuse(format!("changed while it was merged: {e}")))?;
            let v = store::check_point(body, &self.plan, i).map_err(&refuse)?;
            if keep {
                open[k] = Some((reader, at));
            }
            Ok(v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vary(key: &str, values: &[&str]) -> Vary {
        Vary {
            key: key.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn points_are_computed_from_their_index_first_key_slowest() {
        let varies = vec![vary("a", &["1", "2"]), vary("b", &["x", "y", "z"]), vary("c", &["p", "q"])];
        let plan = Plan {
            scenario_name: "s".into(),
            count: count_points(&varies),
            varies,
            seed: 1,
            replications: 1,
            fingerprint: "f".into(),
        };
        let mut nested = vec![];
        for a in ["1", "2"] {
            for b in ["x", "y", "z"] {
                for c in ["p", "q"] {
                    nested.push(vec![a, b, c]);
                }
            }
        }
        assert_eq!(plan.count, 12);
        assert_eq!((0..12).map(|i| plan.values(i)).collect::<Vec<_>>(), nested);
        assert_eq!(plan.sets(5), vec!["a=1", "b=z", "c=q"]);
        let back = Plan::from_file(plan.to_file()).unwrap();
        assert_eq!(back.id(), plan.id());
    }

    #[test]
    fn grids_are_counted_without_overflow() {
        let big: Vec<String> = (0..100_000).map(|v| v.to_string()).collect();
        let v = Vary {
            key: "k".into(),
            values: big,
        };
        assert_eq!(count_points(&[v.clone(), v.clone()]), 10_000_000_000);
        assert_eq!(count_points(&[v.clone(), v.clone(), v.clone(), v.clone()]), usize::MAX);
        let mut file = Plan {
            scenario_name: "s".into(),
            count: 2,
            varies: vec![vary("a", &["1", "2"])],
            seed: 1,
            replications: 1,
            fingerprint: "f".into(),
        }
        .to_file();
        file.points = 1_000_000_000_000;
        assert!(Plan::from_file(file).unwrap_err().contains("claims 1000000000000 points"));
        assert_eq!(parse_shard("3/3").ok(), None);
        assert_eq!(parse_shard("2/3").ok(), Some((2, 3)));
    }
}
