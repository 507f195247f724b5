//! Small, deliberately wrong weather aggregators, each an implementation of
//! the API's `Aggregator` (`tests/weather_teeth.rs` says what each gets
//! wrong and checks how it is caught; `dst catch` counts the seeds it takes).

use std::pin::pin;
use std::time::Duration;

use madsim::task::JoinHandle;
use madsim::time::{sleep_until, Instant};
use tokio::sync::{mpsc, oneshot};
use weather_api::{
    Aggregator, AggregatorFuture, GetWeatherData, Out, Quit, Stopped, WeatherReport, REPORT_ID,
};

/// Tasks aborted when dropped, so that a fixture has only its one bug.
#[derive(Default)]
struct Tasks(Vec<JoinHandle<()>>);

impl Drop for Tasks {
    fn drop(&mut self) {
        for task in &self.0 {
            task.abort();
        }
    }
}

/// Starts one call per station for `batch`, each sending its report to
/// `replies`.
fn start_calls(
    k: usize,
    batch: i64,
    get: &GetWeatherData,
    replies: &mpsc::UnboundedSender<WeatherReport>,
) -> Vec<JoinHandle<()>> {
    (0..k as i64)
        .map(|id| {
            let get = get.clone();
            let replies = replies.clone();
            madsim::task::spawn(async move {
                let _ = replies.send(get(id, batch).await);
            })
        })
        .collect()
}

fn report(batch: i64, sum: f64, count: usize) -> WeatherReport {
    WeatherReport {
        value: sum / count as f64,
        id: REPORT_ID,
        batch,
    }
}

/// Counts every reply that arrives in a batch's window, whatever its batch.
fn late_into_next(
    k: usize,
    p: f64,
    get: GetWeatherData,
    out: Out,
    mut quit: Quit,
) -> AggregatorFuture {
    Box::pin(async move {
        let period = weather::average_period(p)?;
        let start = Instant::now();
        let (sender, mut replies) = mpsc::unbounded_channel();
        let mut tasks = Tasks::default();
        for batch in 0.. {
            tasks.0.extend(start_calls(k, batch, &get, &sender));
            let mut deadline = pin!(sleep_until(start + period * (batch as u32 + 1)));
            let (mut sum, mut count) = (0.0, 0);
            loop {
                tokio::select! {
                    biased;
                    _ = &mut quit => return Ok(Stopped::Quit),
                    () = &mut deadline => break,
                    Some(reply) = replies.recv() => {
                        sum += reply.value; // BUG: reply.batch may be an earlier one
                        count += 1;
                    }
                }
            }
            if out.send(report(batch, sum, count)).await.is_err() {
                return Ok(Stopped::OutputClosed);
            }
        }
        unreachable!()
    })
}

/// Waits for every station's reply before reporting.
fn waits_for_all(
    k: usize,
    p: f64,
    get: GetWeatherData,
    out: Out,
    mut quit: Quit,
) -> AggregatorFuture {
    Box::pin(async move {
        let period = weather::average_period(p)?;
        let start = Instant::now();
        for batch in 0.. {
            let (sender, mut replies) = mpsc::unbounded_channel();
            let _tasks = Tasks(start_calls(k, batch, &get, &sender));
            let (mut sum, mut count) = (0.0, 0);
            while count < k {
                // BUG: no deadline; a silent station stalls the batch.
                tokio::select! {
                    biased;
                    _ = &mut quit => return Ok(Stopped::Quit),
                    Some(reply) = replies.recv() => {
                        sum += reply.value;
                        count += 1;
                    }
                }
            }
            tokio::select! {
                biased;
                _ = &mut quit => return Ok(Stopped::Quit),
                () = sleep_until(start + period * (batch as u32 + 1)) => {}
            }
            if out.send(report(batch, sum, count)).await.is_err() {
                return Ok(Stopped::OutputClosed);
            }
        }
        unreachable!()
    })
}

/// The real channel aggregator, given a quit channel nobody signals.
fn ignores_quit(k: usize, p: f64, get: GetWeatherData, out: Out, quit: Quit) -> AggregatorFuture {
    Box::pin(async move {
        drop(quit); // BUG: the tester's signal goes nowhere
        let (_never, deaf) = oneshot::channel();
        weather::channel::aggregator(k, p, get, out, deaf).await
    })
}

/// Right reports, but on quit its calls are left running.
fn leaks_calls(
    k: usize,
    p: f64,
    get: GetWeatherData,
    out: Out,
    mut quit: Quit,
) -> AggregatorFuture {
    Box::pin(async move {
        let period = weather::average_period(p)?;
        let start = Instant::now();
        for batch in 0.. {
            let (sender, mut replies) = mpsc::unbounded_channel();
            // BUG: the handles are dropped, which detaches the calls.
            drop(start_calls(k, batch, &get, &sender));
            let mut deadline = pin!(sleep_until(start + period * (batch as u32 + 1)));
            let (mut sum, mut count) = (0.0, 0);
            loop {
                tokio::select! {
                    biased;
                    _ = &mut quit => return Ok(Stopped::Quit),
                    () = &mut deadline => break,
                    Some(reply) = replies.recv() => {
                        sum += reply.value;
                        count += 1;
                    }
                }
            }
            if out.send(report(batch, sum, count)).await.is_err() {
                return Ok(Stopped::OutputClosed);
            }
        }
        unreachable!()
    })
}

/// Right values, but every report is 20 ms late.
fn drifts(k: usize, p: f64, get: GetWeatherData, out: Out, mut quit: Quit) -> AggregatorFuture {
    Box::pin(async move {
        let period = weather::average_period(p)? + Duration::from_millis(20); // BUG
        let mut batch_start = Instant::now();
        for batch in 0.. {
            let (sender, mut replies) = mpsc::unbounded_channel();
            let _tasks = Tasks(start_calls(k, batch, &get, &sender));
            let deadline = batch_start + period;
            let mut timer = pin!(sleep_until(deadline));
            let (mut sum, mut count) = (0.0, 0);
            loop {
                tokio::select! {
                    biased;
                    _ = &mut quit => return Ok(Stopped::Quit),
                    () = &mut timer => break,
                    Some(reply) = replies.recv() => {
                        sum += reply.value;
                        count += 1;
                    }
                }
            }
            batch_start = deadline;
            if out.send(report(batch, sum, count)).await.is_err() {
                return Ok(Stopped::OutputClosed);
            }
        }
        unreachable!()
    })
}

/// Each fixture as an implementation of the API's [`Aggregator`], so that
/// the suite registers it like any other.
macro_rules! planted {
    ($($name:ident => $aggregator:ident),* $(,)?) => {
        $(
            pub struct $name;
            impl Aggregator for $name {
                fn aggregate(
                    k: usize,
                    p: f64,
                    get: GetWeatherData,
                    out: Out,
                    quit: Quit,
                ) -> AggregatorFuture {
                    $aggregator(k, p, get, out, quit)
                }
            }
        )*
    };
}

planted! {
    LateIntoNext => late_into_next,
    WaitsForAll => waits_for_all,
    IgnoresQuit => ignores_quit,
    LeaksCalls => leaks_calls,
    Drifts => drifts,
}
