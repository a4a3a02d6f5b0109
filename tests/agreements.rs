//! Agreements in time and under load: dated agreements (`from`/`to`), crisis
//! routing (an agreement switched on by a long queue, off below a lower
//! level), the settlement rules (`settled = false`) and the bilateral
//! settlement (who owes whom). Each expectation is exact where the scenario
//! makes it so (a partner that only answers in a crisis, byte-identical runs).

mod common;
use common::*;
use nursequeue::calendar::{DAY, HOUR};
use nursequeue::experiment;
use nursequeue::model::Model;

/// Two regions: A has calls and no nurses of its own, B has idle nurses and no
/// calls, so every answered call of A is answered through the agreement.
fn partner_only(agreement: &str, horizon: &str) -> String {
    format!(
        r#"
start = "2024-03-18"
horizon = "{horizon}"
replications = 2
seed = 7
[[region]]
name = "A"
calls_per_day = 240
handle_time = {{ dist = "fixed", value = "1m" }}
patience = {{ dist = "none" }}
[[region]]
name = "B"
calls_per_day = 0
handle_time = {{ dist = "fixed", value = "1m" }}
patience = {{ dist = "none" }}
shifts = [ {{ from = "00:00", to = "24:00", nurses = 5 }} ]
[[agreement]]
name = "help"
members = ["A", "B"]
overflow_after = "0m"
{agreement}
"#
    )
}

/// Two realistic regions that help each other (and a settlement price).
fn pair(agreement: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "2w"
warmup = "1d"
replications = 4
seed = 11
[defaults]
handle_time = {{ dist = "lognormal", mean = "10m", cv = 0.7 }}
patience = {{ dist = "exponential", mean = "15m" }}
[[region]]
name = "Kalmar"
calls_per_day = 600
shifts = [ {{ days = "all", from = "07:00", to = "22:00", nurses = 6 }}, {{ days = "all", from = "22:00", to = "07:00", nurses = 1 }} ]
[[region]]
name = "Halland"
calls_per_day = 500
shifts = [ {{ days = "all", from = "00:00", to = "24:00", nurses = 5 }} ]
[settlement]
price_per_call = 550
{agreement}
"#
    )
}

fn json_without_run(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&nursequeue::output::json::summary(&summarize(text))).unwrap();
    v.as_object_mut().unwrap().remove("run");
    v
}

fn tally(text: &str) -> nursequeue::stats::Tally {
    let s = scenario(text);
    experiment::simulate(&Model::compile(&s), s.seed, 0)
}

// ---------------------------------------------------------------- dated

#[test]
fn a_dated_agreement_answers_only_on_its_dates() {
    // 2024-03-18 + 4 weeks reaches into April; the agreement starts on 1 April.
    // Callers give up after 30 minutes and the agreement opens at 08:00, so
    // no call of March is still waiting when it first opens.
    let dated = |dates: &str| {
        partner_only(&format!("hours = \"all 08:00-20:00\"\n{dates}"), "4w").replacen(
            "patience = { dist = \"none\" }",
            "patience = { dist = \"fixed\", value = \"30m\" }",
            1,
        )
    };
    let t = tally(&dated("from = \"2024-04-01\""));
    let (march, april) = (t.flows_by_month[1], t.flows_by_month[4 + 1]);
    assert_eq!(march, 0, "nothing answered for A before the agreement starts");
    assert!(april > 1000, "answered from 1 April: {april}");
    // Ended on 31 March: the other way round.
    let t = tally(&dated("to = \"2024-03-31\""));
    assert!(t.flows_by_month[1] > 1000);
    assert_eq!(t.flows_by_month[4 + 1], 0);
}

#[test]
fn dates_covering_the_whole_run_change_nothing() {
    let plain = json_without_run(&pair(AGREEMENT));
    let dated = json_without_run(&pair(&format!("{AGREEMENT}from = \"2020-01-01\"\nto = \"2030-12-31\"\n")));
    assert_eq!(plain, dated);
}

const AGREEMENT: &str = "[[agreement]]\nname = \"south\"\nmembers = [\"Kalmar\", \"Halland\"]\noverflow_after = \"2m\"\n";

