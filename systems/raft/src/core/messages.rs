//! The wire types of Figure 2: log entries and the two RPCs with their
//! replies. They are plain data; the shell serializes them with bincode.

use serde::{Deserialize, Serialize};

/// Index of a peer in the cluster's peer list (the `me` of the original API).
pub type PeerId = usize;
/// A Raft term. Term 0 is the term of the empty log before any election.
pub type Term = u64;
/// A log index. Index 0 is the sentinel before the first entry; real entries
/// start at 1, as in the paper and in the tester's `CommandIndex`.
pub type LogIndex = u64;

/// One log entry: the term in which a leader created it and an opaque command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub term: Term,
    pub command: Vec<u8>,
}

/// RequestVote arguments (Figure 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteArgs {
    pub term: Term,
    pub candidate_id: PeerId,
    pub last_log_index: LogIndex,
    pub last_log_term: Term,
}

/// RequestVote reply (Figure 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestVoteReply {
    pub term: Term,
    pub vote_granted: bool,
}

/// AppendEntries arguments (Figure 2). An empty `entries` is a heartbeat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesArgs {
    pub term: Term,
    pub leader_id: PeerId,
    pub prev_log_index: LogIndex,
    pub prev_log_term: Term,
    pub entries: Vec<Entry>,
    pub leader_commit: LogIndex,
}

/// AppendEntries reply, extended with the "fast backup" hint of §5.3 (bottom
/// of page 7) in the form the 6.824 guidance gives it.
///
/// On a log mismatch the follower reports either that its log is too short
/// (`conflict_term == None`, `conflict_index == its last index + 1`) or the
/// term of its entry at `prev_log_index` together with the first index it
/// holds for that term. The leader then skips a whole term per round trip
/// instead of one entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendEntriesReply {
    pub term: Term,
    pub success: bool,
    pub conflict_index: LogIndex,
    pub conflict_term: Option<Term>,
}

/// A request the core wants sent. The shell makes the RPC and feeds the reply
/// back together with the request it answers (labrpc pairs them for us, so
/// replies need not repeat what the request said).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Request {
    RequestVote(RequestVoteArgs),
    AppendEntries(AppendEntriesArgs),
}

/// A request addressed to one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outbound {
    pub to: PeerId,
    pub request: Request,
}
