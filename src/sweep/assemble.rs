//! `sweep.csv`, `sweep_regions.csv`, `sweep.xlsx`, `sweep.json`, the KPI charts and `report.html`, assembled by
//! streaming the finished points in index order: each point is read, written
//! out and dropped; only a small row per point (the table cells and the
//! charted figures) stays in memory.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::store::Point;
use super::{Plan, SweepError};
use crate::experiment::runner::Cancel;
use crate::experiment::{Summary, TargetResult};
use crate::output::charts::{Chart, LineChart, NamedChart, XAxis};
use crate::output::io::write_atomic;
use crate::output::{slug, text::align};
use crate::scenario::Bound;
use crate::stats::{metric_set, Estimate, Metric, View};

/// What is left of the points once assembled: the table of key figures.
pub struct Assembled {
    pub keys: Vec<String>,
    /// Per point: its index, then [`point_cells`].
    pub rows: Vec<Vec<String>>,
}

impl Assembled {
    /// The points as an aligned text table.
    pub fn text(&self) -> String {
        let rows: Vec<Vec<String>> = self.rows.iter().map(|r| r[1..].to_vec()).collect();
        align(&point_header(&self.keys), &rows)
    }
}

/// A figure as a CSV cell: written as in the point's JSON (`0.5`, `12.0`),
/// nothing when undefined.
fn number(x: Option<f64>) -> String {
    // JSON writes every finite number and nothing else: this cannot fail.
    x.filter(|v| v.is_finite())
        .map_or_else(String::new, |v| serde_json::to_string(&v).expect("a finite number"))
}

/// The defined confidence interval of an estimate (as its JSON holds it).
fn interval(e: &Estimate) -> Option<(f64, f64)> {
    e.ci95.filter(|(l, h)| l.is_finite() && h.is_finite())
}

/// The three CSV cells of an estimate: mean, low and high end of its interval.
fn estimate_cells(e: Option<&Estimate>) -> [String; 3] {
    let ci = e.and_then(interval);
    [number(e.and_then(|e| e.mean)), number(ci.map(|c| c.0)), number(ci.map(|c| c.1))]
}

/// A group's estimate of each of `metrics` (by the positions `at` of the
/// point's summary; `None` where the point does not report the metric).
fn figures<'a>(at: &'a [Option<usize>], values: &'a [Estimate]) -> impl Iterator<Item = Option<&'a Estimate>> + 'a {
    at.iter().map(move |k| k.and_then(|k| values.get(k)))
}

/// Where each of `metrics` is in the summary's values.
fn positions(summary: &Summary, metrics: &[Metric]) -> Vec<Option<usize>> {
    metrics.iter().map(|m| summary.metric(&m.key)).collect()
}

/// Pretty JSON of `v` as it appears nested `depth` spaces deep.
fn pretty_at<T: Serialize>(v: &T, depth: usize) -> String {
    // Results serialize to JSON (string keys, non-finite numbers as null).
    let text = serde_json::to_string_pretty(v).expect("json");
    // JSON strings never hold a raw newline, so every newline is layout.
    text.replace('\n', &format!("\n{}", " ".repeat(depth)))
}

/// Writes to every writer in the list.
struct Tee<'a>(Vec<&'a mut dyn Write>);

impl Tee<'_> {
    fn put(&mut self, s: &str) -> std::io::Result<()> {
        for w in self.0.iter_mut() {
            w.write_all(s.as_bytes())?;
        }
        Ok(())
    }
}

/// A metric of the total charted against every varied key.
struct Charted {
    key: String,
    title: String,
    percent: bool,
}

/// The catalogue line of the service level (`answered_within_<T>`).
const WITHIN: &str = "answered_within_{T}";

