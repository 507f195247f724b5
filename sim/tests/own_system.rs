//! README's "Use it on your own system", followed to the letter: the test
//! writes the section's files into a fresh crate outside this workspace
//! (depending on this `sim` by path), builds it, and runs the section's
//! commands. Its `dst sweep` must find a failing seed; the printed
//! `SEED=… cargo test` line, pasted, must fail with the sweep's trace
//! hash; `dst shrink` must write a plan that `dst run --plan` replays with
//! the same failure; `dst timeline` must write the page.
//!
//! The crate builds in `target/own-system` (kept between runs; a fresh
//! clone builds its dependencies once) with this workspace's Cargo.lock, so
//! that it resolves the same versions without asking a registry.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SECTION: &str = "## Use it on your own system";
const FILE_MARK: &str = "<!-- own-system: ";

#[test]
fn a_crate_outside_the_workspace_gets_every_tool() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(here.join("../README.md")).expect("README.md");
    let section = section(&readme);
    let files = files(section);
    for needed in [
        ".cargo/config.toml",
        "Cargo.toml",
        "src/lib.rs",
        "src/main.rs",
        "tests/scenarios.rs",
    ] {
        assert!(files.contains_key(needed), "the section has no {needed}");
    }
    let project = fresh_project_dir();
    for (path, text) in &files {
        let text = text.replace(
            r#"sim = { path = "../dst/sim" }"#,
            &format!("sim = {{ path = {:?} }}", here.display().to_string()),
        );
        let file = project.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    std::fs::copy(here.join("../Cargo.lock"), project.join("Cargo.lock")).unwrap();
    let target = here.join("../target/own-system");

    // Step 2: the sweep finds a failing seed and prints both replay lines.
    let sweep_command = commands(section)
        .into_iter()
        .find(|c| c.contains(" sweep "))
        .expect("the section shows a sweep");
    let sweep = shell(&project, &target, &sweep_command);
    let sweep_out = stdout(&sweep);
    assert_eq!(
        sweep.status.code(),
        Some(1),
        "the sweep must fail:\n{sweep_out}"
    );
    let seed: u64 = after(&sweep_out, "  smallest seed ")
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no smallest seed in:\n{sweep_out}"));
    let hash = trace_hash(&sweep_out, seed);
    let shown = shown_output(section, &sweep_command);
    for line in shown.iter().filter(|l| l.starts_with("  ")) {
        let expected = seed_in(line, seed);
        assert!(
            sweep_out.lines().any(|l| matches_masked(&expected, l)),
            "the README shows {line:?}; the sweep printed:\n{sweep_out}"
        );
    }

    // Step 3: the printed `test:` line, pasted, fails with the same hash.
    let test_line = after(&sweep_out, "test:   ")
        .lines()
        .next()
        .unwrap()
        .to_string();
    assert!(test_line.starts_with(&format!("SEED={seed} cargo test")));
    let test = shell(&project, &target, &test_line);
    let test_out = format!("{}{}", stdout(&test), String::from_utf8_lossy(&test.stderr));
    assert!(!test.status.success(), "{test_line} passed:\n{test_out}");
    assert!(
        test_out.contains(&format!("trace={hash}")),
        "{test_line} did not fail with trace={hash}:\n{test_out}"
    );

    // Step 4: shrink writes a plan; the README's `run --plan` replays it.
    let step4: Vec<String> = commands(section)
        .into_iter()
        .filter(|c| c.contains(" shrink ") || c.contains("--plan"))
        .collect();
    assert_eq!(step4.len(), 2, "step 4 shows shrink and run --plan");
    let shrink = shell(&project, &target, &seed_in(&step4[0], seed));
    let shrink_out = stdout(&shrink);
    let plan = format!("counter_retries-{seed}.plan.json");
    assert!(
        shrink_out.contains(&format!("minimal plan written to {plan}")),
        "{shrink_out}"
    );
    let replay = shell(&project, &target, &seed_in(&step4[1], seed));
    let replay_out = stdout(&replay);
    assert_eq!(replay.status.code(), Some(1), "{replay_out}");
    assert!(
        replay_out.contains("CHECK") || replay_out.contains("counter is"),
        "the plan's replay does not fail the same way:\n{replay_out}"
    );
    // And the replay line shrink printed, pasted as it is.
    let printed = after(&shrink_out, "replay: ")
        .lines()
        .next()
        .unwrap()
        .to_string();
    let pasted = shell(&project, &target, &printed);
    assert_eq!(pasted.status.code(), Some(1), "{}", stdout(&pasted));

    // Step 5: the timeline page.
    let timeline = commands_inline(section)
        .into_iter()
        .find(|c| c.contains(" timeline "))
        .expect("the section shows a timeline command");
    let drawn = shell(&project, &target, &seed_in(&timeline, seed));
    assert!(drawn.status.success(), "{}", stdout(&drawn));
    let html = std::fs::read_to_string(project.join("run.html")).expect("run.html written");
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("counter/retries"));

    let _ = std::fs::remove_dir_all(&project);
}

