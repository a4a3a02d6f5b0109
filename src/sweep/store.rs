//! Files of a sweep on disk, and how they are checked.
//!
//! A **point line** is one finished point, self-checking and tied to its plan:
//!
//! ```text
//! {"plan":"<plan id>","sha256":"<checksum>","point":{"index":…,"summary":…,"values":…}}
//! ```
//!
//! The plan id is the SHA-256 of the plan (scenario fingerprint, grid, seed,
//! replications); the checksum is the SHA-256 of the plan id, a newline and the
//! exact bytes of the `point` object. A point file (`points/point-NNNNNN.json`)
//! holds one point line; a part (`part-I-of-N.jsonl`) holds a header line (the
//! plan, the scenario text, the shard), the shard's point lines in index order,
//! and an end line with the number of points and the SHA-256 of every byte
//! before it. Whatever fails these checks — another plan, an edited, truncated
//! or empty file, a point under the wrong file name or index, a point twice —
//! is refused with the file's name and what to do.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use crate::experiment::Summary;

/// A finished point, as its point line holds it (keys in alphabetical order):
/// its index, its summary without the run block, and the value of each
/// varied key.
#[derive(Debug, Serialize, Deserialize)]
pub struct Point {
    /// The point's index in the grid.
    pub index: usize,
    /// The point's results.
    #[serde(serialize_with = "summary_in_key_order")]
    pub summary: Summary,
    /// Varied key → its value at this point (alphabetical by key, as written).
    pub values: BTreeMap<String, String>,
}

fn summary_in_key_order<S: serde::Serializer>(summary: &Summary, s: S) -> Result<S::Ok, S::Error> {
    summary.in_key_order().serialize(s)
}

impl Point {
    /// Point `index` of `plan` with its results.
    pub fn new(plan: &Plan, index: usize, summary: Summary) -> Point {
        Point {
            index,
            summary,
            values: plan.values_map(index),
        }
    }

    /// The point's JSON text, as its point line holds it.
    pub fn to_json(&self) -> String {
        // Keys are strings and non-finite numbers are written as null: this cannot fail.
        serde_json::to_string(self).expect("a point serializes to JSON")
    }
}

/// The longest line read from a point or part file (a point of a large
/// scenario is a few MB): longer lines are refused before they fill memory.
pub const MAX_LINE: u64 = 512 << 20;

pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 of the concatenation of `parts`, in hex.
pub fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    hex(&h.finalize())
}

const HEAD: &str = "{\"plan\":\"";
const MID: &str = "\",\"sha256\":\"";
const TAIL: &str = "\",\"point\":";
const BODY_AT: usize = HEAD.len() + 64 + MID.len() + 64 + TAIL.len();

/// The point line of a point whose JSON text is `body`.
pub fn point_line(plan_id: &str, body: &str) -> String {
    let sum = sha256_hex(&[plan_id.as_bytes(), b"\n", body.as_bytes()]);
    format!("{HEAD}{plan_id}{MID}{sum}{TAIL}{body}}}\n")
}

fn is_hex64(b: &[u8]) -> bool {
    b.len() == 64 && b.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
}

/// Checks a point line's layout, plan and checksum; returns the point's JSON text.
pub fn open_point_line<'a>(line: &'a [u8], plan_id: &str) -> Result<&'a [u8], String> {
    if line.is_empty() {
        return Err("is empty (a write that never finished)".into());
    }
    let Some(line) = line.strip_suffix(b"\n") else {
        return Err("is truncated (no end of line)".into());
    };
    if line.len() < BODY_AT + 3
        || !line.starts_with(HEAD.as_bytes())
        || &line[HEAD.len() + 64..HEAD.len() + 64 + MID.len()] != MID.as_bytes()
        || &line[BODY_AT - TAIL.len()..BODY_AT] != TAIL.as_bytes()
        || !line.ends_with(b"}")
    {
        return Err("is not a point of a nursequeue sweep (or is truncated)".into());
    }
    let id = &line[HEAD.len()..HEAD.len() + 64];
    let sum = &line[HEAD.len() + 64 + MID.len()..BODY_AT - TAIL.len()];
    if !is_hex64(id) || !is_hex64(sum) {
        return Err("is not a point of a nursequeue sweep".into());
    }
    if id != plan_id.as_bytes() {
        return Err("belongs to another sweep (another scenario, grid, seed or replications)".into());
    }
    let body = &line[BODY_AT..line.len() - 1];
    if sha256_hex(&[id, b"\n", body]).as_bytes() != sum {
        return Err("was edited or damaged (its checksum does not match its content)".into());
    }
    Ok(body)
}

