//! Every scenario as its own test, so `cargo test figure8` filters as users
//! expect.
//!
//! Seeds: `SEED=n` runs seed n; `SEEDS=a..b` runs every seed of the range;
//! otherwise the scenario's default seed (run twice: the two trace hashes must
//! be equal) plus every corpus line for it in `seeds/*.seeds`. A malformed
//! `SEED`, `SEEDS` or corpus line stops the suite with a message naming it.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use sim::seeds::{self, CorpusEntry, EnvSeeds};
use sim::{report, RunOptions, Scenario};

fn main() {
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
    let all = scenarios::all();
    if let Some(unknown) = corpus
        .iter()
        .find(|c| !all.iter().any(|s| s.name == c.scenario))
    {
        eprintln!(
            "error: {}: unknown scenario {:?} in the seed corpus",
            unknown.origin, unknown.scenario
        );
        std::process::exit(2);
    }
    let trials = all
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
    let redirection = scenarios::cli::stderr_filter::install();
    let conclusion = libtest_mimic::run(&args, trials);
    if let Some(redirection) = redirection {
        redirection.finish();
    }
    conclusion.exit();
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
