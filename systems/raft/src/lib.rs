//! Raft (extended Raft paper, Figure 2) for the HW4 scenarios.
//!
//! * [`core`]: the protocol as a pure state machine — inputs are ticks,
//!   RPCs, replies and proposals; outputs are a [`Ready`] of state to
//!   persist, requests to send, entries to apply and trace events.
//! * [`persist`]: the persistent state and its bincode encoding.
//! * [`shell`]: the 6.824 API ([`Raft::new`], `start`, `state`, `kill`,
//!   [`ApplyMsg`]) as tasks on a `sim` node, talking only through
//!   `sim::rpc`.
//!
//! Elections (§5.2) use randomized timeouts drawn by the shell; replication
//! (§5.3) backs nextIndex up a term at a time; the leader commits only
//! entries of its own term by counting (§5.4.2). No snapshots, no
//! membership changes.

pub mod core;
pub mod persist;
pub mod shell;

pub use crate::core::log::Log;
pub use crate::core::messages::{
    AppendEntriesArgs, AppendEntriesReply, Entry, LogIndex, Outbound, PeerId, Request,
    RequestVoteArgs, RequestVoteReply, Term,
};
pub use crate::core::{Applied, Config, Core, Event, InjectedBug, Ready, Role};
pub use crate::persist::PersistentState;
pub use crate::shell::{ApplyMsg, Observer, Raft, RaftBuilder};
