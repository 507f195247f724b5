//! The `dst` command as users meet it: exit statuses, what a failure
//! prints, and the benchmark table. Each test runs the built binary.

use std::process::{Command, Output};

fn dst(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dst"))
        .args(args)
        .output()
        .expect("dst runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn list_prints_one_name_per_line() {
    let out = dst(&["list", "sim/labrpc/"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(stdout.lines().count() > 3, "{stdout}");
    assert!(
        stdout.lines().all(|l| l.starts_with("sim/labrpc/")),
        "{stdout}"
    );
}

#[test]
fn an_unknown_scenario_is_a_usage_error_naming_it() {
    let out = dst(&["run", "nope/", "--seed", "1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("\"nope/\""),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_failing_run_exits_1_with_its_report_and_replay_commands() {
    let out = dst(&["run", "demo/rpc/lossy_counter", "--seed", "3"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    for expected in [
        "FAIL demo/rpc/lossy_counter seed=3",
        "kind:     CHECK",
        "counter is 61, expected 60",
        "SEED=3 cargo test -p scenarios --test scenarios -- demo/rpc/lossy_counter --exact",
        "run demo/rpc/lossy_counter --seed 3 --trace",
    ] {
        assert!(stdout.contains(expected), "lacks {expected:?}:\n{stdout}");
    }
}

#[test]
fn bench_rejects_an_empty_seed_range() {
    let out = dst(&["bench", "sim/", "--seeds", "3..1", "--no-jobs"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("3..1"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
}

/// The table's columns, one row per system, and the floor: the figures are
/// machine-dependent, so only their presence and sanity are checked.
#[test]
fn bench_prints_each_system_against_the_bare_madsim_floor() {
    let out = dst(&[
        "bench",
        "sim/labrpc/",
        "--seeds",
        "0..2",
        "--no-jobs",
        "--markdown",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let cells = |line: &str| -> Vec<String> {
        line.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_string())
            .collect()
    };
    let mut lines = stdout.lines();
    let header = cells(lines.next().expect("a header"));
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
    };
    assert!(lines.next().expect("the rule").starts_with("|---"));
    let row = cells(lines.next().expect("a row"));
    assert_eq!(row.len(), header.len(), "{row:?}");
    assert_eq!(row[column("system")], "sim");
    assert_eq!(row[column("seeds")], "2");
    let polls: u64 = row[column("polls/seed")].parse().expect("polls per seed");
    assert!(polls > 0, "{row:?}");
    for ratio in ["wall over floor", "over strict floor"] {
        let value: f64 = row[column(ratio)]
            .trim_end_matches('x')
            .parse()
            .expect("a ratio");
        assert!(value.is_finite() && value > 0.0, "{ratio}: {row:?}");
    }
    assert!(stdout.contains("floor: bare madsim"), "{stdout}");
    assert!(
        stdout.contains("all selected scenarios, one seed:"),
        "{stdout}"
    );
}

/// A reader that stops early (`dst run ... --trace | head -1`) ends `dst`
/// quietly, as SIGPIPE ends any command-line tool, not with a "Broken pipe"
/// panic. The trace is about 1 MB, far more than a pipe holds.
#[test]
#[cfg(unix)]
fn a_closed_pipe_ends_dst_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_dst"))
        .args([
            "run",
            "raft/4b/figure8_unreliable",
            "--seed",
            "1",
            "--trace",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("dst runs");
    let mut stdout = child.stdout.take().expect("piped");
    let mut first = [0u8; 4];
    stdout.read_exact(&mut first).expect("some output");
    drop(stdout);
    let out = child.wait_with_output().expect("dst ends");
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || out.status.signal() == Some(libc::SIGPIPE),
        "{:?} {stderr}",
        out.status
    );
}
