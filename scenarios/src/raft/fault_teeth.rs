//! The faults beyond labrpc's and the crash points have teeth: two planted
//! Raft bugs (`planted::raft::needing_new_faults`) that hide without them
//! must be caught with them, by a safety check, within a few seeds, in a
//! run where the fault they need fired.

use sim::{RunOptions, Scenario};

use super::persistence;
use crate::planted::raft::{needing_new_faults, TruncateOnAnyAppend};

/// The planted bug's `swarm/mixed_faults` scenario.
fn mixed_faults_of(bug: &str) -> Scenario {
    let (_, suite) = needing_new_faults()
        .into_iter()
        .find(|(name, _)| *name == bug)
        .unwrap_or_else(|| panic!("no planted bug {bug}"));
    suite
        .into_iter()
        .find(|s| s.name.ends_with("/swarm/mixed_faults"))
        .expect("a swarm")
}

/// The first of `seeds` whose run fails, and its failure message and the
/// kinds of the faults that fired.
fn first_failure(
    scenario: &Scenario,
    seeds: std::ops::Range<u64>,
) -> Option<(u64, String, Vec<String>)> {
    seeds.into_iter().find_map(|seed| {
        let result = sim::run(scenario, seed, &RunOptions::default());
        let kinds = sim::fault::coverage(&result.faults).into_keys().collect();
        result
            .failure()
            .map(|failure| (seed, failure.message.clone(), kinds))
    })
}

/// Caught within `seeds`, by a safety check, in a run where a fault of
/// `needed` fired.
fn assert_caught(scenario: &Scenario, seeds: std::ops::Range<u64>, needed: &[&str]) {
    let range = format!("{seeds:?}");
    let Some((seed, message, kinds)) = first_failure(scenario, seeds) else {
        panic!("{} passed every seed of {range}", scenario.name);
    };
    let by_safety_check = [
        "raft safety violation",
        "apply error",
        "committed values do not match",
        // The consistency probe, after the swarm's safety phase.
        "committed entries survive",
    ]
    .iter()
    .any(|sign| message.contains(sign));
    assert!(
        by_safety_check,
        "{} seed {seed}: not a safety check: {message}",
        scenario.name
    );
    assert!(
        needed.iter().any(|kind| kinds.iter().any(|k| k == kind)),
        "{} seed {seed} failed without any of {needed:?} (fired: {kinds:?})",
        scenario.name
    );
}

/// A follower that truncates its log on every AppendEntries deletes
/// entries it acknowledged when a stale request arrives late. On the
/// course's persist2 (a reliable network, servers crashed and restarted),
/// it passes every seed; with duplicated requests, or with reordered ones,
/// the Figure 3 checks catch it.
#[test]
fn a_stale_append_entries_delivered_late_is_caught() {
    let plain = Scenario::new("raft/teeth/persist2_truncate_on_any_append", || {
        Box::pin(persistence::persist2::<TruncateOnAnyAppend>())
    });
    if let Some((seed, message, _)) = first_failure(&plain, 0..TRUNCATE_SEEDS) {
        panic!("without late requests the bug must hide, but seed {seed} failed: {message}");
    }
    let duplicated = Scenario::new("raft/teeth/persist2_duplicates", || {
        Box::pin(async {
            sim::net::set_duplicates(true);
            persistence::persist2::<TruncateOnAnyAppend>().await
        })
    });
    assert_caught(&duplicated, 0..TRUNCATE_SEEDS, &["duplicate_request"]);
    let reordered = Scenario::new("raft/teeth/persist2_request_reordering", || {
        Box::pin(async {
            sim::net::set_request_reordering(true);
            persistence::persist2::<TruncateOnAnyAppend>().await
        })
    });
    assert_caught(&reordered, 0..TRUNCATE_SEEDS, &["reorder_request"]);
}

/// A Raft that clears its saved state before writing the new one loses
/// everything at a crash between the two saves, which only a crash point
/// reaches (the swarm without crash points passes seeds 0..200).
#[test]
fn a_crash_between_a_state_change_and_its_save_is_caught() {
    assert_caught(
        &mixed_faults_of("write_behind"),
        0..WRITE_BEHIND_SEEDS,
        &["crash_point"],
    );
}

const TRUNCATE_SEEDS: u64 = 5;
const WRITE_BEHIND_SEEDS: u64 = 10;
