//! The aggregators' edges, in the simulation, for both of them: no station
//! (NaN every period), refused average periods, quit before the first
//! report, a dropped quit sender, a dropped `out` receiver, and the
//! inspector's view of the pending batch.

use std::sync::Arc;
use std::time::Duration;

use madsim::time::{sleep, Instant};
use sim::{ensure, node, BodyFuture, RunOptions, Scenario, Summary};
use tokio::sync::{mpsc, oneshot};
use weather::{AggregatorError, AggregatorFn, GetWeatherData, Stopped, REPORT_ID};

const NODE: &str = "aggregator";

fn aggregator<const MUTEX: bool>() -> AggregatorFn {
    if MUTEX {
        weather::mutex::aggregator
    } else {
        weather::channel::aggregator
    }
}

fn live_tasks(node: &str) -> usize {
    madsim::runtime::Handle::current()
        .metrics()
        .num_tasks_by_node()
        .get(node)
        .copied()
        .unwrap_or(0)
}

/// Equal up to madsim's per-poll jitter (nanoseconds).
fn near(got: Duration, want: Duration) -> bool {
    got.abs_diff(want) < Duration::from_millis(1)
}

fn rpc_getter() -> GetWeatherData {
    Arc::new(|id, batch| Box::pin(weather::station::get_weather_data(id, batch)))
}

fn no_station() -> GetWeatherData {
    Arc::new(|id, _| panic!("k = 0, yet station {id} was called"))
}

/// k = 0: a NaN report every period, on time, numbered; then quit.
fn no_stations<const MUTEX: bool>() -> BodyFuture {
    Box::pin(async {
        node::create(NODE);
        let (out, mut reports) = mpsc::channel(1);
        let (quit, quit_receiver) = oneshot::channel();
        let running = node::spawn(
            NODE,
            aggregator::<MUTEX>()(0, 0.5, no_station(), out, quit_receiver),
        );
        let start = Instant::now();
        for batch in 0..3 {
            let report = reports.recv().await.expect("a report");
            ensure!(
                report.batch == batch && report.id == REPORT_ID,
                "report {report:?}"
            );
            ensure!(report.value.is_nan(), "k = 0 reported {}", report.value);
            let due = Duration::from_millis(500) * (batch as u32 + 1);
            ensure!(
                near(start.elapsed(), due),
                "batch {batch} at {:?}",
                start.elapsed()
            );
        }
        quit.send(()).unwrap();
        let result = running.await.unwrap();
        ensure!(result == Ok(Stopped::Quit), "{result:?}");
        ensure!(live_tasks(NODE) == 0, "tasks left");
        Ok(Summary::new())
    })
}

/// Refused periods: an error at once, no report, no task.
fn refused_periods<const MUTEX: bool>() -> BodyFuture {
    Box::pin(async {
        node::create(NODE);
        for seconds in [0.0, -1.0, f64::NAN, f64::INFINITY, 0.0005] {
            let (out, mut reports) = mpsc::channel(1);
            let (_quit, quit_receiver) = oneshot::channel();
            let start = Instant::now();
            let result = node::spawn(
                NODE,
                aggregator::<MUTEX>()(3, seconds, no_station(), out, quit_receiver),
            )
            .await
            .unwrap();
            ensure!(
                matches!(result, Err(AggregatorError::InvalidAveragePeriod { .. })),
                "period {seconds} gave {result:?}"
            );
            ensure!(
                start.elapsed() < Duration::from_millis(1),
                "refusal took time"
            );
            ensure!(
                reports.recv().await.is_none(),
                "a report from a refused aggregator"
            );
            ensure!(live_tasks(NODE) == 0, "tasks left");
        }
        Ok(Summary::new())
    })
}

