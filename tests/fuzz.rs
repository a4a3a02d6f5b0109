//! Fuzzing the scenario loader, the parsers and `--set`: random mutations of
//! every file in `scenarios/` must never panic; whatever loads must simulate
//! without panicking and conserve calls.
//!
//! `cargo test --release --test fuzz` runs a few hundred cases (proptest). For a
//! long run: `NURSEQUEUE_FUZZ_SECONDS=600 cargo test --release --test fuzz -- --ignored --nocapture`;
//! inputs that fail are written to `tests/fuzz-regressions/` (commit them: the
//! test `regressions_stay_fixed` replays every file there).

use nursequeue::calendar::{parse_clock, parse_duration, DaySet, Window};
use nursequeue::experiment::simulate;
use nursequeue::model::Model;
use nursequeue::scenario::load_str;
use proptest::prelude::*;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn example_scenarios() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir("scenarios")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p).unwrap()).collect()
}

const WORDS: [&str; 37] = [
    "1e-200",
    "5e-324",
    "-0.0",
    "+inf",
    "-nan",
    "\"2024-02-29\"",
    "\"2023-02-29\"",
    "\"0001-01-01\"",
    "\"9999-12-31\"",
    "9999-12-31",
    "\"9999-12-02\"",
    "\"1818w1d\"",
    "\"5e-324m\"",
    "-1",
    "0",
    "1e308",
    "-1e308",
    "nan",
    "inf",
    "\"\"",
    "\"never\"",
    "\"0m\"",
    "\"-4m\"",
    "\"99999w\"",
    "\"25:00\"",
    "\"Mon-Fry\"",
    "[]",
    "{}",
    "[[",
    "]]",
    "=",
    "\"all 22:00-22:00\"",
    "true",
    "\"2024-02-30\"",
    "18446744073709551615",
    "\"\\u00e5\"",
    "#",
];

/// One mutation of a scenario text, driven by `rng`.
fn mutate(text: &str, rng: &mut Xoshiro256PlusPlus) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return WORDS[rng.random_range(0..WORDS.len())].to_string();
    }
    let i = rng.random_range(0..lines.len());
    match rng.random_range(0..10) {
        0 => {
            lines.remove(i);
        }
        1 => {
            let l = lines[i].clone();
            lines.insert(i, l);
        }
        2 => {
            // Replace the value of a `key = value` line.
            if let Some((k, _)) = lines[i].clone().split_once('=') {
                lines[i] = format!("{k}= {}", WORDS[rng.random_range(0..WORDS.len())]);
            }
        }
        3 => {
            // Replace a number anywhere in the line.
            let l = lines[i].clone();
            if let Some(start) = l.find(|c: char| c.is_ascii_digit()) {
                let end = l[start..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .map_or(l.len(), |e| start + e);
                let n = [
                    String::from("0"),
                    "-3".into(),
                    "1e12".into(),
                    rng.random_range(0..100_000u32).to_string(),
                    "0.0000001".into(),
                    "1e-200".into(),
                    "5e-324".into(),
                    "1e300".into(),
                ][rng.random_range(0..8)]
                .clone();
                lines[i] = format!("{}{}{}", &l[..start], n, &l[end..]);
            }
        }
        4 => {
            // Insert a random character at a random place.
            let l = &lines[i];
            let chars: Vec<char> = l.chars().collect();
            let at = rng.random_range(0..=chars.len());
            let c = ['"', '[', ']', '{', '}', '=', ',', '#', '\'', '\\', 'é', '\0', '\n'][rng.random_range(0..13)];
            lines[i] = chars[..at].iter().chain([c].iter()).chain(chars[at..].iter()).collect();
        }
        5 => {
            let j = rng.random_range(0..lines.len());
            lines.swap(i, j);
        }
        6 => lines.truncate(i),
        7 => {
            // Replace any one value of the line by an extreme value of the same
            // kind, so that the result often still loads: numbers, durations, dates.
            let l = lines[i].clone();
            let numbers: Vec<(usize, usize)> = number_spans(&l);
            if !numbers.is_empty() {
                let (start, end) = numbers[rng.random_range(0..numbers.len())];
                let text = &l[start..end];
                let choice = if text.len() == 10 && text.as_bytes()[4] == b'-' {
                    ["0001-01-01", "9999-12-31", "9999-10-01", "2024-02-29", "2023-02-28", "1900-02-28"][rng.random_range(0..6)]
                } else {
                    ["0", "1e-200", "5e-324", "1e300", "1e9", "99999", "0.001", "1"][rng.random_range(0..8)]
                };
                lines[i] = format!("{}{}{}", &l[..start], choice, &l[end..]);
            }
        }
        8 => {
            // A duration in quotes becomes an extreme one.
            let l = lines[i].clone();
            let quoted: Vec<usize> = l.match_indices('"').map(|(k, _)| k).collect();
            if quoted.len() >= 2 {
                let k = rng.random_range(0..quoted.len() / 2) * 2;
                let (a, b) = (quoted[k], quoted[k + 1]);
                let d = ["1ms", "0s", "3660d", "3661d", "1818w1d", "522w", "0.0001s", "5e-324m"][rng.random_range(0..8)];
                lines[i] = format!("{}{}{}", &l[..=a], d, &l[b..]);
            }
        }
        _ => {
            let key = ["warmup", "horizon", "replications", "seed", "name", "start"][rng.random_range(0..6)];
            lines.insert(0, format!("{key} = {}", WORDS[rng.random_range(0..WORDS.len())]));
        }
    }
    lines.join("\n")
}

