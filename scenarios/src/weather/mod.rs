//! HW1, weather stations: the original `ws_test.go` (five subtests per
//! aggregator) against both aggregators of `systems/weather`.
//!
//! | scenario | K | AveragePeriod | quit |
//! |---|---|---|---|
//! | `weather/{channel,mutex}/k1` | 1 | 0.8 s | no |
//! | `weather/{channel,mutex}/k10` | 10 | 0.8 s | no |
//! | `weather/{channel,mutex}/k100` | 100 | 0.8 s | no |
//! | `weather/{channel,mutex}/long_average_period` | 100 | 5.0 s | no |
//! | `weather/{channel,mutex}/quit` | 100 | 0.8 s | at 3.1 s |
//!
//! Plus `weather/{channel,mutex}/swarm` ([`swarm`]): K, P, quit and the
//! stations' silences and delays drawn from the seed.
//!
//! The tester ([`tester`]) is `testAll`: same constants, same checks, same
//! messages, plus what virtual time makes possible (report spacing within
//! 10 ms, batches numbered in order, no task of the aggregator left 10 ms
//! after quit). The aggregator is a type parameter ([`Aggregator`], from the
//! assignment's API in crate `weather_api`): [`suite`] registers any
//! solution's two aggregators under a prefix, and the teeth test
//! (`tests/weather_teeth.rs`) registers deliberately wrong aggregators with
//! [`aggregator_suite`] and shows that they fail.

pub mod swarm;
pub mod tester;

use std::time::Duration;

use sim::{Body, BodyFuture, Scenario};
use weather_api::{Aggregator, Aggregators};

pub use tester::Case;

/// A scenario's virtual-time limit: the tester ends by 6.11 s.
pub const TIME_LIMIT: Duration = Duration::from_secs(30);

/// The original subtests, in their order (`runTests`' table).
pub static CASES: [Case; 5] = [
    Case {
        name: "k1",
        stations: 1,
        average_period: 0.8,
        quit_early: false,
    },
    Case {
        name: "k10",
        stations: 10,
        average_period: 0.8,
        quit_early: false,
    },
    Case {
        name: "k100",
        stations: 100,
        average_period: 0.8,
        quit_early: false,
    },
    Case {
        name: "long_average_period",
        stations: 100,
        average_period: 5.0,
        quit_early: false,
    },
    Case {
        name: "quit",
        stations: 100,
        average_period: 0.8,
        quit_early: true,
    },
];

fn body<A: Aggregator, const CASE: usize>() -> BodyFuture {
    Box::pin(tester::test_all(A::aggregate, &CASES[CASE]))
}

/// The five subtests as scenario bodies for aggregator `A`, in [`CASES`]
/// order.
pub fn bodies<A: Aggregator>() -> [(&'static Case, Body); 5] {
    [
        (&CASES[0], body::<A, 0>),
        (&CASES[1], body::<A, 1>),
        (&CASES[2], body::<A, 2>),
        (&CASES[3], body::<A, 3>),
        (&CASES[4], body::<A, 4>),
    ]
}

/// The five subtests for one aggregator `A`, named `<prefix>/<case>`.
pub fn aggregator_suite<A: Aggregator>(prefix: &str) -> Vec<Scenario> {
    bodies::<A>()
        .into_iter()
        .map(|(case, body)| {
            let name = sim::intern(format!("{prefix}/{}", case.name));
            let scenario = Scenario::new(name, body).time_limit(TIME_LIMIT);
            // With one station, a batch with no reply in time (the NaN
            // answer) is an everyday event; with 10 or 100 it is rare.
            match case.stations {
                1 => scenario.sometimes(tester::SOMETIMES),
                _ => scenario,
            }
        })
        .collect()
}

/// The suite for a solution `W`: its channel aggregator's five subtests
/// under `<prefix>/channel/`, then its mutex aggregator's under
/// `<prefix>/mutex/`.
pub fn suite<W: Aggregators>(prefix: &str) -> Vec<Scenario> {
    let mut all = aggregator_suite::<W::Channel>(&format!("{prefix}/channel"));
    all.extend(aggregator_suite::<W::Mutex>(&format!("{prefix}/mutex")));
    all.push(swarm_scenario::<W::Channel>(&format!("{prefix}/channel")));
    all.push(swarm_scenario::<W::Mutex>(&format!("{prefix}/mutex")));
    all
}

/// The swarm scenario ([`swarm`]) for aggregator `A`, named `<prefix>/swarm`.
pub fn swarm_scenario<A: Aggregator>(prefix: &str) -> Scenario {
    Scenario::new(sim::intern(format!("{prefix}/swarm")), swarm::body::<A>).time_limit(TIME_LIMIT)
}

/// This repository's aggregators, under `weather/`.
pub fn scenarios() -> Vec<Scenario> {
    suite::<weather::Lab>("weather")
}
