//! `erlang`: Erlang C / Erlang A figures of one stationary queue, from the
//! exact formulas (no simulation).

use super::args::{ErlangArgs, Format};
use super::failure::{invalid, out, Failure};
use crate::calendar::{parse_duration, MINUTE};
use crate::erlang::Queue;
use crate::output;

/// A duration flag in minutes.
fn minutes(flag: &str, text: &str) -> Result<f64, Failure> {
    parse_duration(text)
        .map(|t| t as f64 / MINUTE as f64)
        .map_err(|e| invalid(format!("--{flag}: {e}")))
}

/// `--nurses`: one number or a range `LOW..HIGH` (inclusive).
fn nurse_range(text: &str) -> Result<Vec<u32>, Failure> {
    let bad = || invalid(format!("--nurses `{text}`: give a number such as 13 or a range such as 10..16"));
    let (lo, hi) = match text.split_once("..") {
        Some((a, b)) => (
            a.trim().parse::<u32>().map_err(|_| bad())?,
            b.trim().trim_start_matches('=').parse::<u32>().map_err(|_| bad())?,
        ),
        None => {
            let n = text.trim().parse::<u32>().map_err(|_| bad())?;
            (n, n)
        }
    };
    if lo == 0 || hi < lo || hi > 100_000 {
        return Err(bad());
    }
    Ok((lo..=hi).collect())
}

/// `erlang`: the analytic figures of one stationary queue, for one number
/// of nurses or a table of them.
pub(super) fn erlang(args: ErlangArgs) -> Result<(), Failure> {
    let per = minutes("per", &args.per)?;
    if !(args.calls.is_finite() && args.calls > 0.0) || per <= 0.0 {
        return Err(invalid("--calls and --per must be positive"));
    }
    let handle = minutes("handle-time", &args.handle_time)?;
    if handle <= 0.0 {
        return Err(invalid("--handle-time must be longer than zero"));
    }
    let theta = abandon_rate(&args.patience)?;
    let within: Vec<(String, f64)> = args
        .within
        .iter()
        .map(|w| Ok((w.trim().to_string(), minutes("within", w)?)))
        .collect::<Result<_, Failure>>()?;
    let lambda = args.calls / per;
    check_erlang_range(lambda * handle, theta * handle)?;
    let nurses = nurse_range(&args.nurses)?;
    check_table_size(nurses.len(), lambda, handle)?;
    let rows: Vec<output::erlang::ErlangRow> = nurses
        .into_iter()
        .map(|n| {
            output::erlang::ErlangRow::new(
                Queue {
                    lambda,
                    mu: 1.0 / handle,
                    theta,
                    n,
                },
                &within,
            )
        })
        .collect();
    match args.format {
        Format::Json => out(&(output::erlang::json(&rows) + "\n")),
        Format::Text => out(&output::erlang::text(lambda, handle, theta, &within, &rows)),
    }
}

/// The rate at which waiting callers hang up (per minute) from `--patience`:
/// zero for `none` (Erlang C).
fn abandon_rate(patience: &str) -> Result<f64, Failure> {
    if patience == "none" {
        return Ok(0.0);
    }
    let p = minutes("patience", patience)?;
    if p <= 0.0 {
        return Err(invalid("--patience must be longer than zero, or none"));
    }
    Ok(1.0 / p)
}

/// Refuses a staffing table that would take minutes to compute.
fn check_table_size(rows: usize, lambda: f64, handle: f64) -> Result<(), Failure> {
    if rows as f64 * lambda * handle > ERLANG_TABLE_WORK {
        let load = lambda * handle;
        return Err(invalid(format!(
            "{} rows at an offered load of {:.0} Erlang would take minutes\n  = help: ask --nurses for a narrower range around the load (e.g. {}..{})",
            rows,
            load,
            load.floor(),
            (load * 1.2).ceil()
        )));
    }
    Ok(())
}

/// The offered loads and patience ratios the exact formulas compute in a
/// moment and to full precision; beyond them the sums run for a very long
/// time or lose every digit.
const ERLANG_LOAD: (f64, f64) = (1e-6, 1e3);
/// Rows × offered load a staffing table may ask for (the cost of a row grows with the load).
const ERLANG_TABLE_WORK: f64 = 1e5;
const ERLANG_PATIENCE_RATIO: (f64, f64) = (1e-6, 1e6);

/// Refuses queues outside the range the exact formulas handle.
fn check_erlang_range(load: f64, patience_ratio: f64) -> Result<(), Failure> {
    if !(ERLANG_LOAD.0..=ERLANG_LOAD.1).contains(&load) {
        return Err(invalid(format!(
            "an offered load of {load:.3e} Erlang (calls per minute × handle time in minutes) is outside {:.0e}–{:.0e}, the range `erlang` computes exactly\n  = help: check --calls, --per and --handle-time; for larger systems, simulate with `nursequeue run`",
            ERLANG_LOAD.0, ERLANG_LOAD.1
        )));
    }
    if patience_ratio > 0.0 && !(ERLANG_PATIENCE_RATIO.0..=ERLANG_PATIENCE_RATIO.1).contains(&patience_ratio) {
        return Err(invalid(format!(
            "handle time / patience = {patience_ratio:.3e} is outside {:.0e}–{:.0e}, the range `erlang` computes exactly\n  = help: check --handle-time and --patience (or use --patience none)",
            ERLANG_PATIENCE_RATIO.0, ERLANG_PATIENCE_RATIO.1
        )));
    }
    Ok(())
}
