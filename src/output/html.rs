//! `report.html`: one self-contained page (no network: inline CSS and SVG
//! charts) with the key figures, targets, settlement, charts, the scenario's
//! stated assumptions and the seed — something a planner can mail to a board.

use std::fmt::Write as _;

use super::charts::NamedChart;
use super::words::{horizon_settlement, number, target_words, CURRENCY};
use crate::experiment::{Comparison, Summary};
use crate::stats::{Estimate, Metric, Unit, View};

/// Tables list at most this many regions (the first ones); the CSV files have all.
pub const MAX_TABLE_REGIONS: usize = 100;

/// At most this many metric columns per table: tables fit at 1,000 px and on A4.
const MAX_COLUMNS: usize = 6;

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;max-width:1100px;color:#222;padding:0 1rem;line-height:1.35}\
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd}h3{font-size:1.05rem;margin:1.2rem 0 .3rem}\
.tablewrap{max-width:100%;overflow-x:auto}\
table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem;max-width:100%}\
th,td{padding:.3rem .55rem;border-bottom:1px solid #e4e4e4;text-align:right;vertical-align:top}\
th{background:#f1f3f5;font-weight:600;white-space:normal;overflow-wrap:break-word;max-width:9rem}table.text td,table.text th{text-align:left;white-space:normal}\
td{white-space:nowrap}th:first-child,td:first-child{text-align:left;white-space:normal;max-width:14rem;overflow-wrap:anywhere}\
td .ci{display:block;color:#666;font-size:.78em}tr.total td{font-weight:600;border-top:2px solid #bbb}tr.group td{color:#444;font-style:italic}\
.met{color:#127a12;font-weight:600}.miss{color:#b00;font-weight:600}.sig{font-weight:700}\
.chart svg{width:100%;height:auto;border:1px solid #eee;margin:.4rem 0}pre{background:#f7f7f7;padding:.8rem;overflow:auto;font-size:.8rem;white-space:pre-wrap}\
.meta{color:#555}.note{color:#555;font-size:.85rem;max-width:60rem}\
@page{size:A4;margin:12mm}\
@media print{body{max-width:none;margin:0;padding:0;font-size:9.5pt}h2,h3{break-after:avoid}h2.page{break-before:page;margin-top:0}\
table{font-size:8pt;width:auto}th,td{padding:.15rem .35rem}th{max-width:6.5rem}\
.tablewrap{overflow:visible}.chart,.block,tr{break-inside:avoid}.chart svg{border:none}details{display:none}pre{font-size:7pt}}";

/// Text made safe for HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub(crate) fn page(title: &str, body: &str) -> String {
    format!("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n", escape(title))
}

fn signed_number(x: f64, decimals: usize) -> String {
    let n = number(x, decimals);
    if n.starts_with('−') || n.chars().all(|c| c == '0' || c == '.' || c == '\u{202f}') {
        n
    } else {
        format!("+{n}")
    }
}

/// A table cell: the mean, and the 95 % half-width on a second, smaller line.
fn fmt(e: &Estimate, scale: f64, decimals: usize) -> String {
    match (e.mean, e.half_width()) {
        (Some(m), Some(h)) => format!(
            "{}<span class=\"ci\">±{}</span>",
            number(m * scale, decimals),
            number(h * scale, decimals)
        ),
        (Some(m), None) => number(m * scale, decimals),
        _ => "—".into(),
    }
}

/// A difference: signed mean and its 95 % interval; bold when the interval excludes zero.
fn fmt_delta(e: &Estimate, scale: f64, decimals: usize) -> String {
    match (e.mean, e.ci95) {
        (Some(m), Some((l, h))) => {
            let class = if l > 0.0 || h < 0.0 { " class=\"sig\"" } else { "" };
            format!(
                "<span{class}>{}</span><span class=\"ci\">{} to {}</span>",
                signed_number(m * scale, decimals),
                signed_number(l * scale, decimals),
                signed_number(h * scale, decimals)
            )
        }
        (Some(m), None) => signed_number(m * scale, decimals),
        _ => "—".into(),
    }
}

/// A column header: the catalogue's label, with the unit for minutes and hours.
fn header(m: &Metric) -> String {
    match m.def.unit {
        Unit::Minutes => format!("{} (min)", m.label),
        Unit::Hours => format!("{} hours", m.label.trim_end_matches(" h")),
        Unit::Calls if m.key != "offered" => format!("{} (calls)", m.label),
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

pub(crate) fn wrap(table: String) -> String {
    format!("<div class=\"tablewrap\">{table}</div>")
}

/// The metrics of the key-figure tables: the catalogue's `report.html` view,
/// with the calls offered first and the nurse hours last.
fn report_columns(metrics: &[Metric]) -> Vec<(usize, &Metric)> {
    let mut cols: Vec<(usize, &Metric)> = metrics.iter().enumerate().filter(|(_, m)| m.shown_in(View::Html)).collect();
    for key in ["offered", "nurse_hours"] {
        if let Some(i) = metrics.iter().position(|m| m.key == key) {
            if !cols.iter().any(|c| c.0 == i) {
                if key == "offered" {
                    cols.insert(0, (i, &metrics[i]));
                } else {
                    cols.push((i, &metrics[i]));
                }
            }
        }
    }
    cols
}

/// Columns split into tables of at most [`MAX_COLUMNS`]: calls and shares first,
/// then waits and nurse time.
fn column_groups<'a>(cols: &[(usize, &'a Metric)]) -> Vec<(&'static str, Vec<(usize, &'a Metric)>)> {
    let (service, rest): (Vec<_>, Vec<_>) = cols
        .iter()
        .copied()
        .partition(|(_, m)| m.key == "offered" || (m.def.unit == Unit::Share && m.key != "occupancy"));
    let mut out = vec![];
    for (title, group) in [("Calls and service level", service), ("Waiting times and nurses", rest)] {
        for (k, chunk) in group.chunks(MAX_COLUMNS).enumerate() {
            out.push((if k == 0 { title } else { "" }, chunk.to_vec()));
        }
    }
    out.retain(|g| !g.1.is_empty());
    out
}

fn key_figures(s: &Summary) -> String {
    let cols = report_columns(&s.metrics);
    let mut rows: Vec<(String, &Vec<Estimate>, &str)> = s
        .region_names
        .iter()
        .take(MAX_TABLE_REGIONS)
        .cloned()
        .zip(&s.regions)
        .map(|(n, v)| (n, v, ""))
        .collect();
    rows.extend(
        s.agreement_names
            .iter()
            .take(MAX_TABLE_REGIONS)
            .map(|a| format!("agreement: {a}"))
            .zip(&s.agreements)
            .map(|(n, v)| (n, v, "group")),
    );
    rows.push(("all regions".into(), &s.total, "total"));
    let mut out = String::new();
    for (title, group) in column_groups(&cols) {
        out += "<div class=\"block\">";
        if !title.is_empty() {
            let _ = write!(out, "<h3>{title}</h3>");
        }
        let mut t = String::from("<table><thead><tr><th>region</th>");
        for (_, m) in &group {
            let _ = write!(t, "<th title=\"{}\">{}</th>", escape(&m.title), escape(&header(m)));
        }
        t += "</tr></thead><tbody>";
        for (name, values, class) in &rows {
            let _ = write!(t, "<tr class=\"{class}\"><td>{}</td>", escape(name));
            for &(i, m) in &group {
                let _ = write!(t, "<td>{}</td>", fmt(&values[i], m.def.unit.scale(), m.def.decimals));
            }
            t += "</tr>";
        }
        out += &wrap(t + "</tbody></table>");
        out += "</div>";
    }
    out + "<p class=\"note\">Means per replication with the 95 % confidence half-width (±) below. Shares (%) are of offered calls (attempts); calls and hours are per replication over the horizon after the warm-up."
        + &rows_note(s.region_names.len().max(s.agreement_names.len()), "regions.csv")
        + "</p>"
}

/// Money: `1 234 567 SEK`.
fn money(x: f64) -> String {
    format!("{} {CURRENCY}", number(x, 0))
}

fn signed_money(x: f64) -> String {
    format!("{} {CURRENCY}", signed_number(x, 0))
}

/// The nurse hours (and overtime) of the whole run, in words.
fn hours_line(s: &Summary) -> String {
    let value = |key: &str| s.value("total", key).and_then(|e| e.mean);
    let cost = match s.staffing_cost() {
        Some(c) => format!(
            " Staffing cost (nurse hours logged on at each region's cost per nurse hour): <b>{}</b> per replication.",
            money(c)
        ),
        None => " The scenario gives no cost per nurse hour, so staffing cost is not priced.".into(),
    };
    match value("nurse_hours") {
        Some(h) => format!(
            "<p>Nurse hours logged on, all regions: <b>{}</b> per replication{}.{cost}</p>",
            number(h, 0),
            value("overtime_hours").map_or(String::new(), |o| format!(", of which {} hours overtime", number(o, 1)))
        ),
        None => String::new(),
    }
}

fn targets(s: &Summary) -> String {
    if s.targets.is_empty() {
        return "<p>No targets in this scenario.</p>".into();
    }
    let mut out = String::from(
        "<table class=\"text\"><thead><tr><th>target</th><th>regions</th><th>judged per</th><th>estimate (95 % CI)</th><th>verdict</th><th>periods met</th></tr></thead><tbody>",
    );
    for t in &s.targets {
        let mut words = target_words(t);
        // The rule in the catalogue's words, not the metric key.
        if let Some(m) = s.metrics.iter().find(|m| m.key == t.metric) {
            words.rule = words.rule.replacen(&t.metric, m.title.trim_end_matches(" (minutes)"), 1);
        }
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
    wrap(out + "</tbody></table>")
}

fn settlement(s: &Summary) -> String {
    let rows = horizon_settlement(s);
    if rows.is_empty() {
        return "<p>No calls crossed regions.</p>".into();
    }
    let priced = s.price_per_call.is_some();
    let mut out = String::from(
        "<table><thead><tr><th>region</th><th>answered for others (calls)</th><th>answered by others (calls)</th><th>net (calls)</th>",
    );
    if priced {
        let _ = write!(out, "<th>net amount ({CURRENCY})</th>");
    }
    out += "</tr></thead><tbody>";
    for r in rows.iter().take(MAX_TABLE_REGIONS) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&r.region),
            fmt(&r.answered_for_others, 1.0, 0),
            fmt(&r.answered_by_others, 1.0, 0),
            fmt(&r.net, 1.0, 0),
        );
        if priced {
            let _ = write!(out, "<td>{}</td>", r.net_amount.map_or("—".into(), signed_money));
        }
        out += "</tr>";
    }
    let price = s.price_per_call.map_or(String::new(), |p| {
        format!(
            " Priced at {} per call answered for another region; a positive amount is owed to the region.",
            money(p)
        )
    });
    wrap(out + "</tbody></table>")
        + "<p class=\"note\">Calls per replication over the horizon; net = answered for others − answered by others."
        + &price
        + " Monthly figures are in settlement.csv."
        + &rows_note(rows.len(), "settlement.csv")
        + "</p>"
        + &bilateral(s)
}

/// Most pairs of regions listed in the bilateral table.
const MAX_PAIRS: usize = 40;

/// Who answered whom, pair by pair: each direction, the net and its amount.
fn bilateral(s: &Summary) -> String {
    let n = s.region_names.len();
    // Settled calls only: what the settlement rules exclude is owed by nobody.
    let flow = |from: usize, to: usize| s.settled_flow(from, to);
    let mut pairs: Vec<(usize, usize, f64, f64)> = vec![];
    for a in 0..n {
        for b in a + 1..n {
            // a_for_b: calls of b answered by a's nurses.
            let (a_for_b, b_for_a) = (flow(b, a), flow(a, b));
            if a_for_b > 0.0 || b_for_a > 0.0 {
                pairs.push((a, b, a_for_b, b_for_a));
            }
        }
    }
    if pairs.is_empty() {
        return String::new();
    }
    pairs.sort_by(|x, y| (y.2 + y.3).total_cmp(&(x.2 + x.3)));
    let priced = s.price_per_call;
    let mut out = String::from("<h3>Who answered whom (bilateral)</h3><table><thead><tr><th>region A</th><th>region B</th><th>A answered for B (calls)</th><th>B answered for A (calls)</th><th>net, A's favour (calls)</th>");
    if priced.is_some() {
        let _ = write!(out, "<th>B owes A ({CURRENCY})</th>");
    }
    out += "</tr></thead><tbody>";
    for &(a, b, ab, ba) in pairs.iter().take(MAX_PAIRS) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
            escape(&s.region_names[a]),
            escape(&s.region_names[b]),
            number(ab, 0),
            number(ba, 0),
            signed_number(ab - ba, 0)
        );
        if let Some(p) = priced {
            let _ = write!(out, "<td>{}</td>", signed_number((ab - ba) * p, 0));
        }
        out += "</tr>";
    }
    let more = if pairs.len() > MAX_PAIRS {
        format!(
            " Showing the {MAX_PAIRS} busiest of {} pairs; flows.csv has every flow.",
            pairs.len()
        )
    } else {
        String::new()
    };
    wrap(out + "</tbody></table>")
        + "<p class=\"note\">Means per replication, busiest pairs first. A negative net means B answered more of A's calls than A of B's."
        + &more
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
pub(crate) fn assumptions(source: &str) -> String {
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
        "<h1>{}</h1>{}<h2 class=\"first\">Key figures</h2>{}{}<h2>Targets</h2>{}<h2>Settlement</h2>{}<h2 class=\"page\">Charts</h2>{}<h2 class=\"page\">Assumptions</h2>{}<details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(&s.scenario),
        meta(s),
        key_figures(s),
        hours_line(s),
        targets(s),
        settlement(s),
        charts(chart_list),
        assumptions(source),
        escape(source)
    );
    page(&s.scenario, &body)
}

