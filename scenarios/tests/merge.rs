//! Sweeps beyond one machine: `dst sweep --shard K/N --json` on each, then
//! `dst merge`. Checks: the merge of every shard equals one sweep of the
//! range; a missing shard, a conflicting duplicate and malformed or
//! mismatched input are exit 2 naming the culprit, with nothing printed; an
//! identical duplicate is counted once; an empty shard is refused; `--rerun`
//! runs exactly the failing runs; and the partition is a fixed function of
//! the seed and N that covers the range exactly, even for 2^64 - 1 seeds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sim::dst::cli::shard::Shard;

/// demo/rpc/lossy_counter fails on every seed, demo/raft/stale_commit on
/// seed 4 only: the sweep has passing runs, failing runs and two groups.
const PATTERN: &str = "demo/";
const SEEDS: &str = "0..12";

fn dst(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(args)
        .output()
        .expect("dst runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh folder for one test's files.
fn folder(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dst-merge-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp folder");
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

fn read(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("summary written")).expect("JSON")
}

/// Sweeps shard K of N (or the whole range) into `dir`; returns the file.
fn sweep(dir: &Path, shard: Option<(u64, u64)>) -> PathBuf {
    let (file, shard_arg) = match shard {
        Some((k, n)) => (
            dir.join(format!("shard-{k}-of-{n}.json")),
            format!("{k}/{n}"),
        ),
        None => (dir.join("single.json"), String::new()),
    };
    let mut args = vec!["sweep", PATTERN, "--seeds", SEEDS, "--json", path(&file)];
    if shard.is_some() {
        args.extend(["--shard", &shard_arg]);
    }
    let out = dst(&args);
    // Exit 1: the demo scenarios fail on purpose.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    file
}

/// What a sweep found, without where or how fast.
fn findings(v: &Value) -> Value {
    let keep = [
        "pattern",
        "seeds",
        "scenarios",
        "seed_count",
        "complete",
        "runs",
        "passed",
        "failed",
        "virtual_nanos",
        "fault_runs",
        "groups",
        "failures",
    ];
    keep.iter().map(|k| (k.to_string(), v[k].clone())).collect()
}

/// A refused merge: exit 2, a message containing each of `names`, nothing on
/// stdout.
fn assert_refused(out: &Output, names: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}{}", text(&out.stdout));
    for name in names {
        assert!(stderr.contains(name), "lacks {name:?}: {stderr}");
    }
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn merging_every_shard_equals_one_sweep() {
    let dir = folder("equal");
    let single = read(&sweep(&dir, None));
    let shards: Vec<PathBuf> = (1..=3).map(|k| sweep(&dir, Some((k, 3)))).collect();
    let merged_file = dir.join("merged.json");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|p| path(p)));
    args.extend(["--json", path(&merged_file)]);
    let out = dst(&args);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let merged = read(&merged_file);
    assert_eq!(merged["kind"], "merged");
    assert_eq!(findings(&merged), findings(&single));
    // The numbers that make the comparison meaningful, stated outright.
    assert_eq!(single["runs"], 24);
    assert_eq!(single["failed"], 13);
    assert_eq!(single["groups"].as_array().map(Vec::len), Some(2));
    assert_eq!(merged["shards"].as_array().map(Vec::len), Some(3));
    assert!(
        stdout.contains("merge: 24 runs, 11 passed, 13 failed, 3 of 3 shards"),
        "{stdout}"
    );
    assert!(stdout.contains("smallest seed 4"), "{stdout}");
    assert!(stdout.contains("throughput: 24 runs"), "{stdout}");

    // --rerun runs exactly the failing runs of the merged report.
    let rerun_file = dir.join("rerun.json");
    let out = dst(&[
        "sweep",
        "--rerun",
        path(&merged_file),
        "--json",
        path(&rerun_file),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let rerun = read(&rerun_file);
    assert_eq!(rerun["kind"], "rerun");
    assert_eq!(rerun["runs"], 13);
    assert_eq!(rerun["failures"], merged["failures"]);
}

#[test]
fn a_missing_shard_is_exit_2_naming_it() {
    let dir = folder("missing");
    let one = sweep(&dir, Some((1, 3)));
    let three = sweep(&dir, Some((3, 3)));
    let merged = dir.join("merged.json");
    let out = dst(&["merge", path(&one), path(&three), "--json", path(&merged)]);
    assert_refused(&out, &["shard 2/3 missing"]);
    assert!(!merged.exists(), "no report for an incomplete sweep");
}

#[test]
fn duplicates_identical_once_conflicting_refused() {
    let dir = folder("duplicate");
    let files: Vec<PathBuf> = (1..=2).map(|k| sweep(&dir, Some((k, 2)))).collect();
    let copy = dir.join("copy-of-2.json");
    std::fs::copy(&files[1], &copy).expect("copy");
    let out = dst(&["merge", path(&files[0]), path(&files[1]), path(&copy)]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(stdout.contains("merge: 24 runs"), "{stdout}");
    assert!(
        stdout.contains(&format!("duplicate: {} repeats shard 2/2", path(&copy))),
        "{stdout}"
    );

    // The same shard with other results: one failure fewer.
    let mut other = read(&files[1]);
    let failures = other["failures"].as_array_mut().expect("failures");
    failures.pop();
    let failed = failures.len();
    other["failed"] = failed.into();
    other["passed"] = (other["runs"].as_u64().expect("runs") - failed as u64).into();
    std::fs::write(&copy, other.to_string()).expect("write");
    let out = dst(&["merge", path(&files[0]), path(&files[1]), path(&copy)]);
    assert_refused(&out, &["shard 2/2 is given twice with different results"]);
}

#[test]
fn bad_input_is_exit_2_naming_the_file_before_any_output() {
    let dir = folder("malformed");
    let good = sweep(&dir, Some((1, 2)));
    let two = sweep(&dir, Some((2, 2)));
    let summary = read(&good);
    let write = |name: &str, content: String| {
        let p = dir.join(name);
        std::fs::write(&p, content).expect("write");
        p
    };
    let edited = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut v = summary.clone();
        edit(&mut v);
        write(name, v.to_string())
    };
    let not_json = write("truncated.json", "{\"format\": ".to_string());
    let other_file = write("other.json", "{\"hello\": 1}".to_string());
    let old = edited("old.json", &|v| v["version"] = 1.into());
    let no_runs = edited("no-runs.json", &|v| {
        v.as_object_mut().expect("object").remove("runs");
    });
    let outsider = edited("outsider.json", &|v| v["failures"][0]["seed"] = 1.into());
    let other_seeds = edited("seeds.json", &|v| {
        // Consistent in itself (7 even seeds of 0..14, two scenarios each),
        // but of another range than the other shard.
        v["seeds"] = "0..14".into();
        v["seed_count"] = 7.into();
        v["runs"] = 14.into();
        v["passed"] = (14 - v["failed"].as_u64().expect("failed")).into();
    });
    let other_pattern = edited("pattern.json", &|v| v["pattern"] = "demo/rpc/".into());
    let other_build = edited("build.json", &|v| {
        v["scenarios"]
            .as_array_mut()
            .expect("scenarios")
            .push("demo/new".into());
        v["runs"] = (v["runs"].as_u64().expect("runs") + 6).into();
        v["passed"] = (v["passed"].as_u64().expect("passed") + 6).into();
    });
    let missing = dir.join("absent.json");
    let cases: Vec<(&Path, Vec<&str>)> = vec![
        (&not_json, vec!["truncated.json", "not valid JSON"]),
        (&other_file, vec!["other.json", "not a dst sweep summary"]),
        (&old, vec!["old.json", "version 1"]),
        (&no_runs, vec!["no-runs.json", "missing field `runs`"]),
        (&outsider, vec!["outsider.json", "seed 1", "shard 1/2"]),
        (&other_seeds, vec!["seeds.json", "\"0..14\""]),
        (&other_pattern, vec!["pattern.json", "\"demo/rpc/\""]),
        (&other_build, vec!["\"demo/new\" is only in", "build.json"]),
        (&missing, vec!["absent.json", "cannot read"]),
    ];
    for (bad, names) in cases {
        // The bad file last: every earlier file was fine, and still nothing
        // may be printed.
        let out = dst(&["merge", path(&good), path(&two), path(bad)]);
        assert_refused(&out, &names);
    }
    // A merged report is not a shard.
    let merged = dir.join("merged.json");
    let out = dst(&["merge", path(&good), path(&two), "--json", path(&merged)]);
    assert_eq!(out.status.code(), Some(1));
    assert_refused(&dst(&["merge", path(&merged)]), &["a merged report"]);
}

#[test]
fn a_shard_without_seeds_is_exit_2() {
    let out = dst(&["sweep", PATTERN, "--seeds", "0..3", "--shard", "5/8"]);
    assert_refused(&out, &["--shard 5/8 selects no seed of 0..3"]);
    let out = dst(&["sweep", PATTERN, "--seeds", "0..3", "--shard", "0/8"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"0/8\""),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_partition_is_fixed_and_covers_the_range_exactly() {
    let shard = |k, n| Shard::new(k, n).expect("a shard");
    // Fixed values: the rule is seed % N == K - 1, nothing that could vary
    // with the machine or the build.
    let seeds = |k, n, r: std::ops::Range<u64>| shard(k, n).seeds(&r).iter().collect::<Vec<_>>();
    assert_eq!(seeds(2, 3, 10..20), vec![10, 13, 16, 19]);
    assert_eq!(seeds(1, 3, 10..20), vec![12, 15, 18]);
    assert_eq!(seeds(3, 3, 10..20), vec![11, 14, 17]);
    assert_eq!(seeds(1, 1, 5..8), vec![5, 6, 7]);
    assert_eq!(seeds(4, 4, 0..3), Vec::<u64>::new());

    // Every seed in exactly one shard, every shard's seeds its own.
    for n in 1..=9u64 {
        for start in 0..12u64 {
            for end in start + 1..start + 25 {
                let mut all: Vec<u64> = Vec::new();
                for k in 1..=n {
                    let mine = shard(k, n).seeds(&(start..end));
                    assert_eq!(mine.len() as usize, mine.iter().count());
                    assert!(mine.iter().all(|s| shard(k, n).owns(s)));
                    all.extend(mine.iter());
                }
                all.sort_unstable();
                assert_eq!(
                    all,
                    (start..end).collect::<Vec<_>>(),
                    "{start}..{end} in {n}"
                );
            }
        }
    }

    // 2^64 - 1 seeds: counted and indexed without being listed.
    let whole = 0..u64::MAX;
    for n in [1, 2, 7, 1000, u64::MAX - 1, u64::MAX] {
        let mut total: u128 = 0;
        for k in [1, 2, n / 2 + 1, n - 1, n]
            .into_iter()
            .filter(|&k| (1..=n).contains(&k))
        {
            let s = shard(k, n).seeds(&whole);
            assert_eq!(s.first(), Some(k - 1).filter(|&f| f < u64::MAX));
            if let Some(last) = s.last() {
                assert!(shard(k, n).owns(last) && last < u64::MAX);
                assert!(last.checked_add(n).is_none_or(|next| next == u64::MAX));
            }
        }
        for k in 1..=n.min(2000) {
            total += shard(k, n).seeds(&whole).len() as u128;
        }
        if n <= 2000 {
            assert_eq!(total, u64::MAX as u128, "{n} shards");
        }
    }
    let top = u64::MAX - 10..u64::MAX;
    let mut all: Vec<u64> = (1..=4)
        .flat_map(|k| shard(k, 4).seeds(&top).iter())
        .collect();
    all.sort_unstable();
    assert_eq!(all, top.collect::<Vec<_>>());
}
