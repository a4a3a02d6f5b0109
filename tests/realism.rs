//! The realism features of the scenario format: each test would fail if the
//! feature were missing.

mod common;
use common::*;
use nursequeue::erlang::Queue;
use nursequeue::experiment::{self, simulate};
use nursequeue::model::Model;

fn mean(s: &nursequeue::experiment::Summary, values: &[nursequeue::stats::Estimate], metric: &str) -> f64 {
    estimate(values, s, metric).mean.unwrap()
}

fn base(extra_region: &str, extra_top: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "3w"
warmup = "1d"
replications = 10
seed = 9
{extra_top}
[[region]]
name = "R"
calls_per_day = 2880
handle_time = {{ dist = "exponential", mean = "12m" }}
patience = {{ dist = "exponential", mean = "8m" }}
shifts = [{{ from = "00:00", to = "24:00", nurses = 24 }}]
{extra_region}
"#
    )
}

#[test]
fn redials_make_attempts_exceed_callers() {
    let plain = summarize(&base("", ""));
    let redial = summarize(&base(
        r#"redial = { probability = 0.6, delay = { dist = "exponential", mean = "10m" }, max_attempts = 4 }"#,
        "",
    ));
    let (p, r) = (&plain.total, &redial.total);
    assert_eq!(mean(&plain, p, "offered"), mean(&plain, p, "unique_callers"));
    assert!(mean(&redial, r, "offered") > 1.03 * mean(&redial, r, "unique_callers"));
    // The first attempts are the same callers in both runs (common random numbers).
    assert_eq!(mean(&plain, p, "unique_callers"), mean(&redial, r, "unique_callers"));
    // Callers get through more often than attempts do.
    assert!(mean(&redial, r, "callers_answered_share") > mean(&redial, r, "answered_share") + 0.02);
    let never = summarize(&base(
        r#"redial = { probability = 0, delay = { dist = "fixed", value = "1m" } }"#,
        "",
    ));
    assert_eq!(mean(&never, &never.total, "offered"), mean(&plain, p, "offered"));
}

#[test]
fn overload_protection_blocks_and_bounds_the_queue() {
    // 24 Erlang on 16 nurses and callers who never hang up: without protection
    // the queue grows all the time.
    let overloaded = |overload: &str| {
        base(&format!("{overload}\npatience = {{ dist = \"none\" }}"), "")
            .replace("patience = { dist = \"exponential\", mean = \"8m\" }\n", "")
            .replace("nurses = 24", "nurses = 16")
    };
    let unprotected = summarize(&overloaded(""));
    assert!(mean(&unprotected, &unprotected.total, "still_waiting") > 10_000.0);
    let s = summarize(&overloaded("overload = { max_queue = 30 }"));
    assert!(mean(&s, &s.total, "blocked_share") > 0.25);
    assert!(mean(&s, &s.total, "still_waiting") <= 30.0);
    let by_wait = summarize(&overloaded("overload = { max_wait = \"20m\" }"));
    assert!(mean(&by_wait, &by_wait.total, "blocked") > 0.0);
    // Waiting (offered wait ≤ ~20 min by the estimate) stays bounded.
    assert!(mean(&by_wait, &by_wait.total, "wait_p95") < 40.0);
}

#[test]
fn shrinkage_takes_nurses_off_the_phones() {
    let s = summarize(&base("shrinkage = 0.25\nshrinkage_block = \"20m\"", ""));
    let realized = estimate(&s.total, &s, "shrinkage");
    // Off-phone share of logged-on time: a due break waits for the call in progress, so slightly less.
    assert!((realized.mean.unwrap() - 0.25).abs() < 0.01, "{realized:?}");
    // 24 nurses at 25 % shrinkage answer about as 18 would; fluctuations in who
    // is on a break make it a little worse, never better than 19 nurses.
    let answered = mean(&s, &s.total, "answered_share");
    let erlang = |n| {
        1.0 - Queue {
            lambda: 2.0,
            mu: 1.0 / 12.0,
            theta: 1.0 / 8.0,
            n,
        }
        .p_abandon()
    };
    assert!(
        answered < erlang(19) && answered > erlang(16),
        "{answered} vs {} – {}",
        erlang(16),
        erlang(19)
    );
    let plain = summarize(&base("", ""));
    assert!(mean(&plain, &plain.total, "answered_share") > answered + 0.1);
    assert_eq!(mean(&plain, &plain.total, "shrinkage"), 0.0);
}

#[test]
fn absent_nurses_reduce_logged_on_hours() {
    let s = summarize(&base("absence = 0.1", ""));
    let plain = summarize(&base("", ""));
    let ratio = mean(&s, &s.total, "nurse_hours") / mean(&plain, &plain.total, "nurse_hours");
    // Presence is Binomial(24, 0.9) per shift and day: 10 % fewer nurse hours on average.
    assert!((ratio - 0.9).abs() < 0.02, "{ratio}");
}

