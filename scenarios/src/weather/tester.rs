//! `testAll` (ws_test.go) and `NewGetWeatherDataClosure` (setup.go), on
//! virtual time.
//!
//! The tester starts K station nodes and an `aggregator` node, runs the
//! aggregator there with a `get_weather_data` that leaves receipts and
//! on-time values on two back channels (capacity K·10, a full channel blocks
//! the call as Go's does), and checks every report as the original does, in
//! the original order and with the original messages:
//! 1. exactly K distinct calls were started for the report's batch
//!    ("duplicate RPC for Id", "expected K RPCs to be made");
//! 2. the value is within 0.08 of the mean of the replies that came back in
//!    less than P (NaN when none did, which passes this check);
//! 3. the time since the previous report (or the start) is within P ± 0.08 s;
//! 4. NaN agrees both ways.
//!
//! At 6.1 s it wants int(6.0/P) reports. In the quit case it sends quit at
//! 3.1 s and wants no report in the following 2P.
//!
//! Beyond the original, because virtual time is exact: the spacing must be
//! within 10 ms of P, report n must be for batch n, and 10 ms after quit (in
//! every case: the non-quit ones send it at 6.1 s, after the count check)
//! the aggregator node must run no task at all, counted by the simulator
//! itself; it must still run none at the end of the quit case's window.
//!
//! Not copied: the original pushes 2K zero-valued receipts and values back
//! on every report (`make([]T, K*2)` then `append`); they only ever count as
//! batch 0 and are dropped from batch 1 on, so leaving them out changes no
//! verdict of a correct aggregator.

use std::collections::BTreeSet;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use madsim::task::JoinHandle;
use madsim::time::{sleep_until, Instant};
use sim::{bail, ensure, node, Summary};
use tokio::sync::{mpsc, oneshot};
use weather::{AggregatorError, GetWeatherData, Stopped, WeatherReport};

/// One subtest of the original table.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Case {
    /// The scenario's last name part.
    pub name: &'static str,
    /// K.
    pub stations: usize,
    /// P, in seconds.
    pub average_period: f64,
    /// Send quit at 3.1 s (TestQuit).
    pub quit_early: bool,
}

/// `testingTime`.
pub const TESTING_TIME_SECONDS: f64 = 6.0;

/// Events a sweep must see (see [`sim::sometimes`]): the NaN path of the
/// checks ("Your answer is not NaN, but ours is") runs only for a batch
/// that no station answered in time.
pub const SOMETIMES: &[&str] = &[NO_REPLY_IN_TIME];
const NO_REPLY_IN_TIME: &str = "a batch had no reply in time";
/// `dieAt`: testingTime + 0.1 s.
pub const DIE_AT: Duration = Duration::from_millis(6100);
/// The quit timer: quitTime + 0.1 s, quitTime = testingTime/2 when quitting
/// early.
pub const QUIT_EARLY_AT: Duration = Duration::from_millis(3100);
/// The quit timer otherwise (testingTime·2 + 0.1 s): after dieAt, so never.
pub const QUIT_LATE_AT: Duration = Duration::from_millis(12100);
/// The original's tolerance on the value and on the spacing.
pub const TOLERANCE: f64 = 0.08;
/// Ours on the spacing: virtual time is exact.
pub const SPACING_TOLERANCE_VIRTUAL: Duration = Duration::from_millis(10);
/// How soon after quit the aggregator must run no task.
pub const QUIT_GRACE: Duration = Duration::from_millis(10);
/// The node the aggregator runs on.
pub const AGGREGATOR_NODE: &str = "aggregator";

/// Go's `weatherCallReceipt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Receipt {
    id: i64,
    batch: i64,
}

/// Go's `internalWeatherCallReport`, reduced to what the checks read.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OnTime {
    value: f64,
    batch: i64,
}

