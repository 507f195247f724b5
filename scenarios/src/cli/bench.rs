//! `dst bench [PATTERN] [--seeds A..B] [--markdown]`
//!
//! Per system: every selected scenario on every seed, one run at a time, in
//! a child process of its own (so that peak memory is that system's). Each
//! run counts the executor work it made madsim do: task polls, tasks
//! spawned, datagrams sent.
//!
//! Then the floor (see `floor.rs`): a system's floor is what bare madsim
//! takes for as many events (polls of a timers-and-messages workload) and
//! spawns; its wall time over that floor is the framework's overhead, with
//! the system's own work in it. The runs are metered (`sim::work`): the
//! regions a system marks as its own computation (MapReduce's maps and
//! reduces, its test's input generation and reference) are timed, and wall
//! time less that own work, over the floor, is the framework's overhead
//! alone. The strict floor prices each poll as a bare yield and each
//! datagram separately, leaving the system's own timers out: it is low, and
//! its ratio high; the truth lies between the two. Then sweep throughput
//! with one job against two.
//!
//! Speed is measured here and reported, never asserted in tests.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::ops::Range;
use std::process::Command;
use std::time::{Duration, Instant};

use clap::Args;
use serde::{Deserialize, Serialize};
use sim::{RunOptions, Scenario};

use super::floor::Floor;
use super::targets::{self, JobsFigures, Target};
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
pub(super) struct SystemBench {
    pub(super) system: String,
    pub(super) scenarios: usize,
    pub(super) seeds: usize,
    pub(super) failures: usize,
    pub(super) wall_per_seed: Vec<f64>,
    pub(super) virtual_per_seed: Vec<f64>,
    /// Real time in the regions the system marks as its own work
    /// (`sim::work::own`), summed over all runs.
    pub(super) own_work: f64,
    /// Per scenario group (`raft/4a`, the first two parts of a name): wall
    /// and virtual time over all seeds.
    pub(super) groups: BTreeMap<String, GroupBench>,
    pub(super) events: u64,
    pub(super) rpcs: u64,
    pub(super) polls: u64,
    pub(super) spawns: u64,
    pub(super) datagrams: u64,
    pub(super) wall_total: f64,
    pub(super) peak_rss_kib: Option<u64>,
}

/// One scenario group's time, summed over its runs.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub(super) struct GroupBench {
    pub(super) wall: f64,
    pub(super) virtual_time: f64,
}

impl SystemBench {
    /// Wall time over all runs, less the regions the system marks as its
    /// own work: what the framework and madsim took.
    pub(super) fn framework_seconds(&self) -> f64 {
        (self.wall_per_seed.iter().sum::<f64>() - self.own_work).max(0.0)
    }
}