#[test]
fn surges_and_dated_schedules_follow_the_calendar() {
    // Calls double from the 11th to the 17th; staffing halves from the 18th.
    let text = base(
        r#"schedules = [ { from = "2024-03-18", to = "2024-03-24", shifts = [ { from = "00:00", to = "24:00", nurses = 12 } ] } ]"#,
        "[[surge]]\nfrom = \"2024-03-11\"\nto = \"2024-03-17\"\nfactor = 2.0",
    );
    let s = summarize(&text);
    let plain = summarize(&base("", ""));
    // Offered over the measured 20 days: 6 normal, 7 doubled, 7 normal → 27/20 of plain.
    let ratio = mean(&s, &s.total, "offered") / mean(&plain, &plain.total, "offered");
    assert!((ratio - 27.0 / 20.0).abs() < 0.01, "{ratio}");
    // Nurse hours: 13 days of 24 nurses and 7 of 12 (plus a little overtime).
    let hours = mean(&s, &s.total, "nurse_hours");
    assert!((hours - (13.0 * 24.0 + 7.0 * 12.0) * 24.0).abs() < 30.0, "{hours}");
}

#[test]
fn daily_variation_keeps_the_mean_and_holidays_take_the_sunday_shape() {
    let varied = summarize(&base("daily_variation = 0.3", ""));
    let plain = summarize(&base("", ""));
    let (v, p) = (
        estimate(&varied.total, &varied, "offered"),
        estimate(&plain.total, &plain, "offered"),
    );
    assert!((v.mean.unwrap() / p.mean.unwrap() - 1.0).abs() < 0.05);
    assert!(
        v.half_width().unwrap() > 3.0 * p.half_width().unwrap(),
        "random day factors widen the interval"
    );
    // A Wednesday holiday with a weekday shape in which Sundays are quiet.
    let text = base("weekday_rate = [1, 1, 1, 1, 1, 1, 0.2]", "holidays = [\"2024-03-13\"]");
    let s = experiment::run(&scenario(&text), 0).unwrap();
    let wednesday = |s: &nursequeue::experiment::Summary| (0..24).map(|h| s.by_hour[2 * 24 + h].offered).sum::<u64>();
    let plain = experiment::run(&scenario(&base("weekday_rate = [1, 1, 1, 1, 1, 1, 0.2]", "")), 0).unwrap();
    // Wednesday 13 March is quiet like a Sunday: one of the three Wednesdays counts as Sunday.
    assert!(wednesday(&s) < wednesday(&plain));
    let sunday = |s: &nursequeue::experiment::Summary| (0..24).map(|h| s.by_hour[6 * 24 + h].offered).sum::<u64>();
    assert!(sunday(&s) > sunday(&plain));
}

const TWO_REGIONS: &str = r#"
start = "2024-01-29"
horizon = "9w"
warmup = "2d"
replications = 6
seed = 21
[settlement]
price_per_call = 550
[defaults]
handle_time = { dist = "exponential", mean = "10m" }
patience = { dist = "exponential", mean = "15m" }
[[region]]
name = "Busy"
calls_per_day = 1800
shifts = [{ from = "00:00", to = "24:00", nurses = 11 }]
[[region]]
name = "Calm"
calls_per_day = 900
shifts = [{ from = "00:00", to = "24:00", nurses = 9 }]
[[agreement]]
name = "overflow"
members = ["Busy", "Calm"]
overflow_after = "2m"
[[target]]
metric = "answered_share"
at_least = 0.5
per = "month"
[[target]]
metric = "answered_within"
within = "3m"
at_least = 0.999
per = "week"
region = "Busy"
[[target]]
metric = "mean_wait"
at_most = "30m"
per = "day"
"#;

#[test]
fn settlement_nets_to_zero_and_follows_the_flows() {
    let s = summarize(TWO_REGIONS);
    let horizon: Vec<_> = s.settlement.iter().filter(|r| r.period == "horizon").collect();
    assert_eq!(horizon.len(), 2);
    assert_eq!(horizon[0].net.mean.unwrap() + horizon[1].net.mean.unwrap(), 0.0);
    // The calm region answers for the busy one.
    assert!(horizon[1].net.mean.unwrap() > 100.0);
    assert_eq!(
        horizon[1].answered_for_others.mean, s.flows[1].mean,
        "Busy's calls answered by Calm"
    );
    let months: Vec<&str> = s.settlement.iter().map(|r| r.period.as_str()).filter(|p| *p != "horizon").collect();
    assert!(months.contains(&"2024-01") && months.contains(&"2024-03"), "{months:?}");
    for month in ["2024-02", "2024-03"] {
        let net: f64 = s.settlement.iter().filter(|r| r.period == month).map(|r| r.net.mean.unwrap()).sum();
        assert!(net.abs() < 1e-9, "{month}: {net}");
    }
    let monthly_sum: f64 = s
        .settlement
        .iter()
        .filter(|r| r.region == "Calm" && r.period != "horizon")
        .map(|r| r.net.mean.unwrap())
        .sum();
    assert!((monthly_sum - horizon[1].net.mean.unwrap()).abs() < 1e-6);
}

