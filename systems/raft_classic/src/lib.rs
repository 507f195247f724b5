//! Raft written the way the MIT 6.824 / CS350 lab hints describe it, as a
//! second implementation of [`raft_api::Raft`] next to `systems/raft` (which
//! is an etcd-style pure core inside an async shell). Here there is no core:
//! the protocol lives in the tasks and RPC handlers themselves.
//!
//! * **One lock.** All of a peer's state (Figure 2 of the extended Raft
//!   paper, plus the role and the timers) is a [`State`] behind one
//!   `std::sync::Mutex`. Every handler and task takes the lock, does its
//!   work and releases it; the lock is never held across an `.await` (an
//!   RPC, a sleep, a wait).
//! * **A ticker task** ([`election`]) sleeps until the election deadline
//!   (followers and candidates) or the next heartbeat (leaders), and either
//!   starts an election or sends AppendEntries to every peer. Election
//!   timeouts are drawn from the run's seeded generator (`sim::rand`).
//! * **RPC handlers** for RequestVote and AppendEntries, exactly as in
//!   Figure 2, with the "fast backup" of the 6.824 hints: a follower that
//!   rejects AppendEntries says which term conflicts and where that term
//!   starts in its log, so the leader skips a whole term per round trip.
//! * **An applier task** ([`applier`]) sends committed entries on the apply
//!   channel in index order, starting again at index 1 after a restart.
//! * **Persistence**: currentTerm, votedFor and the log are saved through the
//!   [`Persister`] (bincode) at every change, before the lock is released,
//!   so before any reply or request that depends on them leaves the peer.
//! * **Observation**: after every change of term, vote, role, log or
//!   commitIndex the peer shows its state to the tester with
//!   [`raft_api::observe`], still under the lock, so the tester's Figure 3
//!   checks see every state in order.
//!
//! Every task is spawned on the peer's own simulated node, so crashing the
//! node stops them all. A killed peer ([`Raft::kill`]) stops its tasks,
//! ignores replies and answers no RPC.
//!
//! Timing: heartbeats every 100 ms (the tester allows ten per second),
//! election timeouts uniform in [300, 600) ms, new entries sent within
//! 10 ms.

mod applier;
mod election;
mod replication;
mod rpc;
mod state;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use madsim::time::Instant;
use raft_api::{ApplyMsg, ClientEnd, LogIndex, Persister, Role, Term, UnboundedSender};
use tokio::sync::Notify;

pub use rpc::{AppendEntriesArgs, AppendEntriesReply, RequestVoteArgs, RequestVoteReply};
pub use state::{Entry, PersistentState};

use state::State;

/// How often a leader sends AppendEntries when it has nothing new to say.
const HEARTBEAT_INTERVAL: Duration = Duration::from_millis(100);
/// Election timeouts are drawn uniformly from this range (milliseconds):
/// several heartbeats long, so that a lost heartbeat or two does not depose
/// a live leader, and short enough that a split vote or two still elects a
/// leader well within the tester's five seconds.
const ELECTION_TIMEOUT_MS: std::ops::Range<u64> = 300..600;
/// How long a new entry waits for others to share its AppendEntries: about
/// a round trip on a reliable network.
const BATCH_DELAY: Duration = Duration::from_millis(10);
/// The longest the applier waits for news before looking again by itself.
const APPLIER_WAIT: Duration = Duration::from_millis(100);

/// A handle to one Raft peer. Clones share the peer.
#[derive(Clone)]
pub struct Raft {
    peer: Arc<Peer>,
}

/// What a peer's tasks and handlers share.
struct Peer {
    me: usize,
    /// `peers[i]` reaches peer i; `peers[me]` is this peer and is never called.
    peers: Vec<ClientEnd>,
    persister: Persister,
    apply_ch: UnboundedSender<ApplyMsg>,
    /// The one lock.
    state: Mutex<State>,
    /// Set by `kill`; read without the lock.
    dead: AtomicBool,
    /// Wakes the ticker early: a new entry to send, or a new role.
    ticker_wakeup: Notify,
    /// Wakes the applier: commitIndex moved (or the peer was killed).
    applier_wakeup: Notify,
}

