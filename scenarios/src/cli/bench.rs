//! `dst bench [PATTERN] [--seeds A..B] [--markdown]`
//!
//! Per system: every selected scenario on every seed, one run at a time, in
//! a child process of its own (so that peak memory is that system's). Each
//! run counts the executor work it made madsim do: task polls, tasks
//! spawned, datagrams sent.
//!
//! Then the floor, in a child process with no subscriber and nothing of
//! ours. As the issue defines it: a bare madsim workload of timers and
//! messages only (64 tasks sleeping 1 ms and exchanging datagrams with a
//! server node), whose cost per event (a poll: the executor handling one
//! timer or message) prices a system's polls, plus bare madsim's cost per
//! spawn. A system's wall time over its floor is the framework's overhead,
//! with the system's own work in it. The strict floor prices each poll as a
//! bare yield and each datagram separately, leaving the system's own timers
//! out: it is low, and its ratio high; the truth lies between the two.
//! Then sweep throughput with one job against two.
//!
//! Speed is measured here and reported, never asserted in tests.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::ops::Range;
use std::process::Command;
use std::time::{Duration, Instant};

// Woken at once, like tokio's `yield_now`, but with no tokio runtime behind
// it (the bank's: the one such yield in the workspace).
use bank::jitter::yield_now;
use clap::Args;
use serde::{Deserialize, Serialize};
use sim::{RunOptions, Scenario};

use super::{parse_range_arg, selected, usage, UsageError};

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Scenario name or prefix (`all` for all).
    #[arg(default_value = "all")]
    pattern: String,
    /// Seeds to run each scenario on.
    #[arg(long, value_parser = parse_range_arg, default_value = "0..5")]
    seeds: Range<u64>,
    /// Print the tables as Markdown (for BENCHMARKS.md).
    #[arg(long)]
    markdown: bool,
    /// Skip the --jobs 1 vs --jobs 2 sweep comparison.
    #[arg(long)]
    no_jobs: bool,
}

#[derive(Args, Debug)]
pub struct BenchOneArgs {
    system: String,
    pattern: String,
    #[arg(long, value_parser = parse_range_arg)]
    seeds: Range<u64>,
}

/// One system's figures, passed from the child process as JSON.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct SystemBench {
    system: String,
    scenarios: usize,
    seeds: usize,
    failures: usize,
    wall_per_seed: Vec<f64>,
    virtual_per_seed: Vec<f64>,
    events: u64,
    rpcs: u64,
    polls: u64,
    spawns: u64,
    datagrams: u64,
    wall_total: f64,
    peak_rss_kib: Option<u64>,
}

fn systems_of(scenarios: &[Scenario]) -> Vec<String> {
    let mut systems: Vec<String> = Vec::new();
    for s in scenarios {
        if !systems.iter().any(|x| x == s.system()) {
            systems.push(s.system().to_string());
        }
    }
    systems
}

/// The hidden child command: measures one system, prints one JSON line.
pub fn bench_one(args: BenchOneArgs) -> Result<i32, UsageError> {
    let scenarios: Vec<Scenario> = selected(&args.pattern)?
        .into_iter()
        .filter(|s| s.system() == args.system)
        .collect();
    let mut wall_per_seed = Vec::new();
    let mut virtual_per_seed = Vec::new();
    let (mut events, mut rpcs, mut failures) = (0u64, 0u64, 0usize);
    let (mut polls, mut spawns, mut datagrams) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    for seed in args.seeds.clone() {
        let (mut wall, mut virt) = (Duration::ZERO, Duration::ZERO);
        for s in &scenarios {
            let r = sim::run(s, seed, &RunOptions::default());
            wall += r.wall;
            virt += r.virtual_time;
            events += r.trace.lines.len() as u64;
            rpcs += r.rpcs;
            polls += r.polls;
            spawns += r.spawns;
            datagrams += r.datagrams;
            failures += usize::from(!r.passed());
        }
        wall_per_seed.push(wall.as_secs_f64());
        virtual_per_seed.push(virt.as_secs_f64());
    }
    let bench = SystemBench {
        system: args.system,
        scenarios: scenarios.len(),
        seeds: args.seeds.count(),
        failures,
        wall_per_seed,
        virtual_per_seed,
        events,
        rpcs,
        polls,
        spawns,
        datagrams,
        wall_total: started.elapsed().as_secs_f64(),
        peak_rss_kib: peak_rss_kib(),
    };
    println!("{}", serde_json::to_string(&bench).expect("serializes"));
    Ok(0)
}

/// The process's peak resident memory, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

