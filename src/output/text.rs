//! The readable tables printed on standard output: the summary of `run`, the
//! side-by-side table of `compare`. Columns come from the metric catalogue
//! ([`crate::stats::View`]).

use std::fmt::Write as _;

use crate::calendar::format_duration;
use crate::experiment::{Comparison, Summary};
use crate::scenario::Scenario;
use crate::stats::{Estimate, Metric, View};

use super::words::{horizon_settlement, number, CURRENCY};
// Shared with report.html; kept at this path for the modules that name it here.
pub use super::words::{target_words, TargetWords};

/// `12.3 ±0.4` with the interval's half-width, scaled (100 for percentages).
pub fn cell(e: &Estimate, scale: f64, decimals: usize) -> String {
    match e.mean {
        None => "—".into(),
        Some(m) => match e.half_width() {
            Some(h) => format!("{:.*} ±{:.*}", decimals, m * scale, decimals, h * scale),
            None => format!("{:.*}", decimals, m * scale),
        },
    }
}

/// A metric's value as a table cell, scaled and rounded as the catalogue says.
pub fn metric_cell(m: &Metric, e: &Estimate) -> String {
    cell(e, m.def.unit.scale(), m.def.decimals)
}

fn signed(m: &Metric, e: &Estimate) -> String {
    let (scale, decimals) = (m.def.unit.scale(), m.def.decimals);
    match e.mean {
        None => "—".into(),
        Some(v) => match e.half_width() {
            Some(h) => format!("{:+.*} ±{:.*}", decimals, v * scale, decimals, h * scale),
            None => format!("{:+.*}", decimals, v * scale),
        },
    }
}

/// The readable summary printed by `run`.
pub fn run_text(scenario: &Scenario, s: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} replication{} of {} from {} (warmup {}), seed {}",
        printable(&s.scenario),
        s.replications,
        if s.replications == 1 { "" } else { "s" },
        format_duration(scenario.horizon),
        scenario.start,
        format_duration(scenario.warmup),
        s.seed
    );
    let _ = writeln!(
        out,
        "Means per replication with 95 % confidence half-widths. Waits in minutes; shares in % of offered calls.\n"
    );
    for w in s.warnings() {
        let _ = writeln!(out, "warning: {}\n", printable(&w));
    }
    let columns: Vec<(usize, &Metric)> = s.metrics.iter().enumerate().filter(|(_, m)| m.shown_in(View::RunTable)).collect();
    let mut rows: Vec<(String, &Vec<Estimate>)> = s.region_names.iter().cloned().zip(&s.regions).collect();
    rows.extend(s.agreement_names.iter().map(|a| format!("[{a}]")).zip(&s.agreements));
    rows.push(("total".into(), &s.total));
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(name, values)| {
            let mut r = vec![name.clone()];
            r.extend(columns.iter().map(|&(i, m)| metric_cell(m, &values[i])));
            r
        })
        .collect();
    let mut header = vec!["".to_string()];
    header.extend(columns.iter().map(|(_, m)| m.label.clone()));
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
    out += &priced_hours(hours_text(s), scenario, s);
    out += &settlement_text(s);
    out += &targets_text(s);
    let run = &s.run;
    let rate = run.calls_simulated as f64 / run.wall_seconds.max(1e-9);
    let _ = writeln!(
        out,
        "\n{} calls simulated in {:.2} s on {} thread{} ({:.1} million calls/s)",
        run.calls_simulated,
        run.wall_seconds,
        run.threads,
        if run.threads == 1 { "" } else { "s" },
        rate / 1e6
    );
    out
}

/// Text safe to print on a terminal: control characters (escape sequences in
/// a region name, say) are shown as `\u{1b}` instead of acting on the terminal.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A table as text: the first column left-aligned, the others right-aligned.
/// Control characters in cells are shown escaped ([`printable`]).
pub fn align(header: &[String], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|c| printable(c)).collect();
    let rows: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| printable(c)).collect()).collect();
    let (header, rows) = (&header[..], &rows[..]);
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

/// The nurse hours of the run (all regions), in words.
fn hours_text(s: &Summary) -> String {
    let Some(i) = s.metric("nurse_hours") else {
        return String::new();
    };
    let overtime = s
        .metric("overtime_hours")
        .map_or(String::new(), |o| format!(", overtime {} h", cell(&s.total[o], 1.0, 1)));
    format!(
        "\nNurse hours logged on (all regions, per replication): {} h{overtime}. The scenario gives no cost per nurse hour, so staffing cost is not priced.\n",
        cell(&s.total[i], 1.0, 0)
    )
}