/// The README's section, up to the next `## ` heading.
fn section(readme: &str) -> &str {
    let start = readme.find(SECTION).expect("README has the section");
    let rest = &readme[start + SECTION.len()..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The files: each `<!-- own-system: PATH -->` followed by a fenced block.
fn files(section: &str) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut rest = section;
    while let Some(at) = rest.find(FILE_MARK) {
        rest = &rest[at + FILE_MARK.len()..];
        let (path, after_mark) = rest.split_once(" -->").expect("a closed mark");
        let block_start = after_mark.find("```").expect("a block after the mark");
        let body = &after_mark[block_start..];
        let body = &body[body.find('\n').unwrap() + 1..];
        let end = body.find("\n```").expect("a closed block");
        files.insert(path.to_string(), format!("{}\n", &body[..end]));
        rest = &body[end..];
    }
    files
}

/// The `$ ` command lines of the section's blocks.
fn commands(section: &str) -> Vec<String> {
    section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("$ "))
        .map(str::to_string)
        .collect()
}

/// The commands quoted inline (`` `cargo run …` ``).
fn commands_inline(section: &str) -> Vec<String> {
    section
        .split('`')
        .filter(|c| c.starts_with("cargo run --release -- "))
        .map(str::to_string)
        .collect()
}

/// The output the README shows under a command, up to the block's end.
fn shown_output(section: &str, command: &str) -> Vec<String> {
    let lines: Vec<&str> = section.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.trim() == format!("$ {command}"))
        .unwrap();
    let indent = lines[at].len() - lines[at].trim_start().len();
    lines[at + 1..]
        .iter()
        .take_while(|l| !l.trim_start().starts_with("```"))
        .map(|l| l.get(indent..).unwrap_or("").to_string())
        .filter(|l| l != "...")
        .collect()
}

/// Whether `actual` is `expected` with each `N` standing for a number.
fn matches_masked(expected: &str, actual: &str) -> bool {
    let mut actual = actual;
    let mut parts = expected.split('N').peekable();
    while let Some(part) = parts.next() {
        let Some(rest) = actual.strip_prefix(part) else {
            return false;
        };
        actual = rest;
        if parts.peek().is_some() {
            // A number, or an `N` the tool itself masked (a signature).
            let digits = actual.len()
                - actual
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            let taken = if digits == 0 && actual.starts_with('N') {
                1
            } else {
                digits
            };
            if taken == 0 {
                return false;
            }
            actual = &actual[taken..];
        }
    }
    actual.is_empty()
}

/// A README line with the seed the sweep found in place of `S`.
fn seed_in(line: &str, seed: u64) -> String {
    line.replace("seed S", &format!("seed {seed}"))
        .replace("SEED=S", &format!("SEED={seed}"))
        .replace("-S.plan", &format!("-{seed}.plan"))
}

/// The text after the first `marker`.
fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in:\n{text}"));
    &text[at + marker.len()..]
}

/// The trace hash the sweep printed for `seed`'s run.
fn trace_hash(sweep: &str, seed: u64) -> String {
    let run = sweep
        .lines()
        .find(|l| l.starts_with("FAIL ") && l.contains(&format!(" seed={seed} ")))
        .unwrap_or_else(|| panic!("no FAIL line for seed {seed}:\n{sweep}"));
    after(run, "trace=")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn fresh_project_dir() -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("dst-own-system-{}", std::process::id()))
        .join("counter");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a README command line in the project, as a user's shell would:
/// none of this test's cargo variables, no RUSTFLAGS.
fn shell(project: &Path, target: &Path, line: &str) -> Output {
    let mut command = Command::new("sh");
    command.arg("-c").arg(line).current_dir(project);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") || key.contains("RUSTFLAGS") || key == "RUSTDOCFLAGS" {
            command.env_remove(&key);
        }
    }
    command.env("CARGO_TARGET_DIR", target);
    command.output().expect("sh runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}
