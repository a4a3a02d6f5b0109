//! Sweeps: one scenario turned into a grid of what-ifs, every point × every
//! replication run in parallel, with progress; shards for clusters, `merge`,
//! and `--resume`.
//!
//! A sweep is described by its [`Plan`]. Each finished point is kept as a JSON
//! object (its values and its summary); the final tables and charts are
//! assembled from those objects only, so a sweep run in one go, resumed, or run
//! in shards and merged gives byte-identical output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::{json, Value};

use crate::charts::{Chart, LineChart, NamedChart, XAxis};
use crate::experiment::{self, groups, observe, simulate, Fold};
use crate::model::{fnv1a, Model};
use crate::report::{self, write_atomic};
use crate::scenario::{self, Scenario};

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
                if b < a || b - a > 10_000 {
                    return Err(format!(
                        "`{item}`: a range runs from the smaller to the larger number (at most 10,000 values)"
                    ));
                }
                values.extend((a..=b).map(|v| v.to_string()));
            }
            _ => values.push(item.to_string()),
        }
    }
    Ok(Vary {
        key: key.to_string(),
        values,
    })
}

/// The grid: every combination of the varied values, the first key varying slowest.
#[derive(Clone, Debug)]
pub struct Plan {
    pub scenario_name: String,
    pub varies: Vec<Vary>,
    pub points: Vec<Vec<String>>,
    pub seed: u64,
    pub replications: u32,
    /// Fingerprint of the scenario text and fixed `--set` flags: parts of
    /// different sweeps are never merged.
    pub fingerprint: String,
}

impl Plan {
    pub fn new(base: &Scenario, sets: &[String], varies: Vec<Vary>) -> Plan {
        let mut points: Vec<Vec<String>> = vec![vec![]];
        for v in &varies {
            points = points
                .iter()
                .flat_map(|p| v.values.iter().map(move |x| [p.clone(), vec![x.clone()]].concat()))
                .collect();
        }
        let fingerprint = format!("{:016x}", fnv1a(format!("{}\u{0}{}", base.source, sets.join("\u{0}")).as_bytes()));
        Plan {
            scenario_name: base.name.clone(),
            varies,
            points,
            seed: base.seed,
            replications: base.replications,
            fingerprint,
        }
    }

    /// The `--set` flags of point `i`.
    pub fn sets(&self, i: usize) -> Vec<String> {
        self.varies
            .iter()
            .zip(&self.points[i])
            .map(|(v, x)| format!("{}={}", v.key, x))
            .collect()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "scenario": self.scenario_name,
            "fingerprint": self.fingerprint,
            "seed": self.seed,
            "replications": self.replications,
            "vary": self.varies.iter().map(|v| json!({"key": v.key, "values": v.values})).collect::<Vec<_>>(),
            "points": self.points.len(),
        })
    }
}

/// `--shard I/N`: this task runs the points whose index is I modulo N.
pub fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("--shard `{text}`: write I/N with 0 ≤ I < N, e.g. --shard \"$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT\"");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
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
pub enum SweepError {
    /// Invalid input: exit 2.
    Invalid(String),
    /// Anything else: exit 1.
    Failed(String),
    /// Ctrl-C: exit 130.
    Interrupted(String),
}

fn point_file(dir: &Path, i: usize) -> PathBuf {
    dir.join("points").join(format!("point-{i:06}.json"))
}

/// Loads every point's scenario (all problems reported before anything runs).
fn load_points(run: &SweepRun, indices: &[usize]) -> Result<Vec<Scenario>, SweepError> {
    let mut problems = String::new();
    let mut scenarios = vec![];
    for &i in indices {
        let flags = [run.sets, &run.plan.sets(i)].concat();
        match scenario::load_file(run.scenario_path, &flags) {
            Ok(mut s) => {
                s.seed = run.plan.seed;
                s.replications = run.plan.replications;
                scenarios.push(s);
            }
            Err(e) => {
                problems += &format!("point {i} ({}):\n{e}", run.plan.sets(i).join(" "));
                break;
            }
        }
    }
    if problems.is_empty() {
        Ok(scenarios)
    } else {
        Err(SweepError::Invalid(problems))
    }
}

