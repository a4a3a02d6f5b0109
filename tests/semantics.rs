//! Model semantics that theory does not cover: conservation of calls, shift
//! ends with overtime, zero-nurse regions covered by agreements, agreement hours.

mod common;
use common::*;
use nursequeue::experiment::simulate;
use nursequeue::model::Model;

/// Four regions, shift changes, an overloaded region whose callers never hang
/// up (so calls are still waiting at the horizon), and three agreements.
const BUSY_NETWORK: &str = r#"
start = "2024-03-06"
horizon = "9d"
warmup = "1d"
replications = 4
seed = 3
[defaults]
handle_time = { dist = "lognormal", mean = "11m", cv = 0.8 }
patience = { dist = "weibull", mean = "15m", cv = 0.9 }
hourly_rate = [1,1,1,1,1,2,4,8,10,10,9,8,8,8,7,7,6,5,4,4,3,2,2,1]
[[region]]
name = "Kalmar"
calls_per_week = 3000
shifts = [ { days = "Mon-Fri", from = "07:00", to = "22:00", nurses = 5 },
           { days = "Sat-Sun", from = "08:00", to = "20:00", nurses = 4 } ]
[[region]]
name = "Halland"
calls_per_week = 3500
shifts = [ { from = "07:00", to = "16:00", nurses = 6 }, { from = "16:00", to = "07:00", nurses = 3 },
           { days = "Mon", from = "10:00", to = "14:00", nurses = 2 } ]
[[region]]
name = "Dalarna"
calls_per_week = 4000
patience = { dist = "none" }
shifts = [ { from = "06:30", to = "23:15", nurses = 4 } ]
[[region]]
name = "National queue"
calls_per_week = 500
[[agreement]]
name = "night cover"
members = ["Kalmar", "Halland"]
hours = "all 22:00-07:00"
overflow_after = "0m"
[[agreement]]
name = "national"
members = ["Kalmar", "Halland", "Dalarna", "National queue"]
hours = ["Mon-Fri 07:00-16:00", "all 22:00-07:00"]
overflow_after = "4m"
[[agreement]]
name = "pair"
members = ["Halland", "Dalarna"]
overflow_after = "2m"
nurse_order = "oldest-first"
"#;

#[test]
fn every_call_is_accounted_for() {
    let s = scenario(BUSY_NETWORK);
    let model = Model::compile(&s);
    let n = model.regions.len();
    let mut still_waiting = 0;
    for rep in 0..s.replications as u64 {
        let t = simulate(&model, s.seed, rep);
        for (r, c) in t.calls.iter().enumerate() {
            assert_eq!(
                c.offered,
                c.answered + c.abandoned + c.blocked + c.still_waiting,
                "region {r}, replication {rep}"
            );
            let answered_by_anyone: u64 = (0..n).map(|j| t.flows[r * n + j]).sum();
            assert_eq!(answered_by_anyone, c.answered, "flows of region {r}");
            let by_hour: u64 = c.by_hour.iter().map(|h| h.offered).sum();
            assert_eq!(by_hour, c.offered);
            still_waiting += c.still_waiting;
        }
        // Nobody answers the national queue's calls but partners.
        assert_eq!(t.flows[3 * n + 3], 0);
        assert!(t.calls[3].answered > 0);
    }
    assert!(still_waiting > 0, "the scenario should leave callers waiting at the horizon");
}

#[test]
fn a_nurse_finishes_her_call_after_her_shift_and_it_counts_as_overtime() {
    // One nurse 08:00–09:00 on Monday; a burst of calls from 08:00; every call
    // takes exactly 45 minutes and callers never hang up. She answers one call
    // at about 08:00, the next at about 08:45, finishes it at about 09:30, and
    // then logs off: two answered calls, half an hour of overtime.
    let mut rates = vec!["0"; 168];
    rates[8] = "600";
    let text = format!(
        r#"
start = "2024-03-04"
horizon = "1d"
replications = 3
[[region]]
name = "R"
calls_per_hour = [{}]
handle_time = {{ dist = "fixed", value = "45m" }}
patience = {{ dist = "none" }}
shifts = [{{ days = "Mon", from = "08:00", to = "09:00", nurses = 1 }}]
"#,
        rates.join(",")
    );
    let s = summarize(&text);
    let r = &s.regions[0];
    assert_eq!(estimate(r, &s, "answered").mean, Some(2.0));
    let overtime = estimate(r, &s, "overtime_hours").mean.unwrap();
    assert!((overtime - 0.5).abs() < 0.01, "overtime {overtime} h");
    let offered = estimate(r, &s, "offered").mean.unwrap();
    assert_eq!(estimate(r, &s, "still_waiting").mean, Some(offered - 2.0));
    // Logged-on time includes the overtime: 1 h of shift + 0.5 h.
    assert!((estimate(r, &s, "nurse_hours").mean.unwrap() - 1.5).abs() < 0.01);
}

