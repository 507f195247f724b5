//! The replicated log, 1-indexed as in the paper, with the sentinel entry at
//! index 0 (term 0) kept implicit so that `prev_log_index == 0` needs no
//! special case in the protocol code.

use super::messages::{Entry, LogIndex, PeerId, Term};
use crate::persist::{EncodedEntries, EncodedState};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// `entries[i]` holds log index `i + 1`.
    entries: Vec<Entry>,
    /// The lowest index appended or removed since the last `take_changed`:
    /// lets an observer follow the log without comparing it whole.
    changed_from: Option<LogIndex>,
    /// The entries as they are saved, kept in step with `entries`.
    encoded: EncodedEntries,
}

impl Log {
    /// A log restored from storage; all of it counts as changed.
    pub fn from_entries(entries: Vec<Entry>) -> Log {
        let changed_from = (!entries.is_empty()).then_some(1);
        let mut encoded = EncodedEntries::default();
        for entry in &entries {
            encoded.push(entry);
        }
        let log = Log {
            entries,
            changed_from,
            encoded,
        };
        log.assert_terms_monotonic();
        log
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn last_index(&self) -> LogIndex {
        self.entries.len() as LogIndex
    }

    pub fn last_term(&self) -> Term {
        self.entries.last().map_or(0, |entry| entry.term)
    }

    /// The term of the entry at `index`; `Some(0)` for the sentinel, `None`
    /// past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            return Some(0);
        }
        self.entries.get(position(index)).map(|entry| entry.term)
    }

    pub fn entry(&self, index: LogIndex) -> &Entry {
        assert!(
            index >= 1 && index <= self.last_index(),
            "index {index} out of log"
        );
        &self.entries[position(index)]
    }

    /// The entries from `index` to the end (empty when `index` is past it).
    pub fn entries_from(&self, index: LogIndex) -> &[Entry] {
        assert!(index >= 1, "entries start at index 1");
        let start = position(index).min(self.entries.len());
        &self.entries[start..]
    }

    pub fn append(&mut self, entry: Entry) -> LogIndex {
        assert!(
            entry.term >= self.last_term(),
            "terms in a log never decrease"
        );
        self.encoded.push(&entry);
        self.entries.push(entry);
        self.mark_changed(self.last_index());
        self.last_index()
    }

    /// Removes the entry at `index` and every entry after it.
    pub fn truncate_from(&mut self, index: LogIndex) {
        assert!(
            index >= 1 && index <= self.last_index(),
            "truncating outside the log"
        );
        self.entries.truncate(position(index));
        self.encoded.truncate(position(index));
        self.mark_changed(index);
    }

    /// The persistent state `(current_term, voted_for, log)` in bincode.
    pub fn encode_state(&self, current_term: Term, voted_for: Option<PeerId>) -> EncodedState {
        self.encoded.encode_state(current_term, voted_for)
    }

    /// The lowest index changed since the last call, and resets it.
    pub fn take_changed(&mut self) -> Option<LogIndex> {
        self.changed_from.take()
    }

    fn mark_changed(&mut self, index: LogIndex) {
        self.changed_from = Some(self.changed_from.map_or(index, |from| from.min(index)));
    }

    /// The first index of the run of entries sharing the term of `index`
    /// (the follower's `conflict_index` in fast backup).
    pub fn first_index_of_term_at(&self, index: LogIndex) -> LogIndex {
        let term = self.entry(index).term;
        // Terms are non-decreasing, so the run is a contiguous range ending
        // at or after `index`; the partition point is its first element.
        let first = self.entries[..position(index)].partition_point(|entry| entry.term < term);
        first as LogIndex + 1
    }

    /// The last index holding an entry of `term`, if the log has one (the
    /// leader's side of fast backup).
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        let end = self.entries.partition_point(|entry| entry.term <= term);
        if end > 0 && self.entries[end - 1].term == term {
            Some(end as LogIndex)
        } else {
            None
        }
    }

    fn assert_terms_monotonic(&self) {
        for pair in self.entries.windows(2) {
            assert!(
                pair[0].term <= pair[1].term,
                "terms in a log never decrease"
            );
        }
    }
}

fn position(index: LogIndex) -> usize {
    debug_assert!(index >= 1);
    (index - 1) as usize
}
