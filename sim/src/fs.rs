//! A shared simulated filesystem, visible to every node like GFS or NFS.
//!
//! Why our own: madsim's fs is per node, has no rename, and keeps unsynced
//! data across a kill. Here (a madsim plugin, one per run):
//! - every node sees the same files;
//! - a write is visible at once, but durable only after `sync_all`; a crash of
//!   the writing node reverts each file it dirtied to its last synced content,
//!   or removes it if it was never synced;
//! - `rename` is atomic and durable (a journaled metadata operation) and moves
//!   a file with its synced and unsynced parts: rename without sync, then a
//!   crash, loses the content, as on a real disk;
//! - bad paths and missing files are `io::Error`s, never panics.
//!
//! Every operation first waits `OP_LATENCY` of virtual time (a networked
//! disk is not free, and madsim cannot sleep less than 1 ms), so a crash or
//! another task can come between any two operations.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use madsim::plugin::{self, Simulator};
use madsim::rand::GlobalRng;
use madsim::task::NodeId;
use madsim::time::TimeHandle;

#[derive(Clone, Debug)]
struct FileEntry {
    /// What readers see.
    current: Vec<u8>,
    /// What survives a crash of `dirty_by`; None if never synced.
    durable: Option<Vec<u8>>,
    /// The node whose unsynced writes `current` holds.
    dirty_by: Option<NodeId>,
}

/// The filesystem of one run (a madsim plugin).
pub struct SharedFs {
    files: Mutex<BTreeMap<String, FileEntry>>,
}

impl Simulator for SharedFs {
    fn new(_rand: &GlobalRng, _time: &TimeHandle, _config: &madsim::Config) -> Self {
        SharedFs {
            files: Mutex::new(BTreeMap::new()),
        }
    }

    fn reset_node(&self, id: NodeId) {
        let mut files = self.files.lock().unwrap();
        files.retain(|_, f| {
            if f.dirty_by != Some(id) {
                return true;
            }
            match f.durable.take() {
                Some(durable) => {
                    f.current = durable.clone();
                    f.durable = Some(durable);
                    f.dirty_by = None;
                    true
                }
                None => false,
            }
        });
    }
}

/// Makes the writes of node `id` durable (its process exits normally; the
/// operating system keeps what it wrote).
pub(crate) fn keep_writes_of(id: NodeId) {
    let fs = fs();
    let mut files = fs.files.lock().unwrap();
    for f in files.values_mut().filter(|f| f.dirty_by == Some(id)) {
        f.durable = Some(f.current.clone());
        f.dirty_by = None;
    }
}

fn fs() -> Arc<SharedFs> {
    plugin::simulator::<SharedFs>()
}

/// A path is `/`-separated, non-empty components, none `.` or `..`, no NUL.
fn check_path(path: &str) -> io::Result<()> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    let ok = !trimmed.is_empty()
        && !path.contains('\0')
        && trimmed
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid path {path:?}"),
        ))
    }
}

fn not_found(path: &str) -> io::Error {
    io::Error::new(io::ErrorKind::NotFound, format!("no such file {path:?}"))
}

/// Virtual time every filesystem operation takes.
pub const OP_LATENCY: std::time::Duration = std::time::Duration::from_millis(1);

async fn yield_point() {
    madsim::time::sleep(OP_LATENCY).await;
}

/// An open file, for appending.
#[derive(Debug)]
pub struct File {
    path: String,
}

/// Creates (or truncates) `path` for writing.
pub async fn create(path: &str) -> io::Result<File> {
    check_path(path)?;
    yield_point().await;
    let node = plugin::node();
    let fs = fs();
    let mut files = fs.files.lock().unwrap();
    let entry = files.entry(path.to_string()).or_insert(FileEntry {
        current: Vec::new(),
        durable: None,
        dirty_by: None,
    });
    entry.current.clear();
    entry.dirty_by = Some(node);
    Ok(File {
        path: path.to_string(),
    })
}

impl File {
    /// Appends `data`. Visible to readers at once, durable after `sync_all`.
    pub async fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        yield_point().await;
        let node = plugin::node();
        let fs = fs();
        let mut files = fs.files.lock().unwrap();
        // The file may have been renamed or removed under us.
        let entry = files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        entry.current.extend_from_slice(data);
        entry.dirty_by = Some(node);
        Ok(())
    }

    /// Makes everything written so far durable. Its crash point,
    /// `fs.sync.before`, is a file written but not yet durable.
    pub async fn sync_all(&mut self) -> io::Result<()> {
        yield_point().await;
        crate::crash_point("fs.sync.before");
        let fs = fs();
        let mut files = fs.files.lock().unwrap();
        let entry = files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        entry.durable = Some(entry.current.clone());
        entry.dirty_by = None;
        Ok(())
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Writes `data` to a temporary name, syncs it, and renames it to `path`:
/// the file appears whole or not at all, even across a crash.
pub async fn write_atomic(path: &str, data: &[u8]) -> io::Result<()> {
    check_path(path)?;
    let temp = format!("{path}.tmp-{}", plugin::node());
    let mut file = create(&temp).await?;
    file.write_all(data).await?;
    file.sync_all().await?;
    rename(&temp, path).await
}

/// The current content of `path`.
pub async fn read(path: &str) -> io::Result<Vec<u8>> {
    check_path(path)?;
    yield_point().await;
    let fs = fs();
    let files = fs.files.lock().unwrap();
    files
        .get(path)
        .map(|f| f.current.clone())
        .ok_or_else(|| not_found(path))
}

/// Atomically renames `from` to `to`, replacing `to` if it exists. Its
/// crash point, `fs.rename.before`, is a file complete under its temporary
/// name but not yet in place.
pub async fn rename(from: &str, to: &str) -> io::Result<()> {
    check_path(from)?;
    check_path(to)?;
    yield_point().await;
    crate::crash_point("fs.rename.before");
    let fs = fs();
    let mut files = fs.files.lock().unwrap();
    let entry = files.remove(from).ok_or_else(|| not_found(from))?;
    files.insert(to.to_string(), entry);
    Ok(())
}

/// Removes `path`.
pub async fn remove(path: &str) -> io::Result<()> {
    check_path(path)?;
    yield_point().await;
    let fs = fs();
    let mut files = fs.files.lock().unwrap();
    files
        .remove(path)
        .map(|_| ())
        .ok_or_else(|| not_found(path))
}

/// Whether `path` exists.
pub async fn exists(path: &str) -> io::Result<bool> {
    check_path(path)?;
    yield_point().await;
    Ok(fs().files.lock().unwrap().contains_key(path))
}

/// The names of all files whose path starts with `prefix`, sorted.
pub async fn list(prefix: &str) -> io::Result<Vec<String>> {
    if prefix.contains('\0') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid prefix {prefix:?}"),
        ));
    }
    yield_point().await;
    let fs = fs();
    let files = fs.files.lock().unwrap();
    Ok(files
        .keys()
        .filter(|k| k.starts_with(prefix))
        .cloned()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::check_path;

    #[test]
    fn paths() {
        assert!(check_path("mr-0-1").is_ok());
        assert!(check_path("/data/in.txt").is_ok());
        for bad in ["", "/", "a//b", "a/../b", "./a", "a/", "a\0b"] {
            let err = check_path(bad).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad:?}");
            assert!(err.to_string().contains("invalid path"), "{err}");
        }
    }
}