/// A scenario's group: `raft/4a/initial_election` is in `raft/4a`.
fn group_of(name: &str) -> &str {
    match name.match_indices('/').nth(1) {
        Some((at, _)) => &name[..at],
        None => name,
    }
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
    let mut own_work = Duration::ZERO;
    let mut groups: BTreeMap<String, GroupBench> = BTreeMap::new();
    let options = RunOptions {
        meter_own_work: true,
        ..RunOptions::default()
    };
    let started = Instant::now();
    for seed in args.seeds.clone() {
        let (mut wall, mut virt) = (Duration::ZERO, Duration::ZERO);
        for s in &scenarios {
            let r = sim::run(s, seed, &options);
            wall += r.wall;
            virt += r.virtual_time;
            own_work += r.own_work;
            let group = groups.entry(group_of(s.name).to_string()).or_default();
            group.wall += r.wall.as_secs_f64();
            group.virtual_time += r.virtual_time.as_secs_f64();
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
        own_work: own_work.as_secs_f64(),
        groups,
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

pub(super) fn median(values: &[f64]) -> f64 {
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
    let jobs = (!args.no_jobs).then(|| jobs_comparison(&scenarios, &args.seeds));
    if let Some(jobs) = &jobs {
        print_jobs(&args, jobs);
    }
    let figures = jobs.as_ref().map(|j| JobsFigures {
        speed_up: j.one / j.two.max(1e-9),
        one_seed_two_jobs: j.seed_two.clone(),
    });
    print_targets(
        &args,
        &targets::evaluate(&results, &floor, figures.as_ref()),
    );
    let failures: usize = results.iter().map(|b| b.failures).sum();
    if failures > 0 {
        eprintln!("dst bench: {failures} runs failed (run `dst sweep` to see them)");
        return Ok(1);
    }
    Ok(0)
}

struct Jobs {
    runs: usize,
    one: f64,
    two: f64,
    /// Per seed: every selected scenario on that seed with two jobs, as
    /// `dst sweep PATTERN --seeds S..S+1` runs them on this machine.
    seed_two: Vec<f64>,
}

/// Runs `work` on `jobs` threads that take the next run as they finish one,
/// as `dst sweep` does; returns the wall time.
fn timed_sweep(scenarios: &[Scenario], work: &[(usize, u64)], jobs: usize) -> f64 {
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
}

fn jobs_comparison(scenarios: &[Scenario], seeds: &Range<u64>) -> Jobs {
    let of_seed = |seed: u64| (0..scenarios.len()).map(move |i| (i, seed));
    let work: Vec<(usize, u64)> = seeds.clone().flat_map(of_seed).collect();
    eprint!("bench: sweep throughput with 1 and 2 jobs ... ");
    let one = timed_sweep(scenarios, &work, 1);
    let two = timed_sweep(scenarios, &work, 2);
    let seed_two = seeds
        .clone()
        .map(|seed| timed_sweep(scenarios, &of_seed(seed).collect::<Vec<_>>(), 2))
        .collect();
    eprintln!("done");
    Jobs {
        runs: work.len(),
        one,
        two,
        seed_two,
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
        "own work",
        "framework over floor",
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
            format!("{:.0}%", 100.0 * b.own_work / wall_sum.max(1e-9)),
            format!("{:.2}x", floor.framework_ratio(b)),
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
    let framework_all: f64 = results.iter().map(SystemBench::framework_seconds).sum();
    println!(
        "floor: bare madsim, nothing of ours, {:.3} µs per event (a poll of a timers-and-messages workload) \
         and {:.3} µs per spawn; a system's floor is that for its polls and spawns. \
         Strict floor: {:.3} µs per bare poll, {:.3} µs per datagram, the system's own timers left out. \
         All systems together: {:.2}x the floor, {:.2}x the strict floor; \
         the framework alone (wall time less the systems' own work): {:.2}x the floor.",
        floor.per_event * 1e6,
        floor.per_spawn * 1e6,
        floor.per_poll * 1e6,
        floor.per_datagram * 1e6,
        wall / floor_all.max(1e-9),
        wall / strict_all.max(1e-9),
        framework_all / floor_all.max(1e-9),
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
    let max = j.seed_two.iter().copied().fold(0.0, f64::max);
    println!(
        "one seed of all selected scenarios with --jobs 2 (`dst sweep PATTERN --seeds S..S+1`): \
         {:.3}s wall (median over the seeds), {max:.3}s at most",
        median(&j.seed_two)
    );
}

fn print_targets(args: &BenchArgs, targets: &[Target]) {
    if targets.is_empty() {
        return;
    }
    println!();
    let rows: Vec<Vec<String>> = targets
        .iter()
        .map(|t| {
            vec![
                t.what.clone(),
                t.measured.clone(),
                t.wanted.clone(),
                if t.met { "met" } else { "NOT MET" }.to_string(),
            ]
        })
        .collect();
    print_rows(
        args.markdown,
        &["target (see BENCHMARKS.md)", "here", "wanted", "status"],
        &rows,
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
    // Names left, figures right.
    let line = |cells: Vec<&str>| {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(header.to_vec()));
    for r in rows {
        println!("{}", line(r.iter().map(String::as_str).collect()));
    }
}
