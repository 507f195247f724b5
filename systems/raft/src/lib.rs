//! Raft (extended Raft paper, Figure 2) for the HW4 scenarios.
//!
//! * [`core`]: the protocol as a pure state machine — inputs are ticks,
//!   RPCs, replies and proposals; outputs are a [`Ready`] of state to
//!   persist, requests to send, entries to apply and trace events.
//! * [`persist`]: the persistent state and its bincode encoding.
//! * [`shell`]: the 6.824 API ([`Raft::new`], `start`, `state`, `kill`,
//!   [`ApplyMsg`]) as tasks on a `sim` node, talking only through
//!   `sim::rpc`; it implements [`raft_api::Raft`], the course's API the
//!   scenario suite tests, and shows every state to a watching tester
//!   ([`raft_api::observe`]).
//!
//! The core follows [`Rules`], [`Figure2`] here: a test can build a
//! deliberately wrong Raft by replacing one rule.
//!
//! Elections (§5.2) use randomized timeouts drawn by the shell; replication
//! (§5.3) backs nextIndex up a term at a time; the leader commits only
//! entries of its own term by counting (§5.4.2). No snapshots, no
//! membership changes.
//!
//! Timing ([`Config::new`]): heartbeats every 100 ms (the tester's limit is
//! 10 per second), election timeouts uniform in [300, 600) ms, proposals
//! batched for up to 10 ms. Beyond Figure 2, borrowed from etcd: a
//! follower whose log position is unknown (after a rejection or a lost
//! request) is *probed* with entry-less requests until one matches, and
//! entries are sent once, moving nextIndex past them at once, so neither a
//! lagging nor an unreachable follower makes the leader resend its backlog
//! every heartbeat.

pub mod core;
pub mod persist;
pub mod shell;

pub use crate::core::log::Log;
pub use crate::core::messages::{
    AppendEntriesArgs, AppendEntriesReply, Entry, LogIndex, Outbound, PeerId, Request,
    RequestVoteArgs, RequestVoteReply, Term,
};
pub use crate::core::{Applied, Config, Core, Event, Figure2, Ready, Role, Rules};
pub use crate::persist::{EncodedState, PersistentState};
pub use crate::shell::{ApplyMsg, Raft};
