//! Hostile input: broken, extreme and tricky scenarios and flags. Each case
//! must either be refused with exit 2 and a `file:line:column` (or
//! `--set …:line:column`) position, or — when the input is legal — run to a
//! clean end (exit 0). Never a panic (exit 101), an abort, a signal or a hang.
//!
//! Every child runs under a memory limit (RLIMIT_AS) and a CPU-time limit
//! (RLIMIT_CPU, a guard against endless loops, not a wall-clock limit): a
//! child that exceeds them dies of a signal and the case fails.
//!
//! Add a case for every new kind of hostile input: one line in `cases()`.

use std::os::unix::process::CommandExt;
use std::process::{Command, Output};

/// Memory a child may map, and CPU seconds it may use.
const MEMORY_LIMIT: u64 = 3 << 30;
const CPU_SECONDS: u64 = 120;

/// A small legal scenario; cases edit it.
const BASE: &str = r#"name = "hostile"
start = "2024-03-04"
horizon = "2d"
warmup = "2h"
replications = 2
seed = 7

[defaults]
handle_time = { dist = "lognormal", mean = "10m", cv = 0.7 }
patience = { dist = "exponential", mean = "20m" }

[[region]]
name = "Kalmar"
calls_per_week = 700
shifts = [ { days = "all", from = "00:00", to = "24:00", nurses = 2 } ]

[[region]]
name = "Halland"
calls_per_week = 900
shifts = [ { days = "Mon-Fri", from = "07:00", to = "16:00", nurses = 3 } ]

[[agreement]]
name = "pair"
members = ["Kalmar", "Halland"]
overflow_after = "4m"
"#;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// Exit 2 with a located problem.
    Refused,
    /// Exit 0 (the input is legal).
    Runs,
}
use Expect::*;

struct Case {
    name: &'static str,
    file: Vec<u8>,
    args: Vec<String>,
    expect: Expect,
}

/// BASE with each `(from, to)` replaced (each `from` must occur).
fn edit(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut text = BASE.to_string();
    for (from, to) in pairs {
        assert!(text.contains(from), "BASE has no `{from}`");
        text = text.replacen(from, to, 1);
    }
    text.into_bytes()
}

/// BASE with `extra` appended.
fn plus(extra: &str) -> Vec<u8> {
    format!("{BASE}\n{extra}\n").into_bytes()
}

/// BASE with top-level lines added before its tables.
fn top(lines: &str) -> Vec<u8> {
    format!("{lines}\n{BASE}").into_bytes()
}

/// BASE with a line added to the first region.
fn region(line: &str) -> Vec<u8> {
    edit(&[("calls_per_week = 700", &format!("calls_per_week = 700\n{line}"))])
}

fn handle(dist: &str) -> Vec<u8> {
    edit(&[(
        "handle_time = { dist = \"lognormal\", mean = \"10m\", cv = 0.7 }",
        &format!("handle_time = {dist}"),
    )])
}

fn patience(dist: &str) -> Vec<u8> {
    edit(&[(
        "patience = { dist = \"exponential\", mean = \"20m\" }",
        &format!("patience = {dist}"),
    )])
}

fn case(name: &'static str, file: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        file,
        args: vec![],
        expect,
    }
}

fn with_set(name: &'static str, sets: &[&str], expect: Expect) -> Case {
    Case {
        name,
        file: BASE.as_bytes().to_vec(),
        args: sets.iter().flat_map(|s| ["--set".to_string(), s.to_string()]).collect(),
        expect,
    }
}

