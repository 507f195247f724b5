//! The two RPCs of Figure 2 (with the 6.824 fast-backup fields in the
//! AppendEntries reply), and the peer's RPC server.
//!
//! A handler answers `Option<Reply>`: `None` is a killed peer declining to
//! answer, which the caller treats like a lost reply.

use serde::{Deserialize, Serialize};
use sim::rpc::Server;

use crate::state::Entry;
use crate::Raft;
use raft_api::{LogIndex, Term};

pub(crate) const REQUEST_VOTE: &str = "Raft.RequestVote";
pub(crate) const APPEND_ENTRIES: &str = "Raft.AppendEntries";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteArgs {
    pub term: Term,
    pub candidate_id: usize,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteReply {
    pub term: Term,
    pub vote_granted: bool,
}

/// An empty `entries` is a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesArgs {
    pub term: Term,
    pub leader_id: usize,
    pub prev_log_index: LogIndex,
    pub prev_log_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: LogIndex,
}

/// On a mismatch at `prev_log_index` the follower says where the leader
/// should try next (the "fast backup" of the 6.824 hints):
///
/// * its log is too short: `conflict_term` is `None` and `conflict_index`
///   is its last index + 1;
/// * its entry at `prev_log_index` has another term: `conflict_term` is that
///   term and `conflict_index` the first index it holds of that term.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesReply {
    pub term: Term,
    pub success: bool,
    pub conflict_term: Option<Term>,
    pub conflict_index: LogIndex,
}

/// The peer's RPC server, with its two handlers.
pub(crate) fn server(raft: &Raft) -> Server {
    let voter = raft.clone();
    let follower = raft.clone();
    Server::new()
        .add(REQUEST_VOTE, move |args: RequestVoteArgs| {
            let raft = voter.clone();
            async move { (!raft.killed()).then(|| raft.handle_request_vote(args)) }
        })
        .add(APPEND_ENTRIES, move |args: AppendEntriesArgs| {
            let raft = follower.clone();
            async move { (!raft.killed()).then(|| raft.handle_append_entries(args)) }
        })
}
