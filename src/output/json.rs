//! The JSON documents: `summary.json` (and `run --format json`), and
//! `comparison.json` (and `compare --format json`), serialized straight from
//! the typed results.

use crate::experiment::{Comparison, Summary};

fn pretty<T: serde::Serialize>(value: &T) -> String {
    // Serializing these types into memory cannot fail: keys are strings and
    // non-finite numbers are written as null.
    serde_json::to_string_pretty(value).expect("results serialize to JSON")
}

/// The summary with its run block, pretty-printed, without a final newline.
pub fn summary(s: &Summary) -> String {
    pretty(&s.document())
}

/// The comparison (each summary with its run block, and the differences).
pub fn comparison(c: &Comparison) -> String {
    pretty(c)
}
