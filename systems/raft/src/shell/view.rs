//! The core as the tester's [`raft_api::PeerState`] view: how this Raft
//! shows its state to the Figure 3 checks without the tester knowing its
//! types.

use raft_api::{LogIndex, PeerState, Role, Term};

use crate::core::{self, Core, Rules};

/// A borrowed core, shown under the shell's lock.
pub(super) struct View<'a, R: Rules>(pub(super) &'a Core<R>);

impl<R: Rules> PeerState for View<'_, R> {
    fn me(&self) -> usize {
        self.0.me()
    }

    fn term(&self) -> Term {
        self.0.term()
    }

    fn voted_for(&self) -> Option<usize> {
        self.0.voted_for()
    }

    fn role(&self) -> Role {
        match self.0.role() {
            core::Role::Follower => Role::Follower,
            core::Role::Candidate => Role::Candidate,
            core::Role::Leader => Role::Leader,
        }
    }

    fn last_index(&self) -> LogIndex {
        self.0.log().last_index()
    }

    fn entry_term(&self, index: LogIndex) -> Term {
        self.0.log().entry(index).term
    }

    fn entry_command(&self, index: LogIndex) -> &[u8] {
        &self.0.log().entry(index).command
    }

    fn commit_index(&self) -> LogIndex {
        self.0.commit_index()
    }
}
