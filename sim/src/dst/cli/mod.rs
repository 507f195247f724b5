//! The `dst` command: list, run, sweep, merge, shrink, bisect and timeline
//! over a registry of scenarios, plus any commands a project adds
//! ([`Dst::commands`]). Exit status: 0 all passed, 1 something failed, 2 bad
//! usage (unknown scenario, malformed seed, unreadable file).

mod determinism;
mod investigate;
mod merge;
mod run;
pub mod shard;
mod slow_runs;
mod sometimes;
pub mod stderr_filter;
pub mod summary;
mod swarm_coverage;
mod sweep;
mod timeline;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use sim::Scenario;

use super::registry;

#[derive(Parser, Debug)]
#[command(
    name = "dst",
    version,
    about = "Deterministic simulation tests: list, run, sweep and investigate scenarios"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List scenario names, one per line.
    List {
        /// A name, a path (`raft/`), a prefix (`raft/4b/fig*`) or `all`.
        #[arg(default_value = "all")]
        pattern: String,
    },
    /// Run the selected scenarios on one seed.
    Run(run::RunArgs),
    /// Run the selected scenarios on every seed of a range, in parallel.
    Sweep(sweep::SweepArgs),
    /// Combine the `--json` summaries of a sharded sweep into one report.
    Merge(merge::MergeArgs),
    /// Remove injected faults from a failing run while it still fails the same way.
    Shrink(investigate::ShrinkArgs),
    /// Find the earliest virtual instant at which a failing run is already inconsistent.
    Bisect(investigate::BisectArgs),
    /// Draw a run as a self-contained HTML space-time diagram.
    Timeline(timeline::TimelineArgs),
    /// (internal) The other process of `dst sweep --check-determinism`.
    #[command(hide = true)]
    DeterminismChild(determinism::ChildArgs),
}

/// A usage error: printed on stderr, exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

pub fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Runs a project's own subcommand from the parsed arguments.
type RunExtra = Box<dyn FnOnce(&ArgMatches) -> Result<i32, UsageError>>;

/// A project's own subcommands, added beside the built-in ones.
struct Extra {
    augment: fn(clap::Command) -> clap::Command,
    has: fn(&str) -> bool,
    run: RunExtra,
}

/// A `dst` command over a registry of scenarios.
///
/// ```no_run
/// sim::dst::Dst::new(sim::selftest::scenarios())
///     .test_command("cargo test -p my_system --test scenarios")
///     .main()
/// ```
pub struct Dst {
    scenarios: Vec<Scenario>,
    extra: Option<Extra>,
    command: Option<String>,
    test_command: Option<String>,
}

impl Dst {
    /// `dst` over `scenarios` (names must be unique).
    pub fn new(scenarios: Vec<Scenario>) -> Self {
        Dst {
            scenarios,
            extra: None,
            command: None,
            test_command: None,
        }
    }