#[test]
fn a_window_belongs_to_the_day_it_starts_on() {
    let s = scenario(&partner_only(
        "hours = \"all 22:00-07:00\"\nfrom = \"2024-03-20\"\nto = \"2024-03-21\"",
        "1w",
    ));
    let m = Model::compile(&s);
    let at = |day: i64, hour: i64| m.agreement_active(0, day * DAY + hour * HOUR);
    // Day 0 is 18 March; the agreement is in force on days 2 and 3.
    assert!(!at(2, 3), "the night that started on the 19th is not covered");
    assert!(at(2, 23) && at(3, 6), "the night starting on the 20th");
    assert!(at(3, 23) && at(4, 6), "the night starting on the last day runs to its end");
    assert!(!at(4, 23), "no night starts after the last day");
    assert!(!at(3, 12), "outside its hours");
}

#[test]
fn a_change_over_in_a_multi_year_run() {
    // One agreement until 30 June 2023, another from 1 July: each answers
    // only in its own months, and the run settles month by month.
    let text = partner_only(
        "to = \"2023-06-30\"\n[[agreement]]\nname = \"after\"\nmembers = [\"A\", \"B\"]\noverflow_after = \"0m\"\nfrom = \"2023-07-01\"",
        "60w",
    )
    .replace("2024-03-18", "2023-01-02")
    .replace("replications = 2", "replications = 1");
    let s = summarize(&text);
    let months: Vec<_> = s.bilateral.iter().filter(|b| b.calls_of == "A" && !b.period.is_horizon()).collect();
    assert!(months.len() >= 13, "{} months settled", months.len());
    for b in &months {
        assert!(b.answered.mean.unwrap() > 6000.0, "{}: {:?}", b.period, b.answered);
    }
    // Both agreements together answered everything: calls are never lost.
    let t = tally(&text);
    assert_eq!(t.calls[0].answered + t.calls[0].still_waiting, t.calls[0].offered);
}

// ---------------------------------------------------------------- crisis

#[test]
fn a_crisis_partner_answers_only_while_the_queue_is_long() {
    // On at 5 waiting, off below 2: each crisis answers until one call is
    // left, so 1–4 calls always wait and the partner never answers earlier.
    for rep in 0..3 {
        let s = scenario(&partner_only("crisis = { waiting_at_least = 5, release_below = 2 }", "1w"));
        let t = experiment::simulate(&Model::compile(&s), 3, rep);
        let c = &t.calls[0];
        assert!(c.answered > 1500, "{}", c.answered);
        assert_eq!(c.abandoned, 0);
        assert!((1..=4).contains(&c.still_waiting), "{} waiting at the end", c.still_waiting);
        assert_eq!(c.answered + c.still_waiting, c.offered);
    }
    // Without hysteresis (release at the trigger), exactly 4 always wait.
    let t = tally(&partner_only("crisis = { waiting_at_least = 5 }", "1w"));
    assert_eq!(t.calls[0].still_waiting, 4);
}

#[test]
fn a_crisis_on_the_longest_wait_releases_below_the_lower_wait() {
    // On when a call has waited 10 minutes, off once the longest wait is
    // under 5: no call is answered within 5 minutes, and none waits past 10.
    let s = summarize(&partner_only(
        "crisis = { longest_wait_over = \"10m\", release_below_wait = \"5m\" }",
        "1w",
    ));
    let a = s.region("A").unwrap();
    let v = |k: &str| a[s.metric(k).unwrap()].mean.unwrap();
    assert!(v("answered") > 1500.0);
    assert_eq!(v("answered_within_5m"), 0.0, "nothing is answered before the crisis");
    assert!(
        v("answered_within_10m") > 0.99 * v("answered_share"),
        "the crisis answers at 10 minutes"
    );
    // The first call of each crisis has waited exactly 10 minutes.
    let t = tally(&partner_only(
        "crisis = { longest_wait_over = \"10m\", release_below_wait = \"5m\" }",
        "1w",
    ));
    assert_eq!(t.calls[0].waits.at_most_minutes(4), 0);
}

