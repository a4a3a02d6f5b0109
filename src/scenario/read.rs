//! Reading the document tree into a validated [`Scenario`], collecting every
//! problem (unknown keys, wrong types, bad values) instead of stopping at the first.

use super::diagnostic::{did_you_mean, Problems, Span};
use super::keys::{self, KeyDef};
use super::tree::{Key, Node, Value};
use super::*;
use crate::calendar::{parse_clock, parse_duration, DaySet, Time, Window, DAY, MINUTE};

/// Largest sizes accepted: beyond these a scenario is surely a typing mistake.
const MAX_REPLICATIONS: u64 = 100_000;
const MAX_NURSES_PER_SHIFT: u64 = 100_000;
const MAX_CALLS_PER_WEEK: f64 = 1e9;
/// Nurses a region may schedule at once (the sum of one set of shifts).
pub const MAX_NURSES_PER_REGION: u64 = 1_000_000;
/// Regions in one scenario.
pub const MAX_REGIONS: usize = 1_000;
/// Largest price of one call in the settlement.
const MAX_PRICE: f64 = 1e9;
/// Longest name (regions, agreements, the scenario), in characters.
const MAX_NAME_CHARS: usize = 200;

/// A table being read: remembers which keys were asked for, so that any other
/// key can be reported as unknown (with a suggestion).
///
/// The keys a table may hold come from [`super::keys`], the list the JSON
/// Schema is generated from; reading a key that is not in it is a bug caught
/// by the tests (debug assertions).
struct Table<'a> {
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
    keys: &'static [KeyDef],
    #[cfg(any(test, debug_assertions))]
    asked: Vec<&'static str>,
    what: String,
    span: Span,
}

impl<'a> Table<'a> {
    fn of(node: &'a Node, what: &str, keys: &'static [KeyDef], p: &mut Problems) -> Option<Table<'a>> {
        match &node.value {
            Value::Table(entries) => Some(Table {
                entries,
                used: vec![false; entries.len()],
                keys,
                #[cfg(any(test, debug_assertions))]
                asked: vec![],
                what: what.to_string(),
                span: node.span,
            }),
            other => {
                p.at(node.span, format!("{what} must be a table, found {}", other.kind()));
                None
            }
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        #[cfg(any(test, debug_assertions))]
        {
            assert!(
                self.keys.iter().any(|k| k.name == key),
                "`{key}` is read from {} but missing from scenario::keys",
                self.what
            );
            self.asked.push(key);
        }
        let i = self.entries.iter().position(|(k, _)| k.name == key)?;
        self.used[i] = true;
        Some(&self.entries[i].1)
    }

    fn required(&mut self, key: &'static str, example: &str, p: &mut Problems) -> Option<&'a Node> {
        let node = self.get(key);
        if node.is_none() {
            p.at(self.span_start(), format!("{} has no `{key}`", self.what))
                .hint(format!("add `{key} = {example}`"));
        }
        node
    }

    fn span_start(&self) -> Span {
        Span {
            end: self.span.start + 1,
            ..self.span
        }
    }

    fn finish(self, p: &mut Problems) {
        #[cfg(any(test, debug_assertions))]
        for k in self.keys {
            assert!(
                self.asked.contains(&k.name),
                "scenario::keys lists `{}` in {} but the reader never reads it",
                k.name,
                self.what
            );
        }
        let known: Vec<&'static str> = keys::names(self.keys).collect();
        for (i, (key, _)) in self.entries.iter().enumerate() {
            if self.used[i] {
                continue;
            }
            let problem = p.at(key.span, format!("unknown key `{}` in {}", key.name, self.what));
            match did_you_mean(&key.name, known.iter().copied()) {
                Some(s) => problem.hint(format!("did you mean `{s}`?")),
                None => problem.hint(format!("keys allowed here: {}", known.join(", "))),
            };
        }
    }
}

fn text<'a>(n: &'a Node, what: &str, p: &mut Problems) -> Option<&'a str> {
    let t = n.as_text();
    if t.is_none() {
        p.at(n.span, format!("{what} must be text in quotes, found {}", n.value.kind()));
    }
    t
}

fn number(n: &Node, what: &str, p: &mut Problems) -> Option<f64> {
    match n.as_f64() {
        Some(x) if x.is_finite() => Some(x),
        Some(_) => {
            p.at(n.span, format!("{what} must be a finite number"));
            None
        }
        None => {
            p.at(n.span, format!("{what} must be a number, found {}", n.value.kind()));
            None
        }
    }
}

fn non_negative(n: &Node, what: &str, p: &mut Problems) -> Option<f64> {
    let x = number(n, what, p)?;
    if x < 0.0 {
        p.at(n.span, format!("{what} cannot be negative (found {})", N(x)));
        return None;
    }
    Some(x)
}

fn positive(n: &Node, what: &str, p: &mut Problems) -> Option<f64> {
    let x = number(n, what, p)?;
    if x <= 0.0 {
        p.at(n.span, format!("{what} must be greater than zero (found {})", N(x)));
        return None;
    }
    Some(x)
}

fn whole(n: &Node, what: &str, max: u64, p: &mut Problems) -> Option<u64> {
    match n.value {
        Value::Int(i) if i < 0 => {
            p.at(n.span, format!("{what} cannot be negative (found {i})"));
            None
        }
        Value::Int(i) if i as u64 > max => {
            p.at(n.span, format!("{what} = {i} is too large (at most {max})"))
                .hint("is this a typing mistake?");
            None
        }
        Value::Int(i) => Some(i as u64),
        _ => {
            p.at(n.span, format!("{what} must be a whole number, found {}", n.value.kind()));
            None
        }
    }
}

fn duration(n: &Node, what: &str, p: &mut Problems) -> Option<Time> {
    if let Some(x) = n.as_f64() {
        p.at(n.span, format!("{what} must be a duration in quotes, found the number {}", N(x)))
            .hint(if x.is_finite() {
                format!("write e.g. \"{}m\" (units: s, m, h, d, w)", N(x))
            } else {
                "write e.g. \"10m\" (units: s, m, h, d, w)".to_string()
            });
        return None;
    }
    let t = text(n, what, p)?;
    match parse_duration(t) {
        Ok(d) => Some(d),
        Err(e) => {
            p.at(n.span, format!("{what}: {e}"))
                .hint("write durations such as \"90s\", \"4m\", \"1h30m\", \"2d\", \"4w\"");
            None
        }
    }
}

fn list<'a>(n: &'a Node, what: &str, p: &mut Problems) -> Option<&'a [Node]> {
    match &n.value {
        Value::Array(items) => Some(items),
        other => {
            p.at(n.span, format!("{what} must be a list, found {}", other.kind()));
            None
        }
    }
}

/// A list of non-negative relative weights of a given length with a positive sum.
fn weights(n: &Node, what: &str, len: usize, p: &mut Problems) -> Option<Vec<f64>> {
    let items = list(n, what, p)?;
    if items.len() != len {
        p.at(n.span, format!("{what} needs {len} values, found {}", items.len()));
        return None;
    }
    let values: Vec<Option<f64>> = items.iter().map(|i| non_negative(i, what, p)).collect();
    let values: Option<Vec<f64>> = values.into_iter().collect();
    let values = values?;
    let sum = values.iter().sum::<f64>();
    if sum <= 0.0 {
        p.at(n.span, format!("{what} has no positive value"))
            .hint("these are relative weights: give at least one value above zero");
        return None;
    }
    if !sum.is_finite() {
        p.at(n.span, format!("{what}: the weights are too large to add up"))
            .hint("these are relative weights: only their ratios matter, so scale them down");
        return None;
    }
    Some(values)
}

