//! The two Raft RPCs over `sim::rpc` (labrpc semantics, bincode messages).
//!
//! Replies travel as `Option`: `None` is a killed server declining to
//! answer, which the caller treats like a lost reply.

use crate::core::messages::{
    AppendEntriesArgs, AppendEntriesReply, Outbound, Request, RequestVoteArgs, RequestVoteReply,
};

use super::Raft;
use crate::core::Rules;
use sim::rpc::Server;

const REQUEST_VOTE: &str = "Raft.RequestVote";
const APPEND_ENTRIES: &str = "Raft.AppendEntries";

pub(super) fn register<R: Rules>(raft: &Raft<R>, server: Server) -> Server {
    let voter = raft.clone();
    let follower = raft.clone();
    server
        .add(REQUEST_VOTE, move |args: RequestVoteArgs| {
            let raft = voter.clone();
            async move {
                if raft.killed() {
                    return None;
                }
                Some(raft.step(|core| core.handle_request_vote(&args)))
            }
        })
        .add(APPEND_ENTRIES, move |args: AppendEntriesArgs| {
            let raft = follower.clone();
            async move {
                if raft.killed() {
                    return None;
                }
                let reply = raft.step(|core| core.handle_append_entries(&args));
                if !reply.success && reply.term == args.term {
                    tracing::debug!(
                        target: "raft",
                        prev = args.prev_log_index,
                        conflict_index = reply.conflict_index,
                        conflict_term = ?reply.conflict_term,
                        "reject append"
                    );
                }
                Some(reply)
            }
        })
}

/// Makes the call in its own task on this server's node and feeds the
/// reply back to the core. A failed call (labrpc's Call returning false) is
/// forgotten: the next election retries a RequestVote, the next heartbeat
/// an AppendEntries, from the follower's unchanged nextIndex.
pub(super) fn send<R: Rules>(raft: &Raft<R>, outbound: Outbound) {
    let raft = raft.clone();
    let to = outbound.to;
    madsim::task::spawn(async move {
        let end = &raft.shared.peers[to];
        match outbound.request {
            Request::RequestVote(args) => {
                let reply = end
                    .call::<_, Option<RequestVoteReply>>(REQUEST_VOTE, &args)
                    .await;
                if let Ok(Some(reply)) = reply {
                    if !raft.killed() {
                        raft.step(|core| core.handle_request_vote_reply(to, &args, &reply));
                    }
                }
            }
            Request::AppendEntries(args) => {
                let reply = end
                    .call::<_, Option<AppendEntriesReply>>(APPEND_ENTRIES, &args)
                    .await;
                if let Ok(Some(reply)) = reply {
                    if !raft.killed() {
                        raft.step(|core| core.handle_append_entries_reply(to, &args, &reply));
                    }
                }
            }
        }
    });
}
