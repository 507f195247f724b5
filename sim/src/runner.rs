//! Runs: one scenario on one seed, in a fresh OS thread with a fresh madsim
//! runtime built from that seed.
//!
//! Why a fresh thread: madsim seeds the std `HashMap` hasher only for the
//! first runtime on a thread, so a second run on the same thread would not be
//! reproducible. Why catch panics: any panic in any node aborts the whole
//! simulation; the runner turns it into a failed outcome with the seed.

use std::cell::{Cell, RefCell};
use std::collections::BTreeSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::time::{Duration, Instant};

use futures::future::{select, Either};
use madsim::runtime::Runtime;

use crate::fault::{self, FaultId, Fired};
use crate::scenario::{Failure, FailureKind, Scenario, Summary};
use crate::trace::{self, Trace, WALL_CLOCK_MESSAGE};
use crate::{crash_point, fs, inspect, net, node, rpc, sometimes, swarm, work};
use std::collections::BTreeMap;

/// How a run is made.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Real-time guard: a run still going after this is stopped and fails.
    pub wall_limit: Duration,
    /// Stop the run at this virtual instant (its verdict is then
    /// [`Verdict::Stopped`] unless it failed before), dump the inspectors
    /// and evaluate the probes.
    pub until: Option<Duration>,
    /// Replay a fault plan: exactly these faults happen (None: as seeded).
    pub plan: Option<BTreeSet<FaultId>>,
    /// Time the regions the system marks as its own work ([`crate::work`]),
    /// into [`RunResult::own_work`]. For `dst bench`; changes nothing else.
    pub meter_own_work: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            wall_limit: Duration::from_secs(300),
            until: None,
            plan: None,
            meter_own_work: false,
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub scenario: &'static str,
    pub seed: u64,
    pub outcome: Result<Summary, Failure>,
    /// Virtual time when the run ended (or failed).
    pub virtual_time: Duration,
    pub wall: Duration,
    pub rpcs: u64,
    pub bytes: u64,
    /// Task polls madsim made: the executor's unit of work (`dst bench`).
    pub polls: u64,
    /// Tasks spawned.
    pub spawns: u64,
    /// Datagrams sent by the RPC layer.
    pub datagrams: u64,
    /// Real time spent in the system's own work ([`crate::work::own`]);
    /// zero unless the run was made with [`RunOptions::meter_own_work`].
    pub own_work: Duration,
    pub trace: Trace,
    pub trace_hash: u64,
    /// The faults that fired, in order.
    pub faults: Vec<Fired>,
    /// Fault points reached, per kind.
    pub fault_points: BTreeMap<String, u64>,
    /// Set when the run was stopped by `until` before it ended.
    pub stopped_at: Option<Duration>,
    /// Inspector output at the end (or at `until`).
    pub dump: Vec<(String, String)>,
    /// Probes failing at the end (or at `until`).
    pub failing_probes: Vec<(String, String)>,
    /// Whether the scenario registered any consistency probe.
    pub has_probes: bool,
    /// How many times each "sometimes" event happened ([`crate::sometimes`]).
    pub sometimes: BTreeMap<String, u64>,
    /// The parameters a swarm scenario drew from the seed ([`crate::swarm`]).
    pub drawn: Vec<(&'static str, crate::swarm::Value)>,
}

/// What became of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The scenario ran to its end and every check held.
    Pass,
    /// A check failed, something panicked, or a limit ran out.
    Fail,
    /// Stopped by [`RunOptions::until`] before it ended and before it
    /// failed: neither a pass nor a fail. Whether the state was consistent
    /// there is [`RunResult::failing_probes`].
    Stopped,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "PASS",
            Verdict::Fail => "FAIL",
            Verdict::Stopped => "STOPPED",
        })
    }
}

impl RunResult {
    pub fn verdict(&self) -> Verdict {
        match (&self.outcome, self.stopped_at) {
            (Err(_), _) => Verdict::Fail,
            (Ok(_), Some(_)) => Verdict::Stopped,
            (Ok(_), None) => Verdict::Pass,
        }
    }

    /// Ran to its end and passed (a run cut short by `until` did not).
    pub fn passed(&self) -> bool {
        self.verdict() == Verdict::Pass
    }

    /// Failed (before `until`, if it was cut short).
    pub fn failed(&self) -> bool {
        self.outcome.is_err()
    }

    pub fn failure(&self) -> Option<&Failure> {
        self.outcome.as_ref().err()
    }
}

struct PanicRecord {
    message: String,
    at: Duration,
}

