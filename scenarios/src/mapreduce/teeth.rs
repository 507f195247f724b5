//! The suite can fail: each test runs a step against a deliberately broken
//! coordinator or worker and asserts that some seed of a small range fails,
//! with the failure the step is meant to detect. A step that passed with the
//! bug in place would be checking nothing.

use std::ops::Range;
use std::time::Duration;

use mapreduce::{InjectedBug, JobConfig};
use sim::{FailureKind, RunOptions, Scenario};

use super::{crash, early_exit, job_count, wc_indexer};

/// Runs `scenario` on `seeds` until one fails; returns that seed, its kind
/// and message, or panics naming the bug that went unnoticed.
fn first_failure(scenario: &Scenario, seeds: Range<u64>) -> (u64, FailureKind, String) {
    for seed in seeds.clone() {
        let result = sim::run(scenario, seed, &RunOptions::default());
        if let Some(failure) = result.failure() {
            return (seed, failure.kind, failure.message.clone());
        }
    }
    panic!(
        "{} passed on every seed of {seeds:?}: the bug went unnoticed",
        scenario.name
    )
}

fn with_bug(bug: InjectedBug) -> JobConfig {
    JobConfig {
        injected_bug: Some(bug),
        ..JobConfig::default()
    }
}

/// A coordinator that never re-issues leaves a crashed worker's task
/// unfinished forever: the crash step runs out of time.
#[test]
fn crash_catches_a_coordinator_that_never_reissues() {
    let scenario = Scenario::new("mapreduce/teeth/never_reissue", || {
        Box::pin(crash::crash(JobConfig {
            reissue_after: Duration::MAX,
            ..JobConfig::default()
        }))
    })
    .time_limit(super::TIME_LIMIT);
    let (_, kind, _) = first_failure(&scenario, 0..5);
    assert_eq!(kind, FailureKind::TimeLimit);
}

/// Re-issuing after 1 s instead of 10 s runs the 2..5 s jobcount maps twice.
#[test]
fn job_count_catches_a_coordinator_that_reissues_too_early() {
    let scenario = Scenario::new("mapreduce/teeth/reissue_too_early", || {
        Box::pin(job_count::job_count(JobConfig {
            reissue_after: Duration::from_secs(1),
            ..JobConfig::default()
        }))
    });
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("jobcount: output differs"), "{message}");
}

/// Files written in place, without temp file, sync and rename, vanish when
/// their writer crashes later: a reduce finds a map's file gone, or the job
/// ends with an output file missing.
#[test]
fn crash_catches_a_worker_without_atomic_durable_writes() {
    let scenario = Scenario::new("mapreduce/teeth/in_place_writes", || {
        Box::pin(crash::crash(with_bug(InjectedBug::InPlaceWrites)))
    })
    .time_limit(super::TIME_LIMIT);
    let (_, kind, message) = first_failure(&scenario, 0..20);
    let lost_intermediate = kind == FailureKind::Panic && message.contains("unreadable");
    let lost_output = kind == FailureKind::Check && message.contains("crash: output differs");
    assert!(lost_intermediate || lost_output, "{kind}: {message}");
}

/// Partitioning by input file sends one word to several reduce tasks, so
/// the word count has duplicate keys.
#[test]
fn wc_catches_a_partitioning_bug() {
    let scenario = Scenario::new("mapreduce/teeth/partition_by_file", || {
        Box::pin(wc_indexer::wc(with_bug(InjectedBug::PartitionByFile)))
    });
    let (seed, kind, message) = first_failure(&scenario, 0..2);
    assert_eq!((seed, kind), (0, FailureKind::Check), "{message}");
    assert!(message.contains("wc: output differs"), "{message}");
}

/// A worker that quits when there is nothing to hand out right now exits
/// while the slow reduces still run: its exit comes before the final output.
#[test]
fn early_exit_catches_a_worker_that_exits_when_idle() {
    let scenario = Scenario::new("mapreduce/teeth/exit_when_idle", || {
        Box::pin(early_exit::early_exit(with_bug(InjectedBug::ExitWhenIdle)))
    });
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("exited first"), "{message}");
}

/// A coordinator that reports done when the last task is handed out, not
/// finished, exits first while reduces are still running.
#[test]
fn early_exit_catches_a_coordinator_done_too_soon() {
    let scenario = Scenario::new("mapreduce/teeth/done_when_all_issued", || {
        Box::pin(early_exit::early_exit(with_bug(
            InjectedBug::DoneWhenAllIssued,
        )))
    });
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("exited first"), "{message}");
}