fn cases() -> Vec<Case> {
    let many_shifts = format!(
        "shifts = [{}]",
        vec!["{ from = \"00:00\", to = \"24:00\", nurses = 100000 }"; 10_000].join(", ")
    );
    let many_regions: String = (0..1001)
        .map(|i| format!("[[region]]\nname = \"R{i}\"\ncalls_per_week = 0\n"))
        .collect();
    let long_unknown_keys: String = (0..300).map(|i| format!("{}{i} = 1\n", "x".repeat(2000))).collect();
    let big_file: String = (0..4000).map(|i| format!("unknown_key_number_{i} = {i}\n")).collect();
    let deep = format!("x = {}{}\n", "[".repeat(200), "]".repeat(200));
    let dotted = format!("{} = 1\n", vec!["k"; 200].join("."));
    vec![
        // --- inputs as planners have them: staffing factors, rotations, dated handle time, percentiles, history, += and =remove
        case("staffing factor negative", region("staffing_factor = -0.5"), Refused),
        case("staffing factor huge", region("staffing_factor = 1e300"), Refused),
        case("staffing factor nan", region("staffing_factor = nan"), Refused),
        case("staffing factor zero", region("staffing_factor = 0"), Runs),
        case("rotation with no weeks", region("rotation = { start = \"2024-03-04\", weeks = [] }"), Refused),
        case(
            "handle time change without a date",
            region("handle_time_changes = [ { handle_time = { dist = \"fixed\", value = \"5m\" } } ]"),
            Refused,
        ),
        case(
            "handle time change in year 1",
            region("handle_time_changes = [ { from = \"0001-01-01\", handle_time = { dist = \"fixed\", value = \"5m\" } } ]"),
            Runs,
        ),
        case("partner extra handle of ten years", region("partner_extra_handle = \"3660d\""), Runs),
        case("wait percentile bounded by a number", plus("[[target]]\nmetric = \"wait_p95\"\nat_most = 0.5"), Refused),
        case(
            "wait percentile per day",
            plus("[[target]]\nmetric = \"wait_p95\"\nat_most = \"10m\"\nper = \"day\"\nmet_in = 0.9"),
            Runs,
        ),
        case("history file missing", region("calls_history = \"no-such-history.csv\""), Refused),
        with_set("append to a number", &["region.Kalmar.calls_per_week+=3"], Refused),
        with_set("remove a missing agreement", &["agreement.nope=remove"], Refused),
        with_set("remove every region", &["region.Kalmar=remove", "region.Halland=remove"], Refused),
        with_set(
            "append a shift with a bad clock",
            &["region.Kalmar.shifts+={ from = \"25:00\", to = \"07:00\", nurses = 1 }"],
            Refused,
        ),
        with_set("remove the agreement", &["agreement.pair=remove"], Runs),
        // --- TOML syntax and encoding
        case(
            "several syntax errors",
            b"start = \nhorizon = \"2d\"\nx = [1,\ny = }\n".to_vec(),
            Refused,
        ),
        case("latin-1 file", b"name = \"\xd6rebro\"\nstart = \"2024-03-04\"\n".to_vec(), Refused),
        case("latin-1 after valid lines", [BASE.as_bytes(), b"\n# caf\xe9\n"].concat(), Refused),
        case("nesting too deep", deep.into_bytes(), Refused),
        case("dotted key too deep", dotted.into_bytes(), Refused),
        case("raw escape byte in a string", plus("x = \"\x1b[2J\""), Refused),
        case("empty file", vec![], Refused),
        case("byte-order mark", [b"\xef\xbb\xbf".as_slice(), BASE.as_bytes()].concat(), Runs),
        case(
            "CRLF line ends with an error",
            BASE.replace('\n', "\r\n").replace("seed = 7", "seed = ").into_bytes(),
            Refused,
        ),
        case("CRLF line ends", BASE.replace('\n', "\r\n").into_bytes(), Runs),
        case("only a comment", b"# nothing\n".to_vec(), Refused),
        case("NUL byte", b"start = \"2024-03-04\"\0\n".to_vec(), Refused),
        // --- numbers: inf, nan, huge, tiny, negative
        case("calls inf", edit(&[("calls_per_week = 700", "calls_per_week = inf")]), Refused),
        case("calls nan", edit(&[("calls_per_week = 700", "calls_per_week = nan")]), Refused),
        case("calls -inf", edit(&[("calls_per_week = 700", "calls_per_week = -inf")]), Refused),
        case("calls 1e300", edit(&[("calls_per_week = 700", "calls_per_week = 1e300")]), Refused),
        case("calls negative", edit(&[("calls_per_week = 700", "calls_per_week = -1")]), Refused),
        case("calls tiny", edit(&[("calls_per_week = 700", "calls_per_week = 5e-324")]), Runs),
        case("volume_factor 1e300", region("volume_factor = 1e300"), Refused),
        case("volume_factor nan", region("volume_factor = nan"), Refused),
        case("volume_factor 1e-200", region("volume_factor = 1e-200"), Runs),
        case(
            "integer overflow",
            edit(&[("calls_per_week = 700", "calls_per_week = 99999999999999999999999")]),
            Refused,
        ),
        case("seed too large", edit(&[("seed = 7", "seed = 18446744073709551616")]), Refused),
        case("seed negative", edit(&[("seed = 7", "seed = -1")]), Refused),
        case("replications zero", edit(&[("replications = 2", "replications = 0")]), Refused),
        case(
            "replications absurd",
            edit(&[("replications = 2", "replications = 10000000000")]),
            Refused,
        ),
        case("nurses negative", edit(&[("nurses = 2", "nurses = -2")]), Refused),
        case("nurses float", edit(&[("nurses = 2", "nurses = 2.5")]), Refused),
        case("nurses absurd", edit(&[("nurses = 2", "nurses = 100000000")]), Refused),
        case(
            "10000 shifts of 100000 nurses",
            edit(&[(
                "shifts = [ { days = \"all\", from = \"00:00\", to = \"24:00\", nurses = 2 } ]",
                &many_shifts,
            )]),
            Refused,
        ),
        case(
            "zero nurses everywhere",
            edit(&[("nurses = 2", "nurses = 0"), ("nurses = 3", "nurses = 0")]),
            Runs,
        ),
        case(
            "hourly shape all zero",
            region(&format!("hourly_rate = [{}]", vec!["0"; 24].join(", "))),
            Refused,
        ),
        case(
            "hourly shape tiny",
            region(&format!("hourly_rate = [{}]", vec!["5e-324"; 24].join(", "))),
            Runs,
        ),
        case(
            "hourly shape huge",
            region(&format!("hourly_rate = [{}]", vec!["1e308"; 24].join(", "))),
            Refused,
        ),
        case("hourly shape wrong length", region("hourly_rate = [1, 2, 3]"), Refused),
        case("weekday shape negative", region("weekday_rate = [1, 1, 1, 1, 1, 1, -1]"), Refused),
        case(
            "calls_per_hour with nan",
            edit(&[("calls_per_week = 700", &format!("calls_per_hour = [nan{}]", ", 1".repeat(167)))]),
            Refused,
        ),
        case(
            "shrinkage almost 1",
            region("shrinkage = 0.999999999\nshrinkage_block = \"1s\""),
            Refused,
        ),
        case("shrinkage 1", region("shrinkage = 1"), Refused),
        case("absence nan", region("absence = nan"), Refused),
        case("daily_variation 1e-200", region("daily_variation = 1e-200"), Refused),
        case("daily_variation 5e-324", region("daily_variation = 5e-324"), Refused),
        case("daily_variation inf", region("daily_variation = inf"), Refused),
        case("daily_variation large legal", region("daily_variation = 5"), Runs),
        // --- distributions
        case(
            "gamma cv 1e-200",
            handle("{ dist = \"gamma\", mean = \"10m\", cv = 1e-200 }"),
            Refused,
        ),
        case(
            "gamma patience cv 1e-200",
            patience("{ dist = \"gamma\", mean = \"10m\", cv = 1e-200 }"),
            Refused,
        ),
        case(
            "lognormal cv 5e-324",
            handle("{ dist = \"lognormal\", mean = \"10m\", cv = 5e-324 }"),
            Refused,
        ),
        case(
            "weibull cv tiny legal",
            handle("{ dist = \"weibull\", mean = \"10m\", cv = 0.001 }"),
            Runs,
        ),
        case(
            "weibull cv huge legal",
            handle("{ dist = \"weibull\", mean = \"10m\", cv = 20 }"),
            Runs,
        ),
        case("gamma cv huge legal", handle("{ dist = \"gamma\", mean = \"10m\", cv = 20 }"), Runs),
        case(
            "lognormal cv huge legal",
            patience("{ dist = \"lognormal\", mean = \"1s\", cv = 20 }"),
            Runs,
        ),
        case("cv nan", handle("{ dist = \"gamma\", mean = \"10m\", cv = nan }"), Refused),
        case("cv inf", handle("{ dist = \"gamma\", mean = \"10m\", cv = inf }"), Refused),
        case("mean zero", handle("{ dist = \"exponential\", mean = \"0m\" }"), Refused),
        case("mean one millisecond", handle("{ dist = \"exponential\", mean = \"1ms\" }"), Runs),
        case(
            "mean beyond the clock",
            handle("{ dist = \"exponential\", mean = \"1818w1d\" }"),
            Refused,
        ),
        case(
            "fixed beyond the clock",
            handle("{ dist = \"fixed\", value = \"1818w1d\" }"),
            Refused,
        ),
        case("fixed at the limit", handle("{ dist = \"fixed\", value = \"3660d\" }"), Runs),
        case("fixed zero handle time", handle("{ dist = \"fixed\", value = \"0s\" }"), Runs),
        case("empirical empty", handle("{ dist = \"empirical\", values = [] }"), Refused),
        case(
            "empirical several bad values",
            handle("{ dist = \"empirical\", values = [\"x\", \"4m\", \"-1m\", 3] }"),
            Refused,
        ),
        case(
            "empirical huge value",
            handle("{ dist = \"empirical\", values = [\"4m\", \"99999999w\"] }"),
            Refused,
        ),
        case(
            "unknown distribution",
            handle("{ dist = \"gama\", mean = \"10m\", cv = 0.5 }"),
            Refused,
        ),
        case("none for handle time", handle("{ dist = \"none\" }"), Refused),
        case("patience none", patience("{ dist = \"none\" }"), Runs),
        case(
            "redial every attempt",
            region("redial = { probability = 1, delay = { dist = \"fixed\", value = \"0s\" }, max_attempts = 100 }"),
            Runs,
        ),
        case(
            "redial probability nan",
            region("redial = { probability = nan, delay = { dist = \"fixed\", value = \"1m\" } }"),
            Refused,
        ),
        case(
            "redial attempts absurd",
            region("redial = { probability = 0.5, delay = { dist = \"fixed\", value = \"1m\" }, max_attempts = 1000000 }"),
            Refused,
        ),
        // --- durations and dates
        case(
            "horizon beyond the clock",
            edit(&[("horizon = \"2d\"", "horizon = \"1818w1d\"")]),
            Refused,
        ),
        case("horizon nan text", edit(&[("horizon = \"2d\"", "horizon = \"nanm\"")]), Refused),
        case("horizon a number", edit(&[("horizon = \"2d\"", "horizon = 2")]), Refused),
        case(
            "horizon tiny",
            edit(&[("horizon = \"2d\"", "horizon = \"1ms\""), ("warmup = \"2h\"", "warmup = \"0s\"")]),
            Runs,
        ),
        case(
            "warmup longer than horizon",
            edit(&[("warmup = \"2h\"", "warmup = \"3d\"")]),
            Refused,
        ),
        case("start December 9999", edit(&[("2024-03-04", "9999-12-02")]), Refused),
        case("start last day", edit(&[("2024-03-04", "9999-12-31")]), Refused),
        case("start 9999 with room", edit(&[("2024-03-04", "9999-10-01")]), Runs),
        case("start year 1", edit(&[("2024-03-04", "0001-01-01")]), Runs),
        case("start leap day", edit(&[("2024-03-04", "2024-02-29")]), Runs),
        case("start not a leap day", edit(&[("2024-03-04", "2023-02-29")]), Refused),
        case("start unquoted date", edit(&[("\"2024-03-04\"", "2024-03-04")]), Runs),
        case("start a datetime", edit(&[("\"2024-03-04\"", "2024-03-04T07:00:00")]), Refused),
        case("start negative year", edit(&[("2024-03-04", "-000001-01-01")]), Refused),
        case(
            "several bad holidays",
            top("holidays = [\"2024-13-01\", \"2024-03-05\", \"x\", 4]"),
            Refused,
        ),
        case("holiday far away", top("holidays = [\"0001-01-01\", \"9999-12-31\"]"), Runs),
        case(
            "surge far away",
            plus("[[surge]]\nfrom = \"0001-01-01\"\nto = \"9999-12-31\"\nfactor = 2"),
            Runs,
        ),
        case(
            "surge factor nan",
            plus("[[surge]]\nfrom = \"2024-03-04\"\nto = \"2024-03-05\"\nfactor = nan"),
            Refused,
        ),
        case(
            "surges multiplying",
            plus(&"[[surge]]\nfrom = \"2024-03-04\"\nto = \"2024-03-05\"\nfactor = 100\n".repeat(200)),
            Refused,
        ),
        case("clock 24:01", edit(&[("to = \"16:00\"", "to = \"24:01\"")]), Refused),
        case("window from == to", edit(&[("to = \"16:00\"", "to = \"07:00\"")]), Refused),
        // --- names and Unicode
        case("empty region name", edit(&[("name = \"Kalmar\"", "name = \"\"")]), Refused),
        case("blank region name", edit(&[("name = \"Kalmar\"", "name = \"   \"")]), Refused),
        case(
            "NFC and NFD names are one region",
            edit(&[
                ("name = \"Kalmar\"", "name = \"\u{d6}rebro\""),
                ("name = \"Halland\"", "name = \"O\u{308}rebro\""),
            ]),
            Refused,
        ),
        case(
            "NFD member finds an NFC region",
            edit(&[
                ("name = \"Kalmar\"", "name = \"\u{d6}rebro\""),
                ("[\"Kalmar\", \"Halland\"]", "[\"O\u{308}rebro\", \"Halland\"]"),
            ]),
            Runs,
        ),
        case(
            "escape sequence in a region name",
            edit(&[
                ("name = \"Kalmar\"", "name = \"\\u001b[31mKalmar\""),
                ("[\"Kalmar\"", "[\"\\u001b[31mKalmar\""),
            ]),
            Refused,
        ),
        case(
            "escape sequence in the scenario name",
            edit(&[("name = \"hostile\"", "name = \"\\u001b]0;owned\\u0007\"")]),
            Refused,
        ),
        case(
            "bidi override in a name",
            edit(&[("name = \"Halland\"", "name = \"Hal\\u202Eland\"")]),
            Refused,
        ),
        case(
            "newline in an agreement name",
            edit(&[("name = \"pair\"", "name = \"pa\\nir\"")]),
            Refused,
        ),
        case("escape in an unknown key", plus("\"\\u001b[2Jkey\" = 1"), Refused),
        case(
            "name too long",
            edit(&[("name = \"Halland\"", &format!("name = \"{}\"", "H".repeat(5000)))]),
            Refused,
        ),
        case(
            "weights whose product underflows",
            region(&format!(
                "hourly_rate = [{}]\nweekday_rate = [{}]",
                vec!["1e-160"; 24].join(", "),
                ["1e-160"; 7].join(", ")
            )),
            Runs,
        ),
        case(
            "an emoji with a zero-width joiner",
            edit(&[
                ("name = \"Kalmar\"", "name = \"\u{1F469}\u{200D}\u{2695}\u{FE0F}\""),
                ("[\"Kalmar\"", "[\"\u{1F469}\u{200D}\u{2695}\u{FE0F}\""),
            ]),
            Runs,
        ),
        case(
            "emoji names are fine",
            edit(&[("name = \"Kalmar\"", "name = \"K\u{1F3E5}\""), ("[\"Kalmar\"", "[\"K\u{1F3E5}\"")]),
            Runs,
        ),
        // --- lists: empty, duplicated, absurd sizes
        case(
            "no regions",
            edit(&[("[[region]]\nname = \"Kalmar\"", "[[regio]]\nname = \"Kalmar\"")]),
            Refused,
        ),
        case(
            "region list empty",
            b"start = \"2024-03-04\"\nhorizon = \"2d\"\nregion = []\n".to_vec(),
            Refused,
        ),
        case(
            "region list of numbers",
            b"start = \"2024-03-04\"\nhorizon = \"2d\"\nregion = [1, 2]\n".to_vec(),
            Refused,
        ),
        case(
            "duplicated region",
            plus("[[region]]\nname = \"Kalmar\"\ncalls_per_week = 1"),
            Refused,
        ),
        case(
            "duplicated member",
            edit(&[("[\"Kalmar\", \"Halland\"]", "[\"Kalmar\", \"Kalmar\"]")]),
            Refused,
        ),
        case("agreement of one", edit(&[("[\"Kalmar\", \"Halland\"]", "[\"Kalmar\"]")]), Refused),
        case(
            "hours empty list",
            edit(&[("overflow_after = \"4m\"", "overflow_after = \"4m\"\nhours = []")]),
            Refused,
        ),
        case("too many regions", plus(&many_regions), Refused),
        case("300 long unknown keys", plus(&long_unknown_keys), Refused),
        case("4000 unknown keys", plus(&big_file), Refused),
        case(
            "target share nan",
            plus("[[target]]\nmetric = \"answered_share\"\nat_least = nan"),
            Refused,
        ),
        case(
            "target in an unknown region",
            plus("[[target]]\nmetric = \"answered_share\"\nat_least = 0.5\nregion = \"Kalmr\""),
            Refused,
        ),
        case(
            "target per day over a tiny horizon",
            plus("[[target]]\nmetric = \"answered_within\"\nwithin = \"5m\"\nat_least = 0.5\nper = \"day\""),
            Runs,
        ),
        case("price 1e308", plus("[settlement]\nprice_per_call = 1e308"), Refused),
        case("price nan", plus("[settlement]\nprice_per_call = nan"), Refused),
        // --- sizes that would never finish or not fit
        case(
            "work beyond any run",
            edit(&[
                ("calls_per_week = 700", "calls_per_week = 1e9"),
                ("horizon = \"2d\"", "horizon = \"520w\""),
            ]),
            Refused,
        ),
        // --- --set
        with_set("--set into a missing region", &["region.Nowhere.calls_per_week=1"], Refused),
        with_set("--set past the end of a list", &["region.7.name=x"], Refused),
        with_set("--set into a number", &["horizon.x=1"], Refused),
        with_set("--set an unknown key", &["x.y.z=1"], Refused),
        with_set("--set without =", &["horizon"], Refused),
        with_set("--set empty path", &["=1"], Refused),
        with_set("--set inf", &["region.Kalmar.calls_per_week=inf"], Refused),
        with_set("--set 1e-200 cv", &["defaults.handle_time.cv=1e-200"], Refused),
        with_set("--set a control character name", &["region.0.name=\"\\u0007\""], Refused),
        with_set("--set a key regions do not have", &["region.Kalmar.nurses=1"], Refused),
        with_set(
            "--set NFD path finds the NFC region",
            &[
                "region.0.name=\u{d6}rebro",
                "agreement.0.members=[\"\u{d6}rebro\", \"Halland\"]",
                "region.O\u{308}rebro.calls_per_week=5",
            ],
            Runs,
        ),
        with_set("--set a huge horizon", &["horizon=1818w1d"], Refused),
        with_set("--set every region", &["region.*.volume_factor=0.5"], Runs),
        with_set("--set start into December 9999", &["start=9999-12-30"], Refused),
        // --- the features of dated agreements, rotations and percentile targets
        case(
            "a rotation of 1000 weeks",
            edit(&[(
                "shifts = [ { days = \"all\", from = \"00:00\", to = \"24:00\", nurses = 2 } ]",
                &format!(
                    "rotation = {{ start = \"0001-01-01\", weeks = [{}] }}",
                    vec!["{ shifts = [ { from = \"00:00\", to = \"24:00\", nurses = 2 } ] }"; 1000].join(", ")
                ),
            )]),
            Runs,
        ),
        case(
            "a rotation of no weeks",
            region("rotation = { start = \"2024-03-04\", weeks = [] }"),
            Refused,
        ),
        case(
            "a rotation starting on a Tuesday",
            region("rotation = { start = \"2024-03-05\", weeks = [ { shifts = [] } ] }"),
            Refused,
        ),
        case(
            "crisis thresholds of 0",
            edit(&[("overflow_after = \"4m\"", "overflow_after = \"4m\"\ncrisis = { waiting_at_least = 0, release_below = 0, longest_wait_over = \"0s\", release_below_wait = \"0s\" }")]),
            Runs,
        ),
        case(
            "crisis threshold 1e9",
            edit(&[("overflow_after = \"4m\"", "overflow_after = \"4m\"\ncrisis = { waiting_at_least = 1000000000, release_below = 5 }")]),
            Refused,
        ),
        case(
            "an agreement dated in year 9999",
            edit(&[("overflow_after = \"4m\"", "overflow_after = \"4m\"\nfrom = \"9999-12-31\"\nto = \"9999-12-31\"")]),
            Runs,
        ),
        case("staffing factor nan", region("staffing_factor = nan"), Refused),
        case("staffing factor 0", region("staffing_factor = 0"), Runs),
        case(
            "handle time changes out of order",
            region("handle_time_changes = [ { from = \"2024-03-05\", handle_time = { dist = \"fixed\", value = \"5m\" } }, { from = \"2024-03-04\", handle_time = { dist = \"fixed\", value = \"5m\" } } ]"),
            Refused,
        ),
        case(
            "a percentile target bounded by a number",
            plus("[[target]]\nmetric = \"wait_p75\"\nat_most = 0.5"),
            Refused,
        ),
        case("a history file that is a folder", region("calls_history = \".\""), Refused),
        with_set("--set shifts += garbage", &["region.Kalmar.shifts+=garbage"], Refused),
        with_set("--set removes an agreement", &["agreement.pair=remove"], Runs),
        with_set(
            "--set removes an agreement, then sets it",
            &["agreement.pair=remove", "agreement.pair.overflow_after=\"1m\""],
            Refused,
        ),
        with_set("--set removes a region an agreement names", &["region.Kalmar=remove"], Refused),
    ]
}