pub(super) fn scenario(root: &Node, default_name: String, base: &std::path::Path, p: &mut Problems) -> Option<Scenario> {
    let mut top = Table::of(root, "the scenario", keys::SCENARIO, p)?;
    let name = top
        .get("name")
        .and_then(|n| name_text(n, "name", p))
        // The file's name may hold anything: shown, its odd characters are replaced.
        .unwrap_or_else(|| {
            clean_name(&default_name)
                .chars()
                .map(|c| if bad_name_char(c) { '\u{FFFD}' } else { c })
                .collect()
        });
    let start = top.required("start", "\"2024-03-04\"", p).and_then(|n| date(n, "start", p));
    let horizon = top.required("horizon", "\"4w\"", p).and_then(|n| {
        let h = duration(n, "horizon", p)?;
        if h <= 0 {
            p.at(n.span, "horizon must be longer than zero").hint("write e.g. horizon = \"4w\"");
            return None;
        }
        Some((h, n.span))
    });
    let warmup = match top.get("warmup") {
        Some(n) => duration(n, "warmup", p).map(|w| (w, n.span)),
        None => Some((0, root.span)),
    };
    if let (Some((h, _)), Some((w, span))) = (horizon, warmup) {
        if w >= h {
            p.at(span, "warmup must be shorter than the horizon: no statistics would be collected")
                .hint("statistics start after the warmup and stop at the horizon");
        }
    }
    if let (Some(start), Some((h, span))) = (start, horizon) {
        check_calendar_room(start, h, span, p);
    }
    let replications = top.get("replications").map_or(Some(10), |n| {
        let r = whole(n, "replications", MAX_REPLICATIONS, p)?;
        if r == 0 {
            p.at(n.span, "replications must be at least 1");
            return None;
        }
        Some(r)
    });
    let seed = top.get("seed").map_or(Some(1177), |n| whole(n, "seed", u64::MAX, p));
    let defaults = top.get("defaults").map(|n| read_defaults(n, p)).unwrap_or_default();
    let regions: Vec<Option<Region>> = match top.required("region", "[[region]] tables", p) {
        Some(n) => {
            let items = list(n, "region", p).unwrap_or(&[]);
            if items.is_empty() {
                p.at(n.span, "the scenario has no regions")
                    .hint("add at least one [[region]] table with a name, a call volume and shifts");
            }
            if items.len() > MAX_REGIONS {
                p.at(
                    items[MAX_REGIONS].span,
                    format!("{} regions: at most {MAX_REGIONS} are allowed", items.len()),
                )
                .hint("is this a generated file gone wrong?");
                vec![None]
            } else {
                let window = start.zip(horizon.map(|h| h.0));
                items.iter().map(|r| read_region(r, &defaults, base, window, p)).collect()
            }
        }
        None => vec![],
    };
    let region_names: Vec<Option<(String, Span)>> = regions_names(top.entries, &regions);
    check_unique(&region_names, "region", p);
    let names: Vec<&str> = region_names.iter().flatten().map(|(n, _)| n.as_str()).collect();
    let agreements: Vec<Option<Agreement>> = top
        .get("agreement")
        .map(|n| {
            list(n, "agreement", p)
                .unwrap_or(&[])
                .iter()
                .map(|a| read_agreement(a, &names, p))
                .collect()
        })
        .unwrap_or_default();
    let agreement_names: Vec<Option<(String, Span)>> = agreements
        .iter()
        .zip(
            top.get("agreement")
                .and_then(|n| if let Value::Array(a) = &n.value { Some(a.as_slice()) } else { None })
                .unwrap_or(&[]),
        )
        .map(|(a, node)| a.as_ref().map(|a| (a.name.clone(), node.get("name").map_or(node.span, |n| n.span))))
        .collect();
    check_unique(&agreement_names, "agreement", p);
    let targets: Vec<Option<Target>> = top
        .get("target")
        .map(|n| {
            list(n, "target", p)
                .unwrap_or(&[])
                .iter()
                .map(|t| read_target(t, &names, p))
                .collect()
        })
        .unwrap_or_default();
    let holidays = top.get("holidays").map(|n| {
        let items = list(n, "holidays", p).unwrap_or(&[]);
        // Read every entry first, so that every bad holiday is reported.
        let dates: Vec<Option<jiff::civil::Date>> = items.iter().map(|d| date(d, "a holiday", p)).collect();
        dates.into_iter().collect::<Option<Vec<_>>>()
    });
    let surges = top.get("surge").map(|n| {
        let items = list(n, "surge", p).unwrap_or(&[]);
        items
            .iter()
            .map(|s| read_surge(s, &names, p))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>()
    });
    let price_per_call = top.get("settlement").map(|n| read_settlement(n, p));
    let sweep = top.get("sweep").map(|n| read_sweep(n, p));
    top.finish(p);

    let scenario = Scenario {
        name,
        start: start?,
        horizon: horizon?.0,
        warmup: warmup?.0,
        replications: replications? as u32,
        seed: seed?,
        regions: regions.into_iter().collect::<Option<Vec<_>>>()?,
        agreements: agreements.into_iter().collect::<Option<Vec<_>>>()?,
        targets: targets.into_iter().collect::<Option<Vec<_>>>()?,
        holidays: holidays.unwrap_or(Some(vec![]))?,
        surges: surges.unwrap_or(Some(vec![]))?,
        price_per_call: price_per_call.map_or(Some(None), |p| p.map(Some))?,
        source: String::new(),
        sweep: sweep.unwrap_or(Some(vec![]))?,
        warnings: vec![],
    };
    if p.is_empty() {
        check_work(&scenario, &region_names, horizon?.1, p);
    }
    Some(scenario)
}

/// Refuses, at `check` time, work or memory no run could manage (see
/// [`crate::model::Work::refusal`]), pointing at the region that costs most.
fn check_work(s: &Scenario, region_names: &[Option<(String, Span)>], horizon: Span, p: &mut Problems) {
    let model = crate::model::Model::compile(s);
    let work = model.work();
    let Some(why) = work.refusal(s.replications as f64) else { return };
    let heaviest = (0..model.regions.len()).map(|r| (r, model.region_work(r))).max_by(|a, b| {
        let key = |w: &crate::model::Work| w.events / crate::model::MAX_EVENTS + w.memory_bytes / crate::model::MAX_MEMORY_BYTES;
        key(&a.1).total_cmp(&key(&b.1))
    });
    let at = heaviest
        .and_then(|(r, _)| region_names.get(r).cloned().flatten())
        .map_or(horizon, |(_, span)| span);
    let culprit = heaviest.map_or(String::new(), |(r, _)| format!(" (region `{}` costs most)", model.regions[r].name));
    p.at(at, format!("{why}{culprit}")).hint(
        "check volumes, volume_factor, surges, redial max_attempts, shrinkage and nurses for a typing mistake; or use a shorter horizon or fewer replications",
    );
}

fn read_surge(n: &Node, regions: &[&str], p: &mut Problems) -> Option<Surge> {
    let mut t = Table::of(n, "a [[surge]]", keys::SURGE, p)?;
    let from = t.required("from", "\"2020-03-09\"", p).and_then(|n| date(n, "from", p));
    let to = t.required("to", "\"2020-04-05\"", p).and_then(|n| date(n, "to", p));
    let factor = t.required("factor", "1.3", p).and_then(|n| {
        let f = non_negative(n, "factor", p)?;
        if f > 100.0 {
            p.at(n.span, format!("a surge factor of {} is implausibly large", N(f)));
            return None;
        }
        Some(f)
    });
    let members = match t.get("regions") {
        None => Some(vec![]),
        Some(r) => region_list(r, regions, "surge", p),
    };
    t.finish(p);
    let (from, to) = (from?, to?);
    if to < from {
        p.at(n.span, format!("surge ends ({to}) before it starts ({from})"));
        return None;
    }
    Some(Surge {
        from,
        to,
        factor: factor?,
        regions: members?,
    })
}

fn read_sweep(n: &Node, p: &mut Problems) -> Option<Vec<String>> {
    let mut t = Table::of(n, "[sweep]", keys::SWEEP, p)?;
    let vary = t
        .required("vary", "[\"agreement.national.overflow_after=0m,2m,4m\"]", p)
        .and_then(|v| {
            let items = list(v, "vary", p)?;
            items
                .iter()
                .map(|i| text(i, "a vary entry", p).map(str::to_string))
                .collect::<Vec<_>>()
                .into_iter()
                .collect::<Option<Vec<_>>>()
        });
    t.finish(p);
    vary
}

fn read_settlement(n: &Node, p: &mut Problems) -> Option<f64> {
    let mut t = Table::of(n, "[settlement]", keys::SETTLEMENT, p)?;
    let price = t.required("price_per_call", "550", p).and_then(|n| {
        let x = non_negative(n, "price_per_call", p)?;
        // Prices times counts of calls must stay exact and finite.
        if x > MAX_PRICE {
            p.at(
                n.span,
                format!("price_per_call = {} is implausibly large (at most {})", N(x), N(MAX_PRICE)),
            )
            .hint("the price of one call answered for another region");
            return None;
        }
        Some(x)
    });
    t.finish(p);
    price
}

/// A list of region names, each known and listed once.
fn region_list(m: &Node, regions: &[&str], what: &str, p: &mut Problems) -> Option<Vec<usize>> {
    let items = list(m, "regions", p)?;
    let mut idx = vec![];
    for item in items {
        let Some(name) = name_text(item, "a region", p) else { continue };
        let name = name.as_str();
        match regions.iter().position(|r| *r == name) {
            Some(i) if idx.contains(&i) => {
                p.at(item.span, format!("`{name}` is listed twice in {what}"));
            }
            Some(i) => idx.push(i),
            None => {
                let pr = p.at(item.span, format!("unknown region `{name}` in {what}"));
                match did_you_mean(name, regions.iter().copied()) {
                    Some(s) => pr.hint(format!("did you mean `{s}`?")),
                    None => pr.hint(format!("regions in this scenario: {}", short_list(regions))),
                };
            }
        }
    }
    (idx.len() == items.len()).then_some(idx)
}