/// The JSON object kept for a finished point.
fn point_json(plan: &Plan, i: usize, summary: &experiment::Summary) -> Value {
    let mut s = report::summary_json(summary);
    s.as_object_mut().expect("object").remove("run");
    let values: serde_json::Map<String, Value> = plan
        .varies
        .iter()
        .zip(&plan.points[i])
        .map(|(v, x)| (v.key.clone(), Value::String(x.clone())))
        .collect();
    json!({"index": i, "values": values, "summary": s})
}

/// Reads points already written in `dir` for this plan (for `--resume`).
fn finished_points(dir: &Path, plan: &Plan) -> Result<Vec<Value>, SweepError> {
    let plan_path = dir.join("sweep-plan.json");
    let Ok(text) = std::fs::read_to_string(&plan_path) else {
        return Ok(vec![]);
    };
    let saved: Value = serde_json::from_str(&text).map_err(|e| SweepError::Failed(format!("{}: {e}", plan_path.display())))?;
    if saved != plan.to_json() {
        return Err(SweepError::Invalid(format!("{} holds a different sweep (another scenario, grid, seed or replications): choose another --out folder, or drop --resume to overwrite", dir.display())));
    }
    let mut points = vec![];
    for i in 0..plan.points.len() {
        if let Ok(text) = std::fs::read_to_string(point_file(dir, i)) {
            if let Ok(v) = serde_json::from_str::<Value>(&text) {
                points.push(v);
            }
        }
    }
    Ok(points)
}

/// Reports progress as a bar or as plain lines on standard error.
struct Reporter {
    bar: Option<indicatif::ProgressBar>,
    lines: bool,
    started: Instant,
    last_line: Instant,
    total_points: usize,
}