/// Reads a point's JSON and checks that it is point `index` of the plan.
pub fn check_point(body: &[u8], plan: &Plan, index: usize) -> Result<Point, String> {
    let point: Point = serde_json::from_slice(body).map_err(|e| format!("is not a valid point: {e}"))?;
    if point.index != index {
        return Err(format!(
            "holds point {} where point {index} belongs (a copied or renamed file)",
            point.index
        ));
    }
    if point.values != plan.values_map(index) {
        return Err(format!("does not hold the values of point {index} of this sweep"));
    }
    Ok(point)
}

/// A plan as its JSON holds it (`sweep-plan.json`, a part's header and
/// `sweep.json`; keys in alphabetical order). Its compact text is hashed into
/// the plan id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlanFile {
    /// Fingerprint of the scenario text and the fixed `--set` flags.
    pub fingerprint: String,
    /// Number of points the grid claims (checked before anything is allocated).
    pub points: u64,
    /// Replications per point.
    pub replications: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The seed of replication 0.
    pub seed: u64,
    /// The varied keys and their values, first varying slowest.
    pub vary: Vec<VaryFile>,
}

/// One varied key and its values, in a [`PlanFile`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VaryFile {
    /// The key, as `--set` takes it.
    pub key: String,
    /// Its values, in order.
    pub values: Vec<String>,
}

/// What a part's first line says its format is.
pub const PART_FORMAT: &str = "nursequeue-sweep-part";
/// The version of the part format this program writes and reads.
pub const PART_VERSION: u32 = 1;

/// The header line of a part (keys in alphabetical order).
#[derive(Debug, Serialize, Deserialize)]
pub struct PartHeader {
    /// [`PART_FORMAT`].
    pub format: String,
    /// The sweep's plan.
    pub plan: PlanFile,
    /// The plan's id (the SHA-256 of its JSON).
    pub plan_id: String,
    /// Points of this shard.
    pub points: u64,
    /// The fixed `--set` flags.
    pub sets: Vec<String>,
    /// `[I, N]`: this part is shard I of N.
    pub shard: [u64; 2],
    /// The scenario text.
    pub source: String,
    /// [`PART_VERSION`].
    pub version: u32,
}

impl PartHeader {
    /// Whether a header line that does not read as a [`PartHeader`] comes
    /// from another version of the part format (rather than being damaged).
    pub fn other_version(line: &[u8]) -> bool {
        #[derive(Deserialize)]
        struct Version {
            format: String,
            version: u64,
        }
        serde_json::from_slice::<Version>(line).is_ok_and(|v| v.format == PART_FORMAT && v.version != PART_VERSION as u64)
    }
}

/// The last line of a part: `{"end":{"points":…,"sha256":…}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct PartEnd {
    /// The count and checksum.
    pub end: PartSum,
}

/// The number of points of a part and the SHA-256 of every byte before its end line.
#[derive(Debug, Serialize, Deserialize)]
pub struct PartSum {
    /// Points in the part.
    pub points: u64,
    /// SHA-256 in hex.
    pub sha256: String,
}

/// The longest header line of a part (the plan and the scenario text).
pub const MAX_HEADER: u64 = 16 << 20;

