//! The sweep summary: what `dst sweep --json` writes and `dst merge` reads
//! and writes, its version, the tally that builds it, and its printed form.
//!
//! A shard's summary carries everything a merge checks (the pattern, the
//! range, the shard, the scenarios the pattern selected in that build, how
//! many seeds the shard holds and whether it ran them all) and everything a
//! merge adds up. Failing runs are listed one by one; passing runs only
//! counted, so that a summary stays small however large the range: every run
//! of a complete shard that is not listed as failing passed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sim::report;

use super::shard::Shard;
use super::{usage, UsageError};

/// Names the file format, so that `dst merge` refuses any other JSON.
pub const FORMAT: &str = "dst-sweep-summary";
/// Bumped whenever a field changes meaning or a field merge needs is added.
/// 2: shard, scenarios, seed_count, complete, virtual_nanos, host, kind;
/// later `sometimes`, optional both ways (a summary without it declares no
/// event, and an older dst ignores it), so still 2.
pub const VERSION: u64 = 2;

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One `dst sweep` (an unsharded sweep is shard 1/1).
    Shard,
    /// `dst merge` of shards.
    Merged,
    /// `dst sweep --rerun`: the failing runs of an earlier report, again.
    Rerun,
}

/// One failing run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct FailedRun {
    pub scenario: String,
    pub seed: u64,
    pub kind: String,
    pub message: String,
    pub signature: String,
    pub virtual_secs: f64,
    pub replay: String,
}

/// The failing runs of one scenario with one signature.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SignatureGroup {
    pub signature: String,
    pub runs: u64,
    pub smallest_seed: u64,
    pub scenario: String,
    pub replay: String,
}

/// The "sometimes" events one scenario declares ([`sim::sometimes`]): in
/// how many of its runs each happened. Added to version 2 compatibly: a
/// summary without it declares no event.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct SometimesTally {
    /// The scenario's runs in the report.
    pub runs: u64,
    /// Per declared event, the runs in which it happened (zero included).
    pub events: BTreeMap<String, u64>,
}

/// One input of a merged report.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct ShardEntry {
    pub shard: Shard,
    pub file: String,
    pub host: Option<String>,
    pub runs: u64,
    pub failed: u64,
    pub wall_secs: f64,
    pub complete: bool,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Summary {
    pub format: String,
    pub version: u64,
    pub kind: Kind,
    pub dst_version: String,
    pub pattern: String,
    /// `A..B`, half-open.
    pub seeds: String,
    /// Which shard (1/1 unsharded); none in a merged report or a rerun.
    pub shard: Option<Shard>,
    /// The scenarios the pattern selected, in order: shards of a different
    /// build may select others, and must not be merged.
    pub scenarios: Vec<String>,
    /// The seeds this report covers: the shard's, or the whole range's.
    pub seed_count: u64,
    /// False when `--until-fail` stopped before every run was made.
    pub complete: bool,
    pub host: Option<String>,
    pub jobs: Option<usize>,
    pub runs: u64,
    pub passed: u64,
    pub failed: u64,
    /// Real time: the sweep's, or in a merged report the sum over shards.
    pub wall_secs: f64,
    pub virtual_secs: f64,
    /// The exact sum, so that merged totals equal a single sweep's.
    pub virtual_nanos: u128,
    pub fault_runs: BTreeMap<String, u64>,
    /// Passing runs per value of their summary's `checks` field (which
    /// checks ran: a Raft that shows no states gets config.go's checks but
    /// not Figure 3's); runs without the field are not counted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, u64>,
    /// Per scenario that declares "sometimes" events, how often each
    /// happened (see [`super::sometimes`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sometimes: BTreeMap<String, SometimesTally>,
    pub groups: Vec<SignatureGroup>,
    pub failures: Vec<FailedRun>,
    /// A merged report's inputs, one per shard.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shards: Vec<ShardEntry>,
    /// Files given for a shard already read, identical to it, counted once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicates: Vec<String>,
}

impl Summary {
    /// The range, parsed back; a usage error names the file.
    pub fn range(&self, file: &str) -> Result<std::ops::Range<u64>, UsageError> {
        sim::seeds::parse_range(&self.seeds)
            .map_err(|e| usage(format!("{file}: field \"seeds\": {e}")))
    }

