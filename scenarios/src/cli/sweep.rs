//! `dst sweep PATTERN --seeds A..B [--jobs J] [--shard K/N] [--until-fail] [--json FILE]`
//!
//! Runs every selected scenario on every seed, J runs at a time (each run has
//! its own thread and runtime), then reports failures grouped by signature
//! (the message with numbers masked) with the smallest failing seed of each
//! group, fault coverage (how many runs injected each fault kind), and a last
//! line `sweep: R runs, P passed, F failed, wall=Ws, virtual=Vs`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use sim::{fault, report, RunOptions, RunResult, Scenario};

use super::{parse_range_arg, selected, usage, UsageError};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Scenario name or prefix (`all` for all).
    pattern: String,
    /// Seeds: `A..B` (half-open) or `A..=B`.
    #[arg(long, value_parser = parse_range_arg)]
    seeds: Range<u64>,
    /// Parallel runs (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only the K-th of N disjoint slices of the seeds (seed % N == K-1).
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// Stop starting new runs after the first failure.
    #[arg(long)]
    until_fail: bool,
    /// Write a machine-readable summary to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("malformed shard {text:?}: expected K/N with 1 <= K <= N, e.g. 2/8");
    let (k, n) = text.split_once('/').ok_or_else(bad)?;
    let k: u64 = k.trim().parse().map_err(|_| bad())?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || k == 0 || k > n {
        return Err(bad());
    }
    Ok((k, n))
}

/// One failing run, as the summary lists it.
#[derive(Serialize, Clone)]
struct FailedRun {
    scenario: String,
    seed: u64,
    kind: String,
    message: String,
    signature: String,
    virtual_secs: f64,
    replay: String,
}

#[derive(Serialize)]
struct SignatureGroup {
    signature: String,
    runs: usize,
    smallest_seed: u64,
    scenario: String,
    replay: String,
}

#[derive(Serialize)]
struct SweepSummary {
    pattern: String,
    seeds: String,
    runs: usize,
    passed: usize,
    failed: usize,
    wall_secs: f64,
    virtual_secs: f64,
    fault_runs: BTreeMap<String, u64>,
    groups: Vec<SignatureGroup>,
    failures: Vec<FailedRun>,
}

pub fn sweep(args: SweepArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    if args.jobs == Some(0) {
        return Err(usage("--jobs must be at least 1"));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if let Some(path) = &args.json {
        check_writable(path)?;
    }
    let seeds: Vec<u64> = args
        .seeds
        .clone()
        .filter(|s| args.shard.is_none_or(|(k, n)| s % n == k - 1))
        .collect();
    let work: Vec<(usize, u64)> = seeds
        .iter()
        .flat_map(|&seed| (0..scenarios.len()).map(move |i| (i, seed)))
        .collect();
    let started = Instant::now();
    let results = run_all(&scenarios, &work, jobs, args.until_fail);
    let wall = started.elapsed();
    let summary = summarize(&args, &results, wall);
    print_summary(&summary);
    if let Some(path) = &args.json {
        write_json(path, &summary)?;
    }
    Ok(if summary.failed > 0 { 1 } else { 0 })
}

/// Refuses up front a --json path whose folder does not exist, so that a
/// long sweep does not end in a lost summary.
fn check_writable(path: &std::path::Path) -> Result<(), UsageError> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(folder) = folder {
        if !folder.is_dir() {
            return Err(usage(format!(
                "--json {}: folder {} does not exist",
                path.display(),
                folder.display()
            )));
        }
    }
    Ok(())
}

/// Writes through a temporary file and a rename: never a partial summary.
fn write_json(path: &std::path::Path, summary: &SweepSummary) -> Result<(), UsageError> {
    let text = serde_json::to_string_pretty(summary).expect("summaries serialize");
    let temp = path.with_extension("json.partial");
    std::fs::write(&temp, text + "\n")
        .and_then(|()| std::fs::rename(&temp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            usage(format!("cannot write --json {}: {e}", path.display()))
        })
}

/// The compact facts a sweep keeps of each run (traces are dropped at once).
struct Outcome {
    scenario: &'static str,
    seed: u64,
    failure: Option<sim::Failure>,
    virtual_time: Duration,
    faults: BTreeMap<String, u64>,
}

