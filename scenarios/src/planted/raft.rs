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
