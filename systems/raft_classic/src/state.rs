//! A peer's state (Figure 2), the small helpers every part of the protocol
//! uses, its persistent encoding, and the view the tester observes.

use std::time::Duration;

use madsim::time::Instant;
use raft_api::{LogIndex, PeerState, Role, Term};
use serde::{Deserialize, Serialize};
use sim::rand::Rng;

use crate::ELECTION_TIMEOUT_MS;

/// One log entry: the term in which a leader received it, and the command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    pub command: Vec<u8>,
}

/// Everything behind a peer's one lock.
pub(crate) struct State {
    pub me: usize,

    // Persistent state on all servers (saved before the lock is released).
    pub current_term: Term,
    pub voted_for: Option<usize>,
    /// `log[i]` is the entry at index i. `log[0]` is a placeholder of term 0
    /// that is never saved, so that index 0 ("before the first entry") needs
    /// no special case.
    pub log: Vec<Entry>,

    // Volatile state on all servers.
    pub commit_index: LogIndex,
    pub last_applied: LogIndex,
    pub role: Role,
    /// When a follower or candidate starts the next election.
    pub election_deadline: Instant,

    // Candidates: who granted their vote in the current election.
    pub votes: Vec<bool>,

    // Leaders (reinitialized after each election).
    pub next_index: Vec<LogIndex>,
    pub match_index: Vec<LogIndex>,
    /// When the leader next sends AppendEntries to every peer.
    pub heartbeat_due: Instant,
}

impl State {
    /// A peer's state after (re)starting from what it saved.
    pub fn restore(me: usize, peer_count: usize, saved: PersistentState) -> State {
        let mut log = vec![Entry {
            term: 0,
            command: Vec::new(),
        }];
        log.extend(saved.log);
        let now = Instant::now();
        let mut state = State {
            me,
            current_term: saved.current_term,
            voted_for: saved.voted_for,
            log,
            commit_index: 0,
            last_applied: 0,
            role: Role::Follower,
            election_deadline: now,
            votes: vec![false; peer_count],
            next_index: vec![1; peer_count],
            match_index: vec![0; peer_count],
            heartbeat_due: now,
        };
        state.reset_election_timer();
        state
    }

    pub fn peer_count(&self) -> usize {
        self.votes.len()
    }

    pub fn last_index(&self) -> LogIndex {
        (self.log.len() - 1) as LogIndex
    }

    pub fn last_term(&self) -> Term {
        self.log[self.log.len() - 1].term
    }

    pub fn term_at(&self, index: LogIndex) -> Term {
        self.log[index as usize].term
    }

    /// The first index holding an entry of `term`, given that `index` holds
    /// one: the follower's half of the fast backup.
    pub fn first_index_of_term(&self, term: Term, mut index: LogIndex) -> LogIndex {
        while index > 1 && self.term_at(index - 1) == term {
            index -= 1;
        }
        index
    }

    /// The last index holding an entry of `term`, if any: the leader's half
    /// of the fast backup.
    pub fn last_index_of_term(&self, term: Term) -> Option<LogIndex> {
        (1..=self.last_index())
            .rev()
            .take_while(|&index| self.term_at(index) >= term)
            .find(|&index| self.term_at(index) == term)
    }

    /// Picks a new random election timeout, counted from now.
    pub fn reset_election_timer(&mut self) {
        let ms = sim::rand::rng().gen_range(ELECTION_TIMEOUT_MS);
        self.election_deadline = Instant::now() + Duration::from_millis(ms);
    }

    /// "If RPC request or response contains term T > currentTerm: set
    /// currentTerm = T, convert to follower" (Figure 2). Also used when a
    /// candidate hears from the leader of its own term. Returns whether the
    /// persistent state changed (the caller saves it).
    pub fn become_follower(&mut self, term: Term) -> bool {
        assert!(term >= self.current_term);
        if self.role != Role::Follower {
            tracing::info!(target: "raft_classic", term, was = ?self.role, "step down");
            self.role = Role::Follower;
        }
        if term == self.current_term {
            return false;
        }
        tracing::info!(target: "raft_classic", term, "new term");
        self.current_term = term;
        self.voted_for = None;
        true
    }

    /// bincode of `(currentTerm, votedFor, log)`, without the placeholder.
    pub fn encode(&self) -> Vec<u8> {
        bincode::serialize(&(self.current_term, self.voted_for, &self.log[1..]))
            .expect("in-memory bincode cannot fail")
    }

    /// Shows this state to the tester, if it watches. Call it with the lock
    /// held, after every change of term, vote, role, log or commitIndex.
    pub fn observe(&self) {
        if raft_api::observing() {
            raft_api::observe(self);
        }
    }
}

/// What a peer saves: currentTerm, votedFor and the log (from index 1), as
/// bincode of the tuple `(current_term, voted_for, log)`. (The same bytes as
/// `systems/raft` saves, so tools that read saved logs read both.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersistentState {
    pub current_term: Term,
    pub voted_for: Option<usize>,
    pub log: Vec<Entry>,
}

impl PersistentState {
    /// Decodes a saved state; an empty buffer is a peer that never saved.
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
}

impl PeerState for State {
    fn me(&self) -> usize {
        self.me
    }

    fn term(&self) -> Term {
        self.current_term
    }

    fn voted_for(&self) -> Option<usize> {
        self.voted_for
    }

    fn role(&self) -> Role {
        self.role
    }

    fn last_index(&self) -> LogIndex {
        State::last_index(self)
    }

    fn entry_term(&self, index: LogIndex) -> Term {
        self.term_at(index)
    }

    fn entry_command(&self, index: LogIndex) -> &[u8] {
        &self.log[index as usize].command
    }

    fn commit_index(&self) -> LogIndex {
        self.commit_index
    }
}
