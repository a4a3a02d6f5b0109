//! The paths the sweep module uses for outputs; everything here lives in
//! [`crate::output`] now.

pub use crate::output::io::write_atomic;
pub use crate::output::slug;
pub use crate::output::text::{align, target_words, TargetWords};

use crate::experiment::Summary;

/// The JSON summary (with its run block) as a tree.
pub fn summary_json(s: &Summary) -> serde_json::Value {
    crate::output::json::summary_value(s)
}
