//! Raft's persistent state (Figure 2: currentTerm, votedFor, log[]) and its
//! encoding: bincode of the tuple `(current_term, voted_for, log)`.

use serde::{Deserialize, Serialize};

use crate::core::messages::{Entry, PeerId, Term};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistentState {
    pub current_term: Term,
    pub voted_for: Option<PeerId>,
    pub log: Vec<Entry>,
}

impl PersistentState {
    /// Decodes what `encode` produced. An empty buffer is a server that has
    /// never saved anything: term 0, no vote, empty log.
    pub fn decode(bytes: &[u8]) -> Result<PersistentState, bincode::Error> {
        if bytes.is_empty() {
            return Ok(PersistentState::default());
        }
        let (current_term, voted_for, log) = bincode::deserialize(bytes)?;
        Ok(PersistentState {
            current_term,
            voted_for,
            log,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        encode(self.current_term, self.voted_for, &self.log)
    }
}

/// Encodes without cloning the log: a borrowed slice serializes exactly as
/// the `Vec` that `decode` reads back.
pub(crate) fn encode(current_term: Term, voted_for: Option<PeerId>, log: &[Entry]) -> Vec<u8> {
    bincode::serialize(&(current_term, voted_for, log)).expect("in-memory bincode cannot fail")
}

/// The log's entries in bincode form, kept in step with the log, so that
/// saving the state at every change copies bytes instead of encoding every
/// entry again (which made saving quadratic in the log's length).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EncodedEntries {
    bytes: Vec<u8>,
    /// `ends[i]`: where entry i's encoding ends in `bytes`.
    ends: Vec<usize>,
}

impl EncodedEntries {
    pub(crate) fn push(&mut self, entry: &Entry) {
        bincode::serialize_into(&mut self.bytes, entry).expect("in-memory bincode cannot fail");
        self.ends.push(self.bytes.len());
    }

    /// Keeps the first `count` entries.
    pub(crate) fn truncate(&mut self, count: usize) {
        assert!(count <= self.ends.len());
        self.ends.truncate(count);
        self.bytes.truncate(self.ends.last().copied().unwrap_or(0));
    }

    /// The same bytes as `encode(current_term, voted_for, entries)`: bincode
    /// writes a tuple field after field and a sequence as its u64 length
    /// followed by its elements.
    pub(crate) fn encode_state(&self, current_term: Term, voted_for: Option<PeerId>) -> Vec<u8> {
        let count = self.ends.len() as u64;
        let header = (current_term, voted_for, count);
        let header_size = bincode::serialized_size(&header).expect("in-memory bincode cannot fail");
        let mut state = Vec::with_capacity(header_size as usize + self.bytes.len());
        bincode::serialize_into(&mut state, &header).expect("in-memory bincode cannot fail");
        state.extend_from_slice(&self.bytes);
        state
    }
}
