//! The HW4 Raft assignment's API, and nothing more: what the course's tester
//! (`config.go`, ported in `scenarios`) needs from *any* Raft.
//!
//! A student implements [`Raft`] for their peer handle; the suite registers
//! the 19 tests under a name prefix for that type. Everything here is what
//! `raft.go`'s skeleton gives a student:
//!
//! | Go (6.824 / CS350)                         | here                                    |
//! |--------------------------------------------|-----------------------------------------|
//! | `Make(peers, me, persister, applyCh)`      | [`Raft::make`] (async: it starts the peer's RPC server) |
//! | `rf.Start(command)`                        | [`Raft::start`]                         |
//! | `rf.GetState()`                            | [`Raft::state`]                         |
//! | `rf.Kill()`                                | [`Raft::kill`]                          |
//! | `ApplyMsg{CommandValid, Command, CommandIndex}` | [`ApplyMsg`]                       |
//! | `labrpc.ClientEnd`, `Persister`            | [`ClientEnd`], [`Persister`] (from `sim`) |
//!
//! Showing internals is optional. A peer that calls [`observe`] with a view
//! of its state ([`PeerState`]) after every change gets the continuous
//! Figure 3 checks (Election Safety, Log Matching, Leader Completeness,
//! State Machine Safety), `dst bisect`'s probe, state in `dst run --dump`
//! and labels in the timeline; one that never calls it still gets every
//! check of `config.go`. The tester reports which checks ran.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;

pub use sim::rpc::{ClientEnd, Server};
pub use sim::Persister;
pub use tokio::sync::mpsc::UnboundedSender;

/// A Raft term.
pub type Term = u64;
/// A log index; the first entry is index 1, 0 means "none".
pub type LogIndex = u64;

/// A committed entry handed to the service on `apply_ch`, in index order.
/// After a restart delivery starts again at index 1 (lastApplied is
/// volatile), exactly as in the course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyMsg {
    /// True for a command; the tester also checks the order of the others.
    pub command_valid: bool,
    /// The command exactly as given to [`Raft::start`].
    pub command: Vec<u8>,
    pub command_index: LogIndex,
}

/// One Raft peer, as the tester sees it. The handle is shared: the tester
/// keeps it and calls `start`/`state`/`kill` from its own task while the
/// peer's tasks run on the peer's node.
pub trait Raft: Send + Sync + 'static {
    /// `Make`: a peer on the calling task's node (the tester calls it from a
    /// task on `server{me}`). `peers[i]` reaches peer i (`peers[me]` is this
    /// peer itself); restore from `persister`; send every committed entry on
    /// `apply_ch`. It must start the peer's RPC server (a [`Server`] with
    /// the peer's handlers, `.start().await`) and its background tasks
    /// (`madsim::task::spawn`, on this node, so a crash stops them), then
    /// return at once.
    fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_ch: UnboundedSender<ApplyMsg>,
    ) -> impl Future<Output = Self> + Send;

    /// `Start(command)`: if this peer believes it leads, append `command` and
    /// return `(index, term, true)` at once, without waiting for agreement;
    /// otherwise `(_, _, false)`.
    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool);

    /// `GetState()`: the current term and whether this peer believes it leads.
    fn state(&self) -> (Term, bool);

    /// `Kill()`: the tester is done with this peer (it will also crash the
    /// node); a killed peer should stop talking.
    fn kill(&self);
}

/// A peer's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Follower,
    Candidate,
    Leader,
}

/// A read-only view of one peer's state at one instant, for the tester's
/// checks. Implement it on your state struct (or a borrowed wrapper) and
/// pass it to [`observe`] while you still hold your lock.
pub trait PeerState {
    /// This peer's index.
    fn me(&self) -> usize;
    /// currentTerm.
    fn term(&self) -> Term;
    /// votedFor in the current term.
    fn voted_for(&self) -> Option<usize>;
    fn role(&self) -> Role;
    /// The index of the last log entry (0 for an empty log).
    fn last_index(&self) -> LogIndex;
    /// The term of the entry at `index`, for `1 <= index <= last_index()`.
    fn entry_term(&self, index: LogIndex) -> Term;
    /// The command of the entry at `index`, for `1 <= index <= last_index()`.
    fn entry_command(&self, index: LogIndex) -> &[u8];
    /// commitIndex: the highest index known committed.
    fn commit_index(&self) -> LogIndex;
    /// Optional, for speed: `Some(k)` promises that entries 1..=k are
    /// exactly those of this peer's previous view (so the tester compares
    /// only the entries after k; a restarted peer's first view promises
    /// nothing beyond what it restored and changed, i.e. `Some(0)`). The
    /// default, `None`, promises nothing: the tester then compares the
    /// whole log with the previous view at every call, which is slower but
    /// needs no bookkeeping.
    fn unchanged_prefix(&self) -> Option<LogIndex> {
        None
    }
}

/// What the tester does with a view. Registered per run (each run has its
/// own thread), see [`watch`].
pub type Watcher = Rc<dyn Fn(&dyn PeerState)>;

thread_local! {
    static WATCHER: RefCell<Option<Watcher>> = const { RefCell::new(None) };
}

/// Shows the tester this peer's state. Call it after every change of term,
/// vote, role, log or commitIndex (and once after restoring), while still
/// holding the lock that guards that state, so the tester sees every state
/// the peer passes through in order. A no-op when nothing watches.
pub fn observe(state: &dyn PeerState) {
    let watcher = WATCHER.with(|w| w.borrow().clone());
    if let Some(watcher) = watcher {
        watcher(state);
    }
}

/// Whether anything watches: a peer may skip building a costly view.
pub fn observing() -> bool {
    WATCHER.with(|w| w.borrow().is_some())
}

/// For testers: route every [`observe`] of this run to `watcher` (None
/// stops watching). Runs are single-threaded and each has a fresh thread,
/// so this is per run.
pub fn watch(watcher: Option<Watcher>) {
    WATCHER.with(|w| *w.borrow_mut() = watcher);
}
