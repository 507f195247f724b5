//! What the tester learns from the [`raft_api::PeerState`] views a Raft
//! chooses to show ([`raft_api::observe`]): one copy per server of its last
//! view, kept up to date by diffing, so the checks see which log indexes
//! changed without trusting the implementation to say so.
//!
//! Everything here is optional knowledge: a Raft that never calls
//! `observe` leaves every copy empty, and only config.go's own checks run.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use raft_api::{LogIndex, PeerState, Role, Term};

use super::invariants::Invariants;
use super::probe::CommitWitness;

/// One log entry as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenEntry {
    pub term: Term,
    pub command: Vec<u8>,
}

/// A server's state as its last view showed it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub me: usize,
    pub term: Term,
    pub voted_for: Option<usize>,
    pub role: Role,
    pub commit_index: LogIndex,
    /// `log[i - 1]` is the entry at index i.
    pub log: Vec<SeenEntry>,
}

impl Seen {
    fn new(me: usize) -> Seen {
        Seen {
            me,
            term: 0,
            voted_for: None,
            role: Role::Follower,
            commit_index: 0,
            log: Vec::new(),
        }
    }

    pub fn is_leader(&self) -> bool {
        self.role == Role::Leader
    }

    pub fn last_index(&self) -> LogIndex {
        self.log.len() as LogIndex
    }

    /// Copies `view`; returns the first log index whose entry was appended,
    /// replaced or removed (None: the log is unchanged). Entries are
    /// compared one by one, except the prefix the view promises unchanged
    /// ([`PeerState::unchanged_prefix`]): a peer that keeps no such account
    /// has its whole log compared at every view.
    fn follow(&mut self, view: &dyn PeerState) -> Option<LogIndex> {
        self.term = view.term();
        self.voted_for = view.voted_for();
        self.role = view.role();
        self.commit_index = view.commit_index();
        let last = view.last_index();
        let common = (self.log.len() as LogIndex).min(last);
        let promised = view.unchanged_prefix().unwrap_or(0).min(common);
        let differs = (promised + 1..=common).find(|&index| {
            let seen = &self.log[(index - 1) as usize];
            seen.term != view.entry_term(index) || seen.command != view.entry_command(index)
        });
        let from = match differs {
            Some(index) => index,
            None if self.log.len() as LogIndex == last => return None,
            None => common + 1,
        };
        self.log.truncate((from - 1) as usize);
        for index in from..=last {
            self.log.push(SeenEntry {
                term: view.entry_term(index),
                command: view.entry_command(index).to_vec(),
            });
        }
        Some(from)
    }

    /// One line for `dst run --dump` and failure reports.
    pub fn describe(&self) -> String {
        format!(
            "term={} role={:?} voted_for={:?} last={} commit={}",
            self.term,
            self.role,
            self.voted_for,
            self.last_index(),
            self.commit_index
        )
    }
}

/// A run's views: the copies, the probe's witness and (unless switched
/// off) the Figure 3 invariants, fed under one lock in the order the
/// servers showed their states.
pub struct Views {
    seen: Mutex<BTreeMap<usize, Seen>>,
    witness: CommitWitness,
    invariants: Option<Invariants>,
}

impl Views {
    /// Starts watching this run's `observe` calls.
    pub fn watch(continuous_checks: bool) -> Arc<Views> {
        let views = Arc::new(Views {
            seen: Mutex::new(BTreeMap::new()),
            witness: CommitWitness::new(),
            invariants: continuous_checks.then(Invariants::new),
        });
        let watching = views.clone();
        // The checking is the test's own work, not the framework's (`sim::work`).
        raft_api::watch(Some(std::rc::Rc::new(move |view: &dyn PeerState| {
            sim::work::own(|| watching.observe(view))
        })));
        views
    }

    fn observe(&self, view: &dyn PeerState) {
        let mut seen = self.lock();
        let me = view.me();
        let server = seen.entry(me).or_insert_with(|| Seen::new(me));
        let changed_from = server.follow(view);
        self.witness.observe(server);
        let violation = match &self.invariants {
            Some(invariants) => invariants.observe(server, changed_from).err(),
            None => None,
        };
        if let Some(violation) = violation {
            drop(seen);
            panic!("raft safety violation: {violation}");
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<usize, Seen>> {
        // A violation panics while a server holds its own lock, never this
        // one; still, later readers (reports) want the data.
        self.seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether any server showed a view: the Figure 3 checks ran only then.
    pub fn any_seen(&self) -> bool {
        !self.lock().is_empty()
    }

    /// Whether the invariants are checked at every step.
    pub fn continuous_checks(&self) -> bool {
        self.invariants.is_some()
    }

    /// Server `i`'s last view, described.
    pub fn describe(&self, i: usize) -> Option<String> {
        self.lock().get(&i).map(Seen::describe)
    }

    /// The probe (see probe.rs) over the last views of `n` servers.
    pub fn check_probe(&self, n: usize) -> Result<(), String> {
        self.witness.check(n, &self.lock())
    }

    /// How many terms had a leader.
    pub fn leader_terms(&self) -> usize {
        self.witness.leader_terms()
    }
}
