//! `dst run PATTERN --seed N [--trace] [--until T [--dump]] [--record FILE]`
//! `dst run SCENARIO --plan FILE [--trace]`
//!
//! With `--plan`, exit 125 when the plan no longer applies to the code (a
//! planned fault point was never reached), so that `git bisect run` skips
//! such commits.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sim::fault::{plan_applies, Plan};
use sim::{report, RunOptions, RunResult};

use super::{
    check_output_path, parse_duration_arg, parse_seed_arg, seed_and_plan, selected, usage,
    UsageError,
};

/// Exit status for `git bisect run`: this commit cannot be tested.
pub const PLAN_DOES_NOT_APPLY: i32 = 125;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Scenario name or prefix (`all` for all).
    pattern: String,
    /// The seed (taken from the plan with --plan).
    #[arg(long, value_parser = parse_seed_arg, required_unless_present = "plan")]
    seed: Option<u64>,
    /// Print the whole trace of each run.
    #[arg(long)]
    trace: bool,
    /// Stop at this virtual instant (e.g. 5s, 1500ms).
    #[arg(long, value_parser = parse_duration_arg)]
    until: Option<Duration>,
    /// With --until: print every node's state at that instant.
    #[arg(long, requires = "until")]
    dump: bool,
    /// Write the run's fault plan (the faults that fired) to this file.
    #[arg(long, conflicts_with = "plan")]
    record: Option<PathBuf>,
    /// Replay a recorded fault plan: exactly its faults happen.
    #[arg(long)]
    plan: Option<PathBuf>,
}

pub fn run(args: RunArgs) -> Result<i32, UsageError> {
    let scenarios = selected(&args.pattern)?;
    let (seed, plan) = seed_and_plan(args.seed, args.plan.as_deref())?;
    if plan.is_some() || args.record.is_some() {
        if scenarios.len() != 1 {
            return Err(usage(format!(
                "--plan and --record take one scenario; {:?} selects {}",
                args.pattern,
                scenarios.len()
            )));
        }
        if let Some(p) = &plan {
            if p.scenario != scenarios[0].name {
                return Err(usage(format!(
                    "the plan is for {}, not {}",
                    p.scenario, scenarios[0].name
                )));
            }
        }
    }
    if let Some(path) = &args.record {
        check_output_path("--record", path)?;
    }
    let options = RunOptions {
        until: args.until,
        plan: plan.as_ref().map(Plan::fault_set),
        ..RunOptions::default()
    };
    let mut failed = false;
    // A run cut short by --until says nothing of a suite's total.
    let mut budgets = sim::budget::Budgets::new(
        if args.until.is_some() {
            &[]
        } else {
            &scenarios[..]
        },
        &crate::dst::registry::all(),
    );
    for scenario in &scenarios {
        let result = sim::run(scenario, seed, &options);
        budgets.add(scenario, seed, result.virtual_time);
        print_result(&args, &result);
        if let Some(path) = &args.record {
            let recorded = Plan {
                scenario: scenario.name.to_string(),
                seed,
                faults: result.faults.clone(),
                signature: result.failure().map(|f| f.signature()),
            };
            recorded.save(path).map_err(usage)?;
            println!(
                "recorded {} faults to {}",
                recorded.faults.len(),
                path.display()
            );
        }
        // A run stopped early by --until cannot have reached later faults.
        if let (Some(p), None) = (&plan, result.stopped_at) {
            if !plan_applies(&p.fault_set(), &result.fault_points) {
                eprintln!(
                    "dst: the plan no longer applies: some planned fault points were never reached \
                     (reached: {:?})",
                    result.fault_points
                );
                return Ok(PLAN_DOES_NOT_APPLY);
            }
        }
        // Stopped by --until: "bad" when the state is already inconsistent
        // there, so that `git bisect run ... --until T` asks "is the state
        // at T consistent?".
        failed |= result.failed() || !result.failing_probes.is_empty();
    }
    failed |= super::print_budgets(&budgets);
    Ok(if failed { 1 } else { 0 })
}

fn print_result(args: &RunArgs, result: &RunResult) {
    if args.trace {
        for line in &result.trace.lines {
            println!("{line}");
        }
    }
    println!("{}", report::result_line(result));
    if args.dump {
        for (name, text) in &result.dump {
            println!("[{name}]");
            for line in text.lines() {
                println!("  {line}");
            }
        }
        if result.dump.is_empty() {
            println!("(this scenario registers no state inspector)");
        }
        for (name, why) in &result.failing_probes {
            println!("probe {name} FAILS: {why}");
        }
    }
    if result.failed() {
        print!("{}", report::failure_report(result));
    }
}
