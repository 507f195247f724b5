//! The faults beyond labrpc's and the crash points have teeth: two planted
//! Raft bugs (`planted::raft::needing_new_faults`) that the swarm without
//! them does not catch in the same seeds (see BENCHMARKS.md's
//! seeds-to-catch) must be caught by a safety check, within a few seeds of
//! `swarm/mixed_faults`.

use sim::{RunOptions, Scenario};

use crate::planted::raft::needing_new_faults;

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
fn assert_caught(bug: &str, seeds: std::ops::Range<u64>, needed: &[&str]) {
    let scenario = mixed_faults_of(bug);
    let range = format!("{seeds:?}");
    let Some((seed, message, kinds)) = first_failure(&scenario, seeds) else {
        panic!("{} passed every seed of {range}", scenario.name);
    };
    let by_safety_check = [
        "raft safety violation",
        "apply error",
        "committed values do not match",
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

/// A follower that truncates its log on every AppendEntries loses entries
/// it acknowledged when a stale request arrives late.
#[test]
fn a_stale_append_entries_delivered_late_is_caught() {
    assert_caught(
        "truncate_on_any_append",
        0..TRUNCATE_SEEDS,
        &["duplicate_request", "reorder_request"],
    );
}

/// A Raft that makes its state durable a millisecond after letting it out
/// (a vote, an acknowledged entry) loses it at a crash in between.
#[test]
fn a_crash_between_a_state_change_and_its_save_is_caught() {
    assert_caught("write_behind", 0..WRITE_BEHIND_SEEDS, &["crash_point"]);
}

const TRUNCATE_SEEDS: u64 = 40;
const WRITE_BEHIND_SEEDS: u64 = 40;
