//! The result of `staff` as text, JSON and an HTML report.

use std::fmt::Write as _;

use crate::experiment::TargetResult;
use crate::scenario::Bound;
use crate::staff::{StaffResult, StaffingRow};

use super::html::escape;
use super::words::number;

/// A target's value: a share in %, or minutes.
fn value(t: &TargetResult, x: f64) -> String {
    if t.in_minutes() {
        format!("{x:.2} min")
    } else {
        format!("{:.1} %", 100.0 * x)
    }
}

/// `answered_within_5m ≥ 75.0 % (all regions, per week, met in 90 % of periods)`.
fn requirement(t: &TargetResult) -> String {
    let (sign, b) = match t.bound {
        Bound::AtLeast(b) => ("≥", b),
        Bound::AtMost(b) => ("≤", b),
    };
    let within = t
        .met_in
        .map_or(String::new(), |p| format!(", met in {:.0} % of periods", 100.0 * p));
    format!(
        "{} {sign} {} ({}, per {}{within})",
        t.metric,
        value(t, b),
        t.region.as_deref().unwrap_or("all regions"),
        t.per.as_str()
    )
}

/// `69.5 % (95 % CI 68.7 % – 70.4 %), NOT met, met in 0 % of 30 periods`.
fn outcome(t: &TargetResult) -> String {
    let estimate = match (t.estimate.mean, t.estimate.ci95) {
        (Some(m), Some((a, b))) => format!("{} (95 % CI {} – {})", value(t, m), value(t, a), value(t, b)),
        (Some(m), None) => value(t, m),
        _ => "no calls".into(),
    };
    let verdict = match t.met {
        Some(true) => "met",
        Some(false) => "NOT met",
        None => "not judged",
    };
    let share = t.share_of_periods_met.map_or(String::new(), |s| {
        format!(", met in {:.0} % of {} periods", 100.0 * s, t.periods_judged)
    });
    format!("{estimate}, {verdict}{share}")
}

fn cost_text(x: f64, unit: &str) -> String {
    if unit.starts_with("SEK") {
        format!("SEK {}", number(x, 0))
    } else {
        format!("{} h", number(x, 0))
    }
}

/// A year is 52 weeks and a day: what a post costs a year, to compare with budgets.
const WEEKS_PER_YEAR: f64 = 365.0 / 7.0;

fn staffing_table(rows: &[StaffingRow], unit: &str) -> String {
    let mut out = format!(
        "{:<16} {:>5}  {:<8} {:<11} {:>14}  {:>13}  {:>14}\n",
        "region", "shift", "days", "hours", "nurses", "nurse h/week", "cost/week"
    );
    for r in rows {
        let nurses = format!("{} -> {}", r.nurses_before, r.nurses);
        let _ = writeln!(
            out,
            "{:<16} {:>5}  {:<8} {:<11} {:>14}  {:>13}  {:>14}{}",
            r.region,
            r.shift,
            r.days,
            format!("{}-{}", r.from, r.to),
            nurses,
            number(r.nurse_hours_per_week, 0),
            cost_text(r.cost, unit),
            if r.new { "  (new shift)" } else { "" }
        );
    }
    out
}

/// The readable result.
pub fn text(r: &StaffResult) -> String {
    let mut out = format!("Staffing for {} — cost in {}\n\n", r.scenario, r.cost.unit);
    if r.search.targets_held_before {
        out += "Today's staffing already meets every target; this is the cheapest staffing found that still does.\n\n";
    }
    out += &staffing_table(&r.staffing, &r.cost.unit);
    let change = r.cost.after - r.cost.before;
    let _ = writeln!(
        out,
        "\nCost of all shifts a week: {} today, {} with the new staffing ({}{}).",
        cost_text(r.cost.before, &r.cost.unit),
        cost_text(r.cost.after, &r.cost.unit),
        if change >= 0.0 { "+" } else { "−" },
        cost_text(change.abs(), &r.cost.unit)
    );
    if r.cost.unit.starts_with("SEK") {
        let _ = writeln!(
            out,
            "A year: {} today, {} with the new staffing.",
            cost_text(r.cost.before * WEEKS_PER_YEAR, &r.cost.unit),
            cost_text(r.cost.after * WEEKS_PER_YEAR, &r.cost.unit)
        );
    }
    let c = &r.certification;
    let _ = writeln!(
        out,
        "\nTargets, today -> new staffing (fresh seed {}, {} replications):",
        c.seed, c.replications
    );
    for (before, after) in r.targets_before.iter().zip(&r.targets) {
        let _ = writeln!(
            out,
            "  {}\n    today: {}\n    new:   {}",
            requirement(after),
            outcome(before),
            outcome(after)
        );
    }
    let _ = writeln!(
        out,
        "\nCertification: {}.\n  Rule: {}.",
        if c.certified { "CERTIFIED" } else { "NOT certified" },
        c.rule
    );
    for t in &c.targets {
        let interval = if t.judged_on == "share_of_periods" {
            format!(
                "share of periods met {:.1} % – {:.1} %",
                100.0 * t.interval[0],
                100.0 * t.interval[1]
            )
        } else {
            format!("estimate {} – {}", value(&t.result, t.interval[0]), value(&t.result, t.interval[1]))
        };
        let _ = writeln!(
            out,
            "  {}: {interval} — {}",
            requirement(&t.result),
            if t.holds { "holds" } else { "DOES NOT hold" }
        );
    }
    let keep: Vec<String> = r
        .removals
        .iter()
        .filter(|x| x.targets_still_hold)
        .map(|x| format!("{} shift {} ({} {}-{})", x.region, x.shift, x.days, x.from, x.to))
        .collect();
    if !c.certified {
        let _ = writeln!(
            out,
            "  = this staffing met every target by the rule on the search seed ({}) but not on the fresh certification seed{}: it lies close to a bound.\n  = help: search again with more --replications (a narrower interval), or add a nurse on the shifts the failing target depends on and check it with `run --seed` on another seed",
            r.search.seed,
            if r.search.repairs > 0 { format!(", even after {} repair rounds", r.search.repairs) } else { String::new() }
        );
        // Minimality is about removals that keep every target: moot when the staffing itself misses one.
        out += "Local minimum: not judged — the staffing does not meet every target on the certification seed.\n";
    } else if r.local_minimum {
        out += "Local minimum: yes — one nurse fewer on any adjusted shift breaks a target by the same rule.\n";
    } else {
        let _ = writeln!(
            out,
            "Local minimum: NO — one nurse fewer here still meets every target by the rule: {}.",
            keep.join("; ")
        );
    }
    let s = &r.search;
    let _ = writeln!(
        out,
        "\nSearch: seed {}, {} replications, at most {} nurses a shift; {} staffings simulated, {} nurses added and {} removed from the {}.",
        s.seed,
        s.replications,
        s.max_nurses,
        s.evaluations,
        s.additions,
        s.removals,
        if s.started_from == "today" { "staffing of today" } else { "analytic start" }
    );
    if s.repairs > 0 {
        let _ = writeln!(
            out,
            "Repair: {} nurse{} added after a missed certification, each round certified on a fresh seed; the certification above is the last round's (seed {}).",
            s.repairs,
            if s.repairs == 1 { "" } else { "s" },
            c.seed
        );
    }
    out
}

