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
