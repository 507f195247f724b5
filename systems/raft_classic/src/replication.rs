//! Log replication (§5.3): the leader's AppendEntries with the fast backup
//! of the 6.824 hints, the follower's handler, and the commit rule (§5.4.2).

use madsim::time::Instant;
use raft_api::{LogIndex, Role};

use crate::rpc::{AppendEntriesArgs, AppendEntriesReply, APPEND_ENTRIES};
use crate::state::State;
use crate::{Raft, HEARTBEAT_INTERVAL};

impl Raft {
    /// Leader: sends every peer the entries from its nextIndex on (none: a
    /// heartbeat), and schedules the next round.
    pub(crate) fn send_append_entries_to_all(&self, s: &mut State) {
        s.heartbeat_due = Instant::now() + HEARTBEAT_INTERVAL;
        for peer in (0..s.peer_count()).filter(|&peer| peer != self.peer.me) {
            self.send_append_entries(s, peer);
        }
    }

    /// Leader: sends `peer` the entries from its nextIndex on, in a task of
    /// its own.
    fn send_append_entries(&self, s: &State, peer: usize) {
        let prev_log_index = s.next_index[peer] - 1;
        let args = AppendEntriesArgs {
            term: s.current_term,
            leader_id: self.peer.me,
            prev_log_index,
            prev_log_term: s.term_at(prev_log_index),
            entries: s.log[prev_log_index as usize + 1..].to_vec(),
            leader_commit: s.commit_index,
        };
        madsim::task::spawn(self.clone().append_entries(peer, args));
    }

    /// Makes one AppendEntries call and handles the reply.
    async fn append_entries(self, peer: usize, args: AppendEntriesArgs) {
        let reply = self.peer.peers[peer]
            .call::<_, Option<AppendEntriesReply>>(APPEND_ENTRIES, &args)
            .await;
        let Ok(Some(reply)) = reply else {
            return; // Lost: the next heartbeat sends again.
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
        // A reply to a request of an earlier term (or of an earlier
        // leadership) says nothing about our log now.
        if s.role != Role::Leader || s.current_term != args.term {
            return;
        }
        if reply.success {
            // Replies may arrive out of order: never move backwards.
            let matched = args.prev_log_index + args.entries.len() as LogIndex;
            s.match_index[peer] = s.match_index[peer].max(matched);
            s.next_index[peer] = s.next_index[peer].max(matched + 1);
            self.advance_commit_index(&mut s);
            return;
        }
        // Rejected. Only the reply to a request made at the current
        // nextIndex may move it: others were overtaken.
        if args.prev_log_index + 1 != s.next_index[peer] {
            return;
        }
        let next = match reply.conflict_term {
            // The follower's log is too short.
            None => reply.conflict_index,
            // Skip the follower's whole conflicting term, unless we hold
            // entries of that term too: then resend from just after ours.
            Some(term) => match s.last_index_of_term(term) {
                Some(last) => last + 1,
                None => reply.conflict_index,
            },
        };
        // Never past the rejected index, never below what the peer matched.
        let next = next
            .min(args.prev_log_index)
            .max(s.match_index[peer] + 1)
            .max(1);
        if next < s.next_index[peer] {
            s.next_index[peer] = next;
            // Try again at once rather than at the next heartbeat.
            self.send_append_entries(&s, peer);
        }
    }

    /// Leader: "If there exists an N such that N > commitIndex, a majority
    /// of matchIndex[i] ≥ N, and log[N].term == currentTerm: set commitIndex
    /// = N" (Figure 2). Entries of earlier terms commit only with one of the
    /// current term (§5.4.2, Figure 8).
    pub(crate) fn advance_commit_index(&self, s: &mut State) {
        let majority = s.peer_count() / 2 + 1;
        for n in (s.commit_index + 1..=s.last_index()).rev() {
            if s.term_at(n) != s.current_term {
                break; // Earlier entries are of earlier terms too.
            }
            let replicas = s.match_index.iter().filter(|&&m| m >= n).count();
            if replicas >= majority {
                self.commit(s, n);
                return;
            }
        }
    }

    /// Moves commitIndex to `index` and wakes the applier.
    fn commit(&self, s: &mut State, index: LogIndex) {
        s.commit_index = index;
        s.observe();
        tracing::info!(target: "raft_classic", term = s.current_term, index, "commit");
        self.peer.applier_wakeup.notify_one();
    }

    /// AppendEntries receiver (Figure 2).
    pub(crate) fn handle_append_entries(&self, args: AppendEntriesArgs) -> AppendEntriesReply {
        let mut s = self.lock();
        let mut reply = AppendEntriesReply {
            term: s.current_term,
            success: false,
            conflict_term: None,
            conflict_index: 0,
        };
        // 1. Reply false if term < currentTerm.
        if args.term < s.current_term {
            return reply;
        }
        // A leader of our term or a later one: follow it.
        if args.term > s.current_term || s.role != Role::Follower {
            if s.become_follower(args.term) {
                self.persist(&s);
            }
            s.observe();
            reply.term = s.current_term;
        }
        s.reset_election_timer();

        // 2. Reply false if the log does not contain an entry at
        //    prevLogIndex whose term matches prevLogTerm.
        if args.prev_log_index > s.last_index() {
            reply.conflict_index = s.last_index() + 1;
            return reply;
        }
        let term_at_prev = s.term_at(args.prev_log_index);
        if term_at_prev != args.prev_log_term {
            reply.conflict_term = Some(term_at_prev);
            reply.conflict_index = s.first_index_of_term(term_at_prev, args.prev_log_index);
            return reply;
        }

        // 3. If an existing entry conflicts with a new one (same index but
        //    different terms), delete it and all that follow it.
        // 4. Append any new entries not already in the log.
        // Entries that match stay: a delayed, shorter request must not cut
        // entries that a later one appended.
        let last_new = args.prev_log_index + args.entries.len() as LogIndex;
        let mut log_changed = false;
        for (index, entry) in (args.prev_log_index + 1..).zip(args.entries) {
            if index <= s.last_index() {
                if s.term_at(index) == entry.term {
                    continue;
                }
                s.log.truncate(index as usize);
            }
            s.log.push(entry);
            log_changed = true;
        }
        if log_changed {
            self.persist(&s);
            s.observe();
        }

        // 5. If leaderCommit > commitIndex, set commitIndex =
        //    min(leaderCommit, index of last new entry).
        let commit = args.leader_commit.min(last_new);
        if commit > s.commit_index {
            self.commit(&mut s, commit);
        }
        reply.success = true;
        reply
    }
}