#[test]
fn targets_report_the_share_of_periods_met() {
    let s = summarize(TWO_REGIONS);
    let easy = &s.targets[0];
    assert_eq!(easy.per, "month");
    // February and March are the complete months inside 31 Jan – 1 Apr.
    assert_eq!(easy.periods_judged, 2 * 6);
    assert_eq!((easy.met, easy.share_of_periods_met), (Some(true), Some(1.0)));
    let hard = &s.targets[1];
    assert_eq!(hard.region.as_deref(), Some("Busy"));
    assert_eq!(hard.met, Some(false));
    assert_eq!(hard.share_of_periods_met, Some(0.0));
    assert_eq!(hard.periods_judged, 6 * 8, "eight complete Monday weeks");
    let wait = &s.targets[2];
    assert_eq!(wait.periods_judged, 6 * 61, "63 days less 2 of warmup");
    assert_eq!(wait.met, Some(true));
}

#[test]
fn a_target_between_easy_and_hard_is_met_in_some_periods() {
    let s = summarize(
        &TWO_REGIONS
            .replace("at_least = 0.999", "at_least = 0.845")
            .replace("per = \"week\"", "per = \"day\""),
    );
    let share = s.targets[1].share_of_periods_met.unwrap();
    assert!(share > 0.05 && share < 0.95, "{share}");
}

#[test]
fn comparing_a_scenario_with_itself_gives_zero_differences() {
    let a = scenario(TWO_REGIONS);
    let c = experiment::compare(&[a.clone(), a], 0).unwrap();
    for d in c.differences[0].total.iter().chain(c.differences[0].regions.iter().flatten()) {
        if let Some(m) = d.mean {
            assert_eq!(m, 0.0);
            assert_eq!(d.ci95, Some((0.0, 0.0)));
        }
    }
}

#[test]
fn paired_differences_are_much_narrower_than_independent_ones() {
    let a = scenario(TWO_REGIONS);
    let b = scenario(&TWO_REGIONS.replace("nurses = 9", "nurses = 10"));
    let c = experiment::compare(&[a, b], 0).unwrap();
    let i = c.metric_names.iter().position(|m| m == "answered_share").unwrap();
    let paired = c.differences[0].total[i].half_width().unwrap();
    let k = c.summaries[0].metric("answered_share").unwrap();
    let (h0, h1) = (
        c.summaries[0].total[k].half_width().unwrap(),
        c.summaries[1].total[k].half_width().unwrap(),
    );
    let independent = (h0 * h0 + h1 * h1).sqrt();
    eprintln!("paired half-width {paired:.5}, independent {independent:.5}");
    assert!(paired < independent / 3.0);
    // One more nurse in the calm region helps.
    assert!(c.differences[0].total[i].mean.unwrap() > 0.0);
    // Both scenarios saw exactly the same callers.
    let o = c.metric_names.iter().position(|m| m == "offered").unwrap();
    assert_eq!(c.differences[0].total[o].mean, Some(0.0));
}

#[test]
fn conservation_holds_with_redials_blocking_and_breaks() {
    let text = base(
        "redial = { probability = 0.5, delay = { dist = \"gamma\", mean = \"5m\", cv = 0.5 } }\noverload = { max_queue = 20, max_wait = \"30m\" }\nshrinkage = 0.2\nabsence = 0.1\ndaily_variation = 0.2",
        "",
    )
    .replace("nurses = 24", "nurses = 20");
    let s = scenario(&text);
    let model = Model::compile(&s);
    for rep in 0..3 {
        let t = simulate(&model, s.seed, rep);
        let c = &t.calls[0];
        assert_eq!(c.offered, c.answered + c.abandoned + c.blocked + c.still_waiting);
        assert!(c.blocked > 0 && c.offered > c.unique_callers && c.callers_answered <= c.unique_callers);
    }
}

