//! Every command the tools print does exactly what it says: pasted as
//! printed, it runs the one scenario it was printed for, with the same
//! verdict and the same trace hash. Checked for every scenario whose name
//! starts another's (`raft/4b/figure8` and `raft/4b/figure8_unreliable`,
//! `weather/channel/k1` and `k10`), where selecting by prefix once ran both,
//! and end to end on a failing demo: the report's replay lines, shrink's
//! plan replay and bisect's "stop there".

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dst(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(args)
        .output()
        .expect("dst runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A result line's verdict, scenario and trace hash.
#[derive(Debug, PartialEq, Eq)]
struct Result {
    verdict: String,
    scenario: String,
    trace: String,
}

fn results(text: &str) -> Vec<Result> {
    text.lines()
        .filter(|l| {
            ["PASS ", "FAIL ", "STOPPED "]
                .iter()
                .any(|v| l.starts_with(v))
        })
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let trace = words
                .iter()
                .find_map(|w| w.strip_prefix("trace="))
                .expect("a result line has a trace hash");
            Result {
                verdict: words[0].to_string(),
                scenario: words[1].to_string(),
                trace: trace.to_string(),
            }
        })
        .collect()
}

/// The one result a command printed.
fn only_result(out: &Output) -> Result {
    let mut all = results(&stdout(out));
    assert_eq!(all.len(), 1, "one result line expected:\n{}", stdout(out));
    all.remove(0)
}

/// Runs a `cargo run --release -- ...` line as printed, on the built binary.
fn paste(line: &str) -> Output {
    let rest = line
        .trim()
        .strip_prefix("cargo run --release -- ")
        .unwrap_or_else(|| panic!("not a dst command: {line}"));
    let words: Vec<&str> = rest.split_whitespace().collect();
    dst(&words)
}

/// The cargo-test harness binary (`scenarios/tests/scenarios.rs`), beside
/// this test's own binary: the newest one that lists the scenarios.
fn harness() -> PathBuf {
    let deps = std::env::current_exe()
        .expect("own path")
        .parent()
        .expect("deps folder")
        .to_path_buf();
    let mut candidates: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&deps)
        .expect("deps folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.starts_with("scenarios-") && p.extension().is_none()
        })
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .map(|(_, p)| p)
        .find(|p| {
            Command::new(p)
                .args(["--list", "sim/labrpc/basic", "--exact"])
                .output()
                .is_ok_and(|o| stdout(&o).contains("sim/labrpc/basic: test"))
        })
        .expect("the scenarios test harness is built (cargo test -p scenarios --test scenarios --no-run)")
}

/// Runs a `SEED=n cargo test -p scenarios --test scenarios -- NAME --exact`
/// line as printed, on the built harness.
fn paste_test_line(line: &str) -> Output {
    let (env, rest) = line.trim().split_once(' ').expect("SEED=n first");
    let seed = env.strip_prefix("SEED=").expect("SEED=n first");
    let (cargo, args) = rest.split_once(" -- ").expect("harness arguments after --");
    assert_eq!(cargo, "cargo test -p scenarios --test scenarios");
    Command::new(harness())
        .env("SEED", seed)
        .env_remove("SEEDS")
        .args(args.split_whitespace())
        .output()
        .expect("the harness runs")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dst-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every scenario whose name is the start of another's.
fn prefix_names() -> Vec<String> {
    let out = dst(&["list", "*"]);
    let names: Vec<String> = stdout(&out).lines().map(String::from).collect();
    names
        .iter()
        .filter(|a| names.iter().any(|b| b != *a && b.starts_with(a.as_str())))
        .cloned()
        .collect()
}

fn line_after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in:\n{text}"))
}