impl Reporter {
    fn new(mode: Progress, total_points: usize, total_jobs: u64) -> Reporter {
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
            started: Instant::now(),
            last_line: Instant::now(),
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
            self.last_line = Instant::now();
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Runs the sweep (or this task's shard of it); returns the finished points, in
/// index order, including those found with `--resume`.
pub fn execute(run: &SweepRun) -> Result<Vec<Value>, SweepError> {
    let plan = &run.plan;
    let mine: Vec<usize> = (0..plan.points.len())
        .filter(|i| run.shard.is_none_or(|(k, n)| i % n == k))
        .collect();
    let mut done: Vec<Value> = vec![];
    if let Some(dir) = &run.out {
        std::fs::create_dir_all(dir.join("points")).map_err(|e| SweepError::Failed(format!("cannot create {}: {e}", dir.display())))?;
        if run.resume {
            done = finished_points(dir, plan)?
                .into_iter()
                .filter(|p| mine.contains(&(p["index"].as_u64().unwrap_or(u64::MAX) as usize)))
                .collect();
        }
        let plan_text = serde_json::to_string_pretty(&plan.to_json()).expect("json") + "\n";
        write_atomic(&dir.join("sweep-plan.json"), plan_text.as_bytes()).map_err(|e| SweepError::Failed(e.to_string()))?;
    }
    let skip: Vec<usize> = done.iter().filter_map(|p| p["index"].as_u64().map(|i| i as usize)).collect();
    let todo: Vec<usize> = mine.into_iter().filter(|i| !skip.contains(i)).collect();
    let scenarios = load_points(run, &todo)?;
    let models: Vec<Model> = scenarios.iter().map(Model::compile).collect();
    let group_lists: Vec<Vec<Vec<usize>>> = models.iter().map(groups).collect();
    let reps = plan.replications as u64;
    let jobs: Vec<(usize, u64)> = (0..todo.len()).flat_map(|k| (0..reps).map(move |r| (k, r))).collect();
    let total_jobs = jobs.len() as u64;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(run.threads)
        .build()
        .map_err(|e| SweepError::Failed(e.to_string()))?;
    let mut reporter = Reporter::new(run.progress, todo.len() + done.len(), total_jobs);
    let names: Vec<usize> = scenarios
        .iter()
        .map(|s| crate::stats::metric_names(&s.within_thresholds().into_iter().map(|(_, l)| l).collect::<Vec<_>>()).len())
        .collect();
    let mut folds: Vec<Option<Fold>> = models.iter().zip(&names).map(|(m, &k)| Some(Fold::new(m, k))).collect();
    let mut points_done = done.len();
    let batch = (pool.current_num_threads() * 8).max(1);
    let started = Instant::now();
    for (b, chunk) in jobs.chunks(batch).enumerate() {
        if experiment::interrupted() {
            reporter.finish();
            let kept = match &run.out {
                Some(dir) => format!(
                    "; {points_done} finished points are kept in {}: rerun with --resume to continue",
                    dir.join("points").display()
                ),
                None => String::new(),
            };
            return Err(SweepError::Interrupted(format!("interrupted{kept}")));
        }
        let observations: Vec<experiment::Observation> = pool.install(|| {
            chunk
                .par_iter()
                .map(|&(k, rep)| observe(&models[k], &group_lists[k], &simulate(&models[k], plan.seed, rep)))
                .collect()
        });
        for (&(k, rep), o) in chunk.iter().zip(&observations) {
            let fold = folds[k].as_mut().expect("point still open");
            fold.add(o);
            if rep + 1 == reps {
                let fold = folds[k].take().expect("point still open");
                let summary = experiment::summarize(
                    &scenarios[k],
                    &models[k],
                    fold,
                    plan.replications,
                    started.elapsed().as_secs_f64(),
                    pool.current_num_threads(),
                );
                let point = point_json(plan, todo[k], &summary);
                if let Some(dir) = &run.out {
                    let text = serde_json::to_string(&point).expect("json");
                    write_atomic(&point_file(dir, todo[k]), text.as_bytes())
                        .map_err(|e| SweepError::Failed(format!("cannot write a point: {e}")))?;
                }
                done.push(point);
                points_done += 1;
            }
        }
        reporter.update(points_done, ((b * batch + chunk.len()) as u64).min(total_jobs), total_jobs);
    }
    reporter.finish();
    done.sort_by_key(|p| p["index"].as_u64());
    Ok(done)
}

/// Writes `part-I-of-N.json`: this shard's points with the plan they belong to.
pub fn write_part(dir: &Path, plan: &Plan, shard: (usize, usize), points: &[Value], source: &str) -> std::io::Result<PathBuf> {
    let part = json!({"plan": plan.to_json(), "shard": [shard.0, shard.1], "source": source, "points": points});
    let path = dir.join(format!("part-{}-of-{}.json", shard.0, shard.1));
    write_atomic(&path, (serde_json::to_string(&part).expect("json") + "\n").as_bytes())?;
    Ok(path)
}

/// Reads parts (files, or folders holding `part-*.json`) and checks that they
/// belong to one sweep and cover every point exactly once.
pub fn read_parts(paths: &[PathBuf]) -> Result<(Value, Vec<Value>, String), String> {
    let mut files = vec![];
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("part-") && n.ends_with(".json"))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    if files.is_empty() {
        return Err("no parts found: give part-I-of-N.json files or folders holding them".into());
    }
    let mut plan: Option<Value> = None;
    let mut source = String::new();
    let mut points: Vec<Value> = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()))?;
        let part: Value = serde_json::from_str(&text).map_err(|e| format!("{} is not a sweep part: {e}", f.display()))?;
        let this_plan = part
            .get("plan")
            .cloned()
            .ok_or_else(|| format!("{} is not a sweep part (no plan)", f.display()))?;
        match &plan {
            None => plan = Some(this_plan),
            Some(p) if *p != this_plan => return Err(format!("{} belongs to a different sweep than {}", f.display(), files[0].display())),
            _ => {}
        }
        source = part["source"].as_str().unwrap_or_default().to_string();
        points.extend(part["points"].as_array().cloned().unwrap_or_default());
    }
    let plan = plan.expect("at least one part");
    let total = plan["points"].as_u64().unwrap_or(0) as usize;
    points.sort_by_key(|p| p["index"].as_u64());
    let indices: Vec<usize> = points.iter().map(|p| p["index"].as_u64().unwrap_or(u64::MAX) as usize).collect();
    if indices != (0..total).collect::<Vec<_>>() {
        let missing: Vec<String> = (0..total)
            .filter(|i| !indices.contains(i))
            .take(10)
            .map(|i| i.to_string())
            .collect();
        let twice = indices.windows(2).any(|w| w[0] == w[1]);
        return Err(format!(
            "the parts do not cover the sweep exactly once: {} of {total} points{}{}",
            indices.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(", missing {}", missing.join(", "))
            },
            if twice { ", some twice" } else { "" }
        ));
    }
    Ok((plan, points, source))
}

