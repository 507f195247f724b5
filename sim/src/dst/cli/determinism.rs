//! `dst sweep ... --check-determinism`: every (scenario, seed) of the sweep
//! made again in another process, and every trace hash compared.
//!
//! Why another process: a run that reads something of its process (the
//! pid, a static initialised from the wall clock or from an address, the
//! std hasher's per-process keys) is the same every time within one
//! process and differs in the next one, which is where replays happen (a
//! `dst run` on a failure a sweep found, a shard on another machine).
//!
//! How: the sweep itself is the first process; it starts this same binary
//! (so scenarios a `main_with` added exist there too) with the hidden
//! `determinism-child` subcommand, which runs the same pairs and prints one
//! `hash` line per run. For the first few pairs whose hashes differ, the
//! run is made once more here and once more in a child, both recording
//! where each trace line was emitted, and the first differing line is
//! printed with its call site. Runs stopped by the real-time guard are left
//! out: where a wall-clock limit cuts a trace is not the run's doing.

use std::collections::BTreeMap;
use std::ops::Range;
use std::process::{Command, Stdio};

use clap::Args;
use sim::{FailureKind, RunOptions, RunResult};

use super::shard::Shard;
use super::{parse_range_arg, selected, usage, UsageError};

/// How many differing pairs get a trace diff (each costs two more runs).
const DIFFS_SHOWN: usize = 3;

/// One run's key: scenario and seed.
type Key = (String, u64);

#[derive(Args, Debug)]
pub struct ChildArgs {
    /// Scenario pattern (a full name with `--trace`).
    pattern: String,
    #[arg(long, value_parser = parse_range_arg)]
    seeds: Range<u64>,
    #[arg(long, value_parser = Shard::parse)]
    shard: Option<Shard>,
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Print the whole trace of each run, with call sites, not only its hash.
    #[arg(long)]
    trace: bool,
}

/// What the sweep's own process saw of one run.
pub struct Seen {
    pub scenario: &'static str,
    pub seed: u64,
    pub trace_hash: u64,
    /// Stopped by the real-time guard: its trace is cut at a wall instant.
    pub wall_clock: bool,
}

impl Seen {
    pub fn of(result: &RunResult) -> Seen {
        Seen {
            scenario: result.scenario,
            seed: result.seed,
            trace_hash: result.trace_hash,
            wall_clock: result
                .failure()
                .is_some_and(|f| f.kind == FailureKind::WallClock),
        }
    }
}

/// The child: runs the pairs and prints `hash SCENARIO SEED HASH WALL`, or
/// with `--trace` one JSON `line` per trace line (call site, text).
pub fn child(args: ChildArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    let seeds = args.shard.unwrap_or(Shard::WHOLE).seeds(&args.seeds);
    if args.trace {
        sim::trace::record_call_sites(true);
        for scenario in &scenarios {
            for seed in seeds.iter() {
                let result = sim::run(scenario, seed, &RunOptions::default());
                for (i, line) in result.trace.lines.iter().enumerate() {
                    let site = result.trace.call_site(i);
                    let json = serde_json::to_string(&(site, line.to_string()))
                        .expect("strings serialize");
                    println!("line {json}");
                }
            }
        }
        return Ok(0);
    }
    let per_seed = scenarios.len();
    let work = seeds
        .iter()
        .flat_map(move |seed| (0..per_seed).map(move |i| (i, seed)));
    let total = u64::try_from(seeds.len() as u128 * per_seed as u128).unwrap_or(u64::MAX);
    let mut lines = Vec::new();
    super::sweep::run_all(&scenarios, work, total, args.jobs, false, &mut |r| {
        let seen = Seen::of(r);
        lines.push(format!(
            "hash {} {} {:016x} {}",
            seen.scenario,
            seen.seed,
            seen.trace_hash,
            u8::from(seen.wall_clock)
        ));
    });
    for line in lines {
        println!("{line}");
    }
    Ok(0)
}

/// Runs the child over the sweep's pairs, compares, prints; returns how
/// many runs differed.
pub fn check(
    pattern: &str,
    range: &Range<u64>,
    shard: Shard,
    jobs: usize,
    here: Vec<Seen>,
) -> Result<u64, UsageError> {
    let mut args = vec![
        pattern.to_string(),
        "--seeds".to_string(),
        format!("{}..{}", range.start, range.end),
        "--shard".to_string(),
        shard.to_string(),
        "--jobs".to_string(),
        jobs.to_string(),
    ];
    let there = parse_hashes(&run_child(&mut args)?);
    let mut differed: Vec<(&Seen, u64)> = Vec::new();
    let mut compared = 0u64;
    for seen in &here {
        let Some(&(hash, wall_clock)) = there.get(&(seen.scenario.to_string(), seen.seed)) else {
            continue;
        };
        if seen.wall_clock || wall_clock {
            continue;
        }
        compared += 1;
        if hash != seen.trace_hash {
            differed.push((seen, hash));
        }
    }
    differed.sort_by_key(|(seen, _)| (seen.scenario, seen.seed));
    for (n, (seen, hash)) in differed.iter().enumerate() {
        println!(
            "NONDETERMINISTIC {} seed={}: trace hash {:016x} in this process, {hash:016x} in another",
            seen.scenario, seen.seed, seen.trace_hash
        );
        if n < DIFFS_SHOWN {
            print_first_difference(seen.scenario, seen.seed)?;
        }
        println!(
            "  replay: {}",
            sim::report::dst_replay(seen.scenario, seen.seed)
        );
    }
    println!(
        "determinism: {} made again in another process, {}",
        super::summary::runs(compared),
        match differed.len() {
            0 => "every trace hash equal".to_string(),
            n => format!("{n} differed"),
        }
    );
    Ok(differed.len() as u64)
}

