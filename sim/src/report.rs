//! Result lines and failure reports (a contract: other tools parse them).
//!
//! `PASS raft/4a/initial_election seed=7 virtual=5.112s wall=0.004s events=1234 rpcs=56 bytes=7890 trace=0123456789abcdef`
//! A failure line starts with `FAIL`, has the same fields, then ` :: ` and
//! the first line of the message; the full report follows on later lines.
//! A run cut short by `--until` is neither: its line starts with `STOPPED`
//! and ends with ` :: stopped at T` and whether its probes held there.

use std::fmt::Write as _;

use crate::runner::RunResult;

/// Trace lines shown in a failure report.
pub const REPORT_TAIL: usize = 40;

/// The one-line result of a run.
pub fn result_line(r: &RunResult) -> String {
    let mut line = format!(
        "{} {} seed={} virtual={:.3}s wall={:.3}s events={} rpcs={} bytes={} trace={:016x}",
        r.verdict(),
        r.scenario,
        r.seed,
        r.virtual_time.as_secs_f64(),
        r.wall.as_secs_f64(),
        r.trace.lines.len(),
        r.rpcs,
        r.bytes,
        r.trace_hash,
    );
    match &r.outcome {
        Ok(_) if r.stopped_at.is_some() => {
            let at = r.stopped_at.unwrap_or_default().as_secs_f64();
            let _ = write!(line, " :: stopped at {at:.6}s; ");
            match (r.has_probes, r.failing_probes.first()) {
                (false, _) => line.push_str("no consistency probe registered"),
                (true, None) => line.push_str("every probe holds"),
                (true, Some((name, why))) => {
                    let _ = write!(line, "probe {name} fails: {why}");
                }
            }
        }
        Ok(summary) => {
            for (k, v) in &summary.fields {
                let _ = write!(line, " {k}={v}");
            }
        }
        Err(failure) => {
            let first = failure.to_string();
            let first = first.lines().next().unwrap_or("");
            let _ = write!(line, " :: {first}");
        }
    }
    line
}

/// The commands this process's replay lines name: its cargo-test harness
/// and its `dst` command. A user's crate registers its own scenarios and
/// its own binaries; a replay line must name those, or pasting it replays
/// nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    /// Runs one test: `SEED=n {cargo_test} -- NAME --exact`.
    pub cargo_test: String,
    /// Runs `dst`: `{dst} run NAME --seed n --trace`. `None` where no `dst`
    /// knows this process's scenarios (a test target of its own).
    pub dst: Option<String>,
}

impl Default for Invocation {
    /// This repository's: `cargo test -p scenarios --test scenarios` and
    /// `cargo run --release --`.
    fn default() -> Self {
        Invocation {
            cargo_test: "cargo test -p scenarios --test scenarios".to_string(),
            dst: Some("cargo run --release --".to_string()),
        }
    }
}

static INVOCATION: std::sync::RwLock<Option<Invocation>> = std::sync::RwLock::new(None);

/// Sets the commands replay lines name, for the whole process (call it
/// first thing in a harness's or a `dst`'s `main`).
pub fn set_invocation(invocation: Invocation) {
    *INVOCATION
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(invocation);
}

/// The commands replay lines name (see [`set_invocation`]).
pub fn invocation() -> Invocation {
    INVOCATION
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
        .unwrap_or_default()
}

/// The `dst` command that replays a seed with its trace, or, where no `dst`
/// knows the scenario, the cargo-test one.
pub fn dst_replay(scenario: &str, seed: u64) -> String {
    let invocation = invocation();
    match invocation.dst {
        Some(dst) => format!("{dst} run {scenario} --seed {seed} --trace"),
        None => format!(
            "SEED={seed} {} -- {scenario} --exact",
            invocation.cargo_test
        ),
    }
}

/// The replay commands for a seed.
pub fn replay_commands(scenario: &str, seed: u64) -> Vec<String> {
    let invocation = invocation();
    let mut commands = vec![format!(
        "SEED={seed} {} -- {scenario} --exact",
        invocation.cargo_test
    )];
    if let Some(dst) = invocation.dst {
        commands.push(format!("{dst} run {scenario} --seed {seed} --trace"));
    }
    commands
}

/// The full report of a failed run: what, when, the trace's tail, and how
/// to replay it. Empty for a passed run.
pub fn failure_report(r: &RunResult) -> String {
    let Some(failure) = r.failure() else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(out, "---- {} failed ----", r.scenario);
    let _ = writeln!(out, "scenario: {}", r.scenario);
    let _ = writeln!(out, "seed:     {}", r.seed);
    let _ = writeln!(
        out,
        "failed at virtual time {:.6}s",
        r.virtual_time.as_secs_f64()
    );
    let _ = writeln!(out, "kind:     {}", failure.kind);
    if !r.drawn.is_empty() {
        let _ = writeln!(out, "drawn:    {}", crate::swarm::describe(&r.drawn));
    }
    let _ = writeln!(out, "message:  {failure}");
    let tail = r.trace.tail(REPORT_TAIL);
    let _ = writeln!(out, "last {} trace lines:", tail.len());
    for line in tail {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "replay:");
    for command in replay_commands(r.scenario, r.seed) {
        let _ = writeln!(out, "  {command}");
    }
    out
}
