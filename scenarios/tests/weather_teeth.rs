//! Does the weather suite have teeth?
//!
//! Small, deliberately wrong aggregators (test code only), each an
//! implementation of the API's `Aggregator` registered through the suite
//! (`scenarios::weather::aggregator_suite`) like any other, and run on
//! seeds 0..50. Each must be caught, with the failure its bug should cause;
//! the failing scenario, seed and message are printed.
//!
//! - `late_into_next`: counts whatever reply arrives during a batch, late
//!   replies of the previous batch included (the assignment's underlined
//!   rule);
//! - `waits_for_all`: reports only once every station has replied;
//! - `ignores_quit`: the real channel aggregator, deaf to quit;
//! - `leaks_calls`: stops reporting on quit but leaves its calls running,
//!   which only our task count on the aggregator node sees;
//! - `drifts`: reports 20 ms late every period, which only our 10 ms spacing
//!   check sees (the original allows 80 ms).
//!
//! And the control: the real aggregators pass the same runs.

use scenarios::planted::weather::{Drifts, IgnoresQuit, LateIntoNext, LeaksCalls, WaitsForAll};
use scenarios::weather::aggregator_suite;
use sim::{RunOptions, RunResult, Scenario};
use weather_api::Aggregator;

const SEEDS: std::ops::Range<u64> = 0..50;

/// The suite for `A`, as scenarios `planted/weather/<group>/<case>`.
fn suite<A: Aggregator>(group: &str) -> Vec<Scenario> {
    aggregator_suite::<A>(&format!("planted/weather/{group}"))
}

/// The first failing run over seeds 0..50 (every scenario per seed).
fn first_failure(suite: &[Scenario]) -> Option<RunResult> {
    let options = RunOptions::default();
    SEEDS
        .flat_map(|seed| suite.iter().map(move |scenario| (scenario, seed)))
        .map(|(scenario, seed)| sim::run(scenario, seed, &options))
        .find(|result| !result.passed())
}

/// `S` must fail within seeds 0..50 with a message containing one of
/// `expected`.
fn caught<A: Aggregator>(group: &str, expected: &[&str]) {
    let suite = suite::<A>(group);
    let Some(result) = first_failure(&suite) else {
        panic!(
            "weather/{group}: no failure on seeds {SEEDS:?}: the suite has no teeth for this bug"
        );
    };
    let failure = result.failure().expect("a failed run");
    println!(
        "weather/{group}: caught by {} seed={}: {}",
        result.scenario, result.seed, failure
    );
    assert!(
        expected.iter().any(|e| failure.message.contains(e)),
        "{} seed={} failed for another reason than expected ({expected:?}): {failure}",
        result.scenario,
        result.seed
    );
}

#[test]
fn late_replies_counted_into_the_next_batch_are_caught() {
    caught::<LateIntoNext>(
        "late_into_next",
        &[
            "not within 0.08 of the true answer",
            "but ours is",
            "but ours isn't",
        ],
    );
}

#[test]
fn waiting_for_every_station_is_caught() {
    caught::<WaitsForAll>(
        "waits_for_all",
        &[
            "batches, but got",
            "Time elapsed is not within 0.08",
            "not within 0.08 of the true answer",
            "but ours is",
        ],
    );
}

#[test]
fn ignoring_quit_is_caught() {
    caught::<IgnoresQuit>(
        "ignores_quit",
        &["received answer after quit signal was sent", "task(s)"],
    );
}

#[test]
fn calls_left_running_after_quit_are_caught() {
    caught::<LeaksCalls>("leaks_calls", &["task(s)"]);
}

#[test]
fn drifting_reports_are_caught() {
    caught::<Drifts>("drifts", &["report spacing"]);
}

/// The control: the real aggregators pass the fixtures' first seeds, so a
/// fixture's failure is its bug, not the harness.
#[test]
fn real_aggregators_pass() {
    let suite = scenarios::weather::suite::<weather::Lab>("control");
    let options = RunOptions::default();
    for seed in 0..5 {
        for scenario in &suite {
            let result = sim::run(scenario, seed, &options);
            assert!(
                result.passed(),
                "{} seed={seed}: {}",
                scenario.name,
                sim::report::failure_report(&result)
            );
        }
    }
}

/// The teeth apply to the quit case specifically: the deaf aggregator
/// reports after quit there (the original's own check).
#[test]
fn ignoring_quit_is_caught_by_the_original_check() {
    let quit = suite::<IgnoresQuit>("ignores_quit_only")
        .into_iter()
        .find(|s| s.name.ends_with("/quit"))
        .expect("a quit case");
    let result = sim::run(&quit, 0, &RunOptions::default());
    let failure = result
        .failure()
        .expect("the deaf aggregator fails the quit case");
    assert!(
        failure
            .message
            .starts_with("ERROR: received answer after quit signal was sent"),
        "{failure}"
    );
}

/// The swarm scenario can fail too: alone, it catches the aggregators that
/// count late replies into the next batch and that wait for every station.
#[test]
fn the_swarm_catches_late_counting_and_waiting_for_all() {
    fn swarm_catches<A: Aggregator>(group: &str) {
        let swarm = scenarios::weather::swarm_scenario::<A>(&format!("planted/weather/{group}"));
        let failed = SEEDS
            .map(|seed| sim::run(&swarm, seed, &RunOptions::default()))
            .find(RunResult::failed)
            .unwrap_or_else(|| panic!("{group}: the swarm passed seeds {SEEDS:?}"));
        println!(
            "{} seed={} :: {}",
            failed.scenario,
            failed.seed,
            failed.failure().expect("failed")
        );
    }
    swarm_catches::<LateIntoNext>("late_into_next");
    swarm_catches::<WaitsForAll>("waits_for_all");
}