/// Metrics of the total shown in the sweep's charts: those of its table
/// ([`point_columns`]), the service level second and at the first threshold
/// (in key order) of the first point other than 5 and 10 minutes — a
/// target's — if there is one.
fn chart_metrics(metrics: &[Metric]) -> Vec<Charted> {
    let mut shown = point_columns();
    if let Some(k) = shown.iter().position(|m| m.def.key == WITHIN) {
        let fixed = shown.remove(k);
        let target = metrics
            .iter()
            .find(|m| m.def.key == WITHIN && m.threshold.as_ref().is_some_and(|(_, t)| t != "5m" && t != "10m"));
        shown.insert(1.min(shown.len()), target.cloned().unwrap_or(fixed));
    }
    shown
        .into_iter()
        .map(|m| Charted {
            title: if m.def.key == WITHIN {
                "Share answered within the target time".to_string()
            } else {
                m.title
            },
            percent: m.def.unit.is_share(),
            key: m.key,
        })
        .collect()
}

/// Layout of the columns, taken from the first point.
struct Layout {
    /// The total's metrics (`sweep.csv`), in key order as the JSON lists them.
    metrics: Vec<Metric>,
    /// Metrics of a region (`sweep_regions.csv`).
    region_metrics: Vec<Metric>,
    /// Per target, the stem of its columns (see [`target_columns`]).
    target_names: Vec<String>,
    charted: Vec<Charted>,
    /// The first point's targets: lines on the charts.
    targets: Vec<TargetResult>,
}

impl Layout {
    fn of(s: &Summary) -> Layout {
        let mut metrics = s.metrics.clone();
        metrics.sort_by(|a, b| a.key.cmp(&b.key));
        Layout {
            region_metrics: if s.regions.is_empty() { vec![] } else { metrics.clone() },
            target_names: target_columns(&s.targets),
            charted: chart_metrics(&metrics),
            targets: s.targets.clone(),
            metrics,
        }
    }
}

impl Layout {
    /// The header of `sweep.csv`: the point, the varied keys, each metric
    /// with its interval, and each target's verdict and share of periods met.
    fn header(&self, keys: &[String]) -> Vec<String> {
        let mut header: Vec<String> = vec!["point".into()];
        header.extend(keys.iter().cloned());
        header.extend(self.metrics.iter().flat_map(metric_header));
        for name in &self.target_names {
            header.extend([format!("{name}_met"), format!("{name}_share_of_periods_met")]);
        }
        header
    }

    /// A point's row of `sweep.csv`.
    fn row(&self, keys: &[String], p: &Point) -> Vec<String> {
        let s = &p.summary;
        let mut row = point_values(keys, p);
        for e in figures(&positions(s, &self.metrics), &s.total) {
            row.extend(estimate_cells(e));
        }
        for k in 0..self.target_names.len() {
            let t = s.targets.get(k);
            row.push(t.and_then(|t| t.met).map_or_else(String::new, |met| met.to_string()));
            row.push(number(t.and_then(|t| t.share_of_periods_met)));
        }
        row
    }

    /// The header of `sweep_regions.csv`.
    fn region_header(&self, keys: &[String]) -> Vec<String> {
        let mut header: Vec<String> = vec!["point".into()];
        header.extend(keys.iter().cloned());
        header.push("region".into());
        header.extend(self.region_metrics.iter().flat_map(metric_header));
        header
    }

    /// A point's rows of `sweep_regions.csv`, one per region.
    fn region_rows(&self, keys: &[String], p: &Point) -> Vec<Vec<String>> {
        let s = &p.summary;
        let at = positions(s, &self.region_metrics);
        s.region_names
            .iter()
            .zip(&s.regions)
            .map(|(name, values)| {
                let mut row = point_values(keys, p);
                row.push(name.clone());
                row.extend(figures(&at, values).flat_map(estimate_cells));
                row
            })
            .collect()
    }

    /// The total's mean of each charted metric (`NaN` where undefined).
    fn charted_means(&self, s: &Summary) -> Vec<f64> {
        self.charted
            .iter()
            .map(|c| {
                s.metric(&c.key)
                    .and_then(|k| s.total[k].mean)
                    .filter(|m| m.is_finite())
                    .unwrap_or(f64::NAN)
            })
            .collect()
    }
}

