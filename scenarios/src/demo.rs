//! Demo scenarios with planted bugs, for learning the investigation tools
//! (`dst sweep`, `shrink`, `bisect`, `timeline`). They are meant to fail:
//! `all` leaves them out, and `cargo test` checks that each one fails on
//! some seed in 0..50 (so the tools always have something to find). The
//! framework's own demo, `demo/rpc/lossy_counter`, lives with its
//! self-tests (`sim::selftest`).

use std::time::Duration;

use sim::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new("demo/raft/stale_commit", || {
        Box::pin(crate::raft::stale_commit_demo())
    })
    .time_limit(Duration::from_secs(120))
    .must_fail()]
}
