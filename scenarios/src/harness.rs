//! The `cargo test` harness for scenarios: every scenario as its own test
//! (so `cargo test figure8` filters as users expect), used by this crate's
//! own `tests/scenarios.rs` and by a student's test file that registers a
//! suite for their implementation (README, "Test your own implementation").
//!
//! Seeds: `SEED=n` runs seed n; `SEEDS=a..b` runs every seed of the range;
//! otherwise the scenario's default seed (run twice: the two trace hashes must
//! be equal) plus every corpus line for it in `seeds/*.seeds`. A malformed
//! `SEED`, `SEEDS` or corpus line stops the suite with a message naming it.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use sim::seeds::{self, CorpusEntry, EnvSeeds};
use sim::{report, RunOptions, Scenario};

/// Runs `scenarios` as the tests of a `harness = false` test target and
/// exits with libtest's status. Corpus lines name scenarios of this
/// registry ([`crate::all`]) or of `scenarios`; any other name stops the
/// suite (a stale corpus line would silently test nothing).
pub fn test_main(scenarios: Vec<Scenario>) -> ! {
    report::set_invocation(this_target_invocation());
    let args = Arguments::from_args();
    let explicit = match seeds::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let corpus_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../seeds");
    let corpus = match seeds::load_corpus(&corpus_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let known = crate::all();
    let registered = |name: &str| known.iter().chain(&scenarios).any(|s| s.name == name);
    if let Some(unknown) = corpus.iter().find(|c| !registered(&c.scenario)) {
        eprintln!(
            "error: {}: unknown scenario {:?} in the seed corpus",
            unknown.origin, unknown.scenario
        );
        std::process::exit(2);
    }
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
    let redirection = crate::cli::stderr_filter::install();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(redirection) = redirection {
        redirection.finish();
    }
    conclusion.exit()
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
/// `scenarios`), or pasting it would replay nothing; and only this crate's
/// own `scenarios` target has a `dst` that knows its scenarios.
fn this_target_invocation() -> report::Invocation {
    let target = std::env::args()
        .next()
        .as_deref()
        .and_then(|path| Path::new(path).file_stem()?.to_str().map(str::to_string))
        // Cargo names test binaries `<target>-<hash>`.
        .map(|stem| match stem.rsplit_once('-') {
            Some((target, _hash)) => target.to_string(),
            None => stem,
        })
        .unwrap_or_else(|| "scenarios".to_string());
    // Cargo sets CARGO_PKG_NAME for the test binaries it runs.
    let package = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "scenarios".to_string());
    let ours = package == "scenarios" && target == "scenarios";
    report::Invocation {
        cargo_test: format!("cargo test -p {package} --test {target}"),
        dst: ours.then(|| report::Invocation::default().dst).flatten(),
    }
}