    /// Adds a project's own subcommands (a clap `Subcommand` enum), run by
    /// `run` when given. This repository adds `mr` and `bench` this way.
    pub fn commands<E: Subcommand + 'static>(
        mut self,
        run: impl FnOnce(E) -> Result<i32, UsageError> + 'static,
    ) -> Self {
        self.extra = Some(Extra {
            augment: E::augment_subcommands,
            has: E::has_subcommand,
            run: Box::new(move |matches| {
                let command = E::from_arg_matches(matches).map_err(|e| usage(e.to_string()))?;
                run(command)
            }),
        });
        self
    }

    /// How the commands `dst` prints start it again. By default the
    /// `cargo run` that builds this very binary: `cargo run --release -p
    /// PACKAGE --bin NAME --` (`--example NAME` for an example).
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// The cargo-test command of the test target that runs these
    /// scenarios, for the `SEED=n … -- NAME --exact` lines `dst` prints.
    /// By default `cargo test -p PACKAGE`: every test target of the
    /// package, filtered to the one scenario, which is right wherever the
    /// harness lives (naming the target is faster).
    pub fn test_command(mut self, command: impl Into<String>) -> Self {
        self.test_command = Some(command.into());
        self
    }

    /// Parses the process's arguments and runs; returns the exit status.
    pub fn run(self) -> i32 {
        self.run_from(std::env::args_os())
    }

    /// Like [`Dst::run`], with the arguments given (the first is the
    /// program's name).
    pub fn run_from<I, T>(self, args: I) -> i32
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let package = std::env::var("CARGO_PKG_NAME").ok();
        crate::report::set_invocation(crate::report::Invocation {
            cargo_test: self.test_command.unwrap_or_else(|| match &package {
                Some(p) => format!("cargo test -p {p}"),
                None => "cargo test".to_string(),
            }),
            dst: Some(self.command.unwrap_or_else(this_binary_command)),
        });
        registry::set(self.scenarios);
        let mut command = Cli::command();
        if let Some(extra) = &self.extra {
            command = (extra.augment)(command);
        }
        // Not `get_matches`: it exits the process itself, before `main`
        // can flush the stderr filter, and the message would be cut short.
        let matches = match command.try_get_matches_from(args) {
            Ok(matches) => matches,
            Err(error) => {
                let _ = error.print();
                return error.exit_code();
            }
        };
        let name = matches.subcommand_name().unwrap_or_default().to_string();
        let outcome = match self.extra {
            Some(extra) if (extra.has)(&name) => (extra.run)(&matches),
            _ => match Cli::from_arg_matches(&matches) {
                Ok(cli) => dispatch(cli.command),
                Err(error) => {
                    let _ = error.print();
                    return error.exit_code();
                }
            },
        };
        match outcome {
            Ok(code) => code,
            Err(UsageError(message)) => {
                eprintln!("dst: {message}");
                2
            }
        }
    }

    /// The whole program: a quiet stop on a closed pipe, madsim's panic
    /// noise filtered out of stderr, [`Dst::run`], and its exit status.
    pub fn main(self) -> ! {
        // Rust ignores SIGPIPE, so `dst list | head` ended in a "Broken
        // pipe" panic; a command-line tool should stop quietly when its
        // reader does.
        // SAFETY: called before `dst` starts any thread; restores the
        // default disposition of one signal.
        #[cfg(unix)]
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
        let redirection = stderr_filter::install();
        // A panic outside the runs still prints (into the filter) before it
        // unwinds to here; catching it lets `finish` forward it first.
        let code =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run())).unwrap_or(101);
        if let Some(redirection) = redirection {
            redirection.finish();
        }
        std::process::exit(code);
    }
}

fn dispatch(command: Command) -> Result<i32, UsageError> {
    match command {
        Command::List { pattern } => list(&pattern),
        Command::Run(args) => run::run(args),
        Command::Sweep(args) => sweep::sweep(args),
        Command::Merge(args) => merge::merge(args),
        Command::Shrink(args) => investigate::shrink(args),
        Command::Bisect(args) => investigate::bisect(args),
        Command::Timeline(args) => timeline::timeline(args),
        Command::DeterminismChild(args) => determinism::child(args),
    }
}

/// The `cargo run` that starts this very binary, for the commands `dst`
/// prints: `cargo run --release --example own_raft_dst --` for an example,
/// `--bin NAME` for another binary, naming the package when cargo told us
/// (it sets CARGO_PKG_NAME for `cargo run`).
fn this_binary_command() -> String {
    match std::env::current_exe() {
        Ok(exe) => binary_command(&exe, std::env::var("CARGO_PKG_NAME").ok().as_deref()),
        Err(_) => "cargo run --release --".to_string(),
    }
}

fn binary_command(exe: &std::path::Path, package: Option<&str>) -> String {
    let Some(name) = exe.file_stem().and_then(|n| n.to_str()) else {
        return "cargo run --release --".to_string();
    };
    let is_example = exe
        .parent()
        .and_then(|dir| dir.file_name())
        .is_some_and(|dir| dir == "examples");
    let package = package.map(|p| format!(" -p {p}")).unwrap_or_default();
    let target = if is_example { "--example" } else { "--bin" };
    format!("cargo run --release{package} {target} {name} --")
}