pub fn bench(args: BenchArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    if cfg!(debug_assertions) {
        eprintln!("dst bench: this is a debug build; numbers mean little (use cargo run --release -- bench)");
    }
    let exe = std::env::current_exe().map_err(|e| usage(format!("cannot find dst itself: {e}")))?;
    let mut results = Vec::new();
    for system in systems_of(&scenarios) {
        eprint!("bench: {system} ... ");
        let _ = std::io::stderr().flush();
        let out = Command::new(&exe)
            .args(["bench-one", &system, &args.pattern, "--seeds"])
            .arg(format!("{}..{}", args.seeds.start, args.seeds.end))
            .output()
            .map_err(|e| usage(format!("cannot run {}: {e}", exe.display())))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or("");
        let bench: SystemBench = serde_json::from_str(line).map_err(|e| {
            usage(format!(
                "bench of {system} gave no result ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
        eprintln!("{:.2}s", bench.wall_total);
        results.push(bench);
    }
    eprint!("bench: bare madsim floor ... ");
    let out = Command::new(&exe)
        .arg("bench-floor")
        .output()
        .map_err(|e| usage(format!("cannot run {}: {e}", exe.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let floor: Floor = serde_json::from_str(text.lines().last().unwrap_or("")).map_err(|e| {
        usage(format!(
            "the floor measurement gave no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })?;
    eprintln!("done");
    print_table(&args, &results, &floor);
    if !args.no_jobs {
        let jobs = jobs_comparison(&scenarios, &args.seeds);
        print_jobs(&args, &jobs);
    }
    let failures: usize = results.iter().map(|b| b.failures).sum();
    if failures > 0 {
        eprintln!("dst bench: {failures} runs failed (run `dst sweep` to see them)");
        return Ok(1);
    }
    Ok(0)
}

/// Bare madsim's unit costs, in seconds, measured with nothing of ours: no
/// subscriber, no RPC layer, no framework.
#[derive(Serialize, Deserialize, Debug, Clone)]
struct Floor {
    /// One event of a workload of timers and messages only (the issue's
    /// floor): the executor handling one timer or one message.
    per_event: f64,
    /// One poll, among many ready tasks that only yield.
    per_poll: f64,
    /// One spawn, beyond its task's polls.
    per_spawn: f64,
    /// One datagram sent and delivered, beyond the polls it causes.
    per_datagram: f64,
}

impl Floor {
    /// What bare madsim would take for as many events (polls) of timers
    /// and messages, and as many spawns, as a system made.
    fn of(&self, b: &SystemBench) -> f64 {
        b.polls as f64 * self.per_event + b.spawns as f64 * self.per_spawn
    }

    /// A stricter floor: each poll priced as a bare yield, each datagram as
    /// itself. The system's own timers are left out, so this one is low.
    fn strict(&self, b: &SystemBench) -> f64 {
        b.polls as f64 * self.per_poll
            + b.spawns as f64 * self.per_spawn
            + b.datagrams as f64 * self.per_datagram
    }
}

thread_local! {
    /// Polls of the floor's tasks (see [`Counted`]).
    static FLOOR_POLLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts the polls of a future: the floor has no subscriber to count them.
struct Counted<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for Counted<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        FLOOR_POLLS.with(|p| p.set(p.get() + 1));
        self.0.as_mut().poll(cx)
    }
}

fn counted<F: std::future::Future>(f: F) -> Counted<F> {
    Counted(Box::pin(f))
}

/// Runs `workload` three times, each on a fresh thread and runtime; returns
/// the fastest (wall, polls): a floor is what the machine can do, and the
/// slower runs measure the machine's other work.
fn timed_floor<F, Fut>(workload: F) -> (f64, u64)
where
    F: Fn(madsim::runtime::NodeHandle, madsim::runtime::NodeHandle) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let workload = std::sync::Arc::new(workload);
    (0..3)
        .map(|_| timed_once(workload.clone()))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("three runs")
}

fn timed_once<F, Fut>(workload: std::sync::Arc<F>) -> (f64, u64)
where
    F: Fn(madsim::runtime::NodeHandle, madsim::runtime::NodeHandle) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    std::thread::spawn(move || {
        let runtime = madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default());
        let a = runtime.create_node().ip([10, 0, 0, 1].into()).build();
        let b = runtime.create_node().ip([10, 0, 0, 2].into()).build();
        FLOOR_POLLS.with(|p| p.set(0));
        let started = Instant::now();
        runtime.block_on(workload(a, b));
        let wall = started.elapsed().as_secs_f64();
        (wall, FLOOR_POLLS.with(|p| p.get()))
    })
    .join()
    .expect("the floor workload runs")
}

const CLIENTS: u16 = 64;
const EXCHANGES: u64 = 1_500;

/// 64 clients on `client` each exchange 1,500 request/reply datagrams with a
/// server on `server`, sleeping 1 ms before each request if `timers`.
async fn exchanges(
    client: madsim::runtime::NodeHandle,
    server: madsim::runtime::NodeHandle,
    timers: bool,
) {
    let server_addr: SocketAddr = "10.0.0.2:1".parse().unwrap();
    server.spawn(counted(async move {
        let ep = madsim::net::Endpoint::bind(server_addr).await.unwrap();
        loop {
            let (msg, from) = ep.recv_from_raw(1).await.unwrap();
            ep.send_to_raw(from, 2, msg).await.unwrap();
        }
    }));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            client.spawn(counted(async move {
                let addr = SocketAddr::from(([10, 0, 0, 1], 1 + i));
                let ep = madsim::net::Endpoint::bind(addr).await.unwrap();
                for round in 0..EXCHANGES {
                    if timers {
                        madsim::time::sleep(Duration::from_millis(1)).await;
                    }
                    let msg = Box::new(vec![round as u8; 64]);
                    ep.send_to_raw(server_addr, 1, msg).await.unwrap();
                    ep.recv_from_raw(2).await.unwrap();
                }
            }))
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
}

/// The hidden child command: bare madsim's unit costs, as one JSON line.
pub fn bench_floor() -> Result<i32, UsageError> {
    const TASKS: u64 = 1_000;
    const YIELDS: u64 = 2_000;
    const SPAWNS: u64 = 500_000;
    // Polls: 1,000 tasks each yielding 2,000 times, so that madsim picks
    // among many ready tasks as it does in a suite.
    let (wall, polls) = timed_floor(|a, _| async move {
        a.spawn(counted(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    madsim::task::spawn(counted(async {
                        for _ in 0..YIELDS {
                            yield_now().await;
                        }
                    }))
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }))
        .await
        .unwrap();
    });
    let per_poll = wall / polls.max(1) as f64;
    // Spawns: empty tasks, spawned 100 at a time; their polls are priced
    // as above, the rest is the spawn.
    let (wall, polls) = timed_floor(|a, _| async move {
        a.spawn(counted(async {
            let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            for i in 0..SPAWNS {
                let done = done.clone();
                madsim::task::spawn(counted(async move {
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }));
                if i % 100 == 99 {
                    yield_now().await;
                }
                if i % 10_000 == 9_999 {
                    // As the bank's suite does: let madsim drop its weak
                    // references to finished tasks, or their memory stays.
                    let _ = madsim::runtime::Handle::current().metrics().num_tasks();
                }
            }
            while done.load(std::sync::atomic::Ordering::Relaxed) < SPAWNS {
                yield_now().await;
            }
        }))
        .await
        .unwrap();
    });
    let per_spawn = ((wall - polls as f64 * per_poll) / SPAWNS as f64).max(0.0);
    // Datagrams: 64 clients on one node exchange 1,500 request/reply pairs
    // each with a server on another node (madsim's own send delay, a timer,
    // included); their polls are priced as above, the rest is the datagram.
    let (wall, polls) = timed_floor(|client, server| exchanges(client, server, false));
    let datagrams = 2 * u64::from(CLIENTS) * EXCHANGES;
    let per_datagram = ((wall - polls as f64 * per_poll) / datagrams as f64).max(0.0);
    // Events, as the floor has them: timers and messages only, the
    // same exchanges with a 1 ms sleep before each request; an event is a
    // poll (the executor handling one timer or one message).
    let (wall, polls) = timed_floor(|client, server| exchanges(client, server, true));
    let per_event = wall / polls.max(1) as f64;
    let floor = Floor {
        per_event,
        per_poll,
        per_spawn,
        per_datagram,
    };
    println!("{}", serde_json::to_string(&floor).expect("serializes"));
    Ok(0)
}

struct Jobs {
    runs: usize,
    one: f64,
    two: f64,
}

fn jobs_comparison(scenarios: &[Scenario], seeds: &Range<u64>) -> Jobs {
    let work: Vec<(usize, u64)> = seeds
        .clone()
        .flat_map(|seed| (0..scenarios.len()).map(move |i| (i, seed)))
        .collect();
    let timed = |jobs: usize| {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(s, seed)) = work.get(i) else {
                        return;
                    };
                    let _ = sim::run(&scenarios[s], seed, &RunOptions::default());
                });
            }
        });
        started.elapsed().as_secs_f64()
    };
    eprint!("bench: sweep throughput with 1 and 2 jobs ... ");
    let one = timed(1);
    let two = timed(2);
    eprintln!("done");
    Jobs {
        runs: work.len(),
        one,
        two,
    }
}