fn regions_names(top: &[(Key, Node)], regions: &[Option<Region>]) -> Vec<Option<(String, Span)>> {
    let nodes: &[Node] = top
        .iter()
        .find(|(k, _)| k.name == "region")
        .and_then(|(_, n)| if let Value::Array(a) = &n.value { Some(a.as_slice()) } else { None })
        .unwrap_or(&[]);
    nodes
        .iter()
        .zip(regions)
        .map(|(node, _)| {
            let name = node.get("name")?;
            let text = clean_name(name.as_text()?);
            // A name refused by `name_text` (reported there) names nothing.
            let valid = !text.trim().is_empty() && !text.chars().any(bad_name_char) && text.chars().count() <= MAX_NAME_CHARS;
            valid.then_some((text, name.span))
        })
        .collect()
}

fn check_unique(names: &[Option<(String, Span)>], what: &str, p: &mut Problems) {
    let mut seen = std::collections::HashSet::new();
    for (name, span) in names.iter().flatten() {
        if !seen.insert(name.as_str()) {
            p.at(*span, format!("two {what}s are named `{name}`")).hint(format!(
                "{what} names must be unique: they are how agreements, targets and --set refer to them"
            ));
        }
    }
}

fn date(n: &Node, what: &str, p: &mut Problems) -> Option<jiff::civil::Date> {
    let t = text(n, what, p)?;
    let shape_ok = t.len() == 10
        && t.bytes()
            .enumerate()
            .all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    if !shape_ok {
        p.at(n.span, format!("{what} = `{t}` is not a date"))
            .hint("write the date alone as \"YYYY-MM-DD\", e.g. \"2024-03-04\" (no time of day)");
        return None;
    }
    match t.parse::<jiff::civil::Date>() {
        Ok(d) if d.year() < 1 => {
            p.at(n.span, format!("{what} = `{t}` is before the year 1"))
                .hint("write a date between 0001-01-01 and 9999-12-31");
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            p.at(n.span, format!("{what} = `{t}` is not a date"))
                .hint("write the date as \"YYYY-MM-DD\", e.g. \"2024-03-04\"");
            None
        }
    }
}

/// `[defaults]`. A distribution is `Some(None)` when given but invalid (already
/// reported), so regions that rely on it do not report it missing again.
#[derive(Default)]
struct Defaults {
    handle_time: Option<Option<Dist>>,
    handle_changes: Option<Option<Vec<HandleChange>>>,
    partner_extra_handle: Option<Time>,
    patience: Option<Option<Dist>>,
    hourly_rate: Option<Vec<f64>>,
    weekday_rate: Option<Vec<f64>>,
    redial: Option<Option<Redial>>,
    overload: Option<Option<Overload>>,
    shrinkage: Option<f64>,
    shrinkage_block: Option<Time>,
    absence: Option<f64>,
    daily_variation: Option<f64>,
    cost_per_nurse_hour: Option<f64>,
    /// `Some(None)`: given but invalid (already reported).
    shift_patterns: Option<Option<Vec<Window>>>,
}

fn read_defaults(n: &Node, p: &mut Problems) -> Defaults {
    let Some(mut t) = Table::of(n, "[defaults]", keys::DEFAULTS, p) else {
        return Defaults::default();
    };
    let d = Defaults {
        handle_time: t.get("handle_time").map(|n| dist(n, "handle_time", false, p)),
        handle_changes: t.get("handle_time_changes").map(|n| read_handle_changes(n, p)),
        partner_extra_handle: t.get("partner_extra_handle").and_then(|n| duration(n, "partner_extra_handle", p)),
        patience: t.get("patience").map(|n| dist(n, "patience", true, p)),
        hourly_rate: t.get("hourly_rate").and_then(|n| weights(n, "hourly_rate", 24, p)),
        weekday_rate: t.get("weekday_rate").and_then(|n| weights(n, "weekday_rate", 7, p)),
        redial: t.get("redial").map(|n| read_redial(n, p)),
        overload: t.get("overload").map(|n| read_overload(n, p)),
        shrinkage: t.get("shrinkage").and_then(|n| share(n, "shrinkage", p)),
        shrinkage_block: t.get("shrinkage_block").and_then(|n| positive_duration(n, "shrinkage_block", p)),
        absence: t.get("absence").and_then(|n| share(n, "absence", p)),
        daily_variation: t.get("daily_variation").and_then(|n| cv_value(n, "daily_variation", p)),
        cost_per_nurse_hour: t.get("cost_per_nurse_hour").and_then(|n| cost_per_nurse_hour(n, p)),
        shift_patterns: t.get("shift_patterns").map(|n| read_shift_patterns(n, p)),
    };
    t.finish(p);
    d
}

/// Money per nurse hour: a finite number, not negative, below an absurd ceiling.
fn cost_per_nurse_hour(n: &Node, p: &mut Problems) -> Option<f64> {
    let x = non_negative(n, "cost_per_nurse_hour", p)?;
    if x > MAX_COST_PER_NURSE_HOUR {
        p.at(
            n.span,
            format!(
                "cost_per_nurse_hour = {} is implausibly large (at most {})",
                N(x),
                N(MAX_COST_PER_NURSE_HOUR)
            ),
        )
        .hint("money per nurse hour, e.g. 800 (one post, about SEK 1.3 M a year, is some SEK 800 an hour)");
        return None;
    }
    Some(x)
}

/// Most money per nurse hour a scenario may give.
const MAX_COST_PER_NURSE_HOUR: f64 = 100_000.0;

/// `shift_patterns = [{ days, from, to }, …]`: shifts `staff` may add.
fn read_shift_patterns(n: &Node, p: &mut Problems) -> Option<Vec<Window>> {
    let items = list(n, "shift_patterns", p)?;
    let mut patterns: Vec<Window> = vec![];
    let mut ok = true;
    for item in items {
        match read_shift_pattern(item, p) {
            Some(w) if patterns.contains(&w) => {
                p.at(item.span, "this shift pattern is listed twice")
                    .hint("list each allowed shift (days, from, to) once");
                ok = false;
            }
            Some(w) => patterns.push(w),
            None => ok = false,
        }
    }
    ok.then_some(patterns)
}

fn read_shift_pattern(n: &Node, p: &mut Problems) -> Option<Window> {
    let mut t = Table::of(n, "a shift pattern", keys::SHIFT_PATTERN, p)?;
    let days = match t.get("days") {
        Some(d) => text(d, "days", p).and_then(|s| DaySet::parse(s).map_err(|e| p.at(d.span, e).hint("e.g. days = \"Mon-Fri\"")).ok()),
        None => Some(DaySet::ALL),
    };
    let from = t.required("from", "\"07:00\"", p).and_then(|n| clock(n, "from", p));
    let to = t.required("to", "\"16:00\"", p).and_then(|n| clock(n, "to", p));
    t.finish(p);
    match Window::new(days?, from?, to?) {
        Ok(w) => Some(w),
        Err(e) => {
            p.at(n.span, format!("shift pattern: {e}"));
            None
        }
    }
}

/// A probability-like share in [0, 1).
fn share(n: &Node, what: &str, p: &mut Problems) -> Option<f64> {
    let x = non_negative(n, what, p)?;
    if x >= 1.0 {
        p.at(n.span, format!("{what} must be below 1, found {}", N(x)))
            .hint("write 15 % as 0.15");
        return None;
    }
    Some(x)
}

fn cv_value(n: &Node, what: &str, p: &mut Problems) -> Option<f64> {
    let x = non_negative(n, what, p)?;
    if x > 0.0 && x < crate::dist::MIN_CV {
        p.at(
            n.span,
            format!(
                "{what} = {} is too small to mean anything (at least {} or 0)",
                N(x),
                crate::dist::MIN_CV
            ),
        )
        .hint("a coefficient of variation; write 0 for no day-to-day variation");
        return None;
    }
    if x > 5.0 {
        p.at(n.span, format!("{what} = {} is implausibly large", N(x)))
            .hint("a coefficient of variation; day-to-day variation is typically 0.05–0.3");
        return None;
    }
    Some(x)
}

fn positive_duration(n: &Node, what: &str, p: &mut Problems) -> Option<Time> {
    let d = duration(n, what, p)?;
    if d <= 0 {
        p.at(n.span, format!("{what} must be longer than zero"));
        return None;
    }
    Some(d)
}

fn read_redial(n: &Node, p: &mut Problems) -> Option<Redial> {
    let mut t = Table::of(n, "redial", keys::REDIAL, p)?;
    let probability = t.required("probability", "0.4", p).and_then(|n| {
        let x = non_negative(n, "redial.probability", p)?;
        if x > 1.0 {
            p.at(n.span, format!("redial.probability must be at most 1, found {}", N(x)));
            return None;
        }
        Some(x)
    });
    let delay = t
        .required("delay", "{ dist = \"exponential\", mean = \"10m\" }", p)
        .and_then(|n| dist(n, "redial.delay", false, p));
    let max_attempts = match t.get("max_attempts") {
        Some(n) => whole(n, "redial.max_attempts", 100, p).and_then(|m| {
            if m < 1 {
                p.at(n.span, "redial.max_attempts counts the first call too: at least 1");
                return None;
            }
            Some(m as u32)
        }),
        None => Some(3),
    };
    t.finish(p);
    Some(Redial {
        probability: probability?,
        delay: delay?,
        max_attempts: max_attempts?,
    })
}