/// Quit before the first report, by a signal or by dropping the sender:
/// stopped at once, no report, no call left.
fn early_quit<const MUTEX: bool>() -> BodyFuture {
    Box::pin(async {
        weather::station::start(5, 1.0).await;
        node::create(NODE);
        for signal in [true, false] {
            let (out, mut reports) = mpsc::channel(1);
            let (quit, quit_receiver) = oneshot::channel();
            let running = node::spawn(
                NODE,
                aggregator::<MUTEX>()(5, 1.0, rpc_getter(), out, quit_receiver),
            );
            sleep(Duration::from_millis(300)).await;
            ensure!(live_tasks(NODE) > 0, "the aggregator is not running");
            if signal {
                quit.send(()).unwrap();
            } else {
                drop(quit);
            }
            sleep(Duration::from_millis(1)).await;
            ensure!(running.is_finished(), "still running 1 ms after quit");
            ensure!(
                live_tasks(NODE) == 0,
                "{} tasks left after quit",
                live_tasks(NODE)
            );
            ensure!(running.await.unwrap() == Ok(Stopped::Quit), "not a quit");
            ensure!(
                reports.recv().await.is_none(),
                "a report after an early quit"
            );
        }
        Ok(Summary::new())
    })
}

/// Nobody listens: the aggregator stops at its first report.
fn output_closed<const MUTEX: bool>() -> BodyFuture {
    Box::pin(async {
        weather::station::start(4, 0.5).await;
        node::create(NODE);
        let (out, reports) = mpsc::channel(1);
        drop(reports);
        let (_quit, quit_receiver) = oneshot::channel();
        let start = Instant::now();
        let result = node::spawn(
            NODE,
            aggregator::<MUTEX>()(4, 0.5, rpc_getter(), out, quit_receiver),
        )
        .await
        .unwrap();
        ensure!(result == Ok(Stopped::OutputClosed), "{result:?}");
        ensure!(
            near(start.elapsed(), Duration::from_millis(500)),
            "stopped at {:?}",
            start.elapsed()
        );
        sleep(Duration::from_millis(1)).await;
        ensure!(live_tasks(NODE) == 0, "tasks left");
        Ok(Summary::new())
    })
}

/// The inspector shows the pending batch.
fn inspector<const MUTEX: bool>() -> BodyFuture {
    Box::pin(async {
        weather::station::start(10, 0.8).await;
        node::create(NODE);
        let (out, _reports) = mpsc::channel(10);
        let (_quit, quit_receiver) = oneshot::channel();
        let _running = node::spawn(
            NODE,
            aggregator::<MUTEX>()(10, 0.8, rpc_getter(), out, quit_receiver),
        );
        sleep(Duration::from_millis(2000)).await;
        let dump = sim::inspect::dump();
        let name = if MUTEX {
            "weather::mutex"
        } else {
            "weather::channel"
        };
        let text = dump
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone())
            .unwrap_or_default();
        ensure!(
            text.contains("pending batch 2 (report at 2.4"),
            "dump: {dump:?}"
        );
        ensure!(text.contains("10 calls started"), "dump: {dump:?}");
        ensure!(text.contains("reports sent: 2"), "dump: {dump:?}");
        Ok(Summary::new())
    })
}

fn check(name: &'static str, body: sim::Body) {
    let scenario = Scenario::new(name, body);
    for seed in 0..5 {
        let result = sim::run(&scenario, seed, &RunOptions::default());
        assert!(result.passed(), "{}", sim::report::failure_report(&result));
    }
}

#[test]
fn no_stations_reports_nan_every_period() {
    check("weather_edges/channel/no_stations", no_stations::<false>);
    check("weather_edges/mutex/no_stations", no_stations::<true>);
}

#[test]
fn bad_average_periods_are_refused() {
    check("weather_edges/channel/refused", refused_periods::<false>);
    check("weather_edges/mutex/refused", refused_periods::<true>);
}

#[test]
fn quit_before_the_first_report() {
    check("weather_edges/channel/early_quit", early_quit::<false>);
    check("weather_edges/mutex/early_quit", early_quit::<true>);
}

#[test]
fn closed_output_stops_the_aggregator() {
    check(
        "weather_edges/channel/output_closed",
        output_closed::<false>,
    );
    check("weather_edges/mutex/output_closed", output_closed::<true>);
}

#[test]
fn inspector_shows_the_pending_batch() {
    check("weather_edges/channel/inspector", inspector::<false>);
    check("weather_edges/mutex/inspector", inspector::<true>);
}
