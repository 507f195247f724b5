//! `weather/{channel,mutex}/swarm`: the seed draws the case and the
//! stations' misbehaviour, where the ported subtests fix K to 1, 10 or 100,
//! P to 0.8 s or 5 s, and leave the stations as ws.go made them.
//!
//! Drawn: K from 1 to 200, P from 0.2 s to 3 s, whether quit comes early,
//! and on top of the stations' own delays (one call in ten silent, half the
//! rest late) a chance per call of silence (0–30%) and of an extra delay
//! (0–50%, up to 0–2P). The tester's checks are the ported ones, on every
//! batch: the right calls, the value, the spacing (a batch must arrive on
//! time however the stations behave), quit.
//!
//! The aggregators have no step points, so there is no scheduling strategy
//! to draw here: madsim's seeded pick is the schedule.

use std::time::Duration;

use sim::rand::Rng;
use sim::swarm::drew;
use sim::BodyFuture;
use weather_api::Aggregator;

use super::tester::{self, Case, Disturbance};

/// The swarm body for aggregator `A`.
pub fn body<A: Aggregator>() -> BodyFuture {
    Box::pin(swarm::<A>())
}

/// A period from 0.2 s to 3 s that ws_test.go's count can judge: it wants
/// int(6.0/P) reports by 6.1 s, so no report may fall due between 6.0 s and
/// 6.1 s (with 10 ms either side, the spacing tolerance).
fn draw_period_ms(rng: &mut impl Rng) -> u64 {
    loop {
        let period_ms = rng.gen_range(200..=3000u64);
        let ambiguous = (1..=30u64)
            .map(|n| n * period_ms)
            .any(|due| (5_990..=6_110).contains(&due));
        if !ambiguous {
            return period_ms;
        }
    }
}

async fn swarm<A: Aggregator>() -> sim::Result {
    let mut rng = sim::rand::chacha();
    let stations = rng.gen_range(1..=200usize);
    let period_ms = draw_period_ms(&mut rng);
    let quit_early = rng.gen_bool(0.5);
    let silence_permille = rng.gen_range(0..=300u32);
    let delay_permille = rng.gen_range(0..=500u32);
    let delay_max = Duration::from_millis(rng.gen_range(0..=2 * period_ms));
    drew("stations", stations);
    drew("period_ms", period_ms);
    drew("quit_early", quit_early);
    drew("silence_permille", silence_permille);
    drew("delay_permille", delay_permille);
    drew("delay_max_ms", delay_max.as_millis() as u64);
    let case = Case {
        name: "swarm",
        stations,
        average_period: period_ms as f64 / 1000.0,
        quit_early,
    };
    let disturbance = Disturbance {
        silence_permille,
        delay_permille,
        delay_max,
    };
    let summary = tester::test_disturbed(A::aggregate, case, disturbance).await?;
    Ok(summary
        .with("stations", stations)
        .with("period_ms", period_ms))
}
