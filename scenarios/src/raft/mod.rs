//! HW4 Raft: the 4A and 4B tests of `raft/test_test.go` (MIT 6.824 2021
//! 2A–2C as adapted by CS350) against `raft::Raft`, through a port of
//! `config.go`, with the safety properties of Figure 3 checked at every step
//! by an observer kept apart from the system.
//!
//! Every scenario keeps the original's server count, failure pattern,
//! iteration counts and limits, with real time mapped 1:1 onto virtual time
//! and the original's 120 s per-test limit.

mod agreement;
mod churn;
pub mod config;
mod election;
pub(crate) mod figure8;
pub mod invariants;
mod persistence;
pub mod probe;
mod swarm;
#[cfg(test)]
mod teeth;
mod unreliable;

use std::time::Duration;

use sim::Scenario;

/// config.go's checkTimeout: 120 seconds per test.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// `demo/raft/stale_commit` (listed with the demos): TestFigure84B on a Raft
/// whose leader commits an entry of an older term by counting its replicas
/// (the bug of the paper's Figure 8). The Figure 3 invariants are switched
/// off here, and only here: they would flag the bug at the very step where
/// the consistency probe does, while the point of the demo is to show `dst
/// bisect` finding, with the probe, an instant that config.go's own checks
/// (the applier, nCommitted) could only notice later.
pub async fn stale_commit_demo() -> sim::Result<sim::Summary> {
    figure8::figure8_with(Some(raft::InjectedBug::CommitPreviousTermByCounting), false).await
}

pub fn scenarios() -> Vec<Scenario> {
    let tests: [(&'static str, sim::Body); 19] = [
        ("raft/4a/initial_election", || {
            Box::pin(election::initial_election(None))
        }),
        ("raft/4a/re_election", || {
            Box::pin(election::re_election(None))
        }),
        ("raft/4a/many_elections", || {
            Box::pin(election::many_elections(None))
        }),
        ("raft/4b/basic_agree", || {
            Box::pin(agreement::basic_agree(None))
        }),
        ("raft/4b/rpc_bytes", || Box::pin(agreement::rpc_bytes(None))),
        ("raft/4b/fail_agree", || {
            Box::pin(agreement::fail_agree(None))
        }),
        ("raft/4b/fail_no_agree", || {
            Box::pin(agreement::fail_no_agree(None))
        }),
        ("raft/4b/concurrent_starts", || {
            Box::pin(agreement::concurrent_starts(None))
        }),
        ("raft/4b/rejoin", || Box::pin(agreement::rejoin(None))),
        ("raft/4b/backup", || Box::pin(agreement::backup(None))),
        ("raft/4b/count", || Box::pin(agreement::count(None))),
        ("raft/4b/persist1", || Box::pin(persistence::persist1(None))),
        ("raft/4b/persist2", || Box::pin(persistence::persist2(None))),
        ("raft/4b/persist3", || Box::pin(persistence::persist3(None))),
        ("raft/4b/figure8", || Box::pin(figure8::figure8(None))),
        ("raft/4b/unreliable_agree", || {
            Box::pin(unreliable::unreliable_agree(None))
        }),
        ("raft/4b/figure8_unreliable", || {
            Box::pin(figure8::figure8_unreliable(None))
        }),
        ("raft/4b/reliable_churn", || {
            Box::pin(churn::reliable_churn(None))
        }),
        ("raft/4b/unreliable_churn", || {
            Box::pin(churn::unreliable_churn(None))
        }),
    ];
    tests
        .into_iter()
        .chain(swarm::scenarios())
        .map(|(name, body)| Scenario::new(name, body).time_limit(TIME_LIMIT))
        .collect()
}
