//! The output of `nursequeue erlang`: one typed row per number of nurses,
//! printed as a table or as JSON.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use crate::erlang::{erlang_b, Queue};

/// Service levels for one threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct WithinRow {
    /// The threshold as the user wrote it (`20s`).
    pub label: String,
    /// Answered within it / offered (abandoners fail); `None` when unstable.
    pub of_offered: Option<f64>,
    /// Answered within it / answered.
    pub of_answered: Option<f64>,
    /// Answered within it / callers who did not hang up before it.
    pub short_abandons_excluded: Option<f64>,
}

/// The analytic figures of one stationary queue with `nurses` nurses.
#[derive(Clone, Debug, PartialEq)]
pub struct ErlangRow {
    /// `erlang_a` (with patience) or `erlang_c`.
    pub model: &'static str,
    /// Nurses.
    pub nurses: u32,
    /// Offered load in Erlang.
    pub offered_load: f64,
    /// Whether the queue is stable without abandonment.
    pub stable: bool,
    /// Probability that a call waits.
    pub p_wait: Option<f64>,
    /// Probability that a caller hangs up.
    pub p_abandon: Option<f64>,
    /// Mean wait of answered calls, minutes.
    pub mean_wait_answered: Option<f64>,
    /// Mean wait of all calls (abandoners until they hang up), minutes.
    pub mean_wait_all: Option<f64>,
    /// Busy share of nurse time.
    pub occupancy: Option<f64>,
    /// Erlang B blocking with as many lines as nurses.
    pub erlang_b_blocking: f64,
    /// Per threshold.
    pub within: Vec<WithinRow>,
}

impl ErlangRow {
    /// The figures of queue `q` for the thresholds `(label, minutes)`.
    pub fn new(q: Queue, within: &[(String, f64)]) -> ErlangRow {
        let finite = |x: f64| x.is_finite().then_some(x);
        let stable = q.is_stable();
        ErlangRow {
            model: if q.theta > 0.0 { "erlang_a" } else { "erlang_c" },
            nurses: q.n,
            offered_load: q.load(),
            stable,
            p_wait: finite(q.p_wait()),
            p_abandon: finite(q.p_abandon()),
            mean_wait_answered: finite(q.mean_wait_answered()),
            mean_wait_all: finite(q.mean_wait_all()),
            occupancy: finite(q.occupancy()),
            erlang_b_blocking: erlang_b(q.n, q.load()),
            within: within
                .iter()
                .map(|(label, t)| WithinRow {
                    label: label.clone(),
                    of_offered: stable.then(|| q.answered_within(*t)),
                    of_answered: stable.then(|| q.answered_within_of_answered(*t)),
                    short_abandons_excluded: stable.then(|| q.answered_within_short_abandons_excluded(*t)),
                })
                .collect(),
        }
    }
}

enum Cell<'a> {
    Number(Option<f64>),
    Count(u32),
    Flag(bool),
    Text(&'a str),
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Cell::Number(x) => x.filter(|v| v.is_finite()).serialize(s),
            Cell::Count(n) => n.serialize(s),
            Cell::Flag(b) => b.serialize(s),
            Cell::Text(t) => t.serialize(s),
        }
    }
}

/// One JSON object per row, keys in alphabetical order.
impl Serialize for ErlangRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(String, Cell<'_>)> = vec![
            ("model".into(), Cell::Text(self.model)),
            ("nurses".into(), Cell::Count(self.nurses)),
            ("offered_load".into(), Cell::Number(Some(self.offered_load))),
            ("stable".into(), Cell::Flag(self.stable)),
            ("p_wait".into(), Cell::Number(self.p_wait)),
            ("p_abandon".into(), Cell::Number(self.p_abandon)),
            ("mean_wait_answered".into(), Cell::Number(self.mean_wait_answered)),
            ("mean_wait_all".into(), Cell::Number(self.mean_wait_all)),
            ("occupancy".into(), Cell::Number(self.occupancy)),
            ("erlang_b_blocking".into(), Cell::Number(Some(self.erlang_b_blocking))),
        ];
        for w in &self.within {
            entries.push((format!("answered_within_{}", w.label), Cell::Number(w.of_offered)));
            entries.push((format!("answered_within_{}_of_answered", w.label), Cell::Number(w.of_answered)));
            entries.push((
                format!("answered_within_{}_short_abandons_excluded", w.label),
                Cell::Number(w.short_abandons_excluded),
            ));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut map = s.serialize_map(Some(entries.len()))?;
        for (k, v) in &entries {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The rows as a pretty JSON array (no final newline).
pub fn json(rows: &[ErlangRow]) -> String {
    serde_json::to_string_pretty(rows).expect("rows serialize to JSON")
}

/// The rows as a readable table with a heading that names the model.
pub fn text(lambda: f64, handle: f64, theta: f64, within: &[(String, f64)], rows: &[ErlangRow]) -> String {
    let model = if theta > 0.0 {
        format!("Erlang A (M/M/n+M), mean patience {:.2} min", 1.0 / theta)
    } else {
        "Erlang C (M/M/n, callers never hang up)".into()
    };
    let mut out = format!(
        "{model}\narrivals {:.4} calls/min, mean handle time {:.2} min, offered load {:.3} Erlang\n\n",
        lambda,
        handle,
        lambda * handle
    );
    let pct = |v: Option<f64>| v.map_or("—".into(), |x| format!("{:.2}", 100.0 * x));
    let min = |v: Option<f64>| v.map_or("—".into(), |x| format!("{x:.3}"));
    let mut header: Vec<String> = ["nurses", "P(wait) %", "P(abandon) %"].map(String::from).to_vec();
    for (l, _) in within {
        header.extend([
            format!("≤{l} % of offered"),
            format!("≤{l} % of answered"),
            format!("≤{l} % excl. short abandons"),
        ]);
    }
    header.extend(["mean wait answered (min)", "mean wait all (min)", "occupancy %"].map(String::from));
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut line = vec![r.nurses.to_string(), pct(r.p_wait), pct(r.p_abandon)];
            for w in &r.within {
                line.extend([pct(w.of_offered), pct(w.of_answered), pct(w.short_abandons_excluded)]);
            }
            line.extend([min(r.mean_wait_answered), min(r.mean_wait_all), pct(r.occupancy)]);
            line
        })
        .collect();
    out += &super::text::align(&header, &lines);
    if rows.iter().any(|r| !r.stable) {
        out += "\n— : unstable without abandonment (offered load ≥ nurses): the queue grows without bound.\n";
    }
    out
}