fn run_all(
    scenarios: &[Scenario],
    work: &[(usize, u64)],
    jobs: usize,
    until_fail: bool,
) -> Vec<Outcome> {
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (sender, receiver) = mpsc::channel::<RunResult>();
    let progress = progress_bar(work.len() as u64);
    let mut outcomes = Vec::with_capacity(work.len());
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(work.len().max(1)) {
            let (next, stop, sender) = (next.clone(), stop.clone(), sender.clone());
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(scenario, seed)) = work.get(i) else {
                    return;
                };
                let result = sim::run(&scenarios[scenario], seed, &RunOptions::default());
                if !result.passed() && until_fail {
                    stop.store(true, Ordering::Relaxed);
                }
                if sender.send(result).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        let plain_every = (work.len() / 10).max(1);
        for result in receiver {
            if !result.passed() {
                let line = report::result_line(&result);
                match &progress {
                    Some(bar) => bar.println(line),
                    None => println!("{line}"),
                }
            }
            outcomes.push(Outcome {
                scenario: result.scenario,
                seed: result.seed,
                failure: result.failure().cloned(),
                virtual_time: result.virtual_time,
                faults: fault::coverage(&result.faults),
            });
            match &progress {
                Some(bar) => bar.inc(1),
                None if outcomes.len() % plain_every == 0 || outcomes.len() == work.len() => {
                    println!("progress: {}/{} runs", outcomes.len(), work.len());
                }
                None => {}
            }
        }
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    outcomes.sort_by(|a, b| (a.scenario, a.seed).cmp(&(b.scenario, b.seed)));
    outcomes
}

fn progress_bar(total: u64) -> Option<ProgressBar> {
    if !super::stderr_filter::is_terminal() {
        return None;
    }
    let bar = ProgressBar::with_draw_target(Some(total), super::stderr_filter::progress_target());
    bar.set_style(
        ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40}] {pos}/{len} runs ({per_sec}, eta {eta})",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    Some(bar)
}

fn summarize(args: &SweepArgs, outcomes: &[Outcome], wall: Duration) -> SweepSummary {
    let mut failures = Vec::new();
    let mut fault_runs: BTreeMap<String, u64> = BTreeMap::new();
    let mut virtual_total = Duration::ZERO;
    for o in outcomes {
        virtual_total += o.virtual_time;
        for kind in o.faults.keys() {
            *fault_runs.entry(kind.clone()).or_insert(0) += 1;
        }
        if let Some(f) = &o.failure {
            failures.push(FailedRun {
                scenario: o.scenario.to_string(),
                seed: o.seed,
                kind: f.kind.to_string(),
                message: f.to_string(),
                signature: f.signature(),
                virtual_secs: o.virtual_time.as_secs_f64(),
                replay: report::replay_commands(o.scenario, o.seed)[1].clone(),
            });
        }
    }
    let mut by_signature: BTreeMap<(String, String), Vec<&FailedRun>> = BTreeMap::new();
    for f in &failures {
        by_signature
            .entry((f.scenario.clone(), f.signature.clone()))
            .or_default()
            .push(f);
    }
    let groups = by_signature
        .into_iter()
        .map(|((scenario, signature), runs)| {
            let smallest = runs
                .iter()
                .map(|r| r.seed)
                .min()
                .expect("groups are non-empty");
            SignatureGroup {
                replay: report::replay_commands(&scenario, smallest)[1].clone(),
                signature,
                runs: runs.len(),
                smallest_seed: smallest,
                scenario,
            }
        })
        .collect();
    SweepSummary {
        pattern: args.pattern.clone(),
        seeds: format!("{}..{}", args.seeds.start, args.seeds.end),
        runs: outcomes.len(),
        passed: outcomes.len() - failures.len(),
        failed: failures.len(),
        wall_secs: wall.as_secs_f64(),
        virtual_secs: virtual_total.as_secs_f64(),
        fault_runs,
        groups,
        failures,
    }
}

fn print_summary(s: &SweepSummary) {
    for f in &s.failures {
        println!(
            "FAILED {} seed={} :: {}",
            f.scenario,
            f.seed,
            first_line(&f.message)
        );
        println!("  replay: {}", f.replay);
    }
    if !s.groups.is_empty() {
        println!("failure groups (by signature, smallest seed first):");
        for g in &s.groups {
            println!(
                "  {}  {}  smallest seed {}  {}\n    replay: {}",
                runs(g.runs),
                g.scenario,
                g.smallest_seed,
                first_line(&g.signature),
                g.replay
            );
        }
    }
    if !s.fault_runs.is_empty() {
        let parts: Vec<String> = s
            .fault_runs
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        println!(
            "fault coverage (runs that injected each kind): {}",
            parts.join(" ")
        );
    }
    println!(
        "sweep: {}, {} passed, {} failed, wall={:.3}s, virtual={:.3}s",
        runs(s.runs),
        s.passed,
        s.failed,
        s.wall_secs,
        s.virtual_secs
    );
}

/// "1 run", "2 runs".
fn runs(n: usize) -> String {
    format!("{n} run{}", if n == 1 { "" } else { "s" })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
