//! Log replication (§5.3), the commitment rule (§5.4.2) and fast backup of
//! nextIndex.

use super::messages::{AppendEntriesArgs, AppendEntriesReply, LogIndex, Outbound, PeerId, Request};
use super::{Core, Event, Progress, RoleState, Rules};

impl<R: Rules> Core<R> {
    /// Leader: one AppendEntries to every follower, carrying whatever each
    /// is missing from its nextIndex on (a heartbeat when it is missing
    /// nothing). Restarts the heartbeat interval.
    pub(super) fn broadcast_append_entries(&mut self) {
        assert!(self.is_leader());
        self.heartbeat_elapsed_ms = 0;
        self.unsent_elapsed_ms = None;
        let peers: Vec<PeerId> = self.peers().collect();
        for peer in peers {
            self.send_append_entries(peer);
        }
    }

    /// Leader, between heartbeats: new entries to the followers that take
    /// entries. A probing follower waits for the next heartbeat, so an
    /// unreachable one costs a request per interval, not per proposal.
    pub(super) fn replicate_new_entries(&mut self) {
        self.unsent_elapsed_ms = None;
        let last_index = self.log.last_index();
        let peers: Vec<PeerId> = self.peers().collect();
        for peer in peers {
            let progress = self.progress(peer);
            if !progress.probing && progress.next_index <= last_index {
                self.send_append_entries(peer);
            }
        }
    }

    /// Sends `to` what it lacks from nextIndex on. Entries are sent once:
    /// nextIndex moves past them at once (optimistically, as etcd's
    /// replicate state does), so the next request carries only newer ones.
    /// A rejection or a lost request puts the follower back to probing.
    fn send_append_entries(&mut self, to: PeerId) {
        let progress = self.progress(to);
        let prev_log_index = progress.next_index - 1;
        let prev_log_term = self
            .log
            .term_at(prev_log_index)
            .expect("nextIndex never passes the leader's last index + 1");
        let entries = if progress.probing {
            Vec::new()
        } else {
            self.log.entries_from(progress.next_index).to_vec()
        };
        let sent_through = prev_log_index + entries.len() as LogIndex;
        self.progress_mut(to).next_index = sent_through + 1;
        let args = AppendEntriesArgs {
            term: self.current_term,
            leader_id: self.config.me,
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit: self.commit_index,
        };
        self.send(Outbound {
            to,
            request: Request::AppendEntries(args),
        });
    }

    /// AppendEntries receiver (Figure 2), answering mismatches with the
    /// fast-backup hint.
    pub fn handle_append_entries(&mut self, args: &AppendEntriesArgs) -> AppendEntriesReply {
        assert!(args.leader_id < self.config.peer_count && args.leader_id != self.config.me);
        self.observe_term(args.term);
        // 1. "Reply false if term < currentTerm."
        if args.term < self.current_term {
            return self.append_entries_reply(false, 0, None);
        }
        // Election Safety (§5.2): two leaders in one term is impossible, so a
        // leader never hears from another leader of its own term.
        assert!(
            !self.is_leader(),
            "two leaders in term {}",
            self.current_term
        );
        // A candidate that hears from the leader of its term concedes.
        self.become_follower();
        if self.leader_id != Some(args.leader_id) {
            assert!(self.leader_id.is_none(), "one leader per term");
            self.leader_id = Some(args.leader_id);
            self.emit(Event::LeaderDiscovered {
                term: args.term,
                leader: args.leader_id,
            });
        }
        self.reset_election_timer();

        // 2. "Reply false if log doesn't contain an entry at prevLogIndex
        // whose term matches prevLogTerm."
        match self.log.term_at(args.prev_log_index) {
            None => {
                let conflict_index = self.log.last_index() + 1;
                return self.append_entries_reply(false, conflict_index, None);
            }
            Some(term) if term != args.prev_log_term => {
                let conflict_index = self.log.first_index_of_term_at(args.prev_log_index);
                return self.append_entries_reply(false, conflict_index, Some(term));
            }
            Some(_) => {}
        }

        let last_new_index = self.merge_entries(args);
        // 5. "If leaderCommit > commitIndex, set commitIndex =
        // min(leaderCommit, index of last new entry)." Only the entries this
        // request vouched for count: anything past them may be stale.
        let commit_index = args.leader_commit.min(last_new_index);
        if commit_index > self.commit_index {
            self.set_commit_index(commit_index);
        }
        self.append_entries_reply(true, 0, None)
    }