/// Metrics of the total shown in the sweep's charts.
fn chart_metrics(points: &[Value]) -> Vec<(String, String, bool)> {
    let total = &points[0]["summary"]["total"];
    let within = total
        .as_object()
        .map(|o| {
            o.keys()
                .find(|k| {
                    k.starts_with("answered_within_")
                        && !k.ends_with("_of_answered")
                        && *k != "answered_within_5m"
                        && *k != "answered_within_10m"
                })
                .cloned()
        })
        .unwrap_or(None);
    let mut list = vec![
        ("answered_share".to_string(), "Share of calls answered".to_string(), true),
        (
            within.unwrap_or_else(|| "answered_within_5m".into()),
            "Share answered within the target time".to_string(),
            true,
        ),
        ("abandoned_share".to_string(), "Share of calls abandoned".to_string(), true),
        (
            "mean_wait_answered".to_string(),
            "Mean wait of answered calls (minutes)".to_string(),
            false,
        ),
        ("occupancy".to_string(), "Nurse occupancy".to_string(), true),
    ];
    list.dedup_by(|a, b| a.0 == b.0);
    list
}

/// Writes `sweep.csv`, `sweep.json`, the KPI charts and `report.html` from the points.
pub fn assemble(dir: &Path, plan: &Value, points: &[Value], source: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let keys: Vec<String> = plan["vary"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v["key"].as_str().map(String::from)).collect())
        .unwrap_or_default();
    let metrics: Vec<String> = points
        .first()
        .and_then(|p| p["summary"]["total"].as_object())
        .map(|o| o.keys().filter(|k| *k != "region").cloned().collect())
        .unwrap_or_default();
    let targets = points
        .first()
        .and_then(|p| p["summary"]["targets"].as_array().map(|a| a.len()))
        .unwrap_or(0);
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(keys.iter().cloned());
    for m in &metrics {
        header.extend([m.clone(), format!("{m}_ci_low"), format!("{m}_ci_high")]);
    }
    for k in 0..targets {
        header.extend([format!("target_{}_met", k + 1), format!("target_{}_share_of_periods_met", k + 1)]);
    }
    let text = |v: &Value| match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let rows: Vec<Vec<String>> = points
        .iter()
        .map(|p| {
            let mut row = vec![p["index"].to_string()];
            row.extend(keys.iter().map(|k| text(&p["values"][k])));
            for m in &metrics {
                let e = &p["summary"]["total"][m];
                row.extend([text(&e["mean"]), text(&e["ci95"][0]), text(&e["ci95"][1])]);
            }
            for k in 0..targets {
                let t = &p["summary"]["targets"][k];
                row.extend([text(&t["met"]), text(&t["share_of_periods_met"])]);
            }
            row
        })
        .collect();
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(&header)?;
    for r in &rows {
        w.write_record(r)?;
    }
    write_atomic(
        &dir.join("sweep.csv"),
        &w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))?,
    )?;
    let all = json!({"plan": plan, "points": points});
    write_atomic(
        &dir.join("sweep.json"),
        (serde_json::to_string_pretty(&all).expect("json") + "\n").as_bytes(),
    )?;
    let charts = sweep_charts(plan, points);
    crate::charts::write_all(dir, &charts)?;
    let title = format!("Sweep of {}", plan["scenario"].as_str().unwrap_or("a scenario"));
    let table = points_table(&keys, points);
    write_atomic(
        &dir.join("report.html"),
        crate::html::sweep_report(&title, &table, &charts, source).as_bytes(),
    )
}