#[test]
fn a_crisis_that_cannot_happen_is_no_agreement() {
    let none = json_without_run(&pair(""));
    for crisis in ["crisis = { waiting_at_least = 250000 }", "crisis = { longest_wait_over = \"30d\" }"] {
        let never = json_without_run(&pair(&format!("{AGREEMENT}{crisis}\n")));
        for key in ["regions", "total", "flows", "settlement", "bilateral_settlement"] {
            assert_eq!(none[key], never[key], "{crisis}: {key}");
        }
    }
}

#[test]
fn a_crisis_from_zero_is_an_agreement_always_on() {
    let always = json_without_run(&pair(AGREEMENT));
    for crisis in ["crisis = { waiting_at_least = 0 }", "crisis = { longest_wait_over = \"0m\" }"] {
        let zero = json_without_run(&pair(&format!("{AGREEMENT}{crisis}\n")));
        assert_eq!(always, zero, "{crisis}");
    }
}

#[test]
fn a_crisis_together_with_hours_needs_both() {
    // Only at night and only in a crisis: nothing is answered for A by day.
    let s = summarize(&partner_only(
        "hours = \"all 22:00-07:00\"\ncrisis = { waiting_at_least = 3, release_below = 1 }",
        "1w",
    ));
    let hours: Vec<usize> = (0..168).filter(|h| (7..22).contains(&(h % 24))).collect();
    let answered_by_day: u64 = hours.iter().map(|&h| s.by_hour[h].answered).sum();
    let answered: u64 = (0..168).map(|h| s.by_hour[h].answered).sum();
    // Calls that arrive by day wait for the night: answered, but at night
    // (counted by hour of arrival), so some day hours have answers — yet the
    // share answered within 5 minutes by day is zero.
    assert!(answered > 1000 && answered_by_day > 0);
    let within_by_day: u64 = hours.iter().map(|&h| s.by_hour[h].answered_within_target).sum();
    assert_eq!(within_by_day, 0, "nobody answers A by day");
}

#[test]
fn a_crisis_run_is_the_same_whatever_the_threads() {
    let s = scenario(&pair(&format!(
        "{AGREEMENT}crisis = {{ waiting_at_least = 8, release_below = 2, longest_wait_over = \"6m\", release_below_wait = \"2m\" }}\n"
    )));
    // The summary without its run block (wall time, threads).
    let one = serde_json::to_string(&experiment::run(&s, 1).unwrap()).unwrap();
    let two = serde_json::to_string(&experiment::run(&s, 2).unwrap()).unwrap();
    assert_eq!(one, two);
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert!(!v["flows"].as_array().unwrap().is_empty(), "the crisis did happen");
}

// ---------------------------------------------------------------- settlement

#[test]
fn the_calls_of_an_unsettled_region_do_not_count() {
    let settled = summarize(&pair(AGREEMENT));
    let text = pair(AGREEMENT).replace("name = \"Kalmar\"", "name = \"Kalmar\"\nsettled = false");
    let unsettled = summarize(&text);
    let horizon = |s: &nursequeue::Summary, region: &str| {
        s.settlement
            .iter()
            .find(|r| r.period.is_horizon() && r.region == region)
            .unwrap()
            .clone()
    };
    let flow = |s: &nursequeue::Summary, from: &str, to: &str| {
        s.bilateral
            .iter()
            .find(|b| b.period.is_horizon() && b.calls_of == from && b.answered_by == to)
            .unwrap()
            .clone()
    };
    // The same calls are answered (settlement is bookkeeping only) ...
    assert_eq!(settled.flows, unsettled.flows);
    // ... but Kalmar's calls answered by Halland no longer count.
    let k_by_h = flow(&unsettled, "Kalmar", "Halland");
    assert!(!k_by_h.settled && k_by_h.amount.is_none() && k_by_h.answered.mean.unwrap() > 0.0);
    assert!(flow(&unsettled, "Halland", "Kalmar").settled);
    assert_eq!(horizon(&unsettled, "Kalmar").answered_by_others.mean, Some(0.0));
    assert_eq!(
        horizon(&unsettled, "Kalmar").answered_for_others.mean,
        horizon(&settled, "Kalmar").answered_for_others.mean
    );
    // Per agreement: nothing between its members is settled.
    let text = format!("{AGREEMENT}settled = false\n");
    let s = summarize(&pair(&text));
    assert!(s.settlement.iter().all(|r| r.net.mean == Some(0.0)));
    assert!(s.bilateral.iter().all(|b| !b.settled));
}