thread_local! {
    static IN_RUN: Cell<bool> = const { Cell::new(false) };
    static PANIC: RefCell<Option<PanicRecord>> = const { RefCell::new(None) };
}

/// Panics inside a run are recorded (the first one is the cause; madsim
/// re-raises it) instead of printed; panics elsewhere print as usual.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !IN_RUN.with(|r| r.get()) {
                previous(info);
                return;
            }
            PANIC.with(|p| {
                let mut p = p.borrow_mut();
                if p.is_some() {
                    return;
                }
                let payload = info.payload();
                let text = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic payload".to_string());
                let message = match info.location() {
                    Some(l) if !is_runtime_message(&text) => {
                        format!("{text} (at {}:{})", l.file(), l.line())
                    }
                    _ => text,
                };
                let at = madsim::time::TimeHandle::try_current()
                    .map(|t| t.elapsed())
                    .unwrap_or_default();
                *p = Some(PanicRecord { message, at });
            });
        }));
    });
}

const DEADLOCK_MESSAGE: &str = "no events, all tasks will block forever";
const TIME_LIMIT_MESSAGE: &str = "time limit exceeded";

fn is_runtime_message(text: &str) -> bool {
    text.starts_with(DEADLOCK_MESSAGE)
        || text.starts_with(TIME_LIMIT_MESSAGE)
        || text.starts_with(WALL_CLOCK_MESSAGE)
}

fn classify(message: String) -> Failure {
    let kind = if message.starts_with(DEADLOCK_MESSAGE) {
        FailureKind::Deadlock
    } else if message.starts_with(TIME_LIMIT_MESSAGE) {
        FailureKind::TimeLimit
    } else if message.starts_with(WALL_CLOCK_MESSAGE) {
        FailureKind::WallClock
    } else {
        FailureKind::Panic
    };
    Failure { kind, message }
}

/// madsim's network latency for every datagram: labrpc's reliable network
/// delivers at once; a few microseconds keep delivery order seeded without
/// shifting the tests' millisecond timings.
fn madsim_config() -> madsim::Config {
    let mut config = madsim::Config::default();
    config.net.send_latency = Duration::from_micros(1)..Duration::from_micros(20);
    config
}

/// A madsim runtime for `seed` with the simulator plugins `sim` needs (nodes,
/// network, shared filesystem) and a virtual-time limit: for code that runs
/// a simulation of its own outside a scenario (e.g. `dst mr`). Use it on a
/// fresh thread, like every run.
pub fn runtime(seed: u64, time_limit: Duration) -> Runtime {
    let mut runtime = Runtime::with_seed_and_config(seed, madsim_config());
    runtime.add_simulator::<node::Nodes>();
    runtime.add_simulator::<net::Network>();
    runtime.add_simulator::<fs::SharedFs>();
    runtime.add_simulator::<rpc::NetFaults>();
    runtime.add_simulator::<crash_point::CrashPoints>();
    runtime.set_time_limit(time_limit);
    runtime
}

/// The stack of a run's thread (see [`run`]).
const RUN_STACK_BYTES: usize = 16 << 20;

/// Runs `scenario` on `seed`. Never panics and never hangs past the guard.
pub fn run(scenario: &Scenario, seed: u64, options: &RunOptions) -> RunResult {
    let abort = Arc::new(AtomicBool::new(false));
    let (sender, receiver) = mpsc::channel();
    let thread_scenario = scenario.clone();
    let thread_options = options.clone();
    let thread_abort = abort.clone();
    // 16 MiB: madsim keeps every task's future on the heap, so the stack
    // only holds one poll's calls. It was 64 MiB, beyond what glibc keeps in
    // its cache of thread stacks (40 MiB in all), so every run mapped and
    // unmapped a fresh stack: a third of a small run's cost.
    let spawned = std::thread::Builder::new()
        .name(format!("{}#{seed}", scenario.name))
        .stack_size(RUN_STACK_BYTES)
        .spawn(move || {
            let result = run_here(&thread_scenario, seed, &thread_options, thread_abort);
            let _ = sender.send(result);
        });
    if let Err(e) = spawned {
        return failed_without_trace(scenario, seed, format!("could not start a run thread: {e}"));
    }
    match receiver.recv_timeout(options.wall_limit) {
        Ok(result) => result,
        Err(_) => {
            // Ask the run to stop at its next poll; a run stuck outside any
            // poll cannot be stopped and its thread is abandoned.
            abort.store(true, Ordering::Relaxed);
            receiver
                .recv_timeout(Duration::from_secs(10))
                .unwrap_or_else(|_| {
                    failed_without_trace(scenario, seed, WALL_CLOCK_MESSAGE.to_string())
                })
        }
    }
}

