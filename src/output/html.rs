//! `report.html`: one self-contained page (no network: inline CSS and SVG
//! charts) with the key figures, targets, settlement, charts, the scenario's
//! stated assumptions and the seed — something a planner can mail to a board.

use std::fmt::Write as _;

use super::charts::NamedChart;
use crate::experiment::Summary;
use crate::stats::{Estimate, Metric, Unit, View};

/// Tables list at most this many regions (the first ones); the CSV files have all.
pub const MAX_TABLE_REGIONS: usize = 100;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}\
th:first-child,td:first-child{text-align:left}th{background:#f4f6f8}.met{color:#127a12;font-weight:600}.miss{color:#b00;font-weight:600}\
.chart svg{width:100%;height:auto;border:1px solid #eee;margin:.4rem 0}pre{background:#f7f7f7;padding:.8rem;overflow:auto;font-size:.8rem}\
.meta{color:#555}.note{color:#555;font-size:.85rem}";

/// Text made safe for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(title: &str, body: &str) -> String {
    format!("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n", escape(title))
}

fn fmt(e: &Estimate, scale: f64, decimals: usize) -> String {
    match (e.mean, e.half_width()) {
        (Some(m), Some(h)) => format!("{:.*} ± {:.*}", decimals, m * scale, decimals, h * scale),
        (Some(m), None) => format!("{:.*}", decimals, m * scale),
        _ => "—".into(),
    }
}

/// A column header: the catalogue's label, with the unit for minutes.
fn header(m: &Metric) -> String {
    match m.def.unit {
        Unit::Minutes => format!("{} (min)", m.label),
        _ => m.label.clone(),
    }
}

/// `" Showing the first 100 of 300 regions; … has all."` when rows are left out.
fn rows_note(n: usize, file: &str) -> String {
    if n > MAX_TABLE_REGIONS {
        format!(" Showing the first {MAX_TABLE_REGIONS} of {n} regions; {file} has all of them.")
    } else {
        String::new()
    }
}

fn key_figures(s: &Summary) -> String {
    let columns: Vec<(usize, &Metric)> = s.metrics.iter().enumerate().filter(|(_, m)| m.shown_in(View::Html)).collect();
    let mut out = String::from("<table><tr><th></th>");
    for (_, m) in &columns {
        let _ = write!(out, "<th>{}</th>", escape(&header(m)));
    }
    out += "</tr>";
    let mut rows: Vec<(String, &Vec<Estimate>)> = s.region_names.iter().take(MAX_TABLE_REGIONS).cloned().zip(&s.regions).collect();
    rows.extend(
        s.agreement_names
            .iter()
            .take(MAX_TABLE_REGIONS)
            .map(|a| format!("agreement: {a}"))
            .zip(&s.agreements),
    );
    rows.push(("all regions".into(), &s.total));
    for (name, values) in rows {
        let _ = write!(out, "<tr><td>{}</td>", escape(&name));
        for &(i, m) in &columns {
            let cell = fmt(&values[i], m.def.unit.scale(), m.def.decimals);
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out += "</tr>";
    }
    out + "</table><p class=\"note\">Means per replication with 95 % confidence half-widths. Shares are of offered calls (attempts)."
        + &rows_note(s.region_names.len().max(s.agreement_names.len()), "regions.csv")
        + "</p>"
}

fn targets(s: &Summary) -> String {
    if s.targets.is_empty() {
        return "<p>No targets in this scenario.</p>".into();
    }
    let mut out = String::from(
        "<table><tr><th>target</th><th>regions</th><th>judged per</th><th>estimate (95 % CI)</th><th>verdict</th><th>periods met</th></tr>",
    );
    for t in &s.targets {
        let words = super::text::target_words(t);
        let verdict = match t.met {
            Some(true) => "<span class=\"met\">met</span>",
            Some(false) => "<span class=\"miss\">not met</span>",
            None => "—",
        };
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&words.rule),
            escape(t.region.as_deref().unwrap_or("all")),
            t.per,
            escape(&words.estimate),
            verdict,
            escape(words.periods.as_deref().unwrap_or("—"))
        );
    }
    out + "</table>"
}

fn settlement(s: &Summary) -> String {
    let rows = super::text::horizon_settlement(s);
    if rows.is_empty() {
        return "<p>No calls crossed regions.</p>".into();
    }
    let mut out = String::from(
        "<table><tr><th>region</th><th>answered for others</th><th>answered by others</th><th>net</th><th>net amount</th></tr>",
    );
    for r in rows.iter().take(MAX_TABLE_REGIONS) {
        let amount = r.net_amount.map(|m| format!("{m:.0}")).unwrap_or_else(|| "—".into());
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.region),
            fmt(&r.answered_for_others, 1.0, 0),
            fmt(&r.answered_by_others, 1.0, 0),
            fmt(&r.net, 1.0, 0),
            amount
        );
    }
    out + "</table><p class=\"note\">Calls per replication over the horizon; monthly figures are in settlement.csv."
        + &rows_note(rows.len(), "settlement.csv")
        + "</p>"
}

