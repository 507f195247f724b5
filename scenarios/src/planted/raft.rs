//! Two classic Raft mistakes, each this repository's Raft with one rule of
//! Figure 2 replaced ([`raft::Rules`]); everything else is the real thing.

use raft::{Entry, Log, LogIndex, Rules, Term};

/// The leader commits any entry stored on a majority, including entries of
/// older terms: the unsafe rule that Figure 8 of the paper refutes.
pub type CommitPreviousTermByCounting = raft::Raft<CountAnyTerm>;

/// A follower appends after `prev_log_index` without first deleting the
/// conflicting entries that follow it (Figure 2, AppendEntries step 3).
pub type KeepConflictingEntries = raft::Raft<KeepSuffix>;

/// The rules of [`CommitPreviousTermByCounting`].
pub struct CountAnyTerm;

impl Rules for CountAnyTerm {
    fn may_commit_by_counting(_log: &Log, _index: LogIndex, _current_term: Term) -> bool {
        true
    }
}

/// The rules of [`KeepConflictingEntries`].
pub struct KeepSuffix;

impl Rules for KeepSuffix {
    /// Replaces entries one by one and keeps whatever lies past the
    /// request, even if it came from a deposed leader.
    fn replace_conflicting(
        log: &mut Log,
        _commit_index: LogIndex,
        index: LogIndex,
        entries: &[Entry],
    ) {
        let suffix: Vec<Entry> = log.entries_from(index + entries.len() as LogIndex).to_vec();
        log.truncate_from(index);
        for entry in entries {
            log.append(entry.clone());
        }
        for mut entry in suffix {
            // Keep terms monotonic so the Log type's own assertion does not
            // mask the protocol mistake the scenarios must find.
            entry.term = entry.term.max(log.last_term());
            log.append(entry);
        }
    }
}

/// After applying index 2, this repository's Raft also hands the service a
/// message that is not a command, numbered 2 again: an out-of-order apply
/// that config.go's applier rejects for every message, commands or not.
pub struct MisnumberedNonCommand(raft::Raft);

impl raft_api::Raft for MisnumberedNonCommand {
    async fn make(
        peers: Vec<raft_api::ClientEnd>,
        me: usize,
        persister: raft_api::Persister,
        apply_ch: raft_api::UnboundedSender<raft_api::ApplyMsg>,
    ) -> Self {
        let (inner_tx, mut inner_rx) = tokio::sync::mpsc::unbounded_channel();
        let inner = <raft::Raft as raft_api::Raft>::make(peers, me, persister, inner_tx).await;
        // On this node, like the peer's own tasks: a crash stops it.
        madsim::task::spawn(async move {
            while let Some(message) = inner_rx.recv().await {
                let index = message.command_index;
                if apply_ch.send(message).is_err() {
                    return;
                }
                if index == 2 {
                    let extra = raft_api::ApplyMsg {
                        command_valid: false,
                        command: Vec::new(),
                        command_index: 2,
                    };
                    if apply_ch.send(extra).is_err() {
                        return;
                    }
                }
            }
        });
        MisnumberedNonCommand(inner)
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        raft_api::Raft::start(&self.0, command)
    }

    fn state(&self) -> (Term, bool) {
        raft_api::Raft::state(&self.0)
    }

    fn kill(&self) {
        raft_api::Raft::kill(&self.0)
    }
}

/// A correct Raft that is slow to start: a peer made from an empty
/// Persister (a fresh server, not a restart) first spends 9 s of virtual
/// time before it serves. Each test still passes within its 120 s, but the
/// suite's tests together take far more than the course's 600 s.
pub struct SlowToStart(raft::Raft);

/// How long a fresh [`SlowToStart`] peer waits before it starts.
const SLOW_START: std::time::Duration = std::time::Duration::from_secs(9);

impl raft_api::Raft for SlowToStart {
    async fn make(
        peers: Vec<raft_api::ClientEnd>,
        me: usize,
        persister: raft_api::Persister,
        apply_ch: raft_api::UnboundedSender<raft_api::ApplyMsg>,
    ) -> Self {
        if persister.raft_state_size() == 0 {
            madsim::time::sleep(SLOW_START).await;
        }
        SlowToStart(<raft::Raft as raft_api::Raft>::make(peers, me, persister, apply_ch).await)
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        raft_api::Raft::start(&self.0, command)
    }

