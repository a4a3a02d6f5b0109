//! Presenting a summary: the readable table, the JSON object of design §4, and
//! the CSV tables written by `--out` (each file written atomically).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::calendar::{format_duration, WEEKDAYS};
use crate::experiment::Summary;
use crate::scenario::Scenario;
use crate::stats::Estimate;

fn estimate_json(e: &Estimate) -> Value {
    json!({
        "mean": e.mean.filter(|m| m.is_finite()),
        "ci95": e.ci95.filter(|(l, h)| l.is_finite() && h.is_finite()).map(|(l, h)| vec![l, h]),
    })
}

fn group_json(label: &str, name: &str, names: &[String], values: &[Estimate]) -> Value {
    let mut obj = Map::new();
    obj.insert(label.to_string(), Value::String(name.to_string()));
    for (m, e) in names.iter().zip(values) {
        obj.insert(m.clone(), estimate_json(e));
    }
    Value::Object(obj)
}

/// The JSON summary of design §4. Counts are means per replication, waits in
/// minutes, shares fractions; a value whose denominator was always empty is `null`.
pub fn summary_json(s: &Summary) -> Value {
    let n = s.region_names.len();
    let flows: Vec<Value> = (0..n * n)
        .filter(|&k| s.flows[k].mean.unwrap_or(0.0) > 0.0)
        .map(|k| json!({"from": s.region_names[k / n], "to": s.region_names[k % n], "answered": estimate_json(&s.flows[k])}))
        .collect();
    json!({
        "scenario": s.scenario,
        "seed": s.seed,
        "replications": s.replications,
        "regions": s.region_names.iter().zip(&s.regions).map(|(r, v)| group_json("region", r, &s.metric_names, v)).collect::<Vec<_>>(),
        "agreements": s.agreement_names.iter().zip(&s.agreements).map(|(a, v)| group_json("agreement", a, &s.metric_names, v)).collect::<Vec<_>>(),
        "total": group_json("region", "total", &s.metric_names, &s.total),
        "flows": flows,
        "targets": [],
        "run": {"calls_simulated": s.calls_simulated, "wall_seconds": s.wall_seconds, "threads": s.threads},
    })
}

/// Writes `contents` to `path` through a temporary file and a rename, so that a
/// reader never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, contents)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn csv_bytes(header: Vec<String>, rows: Vec<Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(vec![]);
    w.write_record(&header).expect("in-memory csv");
    for row in rows {
        w.write_record(&row).expect("in-memory csv");
    }
    w.into_inner().expect("in-memory csv")
}

fn num(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// `regions.csv`: one row per region, agreement and the total; for each metric
/// its mean and 95 % interval (empty where undefined).
pub fn regions_csv(s: &Summary) -> Vec<u8> {
    let mut header = vec!["kind".to_string(), "name".to_string()];
    for m in &s.metric_names {
        header.extend([m.clone(), format!("{m}_ci_low"), format!("{m}_ci_high")]);
    }
    let row = |kind: &str, name: &str, values: &[Estimate]| {
        let mut r = vec![kind.to_string(), name.to_string()];
        for e in values {
            r.extend([num(e.mean), num(e.ci95.map(|c| c.0)), num(e.ci95.map(|c| c.1))]);
        }
        r
    };
    let mut rows: Vec<Vec<String>> = s.region_names.iter().zip(&s.regions).map(|(n, v)| row("region", n, v)).collect();
    rows.extend(s.agreement_names.iter().zip(&s.agreements).map(|(n, v)| row("agreement", n, v)));
    rows.push(row("total", "total", &s.total));
    csv_bytes(header, rows)
}

/// `flows.csv`: calls of `from` answered by nurses of `to`, mean per replication.
pub fn flows_csv(s: &Summary) -> Vec<u8> {
    let n = s.region_names.len();
    let header = ["from", "to", "answered", "answered_ci_low", "answered_ci_high"]
        .map(String::from)
        .to_vec();
    let rows = (0..n * n)
        .map(|k| {
            let e = &s.flows[k];
            vec![
                s.region_names[k / n].clone(),
                s.region_names[k % n].clone(),
                num(e.mean),
                num(e.ci95.map(|c| c.0)),
                num(e.ci95.map(|c| c.1)),
            ]
        })
        .collect();
    csv_bytes(header, rows)
}

/// `by_hour.csv`: per region and hour of the week (by arrival time), offered
/// calls per replication and shares pooled over replications.
pub fn by_hour_csv(s: &Summary) -> Vec<u8> {
    let header = [
        "region",
        "hour_of_week",
        "weekday",
        "hour",
        "offered",
        "answered_share",
        "abandoned_share",
        "answered_within_5m",
        "mean_wait_answered",
    ]
    .map(String::from)
    .to_vec();
    let reps = s.replications.max(1) as f64;
    let ratio = |a: f64, b: f64| if b > 0.0 { Some(a / b) } else { None };
    let mut rows = vec![];
    for (r, name) in s.region_names.iter().enumerate() {
        for h in 0..168 {
            let c = &s.by_hour[r * 168 + h];
            let offered = c.offered as f64;
            rows.push(vec![
                name.clone(),
                h.to_string(),
                WEEKDAYS[h / 24].to_string(),
                (h % 24).to_string(),
                num(Some(offered / reps)),
                num(ratio(c.answered as f64, offered)),
                num(ratio(c.abandoned as f64, offered)),
                num(ratio(c.answered_within_5m as f64, offered)),
                num(ratio(c.wait_answered_ms / 60_000.0, c.answered as f64)),
            ]);
        }
    }
    csv_bytes(header, rows)
}

/// Writes every output table into `dir` (created if needed).
pub fn write_outputs(dir: &Path, s: &Summary) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&summary_json(s)).expect("json") + "\n";
    write_atomic(&dir.join("summary.json"), json.as_bytes())?;
    write_atomic(&dir.join("regions.csv"), &regions_csv(s))?;
    write_atomic(&dir.join("by_hour.csv"), &by_hour_csv(s))?;
    write_atomic(&dir.join("flows.csv"), &flows_csv(s))?;
    Ok(())
}