/// For every varied key, one chart per KPI against that key, with one line per
/// combination of the other keys and the target (if one applies to all regions).
fn sweep_charts(plan: &Value, points: &[Value]) -> Vec<NamedChart> {
    if points.is_empty() {
        return vec![];
    }
    let varies: Vec<(String, Vec<String>)> = plan["vary"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|v| {
                    (
                        v["key"].as_str().unwrap_or("").to_string(),
                        v["values"]
                            .as_array()
                            .map(|x| x.iter().filter_map(|s| s.as_str().map(String::from)).collect())
                            .unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let targets: Vec<Value> = points[0]["summary"]["targets"].as_array().cloned().unwrap_or_default();
    let mut charts = vec![];
    for (x, (x_key, x_values)) in varies.iter().enumerate() {
        let series_of = |p: &Value| -> String {
            let rest: Vec<String> = varies
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != x)
                .map(|(_, (k, _))| format!("{}={}", short_key(k), p["values"][k].as_str().unwrap_or("")))
                .collect();
            if rest.is_empty() {
                "all regions".into()
            } else {
                rest.join(", ")
            }
        };
        for (metric, title, percent) in chart_metrics(points) {
            let mut series: Vec<(String, Vec<(f64, f64)>)> = vec![];
            for p in points {
                let name = series_of(p);
                let position = x_values
                    .iter()
                    .position(|v| Some(v.as_str()) == p["values"][x_key].as_str())
                    .unwrap_or(0) as f64;
                let y = p["summary"]["total"][&metric]["mean"].as_f64().unwrap_or(f64::NAN);
                match series.iter_mut().find(|s| s.0 == name) {
                    Some(s) => s.1.push((position, y)),
                    None => series.push((name, vec![(position, y)])),
                }
            }
            let target = targets
                .iter()
                .find(|t| t["metric"].as_str() == Some(metric.as_str()) && t["region"] == "all")
                .and_then(|t| {
                    let b = t["bound"]["at_least"].as_f64().or(t["bound"]["at_most"].as_f64())?;
                    Some((
                        b,
                        format!("target {}", if percent { format!("{:.0} %", b * 100.0) } else { format!("{b}") }),
                    ))
                });
            charts.push(NamedChart {
                file: format!("sweep_{metric}_by_{}", report::slug(x_key)),
                chart: Chart::Lines(LineChart {
                    title: format!("{title} by {}", short_key(x_key)),
                    x: XAxis::Labels(x_values.clone()),
                    x_desc: x_key.clone(),
                    y_desc: metric.clone(),
                    y_percent: percent,
                    series,
                    target,
                }),
            });
        }
    }
    charts
}

/// A key without its table prefix: `Örebro.shifts.0.nurses`, `national.overflow_after`.
fn short_key(key: &str) -> String {
    key.split_once('.')
        .filter(|(table, _)| ["region", "agreement", "defaults"].contains(table))
        .map_or(key, |(_, rest)| rest)
        .to_string()
}

/// Key figures of a point: (column, metric, scale, decimals).
pub const POINT_COLUMNS: [(&str, &str, f64, usize); 5] = [
    ("answered %", "answered_share", 100.0, 1),
    ("abandoned %", "abandoned_share", 100.0, 1),
    ("≤5m %", "answered_within_5m", 100.0, 1),
    ("mean wait", "mean_wait_answered", 1.0, 2),
    ("occupancy %", "occupancy", 100.0, 1),
];

/// A point's row: its varied values, the key figures (mean ± half-width) and `met/targets`.
pub fn point_cells(keys: &[String], p: &Value) -> Vec<String> {
    let mut row: Vec<String> = keys.iter().map(|k| p["values"][k].as_str().unwrap_or("").to_string()).collect();
    for (_, m, scale, d) in POINT_COLUMNS {
        let e = &p["summary"]["total"][m];
        row.push(match (e["mean"].as_f64(), e["ci95"][0].as_f64(), e["ci95"][1].as_f64()) {
            (Some(v), Some(l), Some(h)) => format!("{:.*} ±{:.*}", d, v * scale, d, (h - l) / 2.0 * scale),
            (Some(v), ..) => format!("{:.*}", d, v * scale),
            _ => "—".into(),
        });
    }
    let targets = p["summary"]["targets"].as_array().cloned().unwrap_or_default();
    row.push(format!("{}/{}", targets.iter().filter(|t| t["met"] == true).count(), targets.len()));
    row
}

/// The header of [`point_cells`].
pub fn point_header(keys: &[String]) -> Vec<String> {
    keys.iter()
        .cloned()
        .chain(POINT_COLUMNS.iter().map(|c| c.0.to_string()))
        .chain(["targets met".to_string()])
        .collect()
}

fn points_table(keys: &[String], points: &[Value]) -> String {
    use crate::html::escape;
    let row = |cells: Vec<String>, tag: &str| {
        format!(
            "<tr>{}</tr>",
            cells.iter().map(|c| format!("<{tag}>{}</{tag}>", escape(c))).collect::<String>()
        )
    };
    let mut out = String::from("<table>");
    out += &row([vec!["point".to_string()], point_header(keys)].concat(), "th");
    for p in points {
        out += &row([vec![p["index"].to_string()], point_cells(keys, p)].concat(), "td");
    }
    out + "</table>"
}
