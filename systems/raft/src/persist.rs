//! Raft's persistent state (Figure 2: currentTerm, votedFor, log[]) and its
//! encoding: bincode of the tuple `(current_term, voted_for, log)`.

use std::sync::Arc;

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

/// The persistent state's encoding as shared, immutable pieces: their
/// concatenation is `encode(current_term, voted_for, log)`. Saving it hands
/// the persister references to the log's sealed pieces instead of a copy of
/// the whole log, which every save used to make (a tenth of a Raft run's
/// wall time went to that copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedState {
    pieces: Vec<Arc<[u8]>>,
}

impl EncodedState {
    /// The pieces, in order.
    pub fn into_pieces(self) -> Vec<Arc<[u8]>> {
        self.pieces
    }

    /// The bytes, concatenated.
    pub fn to_vec(&self) -> Vec<u8> {
        self.pieces.concat()
    }
}

/// The log's entries in bincode form, kept in step with the log, so that
/// saving the state at every change neither encodes every entry again
/// (which made saving quadratic in the log's length) nor copies the whole
/// encoding: full pieces of about [`PIECE`] bytes are sealed and shared,
/// only the open tail is copied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EncodedEntries {
    sealed: Vec<Arc<[u8]>>,
    /// Bytes in `sealed`.
    sealed_len: usize,
    tail: Vec<u8>,
    /// `ends[i]`: where entry i's encoding ends, counted over `sealed` and
    /// then `tail`.
    ends: Vec<usize>,
}

/// The size at which the open tail is sealed into a shared piece.
const PIECE: usize = 4096;

impl EncodedEntries {
    pub(crate) fn push(&mut self, entry: &Entry) {
        bincode::serialize_into(&mut self.tail, entry).expect("in-memory bincode cannot fail");
        self.ends.push(self.sealed_len + self.tail.len());
        if self.tail.len() >= PIECE {
            let piece: Arc<[u8]> = std::mem::take(&mut self.tail).into();
            self.sealed_len += piece.len();
            self.sealed.push(piece);
        }
    }

    /// Keeps the first `count` entries.
    pub(crate) fn truncate(&mut self, count: usize) {
        assert!(count <= self.ends.len());
        self.ends.truncate(count);
        let end = self.ends.last().copied().unwrap_or(0);
        if end >= self.sealed_len {
            self.tail.truncate(end - self.sealed_len);
            return;
        }
        // The cut is inside a sealed piece: unseal the pieces after it and
        // keep that piece's head as the open tail.
        self.tail.clear();
        while self.sealed_len > end {
            let piece = self.sealed.pop().expect("sealed_len counts the pieces");
            self.sealed_len -= piece.len();
            if self.sealed_len < end {
                self.tail.extend_from_slice(&piece[..end - self.sealed_len]);
            }
        }
    }

    /// The same bytes as `encode(current_term, voted_for, entries)`: bincode
    /// writes a tuple field after field and a sequence as its u64 length
    /// followed by its elements.
    pub(crate) fn encode_state(
        &self,
        current_term: Term,
        voted_for: Option<PeerId>,
    ) -> EncodedState {
        let count = self.ends.len() as u64;
        let header = bincode::serialize(&(current_term, voted_for, count))
            .expect("in-memory bincode cannot fail");
        let mut pieces = Vec::with_capacity(self.sealed.len() + 2);
        pieces.push(header.into());
        pieces.extend(self.sealed.iter().cloned());
        if !self.tail.is_empty() {
            pieces.push(self.tail.as_slice().into());
        }
        EncodedState { pieces }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(term: Term, size: usize) -> Entry {
        Entry {
            term,
            command: vec![term as u8; size],
        }
    }

    /// Pushes and truncations across piece boundaries give the bytes that
    /// encoding the log from scratch gives.
    #[test]
    fn pieces_concatenate_to_the_plain_encoding() {
        let mut log: Vec<Entry> = Vec::new();
        let mut encoded = EncodedEntries::default();
        let check = |log: &[Entry], encoded: &EncodedEntries| {
            assert_eq!(
                encoded.encode_state(7, Some(2)).to_vec(),
                encode(7, Some(2), log)
            );
        };
        check(&log, &encoded);
        for i in 0..300u64 {
            let e = entry(i, (i as usize * 37) % 200);
            encoded.push(&e);
            log.push(e);
            check(&log, &encoded);
        }
        assert!(encoded.sealed.len() > 3, "the test crosses pieces");
        for keep in [290, 250, 251, 120, 3, 0] {
            encoded.truncate(keep);
            log.truncate(keep);
            check(&log, &encoded);
            let e = entry(keep as u64 + 1000, 50);
            encoded.push(&e);
            log.push(e);
            check(&log, &encoded);
        }
    }
}
