//! HW1, weather stations: every `average_period` seconds, report the average
//! temperature of the `k` stations that answered in time.
//!
//! - [`station`]: `k` simulated stations, one `sim` node each, serving
//!   `Station.GetWeatherData` over `sim::rpc` with the original tester's delay
//!   model (1 in 10 never replies; of the rest half reply on time, in
//!   `[0, P - 0.15)` s, and half late, in `[P + 0.30, 2P + 0.15)` s), and
//!   [`station::get_weather_data`], the plain RPC call.
//! - [`channel`] and [`mutex`]: the two aggregators of the assignment, with the
//!   same signature ([`weather_api::Aggregator`]; [`Lab`] is the pair). The channel one uses tasks and channels
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

use std::time::Duration;

use madsim::time::Instant;

pub use status::{Pending, Status};
pub use weather_api::{
    average_period, AggregatorError, AggregatorFn, AggregatorFuture, Aggregators, GetWeatherData,
    Out, Quit, Stopped, WeatherReport, MIN_AVERAGE_PERIOD, REPORT_ID,
};

/// `channelAggregator` as an implementation of the API.
pub struct ChannelAggregator;

impl weather_api::Aggregator for ChannelAggregator {
    fn aggregate(k: usize, p: f64, get: GetWeatherData, out: Out, quit: Quit) -> AggregatorFuture {
        channel::aggregator(k, p, get, out, quit)
    }
}

/// `mutexAggregator` as an implementation of the API.
pub struct MutexAggregator;

impl weather_api::Aggregator for MutexAggregator {
    fn aggregate(k: usize, p: f64, get: GetWeatherData, out: Out, quit: Quit) -> AggregatorFuture {
        mutex::aggregator(k, p, get, out, quit)
    }
}

/// This repository's solution: the two aggregators above.
pub struct Lab;

impl Aggregators for Lab {
    type Channel = ChannelAggregator;
    type Mutex = MutexAggregator;
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
    fn empty_batch_is_nan() {
        assert!(average(0.0, 0).is_nan());
        assert_eq!(average(10.0, 4), 2.5);
    }
}