/// A metric's three columns: its mean and the ends of its interval.
fn metric_header(m: &Metric) -> [String; 3] {
    [m.key.clone(), format!("{}_ci_low", m.key), format!("{}_ci_high", m.key)]
}

/// A point's first cells: its index and its value of each varied key.
fn point_values(keys: &[String], p: &Point) -> Vec<String> {
    let mut row = vec![p.index.to_string()];
    row.extend(keys.iter().map(|k| p.values.get(k).cloned().unwrap_or_default()));
    row
}

/// The stem of each target's columns in `sweep.csv`, named after the target:
/// `target_<metric>_<region or all>_<per>` (`target_answered_within_5m_Kalmar_month`),
/// with any character of a region name other than a letter or digit written
/// `_`; a second target with the same stem gets `_2`, and so on.
pub fn target_columns(targets: &[TargetResult]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let part = |s: &str| s.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect::<String>();
    targets
        .iter()
        .map(|t| {
            let stem = format!(
                "target_{}_{}_{}",
                part(&t.metric),
                part(t.region.as_deref().unwrap_or("all")),
                part(t.per.as_str())
            );
            let k = seen.entry(stem.clone()).or_insert(0);
            *k += 1;
            if *k == 1 {
                stem
            } else {
                format!("{stem}_{k}")
            }
        })
        .collect()
}

