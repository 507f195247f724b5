//! The rules of Figure 2 whose subtle versions are the classic ways to get
//! Raft wrong, as a trait: [`Core`](super::Core) is generic over it, so
//! a variant (a test's deliberately wrong Raft) replaces one rule and keeps
//! everything else, without any switch in this crate. [`Figure2`] is the
//! protocol; nothing in this crate uses another.

use super::log::Log;
use super::messages::{Entry, LogIndex, Term};

pub trait Rules: Send + Sync + 'static {
    /// §5.4.2 (the commitment rule): whether a leader of `current_term` may
    /// set commitIndex to `index`, now stored on a majority. Only entries of
    /// the leader's own term commit by counting replicas; older ones commit
    /// indirectly, by Log Matching (counting them is unsafe: Figure 8).
    fn may_commit_by_counting(log: &Log, index: LogIndex, current_term: Term) -> bool {
        log.term_at(index) == Some(current_term)
    }

    /// AppendEntries receiver, steps 3 and 4, for a request whose
    /// prevLogIndex matched: `entries` belong at `prev_log_index + 1` on.
    /// An entry already present with the same term is kept, so a delayed
    /// or duplicated request never truncates entries a later one appended;
    /// from the first conflict on, [`Rules::replace_conflicting`]. Returns
    /// whether the log changed.
    fn merge_entries(
        log: &mut Log,
        commit_index: LogIndex,
        prev_log_index: LogIndex,
        entries: &[Entry],
    ) -> bool {
        for (offset, entry) in entries.iter().enumerate() {
            let index = prev_log_index + 1 + offset as LogIndex;
            match log.term_at(index) {
                Some(term) if term == entry.term => continue,
                Some(_) => {
                    Self::replace_conflicting(log, commit_index, index, &entries[offset..]);
                    return true;
                }
                None => {
                    for entry in &entries[offset..] {
                        log.append(entry.clone());
                    }
                    return true;
                }
            }
        }
        false
    }

    /// AppendEntries receiver, steps 3 and 4, at `index`, the first entry of
    /// the request whose term differs from the one in `log`: delete that
    /// entry and all that follow it, then append `entries` (the request's
    /// entries from `index` on).
    fn replace_conflicting(
        log: &mut Log,
        commit_index: LogIndex,
        index: LogIndex,
        entries: &[Entry],
    ) {
        // Log Matching: everything up to the commit index is on a majority
        // and in every later leader's log, so a conflict can only lie
        // beyond it.
        assert!(index > commit_index, "conflict at committed index {index}");
        log.truncate_from(index);
        for entry in entries {
            log.append(entry.clone());
        }
    }
}

/// The rules exactly as Figure 2 and §5.4.2 state them.
#[derive(Clone, Copy, Debug, Default)]
pub struct Figure2;

impl Rules for Figure2 {}
