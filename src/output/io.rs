//! Writing results: single files atomically, whole sets of files atomically,
//! and standard output in a way that stops quietly when its reader goes away
//! (`nursequeue run … | head`). A leaf module: it knows nothing of results.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` through a temporary file and a rename, so that a
/// reader never sees a half-written file.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    #[cfg(unix)]
    {
        // Temporary files are private; results are ordinary files.
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether a write failed only because the reader closed the pipe.
pub fn is_closed_pipe(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::BrokenPipe
}

/// Writes `text` to standard output and flushes it. A closed pipe is returned
/// as an error of kind `BrokenPipe` (see [`is_closed_pipe`]), never a panic:
/// the caller stops quietly.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Standard output for streamed results: once the reader has gone away
/// (`nursequeue sweep … | head`), further output is discarded instead of
/// failing the work that produces it; [`QuietStdout::closed`] tells whether
/// that happened.
#[derive(Default)]
pub struct QuietStdout {
    closed: bool,
}

impl QuietStdout {
    /// Whether the reader closed the pipe.
    pub fn closed(&self) -> bool {
        self.closed
    }
}

impl Write for QuietStdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !self.closed {
            match std::io::stdout().lock().write_all(buf) {
                Err(e) if is_closed_pipe(&e) => self.closed = true,
                other => other?,
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().lock().flush() {
            Err(e) if is_closed_pipe(&e) => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// Writes `text` to standard error, ignoring a closed standard error.
pub fn eprint(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

/// Why an output folder cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--out {}: {reason}", dir.display())]
pub struct OutDirError {
    /// The folder given with `--out`.
    pub dir: PathBuf,
    /// What is wrong, with a hint.
    pub reason: String,
}

/// A set of output files written together: into a temporary folder beside
/// the target, then moved into place at once by [`OutputSet::commit`]. Until
/// then the target is untouched; if the set is dropped without a commit (an
/// error, Ctrl-C), the temporary folder is removed and nothing was written.
#[derive(Debug)]
pub struct OutputSet {
    target: PathBuf,
    staging: tempfile::TempDir,
}

impl OutputSet {
    /// Checks that `dir` can receive output (it is a folder or can be created,
    /// and files can be written beside it) and prepares the temporary folder.
    /// Call it before simulating, so that a bad `--out` is found at once.
    pub fn begin(dir: &Path) -> Result<OutputSet, OutDirError> {
        let fail = |reason: String| OutDirError {
            dir: dir.to_path_buf(),
            reason,
        };
        if dir.as_os_str().is_empty() {
            return Err(fail("the folder name is empty; give a folder such as --out results".into()));
        }
        match std::fs::metadata(dir) {
            Ok(m) if !m.is_dir() => {
                return Err(fail(
                    "this is a file, not a folder; give a folder (it is created if missing), or move the file away".into(),
                ))
            }
            _ => {}
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| {
            fail(format!(
                "cannot create the folder {} ({e}); choose a folder you can write to",
                parent.display()
            ))
        })?;
        if !parent.is_dir() {
            return Err(fail(format!("{} is not a folder; choose another --out", parent.display())));
        }
        // `--out .` or `--out ..`: stage inside the target itself.
        let staging_parent = if name.is_none() || matches!(name.as_deref(), Some(".") | Some("..")) {
            dir.to_path_buf()
        } else {
            parent
        };
        let staging = tempfile::Builder::new()
            .prefix(".nursequeue-out-")
            .tempdir_in(&staging_parent)
            .map_err(|e| {
                fail(format!(
                    "cannot write into {} ({e}); choose a folder you can write to",
                    staging_parent.display()
                ))
            })?;
        Ok(OutputSet {
            target: dir.to_path_buf(),
            staging,
        })
    }

    /// The folder the set is written into until it is committed.
    pub fn path(&self) -> &Path {
        self.staging.path()
    }

    /// The folder the set will be moved to.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes one file of the set (`name` may contain `/` for a sub-folder).
    pub fn write(&self, name: &str, contents: &[u8]) -> std::io::Result<()> {
        let path = self.staging.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", name)))
    }

    /// Moves the whole set into place. A new target is one rename. An existing
    /// folder is renamed aside, the new set renamed into its place, and files
    /// of the old folder that the new set does not replace are moved back: a
    /// reader sees the old set or the new one, never a mixture. Where a folder
    /// cannot be renamed (`--out .`), files are moved into it one by one.
    pub fn commit(self) -> std::io::Result<()> {
        let staging = self.staging.keep();
        let result = Self::place(&staging, &self.target);
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    fn place(staging: &Path, target: &Path) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(staging, std::fs::Permissions::from_mode(0o755))?;
        }
        if !target.exists() {
            return std::fs::rename(staging, target);
        }
        // A link to a folder is written through, never replaced by a folder.
        let link = std::fs::symlink_metadata(target).is_ok_and(|m| m.file_type().is_symlink());
        let aside = sibling(target, ".nursequeue-old-");
        let renamable = !link && staging.parent() != Some(target) && aside.as_ref().is_some_and(|a| std::fs::rename(target, a).is_ok());
        if !renamable {
            move_into(staging, target)?;
            return std::fs::remove_dir_all(staging);
        }
        let aside = aside.expect("renamed aside");
        if let Err(e) = std::fs::rename(staging, target) {
            let _ = std::fs::rename(&aside, target);
            return Err(e);
        }
        // Keep what the old folder held besides the replaced files.
        for entry in std::fs::read_dir(&aside)?.flatten() {
            let dest = target.join(entry.file_name());
            if !dest.exists() {
                let _ = std::fs::rename(entry.path(), dest);
            }
        }
        std::fs::remove_dir_all(&aside)
    }
}

/// An unused name beside `path` with this prefix.
fn sibling(path: &Path, prefix: &str) -> Option<PathBuf> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name()?.to_string_lossy().into_owned();
    (0..1000)
        .map(|k| parent.join(format!("{prefix}{}-{k}-{name}", std::process::id())))
        .find(|p| !p.exists())
}

/// Moves every entry of `from` into `to`, replacing files and merging folders.
fn move_into(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() && dest.is_dir() {
            move_into(&entry.path(), &dest)?;
        } else {
            if dest.is_dir() {
                std::fs::remove_dir_all(&dest)?;
            }
            std::fs::rename(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_replaces_the_old_files_and_keeps_the_others() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.csv"), "old").unwrap();
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let set = OutputSet::begin(&out).unwrap();
        set.write("a.csv", b"new").unwrap();
        set.write("sub/b.csv", b"b").unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        set.commit().unwrap();
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(out.join("sub/b.csv")).unwrap(), "b");
        assert_eq!(std::fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from("out")], "no temporary folders are left");
    }

    #[test]
    fn a_dropped_set_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("new");
        let set = OutputSet::begin(&out).unwrap();
        set.write("a.csv", b"x").unwrap();
        drop(set);
        assert!(!out.exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_write_leaves_the_target_as_it_was() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("a.csv"), "old").unwrap();
        let set = OutputSet::begin(&out).unwrap();
        set.write("a.csv", b"new").unwrap();
        assert!(set.write(&"x".repeat(300), b"too long a name").is_err());
        drop(set);
        assert_eq!(std::fs::read_to_string(out.join("a.csv")).unwrap(), "old");
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_link_to_a_folder_is_written_through() {
        let root = tempfile::tempdir().unwrap();
        let real = root.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("notes.txt"), "mine").unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let set = OutputSet::begin(&link).unwrap();
        set.write("a.csv", b"new").unwrap();
        set.commit().unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read_to_string(real.join("a.csv")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(real.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn a_file_is_not_a_folder() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f");
        std::fs::write(&file, "x").unwrap();
        let e = OutputSet::begin(&file).unwrap_err();
        assert!(e.to_string().contains("is a file"), "{e}");
        let e = OutputSet::begin(&file.join("below")).unwrap_err();
        assert!(e.to_string().contains("cannot create"), "{e}");
    }
}
