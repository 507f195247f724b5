//! The mutex aggregator: the tally of the open batch lives under one mutex,
//! shared by the main task and the call tasks.
//!
//! One task per call. A call task, when its reply comes, locks the tally and
//! adds the value only if its batch is still the open one; otherwise the
//! reply is late and ignored. At the deadline the main task locks the tally,
//! takes the average and opens the next batch in one step, then aborts the
//! closed batch's calls that are still waiting. On quit (or any other exit,
//! through [`Calls`]' drop) every call task is aborted.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use madsim::task::JoinHandle;
use madsim::time::sleep_until;

use crate::{
    station_ids, AggregatorError, AggregatorFuture, GetWeatherData, Out, Quit, Schedule, Status,
    Stopped, WeatherReport, REPORT_ID,
};

/// `mutexAggregator(k, averagePeriod, getWeatherData, out, quit)`.
pub fn aggregator(
    k: usize,
    average_period: f64,
    get_weather_data: GetWeatherData,
    out: Out,
    quit: Quit,
) -> AggregatorFuture {
    Box::pin(run(k, average_period, get_weather_data, out, quit))
}

/// The state under the mutex. The status doubles as the tally: its pending
/// batch is the open one.
type Shared = Arc<Mutex<Status>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Status> {
    // A panic anywhere ends the whole simulation, so a poisoned lock is only
    // ever seen by an inspector rendering the state afterwards.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
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
    let shared: Shared = Arc::new(Mutex::new(Status::new("mutex", k, period)));
    let view = shared.clone();
    sim::inspect::inspector("weather::mutex", move || lock(&view).to_string());

    let stop = |why: Stopped| -> Result<Stopped, AggregatorError> {
        lock(&shared).stop(why);
        tracing::info!(target: "weather", aggregator = "mutex", why = %why, "stopped");
        Ok(why)
    };
    lock(&shared).begin(0, schedule.deadline_at(0), k);
    let mut calls = Calls::start(0, k, &get_weather_data, &shared);
    let mut batch = 0;
    loop {
        tokio::select! {
            biased;
            _ = &mut quit => return stop(Stopped::Quit),
            () = sleep_until(schedule.deadline(batch)) => {}
        }
        // Close this batch and open the next in one critical section: a
        // reply for `batch` that comes later finds it closed.
        let (closed, value, replied) = {
            let mut status = lock(&shared);
            let closed = status.close();
            status.begin(batch + 1, schedule.deadline_at(batch + 1), k);
            closed
        };
        assert_eq!(closed, batch, "the tally tracks the batch being closed");
        tracing::info!(target: "weather", aggregator = "mutex", batch, value, replied, "report");
        calls.next_batch(batch + 1, k, &get_weather_data, &shared);
        let report = WeatherReport {
            value,
            id: REPORT_ID,
            batch,
        };
        tokio::select! {
            biased;
            _ = &mut quit => return stop(Stopped::Quit),
            sent = out.send(report) => {
                if sent.is_err() {
                    return stop(Stopped::OutputClosed);
                }
                lock(&shared).reports_sent += 1;
            }
        }
        batch += 1;
    }
}

/// The call tasks of one batch; dropping it aborts those still running.
struct Calls(Vec<JoinHandle<()>>);

impl Calls {
    /// Starts one call per station for batch `batch`, already open.
    fn start(batch: i64, k: usize, get_weather_data: &GetWeatherData, shared: &Shared) -> Calls {
        let handles = station_ids(k)
            .map(|id| {
                madsim::task::spawn(call(get_weather_data.clone(), shared.clone(), id, batch))
            })
            .collect();
        Calls(handles)
    }

    /// Aborts the closed batch's calls still waiting (their replies would be
    /// late) and starts batch `batch`'s.
    fn next_batch(
        &mut self,
        batch: i64,
        k: usize,
        get_weather_data: &GetWeatherData,
        shared: &Shared,
    ) {
        self.abort();
        *self = Calls::start(batch, k, get_weather_data, shared);
    }

    fn abort(&mut self) {
        for handle in self.0.drain(..) {
            handle.abort();
        }
    }
}

impl Drop for Calls {
    fn drop(&mut self) {
        self.abort();
    }
}

/// One call: adds its value to the tally if its batch is still open.
async fn call(get_weather_data: GetWeatherData, shared: Shared, id: i64, batch: i64) {
    tracing::debug!(target: "weather", id, batch, "call");
    let report = get_weather_data(id, batch).await;
    let mut status = lock(&shared);
    match &status.pending {
        Some(open) if open.batch == batch => {
            tracing::debug!(target: "weather", id, batch, value = report.value, "reply in time");
            status.reply(report.value);
        }
        _ => {
            tracing::debug!(target: "weather", id, batch, "late reply ignored");
            status.late_replies_ignored += 1;
        }
    }
}
