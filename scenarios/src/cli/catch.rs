//! `dst catch [PATTERN] [--max-seeds N] [--jobs J] [--markdown]`: seeds to
//! catch, the benchmark of how well the suites find bugs.
//!
//! For each planted bug of [`crate::planted::catalogue`] (whose name starts
//! with PATTERN), its scenarios run seed after seed from 0, every scenario
//! of a seed in order, until one fails: the bug's figure is how many seeds
//! that took (seed + 1), with the scenario and the failure that caught it,
//! so that a reader can tell a catch from an unrelated failure. Then the
//! median and the maximum, overall and per strategy, against the target:
//! every bug within 1,000 seeds, median at most 10. Exit status 1 if a bug
//! was not caught within `--max-seeds`.
//!
//! Bugs run in parallel, `--jobs` at a time; each bug's seeds in order, so
//! the figures do not depend on the number of jobs.

use std::collections::BTreeMap;
use std::sync::{mpsc, Mutex};

use clap::Args;
use sim::RunOptions;

use super::{usage, UsageError};
use crate::planted::{catalogue, PlantedBug};

/// The target the issue sets: every bug within this many seeds...
const TARGET_MAX: u64 = 1000;
/// ...and half of them within this many.
const TARGET_MEDIAN: u64 = 10;

#[derive(Args, Debug)]
pub struct CatchArgs {
    /// Only the bugs whose name starts with this (`bank/`, `raft/keep`); all by default.
    #[arg(default_value = "")]
    pattern: String,
    /// Give up on a bug after this many seeds.
    #[arg(long, default_value_t = TARGET_MAX)]
    max_seeds: u64,
    /// Bugs measured at once (default: one per core).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print the table as Markdown (for BENCHMARKS.md).
    #[arg(long)]
    markdown: bool,
}

/// What became of one bug.
struct Caught {
    bug: PlantedBug,
    /// Seeds run until the first failure (None: not caught).
    seeds: Option<u64>,
    /// Runs made, the catching one included.
    runs: u64,
    /// The scenario and seed that failed, and the failure's first line.
    by: Option<(String, u64, String)>,
}

pub fn catch(args: CatchArgs) -> Result<i32, UsageError> {
    if args.max_seeds == 0 {
        return Err(usage("--max-seeds must be at least 1"));
    }
    if args.jobs == Some(0) {
        return Err(usage("--jobs must be at least 1"));
    }
    let bugs: Vec<PlantedBug> = catalogue()
        .into_iter()
        .filter(|b| b.name.starts_with(&args.pattern))
        .collect();
    if bugs.is_empty() {
        return Err(usage(format!(
            "no planted bug's name starts with {:?}; the bugs: {}",
            args.pattern,
            catalogue()
                .iter()
                .map(|b| b.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let results = measure(bugs, args.max_seeds, jobs);
    print_table(&results, args.markdown);
    let verdict = summarize(&results, args.max_seeds);
    Ok(if verdict { 0 } else { 1 })
}

/// Measures every bug, `jobs` at a time; results in catalogue order.
fn measure(bugs: Vec<PlantedBug>, max_seeds: u64, jobs: usize) -> Vec<Caught> {
    let total = bugs.len();
    let queue = Mutex::new(bugs.into_iter().enumerate());
    let (sender, receiver) = mpsc::channel();
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(total) {
            let (queue, sender) = (&queue, sender.clone());
            scope.spawn(move || loop {
                let next = queue.lock().expect("no panic holds the queue").next();
                let Some((index, bug)) = next else {
                    return;
                };
                let caught = first_catch(bug, max_seeds);
                eprintln!(
                    "catch: {} {}",
                    caught.bug.name,
                    caught
                        .seeds
                        .map_or("not caught".to_string(), |s| format!("{s} seeds"))
                );
                if sender.send((index, caught)).is_err() {
                    return;
                }
            });
        }
    });
    drop(sender);
    let mut results: Vec<(usize, Caught)> = receiver.into_iter().collect();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, caught)| caught).collect()
}

/// Runs `bug`'s scenarios seed after seed until one fails.
fn first_catch(bug: PlantedBug, max_seeds: u64) -> Caught {
    let scenarios = (bug.scenarios)();
    let mut runs = 0;
    for seed in 0..max_seeds {
        for scenario in &scenarios {
            runs += 1;
            let result = sim::run(scenario, seed, &RunOptions::default());
            if let Some(failure) = result.failure() {
                let first = failure.to_string().lines().next().unwrap_or("").to_string();
                return Caught {
                    bug,
                    seeds: Some(seed + 1),
                    runs,
                    by: Some((scenario.name.to_string(), seed, first)),
                };
            }
        }
    }
    Caught {
        bug,
        seeds: None,
        runs,
        by: None,
    }
}

fn print_table(results: &[Caught], markdown: bool) {
    if markdown {
        println!("| planted bug | strategy | seeds to catch | runs | caught by | failure |");
        println!("|---|---|---|---|---|---|");
    }
    for c in results {
        let seeds = c.seeds.map_or("not caught".to_string(), |s| s.to_string());
        let (by, failure) = match &c.by {
            Some((scenario, seed, failure)) => (format!("{scenario} seed={seed}"), failure.clone()),
            None => ("-".to_string(), "-".to_string()),
        };
        let failure = shorten(&failure, 90);
        if markdown {
            println!(
                "| {} | {} | {seeds} | {} | `{by}` | {} |",
                c.bug.name,
                c.bug.strategy,
                c.runs,
                failure.replace('|', "\\|")
            );
        } else {
            println!(
                "{:<42} {:<22} seeds={seeds:<5} runs={:<6} {by} :: {failure}",
                c.bug.name, c.bug.strategy, c.runs
            );
        }
    }
}

/// Prints median and max overall and per strategy, and the target's
/// verdict; true if every bug was caught.
fn summarize(results: &[Caught], max_seeds: u64) -> bool {
    // A bug not caught counts as one seed past the cap, so that it weighs
    // on the median as the worst figure possible.
    let figure = |c: &Caught| c.seeds.unwrap_or(max_seeds + 1);
    let mut by_strategy: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for c in results {
        by_strategy
            .entry(c.bug.strategy)
            .or_default()
            .push(figure(c));
    }
    for (strategy, figures) in &by_strategy {
        let (median, max) = median_max(figures);
        println!(
            "strategy {strategy}: {} bugs, seeds to catch median {median}, max {max}",
            figures.len()
        );
    }
    let all: Vec<u64> = results.iter().map(figure).collect();
    let (median, max) = median_max(&all);
    let caught = results.iter().filter(|c| c.seeds.is_some()).count();
    let met = caught == results.len() && max <= TARGET_MAX && median <= TARGET_MEDIAN;
    println!(
        "catch: {} bugs, {caught} caught within {max_seeds} seeds; seeds to catch median {median}, max {max}; \
         target (all within {TARGET_MAX}, median <= {TARGET_MEDIAN}): {}",
        results.len(),
        if met { "met" } else { "NOT MET" }
    );
    caught == results.len()
}

/// The median (the lower middle of an even count) and the maximum.
fn median_max(figures: &[u64]) -> (u64, u64) {
    let mut sorted = figures.to_vec();
    sorted.sort_unstable();
    let median = sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(0);
    (median, sorted.last().copied().unwrap_or(0))
}

fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_lower_middle() {
        assert_eq!(median_max(&[5, 1, 3, 100]), (3, 100));
        assert_eq!(median_max(&[2]), (2, 2));
        assert_eq!(median_max(&[]), (0, 0));
    }
}
