//! The `calibrate` command's readable tables: each free parameter with its
//! estimate and 95 % interval (or why it cannot be identified), and each
//! observation beside the simulated value at the estimate.

use crate::calibrate::Calibration;
use crate::output::text::{align, printable};

/// The text printed by `calibrate`. `value(k, x)` writes parameter `k`'s value
/// as the scenario takes it (a number, or minutes as `"12.5m"`).
pub fn text(c: &Calibration, value: &dyn Fn(usize, f64) -> String) -> String {
    let parameters: Vec<Vec<String>> = c
        .parameters
        .iter()
        .enumerate()
        .map(|(k, p)| {
            vec![
                printable(&p.key),
                value(k, p.estimate),
                format!("{} – {}", value(k, p.ci95[0]), value(k, p.ci95[1])),
                match &p.why {
                    None => "yes".to_string(),
                    Some(why) => format!("no: {why}"),
                },
            ]
        })
        .collect();
    let fit: Vec<Vec<String>> = c
        .fit
        .iter()
        .map(|f| {
            vec![
                printable(&f.metric),
                printable(f.region.as_deref().unwrap_or("all regions")),
                format!("{:.4}", f.observed),
                format!("{:.4} ({})", f.sd, f.sd_rule),
                format!("{:.4}", f.simulated.mean),
                format!("{:.4} – {:.4}", f.simulated.ci95[0], f.simulated.ci95[1]),
            ]
        })
        .collect();
    let mut out = String::from("Free parameters (posterior median and 95 % interval)\n");
    out += &align(&["key", "estimate", "95 % interval", "identifiable"].map(String::from), &parameters);
    out += "\nFit at the estimate (fresh replications)\n";
    out += &align(
        &["metric", "region", "observed", "sd used", "simulated", "95 % interval"].map(String::from),
        &fit,
    );
    out += &format!(
        "\n{} replications simulated in {} waves.{}\n",
        c.simulations,
        c.waves,
        if !c.fits {
            " POOR FIT: see the note below; do not read the estimates above as fitted values."
        } else if c.identifiable {
            ""
        } else {
            " NOT IDENTIFIABLE: the observations do not pin down every parameter; do not read the estimates above as fitted values."
        }
    );
    for note in &c.notes {
        out += &format!("note: {note}\n");
    }
    out
}

/// What the HTML report needs besides the result: the scenario's name and
/// file, the observations file, and the free parameters' search ranges.
pub struct ReportInput<'a> {
    /// The scenario's name.
    pub scenario: &'a str,
    /// The scenario file's text (its header states the assumptions).
    pub source: &'a str,
    /// The observations file's text.
    pub observed_source: &'a str,
    /// Each free parameter's range `(low, high)`, in the order of `parameters`.
    pub ranges: &'a [(f64, f64)],
}

/// `report.html` of `calibrate`: the verdict in words, each parameter's
/// interval drawn inside its search range, and each observation beside the
/// simulated value, so a reader sees at a glance what was pinned down.
pub fn html(c: &Calibration, input: &ReportInput, value: &dyn Fn(usize, f64) -> String) -> String {
    use crate::output::html::{assumptions, escape, page, wrap};
    let body = format!(
        "<h1>Calibration: {}</h1>{}<h2>Free parameters</h2>{}<p class=\"note\">The bar spans the range searched; the dark band is the 95 % interval, the dot the estimate (posterior median).</p><h2>Fit at the estimate</h2>{}<p class=\"note\">Simulated: fresh replications at the estimate, mean and 95 % confidence interval. z: (observed − simulated) / sd; beyond ±{} the fit is called poor. The marker ◆ is the observed value, the bar the simulated interval.</p>{}<h2 class=\"page\">Assumptions</h2>{}<details><summary>The observations file</summary><pre>{}</pre></details><details><summary>The scenario file</summary><pre>{}</pre></details>",
        escape(input.scenario),
        verdict(c),
        wrap(parameter_table(c, input.ranges, value)),
        wrap(fit_table(c)),
        crate::calibrate::MISFIT_Z,
        notes(c),
        assumptions(input.source),
        escape(input.observed_source),
        escape(input.source),
    );
    page(&format!("Calibration: {}", input.scenario), &body)
}