/// `NewGetWeatherDataClosure`: pushes a receipt when a call starts, times
/// the RPC from just after the push, records the value only if the reply
/// took less than P, and always returns the report.
fn get_weather_data_closure(
    average_period: f64,
    receipts: mpsc::Sender<Receipt>,
    values: mpsc::Sender<OnTime>,
    disturbance: Disturbance,
) -> GetWeatherData {
    Arc::new(move |id, batch| {
        let receipts = receipts.clone();
        let values = values.clone();
        Box::pin(async move {
            // Fails only once the tester is gone: nobody counts any more.
            let _ = receipts.send(Receipt { id, batch }).await;
            let started = Instant::now();
            disturbance.apply().await;
            let reply = weather::station::get_weather_data(id, batch).await;
            let delay = started.elapsed();
            // Go: float64(delay.Microseconds()) < averagePeriod * 1e6.
            if (delay.as_micros() as f64) < average_period * 1e6 {
                let _ = values
                    .send(OnTime {
                        value: reply.value,
                        batch,
                    })
                    .await;
            }
            WeatherReport {
                value: reply.value,
                id,
                batch,
            }
        })
    })
}

/// The swarm's extra station behaviour, on top of the stations' own
/// (`weather::station`): per call, a chance of staying silent forever and a
/// chance of an extra delay up to a bound. Inside the timed part of the
/// call, so a delayed reply counts as late exactly when it is.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Disturbance {
    pub silence_permille: u32,
    pub delay_permille: u32,
    pub delay_max: Duration,
}

impl Disturbance {
    /// Draws nothing when there is nothing to disturb, so that the ported
    /// cases keep their schedules (and trace hashes).
    async fn apply(self) {
        use sim::rand::Rng;
        if self == Disturbance::default() {
            return;
        }
        let roll = sim::rand::rng().gen_range(0..1000);
        if roll < self.silence_permille {
            std::future::pending::<()>().await;
        } else if roll < self.silence_permille + self.delay_permille && !self.delay_max.is_zero() {
            let delay = sim::rand::rng().gen_range(Duration::ZERO..self.delay_max);
            madsim::time::sleep(delay).await;
        }
    }
}

/// The tester's side of a run.
struct Tester {
    case: Case,
    receipts: mpsc::Receiver<Receipt>,
    /// For pushing receipts of later batches back, as the original does.
    receipts_back: mpsc::Sender<Receipt>,
    values: mpsc::Receiver<OnTime>,
    values_back: mpsc::Sender<OnTime>,
    out: mpsc::Receiver<WeatherReport>,
    /// False once the aggregator dropped its sender: Go's reader would then
    /// block forever, ours only waits for its timers.
    out_open: bool,
    /// Go's `now`: the start, then the previous report.
    previous: Instant,
    batch_count: usize,
    calls: usize,
    replies_in_time: usize,
    nan_reports: usize,
}

/// The aggregator's task on its node.
type Running = JoinHandle<Result<Stopped, AggregatorError>>;

/// Runs `aggregator` on `case` as `testAll` does.
pub async fn test_all(aggregator: weather::AggregatorFn, case: &'static Case) -> sim::Result {
    test_disturbed(aggregator, *case, Disturbance::default()).await
}

/// [`test_all`] for any case, with stations disturbed as `disturbance` says.
pub async fn test_disturbed(
    aggregator: weather::AggregatorFn,
    case: Case,
    disturbance: Disturbance,
) -> sim::Result {
    let period = weather::average_period(case.average_period)
        .map_err(|e| sim::Failure::check(format!("bad case {}: {e}", case.name)))?;
    let (mut tester, running, quit) = Tester::start(aggregator, case, disturbance).await;
    let start = tester.previous;
    let expected_count = (TESTING_TIME_SECONDS / case.average_period) as usize;
    let quit_at = if case.quit_early {
        QUIT_EARLY_AT
    } else {
        QUIT_LATE_AT
    };
    let mut die_timer = pin!(sleep_until(start + DIE_AT));
    let mut quit_timer = pin!(sleep_until(start + quit_at));
    loop {
        tokio::select! {
            biased;
            report = tester.out.recv(), if tester.out_open => match report {
                Some(report) => tester.check_report(report, period)?,
                None => tester.out_open = false,
            },
            () = &mut quit_timer => {
                // TestQuit: no report may come in the next 2P, and then no
                // batch count is checked.
                tester.quit_and_listen(quit, running, 2 * period).await?;
                return Ok(tester.summary());
            }
            () = &mut die_timer => {
                if tester.batch_count != expected_count {
                    bail!(
                        "ERROR: expected {expected_count} batches, but got {}{}",
                        tester.batch_count,
                        ended(&running)
                    );
                }
                // Ours: the aggregator must stop on quit in every case.
                tester.quit_and_listen(quit, running, QUIT_GRACE).await?;
                return Ok(tester.summary());
            }
        }
    }
}

