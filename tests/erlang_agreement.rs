//! The simulator against exact theory for one stationary region (Erlang A,
//! M/M/n+M) and for pooled and separated regions. Tolerances come from the
//! confidence intervals over replications, never from hand-picked margins.

mod common;
use common::*;
use nursequeue::erlang::Queue;

fn check_against_erlang_a(label: &str, lambda: f64, handle: f64, patience: f64, n: u32, horizon: &str, reps: u32) {
    let s = summarize(&stationary(lambda, handle, Some(patience), n, horizon, reps));
    let q = Queue {
        lambda,
        mu: 1.0 / handle,
        theta: 1.0 / patience,
        n,
    };
    let r = &s.regions[0];
    let metric = |m: &str| estimate(r, &s, m);
    assert_agrees(
        &format!("{label}: answered_share"),
        metric("answered_share"),
        1.0 - q.p_abandon(),
        2.0,
    );
    assert_agrees(&format!("{label}: abandoned_share"), metric("abandoned_share"), q.p_abandon(), 2.0);
    assert_agrees(
        &format!("{label}: mean_wait_answered"),
        metric("mean_wait_answered"),
        q.mean_wait_answered(),
        2.0,
    );
    assert_agrees(&format!("{label}: mean_wait_all"), metric("mean_wait_all"), q.mean_wait_all(), 2.0);
    assert_agrees(
        &format!("{label}: answered_within_5m"),
        metric("answered_within_5m"),
        q.answered_within(5.0),
        2.0,
    );
    assert_agrees(
        &format!("{label}: answered_within_5m_of_answered"),
        metric("answered_within_5m_of_answered"),
        q.answered_within_of_answered(5.0),
        2.0,
    );
    assert_agrees(&format!("{label}: occupancy"), metric("occupancy"), q.occupancy(), 2.0);
}

#[test]
fn light_load() {
    // R = 10 Erlang on 14 nurses (ρ = 0.71).
    check_against_erlang_a("light load", 1.0, 10.0, 15.0, 14, "3w", 40);
}

#[test]
fn near_critical_load() {
    // R = 24 Erlang on 24 nurses (ρ = 1).
    check_against_erlang_a("rho = 1", 2.0, 12.0, 8.0, 24, "2w", 40);
}

#[test]
fn overload() {
    // R = 24 Erlang on 18 nurses (ρ = 1.33): only abandonment keeps the queue finite.
    check_against_erlang_a("overload", 2.0, 12.0, 8.0, 18, "2w", 40);
}

#[test]
fn one_nurse() {
    // R = 0.8 Erlang on a single nurse.
    check_against_erlang_a("one nurse", 0.08, 10.0, 5.0, 1, "12w", 40);
}

#[test]
fn erlang_c_without_abandonment() {
    let s = summarize(&stationary(1.0, 10.0, None, 12, "3w", 40));
    let q = Queue {
        lambda: 1.0,
        mu: 0.1,
        theta: 0.0,
        n: 12,
    };
    let r = &s.regions[0];
    assert_agrees(
        "Erlang C: mean_wait_answered",
        estimate(r, &s, "mean_wait_answered"),
        q.mean_wait_answered(),
        2.0,
    );
    assert_agrees(
        "Erlang C: answered_within_5m_of_answered",
        estimate(r, &s, "answered_within_5m_of_answered"),
        q.answered_within_of_answered(5.0),
        2.0,
    );
    assert_eq!(estimate(r, &s, "abandoned").mean, Some(0.0));
}

/// Three regions of different size; `members` and `overflow_after` vary.
fn three_regions(overflow_after: &str, nurse_order: &str) -> String {
    format!(
        r#"
start = "2024-03-04"
horizon = "2w"
warmup = "1d"
replications = 40
seed = 7
[defaults]
handle_time = {{ dist = "exponential", mean = "10m" }}
patience = {{ dist = "exponential", mean = "12m" }}
[[region]]
name = "Jönköping"
calls_per_day = 864
shifts = [{{ from = "00:00", to = "24:00", nurses = 7 }}]
[[region]]
name = "Örebro"
calls_per_day = 1440
shifts = [{{ from = "00:00", to = "24:00", nurses = 10 }}]
[[region]]
name = "Östergötland"
calls_per_day = 576
shifts = [{{ from = "00:00", to = "24:00", nurses = 5 }}]
[[agreement]]
name = "cluster"
members = ["Jönköping", "Örebro", "Östergötland"]
hours = "always"
overflow_after = "{overflow_after}"
nurse_order = "{nurse_order}"
"#
    )
}

