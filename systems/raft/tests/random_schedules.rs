//! Randomized schedules against the pure core: messages reordered, dropped
//! and duplicated, servers crashed and restarted from their saved state,
//! timers fired at random. After every step the four safety properties of
//! Figure 3 are checked; at the end the network heals and the cluster must
//! commit a fresh proposal on every server (liveness after faults stop).
//! The checker's teeth (planted variants caught) are tested in
//! `scenarios/tests/raft_schedule_teeth.rs`.

mod common;
mod schedules;

use raft::Figure2;
use schedules::{run_schedule, Coverage};

#[test]
fn random_schedules_keep_raft_safe_and_live() {
    let mut total = Coverage::default();
    for seed in 0..300 {
        let peer_count = [3, 5][seed as usize % 2];
        match run_schedule::<Figure2>(seed, peer_count, 3000, |_| {}) {
            Ok(coverage) => {
                total.leader_terms += coverage.leader_terms;
                total.committed += coverage.committed;
                total.conflicts_truncated += coverage.conflicts_truncated;
            }
            Err(violation) => panic!("seed {seed}: {violation}"),
        }
    }
    // "Sometimes" properties: the schedules really did elect many leaders,
    // commit many entries and repair divergent logs.
    assert!(total.leader_terms > 2000, "{total:?}");
    assert!(total.committed > 10_000, "{total:?}");
    assert!(total.conflicts_truncated > 500, "{total:?}");
}
