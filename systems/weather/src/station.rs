//! The simulated weather stations: one `sim` node per station, each serving
//! [`METHOD`] with the delay model of the original tester's
//! `GetWeatherRPCHandler` (ws.go):
//!
//! - 1 in 10 calls never replies (Go's `select{}`): the handler awaits
//!   forever and ends only when its node's tasks are dropped;
//! - otherwise the delay is `U[0,1) · (P − 0.15 s)`, and with probability 1/2
//!   `P + 0.30 s` is added: on-time replies come in `[0, P − 0.15)`, late
//!   ones in `[P + 0.30, 2P + 0.15)`;
//! - the value, drawn after the delay, is an integer from 0 to 99.
//!
//! All draws come from the run's seeded generator, in Go's order.

use std::time::Duration;

use madsim::time::sleep;
use serde::{Deserialize, Serialize};
use sim::node;
use sim::rand::Rng;
use sim::rpc::{ClientEnd, Server};

use crate::{station_ids, WeatherReport};

/// The RPC method every station serves.
pub const METHOD: &str = "Station.GetWeatherData";

/// ws.go's `margin`: on-time replies end this long before the period does,
/// late ones start twice this long after it.
pub const MARGIN_SECONDS: f64 = 0.15;

/// A call never replies when a draw from `0..NEVER_REPLY_ONE_IN` is
/// [`NEVER_REPLY_DRAW`] (ws.go's `rand.Intn(10) == 6`).
pub const NEVER_REPLY_ONE_IN: u32 = 10;
pub const NEVER_REPLY_DRAW: u32 = 6;

/// The request: Go's `Args{Batch}` (the station knows its own id).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetWeatherArgs {
    pub batch: i64,
}

/// The node name of station `id`.
pub fn name(id: i64) -> String {
    format!("station{id}")
}

/// What one call to a station does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Behaviour {
    /// Never replies.
    Never,
    /// Replies after this delay.
    ReplyAfter(Duration),
}

/// Draws one call's behaviour for average period `average_period` seconds,
/// in ws.go's order: never-reply, on-time-or-late, then the delay.
pub fn draw_behaviour(rng: &mut impl Rng, average_period: f64) -> Behaviour {
    if rng.gen_range(0..NEVER_REPLY_ONE_IN) == NEVER_REPLY_DRAW {
        return Behaviour::Never;
    }
    let on_time = rng.gen_range(0..2) == 1;
    // Go sleeps not at all for a negative delay (a period below the margin).
    let mut seconds = (rng.gen::<f64>() * (average_period - MARGIN_SECONDS)).max(0.0);
    if !on_time {
        seconds += average_period + 2.0 * MARGIN_SECONDS;
    }
    Behaviour::ReplyAfter(Duration::from_secs_f64(seconds))
}

/// Creates nodes `station0..station{k-1}` and starts their servers. Call
/// from the harness, once per run.
pub async fn start(k: usize, average_period: f64) {
    assert!(
        average_period.is_finite() && average_period > 0.0,
        "stations need a positive average period, got {average_period}"
    );
    let mut servers = Vec::with_capacity(k);
    for id in station_ids(k) {
        let name = name(id);
        node::create(&name);
        servers.push(node::spawn(&name, serve(id, average_period)));
    }
    for server in servers {
        server.await.expect("a station's setup task");
    }
    tracing::debug!(target: "weather", stations = k, average_period, "stations started");
}

async fn serve(id: i64, average_period: f64) {
    Server::new()
        .add(METHOD, move |args: GetWeatherArgs| {
            handle(id, average_period, args)
        })
        .start()
        .await
        .expect("a station binds its RPC port");
}

async fn handle(id: i64, average_period: f64, args: GetWeatherArgs) -> WeatherReport {
    let behaviour = draw_behaviour(&mut sim::rand::rng(), average_period);
    match behaviour {
        Behaviour::Never => {
            tracing::debug!(target: "weather", id, batch = args.batch, "station never replies");
            std::future::pending::<()>().await;
        }
        Behaviour::ReplyAfter(delay) => {
            // madsim sleeps at least 1 ms: a zero delay is no sleep.
            if !delay.is_zero() {
                sleep(delay).await;
            }
        }
    }
    let value = f64::from(sim::rand::rng().gen_range(0..100u8));
    WeatherReport {
        value,
        id,
        batch: args.batch,
    }
}

/// `getWeatherData(id, batch)` without a tester's bookkeeping: one RPC to
/// station `id`, from the calling task's node. A station that cannot be
/// reached is one that never replies: the future then never completes, and
/// the caller's deadline deals with it as with any silent station.
pub async fn get_weather_data(id: i64, batch: i64) -> WeatherReport {
    let reply = ClientEnd::new(name(id))
        .call::<GetWeatherArgs, WeatherReport>(METHOD, &GetWeatherArgs { batch })
        .await;
    match reply {
        Ok(report) => report,
        Err(e) => {
            tracing::warn!(target: "weather", id, batch, error = %e, "station unreachable");
            std::future::pending().await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use sim::rand::ChaCha8Rng;

    /// The three outcomes occur in the original proportions, on-time replies
    /// fall in [0, P-0.15) and late ones in [P+0.30, 2P+0.15).
    #[test]
    fn delay_model() {
        let p = 0.8;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let (mut never, mut on_time, mut late) = (0, 0, 0);
        const DRAWS: u32 = 100_000;
        for _ in 0..DRAWS {
            match draw_behaviour(&mut rng, p) {
                Behaviour::Never => never += 1,
                Behaviour::ReplyAfter(d) => {
                    let s = d.as_secs_f64();
                    if s < p {
                        assert!(s < p - MARGIN_SECONDS, "on-time delay {s}");
                        on_time += 1;
                    } else {
                        assert!((p + 0.30..2.0 * p + 0.15).contains(&s), "late delay {s}");
                        late += 1;
                    }
                }
            }
        }
        let share = |n: u32| f64::from(n) / f64::from(DRAWS);
        assert!((share(never) - 0.10).abs() < 0.01, "never {}", share(never));
        assert!(
            (share(on_time) - 0.45).abs() < 0.01,
            "on time {}",
            share(on_time)
        );
        assert!((share(late) - 0.45).abs() < 0.01, "late {}", share(late));
    }
}