    /// The results, without how, where and how fast they were obtained:
    /// what two runs of one shard must agree on.
    pub fn results(&self) -> impl PartialEq + '_ {
        (
            (self.runs, self.passed, self.failed, self.virtual_nanos),
            (&self.fault_runs, &self.failures, self.complete),
            &self.sometimes,
        )
    }

    /// Writes through a temporary file and a rename: never a partial file.
    pub fn write(&self, flag: &str, path: &Path) -> Result<(), UsageError> {
        let text = serde_json::to_string_pretty(self).expect("summaries serialize");
        let temp = path.with_extension("json.partial");
        std::fs::write(&temp, text + "\n")
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                usage(format!("cannot write {flag} {}: {e}", path.display()))
            })
    }
}

/// Reads a summary of any kind; every error names the file and is a usage
/// error. The version is checked before the fields, so that a summary of
/// another version is named as such rather than as a missing field.
pub fn load(path: &Path) -> Result<Summary, UsageError> {
    let shown = path.display();
    let text =
        std::fs::read_to_string(path).map_err(|e| usage(format!("cannot read {shown}: {e}")))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| usage(format!("{shown} is not valid JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(usage(format!(
            "{shown} is not a dst sweep summary (no \"format\": \"{FORMAT}\"); write one with `dst sweep --json`"
        )));
    }
    match value.get("version").and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        other => {
            let found = other.map_or("none".to_string(), |v| v.to_string());
            return Err(usage(format!(
                "{shown}: summary version {found}, this dst reads version {VERSION}; sweep again with this dst"
            )));
        }
    }
    serde_json::from_value(value).map_err(|e| usage(format!("{shown}: malformed summary: {e}")))
}

/// Builds a summary's figures, run by run or shard by shard.
#[derive(Default)]
pub struct Tally {
    pub runs: u64,
    pub virtual_nanos: u128,
    pub fault_runs: BTreeMap<String, u64>,
    pub checks: BTreeMap<String, u64>,
    pub sometimes: BTreeMap<String, SometimesTally>,
    pub failures: Vec<FailedRun>,
}

impl Tally {
    /// Adds one run: its virtual time, the fault kinds it injected, the
    /// checks it ran (a passing run's `checks` field), and its failure if it
    /// failed.
    pub fn add_run<'a>(
        &mut self,
        scenario: &str,
        seed: u64,
        virtual_time: Duration,
        fault_kinds: impl Iterator<Item = &'a String>,
        checks: Option<&str>,
        failure: Option<&sim::Failure>,
    ) {
        self.runs += 1;
        if let Some(ran) = checks {
            *self.checks.entry(ran.to_string()).or_insert(0) += 1;
        }
        self.virtual_nanos += virtual_time.as_nanos();
        for kind in fault_kinds {
            *self.fault_runs.entry(kind.clone()).or_insert(0) += 1;
        }
        if let Some(f) = failure {
            self.failures.push(FailedRun {
                scenario: scenario.to_string(),
                seed,
                kind: f.kind.to_string(),
                message: f.to_string(),
                signature: f.signature(),
                virtual_secs: virtual_time.as_secs_f64(),
                replay: report::dst_replay(scenario, seed),
            });
        }
    }

    /// Adds one run's "sometimes" hits, if its scenario declares events.
    pub fn add_sometimes(
        &mut self,
        scenario: &str,
        declared: &[&str],
        hits: &BTreeMap<String, u64>,
    ) {
        if declared.is_empty() {
            return;
        }
        let tally = self.sometimes.entry(scenario.to_string()).or_default();
        tally.runs += 1;
        for event in declared {
            let happened = hits.get(*event).is_some_and(|&n| n > 0);
            *tally.events.entry(event.to_string()).or_insert(0) += u64::from(happened);
        }
    }

    /// Adds a whole report (a shard).
    pub fn add_summary(&mut self, s: &Summary) {
        self.runs += s.runs;
        self.virtual_nanos += s.virtual_nanos;
        for (kind, n) in &s.fault_runs {
            *self.fault_runs.entry(kind.clone()).or_insert(0) += n;
        }
        for (ran, n) in &s.checks {
            *self.checks.entry(ran.clone()).or_insert(0) += n;
        }
        for (scenario, theirs) in &s.sometimes {
            let ours = self.sometimes.entry(scenario.clone()).or_default();
            ours.runs += theirs.runs;
            for (event, n) in &theirs.events {
                *ours.events.entry(event.clone()).or_insert(0) += n;
            }
        }
        self.failures.extend(s.failures.iter().cloned());
    }

    /// The summary of these runs; failures sorted by scenario and seed, so
    /// that the order of runs or shards never shows.
    pub fn finish(mut self, header: Header, wall: Duration) -> Summary {
        self.failures
            .sort_by(|a, b| (&a.scenario, a.seed).cmp(&(&b.scenario, b.seed)));
        let failed = self.failures.len() as u64;
        Summary {
            format: FORMAT.to_string(),
            version: VERSION,
            kind: header.kind,
            dst_version: env!("CARGO_PKG_VERSION").to_string(),
            pattern: header.pattern,
            seeds: header.seeds,
            shard: header.shard,
            scenarios: header.scenarios,
            seed_count: header.seed_count,
            complete: header.complete,
            host: header.host,
            jobs: header.jobs,
            runs: self.runs,
            passed: self.runs - failed,
            failed,
            wall_secs: wall.as_secs_f64(),
            virtual_secs: self.virtual_nanos as f64 / 1e9,
            virtual_nanos: self.virtual_nanos,
            fault_runs: self.fault_runs,
            checks: self.checks,
            sometimes: self.sometimes,
            groups: groups(&self.failures),
            failures: self.failures,
            shards: Vec::new(),
            duplicates: Vec::new(),
        }
    }
}

