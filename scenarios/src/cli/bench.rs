//! `dst bench [PATTERN] [--seeds A..B] [--markdown]`
//!
//! Per system: the bare-madsim floor (see `floor.rs`), then every selected
//! scenario on every seed, one run at a time, each in a child process of
//! its own (so that peak memory is that system's). Each run counts the
//! executor work it made madsim do (task polls, tasks spawned, datagrams
//! sent) and is metered (`sim::work`): the regions a system marks as its
//! own computation are timed.
//!
//! A system's floor is what bare madsim takes for as many events (polls of
//! a timers-and-messages workload) and spawns. Its wall time over that floor
//! is the framework's overhead with the system's own work in it; wall time
//! less the own work, over the floor, is the framework's overhead alone. The
//! strict floor prices each poll as a bare yield and each datagram
//! separately, leaving the system's own timers out: it is low, and its ratio
//! high. Ratios are medians of per-seed ratios (see `measured.rs`). Then
//! sweep throughput with one job against two, and the speed targets.
//!
//! Speed is measured here and reported, never asserted in tests.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::ops::Range;
use std::process::Command;
use std::time::Instant;

use clap::Args;
use sim::{RunOptions, Scenario};

use super::floor::Floor;
use super::measured::{self, median, Measured, SystemBench};
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
    let bench = measured::measure(args.system, &scenarios, args.seeds);
    println!("{}", serde_json::to_string(&bench).expect("serializes"));
    Ok(0)
}

/// Runs `dst ARGS` and parses the last line it printed as JSON.
fn child<T: serde::de::DeserializeOwned>(
    exe: &std::path::Path,
    args: &[String],
    what: &str,
) -> Result<T, UsageError> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| usage(format!("cannot run {}: {e}", exe.display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(text.lines().last().unwrap_or("")).map_err(|e| {
        usage(format!(
            "{what} gave no result ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        ))
    })
}

pub fn bench(args: BenchArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    if cfg!(debug_assertions) {
        eprintln!("dst bench: this is a debug build; numbers mean little (use cargo run --release -- bench)");
    }
    let exe = std::env::current_exe().map_err(|e| usage(format!("cannot find dst itself: {e}")))?;
    let mut results = Vec::new();
    for system in systems_of(&scenarios) {
        // The floor just before the system's runs: the machine's speed
        // drifts, and a floor prices the runs next to it.
        eprint!("bench: {system}: bare madsim floor ... ");
        let _ = std::io::stderr().flush();
        let floor: Floor = child(&exe, &["bench-floor".to_string()], "the floor measurement")?;
        eprint!("runs ... ");
        let _ = std::io::stderr().flush();
        let seeds = format!("{}..{}", args.seeds.start, args.seeds.end);
        let child_args = ["bench-one", &system, &args.pattern, "--seeds", &seeds].map(String::from);
        let bench: SystemBench = child(&exe, &child_args, &format!("the bench of {system}"))?;
        eprintln!("{:.2}s", bench.wall_total);
        results.push(Measured { bench, floor });
    }
    print_table(&args, &results);
    let jobs = (!args.no_jobs).then(|| jobs_comparison(&scenarios, &args.seeds));
    if let Some(jobs) = &jobs {
        print_jobs(&args, jobs);
    }
    let figures = jobs.as_ref().map(|j| JobsFigures {
        speed_up: j.one / j.two.max(1e-9),
        one_seed_two_jobs: j.seed_two.clone(),
    });
    print_targets(&args, &targets::evaluate(&results, figures.as_ref()));
    let failures: usize = results.iter().map(|m| m.bench.failures).sum();
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

fn print_table(args: &BenchArgs, results: &[Measured]) {
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
    for m in results {
        let b = &m.bench;
        let wall_sum: f64 = b.wall_per_seed.iter().sum();
        let virt_sum: f64 = b.virtual_per_seed.iter().sum();
        let max = b.wall_per_seed.iter().copied().fold(0.0, f64::max);
        let polls: Vec<f64> = b.polls_per_seed.iter().map(|&p| p as f64).collect();
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
            format!("{:.0}", median(&polls)),
            format!("{:.3}s", m.floor_seconds()),
            format!("{:.2}x", m.wall_over_floor()),
            format!("{:.2}x", m.wall_over_strict_floor()),
            format!("{:.0}%", 100.0 * m.own_share()),
            format!("{:.2}x", m.framework_over_floor()),
        ]);
    }
    print_rows(args.markdown, &header, &rows);
    let sum = |f: &dyn Fn(&Measured) -> f64| -> f64 { results.iter().map(f).sum() };
    let all_wall = sum(&|m| median(&m.bench.wall_per_seed));
    let all_floor = sum(&|m| m.floor_seconds());
    let all_framework = sum(&|m| m.framework_seconds_median());
    println!();
    println!("all selected scenarios, one seed: {all_wall:.3}s wall (sum of per-system medians)");
    println!(
        "floor: bare madsim, nothing of ours, measured just before each system: {} µs per event \
         (a poll of a timers-and-messages workload) and {} µs per spawn; a system's floor is \
         that for its polls and spawns. Strict floor: {} µs per bare poll, {} µs per datagram, \
         the system's own timers left out. Ratios are medians over the seeds. All systems \
         together (medians summed): {:.2}x the floor; the framework alone (wall time less the \
         systems' own work): {:.2}x the floor.",
        floor_range(results, |f| f.per_event),
        floor_range(results, |f| f.per_spawn),
        floor_range(results, |f| f.per_poll),
        floor_range(results, |f| f.per_datagram),
        all_wall / all_floor.max(1e-9),
        all_framework / all_floor.max(1e-9),
    );
    let mut by_system = BTreeMap::new();
    for m in results {
        by_system.insert(m.bench.system.clone(), m.bench.failures);
    }
    if by_system.values().any(|&f| f > 0) {
        println!("failures per system: {by_system:?}");
    }
}

/// One unit cost of the systems' floors in µs, as `low–high` when the
/// machine's speed moved between them.
fn floor_range(results: &[Measured], cost: impl Fn(&Floor) -> f64) -> String {
    let (low, high) = results
        .iter()
        .map(|m| cost(&m.floor) * 1e6)
        .fold((f64::MAX, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    if high - low >= 0.0005 {
        format!("{low:.3}–{high:.3}")
    } else {
        format!("{high:.3}")
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