/// `12.3 ±0.4` with the interval's half-width, scaled (100 for percentages).
fn cell(e: &Estimate, scale: f64, decimals: usize) -> String {
    match e.mean {
        None => "—".into(),
        Some(m) => match e.half_width() {
            Some(h) => format!("{:.*} ±{:.*}", decimals, m * scale, decimals, h * scale),
            None => format!("{:.*}", decimals, m * scale),
        },
    }
}

/// The readable summary printed by `run`.
pub fn text(scenario: &Scenario, s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} replication{} of {} from {} (warmup {}), seed {}",
        s.scenario,
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        format_duration(scenario.horizon),
        scenario.start,
        format_duration(scenario.warmup),
        s.seed
    );
    let _ = writeln!(
        out,
        "Means per replication with 95 % confidence half-widths. Waits in minutes; shares in %.\n"
    );
    let columns: [(&str, &str, f64, usize); 9] = [
        ("offered", "offered", 1.0, 0),
        ("answered %", "answered_share", 100.0, 1),
        ("abandoned %", "abandoned_share", 100.0, 1),
        ("≤5m % of offered", "answered_within_5m", 100.0, 1),
        ("≤10m %", "answered_within_10m", 100.0, 1),
        ("mean wait", "mean_wait_answered", 1.0, 2),
        ("p90 wait", "wait_p90", 1.0, 1),
        ("occupancy %", "occupancy", 100.0, 1),
        ("overtime h", "overtime_hours", 1.0, 1),
    ];
    let mut rows: Vec<(String, &Vec<Estimate>)> = s.region_names.iter().cloned().zip(&s.regions).collect();
    rows.extend(s.agreement_names.iter().map(|a| format!("[{a}]")).zip(&s.agreements));
    rows.push(("total".into(), &s.total));
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(name, values)| {
            let mut r = vec![name.clone()];
            for (_, metric, scale, dec) in &columns {
                r.push(s.metric(metric).map_or("—".into(), |i| cell(&values[i], *scale, *dec)));
            }
            r
        })
        .collect();
    let mut header = vec!["".to_string()];
    header.extend(columns.iter().map(|c| c.0.to_string()));
    out += &align(&header, &table);
    let n = s.region_names.len();
    if (0..n * n).any(|k| k / n != k % n && s.flows[k].mean.unwrap_or(0.0) > 0.0) {
        let _ = writeln!(
            out,
            "\nWho answered whose calls (calls per replication; rows: caller's region, columns: nurse's region):"
        );
        let mut header = vec!["".to_string()];
        header.extend(s.region_names.iter().cloned());
        let table: Vec<Vec<String>> = (0..n)
            .map(|r| {
                let mut row = vec![s.region_names[r].clone()];
                row.extend((0..n).map(|j| format!("{:.0}", s.flows[r * n + j].mean.unwrap_or(0.0))));
                row
            })
            .collect();
        out += &align(&header, &table);
    }
    let rate = s.calls_simulated as f64 / s.wall_seconds.max(1e-9);
    let _ = writeln!(
        out,
        "\n{} calls simulated in {:.2} s on {} thread{} ({:.1} million calls/s)",
        s.calls_simulated,
        s.wall_seconds,
        s.threads,
        if s.threads == 1 { "" } else { "s" },
        rate / 1e6
    );
    out
}

fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let width = |c: usize| {
        rows.iter()
            .map(|r| r[c].chars().count())
            .chain([header[c].chars().count()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..header.len()).map(width).collect();
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i == 0 {
                l += &format!("{c}{}", " ".repeat(pad));
            } else {
                l += &format!("  {}{c}", " ".repeat(pad));
            }
        }
        l.trim_end().to_string() + "\n"
    };
    let mut out = line(header);
    for r in rows {
        out += &line(r);
    }
    out
}