/// Byte ranges of the numbers (and dates) in a line.
fn number_spans(line: &str) -> Vec<(usize, usize)> {
    let bytes = line.as_bytes();
    let mut spans = vec![];
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphabetic()) {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b'-' | b'e')) {
                i += 1;
            }
            spans.push((start, i));
        } else {
            i += 1;
        }
    }
    spans
}

fn random_set(rng: &mut Xoshiro256PlusPlus) -> String {
    let keys = [
        "horizon",
        "region.0.calls_per_week",
        "region.*.volume_factor",
        "region.0.shifts.0.nurses",
        "agreement.0.overflow_after",
        "defaults.patience.mean",
        "region.99.name",
        "x.y.z",
        "region..name",
        "",
        "replications",
        "region.*.shifts.*.nurses",
        "start",
        "region.*.daily_variation",
        "defaults.handle_time.cv",
        "region.0.name",
        "warmup",
    ];
    let values = [
        "7",
        "-1",
        "2m",
        "never",
        "[1,2]",
        "{ a = 1 }",
        "nan",
        "",
        "=",
        "1e400",
        "1e-200",
        "5e-324",
        "0001-01-01",
        "9999-12-31",
        "2024-02-29",
        "\"\\u001b[31mred\"",
        "\"O\\u0308rebro\"",
        "\"quoted\"",
        "Mon-Fri 07:00-16:00",
    ];
    format!(
        "{}={}",
        keys[rng.random_range(0..keys.len())],
        values[rng.random_range(0..values.len())]
    )
}

/// Loads a mutated scenario; when it loads, simulates a short stretch of it.
fn exercise(text: &str, sets: &[String]) {
    let mut s = match load_str("fuzz.toml", text, sets) {
        Ok(s) => s,
        Err(invalid) => {
            // Every rejection points at a place in the file or in a --set flag.
            assert!(!invalid.problems.list.is_empty());
            assert!(
                invalid.problems.list.iter().all(|p| p.span.is_some()),
                "a problem without a position:\n{invalid}"
            );
            assert!(invalid.to_string().contains("-->"));
            return;
        }
    };
    // Run it as written when that is cheap (extreme dates and horizons
    // included), else a two-day stretch of it.
    if Model::compile(&s).work().calls() > 100_000.0 {
        s.horizon = s.horizon.min(2 * nursequeue::calendar::DAY);
        s.warmup = s.warmup.min(s.horizon / 2);
    }
    let model = Model::compile(&s);
    if model.work().calls() > 300_000.0 {
        return;
    }
    let t = simulate(&model, s.seed, 0);
    for c in &t.calls {
        assert_eq!(c.offered, c.answered + c.abandoned + c.blocked + c.still_waiting);
    }
    // The whole path of `run`: statistics, targets, settlement, text and JSON.
    s.replications = s.replications.min(2);
    let summary = nursequeue::experiment::run(&s, 1).expect("a run that is not interrupted");
    let _ = nursequeue::output::text::run_text(&s, &summary);
    let _ = nursequeue::output::json::summary(&summary);
}

