//! Presenting a summary: the readable table, the JSON object of design §4, and
//! the CSV tables written by `--out` (each file written atomically).

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::calendar::{format_duration, WEEKDAYS};
use crate::charts::{BarChart, Chart, FlowMatrix, LineChart, NamedChart, XAxis};
use crate::experiment::{Comparison, SettlementRow, Summary, TargetResult};
use crate::scenario::Bound;
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

/// Things the user must know about a result: regions whose queue hit the
/// engine's hard limit (the scenario is overloaded without bound).
pub fn warnings(s: &Summary) -> Vec<String> {
    let Some(k) = s.metric("calls_over_capacity") else { return vec![] };
    s.region_names
        .iter()
        .zip(&s.regions)
        .filter_map(|(name, values)| {
            let over = values[k].mean.filter(|&m| m > 0.0)?;
            Some(format!(
                "the queue of {name} reached {} waiting calls: calls arrive faster than they can ever be answered and callers never hang up; \
                 {over:.0} further calls per replication were refused and counted as blocked (add staff, patience or overload protection)",
                crate::engine::MAX_WAITING
            ))
        })
        .collect()
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
        "targets": s.targets.iter().map(target_json).collect::<Vec<_>>(),
        "settlement": s.settlement.iter().map(|row| settlement_json(row, s.price_per_call)).collect::<Vec<_>>(),
        "warnings": warnings(s),
        "run": {"calls_simulated": s.calls_simulated, "wall_seconds": s.wall_seconds, "threads": s.threads},
    })
}

fn bound_json(bound: Bound) -> Value {
    match bound {
        Bound::AtLeast(b) => json!({"at_least": b}),
        Bound::AtMost(b) => json!({"at_most": b}),
    }
}

fn target_json(t: &TargetResult) -> Value {
    json!({
        "metric": t.metric,
        "region": t.region.as_deref().unwrap_or("all"),
        "per": t.per,
        "bound": bound_json(t.bound),
        "estimate": estimate_json(&t.estimate),
        "met": t.met,
        "share_of_periods_met": t.share_of_periods_met,
        "share_of_periods_met_by_replication": estimate_json(&t.share_of_periods_met_by_replication),
        "periods_judged": t.periods_judged,
    })
}

fn settlement_json(row: &SettlementRow, price: Option<f64>) -> Value {
    json!({
        "region": row.region,
        "period": row.period,
        "answered_for_others": estimate_json(&row.answered_for_others),
        "answered_by_others": estimate_json(&row.answered_by_others),
        "net_answered_for_others": estimate_json(&row.net),
        "net_amount": price.and_then(|p| row.net.mean.map(|m| m * p)),
    })
}

/// `targets.csv`: one row per target.
pub fn targets_csv(s: &Summary) -> Vec<u8> {
    let header = [
        "metric",
        "region",
        "per",
        "bound",
        "limit",
        "estimate",
        "ci_low",
        "ci_high",
        "met",
        "share_of_periods_met",
        "periods_judged",
    ]
    .map(String::from)
    .to_vec();
    let rows = s
        .targets
        .iter()
        .map(|t| {
            let (kind, limit) = match t.bound {
                Bound::AtLeast(b) => ("at_least", b),
                Bound::AtMost(b) => ("at_most", b),
            };
            vec![
                t.metric.clone(),
                t.region.clone().unwrap_or_else(|| "all".into()),
                t.per.clone(),
                kind.into(),
                num(Some(limit)),
                num(t.estimate.mean),
                num(t.estimate.ci95.map(|c| c.0)),
                num(t.estimate.ci95.map(|c| c.1)),
                t.met.map_or(String::new(), |m| m.to_string()),
                num(t.share_of_periods_met),
                t.periods_judged.to_string(),
            ]
        })
        .collect();
    csv_bytes(header, rows)
}

/// `settlement.csv`: per region and month (and the horizon), calls answered
/// for and by other regions, the net balance, and money when priced.
pub fn settlement_csv(s: &Summary) -> Vec<u8> {
    let header = [
        "region",
        "period",
        "answered_for_others",
        "answered_by_others",
        "net_answered_for_others",
        "net_ci_low",
        "net_ci_high",
        "net_amount",
    ]
    .map(String::from)
    .to_vec();
    let rows = s
        .settlement
        .iter()
        .map(|r| {
            vec![
                r.region.clone(),
                r.period.clone(),
                num(r.answered_for_others.mean),
                num(r.answered_by_others.mean),
                num(r.net.mean),
                num(r.net.ci95.map(|c| c.0)),
                num(r.net.ci95.map(|c| c.1)),
                num(s.price_per_call.and_then(|p| r.net.mean.map(|m| m * p))),
            ]
        })
        .collect();
    csv_bytes(header, rows)
}

