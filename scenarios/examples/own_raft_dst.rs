//! `dst` on your own Raft: the same suite as `tests/own_raft.rs` (whose
//! `MyRaft` it reuses), so that `sweep`, `shrink`, `bisect` and `timeline`
//! take `myraft/...` names, and the `SEED=…` lines they print name the
//! `own_raft` test target:
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
    sim::dst::Dst::new(suite)
        .test_command("cargo test -p scenarios --test own_raft")
        .main()
}