/// Streams the points (in index order) into `sweep.csv` and `sweep.json` in
/// `dir` (and the JSON also to `json_out`), then draws the charts and writes
/// `report.html`. Nothing is written into `dir` unless every point was read:
/// `sweep.csv` and `sweep.json` are renamed into place last.
pub fn assemble(
    dir: Option<&Path>,
    plan: &Plan,
    source: &str,
    points: impl Iterator<Item = Result<Point, String>>,
    json_out: Option<&mut dyn Write>,
    cancel: &Cancel,
) -> Result<Assembled, SweepError> {
    let io = |e: std::io::Error| match dir {
        Some(d) => SweepError::Failed(format!("cannot write to {}: {e}", d.display())),
        None => SweepError::Failed(format!("cannot write the results: {e}")),
    };
    let keys: Vec<String> = plan.varies.iter().map(|v| v.key.clone()).collect();
    let mut files = match dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(io)?;
            Some((
                tempfile::NamedTempFile::new_in(d).map_err(io)?,
                tempfile::NamedTempFile::new_in(d).map_err(io)?,
                tempfile::NamedTempFile::new_in(d).map_err(io)?,
            ))
        }
        None => None,
    };
    let mut layout: Option<Layout> = None;
    let columns = point_columns();
    let mut rows: Vec<Vec<String>> = vec![];
    // Charted means per point, in the order of `layout.charted`.
    let mut charted: Vec<Vec<f64>> = vec![];
    {
        let (mut csv_w, mut json_w, mut regions_w) = match &mut files {
            Some((c, j, r)) => (
                Some(csv::Writer::from_writer(BufWriter::new(c.as_file_mut()))),
                Some(BufWriter::new(j.as_file_mut())),
                Some(csv::Writer::from_writer(BufWriter::new(r.as_file_mut()))),
            ),
            None => (None, None, None),
        };
        let mut sinks: Vec<&mut dyn Write> = vec![];
        if let Some(w) = json_w.as_mut() {
            sinks.push(w);
        }
        if let Some(w) = json_out {
            sinks.push(w);
        }
        let mut json = Tee(sinks);
        json.put(&format!("{{\n  \"plan\": {},\n  \"points\": [", pretty_at(&plan.to_file(), 2)))
            .map_err(io)?;
        for (n, p) in points.enumerate() {
            if cancel.is_cancelled() {
                return Err(SweepError::Interrupted("interrupted while the results were written".into()));
            }
            let p = p.map_err(SweepError::Invalid)?;
            let l = layout.get_or_insert_with(|| Layout::of(&p.summary));
            let record = |w: &mut csv::Writer<_>, cells: Vec<String>| {
                w.write_record(cells.iter().map(|c| crate::output::csv::cell(c)))
                    .map_err(|e| io(e.into()))
            };
            if let Some(w) = csv_w.as_mut() {
                if n == 0 {
                    record(w, l.header(&keys))?;
                }
                record(w, l.row(&keys, &p))?;
            }
            if let Some(w) = regions_w.as_mut() {
                if n == 0 {
                    record(w, l.region_header(&keys))?;
                }
                for row in l.region_rows(&keys, &p) {
                    record(w, row)?;
                }
            }
            json.put(if n == 0 { "\n    " } else { ",\n    " }).map_err(io)?;
            json.put(&pretty_at(&p, 4)).map_err(io)?;
            charted.push(l.charted_means(&p.summary));
            rows.push([vec![p.index.to_string()], point_cells(&keys, &columns, &p)].concat());
        }
        json.put(if rows.is_empty() { "]\n}\n" } else { "\n  ]\n}\n" }).map_err(io)?;
        for w in json.0.iter_mut() {
            w.flush().map_err(io)?;
        }
        drop(json);
        if let Some(w) = csv_w.as_mut() {
            w.flush().map_err(io)?;
        }
        drop(csv_w);
        if let Some(w) = regions_w.as_mut() {
            w.flush().map_err(io)?;
        }
        drop(regions_w);
        if let Some(mut w) = json_w {
            w.flush().map_err(io)?;
        }
    }
    let assembled = Assembled { keys, rows };
    if let (Some(d), Some((csv_tmp, json_tmp, regions_tmp))) = (dir, files) {
        let charts = match &layout {
            Some(l) => sweep_charts(plan, l, &charted),
            None => vec![],
        };
        crate::output::charts::write_all(d, &charts).map_err(io)?;
        let title = format!("Sweep of {}", plan.scenario_name);
        let table = points_table(&assembled);
        write_atomic(
            &d.join("report.html"),
            crate::output::html::sweep_report(&title, &table, &charts, source).as_bytes(),
        )
        .map_err(io)?;
        let xlsx_tmp = tempfile::Builder::new().suffix(".xlsx").tempfile_in(d).map_err(io)?;
        crate::output::xlsx::sweep_workbook(&[("points", csv_tmp.path()), ("regions", regions_tmp.path())], xlsx_tmp.path())
            .map_err(SweepError::Failed)?;
        for (tmp, name) in [
            (json_tmp, "sweep.json"),
            (regions_tmp, "sweep_regions.csv"),
            (xlsx_tmp, "sweep.xlsx"),
            (csv_tmp, "sweep.csv"),
        ] {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).map_err(io)?;
            }
            tmp.persist(d.join(name)).map_err(|e| io(e.error))?;
        }
    }
    Ok(assembled)
}

