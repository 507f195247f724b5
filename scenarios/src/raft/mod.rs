//! HW4 Raft: the 4A and 4B tests of `raft/test_test.go` (MIT 6.824 2021
//! 2A–2C as adapted by CS350) against any implementation of the course's
//! API ([`raft_api::Raft`]), through a port of `config.go`, with the safety
//! properties of Figure 3 checked at every step on the states a Raft shows
//! ([`raft_api::observe`]), by a checker kept apart from the system.
//!
//! [`suite`] registers the tests for one implementation under a name
//! prefix: this repository's Raft (`raft::Raft`) is `raft/`; a student's
//! is registered the same way (see README, "Test your own implementation").
//!
//! Every scenario keeps the original's server count, failure pattern,
//! iteration counts and limits, with real time mapped 1:1 onto virtual time
//! and the original's 120 s per-test limit.

mod agreement;
mod churn;
pub mod config;
mod election;
#[cfg(test)]
mod fault_teeth;
pub(crate) mod figure8;
pub mod invariants;
mod persistence;
pub mod probe;
mod swarm;
#[cfg(test)]
mod teeth;
mod unreliable;
pub mod views;
#[cfg(test)]
mod views_check;

use std::time::Duration;

use raft_api::Raft;
use sim::Scenario;

/// The course's limit on the whole suite: the 19 tests together, 600 s
/// (the swarm scenarios are ours and do not count).
const SUITE_BUDGET: Duration = Duration::from_secs(600);

/// config.go's checkTimeout: 120 seconds per test.
const TIME_LIMIT: Duration = Duration::from_secs(120);

/// `demo/raft/stale_commit` (listed with the demos): TestFigure84B on a Raft
/// whose leader commits an entry of an older term by counting its replicas
/// (the mistake of the paper's Figure 8; see `planted::raft`). The Figure 3
/// invariants are switched off here, and only here: they would flag the
/// mistake at the very step where the consistency probe does, while the
/// point of the demo is to show `dst bisect` finding, with the probe, an
/// instant that config.go's own checks (the applier, nCommitted) could only
/// notice later.
pub async fn stale_commit_demo() -> sim::Result<sim::Summary> {
    figure8::figure8_with::<crate::planted::raft::CommitPreviousTermByCounting>(false).await
}

/// This repository's Raft, as `raft/...`.
/// This repository's two Rafts: `raft/` (an etcd-style pure core behind a
/// shell) and `raft_classic/` (one lock, a ticker, handlers and an applier,
/// as the course's hints describe). Both run the same suite through the
/// same trait, which is the proof that the trait fits more than one design.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = suite::<raft::Raft>("raft");
    all.extend(suite::<raft_classic::Raft>("raft_classic"));
    all
}

/// The 19 tests of the course (`{prefix}/4a/initial_election` …
/// `{prefix}/4b/unreliable_churn`) and the swarm scenarios
/// (`{prefix}/swarm/...`) for the Raft implementation `R`. `prefix` is one
/// lowercase word (`[a-z0-9_]`), not already taken by another suite.
pub fn suite<R: Raft>(prefix: &str) -> Vec<Scenario> {
    let tests: [(&'static str, sim::Body); 19] = [
        ("4a/initial_election", || {
            Box::pin(election::initial_election::<R>())
        }),
        ("4a/re_election", || Box::pin(election::re_election::<R>())),
        ("4a/many_elections", || {
            Box::pin(election::many_elections::<R>())
        }),
        ("4b/basic_agree", || Box::pin(agreement::basic_agree::<R>())),
        ("4b/rpc_bytes", || Box::pin(agreement::rpc_bytes::<R>())),
        ("4b/fail_agree", || Box::pin(agreement::fail_agree::<R>())),
        ("4b/fail_no_agree", || {
            Box::pin(agreement::fail_no_agree::<R>())
        }),
        ("4b/concurrent_starts", || {
            Box::pin(agreement::concurrent_starts::<R>())
        }),
        ("4b/rejoin", || Box::pin(agreement::rejoin::<R>())),
        ("4b/backup", || Box::pin(agreement::backup::<R>())),
        ("4b/count", || Box::pin(agreement::count::<R>())),
        ("4b/persist1", || Box::pin(persistence::persist1::<R>())),
        ("4b/persist2", || Box::pin(persistence::persist2::<R>())),
        ("4b/persist3", || Box::pin(persistence::persist3::<R>())),
        ("4b/figure8", || Box::pin(figure8::figure8::<R>())),
        ("4b/unreliable_agree", || {
            Box::pin(unreliable::unreliable_agree::<R>())
        }),
        ("4b/figure8_unreliable", || {
            Box::pin(figure8::figure8_unreliable::<R>())
        }),
        ("4b/reliable_churn", || {
            Box::pin(churn::reliable_churn::<R>())
        }),
        ("4b/unreliable_churn", || {
            Box::pin(churn::unreliable_churn::<R>())
        }),
    ];
    let suite = sim::intern(prefix.to_string());
    let course_tests = tests.into_iter().map(move |(name, body)| {
        let name = sim::intern(format!("{prefix}/{name}"));
        Scenario::new(name, body)
            .time_limit(TIME_LIMIT)
            .suite_budget(suite, SUITE_BUDGET)
    });
    let swarm = swarm::scenarios::<R>()
        .into_iter()
        .map(move |(name, body, sometimes)| {
            let name = sim::intern(format!("{prefix}/{name}"));
            Scenario::new(name, body)
                .time_limit(TIME_LIMIT)
                .sometimes(sometimes)
        });
    course_tests.chain(swarm).collect()
}