fn read_overload(n: &Node, p: &mut Problems) -> Option<Overload> {
    let mut t = Table::of(n, "overload", keys::OVERLOAD, p)?;
    let max_queue = t
        .get("max_queue")
        .map(|n| whole(n, "overload.max_queue", 10_000_000, p).map(|q| q as u32));
    let max_wait = t.get("max_wait").map(|n| positive_duration(n, "overload.max_wait", p));
    t.finish(p);
    if max_queue.is_none() && max_wait.is_none() {
        p.at(n.span, "overload needs max_queue, max_wait or both")
            .hint("e.g. overload = { max_queue = 500, max_wait = \"45m\" }");
        return None;
    }
    Some(Overload {
        max_queue: max_queue.map_or(Some(None), |q| q.map(Some))?,
        max_wait: max_wait.map_or(Some(None), |w| w.map(Some))?,
    })
}

fn dist(n: &Node, what: &str, patience: bool, p: &mut Problems) -> Option<Dist> {
    let mut t = Table::of(n, what, keys::DIST, p)?;
    let kind_node = t.required("dist", "\"exponential\"", p);
    let params = [
        ("mean", t.get("mean")),
        ("cv", t.get("cv")),
        ("value", t.get("value")),
        ("values", t.get("values")),
    ];
    t.finish(p);
    let kind = text(kind_node?, "dist", p)?;
    let needs: &[&str] = match kind {
        "exponential" => &["mean"],
        "lognormal" | "gamma" | "weibull" => &["mean", "cv"],
        "fixed" => &["value"],
        "empirical" => &["values"],
        "none" if patience => &[],
        "none" => {
            p.at(kind_node?.span, format!("{what} cannot be `none`"))
                .hint("only patience may be none (callers who never hang up)");
            return None;
        }
        other => {
            let known = ["exponential", "lognormal", "gamma", "weibull", "fixed", "empirical", "none"];
            let pr = p.at(kind_node?.span, format!("unknown distribution `{other}`"));
            match did_you_mean(other, known) {
                Some(s) => pr.hint(format!("did you mean `{s}`?")),
                None => pr.hint(format!("use one of: {}", known.join(", "))),
            };
            return None;
        }
    };
    let mut ok = true;
    for (key, node) in &params {
        match (needs.contains(key), node) {
            (true, None) => {
                p.at(n.span, format!("{what}: `{kind}` needs `{key}`")).hint(example_for(kind));
                ok = false;
            }
            (false, Some(node)) => {
                p.at(node.span, format!("{what}: `{key}` does not apply to `{kind}`"))
                    .hint(example_for(kind));
                ok = false;
            }
            _ => {}
        }
    }
    if !ok {
        return None;
    }
    let get = |key: &str| params.iter().find(|(k, _)| *k == key).and_then(|(_, n)| *n);
    let positive_duration = |key: &str, p: &mut Problems| -> Option<f64> {
        let node = get(key)?;
        let d = duration(node, &format!("{what}.{key}"), p)?;
        if d <= 0 {
            p.at(node.span, format!("{what}.{key} must be longer than zero"));
            return None;
        }
        Some(d as f64)
    };
    let cv = |p: &mut Problems| -> Option<f64> {
        let node = get("cv")?;
        let cv = positive(node, &format!("{what}.cv"), p)?;
        if cv < crate::dist::MIN_CV {
            p.at(
                node.span,
                format!("{what}.cv = {} is too small (at least {})", N(cv), crate::dist::MIN_CV),
            )
            .hint("for a time that does not vary, write { dist = \"fixed\", value = \"8m\" }");
            return None;
        }
        if cv > crate::dist::MAX_CV {
            p.at(node.span, format!("{what}.cv = {} is implausibly large", N(cv)))
                .hint("the coefficient of variation is standard deviation / mean; call times have about 0.5–1.5");
            return None;
        }
        Some(cv)
    };
    let dist = match kind {
        "exponential" => Dist::Exponential {
            mean: positive_duration("mean", p)?,
        },
        "lognormal" => {
            let (m, c) = (positive_duration("mean", p), cv(p));
            Dist::LogNormal { mean: m?, cv: c? }
        }
        "gamma" => {
            let (m, c) = (positive_duration("mean", p), cv(p));
            Dist::Gamma { mean: m?, cv: c? }
        }
        "weibull" => {
            let (m, c) = (positive_duration("mean", p), cv(p));
            Dist::Weibull { mean: m?, cv: c? }
        }
        "fixed" => {
            let node = get("value")?;
            Dist::Fixed {
                value: duration(node, &format!("{what}.value"), p)? as f64,
            }
        }
        "empirical" => {
            let node = get("values")?;
            let items = list(node, &format!("{what}.values"), p)?;
            if items.is_empty() {
                p.at(node.span, format!("{what}.values is empty"));
                return None;
            }
            // Read every value first, so that every bad one is reported.
            let values: Vec<Option<f64>> = items
                .iter()
                .map(|i| duration(i, &format!("{what}.values"), p).map(|d| d as f64))
                .collect();
            let values: Option<Vec<f64>> = values.into_iter().collect();
            Dist::Empirical { values: values? }
        }
        _ => Dist::Never,
    };
    // Build the sampler now: whatever `check` accepts, `run` can sample.
    if let Err(e) = dist.try_sampler() {
        p.at(n.span, format!("{what}: {e}")).hint(example_for(kind));
        return None;
    }
    Some(dist)
}

fn example_for(kind: &str) -> &'static str {
    match kind {
        "exponential" => "e.g. { dist = \"exponential\", mean = \"10m\" }",
        "lognormal" | "gamma" | "weibull" => "e.g. { dist = \"lognormal\", mean = \"10m\", cv = 0.7 }",
        "fixed" => "e.g. { dist = \"fixed\", value = \"8m\" }",
        "empirical" => "e.g. { dist = \"empirical\", values = [\"4m\", \"7m\", \"12m\"] }",
        _ => "e.g. { dist = \"none\" }",
    }
}