#[test]
fn printed_commands_replay_exactly_for_names_that_start_others() {
    let names = prefix_names();
    for expected in ["raft/4b/figure8", "weather/channel/k1", "weather/mutex/k10"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} in {names:?}"
        );
    }
    let dir = scratch("prefix");
    for name in &names {
        let seed = 1;
        let original = only_result(&dst(&["run", name, "--seed", "1"]));
        assert_eq!(&original.scenario, name);
        // The report's replay lines (sim::report prints these for a failure).
        let [test_line, run_line] =
            <[String; 2]>::try_from(sim::report::replay_commands(name, seed))
                .expect("this repository's scenarios have a test line and a dst line");
        let pasted = paste(&run_line);
        assert_eq!(only_result(&pasted), original, "{run_line}");
        let harness = paste_test_line(&test_line);
        let text = stdout(&harness);
        assert!(
            harness.status.success() && text.contains("1 passed") && text.contains(name.as_str()),
            "{test_line}:\n{text}"
        );
        // A recorded plan replays the same run, alone.
        let plan = dir.join(format!("{}.plan.json", name.replace('/', "_")));
        let plan = plan.to_str().unwrap();
        let recorded = dst(&["run", name, "--seed", "1", "--record", plan]);
        assert_eq!(recorded.status.code(), Some(0), "{}", stdout(&recorded));
        assert_eq!(only_result(&recorded), original);
        let replayed = dst(&["run", name, "--plan", plan]);
        assert_eq!(replayed.status.code(), Some(0), "{}", stdout(&replayed));
        assert_eq!(only_result(&replayed), original, "--plan {plan}");
        // Stopped early: one scenario, neither pass nor fail.
        let stopped = only_result(&dst(&["run", name, "--seed", "1", "--until", "1s"]));
        assert_eq!(
            (stopped.verdict.as_str(), &stopped.scenario),
            ("STOPPED", name)
        );
        // A sweep of the name runs that scenario alone.
        let sweep = stdout(&dst(&["sweep", name, "--seeds", "1..2"]));
        assert!(sweep.contains("sweep: 1 run, 1 passed"), "{sweep}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failures_replay_lines_shrink_plan_and_stop_there_reproduce_it() {
    let dir = scratch("failing");
    let name = "demo/rpc/lossy_counter";
    let failing = dst(&["run", name, "--seed", "0"]);
    assert_eq!(failing.status.code(), Some(1));
    let report = stdout(&failing);
    let original = only_result(&failing);
    assert_eq!(original.verdict, "FAIL");
    // The two replay lines under "replay:", pasted as printed.
    let lines: Vec<&str> = report
        .lines()
        .skip_while(|l| *l != "replay:")
        .skip(1)
        .map(str::trim)
        .collect();
    assert_eq!(lines.len(), 2, "{report}");
    let pasted = paste(lines[1]);
    assert_eq!(pasted.status.code(), Some(1));
    assert_eq!(only_result(&pasted), original, "{}", lines[1]);
    let harness = paste_test_line(lines[0]);
    let text = stdout(&harness);
    assert!(
        !harness.status.success(),
        "{}: the failure replays as a failure\n{text}",
        lines[0]
    );
    assert!(
        results(&text).contains(&original),
        "{}: the same failing run (same trace hash)\n{text}",
        lines[0]
    );
    // shrink's printed replay of its minimal plan fails the same way.
    let plan = dir.join("lossy.plan.json");
    let shrink = dst(&[
        "shrink",
        name,
        "--seed",
        "0",
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(shrink.status.code(), Some(0), "{}", stdout(&shrink));
    let shrink_text = stdout(&shrink);
    let replay = line_after(&shrink_text, "replay: ");
    let replayed = paste(replay);
    assert_eq!(replayed.status.code(), Some(1), "{replay}");
    let replayed = only_result(&replayed);
    assert_eq!(
        (replayed.verdict.as_str(), replayed.scenario.as_str()),
        ("FAIL", name)
    );
    // bisect's "stop there" stops at the instant it named, inconsistent.
    let bisect = dst(&["bisect", name, "--plan", plan.to_str().unwrap()]);
    let bisect_text = stdout(&bisect);
    assert_eq!(bisect.status.code(), Some(0), "{bisect_text}");
    let probe = line_after(&bisect_text, "probe ");
    let stop_there = line_after(&bisect_text, "stop there: ");
    let stopped = paste(stop_there);
    let stopped_text = stdout(&stopped);
    assert_eq!(
        stopped.status.code(),
        Some(1),
        "inconsistent there:\n{stopped_text}"
    );
    assert_eq!(only_result(&stopped).verdict, "STOPPED", "{stopped_text}");
    let (probe_name, why) = probe.split_once(" fails: ").expect("probe NAME fails: WHY");
    assert!(
        stopped_text.contains(&format!("probe {probe_name} FAILS: {why}")),
        "{stop_there} shows the probe bisect found:\n{stopped_text}"
    );
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
