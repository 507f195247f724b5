//! HW1, weather stations: every `average_period` seconds, report the average
//! temperature of the `k` stations that answered in time.
//!
//! - [`station`]: `k` simulated stations, one `sim` node each, serving
//!   `Station.GetWeatherData` over `sim::rpc` with the original tester's delay
//!   model (1 in 10 never replies; of the rest half reply on time, in
//!   `[0, P - 0.15)` s, and half late, in `[P + 0.30, 2P + 0.15)` s), and
//!   [`station::get_weather_data`], the plain RPC call.
//! - [`channel`] and [`mutex`]: the two aggregators of the assignment, with the
//!   same signature ([`Aggregator`]). The channel one uses tasks and channels
//!   only; the mutex one shares its tally under a mutex.
//! - [`Status`]: what an aggregator is doing (its pending batch), rendered by
//!   the inspector each aggregator registers (`dst run ... --until T --dump`).
//!
//! The contract both aggregators keep:
//! - batch `b` (0, 1, 2, ...) starts exactly one call per station at
//!   `start + b·P` and reports `WeatherReport { value: average, id: -1,
//!   batch: b }` at `start + (b+1)·P`; the average is over the replies that
//!   arrived before that instant, NaN if none did;
//! - a reply that misses its batch's deadline is ignored: its call is
//!   abandoned at the deadline, so it can never count into a later batch;
//! - a signal on `quit` (or the quit sender being dropped, as closing a Go
//!   channel would) stops the aggregator at once: no report after it, and
//!   none of its tasks or calls keep running;
//! - if the receiver of `out` is gone, the aggregator stops too;
//! - an `average_period` that is not a finite number of seconds of at least
//!   [`MIN_AVERAGE_PERIOD`] is refused with
//!   [`AggregatorError::InvalidAveragePeriod`] before anything starts.
//!
//! Both must run as a task on a `sim` node (the calls are made from it).

pub mod channel;
pub mod mutex;
pub mod station;
mod status;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use madsim::time::Instant;
use serde::{Deserialize, Serialize};

pub use status::{Pending, Status};

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

/// `aggregator(k, average_period, get_weather_data, out, quit)`: the
/// signature both aggregators share (and a tester's test doubles).
pub type Aggregator = fn(usize, f64, GetWeatherData, Out, Quit) -> AggregatorFuture;

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

/// The aggregator's clock: batch `b` is due at `start + (b+1)·period`,
/// computed from the start each time so that reports never drift.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    start: Instant,
    /// Virtual time since the start of the run at `start` (for the status).
    start_at: Duration,
    period: Duration,
}

impl Schedule {
    pub(crate) fn begin(period: Duration) -> Self {
        Schedule {
            start: Instant::now(),
            start_at: madsim::time::TimeHandle::current().elapsed(),
            period,
        }
    }

    /// How long after the start batch `batch` is due.
    fn offset(&self, batch: i64) -> Duration {
        let periods = u32::try_from(batch + 1).expect("fewer than 2^32 batches");
        self.period
            .checked_mul(periods)
            .expect("a schedule within Duration's range")
    }

    /// The instant batch `batch` must be reported.
    pub(crate) fn deadline(&self, batch: i64) -> Instant {
        self.start + self.offset(batch)
    }

    /// The same instant as virtual time since the start of the run.
    pub(crate) fn deadline_at(&self, batch: i64) -> Duration {
        self.start_at + self.offset(batch)
    }
}

/// The batch average: NaN for an empty batch, as Go's `0.0/0`.
pub(crate) fn average(sum: f64, count: usize) -> f64 {
    sum / count as f64
}

/// Station ids `0..k` as the `int`s of the Go API.
pub(crate) fn station_ids(k: usize) -> impl Iterator<Item = i64> {
    (0..k).map(|id| i64::try_from(id).expect("fewer than 2^63 stations"))
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

    #[test]
    fn empty_batch_is_nan() {
        assert!(average(0.0, 0).is_nan());
        assert_eq!(average(10.0, 4), 2.5);
    }
}