/// The metrics of the Δ tables: the compare view, the nurse hours and the settlement balance.
fn delta_columns(c: &Comparison) -> Vec<(usize, &Metric)> {
    let mut cols: Vec<(usize, &Metric)> = c
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.shown_in(View::CompareTable))
        .collect();
    if let Some(i) = c.metrics.iter().position(|m| m.key == "nurse_hours") {
        cols.push((i, &c.metrics[i]));
    }
    cols
}

/// Totals side by side: one row per metric, one column per scenario, and each
/// scenario's Δ against the first with its paired 95 % interval.
fn compare_totals(c: &Comparison) -> String {
    // The net balance of all regions together is zero by definition: left out.
    let cols: Vec<(usize, &Metric)> = delta_columns(c)
        .into_iter()
        .filter(|(_, m)| m.key != "net_answered_for_others")
        .collect();
    let first = &c.summaries[0];
    let mut out = String::from("<table><thead><tr><th>metric (all regions)</th>");
    for (k, s) in c.summaries.iter().enumerate() {
        let _ = write!(out, "<th>{}. {}</th>", k + 1, escape(&s.scenario));
        if k > 0 {
            let _ = write!(out, "<th>Δ {} − 1 (95 % interval)</th>", k + 1);
        }
    }
    out += "</tr></thead><tbody>";
    for &(i, m) in &cols {
        let _ = write!(out, "<tr><td>{}</td>", escape(&unit_title(m)));
        for (k, s) in c.summaries.iter().enumerate() {
            let v = s.value("total", &m.key);
            let _ = write!(
                out,
                "<td>{}</td>",
                v.map_or("—".into(), |e| fmt(&e, m.def.unit.scale(), m.def.decimals))
            );
            if k > 0 {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    fmt_delta(&c.differences[k - 1].total[i], m.def.unit.scale(), m.def.decimals)
                );
            }
        }
        out += "</tr>";
    }
    // The settlement in money, where priced: the sum of the positive balances.
    let owed = |s: &Summary| -> Option<f64> {
        s.price_per_call?;
        Some(horizon_settlement(s).iter().filter_map(|r| r.net_amount).filter(|a| *a > 0.0).sum())
    };
    if c.summaries.iter().any(|s| owed(s).is_some()) {
        let _ = write!(out, "<tr><td>Settlement paid between regions ({CURRENCY})</td>");
        let base = owed(first);
        for (k, s) in c.summaries.iter().enumerate() {
            let v = owed(s);
            let _ = write!(out, "<td>{}</td>", v.map_or("—".into(), |x| number(x, 0)));
            if k > 0 {
                let d = match (v, base) {
                    (Some(a), Some(b)) => signed_number(a - b, 0),
                    (Some(a), None) => signed_number(a, 0),
                    _ => "—".into(),
                };
                let _ = write!(out, "<td>{d}</td>");
            }
        }
        out += "</tr>";
    }
    wrap(out + "</tbody></table>")
        + "<p class=\"note\">Means per replication (± the 95 % half-width); Δ is the later scenario minus the first over paired replications, with its 95 % interval below it; <b>bold</b> where the interval excludes zero (a difference that is not noise). Differences of shares are in percentage points. The settlement is a difference of means, without an interval.</p>"
}

