//! 6.824's `Persister`: Raft state bytes plus snapshot bytes that survive a
//! crash. It lives outside every node (in the harness), so killing a node's
//! tasks does not touch it.
//!
//! As in 6.824's config, a restart hands the new server a *copy*
//! (`Persister::copy`), so that anything the old incarnation might still do to
//! its own handle cannot reach the new one.
//!
//! Every save is surrounded by the crash points `persist.before` and
//! `persist.after` ([`crate::crash_point`]), outside the lock: a node that
//! crashes there leaves the persister usable for its next incarnation.

use std::sync::{Arc, Mutex};

use crate::crash_point::crash_point;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Persisted {
    /// In immutable pieces, concatenated on reading: a server that saves a
    /// long log after every change can share the unchanged pieces with its
    /// previous save instead of copying them (see `save_raft_state_pieces`).
    raft_state: Vec<Arc<[u8]>>,
    snapshot: Vec<u8>,
}

/// Durable bytes of one server. Clones share the same storage.
#[derive(Clone, Debug, Default)]
pub struct Persister {
    inner: Arc<Mutex<Persisted>>,
}

impl Persister {
    pub fn new() -> Self {
        Persister::default()
    }

    /// A new persister holding a copy of this one's state.
    pub fn copy(&self) -> Persister {
        let state = self.inner.lock().unwrap().clone();
        Persister {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    pub fn save_raft_state(&self, state: Vec<u8>) {
        crash_point("persist.before");
        self.inner.lock().unwrap().raft_state = vec![state.into()];
        crash_point("persist.after");
    }

    /// Saves the state whose bytes are these pieces, concatenated. The
    /// pieces are kept as they are: a caller may hand the same pieces to
    /// every save and copy only what changed.
    pub fn save_raft_state_pieces(&self, pieces: Vec<Arc<[u8]>>) {
        crash_point("persist.before");
        self.inner.lock().unwrap().raft_state = pieces;
        crash_point("persist.after");
    }

    /// The saved state as the pieces it was saved in (cheap: the pieces
    /// are shared, not copied).
    pub fn read_raft_state_pieces(&self) -> Vec<Arc<[u8]>> {
        self.inner.lock().unwrap().raft_state.clone()
    }

    pub fn read_raft_state(&self) -> Vec<u8> {
        self.inner.lock().unwrap().raft_state.concat()
    }

    pub fn raft_state_size(&self) -> usize {
        let inner = self.inner.lock().unwrap();
        inner.raft_state.iter().map(|piece| piece.len()).sum()
    }

    /// Saves both in one atomic step, so a crash never separates them.
    pub fn save_state_and_snapshot(&self, state: Vec<u8>, snapshot: Vec<u8>) {
        crash_point("persist.before");
        {
            let mut inner = self.inner.lock().unwrap();
            inner.raft_state = vec![state.into()];
            inner.snapshot = snapshot;
        }
        crash_point("persist.after");
    }

    pub fn read_snapshot(&self) -> Vec<u8> {
        self.inner.lock().unwrap().snapshot.clone()
    }

    pub fn snapshot_size(&self) -> usize {
        self.inner.lock().unwrap().snapshot.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_is_independent() {
        let a = Persister::new();
        a.save_raft_state(vec![1, 2, 3]);
        let b = a.copy();
        a.save_raft_state(vec![9]);
        assert_eq!(b.read_raft_state(), vec![1, 2, 3]);
        assert_eq!(a.read_raft_state(), vec![9]);
        a.save_raft_state_pieces(vec![vec![1, 2].into(), Vec::new().into(), vec![3].into()]);
        assert_eq!(a.read_raft_state(), vec![1, 2, 3]);
        assert_eq!(a.raft_state_size(), 3);
        let shared = a.clone();
        shared.save_state_and_snapshot(vec![4], vec![5, 6]);
        assert_eq!(a.read_raft_state(), vec![4]);
        assert_eq!(a.snapshot_size(), 2);
        assert_eq!(b.snapshot_size(), 0);
    }
}
