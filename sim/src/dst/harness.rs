//! The `cargo test` harness for scenarios: every scenario as its own test
//! (so `cargo test figure8` filters as users expect), used by this crate's
//! own `tests/scenarios.rs` and by a student's test file that registers a
//! suite for their implementation (README, "Test your own implementation").
//!
//! Seeds: `SEED=n` runs seed n; `SEEDS=a..b` runs every seed of the range;
//! otherwise the scenario's default seed (run twice: the two trace hashes must
//! be equal) plus every corpus line for it in `seeds/*.seeds`. A malformed
//! `SEED`, `SEEDS` or corpus line stops the suite with a message naming it.

use std::path::{Path, PathBuf};

use libtest_mimic::{Arguments, Failed, Trial};
use sim::seeds::{self, CorpusEntry, EnvSeeds};
use sim::{report, RunOptions, Scenario};

use super::registry;

/// Runs `scenarios` as the tests of a `harness = false` test target and
/// exits with libtest's status; the seed corpus is the folder `seeds/`
/// beside the package's Cargo.toml, if there is one (see [`Harness`]).
pub fn test_main(scenarios: Vec<Scenario>) -> ! {
    Harness::new(scenarios).main()
}

/// The cargo-test harness over a registry of scenarios.
///
/// The seed corpus is a folder of `<system>.seeds` files, lines
/// `scenario seed  # note`. A file belongs to the test target whose
/// scenarios include its system (`raft.seeds` to the target registering
/// `raft/…`); a line of such a file that names no registered scenario stops
/// the suite, since a stale line would silently test nothing.
pub struct Harness {
    scenarios: Vec<Scenario>,
    corpus: Option<PathBuf>,
    dst: Option<String>,
}

impl Harness {
    /// A harness for `scenarios`, with the corpus in `seeds/` beside the
    /// package's Cargo.toml (where `cargo test` runs the target).
    pub fn new(scenarios: Vec<Scenario>) -> Self {
        let corpus = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(|dir| Path::new(&dir).join("seeds"))
            .filter(|dir| dir.is_dir());
        Harness {
            scenarios,
            corpus,
            dst: None,
        }
    }

    /// Reads the seed corpus from `folder` instead (it must exist).
    pub fn corpus(mut self, folder: impl Into<PathBuf>) -> Self {
        self.corpus = Some(folder.into());
        self
    }

    /// The `dst` command that knows these scenarios (`cargo run --release
    /// --`), for the `dst run … --trace` line of a failure report. Without
    /// it, reports name only this target's `SEED=… cargo test` line.
    pub fn dst(mut self, command: impl Into<String>) -> Self {
        self.dst = Some(command.into());
        self
    }

    /// Runs the tests and exits with libtest's status.
    pub fn main(self) -> ! {
        report::set_invocation(this_target_invocation(self.dst));
        let args = Arguments::from_args();
        let explicit = match seeds::from_env() {
            Ok(s) => s,
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
        let corpus = match self.corpus.as_deref().map(seeds::load_corpus) {
            None => Vec::new(),
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                eprintln!("error: {e}");
                std::process::exit(2);
            }
        };
        let scenarios = self.scenarios;
        let systems: std::collections::BTreeSet<&str> =
            scenarios.iter().map(|s| s.system()).collect();
        let corpus: Vec<CorpusEntry> = corpus
            .into_iter()
            .filter(|c| systems.contains(corpus_system(c).as_str()))
            .collect();
        if let Some(unknown) = corpus
            .iter()
            .find(|c| !scenarios.iter().any(|s| s.name == c.scenario))
        {
            eprintln!(
                "error: {}: unknown scenario {:?} in the seed corpus",
                unknown.origin, unknown.scenario
            );
            std::process::exit(2);
        }
        registry::set(scenarios.clone());
        let trials = scenarios
            .into_iter()
            .map(|scenario| {
                let explicit = explicit.clone();
                let corpus: Vec<CorpusEntry> = corpus
                    .iter()
                    .filter(|c| c.scenario == scenario.name)
                    .cloned()
                    .collect();
                if scenario.must_fail {
                    return Trial::test(scenario.name, move || {
                        must_fail_trial(&scenario, explicit.as_ref())
                    });
                }
                Trial::test(scenario.name, move || {
                    run_trial(&scenario, explicit, &corpus)
                })
            })
            .collect();
        // madsim's per-panic `context:` lines would land between the reports.
        let redirection = super::cli::stderr_filter::install();
        let conclusion = libtest_mimic::run(&args, trials);
        if let Some(redirection) = redirection {
            redirection.finish();
        }
        conclusion.exit()
    }
}