/// Writes `contents` to `path` through a temporary file and a rename, so that a
/// reader never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut tmp, contents)?;
    #[cfg(unix)]
    {
        // Temporary files are private; results are ordinary files.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
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
        "answered_within_target",
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
                num(ratio(c.answered_within_target as f64, offered)),
                num(ratio(c.wait_answered_ms / 60_000.0, c.answered as f64)),
            ]);
        }
    }
    csv_bytes(header, rows)
}

/// Writes every output of a run into `dir` (created if needed): tables, charts
/// and `report.html`.
pub fn write_outputs(dir: &Path, s: &Summary, source: &str) -> std::io::Result<()> {
    write_tables(dir, s)?;
    let charts = run_charts(s);
    crate::charts::write_all(dir, &charts)?;
    write_atomic(&dir.join("report.html"), crate::html::run_report(s, source, &charts).as_bytes())
}

/// Writes the tables of a run into `dir` (created if needed).
pub fn write_tables(dir: &Path, s: &Summary) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&summary_json(s)).expect("json") + "\n";
    write_atomic(&dir.join("summary.json"), json.as_bytes())?;
    write_atomic(&dir.join("regions.csv"), &regions_csv(s))?;
    write_atomic(&dir.join("by_hour.csv"), &by_hour_csv(s))?;
    write_atomic(&dir.join("flows.csv"), &flows_csv(s))?;
    write_atomic(&dir.join("targets.csv"), &targets_csv(s))?;
    write_atomic(&dir.join("settlement.csv"), &settlement_csv(s))?;
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
    for w in warnings(s) {
        let _ = writeln!(out, "warning: {w}\n");
    }
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
    out += &settlement_text(s);
    out += &targets_text(s);
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

/// A table as text: the first column left-aligned, the others right-aligned.
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
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

fn settlement_text(s: &Summary) -> String {
    let rows: Vec<&SettlementRow> = s.settlement.iter().filter(|r| r.period == "horizon").collect();
    if rows
        .iter()
        .all(|r| r.answered_for_others.mean.unwrap_or(0.0) == 0.0 && r.answered_by_others.mean.unwrap_or(0.0) == 0.0)
    {
        return String::new();
    }
    let mut out = "\nSettlement over the horizon (calls per replication):\n".to_string();
    let mut header: Vec<String> = ["", "answered for others", "answered by others", "net"].map(String::from).to_vec();
    if s.price_per_call.is_some() {
        header.push("net amount".into());
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![
                r.region.clone(),
                cell(&r.answered_for_others, 1.0, 0),
                cell(&r.answered_by_others, 1.0, 0),
                cell(&r.net, 1.0, 0),
            ];
            if let Some(p) = s.price_per_call {
                row.push(r.net.mean.map_or("—".into(), |m| format!("{:.0}", m * p)));
            }
            row
        })
        .collect();
    out += &align(&header, &table);
    out
}

/// A target in words, shared by the text summary and `report.html`.
pub struct TargetWords {
    /// `answered_within_5m ≥ 75.0 %`
    pub rule: String,
    /// `87.2 % (95 % CI 86.9 % – 87.6 %)`
    pub estimate: String,
    /// `met in 38 % of 60 weeks`, for targets judged per period.
    pub periods: Option<String>,
}

pub fn target_words(t: &TargetResult) -> TargetWords {
    let (op, limit) = match t.bound {
        Bound::AtLeast(b) => ("≥", b),
        Bound::AtMost(b) => ("≤", b),
    };
    let show = |x: f64| {
        if t.metric == "mean_wait" {
            format!("{x:.2} min")
        } else {
            format!("{:.1} %", 100.0 * x)
        }
    };
    let estimate = match (t.estimate.mean, t.estimate.ci95) {
        (Some(m), Some((l, h))) => format!("{} (95 % CI {} – {})", show(m), show(l), show(h)),
        (Some(m), None) => show(m),
        _ => "undefined (no calls)".into(),
    };
    let periods = match (t.per.as_str(), t.share_of_periods_met) {
        ("horizon", _) | (_, None) => None,
        (per, Some(share)) => Some(format!("met in {:.0} % of {} {}s", 100.0 * share, t.periods_judged, per)),
    };
    TargetWords {
        rule: format!("{} {op} {}", t.metric, show(limit)),
        estimate,
        periods,
    }
}

