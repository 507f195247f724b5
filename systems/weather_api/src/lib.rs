//! The HW1 weather-stations assignment's API, and nothing more: what the
//! course's tester (`ws_test.go`, ported in `scenarios`) needs from *any*
//! pair of aggregators.
//!
//! A student implements [`Aggregator`] for a channel-based and a
//! mutex-based type, names the pair with [`Aggregators`], and the suite
//! registers the five subtests of each under a name prefix.
//!
//! | Go (CS350 HW1)                                             | here                          |
//! |------------------------------------------------------------|-------------------------------|
//! | `channelAggregator(k, averagePeriod, getWeatherData, out, quit)` | [`Aggregators::Channel`]'s [`Aggregator::aggregate`] |
//! | `mutexAggregator(...)`, same signature                    | [`Aggregators::Mutex`]'s [`Aggregator::aggregate`] |
//! | `WeatherReport{Value, Id, Batch}`                          | [`WeatherReport`]             |
//! | `getWeatherData(id, batch)`                                | [`GetWeatherData`]            |
//! | `out chan WeatherReport`, `quit chan struct{}`             | [`Out`], [`Quit`]             |
//!
//! The contract (the assignment's, made exact):
//! - batch `b` (0, 1, 2, ...) starts exactly one call per station at
//!   `start + b·P` and reports `WeatherReport { value: average, id: -1,
//!   batch: b }` at `start + (b+1)·P`; the average is over the replies that
//!   arrived before that instant, NaN if none did;
//! - a reply that misses its batch's deadline is ignored (never counted
//!   into a later batch);
//! - a signal on `quit` (or the quit sender being dropped, as closing a Go
//!   channel would) stops the aggregator at once: no report after it, and
//!   none of its tasks or calls keep running;
//! - if the receiver of `out` is gone, the aggregator may stop;
//! - an `average_period` that is not a finite number of seconds of at least
//!   [`MIN_AVERAGE_PERIOD`] may be refused with
//!   [`AggregatorError::InvalidAveragePeriod`] ([`average_period`] checks).
//!
//! The aggregator runs as a task on a `sim` node; the calls it makes (and
//! any tasks it spawns with `madsim::task::spawn`) run on that node.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

/// One reading (from a station) or one batch average (from an aggregator,
/// with `id` [`REPORT_ID`]). Go's `WeatherReport{Value, Id, Batch}`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct WeatherReport {
    pub value: f64,
    pub id: i64,
    pub batch: i64,
}

/// The `id` of an aggregator's batch report.
pub const REPORT_ID: i64 = -1;

/// `getWeatherData(id, batch)`: a function value, so that a tester can wrap
/// the RPC with its own bookkeeping. The future must be polled on a `sim`
/// node; dropping it abandons the call.
pub type GetWeatherData = Arc<dyn Fn(i64, i64) -> BoxFuture<'static, WeatherReport> + Send + Sync>;

/// Where an aggregator sends its batch reports.
pub type Out = tokio::sync::mpsc::Sender<WeatherReport>;

/// The quit signal: a send, or the sender being dropped, stops the
/// aggregator.
pub type Quit = tokio::sync::oneshot::Receiver<()>;

/// The future of a running aggregator.
pub type AggregatorFuture = BoxFuture<'static, Result<Stopped, AggregatorError>>;

/// `aggregator(k, average_period, get_weather_data, out, quit)` as a
/// function value: the signature both aggregators share.
pub type AggregatorFn = fn(usize, f64, GetWeatherData, Out, Quit) -> AggregatorFuture;

/// One aggregator of the assignment. A type rather than a function, so
/// that the suite's scenario bodies (plain `fn`s) can be generic over it.
pub trait Aggregator: 'static {
    /// `aggregator(k, averagePeriod, getWeatherData, out, quit)`: query
    /// stations `0..k` every `average_period` seconds and send each batch's
    /// average on `out` until `quit`.
    fn aggregate(
        k: usize,
        average_period: f64,
        get_weather_data: GetWeatherData,
        out: Out,
        quit: Quit,
    ) -> AggregatorFuture;
}

/// A solution to the assignment: its two aggregators.
pub trait Aggregators: 'static {
    /// `channelAggregator`: tasks and channels only.
    type Channel: Aggregator;
    /// `mutexAggregator`: shared state under a mutex.
    type Mutex: Aggregator;
}

/// Why an aggregator stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// A quit signal (or the quit sender was dropped).
    Quit,
    /// The receiver of `out` is gone: nobody listens any more.
    OutputClosed,
}

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stopped::Quit => "quit",
            Stopped::OutputClosed => "output closed",
        })
    }
}

/// An aggregator refused to start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AggregatorError {
    /// Not a finite number of seconds, or below [`MIN_AVERAGE_PERIOD`].
    InvalidAveragePeriod { seconds: f64 },
}

impl fmt::Display for AggregatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AggregatorError::InvalidAveragePeriod { seconds } => write!(
                f,
                "invalid average period {seconds} s: want a finite number of seconds, at least {} s",
                MIN_AVERAGE_PERIOD.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for AggregatorError {}

/// The shortest average period accepted: the simulator's timer resolution
/// (madsim sleeps at least 1 ms), below which reports could not keep time.
pub const MIN_AVERAGE_PERIOD: Duration = Duration::from_millis(1);

/// Validates `seconds` as an average period.
pub fn average_period(seconds: f64) -> Result<Duration, AggregatorError> {
    let invalid = AggregatorError::InvalidAveragePeriod { seconds };
    if !seconds.is_finite() || seconds < MIN_AVERAGE_PERIOD.as_secs_f64() {
        return Err(invalid);
    }
    let period = Duration::try_from_secs_f64(seconds).map_err(|_| invalid)?;
    debug_assert!(period >= MIN_AVERAGE_PERIOD);
    Ok(period)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_periods_refused() {
        for seconds in [0.0, -0.0, -1.0, 0.0009, f64::NAN, f64::INFINITY, 1e300] {
            let got = average_period(seconds);
            assert!(
                matches!(got, Err(AggregatorError::InvalidAveragePeriod { .. })),
                "{seconds} gave {got:?}"
            );
        }
        assert_eq!(average_period(0.8), Ok(Duration::from_millis(800)));
        assert_eq!(average_period(0.001), Ok(MIN_AVERAGE_PERIOD));
        let message = average_period(0.0).unwrap_err().to_string();
        assert!(message.contains("invalid average period 0 s"), "{message}");
    }
}
