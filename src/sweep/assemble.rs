//! `sweep.csv`, `sweep_regions.csv`, `sweep.xlsx`, `sweep.json`, the KPI charts and `report.html`, assembled by
//! streaming the finished points in index order: each point is read, written
//! out and dropped; only a small row per point (the table cells and the
//! charted figures) stays in memory.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::Value;

use super::{Plan, SweepError};
use crate::charts::{Chart, LineChart, NamedChart, XAxis};
use crate::experiment::runner::Cancel;
use crate::report::{self, write_atomic};

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
        report::align(&point_header(&self.keys), &rows)
    }
}

/// A CSV or JSON cell: strings as they are, null as nothing, numbers as JSON writes them.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Pretty JSON of `v` as it appears nested `depth` spaces deep.
fn pretty_at(v: &Value, depth: usize) -> String {
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

/// Metrics of the total shown in the sweep's charts: (metric, title, share?).
fn chart_metrics(total: &Value) -> Vec<(String, String, bool)> {
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

/// Layout of the columns, taken from the first point.
struct Layout {
    metrics: Vec<String>,
    /// Metrics of a region (`sweep_regions.csv`).
    region_metrics: Vec<String>,
    targets: usize,
    /// Per target, the stem of its columns (see [`target_columns`]).
    target_names: Vec<String>,
    charted: Vec<(String, String, bool)>,
    target_list: Vec<Value>,
}

/// The stem of each target's columns in `sweep.csv`, named after the target:
/// `target_<metric>_<region or all>_<per>` (`target_answered_within_5m_Kalmar_month`),
/// with any character of a region name other than a letter or digit written
/// `_`; a second target with the same stem gets `_2`, and so on.
pub fn target_columns(targets: &[Value]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    targets
        .iter()
        .map(|t| {
            let part = |v: &Value, default: &str| {
                let s = v.as_str().unwrap_or(default);
                s.chars().map(|c| if c.is_alphanumeric() { c } else { '_' }).collect::<String>()
            };
            let stem = format!(
                "target_{}_{}_{}",
                part(&t["metric"], "metric"),
                part(&t["region"], "all"),
                part(&t["per"], "horizon")
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
    points: impl Iterator<Item = Result<Value, String>>,
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
        json.put(&format!("{{\n  \"plan\": {},\n  \"points\": [", pretty_at(&plan.to_json(), 2)))
            .map_err(io)?;
        for (n, p) in points.enumerate() {
            if cancel.is_cancelled() {
                return Err(SweepError::Interrupted("interrupted while the results were written".into()));
            }
            let p = p.map_err(SweepError::Invalid)?;
            let total = &p["summary"]["total"];
            let l = layout.get_or_insert_with(|| Layout {
                metrics: total
                    .as_object()
                    .map(|o| o.keys().filter(|k| *k != "region").cloned().collect())
                    .unwrap_or_default(),
                region_metrics: p["summary"]["regions"][0]
                    .as_object()
                    .map(|o| o.keys().filter(|k| *k != "region").cloned().collect())
                    .unwrap_or_default(),
                targets: p["summary"]["targets"].as_array().map_or(0, |a| a.len()),
                target_names: target_columns(p["summary"]["targets"].as_array().map_or(&[], |a| a.as_slice())),
                charted: chart_metrics(total),
                target_list: p["summary"]["targets"].as_array().cloned().unwrap_or_default(),
            });
            if let Some(w) = csv_w.as_mut() {
                if n == 0 {
                    let mut header: Vec<String> = vec!["point".into()];
                    header.extend(keys.iter().cloned());
                    for m in &l.metrics {
                        header.extend([m.clone(), format!("{m}_ci_low"), format!("{m}_ci_high")]);
                    }
                    for name in &l.target_names {
                        header.extend([format!("{name}_met"), format!("{name}_share_of_periods_met")]);
                    }
                    w.write_record(header.iter().map(|c| crate::output::csv::cell(c)))
                        .map_err(|e| io(e.into()))?;
                }
                let mut row = vec![p["index"].to_string()];
                row.extend(keys.iter().map(|k| text(&p["values"][k])));
                for m in &l.metrics {
                    let e = &total[m];
                    row.extend([text(&e["mean"]), text(&e["ci95"][0]), text(&e["ci95"][1])]);
                }
                for k in 0..l.targets {
                    let t = &p["summary"]["targets"][k];
                    row.extend([text(&t["met"]), text(&t["share_of_periods_met"])]);
                }
                w.write_record(row.iter().map(|c| crate::output::csv::cell(c)))
                    .map_err(|e| io(e.into()))?;
            }
            if let Some(w) = regions_w.as_mut() {
                if n == 0 {
                    let mut header: Vec<String> = vec!["point".into()];
                    header.extend(keys.iter().cloned());
                    header.push("region".into());
                    for m in &l.region_metrics {
                        header.extend([m.clone(), format!("{m}_ci_low"), format!("{m}_ci_high")]);
                    }
                    w.write_record(header.iter().map(|c| crate::output::csv::cell(c)))
                        .map_err(|e| io(e.into()))?;
                }
                for region in p["summary"]["regions"].as_array().map_or(&[][..], |a| a.as_slice()) {
                    let mut row = vec![p["index"].to_string()];
                    row.extend(keys.iter().map(|k| text(&p["values"][k])));
                    row.push(text(&region["region"]));
                    for m in &l.region_metrics {
                        let e = &region[m];
                        row.extend([text(&e["mean"]), text(&e["ci95"][0]), text(&e["ci95"][1])]);
                    }
                    w.write_record(row.iter().map(|c| crate::output::csv::cell(c)))
                        .map_err(|e| io(e.into()))?;
                }
            }
            json.put(if n == 0 { "\n    " } else { ",\n    " }).map_err(io)?;
            json.put(&pretty_at(&p, 4)).map_err(io)?;
            charted.push(
                l.charted
                    .iter()
                    .map(|(m, _, _)| total[m]["mean"].as_f64().unwrap_or(f64::NAN))
                    .collect(),
            );
            rows.push([vec![p["index"].to_string()], point_cells(&keys, &p)].concat());
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
        crate::charts::write_all(d, &charts).map_err(io)?;
        let title = format!("Sweep of {}", plan.scenario_name);
        let table = points_table(&assembled);
        write_atomic(
            &d.join("report.html"),
            crate::html::sweep_report(&title, &table, &charts, source).as_bytes(),
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
            let position = xv.values.iter().position(|v| v == values[x]).unwrap_or(0) as f64;
            placed.push((s, position));
        }
        for (m, (metric, title, percent)) in layout.charted.iter().enumerate() {
            let mut series: Vec<(String, Vec<(f64, f64)>)> = series_names.iter().map(|n| (n.clone(), vec![])).collect();
            for (i, &(s, position)) in placed.iter().enumerate() {
                series[s].1.push((position, charted[i][m]));
            }
            let target = layout
                .target_list
                .iter()
                .find(|t| t["metric"].as_str() == Some(metric.as_str()) && t["region"] == "all")
                .and_then(|t| {
                    let b = t["bound"]["at_least"].as_f64().or(t["bound"]["at_most"].as_f64())?;
                    Some((
                        b,
                        format!("target {}", if *percent { format!("{:.0} %", b * 100.0) } else { format!("{b}") }),
                    ))
                });
            charts.push(NamedChart {
                file: format!("sweep_{metric}_by_{}", report::slug(&xv.key)),
                chart: Chart::Lines(LineChart {
                    title: format!("{title} by {}", short_key(&xv.key)),
                    x: XAxis::Labels(xv.values.clone()),
                    x_desc: xv.key.clone(),
                    y_desc: metric.clone(),
                    y_percent: *percent,
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
    let targets = p["summary"]["targets"].as_array().map_or(&[][..], |a| a.as_slice());
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

fn points_table(a: &Assembled) -> String {
    use crate::html::escape;
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