    /// Steps 3 and 4 ([`Rules::merge_entries`]). Returns the index of the
    /// last entry the request carried.
    fn merge_entries(&mut self, args: &AppendEntriesArgs) -> LogIndex {
        if R::merge_entries(
            &mut self.log,
            self.commit_index,
            args.prev_log_index,
            &args.entries,
        ) {
            self.persist_pending = true;
        }
        args.prev_log_index + args.entries.len() as LogIndex
    }

    fn append_entries_reply(
        &self,
        success: bool,
        conflict_index: LogIndex,
        conflict_term: Option<u64>,
    ) -> AppendEntriesReply {
        AppendEntriesReply {
            term: self.current_term,
            success,
            conflict_index,
            conflict_term,
        }
    }

    /// AppendEntries reply at the leader.
    pub fn handle_append_entries_reply(
        &mut self,
        from: PeerId,
        args: &AppendEntriesArgs,
        reply: &AppendEntriesReply,
    ) {
        assert!(from < self.config.peer_count && from != self.config.me);
        if self.observe_term(reply.term) {
            return;
        }
        // Replies to requests of an earlier term, or arriving after we lost
        // leadership, describe a log we no longer drive.
        if !self.is_leader() || args.term != self.current_term {
            return;
        }
        if reply.success {
            let matched = args.prev_log_index + args.entries.len() as LogIndex;
            let last_index = self.log.last_index();
            let progress = self.progress_mut(from);
            // Replies may arrive out of order: never move backwards.
            progress.match_index = progress.match_index.max(matched);
            progress.next_index = progress.next_index.max(matched + 1);
            let found = std::mem::replace(&mut progress.probing, false);
            let behind = progress.next_index <= last_index;
            self.advance_leader_commit();
            // The probe found where the follower's log matches ours: ship
            // the rest now rather than at the next heartbeat.
            if found && behind {
                self.send_append_entries(from);
            }
        } else {
            let next_index = self.next_index_after_conflict(reply);
            let last_index = self.log.last_index();
            let progress = self.progress_mut(from);
            progress.next_index = next_index.clamp(progress.match_index + 1, last_index + 1);
            progress.probing = true;
            // Probe again at once: waiting a heartbeat per skipped term
            // would make a far-behind follower slow to catch up.
            self.send_append_entries(from);
        }
    }

    /// Fast backup (6.824 guidance): if the leader has entries of the
    /// follower's conflicting term, resume just after its last one;
    /// otherwise skip the follower's whole run of that term.
    fn next_index_after_conflict(&self, reply: &AppendEntriesReply) -> LogIndex {
        assert!(
            reply.conflict_index >= 1,
            "a mismatch names a conflict index"
        );
        match reply.conflict_term {
            None => reply.conflict_index,
            Some(term) => match self.log.last_index_of_term(term) {
                Some(index) => index + 1,
                None => reply.conflict_index,
            },
        }
    }

    /// Leader: "If there exists an N such that N > commitIndex, a majority
    /// of matchIndex[i] ≥ N, and log[N].term == currentTerm: set
    /// commitIndex = N" (§5.3, §5.4.2). Entries of earlier terms commit only
    /// indirectly, by Log Matching, once an entry of the current term does:
    /// counting their replicas is unsafe (Figure 8).
    pub(super) fn advance_leader_commit(&mut self) {
        let RoleState::Leader { progress } = &self.role else {
            unreachable!("only a leader counts replicas");
        };
        let me = self.config.me;
        let mut matched: Vec<LogIndex> = progress
            .iter()
            .enumerate()
            .map(|(peer, p)| {
                if peer == me {
                    self.log.last_index()
                } else {
                    p.match_index
                }
            })
            .collect();
        // The majority-th largest match index is stored on a majority.
        matched.sort_unstable_by(|a, b| b.cmp(a));
        let replicated = matched[self.majority() - 1];
        if replicated <= self.commit_index {
            return;
        }
        if !R::may_commit_by_counting(&self.log, replicated, self.current_term) {
            // Terms never decrease along the log, so no smaller N qualifies.
            return;
        }
        self.set_commit_index(replicated);
    }

    fn progress(&self, peer: PeerId) -> Progress {
        match &self.role {
            RoleState::Leader { progress } => progress[peer],
            _ => unreachable!("only a leader tracks followers"),
        }
    }

    fn progress_mut(&mut self, peer: PeerId) -> &mut Progress {
        match &mut self.role {
            RoleState::Leader { progress } => &mut progress[peer],
            _ => unreachable!("only a leader tracks followers"),
        }
    }
}
