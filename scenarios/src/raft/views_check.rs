//! The view-based checks work on any implementation's views, including one
//! that promises nothing about what changed: hand-made views (no Raft at
//! all) that break a property must be caught, and a run in which nothing
//! shows a view must not claim the Figure 3 checks ran.

use std::panic::{catch_unwind, AssertUnwindSafe};

use raft_api::{LogIndex, PeerState, Role, Term};

use super::views::Views;

/// A peer's state, written out by hand; promises nothing (the default
/// `unchanged_prefix`), like a Raft that keeps no account of its changes.
struct Hand {
    me: usize,
    term: Term,
    role: Role,
    log: Vec<(Term, Vec<u8>)>,
    commit: LogIndex,
}

impl PeerState for Hand {
    fn me(&self) -> usize {
        self.me
    }
    fn term(&self) -> Term {
        self.term
    }
    fn voted_for(&self) -> Option<usize> {
        None
    }
    fn role(&self) -> Role {
        self.role
    }
    fn last_index(&self) -> LogIndex {
        self.log.len() as LogIndex
    }
    fn entry_term(&self, index: LogIndex) -> Term {
        self.log[(index - 1) as usize].0
    }
    fn entry_command(&self, index: LogIndex) -> &[u8] {
        &self.log[(index - 1) as usize].1
    }
    fn commit_index(&self) -> LogIndex {
        self.commit
    }
}

fn follower(me: usize, term: Term, log: &[(Term, &[u8])], commit: LogIndex) -> Hand {
    Hand {
        me,
        term,
        role: Role::Follower,
        log: log.iter().map(|(t, c)| (*t, c.to_vec())).collect(),
        commit,
    }
}

/// The panic message of `observe(view)`, if it panicked.
fn violation(view: &Hand) -> Option<String> {
    let caught = catch_unwind(AssertUnwindSafe(|| raft_api::observe(view)));
    caught
        .err()
        .map(|panic| panic.downcast_ref::<String>().cloned().unwrap_or_default())
}

#[test]
fn no_view_means_no_figure3_claim() {
    let views = Views::watch(true);
    assert!(!views.any_seen());
    raft_api::observe(&follower(0, 1, &[], 0));
    assert!(views.any_seen());
    raft_api::watch(None);
}

#[test]
fn two_leaders_in_one_term_are_caught() {
    let _views = Views::watch(true);
    let mut leader = follower(0, 3, &[], 0);
    leader.role = Role::Leader;
    assert_eq!(violation(&leader), None);
    let mut other = follower(1, 3, &[], 0);
    other.role = Role::Leader;
    let message = violation(&other).expect("a second leader of term 3");
    assert!(message.contains("Election Safety"), "{message}");
    raft_api::watch(None);
}

/// A committed entry rewritten in place (same length, same term, another
/// command) is found by comparing entries, with no hint from the peer.
#[test]
fn a_rewritten_committed_entry_is_caught_without_hints() {
    let _views = Views::watch(true);
    let before = follower(0, 2, &[(1, b"x"), (2, b"y")], 2);
    assert_eq!(violation(&before), None);
    let after = follower(0, 2, &[(1, b"x"), (2, b"z")], 2);
    let message = violation(&after).expect("index 2 changed after commit");
    assert!(
        message.contains("State Machine Safety") || message.contains("Log Matching"),
        "{message}"
    );
    raft_api::watch(None);
}
