//! Leader election (§5.2) with the election restriction (§5.4.1).

use super::messages::{Outbound, PeerId, Request, RequestVoteArgs, RequestVoteReply};
use super::{Core, Event, Progress, RoleState, Rules};

impl<R: Rules> Core<R> {
    /// Followers and candidates: "If election timeout elapses ...: convert
    /// to candidate", then increment currentTerm, vote for self, reset the
    /// election timer and send RequestVote to all other servers.
    pub(super) fn start_election(&mut self) {
        assert!(!self.is_leader(), "a leader does not campaign");
        let term = self.current_term + 1;
        self.set_term(term);
        self.voted_for = Some(self.config.me);
        self.persist_pending = true;
        let mut votes = vec![false; self.config.peer_count];
        votes[self.config.me] = true;
        self.role = RoleState::Candidate { votes };
        self.reset_election_timer();
        self.emit(Event::ElectionStarted { term });

        let args = RequestVoteArgs {
            term,
            candidate_id: self.config.me,
            last_log_index: self.log.last_index(),
            last_log_term: self.log.last_term(),
        };
        let peers: Vec<PeerId> = self.peers().collect();
        for to in peers {
            self.send(Outbound {
                to,
                request: Request::RequestVote(args.clone()),
            });
        }
        // A one-server cluster has its majority already.
        self.become_leader_if_elected();
    }

    /// RequestVote receiver (Figure 2).
    pub fn handle_request_vote(&mut self, args: &RequestVoteArgs) -> RequestVoteReply {
        assert!(args.candidate_id < self.config.peer_count);
        assert_ne!(
            args.candidate_id, self.config.me,
            "a candidate votes for itself locally"
        );
        self.observe_term(args.term);
        let vote_granted = args.term == self.current_term
            && self.voted_for.is_none_or(|vote| vote == args.candidate_id)
            && self.candidate_log_is_up_to_date(args);
        if vote_granted {
            assert!(!self.is_leader() && !matches!(self.role, RoleState::Candidate { .. }));
            if self.voted_for.is_none() {
                self.voted_for = Some(args.candidate_id);
                self.persist_pending = true;
                self.emit(Event::VoteGranted {
                    term: args.term,
                    candidate: args.candidate_id,
                });
            }
            // Granting a vote defers our own candidacy: the candidate is
            // likely to win, and competing would only split the vote.
            self.reset_election_timer();
        }
        RequestVoteReply {
            term: self.current_term,
            vote_granted,
        }
    }

    /// §5.4.1: vote only for a candidate whose log is at least as up to date
    /// as ours — a later last term, or the same last term and a log at least
    /// as long. This is what gives the Leader Completeness Property.
    fn candidate_log_is_up_to_date(&self, args: &RequestVoteArgs) -> bool {
        let (our_term, our_index) = (self.log.last_term(), self.log.last_index());
        args.last_log_term > our_term
            || (args.last_log_term == our_term && args.last_log_index >= our_index)
    }

    /// RequestVote reply at the candidate.
    pub fn handle_request_vote_reply(
        &mut self,
        from: PeerId,
        args: &RequestVoteArgs,
        reply: &RequestVoteReply,
    ) {
        assert!(from < self.config.peer_count && from != self.config.me);
        if self.observe_term(reply.term) {
            return;
        }
        // A reply to an election we have since abandoned counts for nothing.
        if args.term != self.current_term || !reply.vote_granted {
            return;
        }
        assert_eq!(
            reply.term, args.term,
            "a granted vote carries the election's term"
        );
        if let RoleState::Candidate { votes } = &mut self.role {
            votes[from] = true;
            self.become_leader_if_elected();
        }
    }

    fn become_leader_if_elected(&mut self) {
        let RoleState::Candidate { votes } = &self.role else {
            return;
        };
        let granted = votes.iter().filter(|&&vote| vote).count();
        if granted < self.majority() {
            return;
        }
        assert_eq!(self.voted_for, Some(self.config.me));
        let next_index = self.log.last_index() + 1;
        let progress = Progress {
            next_index,
            match_index: 0,
            probing: false,
        };
        self.role = RoleState::Leader {
            progress: vec![progress; self.config.peer_count],
        };
        self.leader_id = Some(self.config.me);
        self.emit(Event::BecameLeader {
            term: self.current_term,
        });
        // "Upon election: send initial empty AppendEntries RPCs (heartbeat)
        // to each server", so no follower times out while it learns of us.
        self.broadcast_append_entries();
    }
}