/// A metric's title with its unit.
fn unit_title(m: &Metric) -> String {
    let t = m.title.trim_end_matches(" (minutes)");
    match m.def.unit {
        Unit::Share => format!("{t} (%)"),
        Unit::Minutes => format!("{t} (min)"),
        Unit::Hours => format!("{t} (hours)"),
        Unit::Calls => format!("{t} (calls)"),
    }
}

/// Per region, the Δ of each metric against the first scenario with its interval.
fn delta_tables(c: &Comparison) -> String {
    let cols = delta_columns(c);
    let mut out = String::new();
    for d in &c.differences {
        let _ = write!(
            out,
            "<h3>Δ by region: {} minus {}</h3>",
            escape(&d.scenario),
            escape(&c.summaries[0].scenario)
        );
        for (_, group) in column_groups(&cols) {
            let mut t = String::from("<table><thead><tr><th>region</th>");
            for (_, m) in &group {
                let _ = write!(t, "<th title=\"{}\">Δ {}</th>", escape(&m.title), escape(&header(m)));
            }
            t += "</tr></thead><tbody>";
            let rows = d
                .region_names
                .iter()
                .zip(&d.regions)
                .take(MAX_TABLE_REGIONS)
                .map(|(n, v)| (n.as_str(), v, ""));
            for (name, values, class) in rows.chain([("all regions", &d.total, "total")]) {
                let _ = write!(t, "<tr class=\"{class}\"><td>{}</td>", escape(name));
                for &(i, m) in &group {
                    let _ = write!(t, "<td>{}</td>", fmt_delta(&values[i], m.def.unit.scale(), m.def.decimals));
                }
                t += "</tr>";
            }
            out += &wrap(t + "</tbody></table>");
        }
    }
    out + "<p class=\"note\">Each cell: the difference of the means (shares in percentage points), and below it the paired 95 % interval; bold where it excludes zero.</p>"
}