/// What a summary says about itself rather than its runs.
pub struct Header {
    pub kind: Kind,
    pub pattern: String,
    pub seeds: String,
    pub shard: Option<Shard>,
    pub scenarios: Vec<String>,
    pub seed_count: u64,
    pub complete: bool,
    pub host: Option<String>,
    pub jobs: Option<usize>,
}

/// Failures grouped by scenario and signature, with the smallest seed of
/// each group.
fn groups(failures: &[FailedRun]) -> Vec<SignatureGroup> {
    let mut by_signature: BTreeMap<(&str, &str), (u64, u64)> = BTreeMap::new();
    for f in failures {
        let entry = by_signature
            .entry((&f.scenario, &f.signature))
            .or_insert((0, f.seed));
        entry.0 += 1;
        entry.1 = entry.1.min(f.seed);
    }
    by_signature
        .into_iter()
        .map(|((scenario, signature), (runs, smallest))| SignatureGroup {
            replay: report::dst_replay(scenario, smallest),
            signature: signature.to_string(),
            runs,
            smallest_seed: smallest,
            scenario: scenario.to_string(),
        })
        .collect()
}

/// This machine's name, for telling shards apart in a merged report.
pub fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most
    // that many bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Some(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// Prints the failures, their groups and the fault coverage (the lines a
/// sweep and a merge share).
pub fn print_findings(s: &Summary) {
    for f in &s.failures {
        println!(
            "FAILED {} seed={} :: {}",
            f.scenario,
            f.seed,
            first_line(&f.message)
        );
        println!("  replay: {}", f.replay);
    }
    if !s.groups.is_empty() {
        println!("failure groups (by signature, smallest seed first):");
        for g in &s.groups {
            println!(
                "  {}  {}  smallest seed {}  {}\n    replay: {}",
                runs(g.runs),
                g.scenario,
                g.smallest_seed,
                first_line(&g.signature),
                g.replay
            );
            // The same run as a failing `cargo test`, for a bug report or
            // a regression test (its trace hash is the sweep's).
            if let Some(test) = report::replay_commands(&g.scenario, g.smallest_seed)
                .into_iter()
                .find(|c| c.starts_with("SEED="))
            {
                println!("    test:   {test}");
            }
        }
    }
    if !s.fault_runs.is_empty() {
        let parts: Vec<String> = s
            .fault_runs
            .iter()
            .map(|(k, n)| format!("{k}={n}"))
            .collect();
        println!(
            "fault coverage (runs that injected each kind): {}",
            parts.join(" ")
        );
    }
    if !s.checks.is_empty() {
        let parts: Vec<String> = s.checks.iter().map(|(k, n)| format!("{k}={n}")).collect();
        println!(
            "checks (passing runs by the checks they ran): {}",
            parts.join(" ")
        );
    }
    for line in super::sometimes::lines(&s.sometimes) {
        println!("{line}");
    }
}

/// "1 run", "2 runs".
pub fn runs(n: u64) -> String {
    format!("{n} run{}", if n == 1 { "" } else { "s" })
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