fn charts(list: &[NamedChart]) -> String {
    let mut out = String::new();
    for c in list {
        match c.chart.svg() {
            Ok(svg) => {
                let _ = write!(out, "<div class=\"chart\" id=\"chart-{}\">{}</div>", escape(&c.file), svg);
            }
            Err(e) => {
                let _ = write!(
                    out,
                    "<p class=\"miss\">chart {} could not be drawn: {}</p>",
                    escape(&c.file),
                    escape(&e)
                );
            }
        }
    }
    out
}

/// The leading comment block of a scenario file: where its figures come from.
fn assumptions(source: &str) -> String {
    let lines: Vec<&str> = source
        .lines()
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty())
        .map(|l| l.trim_start().trim_start_matches('#').trim_end())
        .collect();
    let text = lines.join("\n").trim().to_string();
    if text.is_empty() {
        "<p>The scenario file states no assumptions in its header.</p>".into()
    } else {
        format!("<pre>{}</pre>", escape(&text))
    }
}

fn meta(s: &Summary) -> String {
    format!(
        "<p class=\"meta\">{} replications, seed {}. Generated by nursequeue {}. Same scenario and seed give the same figures.</p>",
        s.replications,
        s.seed,
        env!("CARGO_PKG_VERSION")
    )
}

/// The report of one run.
pub fn run_report(s: &Summary, source: &str, chart_list: &[NamedChart]) -> String {
    let body = format!(
        "<h1>{}</h1>{}<h2>Key figures</h2>{}<h2>Targets</h2>{}<h2>Settlement</h2>{}<h2>Charts</h2>{}<h2>Assumptions</h2>{}<details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(&s.scenario),
        meta(s),
        key_figures(s),
        targets(s),
        settlement(s),
        charts(chart_list),
        assumptions(source),
        escape(source)
    );
    page(&s.scenario, &body)
}

/// The report of a comparison: each scenario's figures, the charts, and the differences.
pub fn compare_report(c: &crate::experiment::Comparison, sources: &[String], chart_list: &[NamedChart]) -> String {
    let mut body = format!("<h1>Comparison of {} scenarios</h1>{}", c.summaries.len(), meta(&c.summaries[0]));
    body +=
        "<p>Every scenario sees the same callers (common random numbers); differences are against the first scenario.</p><h2>Charts</h2>";
    body += &charts(chart_list);
    for (k, (s, src)) in c.summaries.iter().zip(sources).enumerate() {
        let _ = write!(
            body,
            "<h2>{}. {}</h2>{}<h3>Targets</h3>{}<details><summary>Assumptions and scenario file</summary>{}<pre>{}</pre></details>",
            k + 1,
            escape(&s.scenario),
            key_figures(s),
            targets(s),
            assumptions(src),
            escape(src)
        );
    }
    page("nursequeue comparison", &body)
}

/// The report of a sweep: the table of points and the KPI charts.
pub fn sweep_report(title: &str, table_html: &str, chart_list: &[NamedChart], source: &str) -> String {
    let body = format!(
        "<h1>{}</h1><h2>Charts</h2>{}<h2>Points</h2>{}<h2>Assumptions</h2>{}<details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(title),
        charts(chart_list),
        table_html,
        assumptions(source),
        escape(source)
    );
    page(title, &body)
}