/// `met_in = q`: "met in q of the periods". The verdict then judges the share
/// of periods met, not the estimate, so it flips between a required share
/// below and above the share the run reached.
#[test]
fn met_in_judges_the_share_of_periods_met() {
    let target = |bound: f64, met_in: &str| {
        format!("[[target]]\nmetric = \"answered_within\"\nwithin = \"5m\"\nat_least = {bound}\nper = \"day\"\n{met_in}\n")
    };
    // First the daily level itself, so that some days meet it and others do not.
    let plain = summarize(&base(&target(0.5, ""), ""));
    let level = plain.targets[0].estimate.mean.unwrap();
    let s = summarize(&base(&target(level, ""), ""));
    let reached = s.targets[0].share_of_periods_met.unwrap();
    assert!(
        0.2 < reached && reached < 0.8,
        "days should straddle their own mean level: {reached}"
    );
    assert_eq!(s.targets[0].met_in, None);
    for (q, met) in [(reached / 2.0, true), ((1.0 + reached) / 2.0, false)] {
        let s = summarize(&base(&target(level, &format!("met_in = {q}")), ""));
        let t = &s.targets[0];
        assert_eq!(t.share_of_periods_met, Some(reached), "met_in must not change what is counted");
        assert_eq!(t.met, Some(met), "met_in = {q}, {reached} of days met");
        assert_eq!(t.met_in, Some(q));
    }
    // Out of range: refused with its place.
    let e = nursequeue::scenario::load_str("t.toml", &base(&target(0.5, "met_in = 1.5"), ""), &[])
        .expect_err("met_in above 1")
        .to_string();
    assert!(e.contains("t.toml:") && e.contains("met_in"), "{e}");
}

/// `of = "answered"`: a service level over answered calls. Judged over the
/// horizon it is exactly the summary's `answered_within_T_of_answered`, and it
/// is higher than the same level over offered calls when callers hang up.
#[test]
fn a_service_level_over_answered_calls() {
    let target = |of: &str| format!("[[target]]\nmetric = \"answered_within\"\nwithin = \"3m\"\nat_least = 0.5\n{of}\n");
    let s = summarize(&base(&format!("{}{}", target("of = \"answered\""), target("")), ""));
    let (answered, offered) = (&s.targets[0], &s.targets[1]);
    assert_eq!(answered.metric, "answered_within_3m_of_answered");
    assert_eq!(offered.metric, "answered_within_3m");
    let summary = mean(&s, &s.total, "answered_within_3m_of_answered");
    assert!(
        (answered.estimate.mean.unwrap() - summary).abs() < 1e-12,
        "{answered:?} vs {summary}"
    );
    assert!(answered.estimate.mean.unwrap() > offered.estimate.mean.unwrap() + 0.01);
    for (of, says) in [("of = \"callers\"", "unknown denominator"), ("", "")] {
        let text = base(&format!("[[target]]\nmetric = \"answered_share\"\nat_least = 0.5\n{of}\n"), "");
        let r = nursequeue::scenario::load_str("t.toml", &text, &[]);
        if of.is_empty() {
            assert!(r.is_ok());
        } else {
            let e = r.expect_err("`of` on answered_share").to_string();
            assert!(e.contains("only applies") || e.contains(says), "{e}");
        }
    }
}

/// The inverse of a target: the level reached in the required share of
/// periods. Used as the bound, that level is met in that share of periods;
/// a bound a little stricter is not.
#[test]
fn the_level_reached_in_the_required_share_of_periods() {
    let target = |metric: &str, bound: &str| format!("[[target]]\n{metric}\n{bound}\nper = \"day\"\nmet_in = 0.8\n");
    for (metric, bound, stricter) in [
        ("metric = \"answered_within\"\nwithin = \"5m\"", "at_least", 0.002),
        ("metric = \"mean_wait\"", "at_most", -0.002),
    ] {
        let first = if bound == "at_least" {
            "at_least = 0.5"
        } else {
            "at_most = \"5m\""
        };
        let s = summarize(&base(&target(metric, first), ""));
        let reached = s.targets[0].reached.expect("a level over judged days");
        assert_eq!(reached.share, 0.8);
        let as_bound = |level: f64| {
            let value = if bound == "at_least" {
                format!("{level}")
            } else {
                format!("\"{}ms\"", (level * 60_000.0).ceil())
            };
            summarize(&base(&target(metric, &format!("{bound} = {value}")), "")).targets[0].clone()
        };
        let at = as_bound(reached.level);
        assert_eq!(
            at.met,
            Some(true),
            "{bound}: the reached level {} must be met in 80 % of days: {:?}",
            reached.level,
            at.share_of_periods_met
        );
        let stricter = as_bound(reached.level + stricter);
        assert_eq!(
            stricter.met,
            Some(false),
            "{bound}: a stricter bound must miss: {:?}",
            stricter.share_of_periods_met
        );
    }
}
