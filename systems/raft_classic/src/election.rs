//! The ticker, and leader election (§5.2) with the election restriction
//! (§5.4.1).

use madsim::time::{timeout, Instant};
use raft_api::Role;

use crate::rpc::{RequestVoteArgs, RequestVoteReply, REQUEST_VOTE};
use crate::state::State;
use crate::Raft;

impl Raft {
    /// The ticker task: sleeps until the election deadline (follower,
    /// candidate) or the next heartbeat (leader), or until woken early, then
    /// does what is due.
    pub(crate) async fn ticker(self) {
        while !self.killed() {
            let wake_at = {
                let mut s = self.lock();
                let now = Instant::now();
                if s.role == Role::Leader {
                    if now >= s.heartbeat_due {
                        self.send_append_entries_to_all(&mut s);
                    }
                    s.heartbeat_due
                } else {
                    if now >= s.election_deadline {
                        self.start_election(&mut s);
                    }
                    // A new leader (one-peer cluster) heartbeats at once.
                    if s.role == Role::Leader {
                        s.heartbeat_due
                    } else {
                        s.election_deadline
                    }
                }
            };
            // Woken early by `start` (a new entry), by winning an election
            // or by `kill`; otherwise at `wake_at`.
            let sleep = wake_at.saturating_duration_since(Instant::now());
            let _ = timeout(sleep, self.peer.ticker_wakeup.notified()).await;
        }
    }

    /// "On conversion to candidate, start election: increment currentTerm,
    /// vote for self, reset election timer, send RequestVote RPCs to all
    /// other servers" (Figure 2).
    fn start_election(&self, s: &mut State) {
        s.current_term += 1;
        s.role = Role::Candidate;
        s.voted_for = Some(self.peer.me);
        s.votes = vec![false; s.peer_count()];
        s.votes[self.peer.me] = true;
        s.reset_election_timer();
        self.persist(s);
        s.observe();
        tracing::info!(target: "raft_classic", term = s.current_term, "election");

        let args = RequestVoteArgs {
            term: s.current_term,
            candidate_id: self.peer.me,
            last_log_index: s.last_index(),
            last_log_term: s.last_term(),
        };
        for peer in (0..s.peer_count()).filter(|&peer| peer != self.peer.me) {
            madsim::task::spawn(self.clone().request_vote(peer, args.clone()));
        }
        // A one-peer cluster has its majority already.
        self.become_leader_if_elected(s);
    }

    /// Asks one peer for its vote and counts the answer.
    async fn request_vote(self, peer: usize, args: RequestVoteArgs) {
        let reply = self.peer.peers[peer]
            .call::<_, Option<RequestVoteReply>>(REQUEST_VOTE, &args)
            .await;
        let Ok(Some(reply)) = reply else {
            return; // Lost: the next election will ask again.
        };
        if self.killed() {
            return;
        }
        let mut s = self.lock();
        if reply.term > s.current_term {
            s.become_follower(reply.term);
            self.persist(&s);
            s.observe();
            return;
        }
        // Only a vote of this very election counts.
        if s.role != Role::Candidate || s.current_term != args.term || !reply.vote_granted {
            return;
        }
        s.votes[peer] = true;
        self.become_leader_if_elected(&mut s);
    }

    fn become_leader_if_elected(&self, s: &mut State) {
        let votes = s.votes.iter().filter(|&&granted| granted).count();
        if s.role != Role::Candidate || votes <= s.peer_count() / 2 {
            return;
        }
        s.role = Role::Leader;
        let next = s.last_index() + 1;
        s.next_index.fill(next);
        s.match_index.fill(0);
        s.match_index[self.peer.me] = s.last_index();
        s.observe();
        tracing::info!(target: "raft_classic", term = s.current_term, votes, "leader");
        // Assert leadership at once, then every heartbeat interval; wake the
        // ticker, which sleeps until an election deadline.
        self.send_append_entries_to_all(s);
        self.peer.ticker_wakeup.notify_one();
    }

    /// RequestVote receiver (Figure 2).
    pub(crate) fn handle_request_vote(&self, args: RequestVoteArgs) -> RequestVoteReply {
        let mut s = self.lock();
        if args.term > s.current_term {
            s.become_follower(args.term);
            self.persist(&s);
            s.observe();
        }
        let mut reply = RequestVoteReply {
            term: s.current_term,
            vote_granted: false,
        };
        if args.term < s.current_term {
            return reply;
        }
        let free = s.voted_for.is_none_or(|vote| vote == args.candidate_id);
        // §5.4.1: the candidate's log is at least as up-to-date as ours
        // (a later last term, or the same last term and at least as long).
        let up_to_date =
            (args.last_log_term, args.last_log_index) >= (s.last_term(), s.last_index());
        if free && up_to_date {
            if s.voted_for.is_none() {
                s.voted_for = Some(args.candidate_id);
                self.persist(&s);
                s.observe();
                tracing::info!(
                    target: "raft_classic",
                    term = s.current_term,
                    candidate = args.candidate_id,
                    "vote"
                );
            }
            // Granting a vote defers our own candidacy.
            s.reset_election_timer();
            reply.vote_granted = true;
        }
        reply
    }
}
