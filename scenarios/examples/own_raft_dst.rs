//! `dst` on your own Raft: the same suite as `tests/own_raft.rs` (whose
//! `MyRaft` it reuses), registered beside the built-in scenarios, so that
//! `sweep`, `shrink`, `bisect` and `timeline` take `myraft/...` names:
//!
//! ```sh
//! cargo run --release --example own_raft_dst -- sweep myraft/ --seeds 0..100
//! ```

// Its `main` is the cargo-test one, unused here.
#[allow(dead_code)]
#[path = "../tests/own_raft.rs"]
mod own_raft;

fn main() {
    let suite = scenarios::raft::suite::<own_raft::MyRaft>("myraft");
    std::process::exit(scenarios::cli::main_with(suite));
}