/// `window`: the scenario's start and horizon, when valid (a history file must cover them).
fn read_region(
    n: &Node,
    defaults: &Defaults,
    base: &std::path::Path,
    window: Option<(jiff::civil::Date, Time)>,
    p: &mut Problems,
) -> Option<Region> {
    let mut t = Table::of(n, "a [[region]]", keys::REGION, p)?;
    let name = t.required("name", "\"Kalmar\"", p).and_then(|n| name_text(n, "name", p));
    if let Some(name) = &name {
        t.what = format!("region `{name}`");
    }
    let what = t.what.clone();
    let factor_node = t.get("volume_factor");
    let factor = factor_node.map(|n| non_negative(n, "volume_factor", p)).unwrap_or(Some(1.0));
    let per_week = t.get("calls_per_week");
    let per_day = t.get("calls_per_day");
    let table = t.get("calls_per_hour");
    let calls_file = t.get("calls_file");
    let history_node = t.get("calls_history");
    let history = history_node.and_then(|n| read_history(n, name.as_deref(), &what, base, window, p));
    let calls_sheet = t.get("calls_sheet");
    let sheet = calls_sheet.and_then(|n| text(n, "calls_sheet", p));
    if let (Some(sn), None) = (calls_sheet, calls_file) {
        p.at(sn.span, format!("{what}: calls_sheet without calls_file"))
            .hint("name the workbook with calls_file = \"calls.xlsx\"");
    }
    let grid = calls_file.and_then(|n| {
        let name = text(n, "calls_file", p)?;
        match super::files::read_grid(&base.join(name), sheet) {
            Ok(g) => Some(g),
            Err(e) => {
                p.at(n.span, format!("{what}: calls_file: {e}")).hint(
                    "a grid of calls per interval: a header row Mon…Sun and one row per interval (00:00, 00:30, …), \
                     or transposed; 24, 48 or 96 intervals a day (see the README, \"Interval data from files\")",
                );
                None
            }
        }
    });
    let hourly = t
        .get("hourly_rate")
        .and_then(|n| weights(n, "hourly_rate", 24, p))
        .or(defaults.hourly_rate.clone());
    let weekday = t
        .get("weekday_rate")
        .and_then(|n| weights(n, "weekday_rate", 7, p))
        .or(defaults.weekday_rate.clone());
    let handle = t.get("handle_time").map(|n| dist(n, "handle_time", false, p));
    let handle_changes = t
        .get("handle_time_changes")
        .map(|n| read_handle_changes(n, p))
        .or(defaults.handle_changes.clone())
        .unwrap_or(Some(vec![]));
    let partner_extra_handle = t
        .get("partner_extra_handle")
        .map(|n| duration(n, "partner_extra_handle", p))
        .unwrap_or(Some(defaults.partner_extra_handle.unwrap_or(0)));
    let staffing_factor = t.get("staffing_factor").map(|n| staffing_factor(n, p)).unwrap_or(Some(1.0));
    let patience = t.get("patience").map(|n| dist(n, "patience", true, p));
    let absence = t
        .get("absence")
        .and_then(|n| share(n, "absence", p))
        .or(defaults.absence)
        .unwrap_or(0.0);
    let mut shifts = t.get("shifts").map(|n| read_shifts(n, absence, p));
    let rotation_node = t.get("rotation");
    let rotation = rotation_node.map(|n| read_rotation(n, absence, p));
    let shifts_sheet = t.get("shifts_sheet");
    let shifts_sheet_name = shifts_sheet.and_then(|n| text(n, "shifts_sheet", p));
    match (t.get("shifts_file"), shifts_sheet) {
        (Some(f), _) => {
            if shifts.is_some() {
                p.at(f.span, format!("{what}: give shifts or shifts_file, not both"));
            }
            let from_file = text(f, "shifts_file", p).and_then(|name| {
                match super::files::read_shifts(&base.join(name), shifts_sheet_name, MAX_NURSES_PER_SHIFT) {
                    Ok(rows) => rows
                        .into_iter()
                        .map(|row| match Window::new(row.days, row.from, row.to) {
                            Ok(window) => Some(Shift {
                                window,
                                nurses: row.nurses,
                                absence,
                            }),
                            Err(e) => {
                                p.at(f.span, format!("{what}: shifts_file: {e}"));
                                None
                            }
                        })
                        .collect::<Option<Vec<Shift>>>()
                        .filter(|list| {
                            let nurses: u64 = list.iter().map(|s| s.nurses as u64).sum();
                            let ok = nurses <= MAX_NURSES_PER_REGION;
                            if !ok {
                                p.at(
                                    f.span,
                                    format!("{what}: the shifts of shifts_file add up to {nurses} nurses: at most {MAX_NURSES_PER_REGION} in one region"),
                                );
                            }
                            ok
                        }),
                    Err(e) => {
                        p.at(f.span, format!("{what}: shifts_file: {e}"))
                            .hint("a header row days, from, to, nurses and one shift per row (see the README, \"Interval data from files\")");
                        None
                    }
                }
            });
            shifts = Some(from_file);
        }
        (None, Some(sn)) => {
            p.at(sn.span, format!("{what}: shifts_sheet without shifts_file"));
        }
        (None, None) => {}
    }
    if let (Some(rn), Some(_)) = (rotation_node, &shifts) {
        p.at(rn.span, format!("{what}: give shifts (or shifts_file) or a rotation, not both"))
            .hint("the rotation's weeks hold the regular shifts; dated `schedules` still replace them");
    }
    let schedules = t.get("schedules").map(|n| {
        let items = list(n, "schedules", p).unwrap_or(&[]);
        items
            .iter()
            .map(|s| read_schedule(s, absence, p))
            .collect::<Vec<_>>()
            .into_iter()
            .collect::<Option<Vec<_>>>()
    });
    let redial = t.get("redial").map(|n| read_redial(n, p)).or(defaults.redial.clone());
    let overload = t.get("overload").map(|n| read_overload(n, p)).or(defaults.overload.clone());
    let shrinkage = t
        .get("shrinkage")
        .map(|n| share(n, "shrinkage", p))
        .unwrap_or(Some(defaults.shrinkage.unwrap_or(0.0)));
    let shrinkage_block = t
        .get("shrinkage_block")
        .map(|n| positive_duration(n, "shrinkage_block", p))
        .unwrap_or(Some(defaults.shrinkage_block.unwrap_or(30 * MINUTE)));
    let daily_variation = t
        .get("daily_variation")
        .map(|n| cv_value(n, "daily_variation", p))
        .unwrap_or(Some(defaults.daily_variation.unwrap_or(0.0)));
    let settled = t.get("settled").map_or(Some(true), |n| boolean(n, "settled", p));
    let cost = t
        .get("cost_per_nurse_hour")
        .map(|n| cost_per_nurse_hour(n, p).map(Some))
        .unwrap_or(Some(defaults.cost_per_nurse_hour));
    let patterns = t
        .get("shift_patterns")
        .map(|n| read_shift_patterns(n, p))
        .or(defaults.shift_patterns.clone())
        .unwrap_or(Some(vec![]));
    let span = t.span_start();
    t.finish(p);

    let other_volume = per_week.or(per_day).or(table);
    if let (Some(h), Some(_)) = (history_node, other_volume.or(calls_file)) {
        p.at(
            h.span,
            format!("{what}: give calls_history or another volume (calls_per_week, calls_per_day, calls_per_hour, calls_file), not both"),
        );
    }
    if let (Some(f), Some(_)) = (calls_file, other_volume) {
        p.at(
            f.span,
            format!("{what}: give calls_file or a volume (calls_per_week, calls_per_day, calls_per_hour), not both"),
        );
    }
    let calls_per_hour = match (per_week, per_day, table) {
        _ if history_node.is_some() => history
            .as_ref()
            .zip(window)
            .filter(|_| other_volume.or(calls_file).is_none())
            .map(|(h, (start, _))| h.average_week(start).chunks(h.per_hour()).map(|c| c.iter().sum()).collect()),
        _ if calls_file.is_some() => grid
            .as_ref()
            .filter(|_| other_volume.is_none())
            .map(|g| g.calls.chunks(g.per_hour).map(|c| c.iter().sum()).collect()),
        (None, None, None) => {
            p.at(span, format!("{what} has no call volume"))
                .hint("add calls_per_week, calls_per_day or a 168-value calls_per_hour (0 for a region without calls)");
            None
        }
        (Some(_), Some(d), _) => {
            p.at(d.span, format!("{what}: give calls_per_week or calls_per_day, not both"));
            None
        }
        (Some(v), None, Some(_)) | (None, Some(v), Some(_)) => {
            p.at(
                v.span,
                format!("{what}: give a volume (calls_per_week/calls_per_day) or calls_per_hour, not both"),
            );
            None
        }
        (None, None, Some(tn)) => explicit_week(tn, p),
        (Some(w), None, None) => volume(w, "calls_per_week", 1.0, p).map(|v| weekly_profile(v, hourly.as_deref(), weekday.as_deref())),
        (None, Some(d), None) => volume(d, "calls_per_day", 7.0, p).map(|v| weekly_profile(v, hourly.as_deref(), weekday.as_deref())),
    };
    let handle_time = match handle.or(defaults.handle_time.clone()) {
        Some(d) => d,
        None => {
            p.at(span, format!("{what} has no handle_time"))
                .hint("set handle_time in the region or in [defaults], e.g. { dist = \"lognormal\", mean = \"10m\", cv = 0.7 }");
            None
        }
    };
    let patience = match patience.or(defaults.patience.clone()) {
        Some(d) => d,
        None => {
            p.at(span, format!("{what} has no patience")).hint(
                "set patience in the region or in [defaults], e.g. { dist = \"exponential\", mean = \"20m\" }, or { dist = \"none\" }",
            );
            None
        }
    };
    let calls_per_hour: Vec<f64> = calls_per_hour?.into_iter().map(|c| c * factor.unwrap_or(1.0)).collect();
    let (calls_per_interval, intervals_per_hour) = match (&grid, &history, window) {
        (Some(g), _, _) => (g.calls.iter().map(|c| c * factor.unwrap_or(1.0)).collect(), g.per_hour),
        (None, Some(h), Some((start, _))) => (
            h.average_week(start).iter().map(|c| c * factor.unwrap_or(1.0)).collect(),
            h.per_hour(),
        ),
        _ => (calls_per_hour.clone(), 1),
    };
    let history = history.map(|h| files::History {
        calls: h.calls.iter().map(|c| c * factor.unwrap_or(1.0)).collect(),
        ..h
    });
    let weekly: f64 = calls_per_hour.iter().sum();
    if !(weekly <= MAX_CALLS_PER_WEEK) {
        let at = factor_node.or(per_week).or(per_day).or(table).map_or(span, |n| n.span);
        p.at(
            at,
            format!(
                "{what}: {} calls a week is implausibly large (at most {})",
                N(weekly),
                N(MAX_CALLS_PER_WEEK)
            ),
        )
        .hint("check calls_per_week, calls_per_day, calls_per_hour and volume_factor for a typing mistake");
        return None;
    }
    Some(Region {
        name: name?,
        calls_per_hour,
        calls_per_interval,
        intervals_per_hour,
        handle_time: handle_time?,
        handle_changes: handle_changes?,
        partner_extra_handle: partner_extra_handle?,
        patience: patience?,
        shifts: shifts.unwrap_or(Some(vec![]))?,
        rotation: rotation.map_or(Some(None), |r| r.map(Some))?,
        staffing_factor: staffing_factor?,
        schedules: schedules.unwrap_or(Some(vec![]))?,
        history,
        redial: redial.map_or(Some(None), |r| r.map(Some))?,
        overload: overload.map_or(Some(None), |o| o.map(Some))?,
        shrinkage: shrinkage?,
        shrinkage_block: shrinkage_block?,
        daily_variation: daily_variation?,
        settled: settled?,
        cost_per_nurse_hour: cost?,
        shift_patterns: patterns?,
    })
}

