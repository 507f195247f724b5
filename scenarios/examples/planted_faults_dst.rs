//! `dst` over the planted Raft bugs that need the faults beyond labrpc's
//! and the crash points (`scenarios::planted::raft::needing_new_faults`),
//! registered beside the built-in scenarios, so that their seeds-to-catch
//! can be swept:
//!
//! ```sh
//! cargo run --release --example planted_faults_dst -- sweep write_behind/ --seeds 0..200
//! ```

fn main() {
    let planted = scenarios::planted::raft::needing_new_faults()
        .into_iter()
        .flat_map(|(_, suite)| suite)
        .collect();
    std::process::exit(scenarios::cli::main_with(planted));
}
