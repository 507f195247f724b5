//! This Raft behind the course's API ([`raft_api::Raft`]), which is all the
//! tester in `scenarios` knows of it.

use raft_api::{ApplyMsg, ClientEnd, LogIndex, Persister, Server, Term, UnboundedSender};

use super::Raft;
use crate::core::Rules;

impl<R: Rules> raft_api::Raft for Raft<R> {
    async fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_ch: UnboundedSender<ApplyMsg>,
    ) -> Self {
        let raft = Raft::<R>::with_rules(peers, me, persister, apply_ch);
        raft.register(Server::new())
            .start()
            .await
            .expect("a fresh node binds its RPC port");
        raft
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        Raft::start(self, command)
    }

    fn state(&self) -> (Term, bool) {
        Raft::state(self)
    }

    fn kill(&self) {
        Raft::kill(self)
    }
}