#[test]
fn pooling_with_zero_overflow_is_one_erlang_a_queue() {
    // 0.6 + 1.0 + 0.4 = 2 calls a minute, 7 + 10 + 5 = 22 nurses, R = 20 Erlang.
    let pooled = Queue {
        lambda: 2.0,
        mu: 0.1,
        theta: 1.0 / 12.0,
        n: 22,
    };
    // oldest-first with a zero delay is one first-come first-served queue: every
    // figure, waiting times included, is the Erlang A queue's.
    let s = summarize(&three_regions("0m", "oldest-first"));
    let t = &s.total;
    assert_agrees(
        "pooled FCFS: answered_share",
        estimate(t, &s, "answered_share"),
        1.0 - pooled.p_abandon(),
        2.0,
    );
    assert_agrees(
        "pooled FCFS: mean_wait_answered",
        estimate(t, &s, "mean_wait_answered"),
        pooled.mean_wait_answered(),
        2.0,
    );
    assert_agrees(
        "pooled FCFS: answered_within_5m",
        estimate(t, &s, "answered_within_5m"),
        pooled.answered_within(5.0),
        2.0,
    );
    assert_agrees("pooled FCFS: occupancy", estimate(t, &s, "occupancy"), pooled.occupancy(), 2.0);
    // Each region's callers see the same pooled queue.
    for (name, values) in s.region_names.iter().zip(&s.regions) {
        assert_agrees(
            &format!("pooled FCFS, {name}: abandoned_share"),
            estimate(values, &s, "abandoned_share"),
            pooled.p_abandon(),
            2.0,
        );
    }
    // own-first changes who waits, not how many: the number in the system is the
    // same birth–death chain, so answered/abandoned shares and the mean wait of
    // all callers (Little's law) are still the pooled queue's.
    let own = summarize(&three_regions("0m", "own-first"));
    let t = &own.total;
    assert_agrees(
        "pooled own-first: abandoned_share",
        estimate(t, &own, "abandoned_share"),
        pooled.p_abandon(),
        2.0,
    );
    assert_agrees(
        "pooled own-first: mean_wait_all",
        estimate(t, &own, "mean_wait_all"),
        pooled.mean_wait_all(),
        2.0,
    );
    // …and the same as one region with the summed calls and nurses.
    let single = summarize(&stationary(2.0, 10.0, Some(12.0), 22, "2w", 40));
    let (a, b) = (
        estimate(&s.total, &s, "abandoned_share"),
        estimate(&single.regions[0], &single, "abandoned_share"),
    );
    let diff = (a.mean.unwrap() - b.mean.unwrap()).abs();
    let combined = (a.half_width().unwrap().powi(2) + b.half_width().unwrap().powi(2)).sqrt();
    eprintln!(
        "pooled vs one summed region: abandoned_share differ by {:.2} combined half-widths",
        diff / combined
    );
    assert!(diff <= 2.0 * combined);
}

#[test]
fn overflow_longer_than_any_patience_is_separate_regions() {
    // Patience is exponential with mean 12 minutes: P(patience > 10 h) = e^-50.
    let s = summarize(&three_regions("10h", "own-first"));
    for (name, (lambda, n)) in [("Jönköping", (0.6, 7)), ("Örebro", (1.0, 10)), ("Östergötland", (0.4, 5))] {
        let q = Queue {
            lambda,
            mu: 0.1,
            theta: 1.0 / 12.0,
            n,
        };
        let r = s.region(name).unwrap();
        assert_agrees(
            &format!("separate, {name}: abandoned_share"),
            estimate(r, &s, "abandoned_share"),
            q.p_abandon(),
            2.0,
        );
        assert_agrees(
            &format!("separate, {name}: mean_wait_answered"),
            estimate(r, &s, "mean_wait_answered"),
            q.mean_wait_answered(),
            2.0,
        );
        assert_agrees(
            &format!("separate, {name}: answered_within_5m"),
            estimate(r, &s, "answered_within_5m"),
            q.answered_within(5.0),
            2.0,
        );
        assert_eq!(
            estimate(r, &s, "answered_by_others").mean,
            Some(0.0),
            "{name}: no call may cross regions"
        );
    }
}