/// A weekly volume (`per_week` converts the written value to calls a week).
fn volume(n: &Node, what: &str, per_week: f64, p: &mut Problems) -> Option<f64> {
    let v = non_negative(n, what, p)? * per_week;
    if v > MAX_CALLS_PER_WEEK {
        p.at(n.span, format!("{what}: {} calls a week is implausibly large", N(v)))
            .hint("is this a typing mistake?");
        return None;
    }
    Some(v)
}

/// A 168-value table of calls per hour, Monday 00–01 first.
fn explicit_week(n: &Node, p: &mut Problems) -> Option<Vec<f64>> {
    let items = list(n, "calls_per_hour", p)?;
    if items.len() != 168 {
        p.at(
            n.span,
            format!("calls_per_hour needs 168 values (Monday 00–01 first), found {}", items.len()),
        );
        return None;
    }
    let values: Vec<Option<f64>> = items.iter().map(|i| non_negative(i, "calls_per_hour", p)).collect();
    let values: Vec<f64> = values.into_iter().collect::<Option<_>>()?;
    if !(values.iter().sum::<f64>() <= MAX_CALLS_PER_WEEK) {
        p.at(
            n.span,
            format!("calls_per_hour adds up to more than {MAX_CALLS_PER_WEEK:e} calls a week"),
        )
        .hint("is this a typing mistake?");
        return None;
    }
    Some(values)
}

/// Expected calls per hour over the week from a weekly volume and optional shapes.
fn weekly_profile(calls_per_week: f64, hourly: Option<&[f64]>, weekday: Option<&[f64]>) -> Vec<f64> {
    let flat_h = [1.0; 24];
    let flat_d = [1.0; 7];
    let (h, d) = (hourly.unwrap_or(&flat_h), weekday.unwrap_or(&flat_d));
    let (d_sum, h_sum) = (d.iter().sum::<f64>(), h.iter().sum::<f64>());
    let total = d_sum * h_sum;
    if (1e-250..1e250).contains(&total) {
        return (0..168).map(|i| calls_per_week * d[i / 24] * h[i % 24] / total).collect();
    }
    // Weights so tiny or huge that their product under- or overflows:
    // normalise each shape on its own.
    (0..168)
        .map(|i| calls_per_week * (d[i / 24] / d_sum) * (h[i % 24] / h_sum))
        .collect()
}

fn read_shifts(n: &Node, absence: f64, p: &mut Problems) -> Option<Vec<Shift>> {
    let items = list(n, "shifts", p)?;
    let shifts: Vec<Option<Shift>> = items.iter().map(|s| read_shift(s, absence, p)).collect();
    let shifts: Vec<Shift> = shifts.into_iter().collect::<Option<_>>()?;
    let nurses: u64 = shifts.iter().map(|s| s.nurses as u64).sum();
    if nurses > MAX_NURSES_PER_REGION {
        p.at(
            n.span,
            format!("these shifts add up to {nurses} nurses: at most {MAX_NURSES_PER_REGION} in one region"),
        )
        .hint("shifts overlap and add up; is a number mistyped?");
        return None;
    }
    Some(shifts)
}

fn read_schedule(n: &Node, absence: f64, p: &mut Problems) -> Option<Schedule> {
    let mut t = Table::of(n, "a dated schedule", keys::SCHEDULE, p)?;
    let from = t.required("from", "\"2024-06-24\"", p).and_then(|n| date(n, "from", p));
    let to = t.required("to", "\"2024-08-11\"", p).and_then(|n| date(n, "to", p));
    let shifts_node = t.get("shifts");
    let shifts = shifts_node.map(|n| read_shifts(n, absence, p));
    let factor_node = t.get("staffing_factor");
    let factor = factor_node.map(|n| staffing_factor(n, p)).unwrap_or(Some(1.0));
    t.finish(p);
    if shifts_node.is_none() && factor_node.is_none() {
        p.at(n.span, "a dated schedule needs shifts or a staffing_factor")
            .hint("add shifts = [ ... ], or staffing_factor = 0.7 for the regular shifts with 30 % fewer nurses");
    }
    let (from, to) = (from?, to?);
    if to < from {
        p.at(n.span, format!("schedule ends ({to}) before it starts ({from})"));
        return None;
    }
    Some(Schedule {
        from,
        to,
        shifts: shifts.map_or(Some(None), |s| s.map(Some))?,
        staffing_factor: factor?,
    })
}

/// A staffing factor: a number in [0, 10] (nurses × factor, rounded per shift).
fn staffing_factor(n: &Node, p: &mut Problems) -> Option<f64> {
    let x = non_negative(n, "staffing_factor", p)?;
    if x > 10.0 {
        p.at(n.span, format!("staffing_factor = {} is implausibly large (at most 10)", N(x)))
            .hint("0.7 is 30 % fewer nurses, 1.2 is 20 % more");
        return None;
    }
    Some(x)
}

/// `rotation = { start = "2021-01-04", weeks = [ { shifts = [...] }, ... ] }`.
fn read_rotation(n: &Node, absence: f64, p: &mut Problems) -> Option<Rotation> {
    let mut t = Table::of(n, "rotation", keys::ROTATION, p)?;
    let start_node = t.required("start", "\"2021-01-04\"", p);
    let start = start_node.and_then(|n| date(n, "rotation.start", p));
    let weeks_node = t.required("weeks", "[ { shifts = [ ... ] }, { shifts = [ ... ] } ]", p);
    t.finish(p);
    if let (Some(d), Some(sn)) = (start, start_node) {
        if d.weekday() != jiff::civil::Weekday::Monday {
            p.at(
                sn.span,
                format!(
                    "rotation.start {d} is a {:?}: the weeks of a rotation start on a Monday",
                    d.weekday()
                ),
            )
            .hint("give the Monday on which week 1 begins");
        }
    }
    let items = list(weeks_node?, "rotation.weeks", p)?;
    if items.is_empty() {
        p.at(weeks_node?.span, "rotation.weeks is empty")
            .hint("one entry { shifts = [ ... ] } per week of the cycle, week 1 first");
        return None;
    }
    let weeks: Vec<Option<Vec<Shift>>> = items
        .iter()
        .map(|w| {
            let mut wt = Table::of(w, "a week of the rotation", keys::ROTATION_WEEK, p)?;
            let shifts = wt.required("shifts", "[ ... ]", p).and_then(|s| read_shifts(s, absence, p));
            wt.finish(p);
            shifts
        })
        .collect();
    Some(Rotation {
        start: start?,
        weeks: weeks.into_iter().collect::<Option<Vec<_>>>()?,
    })
}

/// `handle_time_changes = [ { from = DATE, handle_time = {…} }, … ]`, in date order.
fn read_handle_changes(n: &Node, p: &mut Problems) -> Option<Vec<HandleChange>> {
    let items = list(n, "handle_time_changes", p)?;
    let changes: Vec<Option<(HandleChange, Span)>> = items
        .iter()
        .map(|c| {
            let mut t = Table::of(c, "a handle time change", keys::HANDLE_CHANGE, p)?;
            let from_node = t.required("from", "\"2022-01-01\"", p);
            let from = from_node.and_then(|n| date(n, "from", p));
            let handle = t
                .required("handle_time", "{ dist = \"lognormal\", mean = \"12m\", cv = 0.7 }", p)
                .and_then(|n| dist(n, "handle_time", false, p));
            t.finish(p);
            Some((
                HandleChange {
                    from: from?,
                    handle_time: handle?,
                },
                from_node?.span,
            ))
        })
        .collect();
    let changes: Vec<(HandleChange, Span)> = changes.into_iter().collect::<Option<_>>()?;
    for w in changes.windows(2) {
        if w[1].0.from <= w[0].0.from {
            p.at(
                w[1].1,
                format!(
                    "handle time changes must be in date order: {} is not after {}",
                    w[1].0.from, w[0].0.from
                ),
            )
            .hint("list the changes from the earliest date to the latest, one per date");
            return None;
        }
    }
    Some(changes.into_iter().map(|c| c.0).collect())
}

/// `calls_history = "history.csv"`: the region's dated calls per interval.
fn read_history(
    n: &Node,
    region: Option<&str>,
    what: &str,
    base: &std::path::Path,
    window: Option<(jiff::civil::Date, Time)>,
    p: &mut Problems,
) -> Option<files::History> {
    let file = text(n, "calls_history", p)?;
    let (start, horizon) = window?;
    match files::read_history(&base.join(file), region?, start, horizon) {
        Ok(h) => Some(h),
        Err(e) => {
            p.at(n.span, format!("{what}: calls_history: {e}")).hint(
                "a header `datetime,calls` (or `date,hour,calls`, or a column per region) and one row per hour, half or quarter hour \
                 from the scenario's start to its horizon (see the README, \"History as input\")",
            );
            None
        }
    }
}