/// Runs `nursequeue ARGS` under the memory and CPU limits.
fn run_limited(args: &[String]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nursequeue"));
    cmd.args(args).env("NO_COLOR", "1");
    unsafe {
        cmd.pre_exec(|| {
            let limit = |resource, value: u64| {
                let l = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &l) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            limit(libc::RLIMIT_AS, MEMORY_LIMIT)?;
            limit(libc::RLIMIT_CPU, CPU_SECONDS)
        });
    }
    cmd.output().expect("start nursequeue")
}

/// A `file:line:column` position: `NAME:LINE:COL` after `--> `.
fn has_position(text: &str) -> bool {
    text.lines().any(|l| {
        let Some(rest) = l.trim_start().strip_prefix("--> ") else {
            return false;
        };
        let mut parts = rest.rsplitn(3, ':');
        let (col, line) = (parts.next(), parts.next());
        parts.next().is_some()
            && col.is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
            && line.is_some_and(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[test]
fn hostile_inputs_are_refused_with_a_place_or_run_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 60, "the suite keeps growing: {} cases", cases.len());
    let mut failures = vec![];
    for (i, c) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case-{i}.toml"));
        std::fs::write(&path, &c.file).unwrap();
        let command = if c.expect == Runs { "run" } else { "check" };
        let mut args = vec![command.to_string(), path.display().to_string()];
        args.extend(c.args.iter().cloned());
        let out = run_limited(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = out.status.code();
        let problem = match (c.expect, code) {
            (_, None) => Some(format!("killed by a signal ({:?})", out.status)),
            (_, Some(101)) => Some("panicked".to_string()),
            (Refused, Some(2)) if !has_position(&stderr) => Some("refused without a file:line:column".to_string()),
            (Refused, Some(2)) if stderr.contains('\x1b') || stderr.contains('\x07') => {
                Some("a raw control character reached the terminal".to_string())
            }
            (Refused, Some(2)) | (Runs, Some(0)) => None,
            (_, Some(other)) => Some(format!("exit {other}")),
        };
        // The run command must also agree: what check refuses, run refuses.
        let problem = problem.or_else(|| {
            if c.expect != Refused {
                return None;
            }
            let mut run_args = args.clone();
            run_args[0] = "run".into();
            let out = run_limited(&run_args);
            (out.status.code() != Some(2)).then(|| format!("check refused it but run exited {:?}", out.status))
        });
        if let Some(p) = problem {
            failures.push(format!(
                "case {i} `{}` ({:?}): {p}\n--- stderr (first 600 bytes):\n{}\n--- stdout (first 300 bytes):\n{}",
                c.name,
                c.expect,
                &stderr.chars().take(600).collect::<String>(),
                &stdout.chars().take(300).collect::<String>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn check_lists_every_syntax_error_and_every_bad_value() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, "start = \nhorizon = \"2d\"\nname = \nseed = ]\n").unwrap();
    let out = run_limited(&["check".into(), path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    for line in [":1:", ":3:", ":4:"] {
        assert!(err.contains(line), "no syntax error at line {line}:\n{err}");
    }
    let text = String::from_utf8(top("holidays = [\"2024-13-01\", \"2024-03-05\", \"x\"]"))
        .unwrap()
        .replace("cv = 0.7 }", "cv = 0.7 }\n[x]\n")
        .replace(
            "handle_time = { dist = \"lognormal\", mean = \"10m\", cv = 0.7 }",
            "handle_time = { dist = \"empirical\", values = [\"1q\", \"4m\", \"-1m\"] }",
        );
    std::fs::write(&path, text).unwrap();
    let out = run_limited(&["check".into(), path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("is not a date").count(), 2, "{err}");
    assert_eq!(err.matches("handle_time.values").count(), 2, "{err}");
}

#[test]
fn a_latin1_file_gets_the_place_of_its_first_bad_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("latin1.toml");
    std::fs::write(&path, b"start = \"2024-03-04\"\nname = \"G\xe4vle\"\n").unwrap();
    let out = run_limited(&["check".into(), path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("latin1.toml:2:10"), "{err}");
    assert!(err.contains("not UTF-8"), "{err}");
}

#[test]
fn nesting_too_deep_is_reported_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.toml");
    std::fs::write(&path, format!("a = 1\nb = 2\nc = {}{}\n", "[".repeat(100), "]".repeat(100))).unwrap();
    let out = run_limited(&["check".into(), path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deep.toml:3:"), "{err}");
    std::fs::write(&path, format!("a = 1\n\n{} = 1\n", vec!["k"; 100].join("."))).unwrap();
    let out = run_limited(&["check".into(), path.display().to_string()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("deep.toml:3:1"), "{err}");
}

/// The full text of one `check` diagnostic, kept as a snapshot
/// (`tests/snapshots/`): a change to it must be deliberate (`cargo insta review`).
#[test]
fn check_diagnostic_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let text = BASE
        .replace("horizon = \"2d\"", "horizon = \"1818w1d\"")
        .replace("cv = 0.7 }", "cv = 1e-200 }")
        .replace(
            "calls_per_week = 700",
            "calls_per_week = 700\nvolum_factor = 2\ndaily_variation = 5e-324",
        )
        .replace("name = \"Halland\"", "name = \"Hal\\u001b[31mland\"")
        .replace("[\"Kalmar\", \"Halland\"]", "[\"Kalmr\", \"Halland\"]")
        + "[[target]]\nmetric = \"answered_within\"\nwithin = \"5 minuts\"\nat_least = 75\n";
    std::fs::write(dir.path().join("broken.toml"), text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nursequeue"))
        .args(["check", "broken.toml", "--set", "region.Kalmar.shifts.0.nurses=-1"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(String::from_utf8(out.stderr).unwrap());
}

/// `erlang` on loads its exact sums cannot do in a moment: refused, not hung.
#[test]
fn erlang_refuses_loads_it_cannot_compute() {
    for args in [
        "--calls 1e4 --per 1m --handle-time 12m --patience 8m --nurses 24 --within 20s",
        "--calls 5e-324 --per 1m --handle-time 12m --patience 8m --nurses 24",
        "--calls 1e9 --per 1ms --handle-time 3660d --patience 1ms --nurses 1 --within 0s",
        "--calls 1 --per 1m --handle-time 1000m --patience 1ms --nurses 1",
        "--calls 83 --per 1m --handle-time 12m --patience 8m --nurses 1..2000",
    ] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("nursequeue"))
            .arg("erlang")
            .args(args.split(' '))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("help:"), "{args}");
    }
}

/// A sweep cannot vary what every point shares, nor one key twice: the rows
/// would be labelled with values that were never simulated.
#[test]
fn sweep_refuses_seed_replications_and_repeated_keys() {
    for vary in [
        &["--vary", "seed=1,2,3"][..],
        &["--vary", "replications=1,5"][..],
        &[
            "--vary",
            "region.*.shifts.0.nurses=20..21",
            "--vary",
            "region.*.shifts.0.nurses=22..23",
        ][..],
    ] {
        let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("nursequeue"))
            .args(["sweep", "scenarios/single-region.toml", "--set", "horizon=1d", "--progress", "none"])
            .args(vary)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{vary:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A sweep or merge whose `--out` is a file, and an absurd thread count, are
/// bad input (exit 2), found before any work.
#[test]
fn a_file_as_sweep_or_merge_out_and_absurd_threads_are_bad_input() {
    let nq = || std::process::Command::new(assert_cmd::cargo::cargo_bin("nursequeue"));
    for args in [
        &[
            "sweep",
            "scenarios/single-region.toml",
            "--vary",
            "region.*.calls_per_day=1..3",
            "--out",
            "README.md",
        ][..],
        &["merge", "Cargo.toml", "--out", "README.md"][..],
        &["run", "scenarios/single-region.toml", "--set", "horizon=2d", "--threads", "100000"][..],
    ] {
        let out = nq().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
}
