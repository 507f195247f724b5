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

/// `dst bench PATTERN --seeds 0..N --no-jobs --markdown`: its output, and
/// its first table as (header, first row).
fn bench_table(pattern: &str, seeds: &str) -> (String, Vec<String>, Vec<String>) {
    let out = dst(&[
        "bench",
        pattern,
        "--seeds",
        seeds,
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
    assert!(lines.next().expect("the rule").starts_with("|---"));
    let row = cells(lines.next().expect("a row"));
    assert_eq!(row.len(), header.len(), "{row:?}");
    (stdout, header, row)
}

/// The cell of `row` under the column `name`.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let at = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"));
    &row[at]
}

fn ratio(header: &[String], row: &[String], name: &str) -> f64 {
    let value: f64 = cell(header, row, name)
        .trim_end_matches('x')
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a ratio: {row:?}"));
    assert!(value.is_finite() && value > 0.0, "{name}: {row:?}");
    value
}

fn percent(header: &[String], row: &[String], name: &str) -> f64 {
    cell(header, row, name)
        .trim_end_matches('%')
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a percentage: {row:?}"))
}

/// The table's columns, one row per system, and the floor: the figures are
/// machine-dependent, so only their presence and sanity are checked. The
/// framework's own suites mark no own work, so their framework ratio is
/// their whole wall time's.
#[test]
fn bench_prints_each_system_against_the_bare_madsim_floor() {
    let (stdout, header, row) = bench_table("sim/labrpc/", "0..2");
    assert_eq!(cell(&header, &row, "system"), "sim");
    assert_eq!(cell(&header, &row, "seeds"), "2");
    let polls: u64 = cell(&header, &row, "polls/seed")
        .parse()
        .expect("polls per seed");
    assert!(polls > 0, "{row:?}");
    let wall = ratio(&header, &row, "wall over floor");
    ratio(&header, &row, "over strict floor");
    assert_eq!(percent(&header, &row, "own work"), 0.0, "{row:?}");
    assert_eq!(
        ratio(&header, &row, "framework over floor"),
        wall,
        "{row:?}"
    );
    assert!(stdout.contains("floor: bare madsim"), "{stdout}");
    assert!(
        stdout.contains("all selected scenarios, one seed:"),
        "{stdout}"
    );
}

/// MapReduce marks its maps, reduces, input generation and reference as
/// its own work: the bench reports that share and takes it out of the
/// framework's ratio.
#[test]
fn bench_takes_a_systems_own_work_out_of_the_framework_ratio() {
    let (_, header, row) = bench_table("mapreduce/wc", "0..1");
    assert_eq!(cell(&header, &row, "system"), "mapreduce");
    let own = percent(&header, &row, "own work");
    assert!(own > 0.0 && own < 100.0, "own work {own}%: {row:?}");
    let wall = ratio(&header, &row, "wall over floor");
    let framework = ratio(&header, &row, "framework over floor");
    assert!(framework < wall, "{row:?}");
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

/// `dst timeline` writes the page, the same bytes from two processes (no
/// wall time or hash-map order in it), with the failure as its banner.
#[test]
fn timeline_writes_the_same_page_twice() {
    let dir = std::env::temp_dir().join(format!("dst-cli-timeline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pages: Vec<Vec<u8>> = ["a.html", "b.html"]
        .iter()
        .map(|name| {
            let out = dir.join(name);
            let o = dst(&[
                "timeline",
                "demo/rpc/lossy_counter",
                "--seed",
                "0",
                "--out",
                out.to_str().unwrap(),
            ]);
            assert!(o.status.success(), "{}", text(&o.stderr));
            assert!(text(&o.stdout).contains("timeline written to"));
            std::fs::read(&out).unwrap()
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(pages[0] == pages[1], "two runs drew different pages");
    let page = text(&pages[0]);
    assert!(page.contains(
        r#"<span id="failure-text">✗ CHECK at 20.001000s: counter is 69, expected 60</span>"#
    ));
}

/// The README's examples are what `dst` prints: every fenced block that
/// starts with `$ cargo run --release -- ...` is run (in order, in one
/// scratch folder, so that a plan written by one block is read by the
/// next), and its other lines must be the command's output line for line.
/// A line `...` stands for any number of lines; `wall=` times, which no two
/// runs share, are masked. "Use it on your own system" runs another crate's
/// `dst`: `sim/tests/own_system.rs` checks that section.
#[test]
fn the_readme_examples_are_what_dst_prints() {
    let whole = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md");
    let readme = without_section(&whole, "## Use it on your own system");
    let dir = std::env::temp_dir().join(format!("dst-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    for block in fenced_blocks(&readme) {
        let Some(command) = block
            .first()
            .and_then(|l| l.strip_prefix("$ cargo run --release -- "))
        else {
            continue;
        };
        let out = Command::new(env!("CARGO_BIN_EXE_dst"))
            .args(command.split_whitespace())
            .current_dir(&dir)
            .output()
            .expect("dst runs");
        let actual: Vec<String> = text(&out.stdout).lines().map(mask_wall).collect();
        let expected: Vec<String> = block[1..].iter().map(|l| mask_wall(l)).collect();
        assert!(
            lines_match(&expected, &actual),
            "README block `{command}` is not what dst prints:\n--- README\n{}\n--- dst\n{}",
            expected.join("\n"),
            actual.join("\n")
        );
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(checked >= 4, "only {checked} README examples found");
}

/// `markdown` without the section under `heading` (up to the next `## `).
fn without_section(markdown: &str, heading: &str) -> String {
    let Some(start) = markdown.find(heading) else {
        return markdown.to_string();
    };
    let rest = &markdown[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .map_or(markdown.len(), |i| start + heading.len() + i);
    format!("{}{}", &markdown[..start], &markdown[end..])
}

/// The lines of every ``` block, without their common indentation.
fn fenced_blocks(markdown: &str) -> Vec<Vec<String>> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, Vec<String>)> = None;
    for line in markdown.lines() {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with("```") {
            match current.take() {
                Some((_, lines)) => blocks.push(lines),
                None => current = Some((indent, Vec::new())),
            }
        } else if let Some((indent, lines)) = &mut current {
            lines.push(line.get(*indent..).unwrap_or("").trim_end().to_string());
        }
    }
    blocks
}

fn mask_wall(line: &str) -> String {
    line.split(' ')
        .map(|w| if w.starts_with("wall=") { "wall=*" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end()
        .to_string()
}

/// Whether `actual` is `expected`, where an expected `...` line matches any
/// run of lines (leading spaces ignored on it).
fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first.trim() == "..." => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => {
            actual.first().is_some_and(|a| a == first) && lines_match(rest, &actual[1..])
        }
    }
}

/// madsim prints a `context: node=… task=…` line for every panicking task;
/// the run's result line already reports the panic, and on a terminal the
/// extra line lands in the progress bar. `dst` keeps it off stderr.
#[test]
fn madsim_context_lines_stay_off_stderr() {
    // Seed 4 of the stale-commit demo ends in a panic inside a node.
    let out = dst(&["run", "demo/raft/stale_commit", "--seed", "4"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("FAIL demo/raft/stale_commit seed=4"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("context: node="), "{stderr}");
}

/// `dst catch`: a planted bug's seeds to catch, the scenario that caught
/// it, and the verdict against the target; an unknown bug is a usage error.
#[test]
fn catch_reports_the_seeds_each_planted_bug_needs() {
    let out = dst(&["catch", "weather/drifts", "--max-seeds", "3", "--jobs", "1"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.lines().any(|l| l.starts_with("weather/drifts ")
            && l.contains("seeds=1 ")
            && l.contains("planted/weather/drifts/k1 seed=0")),
        "{stdout}"
    );
    assert!(
        stdout.contains("catch: 1 bugs, 1 caught within 3 seeds; seeds to catch median 1, max 1"),
        "{stdout}"
    );
    let unknown = dst(&["catch", "nope/"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("no planted bug"),
        "{}",
        text(&unknown.stderr)
    );
}
