//! `dst timeline SCENARIO --seed N --out FILE.html [--plan FILE]`

use std::path::PathBuf;

use clap::Args;
use sim::fault::Plan;
use sim::{report, RunOptions};

use super::investigate::one_scenario;
use super::{check_output_path, parse_seed_arg, seed_and_plan, usage, UsageError};

#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// The scenario (one exact name).
    scenario: String,
    /// The seed (taken from the plan with --plan).
    #[arg(long, value_parser = parse_seed_arg, required_unless_present = "plan")]
    seed: Option<u64>,
    /// Replay this fault plan.
    #[arg(long)]
    plan: Option<PathBuf>,
    /// The HTML file to write.
    #[arg(long)]
    out: PathBuf,
}

pub fn timeline(args: TimelineArgs) -> Result<i32, UsageError> {
    let scenario = one_scenario(&args.scenario)?;
    check_output_path("--out", &args.out)?;
    let (seed, plan) = seed_and_plan(args.seed, args.plan.as_deref())?;
    let options = RunOptions {
        plan: plan.as_ref().map(Plan::fault_set),
        ..RunOptions::default()
    };
    let result = sim::run(&scenario, seed, &options);
    println!("{}", report::result_line(&result));
    let html = crate::dst::timeline::render(&result);
    let temp = args.out.with_extension("html.partial");
    std::fs::write(&temp, html)
        .and_then(|()| std::fs::rename(&temp, &args.out))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temp);
            usage(format!("cannot write {}: {e}", args.out.display()))
        })?;
    println!("timeline written to {}", args.out.display());
    Ok(0)
}
