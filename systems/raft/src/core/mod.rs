//! The Raft protocol as a pure state machine (extended Raft paper, Figure 2).
//!
//! Inputs are method calls: [`Core::tick`] (elapsed time plus a random value
//! for the election timeout), the two RPC handlers, the two reply handlers,
//! and [`Core::propose`]. Outputs accumulate in a [`Ready`] that the shell
//! takes after each input: the persistent state to save, requests to send,
//! committed entries to apply and trace events. The core does no I/O, reads
//! no clock and owns no random generator, so a unit test drives it exactly.
//!
//! Ordering contract for the shell: save `Ready::persistent_state` before
//! sending any message of the same `Ready` and before returning the reply of
//! the handler call that produced it (Figure 2: "updated on stable storage
//! before responding to RPCs").

mod config;
mod election;
pub mod log;
pub mod messages;
mod ready;
mod replication;
mod rules;

pub use self::config::Config;
pub use self::ready::{Applied, Event, Ready};
pub use self::rules::{Figure2, Rules};

use std::marker::PhantomData;

use self::log::Log;
use self::messages::{Entry, LogIndex, Outbound, PeerId, Term};
use crate::persist::{self, PersistentState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// The leader's view of one follower (Figure 2: nextIndex[], matchIndex[]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Progress {
    next_index: LogIndex,
    match_index: LogIndex,
    /// Set while we do not know where the follower's log stands (after a
    /// rejection or a lost request): requests then carry no entries, only
    /// the consistency check, until one succeeds (etcd's probe state).
    /// Without it, a leader would ship its whole backlog to an unreachable
    /// follower every heartbeat.
    probing: bool,
}

/// Volatile state that exists only in one role.
#[derive(Clone, Debug)]
enum RoleState {
    Follower,
    Candidate { votes: Vec<bool> },
    Leader { progress: Vec<Progress> },
}

/// One server's protocol state, following the rules `R` (see [`Rules`]):
/// [`Figure2`] unless a test swaps in a variant.
pub struct Core<R = Figure2> {
    config: Config,

    // Persistent state (Figure 2).
    current_term: Term,
    voted_for: Option<PeerId>,
    log: Log,

    // Volatile state (Figure 2).
    commit_index: LogIndex,
    last_applied: LogIndex,
    role: RoleState,
    leader_id: Option<PeerId>,

    // Timers, advanced only by `tick`.
    election_elapsed_ms: u64,
    /// Drawn lazily at the first tick after a reset, from that tick's random
    /// value, so the core never needs randomness outside `tick`.
    election_timeout_ms: Option<u64>,
    heartbeat_elapsed_ms: u64,
    /// Time since the oldest proposal not yet sent, if any.
    unsent_elapsed_ms: Option<u64>,

    // Outputs not yet taken by the shell.
    persist_pending: bool,
    ready: Ready,
    /// `fn() -> R`: the rules are code, not data; the core stays Send and
    /// Sync whatever `R` is.
    rules: PhantomData<fn() -> R>,
}

impl Core {
    /// A server following Figure 2, starting from `persisted` (see
    /// [`Core::restore`]).
    pub fn new(config: Config, persisted: &[u8]) -> Result<Core, bincode::Error> {
        Core::restore(config, persisted)
    }
}

