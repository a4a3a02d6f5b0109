//! The one list of scenario keys: for each table, the keys it may hold, their
//! kind and a one-line description. The reader takes the allowed keys of
//! every table from here (anything else is an unknown key, with a "did you
//! mean"), and [`json_schema`] turns the same list into the JSON Schema that
//! editors use (`scenario.schema.json`, `nursequeue schema`).

use serde_json::{json, Map, Value};

/// One key of a table.
pub struct KeyDef {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

/// What a key holds.
pub enum Kind {
    Text,
    /// A name (region, agreement): non-empty, no control characters.
    Name,
    /// `"90s"`, `"4m"`, `"1h30m"`, `"2d"`, `"4w"`.
    Duration,
    /// A duration or `"never"`.
    DurationOrNever,
    /// `"YYYY-MM-DD"` (quoted or a TOML date).
    Date,
    /// `"HH:MM"`.
    Clock,
    /// `Mon`…`Sun`, ranges, lists, `all`.
    Days,
    /// A number in `[min, max]` (`max` `None`: no upper bound).
    Number {
        min: f64,
        max: Option<f64>,
    },
    /// A whole number in `[min, max]`.
    Integer {
        min: u64,
        max: u64,
    },
    /// Exactly `len` non-negative numbers.
    Weights(usize),
    /// One of these texts.
    OneOf(&'static [&'static str]),
    /// A list of texts (region names, `--vary` entries).
    TextList,
    /// A list of dates.
    DateList,
    /// A list of durations.
    DurationList,
    /// `"always"`, one window or a list of windows.
    Hours,
    /// A share (number) or, for `mean_wait`, a duration.
    Bound,
    /// A table with these keys.
    Table(&'static [KeyDef]),
    /// A list of tables (`[[region]]`, `shifts = [ {…}, … ]`).
    Tables(&'static [KeyDef]),
    /// `true` or `false`.
    Bool,
}

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> KeyDef {
    KeyDef {
        name,
        kind,
        required: false,
        doc,
    }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> KeyDef {
    KeyDef {
        name,
        kind,
        required: true,
        doc,
    }
}

const SHARE: Kind = Kind::Number { min: 0.0, max: Some(1.0) };
const CV: Kind = Kind::Number { min: 0.0, max: Some(5.0) };

pub const DIST: &[KeyDef] = &[
    required(
        "dist",
        Kind::OneOf(&["exponential", "lognormal", "gamma", "weibull", "fixed", "empirical", "none"]),
        "the distribution (`none`: patience only, the caller never hangs up)",
    ),
    key("mean", Kind::Duration, "mean (exponential, lognormal, gamma, weibull)"),
    key(
        "cv",
        Kind::Number {
            min: crate::dist::MIN_CV,
            max: Some(crate::dist::MAX_CV),
        },
        "coefficient of variation = standard deviation / mean (lognormal, gamma, weibull)",
    ),
    key("value", Kind::Duration, "the constant (fixed)"),
    key("values", Kind::DurationList, "values resampled uniformly (empirical)"),
];

pub const REDIAL: &[KeyDef] = &[
    required("probability", SHARE, "chance that a caller who hung up or was blocked calls again"),
    required("delay", Kind::Table(DIST), "time until the caller calls again"),
    key(
        "max_attempts",
        Kind::Integer { min: 1, max: 100 },
        "attempts per caller at most, the first included (default 3)",
    ),
];

pub const OVERLOAD: &[KeyDef] = &[
    key(
        "max_queue",
        Kind::Integer { min: 0, max: 10_000_000 },
        "block arriving calls when this many wait",
    ),
    key(
        "max_wait",
        Kind::Duration,
        "block arriving calls when the estimated wait exceeds this",
    ),
];

pub const SHIFT: &[KeyDef] = &[
    key(
        "days",
        Kind::Days,
        "weekdays: Mon…Sun, ranges (Mon-Fri), lists (Mon,Wed) or all (default)",
    ),
    required("from", Kind::Clock, "start, HH:MM"),
    required("to", Kind::Clock, "end, HH:MM (not after `from`: crosses midnight)"),
    required("nurses", Kind::Integer { min: 0, max: 100_000 }, "nurses on this shift"),
    key("absence", SHARE, "chance that a scheduled nurse does not come"),
];

/// An allowed new shift for `staff` (a shift without nurses).
pub const SHIFT_PATTERN: &[KeyDef] = &[
    key(
        "days",
        Kind::Days,
        "weekdays: Mon…Sun, ranges (Mon-Fri), lists (Mon,Wed) or all (default)",
    ),
    required("from", Kind::Clock, "start, HH:MM"),
    required("to", Kind::Clock, "end, HH:MM (not after `from`: crosses midnight)"),
];

/// Money per nurse hour: at most SEK 100,000 (a post costs about SEK 1.3 M a year, some SEK 800 an hour).
const COST_PER_NURSE_HOUR: Kind = Kind::Number {
    min: 0.0,
    max: Some(100_000.0),
};

pub const SCHEDULE: &[KeyDef] = &[
    required("from", Kind::Date, "first day (inclusive)"),
    required("to", Kind::Date, "last day (inclusive)"),
    key(
        "shifts",
        Kind::Tables(SHIFT),
        "shifts replacing the regular ones between the dates (default: the regular ones, with staffing_factor)",
    ),
    key(
        "staffing_factor",
        Kind::Number { min: 0.0, max: Some(10.0) },
        "multiplies the nurses of each shift between the dates (0.7: 30 % fewer), rounded per shift to the nearest nurse",
    ),
];

pub const ROTATION_WEEK: &[KeyDef] = &[required("shifts", Kind::Tables(SHIFT), "the shifts of this week of the cycle")];

pub const ROTATION: &[KeyDef] = &[
    required(
        "start",
        Kind::Date,
        "a Monday on which week 1 of the cycle begins (the cycle repeats before and after it)",
    ),
    required(
        "weeks",
        Kind::Tables(ROTATION_WEEK),
        "the weeks of the cycle, week 1 first (a 6-week rotation: 6 entries)",
    ),
];

pub const HANDLE_CHANGE: &[KeyDef] = &[
    required(
        "from",
        Kind::Date,
        "calls arriving on this day and after (until the next change) take this handle time",
    ),
    required("handle_time", Kind::Table(DIST), "talk and after-call work from that day"),
];

pub const DEFAULTS: &[KeyDef] = &[
    key("handle_time", Kind::Table(DIST), "talk and after-call work"),
    key(
        "handle_time_changes",
        Kind::Tables(HANDLE_CHANGE),
        "dated changes of handle time: { from = DATE, handle_time = {…} }",
    ),
    key(
        "partner_extra_handle",
        Kind::Duration,
        "extra handle time when a nurse of another region answers the call (default 0)",
    ),
    key("patience", Kind::Table(DIST), "how long a caller waits before hanging up"),
    key("hourly_rate", Kind::Weights(24), "24 relative weights of the day, 00–01 first"),
    key("weekday_rate", Kind::Weights(7), "7 relative weights of the week, Monday first"),
    key("redial", Kind::Table(REDIAL), "callers who hung up or were blocked call again"),
    key(
        "overload",
        Kind::Table(OVERLOAD),
        "\"call later\" when the queue or the wait is too long",
    ),
    key("shrinkage", SHARE, "share of logged-on time off the phones"),
    key(
        "shrinkage_block",
        Kind::Duration,
        "mean length of one off-phone period (default 30m)",
    ),
    key("absence", SHARE, "chance that a scheduled nurse does not come"),
    key(
        "daily_variation",
        CV,
        "coefficient of variation of a random day-to-day volume factor",
    ),
    key(
        "cost_per_nurse_hour",
        COST_PER_NURSE_HOUR,
        "money (SEK) per scheduled nurse hour, for staffing costs (`staff`, `run`)",
    ),
    key(
        "shift_patterns",
        Kind::Tables(SHIFT_PATTERN),
        "shifts `staff` may add to every region it adjusts ({ days, from, to })",
    ),
];

pub const REGION: &[KeyDef] = &[
    required("name", Kind::Name, "the region's name (unique)"),
    key("volume_factor", Kind::Number { min: 0.0, max: None }, "multiplies the call volume"),
    key("calls_per_week", Kind::Number { min: 0.0, max: Some(1e9) }, "calls a week"),
    key("calls_per_day", Kind::Number { min: 0.0, max: None }, "calls a day"),
    key(
        "calls_per_hour",
        Kind::Weights(168),
        "168 expected calls per hour of the week, Monday 00–01 first",
    ),
    key(
        "calls_file",
        Kind::Text,
        "an .xlsx or CSV grid of expected calls per interval (7 days × 24, 48 or 96 intervals), beside the scenario",
    ),
    key("calls_sheet", Kind::Text, "the sheet of calls_file to read (default: the first)"),
    key(
        "calls_history",
        Kind::Text,
        "a CSV of calls per hour, half or quarter hour over the whole simulated window (datetime,calls or date,hour,calls; a column per region), beside the scenario",
    ),
    key("hourly_rate", Kind::Weights(24), "24 relative weights of the day, 00–01 first"),
    key("weekday_rate", Kind::Weights(7), "7 relative weights of the week, Monday first"),
    key("handle_time", Kind::Table(DIST), "talk and after-call work"),
    key(
        "handle_time_changes",
        Kind::Tables(HANDLE_CHANGE),
        "dated changes of handle time: { from = DATE, handle_time = {…} }",
    ),
    key(
        "partner_extra_handle",
        Kind::Duration,
        "extra handle time when a nurse of another region answers this region's call (default 0)",
    ),
    key("patience", Kind::Table(DIST), "how long a caller waits before hanging up"),
    key("absence", SHARE, "chance that a scheduled nurse does not come"),
    key("shifts", Kind::Tables(SHIFT), "shifts; they overlap and add up"),
    key("rotation", Kind::Table(ROTATION), "a rotation of N weeks in place of shifts"),
    key(
        "staffing_factor",
        Kind::Number { min: 0.0, max: Some(10.0) },
        "multiplies the nurses of every shift (regular, rotation, schedules), rounded per shift to the nearest nurse",
    ),
    key(
        "shifts_file",
        Kind::Text,
        "an .xlsx or CSV table of shifts (columns days, from, to, nurses), beside the scenario",
    ),
    key("shifts_sheet", Kind::Text, "the sheet of shifts_file to read (default: the first)"),
    key(
        "schedules",
        Kind::Tables(SCHEDULE),
        "dated staffing that replaces `shifts` between two dates",
    ),
    key("redial", Kind::Table(REDIAL), "callers who hung up or were blocked call again"),
    key(
        "overload",
        Kind::Table(OVERLOAD),
        "\"call later\" when the queue or the wait is too long",
    ),
    key("shrinkage", SHARE, "share of logged-on time off the phones"),
    key(
        "shrinkage_block",
        Kind::Duration,
        "mean length of one off-phone period (default 30m)",
    ),
    key(
        "daily_variation",
        CV,
        "coefficient of variation of a random day-to-day volume factor",
    ),
    key(
        "settled",
        Kind::Bool,
        "whether this region's calls answered by others count in the settlement (default true; false: e.g. the national queue)",
    ),
    key(
        "cost_per_nurse_hour",
        COST_PER_NURSE_HOUR,
        "money (SEK) per scheduled nurse hour (default: [defaults])",
    ),
    key(
        "shift_patterns",
        Kind::Tables(SHIFT_PATTERN),
        "shifts `staff` may add to this region ({ days, from, to }; replaces [defaults])",
    ),
];

pub const AGREEMENT: &[KeyDef] = &[
    required("name", Kind::Name, "the agreement's name (unique)"),
    required("members", Kind::TextList, "member regions (at least two)"),
    key(
        "hours",
        Kind::Hours,
        "\"always\" (default), a window \"Mon-Fri 07:00-16:00\" or a list of windows",
    ),
    required(
        "overflow_after",
        Kind::DurationOrNever,
        "wait after which members' nurses may also answer (\"0m\": pooled)",
    ),
    key(
        "nurse_order",
        Kind::OneOf(&["own-first", "oldest-first"]),
        "which eligible call a free nurse takes",
    ),
    key(
        "from",
        Kind::Date,
        "first day the agreement is in force (inclusive; default: always)",
    ),
    key("to", Kind::Date, "last day the agreement is in force (inclusive; default: always)"),
    key(
        "crisis",
        Kind::Table(CRISIS),
        "crisis routing: active only while a member's queue is long (with hysteresis)",
    ),
    key(
        "settled",
        Kind::Bool,
        "whether calls answered between its members count in the settlement (default true)",
    ),
];

pub const CRISIS: &[KeyDef] = &[
    key(
        "waiting_at_least",
        Kind::Integer { min: 0, max: 250_000 },
        "on when a member region has at least this many calls waiting",
    ),
    key(
        "release_below",
        Kind::Integer { min: 0, max: 250_000 },
        "off again when every member has fewer calls waiting than this (default: waiting_at_least)",
    ),
    key(
        "longest_wait_over",
        Kind::Duration,
        "on when a member region's longest-waiting call has waited this long",
    ),
    key(
        "release_below_wait",
        Kind::Duration,
        "off again when every member's longest wait is shorter than this (default: longest_wait_over)",
    ),
];

pub const TARGET: &[KeyDef] = &[
    required(
        "metric",
        Kind::OneOf(&[
            "answered_share",
            "answered_within",
            "mean_wait",
            "abandoned_share",
            "wait_p50",
            "wait_p75",
            "wait_p90",
            "wait_p95",
        ]),
        "what is judged",
    ),
    key("within", Kind::Duration, "threshold of answered_within"),
    key(
        "of",
        Kind::OneOf(&["offered", "answered"]),
        "denominator of answered_within: offered calls (default) or answered calls",
    ),
    key(
        "at_least",
        Kind::Bound,
        "lower bound: a share, or a duration for mean_wait and wait_pNN",
    ),
    key(
        "at_most",
        Kind::Bound,
        "upper bound: a share, or a duration for mean_wait and wait_pNN",
    ),
    key("region", Kind::Name, "judge one region (default: all)"),
    key(
        "met_in",
        Kind::Number { min: 0.0, max: Some(1.0) },
        "share of periods in which the target must be met (0.9: in 90 % of months); default: judged on its estimate",
    ),
    key(
        "per",
        Kind::OneOf(&["horizon", "month", "week", "day"]),
        "how often the target is judged",
    ),
];

pub const SURGE: &[KeyDef] = &[
    required("from", Kind::Date, "first day (inclusive)"),
    required("to", Kind::Date, "last day (inclusive)"),
    required(
        "factor",
        Kind::Number {
            min: 0.0,
            max: Some(100.0),
        },
        "multiplies the volume between the dates",
    ),
    key("regions", Kind::TextList, "regions affected (default: all)"),
];

pub const SETTLEMENT: &[KeyDef] = &[required(
    "price_per_call",
    Kind::Number { min: 0.0, max: Some(1e9) },
    "money per call answered for another region",
)];

pub const SWEEP: &[KeyDef] = &[required(
    "vary",
    Kind::TextList,
    "grid definitions KEY=V1,V2,… used when `sweep` gets no --vary",
)];

pub const SCENARIO: &[KeyDef] = &[
    key("name", Kind::Name, "the scenario's name (default: the file name)"),
    required("start", Kind::Date, "the first simulated day, YYYY-MM-DD"),
    required("horizon", Kind::Duration, "simulated length, e.g. \"4w\""),
    key("warmup", Kind::Duration, "statistics start after it (default 0)"),
    key(
        "replications",
        Kind::Integer { min: 1, max: 100_000 },
        "independent replications (default 10)",
    ),
    key("seed", Kind::Integer { min: 0, max: u64::MAX }, "random seed (default 1177)"),
    key(
        "defaults",
        Kind::Table(DEFAULTS),
        "values for every region that does not set its own",
    ),
    required("region", Kind::Tables(REGION), "the regions, each with its calls and nurses"),
    key("agreement", Kind::Tables(AGREEMENT), "collaboration between regions"),
    key("target", Kind::Tables(TARGET), "service targets"),
    key("holidays", Kind::DateList, "dates treated as Sundays"),
    key("surge", Kind::Tables(SURGE), "dated volume factors"),
    key("settlement", Kind::Table(SETTLEMENT), "pricing of calls answered for others"),
    key("sweep", Kind::Table(SWEEP), "a default grid for `sweep`"),
];

/// The names of a table's keys, in order.
pub fn names(keys: &'static [KeyDef]) -> impl Iterator<Item = &'static str> {
    keys.iter().map(|k| k.name)
}

const DURATION_PATTERN: &str = r"^\s*(0|([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(ms|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours|d|day|days|w|week|weeks)(\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*(ms|s|sec|secs|second|seconds|m|min|mins|minute|minutes|h|hour|hours|d|day|days|w|week|weeks))*)\s*$";

fn duration_schema() -> Value {
    json!({"type": "string", "pattern": DURATION_PATTERN, "examples": ["90s", "4m", "1h30m", "2d", "4w"]})
}

fn date_schema() -> Value {
    json!({"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"})
}

fn kind_schema(kind: &Kind) -> Value {
    match kind {
        Kind::Text => json!({"type": "string"}),
        Kind::Name => json!({"type": "string", "minLength": 1, "maxLength": 200}),
        Kind::Duration => duration_schema(),
        Kind::DurationOrNever => json!({"anyOf": [duration_schema(), {"const": "never"}]}),
        Kind::Date => date_schema(),
        Kind::Clock => json!({"type": "string", "pattern": r"^\s*([01]?[0-9]|2[0-4]):[0-5][0-9]\s*$"}),
        Kind::Days => json!({"type": "string", "examples": ["all", "Mon-Fri", "Sat-Sun", "Mon,Wed"]}),
        Kind::Number { min, max } => {
            let mut o = json!({"type": "number", "minimum": min});
            if let Some(max) = max {
                o["maximum"] = json!(max);
            }
            o
        }
        Kind::Integer { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Kind::Weights(n) => json!({"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": n, "maxItems": n}),
        Kind::OneOf(values) => json!({"type": "string", "enum": values}),
        Kind::TextList => json!({"type": "array", "items": {"type": "string"}}),
        Kind::DateList => json!({"type": "array", "items": date_schema()}),
        Kind::DurationList => json!({"type": "array", "items": duration_schema(), "minItems": 1}),
        Kind::Hours => json!({"anyOf": [
            {"type": "string", "examples": ["always", "Mon-Fri 07:00-16:00", "all 22:00-07:00"]},
            {"type": "array", "items": {"type": "string"}, "minItems": 1}
        ]}),
        Kind::Bound => json!({"anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, duration_schema()]}),
        Kind::Table(keys) => table_schema(keys),
        Kind::Tables(keys) => json!({"type": "array", "items": table_schema(keys)}),
        Kind::Bool => json!({"type": "boolean"}),
    }
}

fn table_schema(keys: &'static [KeyDef]) -> Value {
    let mut properties = Map::new();
    for k in keys {
        let mut s = kind_schema(&k.kind);
        s["description"] = json!(k.doc);
        properties.insert(k.name.to_string(), s);
    }
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut o = json!({"type": "object", "properties": properties, "additionalProperties": false});
    if !required.is_empty() {
        o["required"] = json!(required);
    }
    o
}

/// The JSON Schema (draft 07) of scenario files, generated from the reader's keys.
pub fn json_schema() -> Value {
    let mut schema = table_schema(SCENARIO);
    schema["$schema"] = json!("http://json-schema.org/draft-07/schema#");
    schema["title"] = json!("nursequeue scenario");
    schema["description"] = json!(
        "A scenario for nursequeue, the nurse telephone queue simulator. Generated from the scenario reader's keys (`nursequeue schema`)."
    );
    schema
}

/// [`json_schema`] as the committed file holds it: pretty-printed, with a final newline.
pub fn json_schema_text() -> String {
    serde_json::to_string_pretty(&json_schema()).expect("a schema is valid JSON") + "\n"
}
