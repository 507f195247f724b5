//! A global consistency probe for `dst bisect`: "committed entries survive"
//! (§5.4 Safety of the extended Raft paper), kept apart from the system.
//!
//! An observer (the [`CommitWitness`]) remembers every entry any server has
//! ever reported committed (index and term) and every leader of every term.
//! The probe then requires, over the whole cluster at the instant it is
//! evaluated:
//!
//! - at most one leader per term (§5.2 Election Safety);
//! - no index was ever committed with two different terms (§5.4.3 State
//!   Machine Safety, at the commit level);
//! - every committed entry is still held, same index and same term, by the
//!   logs of a majority of servers (§5.4, the argument behind Leader
//!   Completeness: the servers that acknowledged a commit only take entries
//!   from leaders that hold it, so they never lose it). Each server's log
//!   is its last view: a crashed server counts with the log it showed last,
//!   which a Raft that persists before acting on a change (Figure 2) will
//!   restart from.
//!
//! The last property fails at the step that destroys a committed entry's
//! majority, before any server applies a different command there (which is
//! when config.go's applier notices).
//!
//! The probe runs outside any task, after the run is stopped at an instant:
//! it only reads state behind mutexes. It needs the [`raft_api::PeerState`]
//! views; a Raft that shows none has no probe to bisect with.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard};

use raft_api::{LogIndex, Term};

use super::views::Seen;

type PeerId = usize;

#[derive(Default)]
struct WitnessState {
    /// Every entry ever reported committed: its term and the first server
    /// seen committing it.
    committed: BTreeMap<LogIndex, (Term, PeerId)>,
    /// Per server, the commit index already recorded (its current
    /// incarnation's; a restart starts again from 0).
    recorded_upto: BTreeMap<PeerId, LogIndex>,
    /// Every server seen leading, per term.
    leaders: BTreeMap<Term, BTreeSet<PeerId>>,
    /// The first index seen committed with two different terms.
    conflict: Option<String>,
}

/// Records commits and leaders as the servers pass through their states.
#[derive(Default)]
pub struct CommitWitness {
    state: Mutex<WitnessState>,
}

impl CommitWitness {
    pub fn new() -> CommitWitness {
        CommitWitness::default()
    }

    fn lock(&self) -> MutexGuard<'_, WitnessState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many terms had a leader.
    pub fn leader_terms(&self) -> usize {
        self.lock().leaders.len()
    }

    /// The probe: `seen` holds the last views of the `n` servers (a
    /// server never seen counts with an empty log).
    pub fn check(&self, n: usize, seen: &BTreeMap<usize, Seen>) -> Result<(), String> {
        let state = self.lock();
        for (term, leaders) in &state.leaders {
            if leaders.len() > 1 {
                return Err(format!(
                    "Election Safety (§5.2): term {term} had {} leaders: {leaders:?}",
                    leaders.len()
                ));
            }
        }
        if let Some(conflict) = &state.conflict {
            return Err(conflict.clone());
        }
        let logs: Vec<Vec<Term>> = (0..n)
            .map(|s| {
                seen.get(&s)
                    .map(|server| server.log.iter().map(|e| e.term).collect())
                    .unwrap_or_default()
            })
            .collect();
        let majority = n / 2 + 1;
        for (&index, &(term, by)) in &state.committed {
            let holders: Vec<usize> = (0..logs.len())
                .filter(|&s| logs[s].get(index as usize - 1) == Some(&term))
                .collect();
            if holders.len() < majority {
                return Err(format!(
                    "committed entries survive (§5.4): index {index} of term {term}, committed \
                     (first seen at server {by}), is now held by only {} of {} logs \
                     {holders:?}",
                    holders.len(),
                    logs.len()
                ));
            }
        }
        Ok(())
    }
}

impl CommitWitness {
    /// Records what `server`'s new state shows: its leadership and the
    /// entries it now knows committed.
    pub fn observe(&self, server: &Seen) {
        let mut state = self.lock();
        let me = server.me;
        if server.is_leader() {
            state.leaders.entry(server.term).or_default().insert(me);
        }
        let commit = server.commit_index;
        let upto = state
            .recorded_upto
            .get(&me)
            .copied()
            .unwrap_or(0)
            .min(commit);
        for index in upto + 1..=commit {
            let term = server.log[(index - 1) as usize].term;
            let (seen, by) = *state.committed.entry(index).or_insert((term, me));
            if seen != term && state.conflict.is_none() {
                state.conflict = Some(format!(
                    "State Machine Safety (§5.4.3): index {index} committed with term {seen} at \
                     server {by} and with term {term} at server {me}"
                ));
            }
        }
        state.recorded_upto.insert(me, commit);
    }
}
