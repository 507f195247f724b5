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
//! The tester ([`tester`]) is `testAll`: same constants, same checks, same
//! messages, plus what virtual time makes possible (report spacing within
//! 10 ms, batches numbered in order, no task of the aggregator left 10 ms
//! after quit). The aggregator is a parameter ([`Subject`]), so that the
//! teeth test (`tests/weather_teeth.rs`) runs the very same scenarios against
//! deliberately wrong aggregators.

pub mod tester;

use std::time::Duration;

use sim::{Body, BodyFuture, Scenario};
use weather::Aggregator;

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

/// An aggregator the suite can run: a type, because a scenario body is a
/// plain `fn` and so cannot capture one.
pub trait Subject: 'static {
    const AGGREGATOR: Aggregator;
}

/// `channelAggregator`.
pub struct ChannelAggregator;

impl Subject for ChannelAggregator {
    const AGGREGATOR: Aggregator = weather::channel::aggregator;
}

/// `mutexAggregator`.
pub struct MutexAggregator;

impl Subject for MutexAggregator {
    const AGGREGATOR: Aggregator = weather::mutex::aggregator;
}

fn body<S: Subject, const CASE: usize>() -> BodyFuture {
    Box::pin(tester::test_all(S::AGGREGATOR, &CASES[CASE]))
}

/// The five subtests as scenario bodies for aggregator `S`, in [`CASES`]
/// order.
pub fn suite<S: Subject>() -> [(&'static Case, Body); 5] {
    [
        (&CASES[0], body::<S, 0>),
        (&CASES[1], body::<S, 1>),
        (&CASES[2], body::<S, 2>),
        (&CASES[3], body::<S, 3>),
        (&CASES[4], body::<S, 4>),
    ]
}

/// The suite for `S` as scenarios named `names` (in [`CASES`] order; each
/// name ends with its case's name).
pub fn scenarios_for<S: Subject>(names: [&'static str; 5]) -> Vec<Scenario> {
    suite::<S>()
        .into_iter()
        .zip(names)
        .map(|((case, body), name)| {
            assert!(
                name.rsplit('/').next() == Some(case.name),
                "scenario {name:?} does not run case {:?}",
                case.name
            );
            Scenario::new(name, body).time_limit(TIME_LIMIT)
        })
        .collect()
}

pub fn scenarios() -> Vec<Scenario> {
    let mut all = scenarios_for::<ChannelAggregator>([
        "weather/channel/k1",
        "weather/channel/k10",
        "weather/channel/k100",
        "weather/channel/long_average_period",
        "weather/channel/quit",
    ]);
    all.extend(scenarios_for::<MutexAggregator>([
        "weather/mutex/k1",
        "weather/mutex/k10",
        "weather/mutex/k100",
        "weather/mutex/long_average_period",
        "weather/mutex/quit",
    ]));
    all
}
