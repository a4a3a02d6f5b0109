//! The rule for simultaneous events (README, "The model"): at each instant,
//! every change of state that is due (shift rises and drops, agreement windows
//! opening and closing, new days) is applied first, then nurses choose calls;
//! callers whose patience runs out hang up before anything else happens at
//! that instant; events at or after the horizon never happen.

mod common;
use common::*;
use nursequeue::calendar::{DAY, WEEK};
use nursequeue::dist::Sampler;
use nursequeue::experiment::simulate;
use nursequeue::model::Model;

/// Region A is short-staffed by day and always has calls waiting (callers wait
/// up to two hours); region B has no calls and `b_shift` nurses. The agreement
/// lets B's nurses answer A's calls during `hours`.
fn partner_scenario(hours: &str, b_shift: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "2w"
replications = 2
seed = 9
[defaults]
handle_time = {{ dist = "exponential", mean = "10m" }}
patience = {{ dist = "fixed", value = "2h" }}
[[region]]
name = "A"
calls_per_day = 1500
shifts = [ {{ from = "07:00", to = "22:00", nurses = 2 }} ]
[[region]]
name = "B"
calls_per_week = 0
shifts = [ {{ {b_shift}, nurses = 5 }} ]
[[agreement]]
name = "day help"
members = ["A", "B"]
hours = "{hours}"
overflow_after = "0m"
"#
    )
}

/// Calls of region A answered by nurses of region B, summed over replications.
fn partner_answers(text: &str) -> u64 {
    let s = scenario(text);
    let model = Model::compile(&s);
    (0..s.replications as u64).map(|rep| simulate(&model, s.seed, rep).flows[1]).sum()
}

#[test]
fn a_nurse_logging_on_as_an_agreement_closes_never_sees_it_open_shift_created_first() {
    // Agreement 07:00–22:00, B's nurses 22:00–07:00: they never overlap. At
    // 22:00 B's shift rise and the agreement's close are due together, and the
    // rise was created first (both by the same new day, regions before
    // agreements); at 07:00 the shift drop and the opening are due together.
    let text = partner_scenario("all 07:00-22:00", r#"from = "22:00", to = "07:00""#);
    assert_eq!(partner_answers(&text), 0);
    // Control: one minute of overlap and B's nurses do answer A's calls.
    let overlap = partner_scenario("all 07:00-22:00", r#"from = "21:59", to = "07:00""#);
    assert!(partner_answers(&overlap) >= 5 * 14, "B's five nurses answer at 21:59 every day");
}

#[test]
fn a_nurse_logging_on_as_an_agreement_closes_never_sees_it_open_agreement_created_first() {
    // Agreement 22:30 → 22:00 the next day (closed 22:00–22:30), B's nurses
    // 22:00–22:30: again no overlap. Now the agreement's close at 22:00 was
    // created the day before, so before B's shift rise; at 22:30 the opening
    // and B's shift drop are due together.
    let text = partner_scenario("all 22:30-22:00", r#"from = "22:00", to = "22:30""#);
    assert_eq!(partner_answers(&text), 0);
    let overlap = partner_scenario("all 22:29-22:00", r#"from = "22:00", to = "22:30""#);
    assert!(partner_answers(&overlap) >= 5 * 14);
}

/// Region A has no nurses; B has ample idle nurses and no calls; A's calls
/// may overflow to B after 4 minutes; A's callers wait exactly `patience`.
fn overflow_scenario(patience: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "1w"
replications = 2
[[region]]
name = "A"
calls_per_day = 200
handle_time = {{ dist = "exponential", mean = "5m" }}
patience = {{ dist = "fixed", value = "{patience}" }}
[[region]]
name = "B"
calls_per_week = 0
handle_time = {{ dist = "exponential", mean = "5m" }}
patience = {{ dist = "none" }}
shifts = [ {{ from = "00:00", to = "24:00", nurses = 20 }} ]
[[agreement]]
name = "overflow"
members = ["A", "B"]
overflow_after = "4m"
"#
    )
}

#[test]
fn a_caller_whose_patience_equals_the_overflow_delay_hangs_up() {
    let s = summarize(&overflow_scenario("4m"));
    let a = s.region("A").unwrap();
    let offered = estimate(a, &s, "offered").mean.unwrap();
    assert!(offered > 1000.0);
    assert_eq!(estimate(a, &s, "answered").mean, Some(0.0));
    let still_waiting = estimate(a, &s, "still_waiting").mean.unwrap();
    assert_eq!(estimate(a, &s, "abandoned").mean, Some(offered - still_waiting));
    // A little more patience and every caller is answered at 4 minutes (but
    // those arriving in the last 4 minutes, still waiting at the horizon).
    let s = summarize(&overflow_scenario("4.001m"));
    let a = s.region("A").unwrap();
    let m = |name| estimate(a, &s, name).mean.unwrap();
    assert_eq!(m("abandoned"), 0.0);
    assert_eq!(m("answered") + m("still_waiting"), m("offered"));
    assert!(m("wait_p50") >= 4.0 - 1.0 / 60.0);
}

#[test]
fn events_exactly_at_the_horizon_never_happen() {
    // Shifts ending exactly at the horizon never end: nobody works overtime,
    // and logged-on time is exactly the shift up to the horizon. A shift
    // ending an hour earlier does produce overtime (calls finished after it).
    let text = |to: &str| {
        format!(
            r#"
start = "2024-03-04"
horizon = "1d"
replications = 2
[[region]]
name = "R"
calls_per_day = 3000
handle_time = {{ dist = "exponential", mean = "10m" }}
patience = {{ dist = "none" }}
shifts = [ {{ from = "00:00", to = "{to}", nurses = 10 }} ]
"#
        )
    };
    let s = summarize(&text("24:00"));
    let r = &s.regions[0];
    assert_eq!(estimate(r, &s, "overtime_hours").mean, Some(0.0));
    assert_eq!(estimate(r, &s, "nurse_hours").mean, Some(240.0));
    assert!(estimate(r, &s, "still_waiting").mean.unwrap() > 0.0);
    let s = summarize(&text("23:00"));
    assert!(estimate(&s.regions[0], &s, "overtime_hours").mean.unwrap() > 0.0);
}

#[test]
fn a_handle_time_beyond_the_event_clock_never_wraps_time() {
    // 2^40 ms and more (1818w1d) used to wrap the packed event time, so one
    // nurse answered a dozen calls; the end of such a call lies past the
    // horizon, so the nurse answers exactly one call.
    let s = scenario(
        r#"
start = "2024-03-04"
horizon = "1w"
replications = 1
[[region]]
name = "R"
calls_per_day = 100
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "none" }
shifts = [ { from = "00:00", to = "24:00", nurses = 1 } ]
"#,
    );
    let mut model = Model::compile(&s);
    for handle in [1818 * WEEK + DAY, 1 << 40, i64::MAX / 2, i64::MAX] {
        model.regions[0].handle = Sampler::Fixed(handle);
        let t = simulate(&model, s.seed, 0);
        assert_eq!(t.calls[0].answered, 1, "handle time {handle} ms");
        assert_eq!(t.calls[0].offered, 1 + t.calls[0].still_waiting);
    }
}