fn print_table(args: &BenchArgs, results: &[SystemBench], floor: &Floor) {
    let header = [
        "system",
        "scenarios",
        "seeds",
        "wall/seed median",
        "wall/seed max",
        "virtual/seed",
        "speed-up",
        "events/s",
        "RPCs/s",
        "peak RSS",
        "polls/seed",
        "floor/seed",
        "wall over floor",
        "over strict floor",
    ];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for b in results {
        let wall_sum: f64 = b.wall_per_seed.iter().sum();
        let virt_sum: f64 = b.virtual_per_seed.iter().sum();
        let max = b.wall_per_seed.iter().copied().fold(0.0, f64::max);
        rows.push(vec![
            b.system.clone(),
            b.scenarios.to_string(),
            b.seeds.to_string(),
            format!("{:.3}s", median(&b.wall_per_seed)),
            format!("{max:.3}s"),
            format!("{:.1}s", median(&b.virtual_per_seed)),
            speed_up(virt_sum / wall_sum.max(1e-9)),
            format!("{:.0}", b.events as f64 / wall_sum.max(1e-9)),
            format!("{:.0}", b.rpcs as f64 / wall_sum.max(1e-9)),
            b.peak_rss_kib
                .map_or("n/a".into(), |k| format!("{:.0} MiB", k as f64 / 1024.0)),
            format!("{:.0}", b.polls as f64 / b.seeds.max(1) as f64),
            format!("{:.3}s", floor.of(b) / b.seeds.max(1) as f64),
            format!("{:.2}x", wall_sum / floor.of(b).max(1e-9)),
            format!("{:.2}x", wall_sum / floor.strict(b).max(1e-9)),
        ]);
    }
    print_rows(args.markdown, &header, &rows);
    let all_median: f64 = results.iter().map(|b| median(&b.wall_per_seed)).sum();
    println!();
    println!("all selected scenarios, one seed: {all_median:.3}s wall (sum of per-system medians)");
    let (wall, floor_all, strict_all) = results.iter().fold((0.0, 0.0, 0.0), |(w, f, s), b| {
        (
            w + b.wall_per_seed.iter().sum::<f64>(),
            f + floor.of(b),
            s + floor.strict(b),
        )
    });
    println!(
        "floor: bare madsim, nothing of ours, {:.3} µs per event (a poll of a timers-and-messages workload) \
         and {:.3} µs per spawn; a system's floor is that for its polls and spawns. \
         Strict floor: {:.3} µs per bare poll, {:.3} µs per datagram, the system's own timers left out. \
         All systems together: {:.2}x the floor, {:.2}x the strict floor.",
        floor.per_event * 1e6,
        floor.per_spawn * 1e6,
        floor.per_poll * 1e6,
        floor.per_datagram * 1e6,
        wall / floor_all.max(1e-9),
        wall / strict_all.max(1e-9),
    );
    let mut by_system = BTreeMap::new();
    for b in results {
        by_system.insert(b.system.clone(), b.failures);
    }
    if by_system.values().any(|&f| f > 0) {
        println!("failures per system: {by_system:?}");
    }
}