/// Prints each whole suite's budget verdict (the course's 600 s for all of
/// Raft's tests on one seed); true if some seed went over.
pub(crate) fn print_budgets(budgets: &sim::budget::Budgets) -> bool {
    let mut over = false;
    for s in budgets.summary() {
        let worst = format!(
            "costliest seed {} at {:.3}s",
            s.worst.seed,
            s.worst.total.as_secs_f64()
        );
        if s.over_count == 0 {
            println!(
                "suite budget {}: {} within {}s of virtual time per seed; {worst}",
                s.suite,
                summary::runs(s.seeds).replace("run", "seed"),
                s.budget.as_secs()
            );
        } else {
            over = true;
            let named: Vec<String> = s.over.iter().map(u64::to_string).collect();
            println!(
                "OVER BUDGET suite {}: {} of {} over {}s of virtual time per seed (seeds {}{}); {worst}",
                s.suite,
                s.over_count,
                summary::runs(s.seeds).replace("run", "seed"),
                s.budget.as_secs(),
                named.join(", "),
                if s.over_count > s.over.len() as u64 { ", ..." } else { "" }
            );
        }
    }
    over
}

/// How the commands `dst` prints start (see [`main_with`]).
pub(crate) fn dst_command() -> String {
    sim::report::invocation()
        .dst
        .unwrap_or_else(this_binary_command)
}

/// The scenarios a pattern selects, or a usage error naming the pattern.
pub fn selected(pattern: &str) -> Result<Vec<Scenario>, UsageError> {
    registry::find(pattern).map_err(usage)
}

fn list(pattern: &str) -> Result<i32, UsageError> {
    for s in selected(pattern)? {
        println!("{}", s.name);
    }
    Ok(0)
}

/// The seed and fault plan of a replay: `--seed N`, or `--plan FILE` (whose
/// seed an explicit `--seed` must match).
pub fn seed_and_plan(
    seed: Option<u64>,
    plan: Option<&std::path::Path>,
) -> Result<(u64, Option<sim::fault::Plan>), UsageError> {
    let plan = match plan {
        Some(path) => Some(sim::fault::Plan::load(path).map_err(usage)?),
        None => None,
    };
    let seed = match (&plan, seed) {
        (Some(p), Some(s)) if p.seed != s => {
            return Err(usage(format!(
                "--seed {s} contradicts the plan's seed {}",
                p.seed
            )))
        }
        (Some(p), _) => p.seed,
        (None, Some(s)) => s,
        (None, None) => return Err(usage("--seed is required")),
    };
    Ok((seed, plan))
}

/// Checks, before any run, that an output file (`--record`, `--out`) can be
/// written: its folder exists, it is not a folder, and a file can be created
/// beside it. A long run must not end in a lost result.
pub fn check_output_path(flag: &str, path: &std::path::Path) -> Result<(), UsageError> {
    let shown = path.display();
    if path.is_dir() {
        return Err(usage(format!("{flag} {shown} is a folder, not a file")));
    }
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        return Err(usage(format!(
            "{flag} {shown}: folder {} does not exist",
            folder.display()
        )));
    }
    let probe = folder.join(format!(".dst-write-check-{}", std::process::id()));
    match std::fs::File::create(&probe) {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(usage(format!(
            "{flag} {shown}: cannot write in {}: {e}",
            folder.display()
        ))),
    }
}

pub fn parse_seed_arg(text: &str) -> Result<u64, String> {
    sim::seeds::parse_seed(text).map_err(|e| e.to_string())
}

pub fn parse_range_arg(text: &str) -> Result<std::ops::Range<u64>, String> {
    sim::seeds::parse_range(text).map_err(|e| e.to_string())
}

/// The longest `--until` (or other virtual duration) taken: far beyond any
/// scenario's time limit, and far from where virtual instants overflow.
const MAX_DURATION_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// Parses a virtual duration: `5s`, `1500ms`, `2.5s`, or plain seconds.
pub fn parse_duration_arg(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    match number.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 && v * scale <= MAX_DURATION_SECS => {
            Ok(std::time::Duration::from_secs_f64(v * scale))
        }
        Ok(v) if v.is_finite() && v > 0.0 => Err(format!(
            "duration {text:?} is too long: at most {MAX_DURATION_SECS}s (365 days)"
        )),
        _ => Err(format!(
            "malformed duration {text:?}: expected e.g. 5s, 1500ms or 2.5"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::binary_command;
    use std::path::Path;

    #[test]
    fn printed_commands_name_the_binary_that_printed_them() {
        assert_eq!(
            binary_command(
                Path::new("/w/target/release/examples/own_raft_dst"),
                Some("scenarios")
            ),
            "cargo run --release -p scenarios --example own_raft_dst --"
        );
        assert_eq!(
            binary_command(Path::new("/w/target/release/mydst"), None),
            "cargo run --release --bin mydst --"
        );
    }
}