/// The JSON document of `--format json` and `staffing.json`.
pub fn json(r: &StaffResult) -> String {
    serde_json::to_string_pretty(r).expect("a staffing result serializes") + "\n"
}

/// `report.html`.
pub fn html(r: &StaffResult, source: &str) -> String {
    let mut body = format!(
        "<h1>Staffing for {}</h1><p class=\"meta\">Cost in {}; search seed {}, certification seed {}, {} replications each.</p>",
        escape(&r.scenario),
        escape(&r.cost.unit),
        r.search.seed,
        r.certification.seed,
        r.certification.replications
    );
    let verdict = |ok: bool, yes: &str, no: &str| {
        if ok {
            format!("<span class=\"met\">{yes}</span>")
        } else {
            format!("<span class=\"miss\">{no}</span>")
        }
    };
    let _ = write!(
        body,
        "<p>{} · local minimum: {} · cost a week {} → {}</p>",
        verdict(r.certification.certified, "Certified", "Not certified"),
        if r.certification.certified {
            verdict(r.local_minimum, "yes", "no")
        } else {
            "not judged".to_string()
        },
        escape(&cost_text(r.cost.before, &r.cost.unit)),
        escape(&cost_text(r.cost.after, &r.cost.unit))
    );
    body += "<h2>Staffing</h2><div class=\"tablewrap\"><table><tr><th>region</th><th>shift</th><th>days</th><th>hours</th><th>nurses before</th><th>nurses</th><th>nurse hours a week</th><th>cost a week</th></tr>";
    for row in &r.staffing {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}{}</td><td>{}</td><td>{}–{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&row.region),
            row.shift,
            if row.new { " (new)" } else { "" },
            escape(&row.days),
            row.from,
            row.to,
            row.nurses_before,
            row.nurses,
            number(row.nurse_hours_per_week, 0),
            escape(&cost_text(row.cost, &r.cost.unit))
        );
    }
    body += "</table></div><h2>Targets</h2><div class=\"tablewrap\"><table class=\"text\"><tr><th>target</th><th>today</th><th>new staffing</th><th>rule's interval</th><th>holds</th></tr>";
    for (before, t) in r.targets_before.iter().zip(&r.certification.targets) {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} – {} ({})</td><td>{}</td></tr>",
            escape(&requirement(&t.result)),
            escape(&outcome(before)),
            escape(&outcome(&t.result)),
            escape(&interval_value(t.judged_on, &t.result, t.interval[0])),
            escape(&interval_value(t.judged_on, &t.result, t.interval[1])),
            t.judged_on.replace('_', " "),
            verdict(t.holds, "yes", "no")
        );
    }
    let _ = write!(
        body,
        "</table></div><p class=\"note\">Rule: {}.</p><h2>One nurse fewer</h2><table class=\"text\"><tr><th>shift</th><th>targets still hold</th></tr>",
        escape(&r.certification.rule)
    );
    for x in &r.removals {
        let _ = write!(
            body,
            "<tr><td>{} shift {} ({} {}–{})</td><td>{}</td></tr>",
            escape(&x.region),
            x.shift,
            escape(&x.days),
            x.from,
            x.to,
            verdict(!x.targets_still_hold, "no", "yes")
        );
    }
    let _ = write!(
        body,
        "</table><details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(source)
    );
    super::html::page(&format!("Staffing for {}", r.scenario), &body)
}

fn interval_value(judged_on: &str, t: &TargetResult, x: f64) -> String {
    if judged_on == "share_of_periods" {
        format!("{:.1} %", 100.0 * x)
    } else {
        value(t, x)
    }
}
