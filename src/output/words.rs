//! What the text tables and `report.html` say alike: numbers with thousands
//! separators, the currency, targets in words and the settlement rows shown.
//! A leaf: the output formats import it, it imports none of them.

use crate::experiment::{Per, SettlementRow, Summary, TargetResult};
use crate::scenario::Bound;

/// The currency of `[settlement] price_per_call` (the scenarios price calls in Swedish kronor).
pub const CURRENCY: &str = "SEK";

/// A number with thin-space thousands separators (`12 345`), `decimals` after the point.
pub fn number(x: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, x.abs());
    let (int, frac) = text.split_once('.').map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let negative = x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    let sign = if negative { "−" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// The settlement rows over the whole horizon, or none when no call crossed regions.
pub fn horizon_settlement(s: &Summary) -> Vec<&SettlementRow> {
    let rows: Vec<&SettlementRow> = s.settlement.iter().filter(|r| r.period.is_horizon()).collect();
    if rows
        .iter()
        .all(|r| r.answered_for_others.mean.unwrap_or(0.0) == 0.0 && r.answered_by_others.mean.unwrap_or(0.0) == 0.0)
    {
        return vec![];
    }
    rows
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

/// A target's rule, estimate and periods in words.
pub fn target_words(t: &TargetResult) -> TargetWords {
    let (op, limit) = match t.bound {
        Bound::AtLeast(b) => ("≥", b),
        Bound::AtMost(b) => ("≤", b),
    };
    let show = |x: f64| {
        if t.in_minutes() {
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
    let periods = match (t.per, t.share_of_periods_met) {
        (Per::Horizon, _) | (_, None) => None,
        (per, Some(share)) => Some(format!("met in {:.0} % of {} {}s", 100.0 * share, t.periods_judged, per)),
    };
    // The inverse: the level this staffing reaches in the required share of periods.
    let reached = t.reached.map(|r| {
        let periods = match t.per {
            Per::Horizon => "replications".to_string(),
            per => format!("{per}s"),
        };
        format!("reached in {:.0} % of {periods}: {op} {}", 100.0 * r.share, show(r.level))
    });
    let periods = match (periods, reached) {
        (Some(p), Some(r)) => Some(format!("{p}; {r}")),
        (p, r) => p.or(r),
    };
    let required = t
        .met_in
        .map(|q| format!(" in at least {:.0} % of {}s", 100.0 * q, t.per))
        .unwrap_or_default();
    TargetWords {
        rule: format!("{} {op} {}{required}", t.metric, show(limit)),
        estimate,
        periods,
    }
}
