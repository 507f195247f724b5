//! The core's outputs: what the shell must do after each input.

use std::fmt;

use super::messages::{LogIndex, Outbound, PeerId, Term};
use crate::persist::EncodedState;

/// A committed entry handed to the service, in index order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub index: LogIndex,
    pub command: Vec<u8>,
}

/// Protocol milestones for the compact trace. Per-RPC detail is deliberately
/// absent: a trace line per heartbeat would drown the interesting ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Adopted a higher term seen in a message.
    TermAdopted {
        term: Term,
    },
    ElectionStarted {
        term: Term,
    },
    VoteGranted {
        term: Term,
        candidate: PeerId,
    },
    BecameLeader {
        term: Term,
    },
    /// Left the leader or candidate role.
    SteppedDown {
        term: Term,
    },
    /// Heard from the leader of `term` for the first time.
    LeaderDiscovered {
        term: Term,
        leader: PeerId,
    },
    CommitAdvanced {
        term: Term,
        commit_index: LogIndex,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::TermAdopted { term } => write!(f, "term {term}"),
            Event::ElectionStarted { term } => write!(f, "election term={term}"),
            Event::VoteGranted { term, candidate } => write!(f, "vote term={term} for={candidate}"),
            Event::BecameLeader { term } => write!(f, "leader term={term}"),
            Event::SteppedDown { term } => write!(f, "step-down term={term}"),
            Event::LeaderDiscovered { term, leader } => {
                write!(f, "follow term={term} leader={leader}")
            }
            Event::CommitAdvanced { term, commit_index } => {
                write!(f, "commit term={term} index={commit_index}")
            }
        }
    }
}

/// Everything the shell must do after an input, in this order: save
/// `persistent_state`, then send `messages`, apply `applied`, log `events`.
#[derive(Clone, Debug, Default)]
pub struct Ready {
    /// bincode of `(current_term, voted_for, log)`, in shared pieces,
    /// present when any of them changed since the last `Ready`.
    pub persistent_state: Option<EncodedState>,
    pub messages: Vec<Outbound>,
    pub applied: Vec<Applied>,
    pub events: Vec<Event>,
    /// The lowest log index appended, replaced or removed since the last
    /// `Ready` (for observers; the saved state already holds the log).
    pub log_changed_from: Option<LogIndex>,
}

impl Ready {
    pub fn is_empty(&self) -> bool {
        self.persistent_state.is_none()
            && self.messages.is_empty()
            && self.applied.is_empty()
            && self.events.is_empty()
            && self.log_changed_from.is_none()
    }
}