impl<R: Rules> Core<R> {
    /// A server starting from `persisted` (empty for a fresh server). Only
    /// the persistent state survives a restart: the commit index and
    /// lastApplied restart at 0, so committed entries are re-applied from 1.
    pub fn restore(config: Config, persisted: &[u8]) -> Result<Core<R>, bincode::Error> {
        config.assert_valid();
        let state = PersistentState::decode(persisted)?;
        if let Some(vote) = state.voted_for {
            assert!(
                vote < config.peer_count,
                "persisted vote for unknown peer {vote}"
            );
        }
        let log = Log::from_entries(state.log);
        assert!(
            log.last_term() <= state.current_term,
            "log holds a future term"
        );
        Ok(Core {
            config,
            current_term: state.current_term,
            voted_for: state.voted_for,
            log,
            commit_index: 0,
            last_applied: 0,
            role: RoleState::Follower,
            leader_id: None,
            election_elapsed_ms: 0,
            election_timeout_ms: None,
            heartbeat_elapsed_ms: 0,
            unsent_elapsed_ms: None,
            persist_pending: false,
            ready: Ready::default(),
            rules: PhantomData,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn me(&self) -> PeerId {
        self.config.me
    }

    pub fn term(&self) -> Term {
        self.current_term
    }

    pub fn voted_for(&self) -> Option<PeerId> {
        self.voted_for
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn commit_index(&self) -> LogIndex {
        self.commit_index
    }

    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }

    pub fn leader_id(&self) -> Option<PeerId> {
        self.leader_id
    }

    pub fn role(&self) -> Role {
        match self.role {
            RoleState::Follower => Role::Follower,
            RoleState::Candidate { .. } => Role::Candidate,
            RoleState::Leader { .. } => Role::Leader,
        }
    }

    pub fn is_leader(&self) -> bool {
        self.role() == Role::Leader
    }

    /// The persistent state as the shell would save it.
    pub fn persistent_state(&self) -> PersistentState {
        PersistentState {
            current_term: self.current_term,
            voted_for: self.voted_for,
            log: self.log.entries().to_vec(),
        }
    }

    /// Advances the timers by `elapsed_ms`. `random` is a fresh random value
    /// from the shell, used only when a new election timeout must be drawn.
    pub fn tick(&mut self, elapsed_ms: u64, random: u64) {
        if self.is_leader() {
            self.tick_leader(elapsed_ms);
        } else {
            self.election_elapsed_ms = self.election_elapsed_ms.saturating_add(elapsed_ms);
            let timeout = self.election_timeout_or_draw(random);
            if self.election_elapsed_ms >= timeout {
                self.start_election();
            }
        }
    }

    fn tick_leader(&mut self, elapsed_ms: u64) {
        self.heartbeat_elapsed_ms = self.heartbeat_elapsed_ms.saturating_add(elapsed_ms);
        if let Some(unsent) = &mut self.unsent_elapsed_ms {
            *unsent = unsent.saturating_add(elapsed_ms);
        }
        if self.heartbeat_elapsed_ms >= self.config.heartbeat_interval_ms {
            self.broadcast_append_entries();
        } else if self.unsent_elapsed_ms >= Some(self.config.batch_delay_ms) {
            self.replicate_new_entries();
        }
    }

    /// How long the shell may sleep before the next `tick` has work to do,
    /// assuming no other input arrives meanwhile.
    pub fn ms_until_next_timer(&self) -> u64 {
        if self.is_leader() {
            let heartbeat = self
                .config
                .heartbeat_interval_ms
                .saturating_sub(self.heartbeat_elapsed_ms);
            let batch = self.unsent_elapsed_ms.map_or(u64::MAX, |unsent| {
                self.config.batch_delay_ms.saturating_sub(unsent)
            });
            heartbeat.min(batch)
        } else {
            // An undrawn timeout is at least the minimum: waking then is safe.
            let timeout = self
                .election_timeout_ms
                .unwrap_or(self.config.election_timeout_min_ms);
            timeout.saturating_sub(self.election_elapsed_ms)
        }
    }

    /// Start(command): appends to the leader's log and returns the entry's
    /// index and term, or `None` when this server is not the leader.
    ///
    /// Replication waits for a `tick` at most `batch_delay_ms` away instead
    /// of sending now, so proposals made close together travel in a single
    /// AppendEntries per follower.
    pub fn propose(&mut self, command: Vec<u8>) -> Option<(LogIndex, Term)> {
        if !self.is_leader() {
            return None;
        }
        let term = self.current_term;
        let index = self.log.append(Entry { term, command });
        self.persist_pending = true;
        self.unsent_elapsed_ms.get_or_insert(0);
        // A one-server cluster is its own majority.
        self.advance_leader_commit();
        Some((index, term))
    }

    /// Takes the accumulated outputs. Serializes the persistent state only
    /// here, once per input, however many times it changed.
    pub fn take_ready(&mut self) -> Ready {
        let mut ready = std::mem::take(&mut self.ready);
        // A restored log reports itself as changed once, at the first Ready.
        ready.log_changed_from = self.log.take_changed();
        if self.persist_pending {
            self.persist_pending = false;
            let state = self.log.encode_state(self.current_term, self.voted_for);
            debug_assert_eq!(
                state.to_vec(),
                persist::encode(self.current_term, self.voted_for, self.log.entries())
            );
            ready.persistent_state = Some(state);
        }
        ready
    }

    fn majority(&self) -> usize {
        self.config.peer_count / 2 + 1
    }

    fn peers(&self) -> impl Iterator<Item = PeerId> {
        let me = self.config.me;
        (0..self.config.peer_count).filter(move |&peer| peer != me)
    }

    fn emit(&mut self, event: Event) {
        self.ready.events.push(event);
    }

    fn send(&mut self, outbound: Outbound) {
        assert_ne!(
            outbound.to, self.config.me,
            "a server never sends to itself"
        );
        self.ready.messages.push(outbound);
    }

    /// All servers: "If RPC request or response contains term T >
    /// currentTerm: set currentTerm = T, convert to follower" (§5.1).
    /// Returns whether the term changed.
    fn observe_term(&mut self, term: Term) -> bool {
        if term <= self.current_term {
            return false;
        }
        self.set_term(term);
        self.voted_for = None;
        self.persist_pending = true;
        self.emit(Event::TermAdopted { term });
        self.become_follower();
        true
    }

    fn set_term(&mut self, term: Term) {
        assert!(term > self.current_term, "terms only grow");
        self.current_term = term;
        self.leader_id = None;
    }

    fn become_follower(&mut self) {
        match self.role {
            RoleState::Follower => return,
            RoleState::Leader { .. } => {
                // A leader's election timer was not running; start it afresh
                // rather than from a stale elapsed value.
                self.reset_election_timer();
            }
            RoleState::Candidate { .. } => {}
        }
        self.role = RoleState::Follower;
        self.emit(Event::SteppedDown {
            term: self.current_term,
        });
    }

    fn reset_election_timer(&mut self) {
        self.election_elapsed_ms = 0;
        self.election_timeout_ms = None;
    }

    fn election_timeout_or_draw(&mut self, random: u64) -> u64 {
        let min = self.config.election_timeout_min_ms;
        let span = self.config.election_timeout_max_ms - min;
        let timeout = *self.election_timeout_ms.get_or_insert(min + random % span);
        assert!(timeout >= min && timeout < self.config.election_timeout_max_ms);
        timeout
    }

    fn set_commit_index(&mut self, commit_index: LogIndex) {
        assert!(
            commit_index >= self.commit_index,
            "the commit index never decreases"
        );
        assert!(
            commit_index <= self.log.last_index(),
            "commit past the end of the log"
        );
        if commit_index == self.commit_index {
            return;
        }
        self.commit_index = commit_index;
        self.emit(Event::CommitAdvanced {
            term: self.current_term,
            commit_index,
        });
        self.apply_committed();
    }

    /// All servers: "If commitIndex > lastApplied: increment lastApplied,
    /// apply log[lastApplied] to state machine", in index order.
    fn apply_committed(&mut self) {
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let command = self.log.entry(self.last_applied).command.clone();
            self.ready.applied.push(Applied {
                index: self.last_applied,
                command,
            });
        }
        assert_eq!(self.last_applied, self.commit_index);
    }
}