/// A whole case from a seed: a scenario, 1–4 mutations, maybe some `--set` flags.
fn case(seed: u64, scenarios: &[String]) -> (String, Vec<String>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut text = scenarios[rng.random_range(0..scenarios.len())].clone();
    for _ in 0..rng.random_range(1..=4) {
        text = mutate(&text, &mut rng);
    }
    let sets = (0..rng.random_range(0..3)).map(|_| random_set(&mut rng)).collect();
    (text, sets)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))), ..ProptestConfig::default() })]

    #[test]
    fn mutated_scenarios_never_panic(seed in any::<u64>()) {
        let scenarios = example_scenarios();
        let (text, sets) = case(seed, &scenarios);
        exercise(&text, &sets);
    }

    #[test]
    fn parsers_never_panic(text in "\\PC{0,24}") {
        let _ = parse_duration(&text);
        let _ = parse_clock(&text);
        let _ = DaySet::parse(&text);
        let _ = Window::parse(&text);
    }

    #[test]
    fn durations_round_trip(minutes in 0u32..100_000) {
        let text = format!("{minutes}m");
        prop_assert_eq!(parse_duration(&text).unwrap(), minutes as i64 * 60_000);
    }
}

/// Every input in `tests/fuzz-regressions/` (a `.toml` file whose first line
/// may be `# --set A --set B`, the flags it was found with) is replayed.
#[test]
fn regressions_stay_fixed() {
    let mut replayed = 0;
    for entry in std::fs::read_dir("tests/fuzz-regressions").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let sets: Vec<String> = text
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# --set "))
                .map(|l| l.split(" --set ").map(str::to_string).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            exercise(&text, &sets);
            replayed += 1;
        }
    }
    assert!(
        replayed >= 10,
        "tests/fuzz-regressions/ holds {replayed} inputs: the replay checks nothing"
    );
}

#[test]
#[ignore = "long fuzzing run: set NURSEQUEUE_FUZZ_SECONDS"]
fn fuzz_for_a_while() {
    let seconds: u64 = std::env::var("NURSEQUEUE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let scenarios = example_scenarios();
    let started = std::time::Instant::now();
    let (mut cases, mut loaded, mut crashes) = (0u64, 0u64, 0u64);
    // NURSEQUEUE_FUZZ_SEED starts another sequence of cases (runs can be split).
    let mut seed: u64 = std::env::var("NURSEQUEUE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed);
    std::panic::set_hook(Box::new(|_| {}));
    while started.elapsed().as_secs() < seconds {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let (text, sets) = case(seed, &scenarios);
        if load_str("fuzz.toml", &text, &sets).is_ok() {
            loaded += 1;
        }
        if std::panic::catch_unwind(|| exercise(&text, &sets)).is_err() {
            crashes += 1;
            let path = format!("tests/fuzz-regressions/crash-{seed:016x}.toml");
            std::fs::write(&path, format!("# --set {}\n{text}", sets.join(" --set "))).unwrap();
            eprintln!("crash: seed {seed:016x}, input saved to {path}");
        }
        cases += 1;
    }
    let _ = std::panic::take_hook();
    eprintln!("fuzzed {cases} cases in {seconds} s ({loaded} loaded and simulated), {crashes} crashes");
    assert_eq!(crashes, 0);
}