fn verdict(c: &Calibration) -> String {
    use crate::output::html::escape;
    let (class, text) = if !c.fits {
        ("miss", "Poor fit: at least one observation lies far from what the scenario can produce inside the ranges searched. Do not read the estimates as fitted values.")
    } else if !c.identifiable {
        ("miss", "Not identifiable: the observations do not pin down every parameter (see the table). Do not read those estimates as fitted values.")
    } else {
        (
            "met",
            "Every observation is reproduced and every parameter is pinned down by the observations.",
        )
    };
    let caveat = if c.notes.is_empty() { "" } else { " Read the notes below the fit." };
    format!(
        "<p class=\"{class}\">{}{caveat}</p><p class=\"meta\">{} replications simulated in {} waves; effective posterior sample {:.0}. Generated by nursequeue {}.</p>",
        escape(text),
        c.simulations,
        c.waves,
        c.effective_samples,
        env!("CARGO_PKG_VERSION")
    )
}

fn parameter_table(c: &Calibration, ranges: &[(f64, f64)], value: &dyn Fn(usize, f64) -> String) -> String {
    use crate::output::html::escape;
    let mut rows = String::new();
    for (k, p) in c.parameters.iter().enumerate() {
        let (low, high) = ranges.get(k).copied().unwrap_or((p.ci95[0], p.ci95[1]));
        let identifiable = match &p.why {
            None => "<span class=\"met\">yes</span>".to_string(),
            Some(why) => format!("<span class=\"miss\">no</span>: {}", escape(why)),
        };
        rows += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{} – {}</td><td>{} – {}</td><td>{}</td><td class=\"chart\">{}</td></tr>",
            escape(&p.key),
            escape(&value(k, p.estimate)),
            escape(&value(k, p.ci95[0])),
            escape(&value(k, p.ci95[1])),
            escape(&value(k, low)),
            escape(&value(k, high)),
            identifiable,
            range_bar(low, high, p.ci95, p.estimate)
        );
    }
    format!("<table><tr><th>parameter</th><th>estimate</th><th>95 % interval</th><th>range searched</th><th>identifiable</th><th>interval in the range</th></tr>{rows}</table>")
}

fn fit_table(c: &Calibration) -> String {
    use crate::output::html::escape;
    use crate::output::words::number;
    let mut rows = String::new();
    for f in &c.fit {
        let (scale, decimals, unit) = display_of(&f.metric);
        let z = if f.sd > 0.0 {
            (f.observed - f.simulated.mean) / f.sd
        } else {
            f64::NAN
        };
        let far = !(z.abs() <= crate::calibrate::MISFIT_Z);
        rows += &format!(
            "<tr><td>{}<span class=\"ci\"><code>{}</code></span></td><td>{}</td><td>{}{unit}</td><td>{}{unit}<span class=\"ci\">{}–{}</span></td><td>{}{unit} ({})</td><td class=\"{}\">{}</td><td class=\"chart\">{}</td></tr>",
            escape(&title_of(&f.metric)),
            escape(&f.metric),
            escape(f.region.as_deref().unwrap_or("all regions")),
            number(f.observed * scale, decimals),
            number(f.simulated.mean * scale, decimals),
            number(f.simulated.ci95[0] * scale, decimals),
            number(f.simulated.ci95[1] * scale, decimals),
            number(f.sd * scale, decimals + 1),
            f.sd_rule,
            if far { "miss" } else { "met" },
            if z.is_finite() { format!("{z:+.1}") } else { "—".into() },
            fit_bar(f.observed, f.simulated.ci95, f.simulated.mean, f.sd),
        );
    }
    format!("<table><tr><th>observation</th><th>region</th><th>observed</th><th>simulated</th><th>sd used</th><th>z</th><th>observed ◆ against simulated</th></tr>{rows}</table>")
}