/// Virtual over wall time; small ratios keep their decimals (a CPU-bound
/// suite such as the bank's can run slower than real time).
fn speed_up(ratio: f64) -> String {
    if ratio < 10.0 {
        format!("{ratio:.2}x")
    } else {
        format!("{ratio:.0}x")
    }
}

fn print_jobs(args: &BenchArgs, j: &Jobs) {
    println!();
    let rows = vec![
        vec![
            "1".to_string(),
            j.runs.to_string(),
            format!("{:.3}s", j.one),
            format!("{:.1}", j.runs as f64 / j.one),
        ],
        vec![
            "2".to_string(),
            j.runs.to_string(),
            format!("{:.3}s", j.two),
            format!("{:.1}", j.runs as f64 / j.two),
        ],
    ];
    print_rows(args.markdown, &["jobs", "runs", "wall", "runs/s"], &rows);
    println!(
        "--jobs 2 gives {:.2}x the throughput of --jobs 1",
        j.one / j.two.max(1e-9)
    );
}

fn print_rows(markdown: bool, header: &[&str], rows: &[Vec<String>]) {
    if markdown {
        println!("| {} |", header.join(" | "));
        println!(
            "|{}|",
            header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
        );
        for r in rows {
            println!("| {} |", r.join(" | "));
        }
        return;
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].len())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(header.to_vec()));
    for r in rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
}