fn failed_without_trace(scenario: &Scenario, seed: u64, message: String) -> RunResult {
    RunResult {
        scenario: scenario.name,
        seed,
        outcome: Err(classify(message)),
        virtual_time: Duration::ZERO,
        wall: Duration::ZERO,
        rpcs: 0,
        bytes: 0,
        polls: 0,
        spawns: 0,
        datagrams: 0,
        own_work: Duration::ZERO,
        trace_hash: Trace::default().hash(),
        trace: Trace::default(),
        faults: Vec::new(),
        fault_points: BTreeMap::new(),
        stopped_at: None,
        dump: Vec::new(),
        failing_probes: Vec::new(),
        has_probes: false,
        sometimes: BTreeMap::new(),
        drawn: Vec::new(),
    }
}

struct BodyOutput {
    outcome: Result<Summary, Failure>,
    at: Duration,
    stopped_at: Option<Duration>,
    dump: Vec<(String, String)>,
    failing_probes: Vec<(String, String)>,
    has_probes: bool,
}

/// Runs on the current (fresh) thread.
fn run_here(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
    abort: Arc<AtomicBool>,
) -> RunResult {
    install_panic_hook();
    trace::begin(abort);
    work::begin(options.meter_own_work);
    fault::begin(match &options.plan {
        Some(plan) => fault::Mode::Plan(plan.clone()),
        None => fault::Mode::Seeded,
    });
    net::reset_stats();
    sometimes::begin();
    inspect::clear();
    swarm::begin();
    PANIC.with(|p| *p.borrow_mut() = None);
    IN_RUN.with(|r| r.set(true));

    let started = Instant::now();
    let body = scenario.body;
    let until = options.until;
    let time_limit = scenario.time_limit;
    let output = panic::catch_unwind(AssertUnwindSafe(|| {
        let runtime = runtime(seed, time_limit);
        let output = runtime.block_on(async move {
            let body = body();
            let (outcome, stopped_at) = match until {
                None => (body.await, None),
                Some(t) => {
                    let stop = Box::pin(madsim::time::sleep(t));
                    match select(body, stop).await {
                        Either::Left((outcome, _)) => (outcome, None),
                        Either::Right(((), _)) => (Ok(Summary::new()), Some(t)),
                    }
                }
            };
            let at = madsim::time::TimeHandle::current().elapsed();
            let output = BodyOutput {
                outcome,
                at,
                stopped_at,
                dump: inspect::dump(),
                failing_probes: inspect::failing_probes(),
                has_probes: inspect::has_probes(),
            };
            trace::seal();
            node::release_all();
            output
        });
        drop(runtime);
        output
    }));
    let wall = started.elapsed();
    let own_work = work::end();
    IN_RUN.with(|r| r.set(false));

    let output = match output {
        Ok(output) => output,
        Err(_) => {
            let record = PANIC.with(|p| p.borrow_mut().take());
            let (message, at) = match record {
                Some(r) => (r.message, r.at),
                None => ("panic without a message".to_string(), Duration::ZERO),
            };
            let mut failure = classify(message);
            // The inspectors explain a deadlock: who waits for what.
            let dump = panic::catch_unwind(AssertUnwindSafe(inspect::dump)).unwrap_or_default();
            let has_probes = inspect::has_probes();
            if failure.kind == FailureKind::Deadlock {
                for (name, text) in &dump {
                    failure.message.push_str(&format!("\n[{name}]\n{text}"));
                }
            }
            BodyOutput {
                outcome: Err(failure),
                at,
                stopped_at: None,
                dump,
                failing_probes: Vec::new(),
                has_probes,
            }
        }
    };
    inspect::clear();
    let (polls, spawns) = (trace::polls(), trace::spawns());
    let trace = trace::end();
    let (faults, fault_points) = fault::end();
    let sometimes = sometimes::end();
    let stats = net::stats();
    RunResult {
        scenario: scenario.name,
        seed,
        outcome: output.outcome,
        virtual_time: output.at,
        wall,
        rpcs: stats.rpcs,
        bytes: stats.bytes,
        polls,
        spawns,
        datagrams: stats.datagrams,
        own_work,
        trace_hash: trace.hash(),
        trace,
        faults,
        fault_points,
        stopped_at: output.stopped_at,
        dump: output.dump,
        failing_probes: output.failing_probes,
        has_probes: output.has_probes,
        sometimes,
        drawn: swarm::end(),
    }
}