fn notes(c: &Calibration) -> String {
    use crate::output::html::escape;
    c.notes
        .iter()
        .map(|n| format!("<p class=\"note\">Note: {}</p>", escape(n)))
        .collect()
}

fn title_of(key: &str) -> String {
    crate::stats::metric_by_key(key).map_or_else(|| key.to_string(), |m| m.title)
}

/// Scale, decimals and unit suffix for showing a metric's values.
fn display_of(key: &str) -> (f64, usize, &'static str) {
    use crate::stats::Unit;
    match crate::stats::metric_by_key(key).map(|m| m.def.unit) {
        Some(Unit::Share) => (100.0, 1, " %"),
        Some(Unit::Minutes) => (1.0, 1, " min"),
        Some(Unit::Hours) => (1.0, 0, " h"),
        _ => (1.0, 0, ""),
    }
}

const BAR_WIDTH: f64 = 200.0;

/// An interval and estimate drawn inside a parameter's search range.
fn range_bar(low: f64, high: f64, ci: [f64; 2], estimate: f64) -> String {
    let x = |v: f64| {
        if high > low {
            ((v - low) / (high - low)).clamp(0.0, 1.0) * BAR_WIDTH
        } else {
            0.0
        }
    };
    format!(
        "<svg viewBox=\"0 0 {w} 14\" width=\"{w}\" height=\"14\" role=\"img\" aria-label=\"interval in the range\"><rect x=\"0\" y=\"5\" width=\"{w}\" height=\"4\" fill=\"#ddd\"/><rect x=\"{:.1}\" y=\"2\" width=\"{:.1}\" height=\"10\" fill=\"#555\"/><circle cx=\"{:.1}\" cy=\"7\" r=\"3.5\" fill=\"#000\" stroke=\"#fff\"/></svg>",
        x(ci[0]),
        (x(ci[1]) - x(ci[0])).max(1.5),
        x(estimate),
        w = BAR_WIDTH
    )
}

/// The observed value (a diamond) against the simulated interval, on a scale
/// of the simulated mean ± 4 observation standard deviations (wider when needed).
fn fit_bar(observed: f64, ci: [f64; 2], mean: f64, sd: f64) -> String {
    let spread = (crate::calibrate::MISFIT_Z * sd).max((ci[1] - ci[0]).abs()).max(1e-12);
    let low = (mean - spread).min(observed).min(ci[0]);
    let high = (mean + spread).max(observed).max(ci[1]);
    let x = |v: f64| ((v - low) / (high - low)).clamp(0.0, 1.0) * (BAR_WIDTH - 10.0) + 5.0;
    let o = x(observed);
    format!(
        "<svg viewBox=\"0 0 {w} 14\" width=\"{w}\" height=\"14\" role=\"img\" aria-label=\"observed against simulated\"><line x1=\"5\" y1=\"7\" x2=\"{:.1}\" y2=\"7\" stroke=\"#ddd\"/><rect x=\"{:.1}\" y=\"4\" width=\"{:.1}\" height=\"6\" fill=\"#888\"/><line x1=\"{m:.1}\" y1=\"2\" x2=\"{m:.1}\" y2=\"12\" stroke=\"#333\"/><path d=\"M{o:.1} 1 L{:.1} 7 L{o:.1} 13 L{:.1} 7 Z\" fill=\"#000\" stroke=\"#fff\" stroke-width=\"0.8\"/></svg>",
        BAR_WIDTH - 5.0,
        x(ci[0]),
        (x(ci[1]) - x(ci[0])).max(1.5),
        o + 5.0,
        o - 5.0,
        m = x(mean),
        w = BAR_WIDTH
    )
}