fn read_shift(n: &Node, absence_default: f64, p: &mut Problems) -> Option<Shift> {
    let mut t = Table::of(n, "a shift", keys::SHIFT, p)?;
    let days = match t.get("days") {
        Some(d) => text(d, "days", p).and_then(|s| DaySet::parse(s).map_err(|e| p.at(d.span, e).hint("e.g. days = \"Mon-Fri\"")).ok()),
        None => Some(DaySet::ALL),
    };
    let from = t.required("from", "\"07:00\"", p).and_then(|n| clock(n, "from", p));
    let to = t.required("to", "\"16:00\"", p).and_then(|n| clock(n, "to", p));
    let nurses = t
        .required("nurses", "5", p)
        .and_then(|n| whole(n, "nurses", MAX_NURSES_PER_SHIFT, p));
    let absence = t.get("absence").map(|n| share(n, "absence", p)).unwrap_or(Some(absence_default));
    t.finish(p);
    let window = match Window::new(days?, from?, to?) {
        Ok(w) => w,
        Err(e) => {
            p.at(n.span, format!("shift: {e}"));
            return None;
        }
    };
    Some(Shift {
        window,
        nurses: nurses? as u32,
        absence: absence?,
    })
}

fn clock(n: &Node, what: &str, p: &mut Problems) -> Option<Time> {
    let t = text(n, what, p)?;
    parse_clock(t).map_err(|e| p.at(n.span, e)).ok()
}

fn read_agreement(n: &Node, regions: &[&str], p: &mut Problems) -> Option<Agreement> {
    let mut t = Table::of(n, "an [[agreement]]", keys::AGREEMENT, p)?;
    let name = t.required("name", "\"national\"", p).and_then(|n| name_text(n, "name", p));
    if let Some(name) = &name {
        t.what = format!("agreement `{name}`");
    }
    let what = t.what.clone();
    let members = t.required("members", "[\"Kalmar\", \"Halland\"]", p).and_then(|m| {
        let idx = region_list(m, regions, &what, p);
        if list(m, "members", &mut Problems::default()).is_some_and(|items| items.len() < 2) {
            p.at(m.span, format!("{what} needs at least two members"));
            return None;
        }
        idx
    });
    let hours = match t.get("hours") {
        None => Some(Hours::Always),
        Some(h) => read_hours(h, p),
    };
    let overflow_after = t.required("overflow_after", "\"4m\"", p).and_then(|n| {
        if n.as_text() == Some("never") {
            return Some(None);
        }
        duration(n, "overflow_after", p).map(Some)
    });
    let nurse_order = match t.get("nurse_order") {
        None => Some(NurseOrder::OwnFirst),
        Some(o) => match text(o, "nurse_order", p) {
            Some("own-first") => Some(NurseOrder::OwnFirst),
            Some("oldest-first") => Some(NurseOrder::OldestFirst),
            Some(other) => {
                p.at(o.span, format!("unknown nurse_order `{other}`"))
                    .hint("use \"own-first\" (default) or \"oldest-first\"");
                None
            }
            None => None,
        },
    };
    let from = t.get("from").map(|n| date(n, "from", p).ok_or(()));
    let to = t.get("to").map(|n| date(n, "to", p).ok_or(()));
    let crisis = t.get("crisis").map(|n| read_crisis(n, &what, p).ok_or(()));
    let settled = t.get("settled").map_or(Some(true), |n| boolean(n, "settled", p));
    t.finish(p);
    let (from, to) = (from.transpose().ok()?, to.transpose().ok()?);
    if let (Some(from), Some(to)) = (from, to) {
        if to < from {
            p.at(n.span, format!("{what} ends ({to}) before it starts ({from})"))
                .hint("`from` is the first day and `to` the last day in force, both inclusive");
            return None;
        }
    }
    Some(Agreement {
        name: name?,
        members: members?,
        hours: hours?,
        overflow_after: overflow_after?,
        nurse_order: nurse_order?,
        from,
        to,
        crisis: crisis.transpose().ok()?,
        settled: settled?,
    })
}

/// `crisis = { waiting_at_least = 20, release_below = 5 }` and/or
/// `{ longest_wait_over = "15m", release_below_wait = "5m" }`: a release level
/// defaults to its trigger (no hysteresis) and may not exceed it.
fn read_crisis(n: &Node, agreement: &str, p: &mut Problems) -> Option<Crisis> {
    let mut t = Table::of(n, &format!("the crisis of {agreement}"), keys::CRISIS, p)?;
    let count = |key: &'static str, t: &mut Table, p: &mut Problems| {
        t.get(key)
            .map(|n| {
                whole(n, key, crate::engine::MAX_WAITING as u64, p)
                    .map(|x| (x as u32, n.span))
                    .ok_or(())
            })
            .transpose()
    };
    let wait = |key: &'static str, t: &mut Table, p: &mut Problems| {
        t.get(key).map(|n| duration(n, key, p).map(|x| (x, n.span)).ok_or(())).transpose()
    };
    let waiting_at_least = count("waiting_at_least", &mut t, p);
    let release_below = count("release_below", &mut t, p);
    let longest_wait_over = wait("longest_wait_over", &mut t, p);
    let release_below_wait = wait("release_below_wait", &mut t, p);
    t.finish(p);
    let (waiting_at_least, release_below) = (waiting_at_least.ok()?, release_below.ok()?);
    let (longest_wait_over, release_below_wait) = (longest_wait_over.ok()?, release_below_wait.ok()?);
    if waiting_at_least.is_none() && longest_wait_over.is_none() {
        p.at(n.span, format!("the crisis of {agreement} has no trigger"))
            .hint("give `waiting_at_least = 20` (calls waiting) and/or `longest_wait_over = \"15m\"`");
        return None;
    }
    let mut ok = true;
    ok &= release_level(waiting_at_least.map(|x| x.0), release_below, "release_below", "waiting_at_least", p);
    ok &= release_level(
        longest_wait_over.map(|x| x.0),
        release_below_wait,
        "release_below_wait",
        "longest_wait_over",
        p,
    );
    ok.then(|| Crisis {
        waiting_at_least: waiting_at_least.map(|x| x.0),
        release_below: release_below.or(waiting_at_least).map_or(0, |x| x.0),
        longest_wait_over: longest_wait_over.map(|x| x.0),
        release_below_wait: release_below_wait.or(longest_wait_over).map_or(0, |x| x.0),
    })
}

/// A release level needs its trigger and must not exceed it (else the
/// agreement would switch off while still in crisis).
fn release_level<T: PartialOrd + std::fmt::Display + Copy>(
    trigger: Option<T>,
    release: Option<(T, Span)>,
    release_key: &str,
    trigger_key: &str,
    p: &mut Problems,
) -> bool {
    match (trigger, release) {
        (None, Some((_, span))) => {
            p.at(span, format!("{release_key} is given without {trigger_key}"))
                .hint(format!("add {trigger_key}, the level at which the crisis starts"));
            false
        }
        (Some(on), Some((off, span))) if off > on => {
            p.at(span, format!("{release_key} must not exceed {trigger_key}"))
                .hint("the crisis ends below a lower level than it starts at (hysteresis)");
            false
        }
        _ => true,
    }
}

fn boolean(n: &Node, what: &str, p: &mut Problems) -> Option<bool> {
    match n.value {
        Value::Bool(b) => Some(b),
        _ => {
            p.at(n.span, format!("{what} must be true or false, found {}", n.value.kind()))
                .hint(format!("write `{what} = false` (no quotes)"));
            None
        }
    }
}

fn read_hours(n: &Node, p: &mut Problems) -> Option<Hours> {
    let window = |item: &Node, p: &mut Problems| -> Option<Window> {
        let t = text(item, "hours", p)?;
        Window::parse(t)
            .map_err(|e| {
                p.at(item.span, e)
                    .hint("write windows as \"Mon-Fri 07:00-16:00\" or \"all 22:00-07:00\"")
            })
            .ok()
    };
    match &n.value {
        Value::Str(s) if s == "always" => Some(Hours::Always),
        Value::Array(items) if !items.is_empty() => {
            let ws: Vec<Option<Window>> = items.iter().map(|i| window(i, p)).collect();
            ws.into_iter().collect::<Option<Vec<_>>>().map(Hours::Windows)
        }
        Value::Array(_) => {
            p.at(n.span, "hours is an empty list").hint("use \"always\" or a list of windows");
            None
        }
        _ => window(n, p).map(|w| Hours::Windows(vec![w])),
    }
}