impl Raft {
    /// `Make(peers, me, persister, applyCh)`. Must be called from a task on
    /// the peer's node: it starts the RPC server and the ticker and applier
    /// tasks there, then returns.
    pub async fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_ch: UnboundedSender<ApplyMsg>,
    ) -> Raft {
        assert!(me < peers.len(), "me={me} outside {} peers", peers.len());
        let saved = PersistentState::decode(&persister.read_raft_state())
            .expect("the persister holds what this peer saved");
        let state = State::restore(me, peers.len(), saved);
        tracing::info!(
            target: "raft_classic",
            term = state.current_term,
            last = state.last_index(),
            "start"
        );
        state.observe();
        let raft = Raft {
            peer: Arc::new(Peer {
                me,
                peers,
                persister,
                apply_ch,
                state: Mutex::new(state),
                dead: AtomicBool::new(false),
                ticker_wakeup: Notify::new(),
                applier_wakeup: Notify::new(),
            }),
        };
        rpc::server(&raft)
            .start()
            .await
            .expect("a fresh node binds its RPC port");
        madsim::task::spawn(raft.clone().ticker());
        madsim::task::spawn(raft.clone().applier());
        raft
    }

    /// `Start(command)`: if this peer leads, append `command` to its log and
    /// return `(index, term, true)` at once; the entry commits later, if at
    /// all. Otherwise `(0, term, false)`.
    ///
    /// Called by the tester from its own node, so it must not send RPCs
    /// itself: it wakes the ticker, which sends from this peer's node.
    pub fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        if self.killed() {
            return (0, 0, false);
        }
        let mut s = self.lock();
        if s.role != Role::Leader {
            return (0, s.current_term, false);
        }
        let term = s.current_term;
        s.log.push(Entry { term, command });
        let index = s.last_index();
        s.match_index[self.peer.me] = index;
        self.persist(&s);
        s.observe();
        // A one-peer cluster commits at once.
        self.advance_commit_index(&mut s);
        // Send the new entry soon rather than at the next heartbeat: after
        // a short wait, so that the entries of a burst of `start`s travel
        // together and entries still in flight are not sent again at once.
        let soon = Instant::now() + BATCH_DELAY;
        if soon < s.heartbeat_due {
            s.heartbeat_due = soon;
            drop(s);
            self.peer.ticker_wakeup.notify_one();
        }
        (index, term, true)
    }

    /// `GetState()`: the current term and whether this peer believes it leads.
    pub fn state(&self) -> (Term, bool) {
        let s = self.lock();
        (s.current_term, s.role == Role::Leader)
    }

    /// `Kill()`: the peer stops its tasks, ignores replies still in flight
    /// and answers no more RPCs. (The tester also crashes its node.)
    pub fn kill(&self) {
        self.peer.dead.store(true, Ordering::SeqCst);
        self.peer.ticker_wakeup.notify_one();
        self.peer.applier_wakeup.notify_one();
    }

    pub fn killed(&self) -> bool {
        self.peer.dead.load(Ordering::SeqCst)
    }

    /// One line of state, for inspectors and failure reports. It reads the
    /// state even if a panic under the lock poisoned it (a failed check in
    /// the tester's observer does that), since a report wants it most then.
    pub fn describe(&self) -> String {
        let s = self.peer.state.lock().unwrap_or_else(|e| e.into_inner());
        format!(
            "term={} role={:?} voted_for={:?} last={} commit={} applied={}",
            s.current_term,
            s.role,
            s.voted_for,
            s.last_index(),
            s.commit_index,
            s.last_applied,
        )
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.peer
            .state
            .lock()
            .expect("a panic while holding the raft lock")
    }

    /// Saves currentTerm, votedFor and the log. Called with the lock held,
    /// after every change to any of them.
    fn persist(&self, s: &State) {
        self.peer.persister.save_raft_state(s.encode());
    }
}

impl raft_api::Raft for Raft {
    async fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_ch: UnboundedSender<ApplyMsg>,
    ) -> Raft {
        Raft::make(peers, me, persister, apply_ch).await
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        Raft::start(self, command)
    }

    fn state(&self) -> (Term, bool) {
        Raft::state(self)
    }

    fn kill(&self) {
        Raft::kill(self)
    }
}