#[test]
fn bilateral_rows_add_up_to_the_net_balances() {
    let s = summarize(&pair(AGREEMENT));
    for row in &s.settlement {
        let sum = |from_others: bool| -> f64 {
            s.bilateral
                .iter()
                .filter(|b| b.period == row.period && b.settled)
                .filter(|b| {
                    if from_others {
                        b.answered_by == row.region
                    } else {
                        b.calls_of == row.region
                    }
                })
                .map(|b| b.answered.mean.unwrap())
                .sum()
        };
        let (for_others, by_others) = (sum(true), sum(false));
        assert!((for_others - row.answered_for_others.mean.unwrap()).abs() < 1e-9, "{}", row.period);
        assert!((by_others - row.answered_by_others.mean.unwrap()).abs() < 1e-9);
    }
    let k_by_h = s
        .bilateral
        .iter()
        .find(|b| b.period.is_horizon() && b.calls_of == "Kalmar")
        .unwrap();
    assert_eq!(k_by_h.amount, Some(k_by_h.answered.mean.unwrap() * 550.0));
    // In the JSON (read back) and in settlement_pairs.csv.
    let json = nursequeue::output::json::summary(&s);
    let back: nursequeue::Summary = serde_json::from_str(&json).unwrap();
    assert_eq!(
        serde_json::to_string(&back.bilateral).unwrap(),
        serde_json::to_string(&s.bilateral_list()).unwrap()
    );
    assert!(back.bilateral.len() >= 4, "both ways, a month and the horizon");
    let csv = String::from_utf8(nursequeue::output::csv::settlement_pairs_csv(&s)).unwrap();
    assert!(csv.starts_with("period,from,to,answered,ci_low,ci_high,settled,amount\n"));
    assert!(csv.contains("horizon,Kalmar,Halland,"), "{csv}");
    // The text says who owes whom.
    let text = nursequeue::output::text::run_text(&scenario(&pair(AGREEMENT)), &s);
    assert!(text.contains("Who owes whom") && text.contains(" owes "), "{text}");
}

// ---------------------------------------------------------------- check

fn check(text: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(&path, text).unwrap();
    let out = assert_cmd::Command::cargo_bin("nursequeue")
        .unwrap()
        .arg("check")
        .arg(&path)
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).replace(&path.display().to_string(), "s.toml");
    (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
}

#[test]
fn bad_dates_and_crisis_levels_are_refused_with_their_place() {
    for (agreement, message, place) in [
        (
            "from = \"2024-04-02\"\nto = \"2024-04-01\"",
            "ends (2024-04-01) before it starts (2024-04-02)",
            "s.toml:17:1",
        ),
        ("from = \"2024-02-30\"", "from = `2024-02-30` is not a date", "s.toml:21:8"),
        ("to = \"next week\"", "to = `next week` is not a date", "s.toml:21:6"),
        (
            "crisis = { waiting_at_least = 5, release_below = 9 }",
            "release_below must not exceed waiting_at_least",
            "s.toml:21:50",
        ),
        ("crisis = { release_below_wait = \"5m\" }", "has no trigger", "s.toml:21:10"),
        (
            "crisis = { longest_wait_over = \"5m\", release_below = 2 }",
            "release_below is given without waiting_at_least",
            "s.toml:21:54",
        ),
        ("crisis = { waiting_at_least = -1 }", "cannot be negative", "s.toml:21:31"),
        ("crisis = { waiting = 3 }", "unknown key `waiting`", "s.toml:21:12"),
        ("settled = \"no\"", "settled must be true or false", "s.toml:21:11"),
    ] {
        let (code, _, err) = check(&partner_only(agreement, "1w"));
        assert_eq!(code, 2, "{agreement}: {err}");
        assert!(err.contains(message), "{agreement}: {err}");
        assert!(err.contains(place), "{agreement}: {place} in {err}");
        assert!(
            err.contains("help:") || message.contains("negative"),
            "{agreement}: a hint in {err}"
        );
    }
}

