//! The channel aggregator: tasks and channels only, no lock and no shared
//! counter anywhere in this module (a unit test below reads this file to keep
//! it so).
//!
//! One task per call, as Go's one goroutine per call. Every batch has its
//! own reply channel: a call task sends its report into the channel of the
//! batch it was started for, or gives up the moment that channel's receiver
//! is dropped. The main task drops a batch's receiver at the batch's
//! deadline, so a late reply has nowhere to go (it cannot be counted into a
//! later batch) and its call stops at once; on quit the main task returns,
//! dropping the last receiver, which stops every call still running.
//!
//! The status for the inspector travels over a `watch` channel.

use std::pin::pin;

use madsim::time::{sleep_until, Instant};
use tokio::sync::{mpsc, watch};

use crate::{
    station_ids, AggregatorError, AggregatorFuture, GetWeatherData, Out, Quit, Schedule, Status,
    Stopped, WeatherReport, REPORT_ID,
};

/// `channelAggregator(k, averagePeriod, getWeatherData, out, quit)`.
pub fn aggregator(
    k: usize,
    average_period: f64,
    get_weather_data: GetWeatherData,
    out: Out,
    quit: Quit,
) -> AggregatorFuture {
    Box::pin(run(k, average_period, get_weather_data, out, quit))
}

async fn run(
    k: usize,
    average_period: f64,
    get_weather_data: GetWeatherData,
    out: Out,
    mut quit: Quit,
) -> Result<Stopped, AggregatorError> {
    let period = crate::average_period(average_period)?;
    let schedule = Schedule::begin(period);
    let (status, view) = watch::channel(Status::new("channel", k, period));
    sim::inspect::inspector("weather::channel", move || view.borrow().to_string());

    let stop = |why: Stopped| -> Result<Stopped, AggregatorError> {
        status.send_modify(|s| s.stop(why));
        tracing::info!(target: "weather", aggregator = "channel", why = %why, "stopped");
        Ok(why)
    };
    let mut batch = Batch::start(0, k, &get_weather_data, &schedule, &status);
    loop {
        tokio::select! {
            biased;
            _ = &mut quit => return stop(Stopped::Quit),
            () = batch.collect(&status) => {}
        }
        let report = batch.close(&status);
        // The next batch starts on time whatever the reader of `out` does.
        batch = Batch::start(report.batch + 1, k, &get_weather_data, &schedule, &status);
        tokio::select! {
            biased;
            _ = &mut quit => return stop(Stopped::Quit),
            sent = out.send(report) => {
                if sent.is_err() {
                    return stop(Stopped::OutputClosed);
                }
                status.send_modify(|s| s.reports_sent += 1);
            }
        }
    }
}

/// The batch being collected: its deadline and the receiving end of its
/// reply channel.
struct Batch {
    number: i64,
    deadline: Instant,
    replies: mpsc::Receiver<WeatherReport>,
}

impl Batch {
    /// Starts one call per station for batch `number`.
    fn start(
        number: i64,
        k: usize,
        get_weather_data: &GetWeatherData,
        schedule: &Schedule,
        status: &watch::Sender<Status>,
    ) -> Batch {
        // Each call sends at most once: capacity k never blocks a sender.
        let (sender, replies) = mpsc::channel(k.max(1));
        for id in station_ids(k) {
            madsim::task::spawn(call(get_weather_data.clone(), id, number, sender.clone()));
        }
        status.send_modify(|s| s.begin(number, schedule.deadline_at(number), k));
        Batch {
            number,
            deadline: schedule.deadline(number),
            replies,
        }
    }

    /// Takes replies until the deadline. A reply at the deadline instant is
    /// late.
    async fn collect(&mut self, status: &watch::Sender<Status>) {
        let mut deadline = pin!(sleep_until(self.deadline));
        loop {
            tokio::select! {
                biased;
                () = &mut deadline => return,
                Some(report) = self.replies.recv() => {
                    assert_eq!(report.batch, self.number, "a reply in another batch's channel");
                    tracing::debug!(target: "weather", id = report.id, batch = self.number, value = report.value, "reply in time");
                    status.send_modify(|s| s.reply(report.value));
                }
            }
        }
    }

    /// Closes the batch: drops its receiver, which ends every call still
    /// waiting, and returns the report.
    fn close(self, status: &watch::Sender<Status>) -> WeatherReport {
        drop(self.replies);
        let mut closed = (self.number, f64::NAN, 0);
        status.send_modify(|s| closed = s.close());
        let (batch, value, replied) = closed;
        assert_eq!(
            batch, self.number,
            "the status tracks the batch being closed"
        );
        tracing::info!(target: "weather", aggregator = "channel", batch, value, replied, "report");
        WeatherReport {
            value,
            id: REPORT_ID,
            batch,
        }
    }
}

/// One call: sends its report to its batch, unless the batch is over first.
async fn call(
    get_weather_data: GetWeatherData,
    id: i64,
    batch: i64,
    replies: mpsc::Sender<WeatherReport>,
) {
    tracing::debug!(target: "weather", id, batch, "call");
    tokio::select! {
        biased;
        () = replies.closed() => {
            tracing::debug!(target: "weather", id, batch, "call abandoned");
        }
        report = get_weather_data(id, batch) => {
            // Fails only if the batch closed in this very instant: then the
            // reply is late, and dropped.
            let _ = replies.send(report).await;
        }
    }
}

#[cfg(test)]
mod tests {
    /// The assignment's rule: channels only. Reads this file's code (before
    /// the tests) and fails on any lock or atomic type.
    #[test]
    fn no_locks_or_atomics() {
        let source = include_str!("channel.rs");
        let code = &source[..source
            .find("#[cfg(test)]")
            .expect("the tests are at the end")];
        // Spelled in pieces so that this test does not find itself.
        for word in [["Mu", "tex"], ["Rw", "Lock"], ["Ato", "mic"]] {
            let word = word.concat();
            assert!(
                !code.contains(&word),
                "channel.rs uses {word}: the channel aggregator must use channels only"
            );
        }
    }
}
