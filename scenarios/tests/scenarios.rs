//! Every scenario as its own test, so `cargo test figure8` filters as users
//! expect.
//!
//! Seeds: `SEED=n` runs seed n; `SEEDS=a..b` runs every seed of the range;
//! otherwise the scenario's default seed (run twice: the two trace hashes must
//! be equal) plus every corpus line for it in `seeds/*.seeds`. A malformed
//! `SEED`, `SEEDS` or corpus line stops the suite with a message naming it.

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};
use sim::seeds::{self, CorpusEntry};
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
            if scenario.name.starts_with(scenarios::demo::PREFIX) {
                return Trial::test(scenario.name, move || demo_trial(&scenario));
            }
            Trial::test(scenario.name, move || {
                run_trial(&scenario, explicit, &corpus)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

/// A demo scenario has a planted bug: it must fail on some seed in 0..50.
fn demo_trial(scenario: &Scenario) -> Result<(), Failed> {
    let failing = (0..50).find(|&seed| !sim::run(scenario, seed, &RunOptions::default()).passed());
    match failing {
        Some(seed) => {
            println!("{}: planted bug caught on seed {seed}", scenario.name);
            Ok(())
        }
        None => Err(format!(
            "{}: the planted bug was not caught on seeds 0..50",
            scenario.name
        )
        .into()),
    }
}

fn run_trial(
    scenario: &Scenario,
    explicit: Option<Vec<u64>>,
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
            for seed in seeds {
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