#[test]
fn warnings_are_printed_and_do_not_fail_check() {
    // A's calls have no nurse of A's own and the agreement is never in force.
    let (code, out, err) = check(&partner_only("from = \"2030-01-01\"", "1w"));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("valid") && out.contains("dated agreement: help 2030-01-01 to …"),
        "{out}"
    );
    assert!(err.contains("warning: agreement `help` is never in force"), "{err}");
    assert!(err.contains("warning: calls of `A` arrive while it has no nurse on duty"), "{err}");
    assert!(err.contains("every day 00:00-24:00 (on 7 days, 2024-03-18 to 2024-03-24)"), "{err}");
    assert!(err.contains("s.toml:7:8"), "{err}");
    // Covered by the agreement at night only: the days say so.
    let (_, _, err) = check(&partner_only("hours = \"Mon-Fri 22:00-07:00\"", "1w"));
    assert!(
        err.contains("Mon 00:00-22:00 (on 2024-03-18); Tue-Fri 07:00-22:00 (on 4 days, 2024-03-19 to 2024-03-22); Sat 07:00-24:00 (on 2024-03-23); Sun 00:00-24:00 (on 2024-03-24)"),
        "{err}"
    );
    // A typed-backwards day shift, in regular shifts and in a dated schedule.
    let text = partner_only("", "1w").replace(
        "shifts = [ { from = \"00:00\", to = \"24:00\", nurses = 5 } ]",
        "shifts = [ { from = \"16:00\", to = \"07:00\", nurses = 5 }, { from = \"22:00\", to = \"07:00\", nurses = 1 } ]\nschedules = [ { from = \"2024-03-20\", to = \"2024-03-21\", shifts = [ { from = \"18:00\", to = \"07:00\", nurses = 2 } ] } ]",
    );
    let (code, _, err) = check(&text);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: this shift runs overnight from 16:00 to 07:00 the next day (15h): did you mean from 07:00 to 16:00?"),
        "{err}"
    );
    assert!(err.contains("from 18:00 to 07:00 the next day (13h)"), "{err}");
    assert_eq!(err.matches("runs overnight").count(), 2, "a 9-hour night shift is fine: {err}");
}

#[test]
fn the_example_scenarios_have_no_warnings() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = nursequeue::scenario::load_file(&path, &[]).unwrap();
            assert!(s.warnings.is_empty(), "{}: {:?}", path.display(), s.warnings);
        }
    }
}

#[test]
fn a_crisis_that_cannot_end_or_is_always_on_is_warned_about_with_its_place() {
    let cases = [
        (
            "crisis = { waiting_at_least = 5, release_below = 0 }",
            "never ends once it starts (release_below = 0)",
            "release_below = 5",
            "s.toml:21:50",
        ),
        (
            "crisis = { longest_wait_over = \"5m\", release_below_wait = \"0s\" }",
            "never ends once it starts (release_below_wait = 0)",
            "release_below_wait = \"5m\"",
            "s.toml:21:59",
        ),
        (
            "crisis = { waiting_at_least = 0 }",
            "is on from the start (waiting_at_least = 0)",
            "remove `crisis`",
            "s.toml:21:31",
        ),
    ];
    for (crisis, message, hint, place) in cases {
        let (code, out, err) = check(&partner_only(crisis, "1w"));
        assert_eq!(code, 0, "{crisis}: {err}");
        assert!(out.contains("valid"), "{out}");
        assert!(
            err.contains(&format!("warning: the crisis of agreement `help` {message}")),
            "{crisis}: {err}"
        );
        assert!(err.contains(hint) && err.contains(place), "{crisis}: {err}");
    }
    // Levels that let the crisis start and end give no such warning.
    let (_, _, err) = check(&partner_only("crisis = { waiting_at_least = 5, release_below = 2 }", "1w"));
    assert!(!err.contains("the crisis of"), "{err}");
}