/// Settlement per region in calls and money, side by side, with the Δ of the amount.
fn compare_settlement(c: &Comparison) -> String {
    let first = &c.summaries[0];
    let priced = c.summaries.iter().any(|s| s.price_per_call.is_some());
    let mut out = String::from("<table><thead><tr><th>region</th>");
    for (k, s) in c.summaries.iter().enumerate() {
        let unit = if priced { CURRENCY } else { "calls" };
        let _ = write!(out, "<th>{}. {} net ({unit})</th>", k + 1, escape(&s.scenario));
        if k > 0 {
            let _ = write!(out, "<th>Δ {} − 1 ({unit})</th>", k + 1);
        }
    }
    out += "</tr></thead><tbody>";
    let value = |s: &Summary, region: &str| -> Option<f64> {
        let r = horizon_settlement(s).into_iter().find(|r| r.region == region)?;
        if priced {
            r.net_amount
        } else {
            r.net.mean
        }
    };
    let mut any = false;
    for region in first.region_names.iter().take(MAX_TABLE_REGIONS) {
        let values: Vec<Option<f64>> = c.summaries.iter().map(|s| value(s, region)).collect();
        if values.iter().all(|v| v.unwrap_or(0.0) == 0.0) {
            continue;
        }
        any = true;
        let _ = write!(out, "<tr><td>{}</td>", escape(region));
        for (k, v) in values.iter().enumerate() {
            let _ = write!(out, "<td>{}</td>", v.map_or("—".into(), |x| signed_number(x, 0)));
            if k > 0 {
                let d = signed_number(v.unwrap_or(0.0) - values[0].unwrap_or(0.0), 0);
                let _ = write!(out, "<td>{d}</td>");
            }
        }
        out += "</tr>";
    }
    if !any {
        return "<p>No calls crossed regions in any scenario.</p>".into();
    }
    wrap(out + "</tbody></table>")
        + "<p class=\"note\">Net balance per replication over the horizon (answered for others − answered by others)"
        + if priced {
            ", priced at each scenario's price per call; positive: owed to the region"
        } else {
            ""
        }
        + ". Regions of the first scenario.</p>"
}

