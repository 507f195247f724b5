//! `dst run PATTERN --seed N [--trace] [--until T [--dump]]`

use std::time::Duration;

use clap::Args;
use sim::{report, RunOptions};

use super::{parse_duration_arg, parse_seed_arg, selected, UsageError};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario name or prefix (`all` for all).
    pattern: String,
    /// The seed.
    #[arg(long, value_parser = parse_seed_arg)]
    seed: u64,
    /// Print the whole trace of each run.
    #[arg(long)]
    trace: bool,
    /// Stop at this virtual instant (e.g. 5s, 1500ms).
    #[arg(long, value_parser = parse_duration_arg)]
    until: Option<Duration>,
    /// With --until: print every node's state at that instant.
    #[arg(long, requires = "until")]
    dump: bool,
}

pub fn run(args: RunArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    let options = RunOptions {
        until: args.until,
        ..RunOptions::default()
    };
    let mut failed = false;
    for scenario in &scenarios {
        let result = sim::run(scenario, args.seed, &options);
        if args.trace {
            for line in &result.trace.lines {
                println!("{line}");
            }
        }
        println!("{}", report::result_line(&result));
        if let Some(at) = result.stopped_at {
            println!("stopped at virtual time {:.6}s", at.as_secs_f64());
        }
        if args.dump {
            for (name, text) in &result.dump {
                println!("[{name}]");
                for line in text.lines() {
                    println!("  {line}");
                }
            }
            for (name, why) in &result.failing_probes {
                println!("probe {name} FAILS: {why}");
            }
        }
        if !result.passed() {
            failed = true;
            print!("{}", report::failure_report(&result));
        }
    }
    Ok(if failed { 1 } else { 0 })
}
