//! The 19 Raft tests (and the swarm) on your own Raft, as `cargo test`.
//!
//! Your Raft implements `raft_api::Raft` (Make, Start, GetState, Kill).
//! Here `MyRaft` wraps this repository's Raft to stand in for yours.

use raft_api::{ApplyMsg, ClientEnd, LogIndex, Persister, Term, UnboundedSender};

/// Your Raft peer.
pub struct MyRaft(raft::Raft);

impl raft_api::Raft for MyRaft {
    async fn make(
        peers: Vec<ClientEnd>,
        me: usize,
        persister: Persister,
        apply_ch: UnboundedSender<ApplyMsg>,
    ) -> Self {
        MyRaft(<raft::Raft as raft_api::Raft>::make(peers, me, persister, apply_ch).await)
    }

    fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        self.0.start(command)
    }

    fn state(&self) -> (Term, bool) {
        self.0.state()
    }

    fn kill(&self) {
        self.0.kill()
    }
}

fn main() {
    sim::dst::test_main(scenarios::raft::suite::<MyRaft>("myraft"));
}