/// Starts this binary's `determinism-child` with `args`; its stdout.
fn run_child(args: &mut Vec<String>) -> Result<String, UsageError> {
    let exe = std::env::current_exe().map_err(|e| {
        usage(format!(
            "--check-determinism: cannot find this program: {e}"
        ))
    })?;
    args.insert(0, "determinism-child".to_string());
    let output = Command::new(&exe)
        .args(args.iter())
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| {
            usage(format!(
                "--check-determinism: cannot start {}: {e}",
                exe.display()
            ))
        })?;
    if !output.status.success() {
        return Err(usage(format!(
            "--check-determinism: the second process ({} {}) exited with {}",
            exe.display(),
            args.join(" "),
            output.status
        )));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The child's `hash` lines, by (scenario, seed): (hash, wall clock).
fn parse_hashes(stdout: &str) -> BTreeMap<Key, (u64, bool)> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.strip_prefix("hash ")?.split(' ');
            let scenario = words.next()?.to_string();
            let seed = words.next()?.parse().ok()?;
            let hash = u64::from_str_radix(words.next()?, 16).ok()?;
            let wall_clock = words.next()? == "1";
            Some(((scenario, seed), (hash, wall_clock)))
        })
        .collect()
}

/// Makes the run once more here and once in a child, both with call sites,
/// and prints the first line where they part.
fn print_first_difference(scenario: &str, seed: u64) -> Result<(), UsageError> {
    sim::trace::record_call_sites(true);
    let found = selected(scenario)?;
    let result = sim::run(&found[0], seed, &RunOptions::default());
    sim::trace::record_call_sites(false);
    let ours: Vec<(Option<String>, String)> = (0..result.trace.lines.len())
        .map(|i| (result.trace.call_site(i), result.trace.lines[i].to_string()))
        .collect();
    let mut args = vec![
        scenario.to_string(),
        "--seeds".to_string(),
        format!("{seed}..={seed}"),
        "--trace".to_string(),
    ];
    let theirs: Vec<(Option<String>, String)> = run_child(&mut args)?
        .lines()
        .filter_map(|l| serde_json::from_str(l.strip_prefix("line ")?).ok())
        .collect();
    for line in first_difference(&ours, &theirs) {
        println!("  {line}");
    }
    Ok(())
}

/// The lines that show where two traces (call site, text) part.
fn first_difference(
    ours: &[(Option<String>, String)],
    theirs: &[(Option<String>, String)],
) -> Vec<String> {
    let common = ours.len().min(theirs.len());
    let Some(i) = (0..common)
        .find(|&i| ours[i].1 != theirs[i].1)
        .or((ours.len() != theirs.len()).then_some(common))
    else {
        return vec![
            "the traces were equal when made again: the difference does not show every time"
                .to_string(),
        ];
    };
    let show = |side: &[(Option<String>, String)]| match side.get(i) {
        Some((_, text)) => text.clone(),
        None => format!("(the trace ends after {} lines)", side.len()),
    };
    let mut out = vec![
        format!("first difference at trace line {}:", i + 1),
        format!("  this process:    {}", show(ours)),
        format!("  another process: {}", show(theirs)),
    ];
    let sites: Vec<&String> = [ours.get(i), theirs.get(i)]
        .into_iter()
        .flatten()
        .filter_map(|(site, _)| site.as_ref())
        .collect();
    match sites.as_slice() {
        [] => out.push("  call site: unknown".to_string()),
        [one] => out.push(format!("  call site: {one}")),
        [a, b] if a == b => out.push(format!("  call site: {a}")),
        [a, b] => out.push(format!("  call sites: {a} (this process), {b} (another)")),
        _ => unreachable!("at most two sides"),
    }
    if i > 0 {
        out.push(format!("  last equal line: {}", ours[i - 1].1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(lines: &[(&str, &str)]) -> Vec<(Option<String>, String)> {
        lines
            .iter()
            .map(|(site, text)| (Some(site.to_string()), text.to_string()))
            .collect()
    }

    #[test]
    fn the_first_differing_line_is_shown_with_its_call_site() {
        let ours = trace(&[("a.rs:1", "start"), ("b.rs:7", "token=1")]);
        let theirs = trace(&[("a.rs:1", "start"), ("b.rs:7", "token=2")]);
        let shown = first_difference(&ours, &theirs);
        assert_eq!(shown[0], "first difference at trace line 2:");
        assert!(shown[1].ends_with("token=1") && shown[2].ends_with("token=2"));
        assert_eq!(shown[3], "  call site: b.rs:7");
    }

    #[test]
    fn a_trace_that_ends_early_differs_where_it_ends() {
        let ours = trace(&[("a.rs:1", "start")]);
        let theirs = trace(&[("a.rs:1", "start"), ("a.rs:2", "more")]);
        let shown = first_difference(&ours, &theirs);
        assert!(shown[1].contains("ends after 1 lines"), "{shown:?}");
        assert_eq!(shown[3], "  call site: a.rs:2");
    }

    #[test]
    fn hash_lines_parse_and_noise_is_skipped() {
        let parsed = parse_hashes("progress: 1/2 runs\nhash a/b/c 3 00000000000000ff 0\n");
        assert_eq!(parsed.get(&("a/b/c".to_string(), 3)), Some(&(255, false)));
        assert_eq!(parsed.len(), 1);
    }
}