/// With `cost_per_nurse_hour`, the sentence that staffing is not priced
/// becomes its cost: each region's nurse hours logged on at its price.
fn priced_hours(text: String, scenario: &Scenario, s: &Summary) -> String {
    const UNPRICED: &str = " The scenario gives no cost per nurse hour, so staffing cost is not priced.";
    if scenario.regions.iter().all(|r| r.cost_per_nurse_hour.is_none()) {
        return text;
    }
    let hours = |name: &str| s.value(name, "nurse_hours").and_then(|e| e.mean).unwrap_or(0.0);
    let cost: f64 = scenario
        .regions
        .iter()
        .map(|r| hours(&r.name) * r.cost_per_nurse_hour.unwrap_or(0.0))
        .sum();
    let unpriced: Vec<&str> = scenario
        .regions
        .iter()
        .filter(|r| r.cost_per_nurse_hour.is_none() && hours(&r.name) > 0.0)
        .map(|r| r.name.as_str())
        .collect();
    let note = if unpriced.is_empty() {
        String::new()
    } else {
        format!(" (without {}, which give no cost_per_nurse_hour)", unpriced.join(", "))
    };
    text.replace(
        UNPRICED,
        &format!(
            " Staffing cost of these hours at cost_per_nurse_hour: {} SEK per replication{note}.",
            number(cost, 0)
        ),
    )
}

fn settlement_text(s: &Summary) -> String {
    let rows = horizon_settlement(s);
    if rows.is_empty() {
        return String::new();
    }
    let mut out = "\nSettlement over the horizon (calls per replication):\n".to_string();
    let mut header: Vec<String> = ["", "answered for others", "answered by others", "net"].map(String::from).to_vec();
    if s.price_per_call.is_some() {
        header.push(format!("net amount ({})", CURRENCY));
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
            if s.price_per_call.is_some() {
                row.push(r.net_amount.map_or("—".into(), |m| format!("{m:.0}")));
            }
            row
        })
        .collect();
    out += &align(&header, &table);
    out + &bilateral_text(s)
}

/// Who owes whom over the horizon: each pair of regions with settled calls
/// answered one way or the other, the balance and who owes it.
fn bilateral_text(s: &Summary) -> String {
    let names = &s.region_names;
    let mut table = vec![];
    for (i, a) in names.iter().enumerate() {
        for (k, b) in names.iter().enumerate().skip(i + 1) {
            let (a_for_b, b_for_a) = (s.settled_flow(k, i), s.settled_flow(i, k));
            if a_for_b == 0.0 && b_for_a == 0.0 {
                continue;
            }
            let net = a_for_b - b_for_a;
            let (debtor, creditor) = if net >= 0.0 { (b, a) } else { (a, b) };
            let mut row = vec![
                a.clone(),
                b.clone(),
                format!("{a_for_b:.0}"),
                format!("{b_for_a:.0}"),
                format!("{debtor} owes {creditor} {:.0} calls", net.abs()),
            ];
            if let Some(price) = s.price_per_call {
                row.push(format!("{:.0}", net.abs() * price));
            }
            table.push(row);
        }
    }
    if table.is_empty() {
        return String::new();
    }
    let mut header: Vec<String> = ["A", "B", "A answered for B", "B answered for A", "balance"]
        .map(String::from)
        .to_vec();
    if s.price_per_call.is_some() {
        header.push(format!("amount ({})", CURRENCY));
    }
    "\nWho owes whom over the horizon (settled calls per replication; monthly in settlement_pairs.csv):\n".to_string()
        + &align(&header, &table)
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
            printable(t.region.as_deref().unwrap_or("all regions")),
            t.per,
            words.estimate
        );
    }
    out
}

