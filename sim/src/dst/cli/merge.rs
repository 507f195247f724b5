//! `dst merge FILES... [--json FILE]`: the `dst sweep --shard K/N --json`
//! summaries of one sweep, run on several machines, as one report.
//!
//! Every file is read and checked before anything is printed: each must be
//! a shard's summary of this version, consistent with itself, and of the same
//! sweep as the others (pattern, range, scenarios, number of shards). A shard
//! given twice with identical results is counted once and named; with
//! different results it is an error (two builds, or a nondeterministic run).
//! A missing shard is an error naming it: a merge never calls a sweep
//! complete without every shard. Exit status: 0 all passed, 1 some run
//! failed, 2 bad or incomplete input.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::shard::Shard;
use super::summary::{self, Header, Kind, ShardEntry, Summary, Tally};
use super::{check_output_path, usage, UsageError};

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shards' summaries (`dst sweep --shard K/N --json FILE`).
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Write the merged report here (what `dst sweep --rerun` reads).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Fail (exit 1) when a declared "sometimes" event happened in no shard.
    #[arg(long)]
    require_sometimes: bool,
}

/// A shard's summary and the file it came from.
struct Input {
    file: String,
    summary: Summary,
    shard: Shard,
}

pub fn merge(args: MergeArgs) -> Result<i32, UsageError> {
    if let Some(path) = &args.json {
        check_output_path("--json", path)?;
    }
    let mut inputs = Vec::new();
    for path in &args.files {
        let file = path.display().to_string();
        let summary = summary::load(path)?;
        let shard = check_shard(&file, &summary)?;
        inputs.push(Input {
            file,
            summary,
            shard,
        });
    }
    check_same_sweep(&inputs)?;
    let (kept, duplicates) = drop_duplicates(inputs)?;
    check_none_missing(&kept)?;

    let first = &kept[0].summary;
    let range = first.range(&kept[0].file)?;
    let mut tally = Tally::default();
    let mut shard_time = Duration::ZERO;
    let mut slowest = Duration::ZERO;
    for input in &kept {
        tally.add_summary(&input.summary);
        let wall = Duration::try_from_secs_f64(input.summary.wall_secs).unwrap_or_default();
        shard_time += wall;
        slowest = slowest.max(wall);
    }
    let mut merged = tally.finish(
        Header {
            kind: Kind::Merged,
            pattern: first.pattern.clone(),
            seeds: first.seeds.clone(),
            shard: None,
            scenarios: first.scenarios.clone(),
            seed_count: range.end - range.start,
            complete: kept.iter().all(|i| i.summary.complete),
            host: None,
            jobs: None,
        },
        shard_time,
    );
    merged.shards = kept
        .iter()
        .map(|i| ShardEntry {
            shard: i.shard,
            file: i.file.clone(),
            host: i.summary.host.clone(),
            runs: i.summary.runs,
            failed: i.summary.failed,
            wall_secs: i.summary.wall_secs,
            complete: i.summary.complete,
        })
        .collect();
    merged.duplicates = duplicates;

    summary::print_findings(&merged);
    print_shards(&merged, slowest);
    let count = kept[0].shard.count;
    println!(
        "merge: {}, {} passed, {} failed, {count} of {count} shards, wall={:.3}s (slowest shard), virtual={:.3}s",
        summary::runs(merged.runs),
        merged.passed,
        merged.failed,
        slowest.as_secs_f64(),
        merged.virtual_secs
    );
    if let Some(path) = &args.json {
        merged.write("--json", path)?;
    }
    let never = super::sometimes::never_count(&merged.sometimes) > 0;
    Ok(if merged.failed > 0 || (args.require_sometimes && never) {
        1
    } else {
        0
    })
}

/// Checks that a summary is a shard's and agrees with itself: its seed count
/// is its shard's, its counts add up, and each failure is one of its runs.
fn check_shard(file: &str, s: &Summary) -> Result<Shard, UsageError> {
    let bad = |why: String| usage(format!("{file}: {why}"));
    if s.kind != Kind::Shard {
        return Err(bad(format!(
            "a {} report, not a shard's summary (`dst sweep --json`)",
            match s.kind {
                Kind::Merged => "merged",
                Kind::Rerun => "rerun",
                Kind::Shard => unreachable!(),
            }
        )));
    }
    let shard = s
        .shard
        .ok_or_else(|| bad("a shard's summary without a \"shard\"".to_string()))?;
    let range = s.range(file)?;
    let seeds = shard.seeds(&range);
    if s.seed_count != seeds.len() {
        return Err(bad(format!(
            "\"seed_count\" is {}, but shard {shard} of {} holds {} seeds",
            s.seed_count,
            s.seeds,
            seeds.len()
        )));
    }
    if s.passed.checked_add(s.failed) != Some(s.runs) || s.failures.len() as u64 != s.failed {
        return Err(bad(format!(
            "counts disagree: runs {}, passed {}, failed {}, {} failures listed",
            s.runs,
            s.passed,
            s.failed,
            s.failures.len()
        )));
    }
    let expected = s.seed_count as u128 * s.scenarios.len() as u128;
    let runs = s.runs as u128;
    if (s.complete && runs != expected) || runs > expected {
        return Err(bad(format!(
            "{} runs, but {} seeds of {} scenarios make {expected}",
            s.runs,
            s.seed_count,
            s.scenarios.len()
        )));
    }
    let names: BTreeSet<&str> = s.scenarios.iter().map(String::as_str).collect();
    let mut seen = BTreeSet::new();
    for f in &s.failures {
        if !names.contains(f.scenario.as_str()) {
            return Err(bad(format!(
                "failure of scenario {:?}, which the pattern {:?} did not select",
                f.scenario, s.pattern
            )));
        }
        if !range.contains(&f.seed) || !shard.owns(f.seed) {
            return Err(bad(format!(
                "failure at seed {}, which is not a seed of shard {shard} of {}",
                f.seed, s.seeds
            )));
        }
        if !seen.insert((f.scenario.as_str(), f.seed)) {
            return Err(bad(format!(
                "{} seed={} is listed twice",
                f.scenario, f.seed
            )));
        }
    }
    Ok(shard)
}