/// Reads one line (with its `\n`) of at most [`MAX_LINE`] bytes; `None` at the end.
pub fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> Result<Option<()>, String> {
    read_line_within(r, buf, MAX_LINE)
}

/// Reads one line (with its `\n`) of at most `max` bytes; `None` at the end.
pub fn read_line_within(r: &mut impl BufRead, buf: &mut Vec<u8>, max: u64) -> Result<Option<()>, String> {
    buf.clear();
    let n = r
        .by_ref()
        .take(max + 1)
        .read_until(b'\n', buf)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if n == 0 {
        return Ok(None);
    }
    if n as u64 > max {
        return Err(format!("has a line longer than {} MB", max >> 20));
    }
    Ok(Some(()))
}

/// Reads a whole small file (a point file), refusing anything absurdly large.
pub fn read_small(path: &Path) -> Result<Vec<u8>, String> {
    let f = File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut buf = vec![];
    f.take(MAX_LINE + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if buf.len() as u64 > MAX_LINE {
        return Err(format!("is larger than {} MB", MAX_LINE >> 20));
    }
    Ok(buf)
}

pub fn point_file(points_dir: &Path, i: usize) -> PathBuf {
    points_dir.join(format!("point-{i:06}.json"))
}

/// The index in a point file name `point-NNNNNN.json`.
pub fn point_file_index(name: &str) -> Option<usize> {
    let digits = name.strip_prefix("point-")?.strip_suffix(".json")?;
    (digits.len() >= 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

pub fn part_name(shard: (usize, usize)) -> String {
    format!("part-{}-of-{}.jsonl", shard.0, shard.1)
}

/// An advisory lock on a sweep's folder, held until dropped (or the process
/// ends, however it ends: the operating system releases it).
pub struct FolderLock {
    _file: File,
}

pub const LOCK_FILE: &str = ".sweep.lock";

/// Takes the lock of `dir`, or says who holds it.
pub fn lock_folder(dir: &Path) -> Result<FolderLock, String> {
    let path = dir.join(LOCK_FILE);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("cannot create the lock {}: {e}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = File::open(&path).and_then(|mut f| f.read_to_string(&mut holder));
            let holder = holder.trim();
            return Err(format!(
                "another sweep is writing into {} ({}): two sweeps cannot share a folder.\n  = help: wait for it to finish or stop it, or choose another --out folder. If no sweep is running (a stale lock on a network file system), delete {}",
                dir.display(),
                if holder.is_empty() { "lock held".to_string() } else { holder.to_string() },
                path.display()
            ));
        }
        Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {
            eprintln!(
                "warning: {} does not support file locks; make sure no other sweep writes into it",
                dir.display()
            );
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(format!("cannot lock {}: {e}", path.display())),
    }
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let _ = file.set_len(0);
    let _ = writeln!(file, "process {} since {} (Unix time)", std::process::id(), since);
    Ok(FolderLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_line_checks_itself() {
        let id = sha256_hex(&[b"plan"]);
        let line = point_line(&id, r#"{"index":3,"summary":{},"values":{}}"#);
        assert_eq!(
            open_point_line(line.as_bytes(), &id).unwrap(),
            br#"{"index":3,"summary":{},"values":{}}"#
        );
        let edited = line.replace("\"index\":3", "\"index\":4");
        assert!(open_point_line(edited.as_bytes(), &id).unwrap_err().contains("edited"));
        let other = sha256_hex(&[b"other plan"]);
        assert!(open_point_line(line.as_bytes(), &other).unwrap_err().contains("another sweep"));
        assert!(open_point_line(b"", &id).unwrap_err().contains("empty"));
        assert!(open_point_line(&line.as_bytes()[..line.len() - 5], &id).is_err());
        assert_eq!(point_file_index("point-000012.json"), Some(12));
        assert_eq!(point_file_index("point-12.json"), None);
        assert_eq!(point_file_index("point-000012 (copy).json"), None);
    }
}