/// Kalmar has no nurses at night; Halland covers it through an agreement.
fn night_cover(hours: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "3w"
warmup = "1d"
replications = 6
seed = 11
[defaults]
handle_time = {{ dist = "exponential", mean = "10m" }}
patience = {{ dist = "fixed", value = "30m" }}
[[region]]
name = "Kalmar"
calls_per_day = 300
shifts = [ {{ from = "07:00", to = "22:00", nurses = 4 }} ]
[[region]]
name = "Halland"
calls_per_day = 300
shifts = [ {{ from = "00:00", to = "24:00", nurses = 8 }} ]
[[agreement]]
name = "night cover"
members = ["Kalmar", "Halland"]
hours = {hours}
overflow_after = "0m"
"#
    )
}

#[test]
fn a_region_without_nurses_is_answered_only_through_an_active_agreement() {
    let covered = summarize(&night_cover("\"all 22:00-07:00\""));
    let uncovered = summarize(&night_cover("[\"Mon 01:00-01:01\"]"));
    let hour_share = |s: &nursequeue::experiment::Summary, hours: std::ops::Range<usize>| {
        let (mut answered, mut offered) = (0, 0);
        for day in 0..7 {
            for h in hours.clone() {
                let c = s.by_hour[day * 24 + h];
                answered += c.answered;
                offered += c.offered;
            }
        }
        answered as f64 / offered as f64
    };
    // Calls arriving 23:00–06:00: Kalmar has no nurse, so only Halland can answer.
    assert!(hour_share(&covered, 23..24) > 0.9 && hour_share(&covered, 0..6) > 0.9);
    assert!(hour_share(&uncovered, 0..6) < 0.01, "{}", hour_share(&uncovered, 0..6));
    assert!(
        covered.flows[1].mean.unwrap() > 0.0,
        "Kalmar → Halland flow (row Kalmar, column Halland)"
    );
}

#[test]
fn partners_answer_only_while_the_agreement_is_active_and_at_once_when_it_opens() {
    // The "national queue" has no nurses at all; Halland answers its calls only
    // 22:00–07:00. Callers hang up after exactly 30 minutes.
    let text = r#"
start = "2024-03-04"
horizon = "4w"
warmup = "1d"
replications = 4
seed = 5
[defaults]
handle_time = { dist = "exponential", mean = "5m" }
patience = { dist = "fixed", value = "30m" }
[[region]]
name = "National queue"
calls_per_day = 200
[[region]]
name = "Halland"
calls_per_day = 100
shifts = [ { from = "00:00", to = "24:00", nurses = 6 } ]
[[agreement]]
name = "nights"
members = ["National queue", "Halland"]
hours = "all 22:00-07:00"
overflow_after = "0m"
"#;
    let s = summarize(text);
    for day in 0..7 {
        // A call arriving 07:00–21:00 is gone (hung up) before 22:00 and cannot
        // be answered while the agreement is closed.
        for h in 7..21 {
            assert_eq!(s.by_hour[day * 24 + h].answered, 0, "day {day} hour {h}");
        }
        // Calls arriving 21:30–22:00 are still waiting at 22:00 and are answered
        // the moment the agreement opens: after waiting at most 30 minutes.
        let c = s.by_hour[day * 24 + 21];
        assert!(c.answered > 0, "day {day}: calls waiting at 22:00 must be answered then");
        let mean_wait = c.wait_answered_ms / c.answered as f64 / 60_000.0;
        assert!(mean_wait > 0.0 && mean_wait <= 30.0, "{mean_wait}");
        // During the night nurses are plentiful: nearly everyone is answered.
        let night = s.by_hour[day * 24 + 2];
        assert!(night.answered as f64 > 0.95 * night.offered as f64);
    }
}

#[test]
fn overflow_waits_at_least_the_delay() {
    // A region with no nurses whose calls may overflow after 4 minutes to a
    // partner with ample staff: every answered call waited at least 4 minutes.
    let text = r#"
start = "2024-03-04"
horizon = "1w"
replications = 3
[defaults]
handle_time = { dist = "exponential", mean = "5m" }
patience = { dist = "none" }
[[region]]
name = "A"
calls_per_day = 100
[[region]]
name = "B"
calls_per_day = 10
shifts = [ { from = "00:00", to = "24:00", nurses = 10 } ]
[[agreement]]
name = "overflow"
members = ["A", "B"]
overflow_after = "4m"
"#;
    let s = summarize(text);
    let a = s.region("A").unwrap();
    // Percentiles come from one-second bins: a wait of exactly 4:00 may read 3:59.x.
    assert!(estimate(a, &s, "wait_p50").mean.unwrap() >= 4.0 - 1.0 / 60.0);
    assert!(estimate(a, &s, "mean_wait_answered").mean.unwrap() >= 4.0);
    assert_eq!(estimate(a, &s, "answered_within_5m").mean.map(|x| x > 0.9), Some(true));
}
