//! `dst sweep PATTERN --seeds A..B [--jobs J] [--shard K/N] [--until-fail] [--json FILE]
//! [--require-sometimes] [--check-determinism]` and `dst sweep --rerun SUMMARY`.
//!
//! Runs every selected scenario on every seed (of its shard), J runs at a
//! time (each run has its own thread and runtime), then reports failures
//! grouped by signature (the message with numbers masked) with the smallest
//! failing seed of each group, fault coverage (how many runs injected each
//! fault kind), the "sometimes" events each scenario declares (a `NEVER`
//! line for one that happened in no run, see `sometimes.rs`), and a last
//! line `sweep: R runs, P passed, F failed, wall=Ws, virtual=Vs`. `--rerun`
//! runs again just the failing runs a summary lists. `--check-determinism`
//! makes every run again in a second process (see `determinism.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use sim::budget::Budgets;
use sim::{fault, report, RunOptions, RunResult, Scenario};

use super::shard::Shard;
use super::slow_runs::{self, SlowRuns};
use super::summary::{self, Header, Kind, Tally};
use super::swarm_coverage::SwarmCoverage;
use super::{check_output_path, parse_range_arg, selected, usage, UsageError};

#[derive(Args, Debug)]
pub struct SweepArgs {
    /// Scenario name or prefix (`all` for all).
    #[arg(required_unless_present = "rerun")]
    pattern: Option<String>,
    /// Seeds: `A..B` (half-open) or `A..=B`.
    #[arg(long, value_parser = parse_range_arg, required_unless_present = "rerun")]
    seeds: Option<Range<u64>>,
    /// Parallel runs (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only the K-th of N disjoint slices of the seeds (seed % N == K-1).
    #[arg(long, value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Stop starting new runs after the first failure.
    #[arg(long)]
    until_fail: bool,
    /// Write a machine-readable summary to this file (what `dst merge` reads).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Run again only the failing runs a summary lists (a shard's or `dst merge --json`'s).
    #[arg(long, value_name = "SUMMARY", conflicts_with_all = ["pattern", "seeds", "shard"])]
    rerun: Option<PathBuf>,
    /// Fail (exit 1) when a declared "sometimes" event never happened; without it that is a loud NEVER line only.
    #[arg(long)]
    require_sometimes: bool,
    /// Run every (scenario, seed) again in another process and report each trace that differs.
    #[arg(long, conflicts_with = "rerun")]
    check_determinism: bool,
}

