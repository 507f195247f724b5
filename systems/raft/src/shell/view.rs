//! The core as the tester's [`raft_api::PeerState`] view: how this Raft
//! shows its state to the Figure 3 checks without the tester knowing its
//! types.

use raft_api::{LogIndex, PeerState, Role, Term};

use crate::core::{self, Core, Rules};

/// A borrowed core, shown under the shell's lock, with the lowest log index
/// changed since the previous view (the `Ready`'s `log_changed_from`; the
/// shell shows a view after every input, and a restored log counts as
/// changed from index 1).
pub(super) struct View<'a, R: Rules> {
    pub(super) core: &'a Core<R>,
    pub(super) log_changed_from: Option<LogIndex>,
}

impl<R: Rules> PeerState for View<'_, R> {
    fn me(&self) -> usize {
        self.core.me()
    }

    fn term(&self) -> Term {
        self.core.term()
    }

    fn voted_for(&self) -> Option<usize> {
        self.core.voted_for()
    }

    fn role(&self) -> Role {
        match self.core.role() {
            core::Role::Follower => Role::Follower,
            core::Role::Candidate => Role::Candidate,
            core::Role::Leader => Role::Leader,
        }
    }

    fn last_index(&self) -> LogIndex {
        self.core.log().last_index()
    }

    fn entry_term(&self, index: LogIndex) -> Term {
        self.core.log().entry(index).term
    }

    fn entry_command(&self, index: LogIndex) -> &[u8] {
        &self.core.log().entry(index).command
    }

    fn commit_index(&self) -> LogIndex {
        self.core.commit_index()
    }

    fn unchanged_prefix(&self) -> Option<LogIndex> {
        Some(
            self.log_changed_from
                .map_or(self.core.log().last_index(), |from| from - 1),
        )
    }
}