/// For every varied key, one chart per KPI against that key, with one line per
/// combination of the other keys and the target (if one applies to all regions).
fn sweep_charts(plan: &Plan, layout: &Layout, charted: &[Vec<f64>]) -> Vec<NamedChart> {
    let mut charts = vec![];
    for (x, xv) in plan.varies.iter().enumerate() {
        // Per point: its line (the other keys' values) and its position on the x axis.
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut series_names: Vec<String> = vec![];
        let mut placed: Vec<(usize, f64)> = Vec::with_capacity(charted.len());
        // A value's place on the x axis: its first place in the list (a value
        // listed twice is drawn at its first place).
        let mut at: HashMap<&str, usize> = HashMap::with_capacity(xv.values.len());
        for (k, v) in xv.values.iter().enumerate().rev() {
            at.insert(v.as_str(), k);
        }
        for i in 0..charted.len() {
            let values = plan.values(i);
            let rest: Vec<String> = plan
                .varies
                .iter()
                .zip(&values)
                .enumerate()
                .filter(|(k, _)| *k != x)
                .map(|(_, (v, value))| format!("{}={}", short_key(&v.key), value))
                .collect();
            let name = if rest.is_empty() { "all regions".into() } else { rest.join(", ") };
            let s = *names.entry(name.clone()).or_insert_with(|| {
                series_names.push(name);
                series_names.len() - 1
            });
            let position = at.get(values[x]).copied().unwrap_or(0) as f64;
            placed.push((s, position));
        }
        for (m, c) in layout.charted.iter().enumerate() {
            let mut series: Vec<(String, Vec<(f64, f64)>)> = series_names.iter().map(|n| (n.clone(), vec![])).collect();
            for (i, &(s, position)) in placed.iter().enumerate() {
                series[s].1.push((position, charted[i][m]));
            }
            // The line of the first target on this metric for all regions.
            let target = layout
                .targets
                .iter()
                .find(|t| t.metric == c.key && t.region.is_none())
                .and_then(|t| {
                    let (Bound::AtLeast(b) | Bound::AtMost(b)) = t.bound;
                    let b = Some(b).filter(|b| b.is_finite())?;
                    Some((
                        b,
                        format!("target {}", if c.percent { format!("{:.0} %", b * 100.0) } else { format!("{b}") }),
                    ))
                });
            charts.push(NamedChart {
                file: format!("sweep_{}_by_{}", c.key, slug(&xv.key)),
                chart: Chart::Lines(LineChart {
                    title: format!("{} by {}", c.title, short_key(&xv.key)),
                    x: XAxis::Labels(xv.values.clone()),
                    x_desc: xv.key.clone(),
                    y_desc: c.key.clone(),
                    y_percent: c.percent,
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

/// The key figures of a point, from the catalogue: the metrics the sweep's
/// table shows (`answered %`, `abandoned %`, `≤5m %`, `mean wait`, `occupancy %`).
pub fn point_columns() -> Vec<Metric> {
    metric_set(&["5m".to_string()])
        .into_iter()
        .filter(|m| m.shown_in(View::Sweep))
        .collect()
}

/// A point's row: its varied values, the key figures of `columns` (mean ±
/// half-width, scaled as the catalogue says) and `met/targets`.
pub fn point_cells(keys: &[String], columns: &[Metric], p: &Point) -> Vec<String> {
    let s = &p.summary;
    let mut row: Vec<String> = keys.iter().map(|k| p.values.get(k).cloned().unwrap_or_default()).collect();
    for (m, e) in columns.iter().zip(figures(&positions(s, columns), &s.total)) {
        let (scale, d) = (m.def.unit.scale(), m.def.decimals);
        let mean = e.and_then(|e| e.mean).filter(|v| v.is_finite());
        row.push(match (mean, e.and_then(interval)) {
            (Some(v), Some((l, h))) => format!("{:.*} ±{:.*}", d, v * scale, d, (h - l) / 2.0 * scale),
            (Some(v), None) => format!("{:.*}", d, v * scale),
            _ => "—".into(),
        });
    }
    let met = s.targets.iter().filter(|t| t.met == Some(true)).count();
    row.push(format!("{met}/{}", s.targets.len()));
    row
}

/// The header of [`point_cells`].
pub fn point_header(keys: &[String]) -> Vec<String> {
    keys.iter()
        .cloned()
        .chain(point_columns().into_iter().map(|m| m.label))
        .chain(["targets met".to_string()])
        .collect()
}

fn points_table(a: &Assembled) -> String {
    use crate::output::html::escape;
    // Headers may break after the dots of a long key (`agreement.overflow.overflow_after`).
    let row = |cells: &[String], tag: &str| {
        let text = |c: &String| if tag == "th" { escape(c).replace('.', ".<wbr>") } else { escape(c) };
        format!(
            "<tr>{}</tr>",
            cells.iter().map(|c| format!("<{tag}>{}</{tag}>", text(c))).collect::<String>()
        )
    };
    let mut out = String::from("<table>");
    out += &row(&[vec!["point".to_string()], point_header(&a.keys)].concat(), "th");
    for r in &a.rows {
        out += &row(r, "td");
    }
    out + "</table>"
}
