//! The suite can fail: each test runs a step against a deliberately broken
//! implementation (`crate::planted::mapreduce`), registered through
//! [`super::suite`] like any other, and asserts that some seed of a small
//! range fails, with the failure the step is meant to detect. A step that
//! passed with the bug in place would be checking nothing.

use std::ops::Range;

use mapreduce::MapReduce;
use sim::{FailureKind, RunOptions, Scenario};

use crate::planted::mapreduce::{
    BoundedBuckets, DoneWhenAllIssued, ExitWhenIdle, InPlaceWrites, NeverReissue, PartitionByFile,
    ReissueTooEarly, TenBuckets,
};

/// Step `step` of the suite for `M`, registered under `planted/<bug>`.
fn step<M: MapReduce>(bug: &str, step: &str) -> Scenario {
    let name = format!("planted/{bug}/{step}");
    super::suite::<M>(&format!("planted/{bug}"))
        .into_iter()
        .find(|scenario| scenario.name == name)
        .unwrap_or_else(|| panic!("no scenario {name}"))
}

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

/// A coordinator that never re-issues leaves a crashed worker's task
/// unfinished forever: the crash step runs out of time.
#[test]
fn crash_catches_a_coordinator_that_never_reissues() {
    let scenario = step::<NeverReissue>("never_reissue", "crash");
    let (_, kind, _) = first_failure(&scenario, 0..5);
    assert_eq!(kind, FailureKind::TimeLimit);
}

/// Re-issuing after 1 s instead of 10 s runs the 2..5 s jobcount maps twice.
#[test]
fn job_count_catches_a_coordinator_that_reissues_too_early() {
    let scenario = step::<ReissueTooEarly>("reissue_too_early", "job_count");
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("jobcount: output differs"), "{message}");
}

/// Files written in place, without temp file, sync and rename, vanish when
/// their writer crashes later: a reduce finds a map's file gone, or the job
/// ends with an output file missing.
#[test]
fn crash_catches_a_worker_without_atomic_durable_writes() {
    let scenario = step::<InPlaceWrites>("in_place_writes", "crash");
    let (_, kind, message) = first_failure(&scenario, 0..20);
    let lost_intermediate = kind == FailureKind::Panic && message.contains("unreadable");
    let lost_output = kind == FailureKind::Check && message.contains("crash: output differs");
    assert!(lost_intermediate || lost_output, "{kind}: {message}");
}

/// Partitioning by input file sends one word to several reduce tasks, so
/// the word count has duplicate keys.
#[test]
fn wc_catches_a_partitioning_bug() {
    let scenario = step::<PartitionByFile>("partition_by_file", "wc");
    let (seed, kind, message) = first_failure(&scenario, 0..2);
    assert_eq!((seed, kind), (0, FailureKind::Check), "{message}");
    assert!(message.contains("wc: output differs"), "{message}");
}

/// A worker that quits when there is nothing to hand out right now exits
/// while the slow reduces still run: its exit comes before the final output.
#[test]
fn early_exit_catches_a_worker_that_exits_when_idle() {
    let scenario = step::<ExitWhenIdle>("exit_when_idle", "early_exit");
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("exited first"), "{message}");
}

/// A coordinator that reports done when the last task is handed out, not
/// finished, exits first while reduces are still running.
#[test]
fn early_exit_catches_a_coordinator_done_too_soon() {
    let scenario = step::<DoneWhenAllIssued>("done_when_all_issued", "early_exit");
    let (_, kind, message) = first_failure(&scenario, 0..3);
    assert_eq!(kind, FailureKind::Check, "{message}");
    assert!(message.contains("exited first"), "{message}");
}

/// A worker whose intermediate files hold at most a fixed number of pairs
/// passes every step on the small generated inputs, and loses words at the
/// course's scale: only `crash_course_scale` catches it.
#[test]
fn only_the_course_scale_catches_a_bug_that_needs_size() {
    for small in ["wc", "crash"] {
        let scenario = step::<BoundedBuckets>("bounded_buckets", small);
        for seed in 0..3 {
            let result = sim::run(&scenario, seed, &RunOptions::default());
            assert!(result.passed(), "{}", sim::report::result_line(&result));
        }
    }
    let scenario = step::<BoundedBuckets>("bounded_buckets", "crash_course_scale");
    let (seed, kind, message) = first_failure(&scenario, 0..1);
    assert_eq!((seed, kind), (0, FailureKind::Check), "{message}");
    assert!(message.contains("output differs"), "{message}");
}

/// A worker that partitions into 10 buckets whatever `n_reduce` it is
/// handed passes every ported step (all run with the course's 10) on the
/// seeds where the swarm, which draws `n_reduce` from 1 to 20, catches it.
#[test]
fn only_the_swarm_catches_a_bug_that_needs_another_n_reduce() {
    let swarm = step::<TenBuckets>("ten_buckets", "swarm");
    let (seed, kind, message) = first_failure(&swarm, 0..20);
    assert!(
        matches!(kind, FailureKind::Check | FailureKind::Panic),
        "{kind}: {message}"
    );
    println!("swarm catches ten_buckets on seed {seed}: {message}");
    for ported in ["wc", "indexer", "crash", "job_count", "early_exit"] {
        let scenario = step::<TenBuckets>("ten_buckets", ported);
        for seed in [seed, seed + 1] {
            let result = sim::run(&scenario, seed, &RunOptions::default());
            assert!(result.passed(), "{}", sim::report::result_line(&result));
        }
    }
}