pub fn sweep(args: SweepArgs) -> Result<i32, UsageError> {
    if args.jobs == Some(0) {
        return Err(usage("--jobs must be at least 1"));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    match &args.rerun {
        Some(file) => rerun(&args, file, jobs),
        None => sweep_range(&args, jobs),
    }
}

fn sweep_range(args: &SweepArgs, jobs: usize) -> Result<i32, UsageError> {
    let pattern = args.pattern.as_deref().expect("clap requires a pattern");
    let range = args.seeds.clone().expect("clap requires --seeds");
    let scenarios = selected(pattern)?;
    let shard = args.shard.unwrap_or(Shard::WHOLE);
    let seeds = shard.seeds(&range);
    if seeds.is_empty() {
        // A shard with nothing to do is a mistake in the job's setup (more
        // tasks than seeds), not a sweep that passed: "0 runs" would hide it.
        return Err(usage(format!(
            "--shard {shard} selects no seed of {}..{}: shard K of N holds the seeds with seed % N == K - 1, and this range has {} seeds, so use at most {} shards",
            range.start,
            range.end,
            range.end - range.start,
            range.end - range.start
        )));
    }
    if let Some(path) = &args.json {
        check_output_path("--json", path)?;
    }
    let per_seed = scenarios.len();
    // Lazily, seed by seed: a range of 2^64 - 1 seeds is never stored.
    let work = seeds
        .iter()
        .flat_map(move |seed| (0..per_seed).map(move |i| (i, seed)));
    let total = u64::try_from(seeds.len() as u128 * per_seed as u128).unwrap_or(u64::MAX);
    let started = Instant::now();
    let mut hashes = Vec::new();
    let (tally, slow, budgets, swarm) = run_all(
        &scenarios,
        work,
        total,
        jobs,
        args.until_fail,
        &mut |result| {
            if args.check_determinism {
                hashes.push(super::determinism::Seen::of(result));
            }
        },
    );
    let complete = tally.runs == total;
    let summary = tally.finish(
        Header {
            kind: Kind::Shard,
            pattern: pattern.to_string(),
            seeds: format!("{}..{}", range.start, range.end),
            shard: Some(shard),
            scenarios: scenarios.iter().map(|s| s.name.to_string()).collect(),
            seed_count: seeds.len(),
            complete,
            host: summary::host_name(),
            jobs: Some(jobs),
        },
        started.elapsed(),
    );
    summary::print_findings(&summary);
    for line in swarm.lines() {
        println!("{line}");
    }
    let over_budget = super::print_budgets(&budgets);
    print_slow_runs(&slow);
    let differed = match args.check_determinism {
        true => super::determinism::check(pattern, &range, shard, jobs, hashes)?,
        false => 0,
    };
    println!(
        "sweep: {}, {} passed, {} failed, wall={:.3}s, virtual={:.3}s",
        summary::runs(summary.runs),
        summary.passed,
        summary.failed,
        summary.wall_secs,
        summary.virtual_secs
    );
    if let Some(path) = &args.json {
        summary.write("--json", path)?;
    }
    let never = super::sometimes::never_count(&summary.sometimes);
    let fails = summary.failed > 0 || over_budget || differed > 0;
    Ok(if fails || (args.require_sometimes && never > 0) {
        1
    } else {
        0
    })
}

/// Runs again each failing run a summary lists: to check a fix, or that a
/// failure found on a cluster reproduces here.
fn rerun(args: &SweepArgs, file: &std::path::Path, jobs: usize) -> Result<i32, UsageError> {
    let report = summary::load(file)?;
    // Every scenario must exist in this build before the first run.
    let names: BTreeSet<&str> = report
        .failures
        .iter()
        .map(|f| f.scenario.as_str())
        .collect();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for name in &names {
        let found = crate::dst::registry::find(name)
            .ok()
            .and_then(|all| all.into_iter().find(|s| s.name == *name))
            .ok_or_else(|| {
                usage(format!(
                    "{} lists scenario {name:?}, which this dst does not have",
                    file.display()
                ))
            })?;
        scenarios.push(found);
    }
    if let Some(path) = &args.json {
        check_output_path("--json", path)?;
    }
    if report.failures.is_empty() {
        println!(
            "rerun: {} lists no failing run; nothing to rerun",
            file.display()
        );
        return Ok(0);
    }
    let index = |name: &str| names.iter().position(|n| *n == name).expect("listed above");
    let work: Vec<(usize, u64)> = report
        .failures
        .iter()
        .map(|f| (index(&f.scenario), f.seed))
        .collect();
    let total = work.len() as u64;
    let started = Instant::now();
    let (tally, _, _, _) = run_all(
        &scenarios,
        work.into_iter(),
        total,
        jobs,
        args.until_fail,
        &mut |_| {},
    );
    let complete = tally.runs == total;
    let summary = tally.finish(
        Header {
            kind: Kind::Rerun,
            pattern: report.pattern.clone(),
            seeds: report.seeds.clone(),
            shard: None,
            scenarios: names.iter().map(|n| n.to_string()).collect(),
            seed_count: total,
            complete,
            host: summary::host_name(),
            jobs: Some(jobs),
        },
        started.elapsed(),
    );
    summary::print_findings(&summary);
    let still: BTreeSet<(&str, u64)> = summary
        .failures
        .iter()
        .map(|f| (f.scenario.as_str(), f.seed))
        .collect();
    for f in &report.failures {
        if complete && !still.contains(&(f.scenario.as_str(), f.seed)) {
            println!("now passes: {} seed={}", f.scenario, f.seed);
        }
    }
    println!(
        "rerun: {} of {}'s failures, {} now pass, {} still fail, wall={:.3}s, virtual={:.3}s",
        summary::runs(summary.runs),
        file.display(),
        summary.passed,
        summary.failed,
        summary.wall_secs,
        summary.virtual_secs
    );
    if let Some(path) = &args.json {
        summary.write("--json", path)?;
    }
    Ok(if summary.failed > 0 { 1 } else { 0 })
}

/// Runs `(scenario, seed)` pairs from `work` on `jobs` threads, which take
/// the next pair from the shared iterator (a run takes far longer than the
/// lock), and tallies each result as it arrives; `observe` sees each one
/// too; traces are dropped at once.
pub(super) fn run_all(
    scenarios: &[Scenario],
    work: impl Iterator<Item = (usize, u64)> + Send,
    total: u64,
    jobs: usize,
    until_fail: bool,
    observe: &mut dyn FnMut(&RunResult),
) -> (Tally, SlowRuns, Budgets, SwarmCoverage) {
    let work = Mutex::new(work);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel::<RunResult>();
    let progress = progress_bar(total);
    let mut tally = Tally::default();
    let mut slow = SlowRuns::default();
    let mut budgets = Budgets::new(scenarios, &crate::dst::registry::all());
    let mut swarm = SwarmCoverage::default();
    let by_name: BTreeMap<&str, &Scenario> = scenarios.iter().map(|s| (s.name, s)).collect();
    let threads = u64::try_from(jobs).unwrap_or(u64::MAX).min(total.max(1));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let (work, stop, sender) = (&work, &stop, sender.clone());
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let next = work.lock().expect("no run panics holding the lock").next();
                let Some((scenario, seed)) = next else {
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
        let plain_every = (total / 10).max(1);
        for result in receiver {
            if !result.passed() {
                let line = report::result_line(&result);
                match &progress {
                    Some(bar) => bar.println(line),
                    None => println!("{line}"),
                }
            }
            swarm.add(&result);
            slow.add(
                result.scenario,
                result.seed,
                result.wall,
                result.virtual_time,
            );
            if let Some(&scenario) = by_name.get(result.scenario) {
                budgets.add(scenario, result.seed, result.virtual_time);
                tally.add_sometimes(result.scenario, scenario.sometimes, &result.sometimes);
            }
            observe(&result);
            tally.add_run(
                result.scenario,
                result.seed,
                result.virtual_time,
                fault::coverage(&result.faults).keys(),
                result
                    .outcome
                    .as_ref()
                    .ok()
                    .and_then(|summary| summary.fields.get("checks"))
                    .map(String::as_str),
                result.failure(),
            );
            match &progress {
                Some(bar) => bar.inc(1),
                None if tally.runs % plain_every == 0 || tally.runs == total => {
                    println!("progress: {}/{} runs", tally.runs, total);
                }
                None => {}
            }
        }
    });
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    (tally, slow, budgets, swarm)
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

/// Runs whose real time per simulated second is far above their scenario's
/// median: a hint that the code burns CPU, which virtual time never charges.
fn print_slow_runs(slow: &SlowRuns) {
    let flagged = slow.flagged();
    if flagged.is_empty() {
        return;
    }
    println!(
        "slow runs (real time per simulated second at least {}x their scenario's median; \
         compute is free in virtual time, so a time limit cannot catch them):",
        slow_runs::FACTOR
    );
    for run in flagged {
        println!(
            "  {} seed={}  wall={:.3}s  {:.1}x the median",
            run.scenario,
            run.seed,
            run.wall.as_secs_f64(),
            run.cost / run.median_cost
        );
    }
}