/// Checks that every input is a shard of one sweep: same pattern, range,
/// scenarios and number of shards as the first.
fn check_same_sweep(inputs: &[Input]) -> Result<(), UsageError> {
    let first = &inputs[0];
    for other in &inputs[1..] {
        let differ = |what: &str, a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| {
            usage(format!(
                "{} and {} are not shards of one sweep: {what} {a:?} and {b:?}",
                first.file, other.file
            ))
        };
        let (a, b) = (&first.summary, &other.summary);
        if a.pattern != b.pattern {
            return Err(differ("pattern", &a.pattern, &b.pattern));
        }
        if a.seeds != b.seeds {
            return Err(differ("seeds", &a.seeds, &b.seeds));
        }
        if first.shard.count != other.shard.count {
            return Err(differ(
                "number of shards",
                &first.shard.count,
                &other.shard.count,
            ));
        }
        if a.scenarios != b.scenarios {
            // Most likely two builds with different scenario lists: name a
            // scenario that only one of them selected.
            let odd = a
                .scenarios
                .iter()
                .find(|n| !b.scenarios.contains(n))
                .map(|n| format!("{n:?} is only in {}", first.file))
                .or_else(|| {
                    b.scenarios
                        .iter()
                        .find(|n| !a.scenarios.contains(n))
                        .map(|n| format!("{n:?} is only in {}", other.file))
                })
                .unwrap_or_else(|| "the same scenarios in another order".to_string());
            return Err(usage(format!(
                "{} and {} are not shards of one sweep: their pattern selected other scenarios ({odd}); were they built from different code?",
                first.file, other.file
            )));
        }
    }
    Ok(())
}

/// Keeps the first file of each shard. A repeat with the same results (the
/// same shard run twice, say a requeued cluster task) is named and dropped;
/// a repeat with other results is an error.
fn drop_duplicates(inputs: Vec<Input>) -> Result<(Vec<Input>, Vec<String>), UsageError> {
    let mut by_index: BTreeMap<u64, Input> = BTreeMap::new();
    let mut duplicates = Vec::new();
    for input in inputs {
        match by_index.entry(input.shard.index) {
            Entry::Vacant(slot) => {
                slot.insert(input);
            }
            Entry::Occupied(slot) => {
                let kept = slot.get();
                if kept.summary.results() != input.summary.results() {
                    return Err(usage(format!(
                        "shard {} is given twice with different results: {} ({} runs, {} failed) and {} ({} runs, {} failed); were they built from different code?",
                        input.shard,
                        kept.file,
                        kept.summary.runs,
                        kept.summary.failed,
                        input.file,
                        input.summary.runs,
                        input.summary.failed
                    )));
                }
                duplicates.push(format!(
                    "{} repeats shard {} (already read from {}; identical results, counted once)",
                    input.file, input.shard, kept.file
                ));
            }
        }
    }
    Ok((by_index.into_values().collect(), duplicates))
}

/// Refuses an incomplete sweep, naming the first few missing shards (N may
/// be huge: only as many indexes are visited as there are files, plus five).
fn check_none_missing(kept: &[Input]) -> Result<(), UsageError> {
    let count = kept[0].shard.count;
    let present: BTreeSet<u64> = kept.iter().map(|i| i.shard.index).collect();
    let missing = count - present.len() as u64;
    if missing == 0 {
        return Ok(());
    }
    let mut named = Vec::new();
    let mut k = 1;
    while named.len() < 5 && k <= count {
        if !present.contains(&k) {
            named.push(format!("{k}/{count}"));
        }
        k += 1;
    }
    let more = if missing > named.len() as u64 {
        format!(" and {} more", missing - named.len() as u64)
    } else {
        String::new()
    };
    let s = &kept[0].summary;
    Err(usage(format!(
        "incomplete sweep: shard {}{more} missing ({missing} of {count}); run it with `dst sweep {} --seeds {} --shard {} --json FILE` and merge again",
        named.join(", "),
        s.pattern,
        s.seeds,
        named[0]
    )))
}

/// Which shard ran where, repeats, runs stopped early, and throughput.
fn print_shards(merged: &Summary, slowest: Duration) {
    for e in &merged.shards {
        println!(
            "shard {}  {}  {}, {} failed, wall={:.3}s{}  {}",
            e.shard,
            e.host.as_deref().unwrap_or("?"),
            summary::runs(e.runs),
            e.failed,
            e.wall_secs,
            if e.complete {
                ""
            } else {
                "  (stopped at a failure: --until-fail)"
            },
            e.file
        );
    }
    for d in &merged.duplicates {
        println!("duplicate: {d}");
    }
    let per_shard_second = if merged.wall_secs > 0.0 {
        merged.runs as f64 / merged.wall_secs
    } else {
        0.0
    };
    println!(
        "throughput: {} in {:.3}s of shard time ({per_shard_second:.1} runs/s per shard); the slowest shard took {:.3}s",
        summary::runs(merged.runs),
        merged.wall_secs,
        slowest.as_secs_f64()
    );
}