    fn state(&self) -> (Term, bool) {
        raft_api::Raft::state(&self.0)
    }

    fn kill(&self) {
        raft_api::Raft::kill(&self.0)
    }
}

/// A follower that, on every AppendEntries whose prevLogIndex matches,
/// deletes everything after prevLogIndex and appends the request's entries
/// (Figure 2 deletes only from the first conflicting entry). Harmless while
/// requests arrive in order; a stale request delivered late (a duplicate,
/// or one overtaken by a newer one) deletes entries the follower already
/// acknowledged, perhaps committed ones.
pub type TruncateOnAnyAppend = raft::Raft<TruncateAlways>;

/// The rules of [`TruncateOnAnyAppend`].
pub struct TruncateAlways;

impl Rules for TruncateAlways {
    fn merge_entries(
        log: &mut Log,
        _commit_index: LogIndex,
        prev_log_index: LogIndex,
        entries: &[Entry],
    ) -> bool {
        if log.last_index() > prev_log_index {
            log.truncate_from(prev_log_index + 1);
        }
        for entry in entries {
            log.append(entry.clone());
        }
        true
    }
}

/// This repository's Raft behind a cache that it saves into; a flusher
/// copies each new state to the real Persister within a millisecond, and
/// copies it the wrong way: it first clears what was saved, then writes the
/// new state (a file truncated, then rewritten, in place). A crash between
/// the two saves loses everything the server ever promised: its term, its
/// vote, every entry it acknowledged. Nothing but a crash point can fall
/// between two saves made in one step; a crash at a random instant loses
/// at most the last millisecond's change.
pub struct WriteBehind(raft::Raft);

/// How long a [`WriteBehind`] save waits in the cache.
const WRITE_BEHIND: std::time::Duration = std::time::Duration::from_millis(1);

impl raft_api::Raft for WriteBehind {
    async fn make(
        peers: Vec<raft_api::ClientEnd>,
        me: usize,
        persister: raft_api::Persister,
        apply_ch: raft_api::UnboundedSender<raft_api::ApplyMsg>,
    ) -> Self {
        let cache = persister.copy();
        let inner = <raft::Raft as raft_api::Raft>::make(peers, me, cache.clone(), apply_ch).await;
        // On this node, like the peer's own tasks: a crash stops it.
        madsim::task::spawn(async move {
            let mut flushed = cache.read_raft_state_pieces();
            loop {
                madsim::time::sleep(WRITE_BEHIND).await;
                let cached = cache.read_raft_state_pieces();
                let same = cached.len() == flushed.len()
                    && cached
                        .iter()
                        .zip(&flushed)
                        .all(|(a, b)| std::sync::Arc::ptr_eq(a, b));
                if !same {
                    persister.save_raft_state(Vec::new());
                    persister.save_raft_state_pieces(cached.clone());
                    flushed = cached;
                }
            }
        });
        WriteBehind(inner)
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        raft_api::Raft::start(&self.0, command)
    }

    fn state(&self) -> (Term, bool) {
        raft_api::Raft::state(&self.0)
    }

    fn kill(&self) {
        raft_api::Raft::kill(&self.0)
    }
}

/// The planted bugs that only the faults beyond labrpc's and the crash
/// points expose, each with the scenarios that must catch it (its swarm,
/// named under its own prefix): for seeds-to-catch measurements (`dst
/// bench`) and the teeth tests (`raft/fault_teeth.rs`).
///
/// - `truncate_on_any_append` ([`TruncateOnAnyAppend`]): needs a stale
///   AppendEntries delivered late (`duplicate_request`, `reorder_request`);
/// - `write_behind` ([`WriteBehind`]): needs a crash between a state change
///   and its save (`crash_point`).
pub fn needing_new_faults() -> Vec<(&'static str, Vec<sim::Scenario>)> {
    let swarm_of = |suite: Vec<sim::Scenario>| -> Vec<sim::Scenario> {
        suite
            .into_iter()
            .filter(|s| s.name.contains("/swarm/"))
            .collect()
    };
    vec![
        (
            "truncate_on_any_append",
            swarm_of(crate::raft::suite::<TruncateOnAnyAppend>(
                "truncate_on_any_append",
            )),
        ),
        (
            "write_behind",
            swarm_of(crate::raft::suite::<WriteBehind>("write_behind")),
        ),
    ]
}