/// Each scenario's staffing cost and its Δ against the first, when any
/// scenario gives a cost per nurse hour.
fn compare_cost(c: &Comparison) -> String {
    if c.summaries.iter().all(|s| s.staffing_cost().is_none()) {
        return String::new();
    }
    let first = c.summaries[0].staffing_cost().unwrap_or(0.0);
    let mut rows = String::new();
    for (k, s) in c.summaries.iter().enumerate() {
        let cost = s.staffing_cost();
        let delta = if k == 0 {
            "—".to_string()
        } else {
            signed_money(cost.unwrap_or(0.0) - first)
        };
        let _ = write!(
            rows,
            "<tr><td>{}. {}</td><td>{}</td><td>{delta}</td></tr>",
            k + 1,
            escape(&s.scenario),
            cost.map_or("not priced".into(), money)
        );
    }
    wrap(format!(
        "<table><thead><tr><th>scenario</th><th>staffing cost per replication ({CURRENCY})</th><th>Δ against 1 ({CURRENCY})</th></tr></thead><tbody>{rows}</tbody></table>"
    )) + "<p class=\"note\">Nurse hours logged on, at each region's cost per nurse hour (regions without one count nothing).</p>"
}

/// The report of a comparison: the totals with their Δ, the Δ by region, the
/// settlement, the charts and each scenario's figures.
pub fn compare_report(c: &Comparison, sources: &[String], chart_list: &[NamedChart]) -> String {
    let mut body = format!("<h1>Comparison of {} scenarios</h1>{}", c.summaries.len(), meta(&c.summaries[0]));
    body += "<p>Every scenario sees the same callers (common random numbers); differences (Δ) are against the first scenario, with 95 % intervals from paired replications.</p><ol>";
    for s in &c.summaries {
        let _ = write!(body, "<li>{}</li>", escape(&s.scenario));
    }
    body += "</ol><h2 class=\"first\">Differences</h2>";
    body += &compare_totals(c);
    body += &compare_cost(c);
    body += &delta_tables(c);
    body += "<h2>Settlement</h2>";
    body += &compare_settlement(c);
    body += "<h2 class=\"page\">Charts</h2>";
    body += &charts(chart_list);
    for (k, (s, src)) in c.summaries.iter().zip(sources).enumerate() {
        let _ = write!(
            body,
            "<h2 class=\"page\">{}. {}</h2>{}{}<h3>Targets</h3>{}<h3>Settlement</h3>{}<details><summary>Assumptions and scenario file</summary>{}<pre>{}</pre></details>",
            k + 1,
            escape(&s.scenario),
            key_figures(s),
            hours_line(s),
            targets(s),
            settlement(s),
            assumptions(src),
            escape(src)
        );
    }
    page("nursequeue comparison", &body)
}

/// The report of a sweep: the table of points and the KPI charts.
pub fn sweep_report(title: &str, table_html: &str, chart_list: &[NamedChart], source: &str) -> String {
    let body = format!(
        "<h1>{}</h1><h2 class=\"first\">Points</h2>{}<h2 class=\"page\">Charts</h2>{}<h2 class=\"page\">Assumptions</h2>{}<details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(title),
        wrap(table_html.to_string()),
        charts(chart_list),
        assumptions(source),
        escape(source)
    );
    page(title, &body)
}