/// The system a corpus line belongs to: its file's name (`raft.seeds`).
fn corpus_system(entry: &CorpusEntry) -> String {
    let file = entry
        .origin
        .rsplit_once(':')
        .map_or(entry.origin.as_str(), |(file, _line)| file);
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_string()
}

/// A scenario with a planted bug must fail on some seed: of `SEEDS=a..b`
/// if given, else of 0..50. `SEED=n` replays that one seed like any other
/// scenario's, so that the replay line printed for its failure reproduces
/// the failure (a failed test with its report), not "caught".
fn must_fail_trial(scenario: &Scenario, explicit: Option<&EnvSeeds>) -> Result<(), Failed> {
    let seeds = match explicit {
        Some(one @ EnvSeeds::One(_)) => return run_trial(scenario, Some(one.clone()), &[]),
        Some(EnvSeeds::Range(range)) => range.clone(),
        None => 0..50,
    };
    let failing = seeds
        .clone()
        .find(|&seed| !sim::run(scenario, seed, &RunOptions::default()).passed());
    match failing {
        Some(seed) => {
            println!("{}: planted bug caught on seed {seed}", scenario.name);
            Ok(())
        }
        None => Err(format!(
            "{}: the planted bug was not caught on seeds {}..{}",
            scenario.name, seeds.start, seeds.end
        )
        .into()),
    }
}

fn run_trial(
    scenario: &Scenario,
    explicit: Option<EnvSeeds>,
    corpus: &[CorpusEntry],
) -> Result<(), Failed> {
    let options = RunOptions::default();
    let check = |seed: u64| -> Result<sim::RunResult, Failed> {
        let result = sim::run(scenario, seed, &options);
        if result.passed() {
            Ok(result)
        } else {
            Err(format!(
                "{}\n{}",
                report::result_line(&result),
                report::failure_report(&result)
            )
            .into())
        }
    };
    match explicit {
        Some(seeds) => {
            for seed in seeds.seeds() {
                check(seed)?;
            }
        }
        None => {
            let first = check(scenario.default_seed)?;
            let second = check(scenario.default_seed)?;
            if first.trace_hash != second.trace_hash {
                let i = first.trace.first_difference(&second.trace).unwrap_or(0);
                let show = |t: &sim::trace::Trace| {
                    t.lines
                        .get(i)
                        .map_or("<end of trace>".to_string(), |l| l.to_string())
                };
                return Err(format!(
                    "nondeterminism: seed {} gave trace {:016x} then {:016x}; first difference at line {}:\n  first:  {}\n  second: {}",
                    scenario.default_seed, first.trace_hash, second.trace_hash, i + 1, show(&first.trace), show(&second.trace)
                )
                .into());
            }
            for entry in corpus {
                check(entry.seed).map_err(|e| {
                    Failed::from(format!(
                        "corpus {} ({}): {}",
                        entry.origin,
                        entry.note,
                        e.message().unwrap_or("")
                    ))
                })?;
            }
        }
    }
    Ok(())
}

/// The replay commands of this test target: a failure's `SEED=…` line
/// must name the package and target it ran in (a student's `own_raft`, not
/// `scenarios`), or pasting it would replay nothing.
fn this_target_invocation(dst: Option<String>) -> report::Invocation {
    let target = std::env::args()
        .next()
        .as_deref()
        .and_then(|path| Path::new(path).file_stem()?.to_str().map(str::to_string))
        // Cargo names test binaries `<target>-<hash>`.
        .map(|stem| match stem.rsplit_once('-') {
            Some((target, _hash)) => target.to_string(),
            None => stem,
        });
    // Cargo sets CARGO_PKG_NAME for the test binaries it runs.
    let package = std::env::var("CARGO_PKG_NAME").ok();
    let mut cargo_test = "cargo test".to_string();
    if let Some(package) = package {
        cargo_test.push_str(&format!(" -p {package}"));
    }
    if let Some(target) = target {
        cargo_test.push_str(&format!(" --test {target}"));
    }
    report::Invocation { cargo_test, dst }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corpus_line_belongs_to_the_system_its_file_names() {
        let line = |origin: &str| CorpusEntry {
            scenario: "raft/4b/figure8".to_string(),
            seed: 1,
            note: String::new(),
            origin: origin.to_string(),
        };
        assert_eq!(corpus_system(&line("/w/seeds/raft.seeds:3")), "raft");
        assert_eq!(corpus_system(&line("C:/w/seeds/bank.seeds:12")), "bank");
        assert_ne!(corpus_system(&line("/w/seeds/raft.seeds:3")), "sim");
    }
}