/// The readable side-by-side table of `compare`.
pub fn comparison_text(c: &Comparison) -> String {
    let first = &c.summaries[0];
    let mut out = format!(
        "Comparing {} scenarios on the same {} replications (seed {}): the same callers wherever demand is the same.\nDifferences (Δ) are against \"{}\", with 95 % intervals from paired replications.\n",
        c.summaries.len(),
        first.replications,
        first.seed,
        printable(&first.scenario)
    );
    let columns: Vec<(usize, &Metric)> = c
        .metrics
        .iter()
        .enumerate()
        .filter(|(_, m)| m.shown_in(View::CompareTable))
        .collect();
    let mut header = vec!["".to_string()];
    header.extend(columns.iter().map(|(_, m)| m.label.clone()));
    let mut groups: Vec<String> = first.region_names.clone();
    groups.push("total".into());
    for group in groups {
        let _ = writeln!(out, "\n{}", printable(&group));
        let mut table = vec![];
        for (k, s) in c.summaries.iter().enumerate() {
            if group != "total" && s.region(&group).is_none() {
                continue;
            }
            let mut row = vec![s.scenario.clone()];
            row.extend(
                columns
                    .iter()
                    .map(|(_, m)| s.value(&group, &m.key).map_or("—".into(), |e| metric_cell(m, &e))),
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
                    row.extend(columns.iter().map(|&(i, m)| signed(m, &diff[i])));
                    table.push(row);
                }
            }
        }
        out += &align(&header, &table);
    }
    out + &compare_money_text(c)
}

/// Nurse hours, the settlement and the staffing cost in money, per scenario,
/// with their Δ against the first.
fn compare_money_text(c: &Comparison) -> String {
    let mut out = String::from("\nNurse hours and settlement (all regions, per replication):\n");
    let priced = c.summaries.iter().any(|s| s.price_per_call.is_some());
    let mut header = vec!["".to_string(), "nurse hours".to_string()];
    if priced {
        header.push(format!("settlement paid ({})", CURRENCY));
    }
    let costed = c.summaries.iter().any(|s| s.staffing_cost().is_some());
    if costed {
        header.push(format!("staffing cost ({})", CURRENCY));
    }
    header.push("net calls crossing regions".to_string());
    let hours = c.metrics.iter().position(|m| m.key == "nurse_hours");
    let paid = |s: &Summary| -> Option<f64> {
        s.price_per_call?;
        Some(horizon_settlement(s).iter().filter_map(|r| r.net_amount).filter(|a| *a > 0.0).sum())
    };
    let crossing = |s: &Summary| -> f64 { horizon_settlement(s).iter().filter_map(|r| r.net.mean).filter(|n| *n > 0.0).sum() };
    let mut table = vec![];
    for (k, s) in c.summaries.iter().enumerate() {
        let mut row = vec![
            s.scenario.clone(),
            s.value("total", "nurse_hours").map_or("—".into(), |e| cell(&e, 1.0, 0)),
        ];
        if priced {
            row.push(paid(s).map_or("—".into(), |x| format!("{x:.0}")));
        }
        if costed {
            row.push(s.staffing_cost().map_or("—".into(), |x| format!("{x:.0}")));
        }
        row.push(format!("{:.0}", crossing(s)));
        table.push(row);
        if k > 0 {
            let first = &c.summaries[0];
            let mut row = vec!["  Δ".to_string()];
            row.push(hours.map_or("—".into(), |i| {
                let e = &c.differences[k - 1].total[i];
                match e.mean {
                    None => "—".into(),
                    Some(v) => match e.half_width() {
                        Some(h) => format!("{v:+.0} ±{h:.0}"),
                        None => format!("{v:+.0}"),
                    },
                }
            }));
            if priced {
                row.push(format!("{:+.0}", paid(s).unwrap_or(0.0) - paid(first).unwrap_or(0.0)));
            }
            if costed {
                row.push(format!(
                    "{:+.0}",
                    s.staffing_cost().unwrap_or(0.0) - first.staffing_cost().unwrap_or(0.0)
                ));
            }
            row.push(format!("{:+.0}", crossing(s) - crossing(first)));
            table.push(row);
        }
    }
    out += &align(&header, &table);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(printable("Örebro"), "Örebro");
        assert_eq!(printable("a\u{1b}[2Jb\u{7}"), "a\\u{1b}[2Jb\\u{7}");
        let table = align(&["".into(), "x".into()], &[vec!["\u{1b}]0;pwned\u{7}".into(), "1".into()]]);
        assert!(!table.contains('\u{1b}') && table.contains("\\u{1b}]0;pwned\\u{7}"), "{table}");
    }
}