fn targets_text(s: &Summary) -> String {
    if s.targets.is_empty() {
        return String::new();
    }
    let mut out = "\nTargets:\n".to_string();
    for t in &s.targets {
        let words = target_words(t);
        let verdict = match t.met {
            Some(true) => "met",
            Some(false) => "NOT met",
            None => "undefined",
        };
        let periods = words.periods.map(|p| format!("; {p}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  {} ({}, per {}): {} — {verdict}{periods}",
            words.rule,
            t.region.as_deref().unwrap_or("all regions"),
            t.per,
            words.estimate
        );
    }
    out
}

/// The JSON of `compare`: each summary, and each difference against the first.
pub fn comparison_json(c: &Comparison) -> Value {
    let differences: Vec<Value> = c
        .differences
        .iter()
        .map(|d| {
            json!({
                "scenario": d.scenario,
                "regions": d.region_names.iter().zip(&d.regions).map(|(r, v)| group_json("region", r, &c.metric_names, v)).collect::<Vec<_>>(),
                "total": group_json("region", "total", &c.metric_names, &d.total),
            })
        })
        .collect();
    json!({"scenarios": c.summaries.iter().map(summary_json).collect::<Vec<_>>(), "differences": differences})
}

/// The readable side-by-side table of `compare`.
pub fn comparison_text(c: &Comparison) -> String {
    let first = &c.summaries[0];
    let mut out = format!(
        "Comparing {} scenarios on the same {} replications (seed {}): the same callers wherever demand is the same.\nDifferences (Δ) are against \"{}\", with 95 % intervals from paired replications.\n",
        c.summaries.len(),
        first.replications,
        first.seed,
        first.scenario
    );
    let columns: [(&str, &str, f64, usize); 7] = [
        ("answered %", "answered_share", 100.0, 1),
        ("abandoned %", "abandoned_share", 100.0, 1),
        ("≤5m %", "answered_within_5m", 100.0, 1),
        ("mean wait", "mean_wait_answered", 1.0, 2),
        ("p90 wait", "wait_p90", 1.0, 1),
        ("occupancy %", "occupancy", 100.0, 1),
        ("net for others", "net_answered_for_others", 1.0, 0),
    ];
    let mut header = vec!["".to_string()];
    header.extend(columns.iter().map(|c| c.0.to_string()));
    let mut groups: Vec<String> = first.region_names.clone();
    groups.push("total".into());
    for group in groups {
        let _ = writeln!(out, "\n{group}");
        let mut table = vec![];
        for (k, s) in c.summaries.iter().enumerate() {
            let values = if group == "total" {
                Some(&s.total)
            } else {
                s.region_names.iter().position(|r| *r == group).map(|i| &s.regions[i])
            };
            let Some(values) = values else { continue };
            let mut row = vec![s.scenario.clone()];
            row.extend(
                columns
                    .iter()
                    .map(|(_, m, scale, d)| s.metric(m).map_or("—".into(), |i| cell(&values[i], *scale, *d))),
            );
            table.push(row);
            if k > 0 {
                let d = &c.differences[k - 1];
                let diff = if group == "total" {
                    Some(&d.total)
                } else {
                    d.region_names.iter().position(|r| *r == group).map(|i| &d.regions[i])
                };
                if let Some(diff) = diff {
                    let mut row = vec!["  Δ".to_string()];
                    row.extend(columns.iter().map(|(_, m, scale, dec)| {
                        c.metric_names
                            .iter()
                            .position(|x| x == m)
                            .map_or("—".into(), |i| signed(&diff[i], *scale, *dec))
                    }));
                    table.push(row);
                }
            }
        }
        out += &align(&header, &table);
    }
    out
}

fn signed(e: &Estimate, scale: f64, decimals: usize) -> String {
    match e.mean {
        None => "—".into(),
        Some(m) => match e.half_width() {
            Some(h) => format!("{:+.*} ±{:.*}", decimals, m * scale, decimals, h * scale),
            None => format!("{:+.*}", decimals, m * scale),
        },
    }
}

/// Writes the comparison: `comparison.json`, charts, `report.html`, and each
/// scenario's tables in a sub-folder.
pub fn write_comparison(dir: &Path, c: &Comparison, sources: &[String]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_string_pretty(&comparison_json(c)).expect("json") + "\n";
    write_atomic(&dir.join("comparison.json"), json.as_bytes())?;
    for (k, s) in c.summaries.iter().enumerate() {
        write_tables(&dir.join(format!("{}-{}", k + 1, slug(&s.scenario))), s)?;
    }
    let charts = comparison_charts(c);
    crate::charts::write_all(dir, &charts)?;
    write_atomic(
        &dir.join("report.html"),
        crate::html::compare_report(c, sources, &charts).as_bytes(),
    )
}

/// A file-name-safe version of a scenario name.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect();
    s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// The first `answered_within … at_least` target: the line drawn on service-level charts.
fn service_target(s: &Summary) -> Option<(f64, String)> {
    s.targets.iter().find_map(|t| match t.bound {
        Bound::AtLeast(b) if t.metric.starts_with("answered_within") => Some((
            b,
            format!("target {:.0} % {}", b * 100.0, t.metric.replace("answered_within_", "within ")),
        )),
        _ => None,
    })
}

/// The charts of one run: service level by hour, waiting-time curve, flows, staffing.
pub fn run_charts(s: &Summary) -> Vec<NamedChart> {
    let n = s.region_names.len();
    let label = &s.chart_within.0;
    let by_hour = (0..n)
        .map(|r| {
            let points = (0..168)
                .map(|h| {
                    let c = &s.by_hour[r * 168 + h];
                    let share = if c.offered > 0 {
                        c.answered_within_target as f64 / c.offered as f64
                    } else {
                        f64::NAN
                    };
                    (h as f64 + 0.5, share)
                })
                .collect();
            (s.region_names[r].clone(), points)
        })
        .collect();
    let curves = (0..n)
        .map(|r| {
            (
                s.region_names[r].clone(),
                s.wait_curve[r].iter().enumerate().map(|(t, &v)| (t as f64, v)).collect(),
            )
        })
        .collect();
    let horizon_net: Vec<f64> = s
        .settlement
        .iter()
        .filter(|row| row.period == "horizon")
        .map(|row| row.net.mean.unwrap_or(0.0))
        .collect();
    let staffing_total = |pick: fn(&(f64, f64)) -> f64| -> Vec<(f64, f64)> {
        (0..168)
            .map(|h| {
                (
                    h as f64 + 0.5,
                    (0..n).map(|r| pick(&s.staffing[r * 168 + h])).filter(|v| v.is_finite()).sum(),
                )
            })
            .collect()
    };
    vec![
        NamedChart {
            file: "service_level_by_hour".into(),
            chart: Chart::Lines(LineChart {
                title: format!("Share of calls answered within {label}, by hour of the week"),
                x: XAxis::HourOfWeek,
                x_desc: "hour of the week (arrival)".into(),
                y_desc: format!("answered within {label} (% of offered)"),
                y_percent: true,
                series: by_hour,
                target: service_target(s),
            }),
        },
        NamedChart {
            file: "waiting_time".into(),
            chart: Chart::Lines(LineChart {
                title: "Share of calls answered within t minutes".into(),
                x: XAxis::Numbers { unit: "min".into() },
                x_desc: "waiting time t (minutes)".into(),
                y_desc: "answered within t (% of offered)".into(),
                y_percent: true,
                series: curves,
                target: service_target(s),
            }),
        },
        NamedChart {
            file: "flows".into(),
            chart: Chart::Flows(FlowMatrix {
                title: "Who answered whose calls (calls per replication)".into(),
                names: s.region_names.clone(),
                values: (0..n)
                    .map(|r| (0..n).map(|j| s.flows[r * n + j].mean.unwrap_or(0.0)).collect())
                    .collect(),
                net: horizon_net,
            }),
        },
        NamedChart {
            file: "staffing".into(),
            chart: Chart::Lines(LineChart {
                title: "Nurses on the phones and calls waiting through an average week (all regions)".into(),
                x: XAxis::HourOfWeek,
                x_desc: "hour of the week".into(),
                y_desc: "nurses / calls".into(),
                y_percent: false,
                series: vec![
                    ("nurses on the phones".into(), staffing_total(|x| x.0)),
                    ("calls waiting".into(), staffing_total(|x| x.1)),
                ],
                target: None,
            }),
        },
    ]
}

/// Side-by-side bars of key metrics, one chart per metric, for `compare`.
pub fn comparison_charts(c: &Comparison) -> Vec<NamedChart> {
    let first = &c.summaries[0];
    let mut groups = first.region_names.clone();
    groups.push("total".into());
    let value = |s: &Summary, group: &str, metric: &str| -> f64 {
        let values = if group == "total" {
            Some(&s.total)
        } else {
            s.region_names.iter().position(|r| r == group).map(|i| &s.regions[i])
        };
        values.and_then(|v| s.metric(metric).and_then(|i| v[i].mean)).unwrap_or(f64::NAN)
    };
    [
        ("answered_share", "Share of calls answered", true),
        ("answered_within_5m", "Share of calls answered within 5 minutes", true),
        ("mean_wait_answered", "Mean wait of answered calls (minutes)", false),
    ]
    .iter()
    .map(|(metric, title, percent)| NamedChart {
        file: format!("compare_{metric}"),
        chart: Chart::Bars(BarChart {
            title: title.to_string(),
            y_desc: if *percent { "% of offered".into() } else { "minutes".into() },
            y_percent: *percent,
            groups: groups.clone(),
            series: c
                .summaries
                .iter()
                .map(|s| (s.scenario.clone(), groups.iter().map(|g| value(s, g, metric)).collect()))
                .collect(),
        }),
    })
    .collect()
}
