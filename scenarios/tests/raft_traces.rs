//! Golden traces of the Raft protocol: the compact trace (INFO-level events
//! of targets `raft*`: elections, votes, term changes, leaders, commits, and
//! the tester's steps) of two scenarios on seed 1.
//!
//! A diff here means the protocol's behaviour changed on that seed. Accept
//! it (`cargo insta review`) only when the new sequence of events is
//! understood and intended.

use sim::RunOptions;

fn run_seed_1(name: &str) -> sim::RunResult {
    let scenario = scenarios::all()
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no scenario named {name}"));
    let result = sim::run(&scenario, 1, &RunOptions::default());
    assert!(result.passed(), "{}", sim::report::failure_report(&result));
    result
}

#[test]
fn initial_election_seed_1() {
    let result = run_seed_1("raft/4a/initial_election");
    sim::assert_trace_snapshot!("raft_4a_initial_election_seed_1", &result, "raft");
}

#[test]
fn figure8_seed_1() {
    let result = run_seed_1("raft/4b/figure8");
    sim::assert_trace_snapshot!("raft_4b_figure8_seed_1", &result, "raft");
}