/// How the aggregator ended, if it did, for a failure message.
fn ended(running: &Running) -> &'static str {
    if running.is_finished() {
        " (the aggregator has returned)"
    } else {
        ""
    }
}

/// Fails if the aggregator's node ran `live` tasks `after` quit.
fn expect_no_tasks(live: usize, after: Duration) -> sim::Result<()> {
    ensure!(
        live == 0,
        "the aggregator still runs {live} task(s) {after:?} after quit: quit must stop every task and call at once"
    );
    Ok(())
}

/// Live tasks on `node`, as the simulator counts them (futures not yet
/// dropped).
fn live_tasks(node: &str) -> usize {
    madsim::runtime::Handle::current()
        .metrics()
        .num_tasks_by_node()
        .get(node)
        .copied()
        .unwrap_or(0)
}

impl Tester {
    /// Starts the stations, then `aggregator` on its node with the
    /// tester's `get_weather_data`. The tester's clock starts there.
    async fn start(
        aggregator: weather::AggregatorFn,
        case: Case,
        disturbance: Disturbance,
    ) -> (Tester, Running, oneshot::Sender<()>) {
        weather::station::start(case.stations, case.average_period).await;
        node::create(AGGREGATOR_NODE);
        let capacity = (case.stations * 10).max(1);
        let (receipts_back, receipts) = mpsc::channel(capacity);
        let (values_back, values) = mpsc::channel(capacity);
        // Go's `out` and `quit` are unbuffered.
        let (out_sender, out) = mpsc::channel(1);
        let (quit, quit_receiver) = oneshot::channel();
        let get_weather_data = get_weather_data_closure(
            case.average_period,
            receipts_back.clone(),
            values_back.clone(),
            disturbance,
        );
        let running = node::spawn(
            AGGREGATOR_NODE,
            aggregator(
                case.stations,
                case.average_period,
                get_weather_data,
                out_sender,
                quit_receiver,
            ),
        );
        let tester = Tester {
            case,
            receipts,
            receipts_back,
            values,
            values_back,
            out,
            out_open: true,
            previous: Instant::now(),
            batch_count: 0,
            calls: 0,
            replies_in_time: 0,
            nan_reports: 0,
        };
        (tester, running, quit)
    }

    /// One report, checked as the original does, then our extra checks.
    fn check_report(&mut self, report: WeatherReport, period: Duration) -> sim::Result<()> {
        let p = self.case.average_period;
        tracing::info!(target: "weather::tester", batch = report.batch, value = report.value, "got answer");
        // 1. Receipts: exactly K distinct ids for this batch.
        self.calls += self.take_receipts(report.batch)?;
        // 2. The true answer: the mean of this batch's on-time values.
        let (total, count) = self.take_values(report.batch);
        sim::sometimes::sometimes(NO_REPLY_IN_TIME, count == 0);
        let truth = total / count as f64;
        self.replies_in_time += count;
        let elapsed = self.previous.elapsed();
        let seconds = elapsed.as_secs_f64();
        tracing::info!(target: "weather::tester", truth, count, elapsed = seconds, "true answer");

        // 3. Value (a NaN on either side passes this comparison).
        if report.value < truth - TOLERANCE || report.value > truth + TOLERANCE {
            bail!(
                "ERROR: Your answer is not within 0.08 of the true answer (batch {}: yours {}, ours {truth} from {count} replies in time)",
                report.batch,
                report.value
            );
        }
        // 4. Spacing.
        if seconds < p - TOLERANCE || seconds > p + TOLERANCE {
            bail!(
                "ERROR: Time elapsed is not within 0.08 of AveragePeriod ({seconds}s before batch {}'s report, AveragePeriod {p}s)",
                report.batch
            );
        }
        // 5. NaN both ways.
        if report.value.is_nan() && !truth.is_nan() {
            bail!(
                "ERROR: Your answer is NaN, but ours isn't (batch {}: ours {truth} from {count} replies in time)",
                report.batch
            );
        }
        if !report.value.is_nan() && truth.is_nan() {
            bail!(
                "ERROR: Your answer is not NaN, but ours is (batch {}: yours {}, no reply in time)",
                report.batch,
                report.value
            );
        }
        self.check_exact(report, elapsed, period)?;
        self.nan_reports += usize::from(report.value.is_nan());
        self.batch_count += 1;
        self.previous = Instant::now();
        Ok(())
    }