fn read_target(n: &Node, regions: &[&str], p: &mut Problems) -> Option<Target> {
    let mut t = Table::of(n, "a [[target]]", keys::TARGET, p)?;
    let metric_node = t.required("metric", "\"answered_within\"", p);
    let within_node = t.get("within");
    let at_least = t.get("at_least");
    let at_most = t.get("at_most");
    let region_node = t.get("region");
    let per_node = t.get("per");
    let met_in_node = t.get("met_in");
    let of_node = t.get("of");
    t.finish(p);
    let met_in = match met_in_node {
        None => Some(None),
        Some(q) => number(q, "met_in", p).and_then(|x| {
            if x > 0.0 && x <= 1.0 {
                Some(Some(x))
            } else {
                p.at(q.span, format!("met_in must be above 0 and at most 1, found {}", N(x)))
                    .hint("the share of periods in which the target must be met: 0.9 for 90 % of months");
                None
            }
        }),
    };
    let metric = metric_node.and_then(|m| match text(m, "metric", p)? {
        "answered_share" => Some(TargetMetric::AnsweredShare),
        "answered_within" => Some(TargetMetric::AnsweredWithin),
        "mean_wait" => Some(TargetMetric::MeanWait),
        "abandoned_share" => Some(TargetMetric::AbandonedShare),
        "wait_p50" => Some(TargetMetric::WaitPercentile(50)),
        "wait_p75" => Some(TargetMetric::WaitPercentile(75)),
        "wait_p90" => Some(TargetMetric::WaitPercentile(90)),
        "wait_p95" => Some(TargetMetric::WaitPercentile(95)),
        other => {
            p.at(m.span, format!("unknown target metric `{other}`"))
                .hint("use answered_share, answered_within, mean_wait, abandoned_share or wait_p50, wait_p75, wait_p90, wait_p95");
            None
        }
    })?;
    // `of` picks the denominator of a service level: offered (default) or answered calls.
    let metric = match (metric, of_node.map(|n| (text(n, "of", p), n.span))) {
        (_, None) | (_, Some((None, _))) => metric,
        (TargetMetric::AnsweredWithin, Some((Some("offered"), _))) => metric,
        (TargetMetric::AnsweredWithin, Some((Some("answered"), _))) => TargetMetric::AnsweredWithinOfAnswered,
        (TargetMetric::AnsweredWithin, Some((Some(other), span))) => {
            p.at(span, format!("unknown denominator `{other}`"))
                .hint("use of = \"offered\" (default) or of = \"answered\"");
            metric
        }
        (_, Some((Some(_), span))) => {
            p.at(span, "`of` only applies to metric = \"answered_within\"");
            metric
        }
    };
    // Some(None): no threshold (other metrics); None: a problem was reported.
    let within = match (metric, within_node) {
        (TargetMetric::AnsweredWithin | TargetMetric::AnsweredWithinOfAnswered, Some(w)) => {
            duration(w, "within", p).map(|d| Some((d, w.as_text().unwrap_or_default().trim().to_string())))
        }
        (TargetMetric::AnsweredWithin | TargetMetric::AnsweredWithinOfAnswered, None) => {
            p.at(metric_node?.span, "answered_within needs `within`")
                .hint("add within = \"5m\"");
            None
        }
        (_, Some(w)) => {
            p.at(w.span, "`within` only applies to metric = \"answered_within\"");
            None
        }
        (_, None) => Some(None),
    };
    let bound_value = |node: &Node, p: &mut Problems| -> Option<f64> {
        if matches!(metric, TargetMetric::MeanWait | TargetMetric::WaitPercentile(_)) {
            if matches!(metric, TargetMetric::WaitPercentile(_)) && node.as_f64().is_some() {
                p.at(node.span, "a waiting-time target is bounded by a duration")
                    .hint("write e.g. at_most = \"13m\"");
                return None;
            }
            return duration(node, "the waiting-time bound", p).map(|d| d as f64 / MINUTE as f64);
        }
        let x = number(node, "the target share", p)?;
        if !(0.0..=1.0).contains(&x) {
            p.at(node.span, format!("a share must be between 0 and 1, found {}", N(x)))
                .hint("write 75 % as 0.75");
            return None;
        }
        Some(x)
    };
    let bound = match (at_least, at_most) {
        // A floor on waiting is never a service target, and `staff` would add
        // nurses to meet it in vain: say so instead of accepting it.
        (Some(l), None) if matches!(metric, TargetMetric::MeanWait | TargetMetric::WaitPercentile(_)) => {
            p.at(l.span, "a waiting-time target bounds the wait from above")
                .hint("write at_most, e.g. at_most = \"13m\"");
            None
        }
        (Some(l), None) => bound_value(l, p).map(Bound::AtLeast),
        (None, Some(m)) => bound_value(m, p).map(Bound::AtMost),
        (Some(_), Some(m)) => {
            p.at(m.span, "give either at_least or at_most, not both");
            None
        }
        (None, None) => {
            p.at(n.span, "a target needs at_least or at_most").hint("e.g. at_least = 0.75");
            None
        }
    };
    let region = match region_node {
        None => Some(None),
        Some(r) => {
            let name = name_text(r, "region", p)?;
            let name = name.as_str();
            match regions.iter().position(|x| *x == name) {
                Some(i) => Some(Some(i)),
                None => {
                    let pr = p.at(r.span, format!("unknown region `{name}` in target"));
                    if let Some(s) = did_you_mean(name, regions.iter().copied()) {
                        pr.hint(format!("did you mean `{s}`?"));
                    }
                    None
                }
            }
        }
    };
    let per = match per_node.map(|n| (text(n, "per", p), n.span)) {
        None => Some(Period::Horizon),
        Some((Some("horizon"), _)) => Some(Period::Horizon),
        Some((Some("month"), _)) => Some(Period::Month),
        Some((Some("week"), _)) => Some(Period::Week),
        Some((Some("day"), _)) => Some(Period::Day),
        Some((Some(other), span)) => {
            p.at(span, format!("unknown period `{other}`"))
                .hint("use \"horizon\", \"month\", \"week\" or \"day\"");
            None
        }
        Some((None, _)) => None,
    };
    let within = within?;
    Some(Target {
        metric,
        within: within.as_ref().map(|w| w.0),
        within_text: within.map(|w| w.1),
        bound: bound?,
        region: region?,
        per: per?,
        met_in: met_in?,
    })
}

/// A name as the scenario uses it: Unicode NFC, so that names typed
/// differently ("Örebro" composed or decomposed) are the same name.
pub(crate) fn clean_name(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Characters refused in names: control characters (terminal escapes among
/// them) and invisible or text-direction characters that make two names look
/// alike or reorder what a terminal shows.
fn bad_name_char(c: char) -> bool {
    c.is_control()
        // (U+200D, the zero-width joiner, is allowed: emoji sequences need it.)
        || matches!(c, '\u{200B}' | '\u{200C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// A name (region, agreement, member, target region, the scenario): text in
/// NFC, not empty, without control or invisible characters, not too long.
fn name_text(n: &Node, what: &str, p: &mut Problems) -> Option<String> {
    let raw = text(n, what, p)?;
    let name = clean_name(raw);
    if name.trim().is_empty() {
        p.at(n.span, format!("{what} is empty")).hint("give a name, e.g. \"Kalmar\"");
        return None;
    }
    if let Some(c) = name.chars().find(|&c| bad_name_char(c)) {
        p.at(
            n.span,
            format!("{what} contains the control or invisible character U+{:04X}", c as u32),
        )
        .hint("names are printed in tables and terminals: use letters, digits, spaces and punctuation only");
        return None;
    }
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        p.at(n.span, format!("{what} is {chars} characters long: at most {MAX_NAME_CHARS}"))
            .hint("use a shorter name");
        return None;
    }
    Some(name)
}

/// The first names of a long list, for hints.
fn short_list(names: &[&str]) -> String {
    const SHOWN: usize = 12;
    let mut out = names.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
    if names.len() > SHOWN {
        out += &format!(", … ({} in all)", names.len());
    }
    out
}

/// The calendar must hold the simulated period with a margin (redials after
/// the horizon, the calendar month around its end): dates are handled up to
/// 9999-12-31.
fn check_calendar_room(start: jiff::civil::Date, horizon: Time, span: Span, p: &mut Problems) {
    let days = horizon.div_euclid(DAY) + 1 + 62;
    let last = jiff::Span::new().try_days(days).ok().and_then(|d| start.checked_add(d).ok());
    if last.is_none() {
        p.at(
            span,
            format!(
                "a horizon of {} from {start} ends too close to 9999-12-31, the last date nursequeue handles",
                crate::calendar::format_duration(horizon)
            ),
        )
        .hint("start earlier or use a shorter horizon: the simulated period and two months after it must end by 9999-12-31");
    }
}

/// A number as users read it: plain, or in scientific notation when very small or large.
struct N(f64);

impl std::fmt::Display for N {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let x = self.0;
        if x != 0.0 && x.is_finite() && !(1e-4..1e15).contains(&x.abs()) {
            let short = format!("{x:e}");
            if short.len() <= 10 {
                f.write_str(&short)
            } else {
                write!(f, "{x:.3e}")
            }
        } else {
            write!(f, "{x}")
        }
    }
}