    /// Drains the receipts: those of `batch` must be K distinct ids (their
    /// count is returned), later ones go back, earlier ones are dropped.
    fn take_receipts(&mut self, batch: i64) -> sim::Result<usize> {
        let k = self.case.stations;
        let mut ids = BTreeSet::new();
        let mut later = Vec::new();
        while let Ok(receipt) = self.receipts.try_recv() {
            if receipt.batch == batch {
                if !ids.insert(receipt.id) {
                    bail!("ERROR: duplicate RPC for Id {}", receipt.id);
                }
            } else if receipt.batch > batch {
                later.push(receipt);
            }
        }
        for receipt in later {
            // Room: these were just taken out, and nothing ran since.
            self.receipts_back
                .try_send(receipt)
                .expect("pushing a receipt back");
        }
        if ids.len() != k {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            bail!(
                "ERROR: expected {k} RPCs to be made, but got {}\n\nRPCs were made for the following ids: {}",
                ids.len(),
                list.join(" ")
            );
        }
        Ok(ids.len())
    }

    /// Drains the on-time values: returns the total and count of `batch`'s,
    /// puts later ones back, drops earlier ones.
    fn take_values(&mut self, batch: i64) -> (f64, usize) {
        let (mut total, mut count) = (0.0, 0);
        let mut later = Vec::new();
        while let Ok(value) = self.values.try_recv() {
            if value.batch == batch {
                total += value.value;
                count += 1;
            } else if value.batch > batch {
                later.push(value);
            }
        }
        for value in later {
            self.values_back
                .try_send(value)
                .expect("pushing a value back");
        }
        (total, count)
    }

    /// Ours: the spacing within 10 ms of P, and report n for batch n.
    fn check_exact(
        &self,
        report: WeatherReport,
        elapsed: Duration,
        period: Duration,
    ) -> sim::Result<()> {
        ensure!(
            elapsed.abs_diff(period) <= SPACING_TOLERANCE_VIRTUAL,
            "report spacing {elapsed:?} before batch {}'s report is not within {SPACING_TOLERANCE_VIRTUAL:?} of AveragePeriod {period:?} (virtual time is exact)",
            report.batch
        );
        ensure!(
            report.batch == self.batch_count as i64,
            "report number {} is for batch {}: batches are numbered 0, 1, 2, ... and reported in order",
            self.batch_count,
            report.batch
        );
        Ok(())
    }

    /// Sends quit, wants no report for `listen`, and no task left on the
    /// aggregator's node after [`QUIT_GRACE`] (and at the end of `listen`).
    async fn quit_and_listen(
        &mut self,
        quit: oneshot::Sender<()>,
        running: Running,
        listen: Duration,
    ) -> sim::Result<()> {
        // Fails only if the aggregator has dropped its receiver (returned).
        let _ = quit.send(());
        let quit_at = Instant::now();
        tracing::info!(target: "weather::tester", "quit sent");
        let grace = QUIT_GRACE.min(listen);
        self.expect_silence(quit_at + grace).await?;
        let live_after_grace = live_tasks(AGGREGATOR_NODE);
        // The original's check (no report in the window) speaks first.
        self.expect_silence(quit_at + listen).await?;
        expect_no_tasks(live_after_grace, grace)?;
        expect_no_tasks(live_tasks(AGGREGATOR_NODE), listen)?;
        let result = running
            .await
            .expect("the aggregator's task was not aborted");
        ensure!(
            result == Ok(Stopped::Quit),
            "the aggregator returned {result:?} after quit, not Ok(Quit)"
        );
        Ok(())
    }

    /// No report until `until`.
    async fn expect_silence(&mut self, until: Instant) -> sim::Result<()> {
        let mut timer = pin!(sleep_until(until));
        loop {
            tokio::select! {
                biased;
                report = self.out.recv(), if self.out_open => match report {
                    Some(report) => bail!(
                        "ERROR: received answer after quit signal was sent (batch {}, value {})",
                        report.batch,
                        report.value
                    ),
                    None => self.out_open = false,
                },
                () = &mut timer => return Ok(()),
            }
        }
    }

    fn summary(&self) -> Summary {
        Summary::new()
            .with("reports", self.batch_count)
            .with("calls", self.calls)
            .with("in_time", self.replies_in_time)
            .with("nan_reports", self.nan_reports)
    }
}
