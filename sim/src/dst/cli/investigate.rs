//! `dst shrink SCENARIO --seed N [--out FILE]` and
//! `dst bisect SCENARIO --seed N [--plan FILE]`.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sim::fault::Plan;
use sim::{report, RunOptions, Scenario};

use super::{
    check_output_path, parse_duration_arg, parse_seed_arg, seed_and_plan, selected, usage,
    UsageError,
};
use crate::dst::investigate;

#[derive(Args, Debug)]
pub struct ShrinkArgs {
    /// The scenario (one exact name).
    scenario: String,
    /// The failing seed.
    #[arg(long, value_parser = parse_seed_arg)]
    seed: u64,
    /// Where to write the minimal plan (default: <scenario>-<seed>.plan.json).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BisectArgs {
    /// The scenario (one exact name).
    scenario: String,
    /// The failing seed (taken from the plan with --plan).
    #[arg(long, value_parser = parse_seed_arg, required_unless_present = "plan")]
    seed: Option<u64>,
    /// Replay this fault plan (e.g. one written by `dst shrink`).
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Precision of the search in virtual time.
    #[arg(long, value_parser = parse_duration_arg, default_value = "1ms")]
    resolution: Duration,
}

/// The scenario named exactly `name`: shrink, bisect and timeline take one.
pub(crate) fn one_scenario(name: &str) -> Result<Scenario, UsageError> {
    let chosen = selected(name)?;
    chosen.into_iter().find(|s| s.name == name).ok_or_else(|| {
        usage(format!(
            "{name:?} is not one scenario's name (see `dst list {name}`)"
        ))
    })
}

pub fn shrink(args: ShrinkArgs) -> Result<i32, UsageError> {
    let scenario = one_scenario(&args.scenario)?;
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "{}-{}.plan.json",
            scenario.name.replace('/', "_"),
            args.seed
        ))
    });
    check_output_path("--out", &out)?;
    let failing = sim::run(&scenario, args.seed, &RunOptions::default());
    println!("{}", report::result_line(&failing));
    if failing.passed() {
        eprintln!(
            "dst: {} passes on seed {}: nothing to shrink",
            scenario.name, args.seed
        );
        return Ok(1);
    }
    let shrunk = investigate::shrink(&scenario, &failing, |n, size| {
        eprint!("\rshrink: replay {n} with {size} faults   ");
    });
    eprintln!();
    let shrunk = match shrunk {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dst: {e}");
            return Ok(1);
        }
    };
    shrunk.plan.save(&out).map_err(usage)?;
    println!(
        "shrink: {} → {} faults in {} replays; same failure: {}",
        shrunk.original_faults,
        shrunk.plan.faults.len(),
        shrunk.replays,
        shrunk.plan.signature.as_deref().unwrap_or("")
    );
    for f in &shrunk.plan.faults {
        println!("  {:>12.6}s {}", sim::fault::at(f).as_secs_f64(), f.id);
    }
    println!("minimal plan written to {}", out.display());
    println!(
        "replay: {} run {} --plan {} --trace",
        super::dst_command(),
        scenario.name,
        out.display()
    );
    Ok(0)
}

pub fn bisect(args: BisectArgs) -> Result<i32, UsageError> {
    let scenario = one_scenario(&args.scenario)?;
    let (seed, plan) = seed_and_plan(args.seed, args.plan.as_deref())?;
    if args.resolution.is_zero() {
        return Err(usage("--resolution must be positive"));
    }
    let plan_set = plan.as_ref().map(Plan::fault_set);
    let options = RunOptions {
        plan: plan_set.clone(),
        ..RunOptions::default()
    };
    let failing = sim::run(&scenario, seed, &options);
    println!("{}", report::result_line(&failing));
    if !failing.failed() {
        eprintln!(
            "dst: {} passes on seed {seed}: nothing to bisect",
            scenario.name
        );
        return Ok(1);
    }
    let found = match investigate::bisect(&scenario, &failing, plan_set.as_ref(), args.resolution) {
        Ok(found) => found,
        Err(e) => {
            eprintln!("dst: {e}");
            return Ok(1);
        }
    };
    let t = found.instant.as_secs_f64();
    println!(
        "bisect: the run is first inconsistent at virtual time {t:.6}s; the test noticed at {:.6}s ({} replays)",
        found.noticed.as_secs_f64(),
        found.replays
    );
    if found.probes.is_empty() {
        println!("no probe failed before the test itself failed");
    }
    for (name, why) in &found.probes {
        println!("probe {name} fails: {why}");
    }
    let tail = found.at_instant.trace.tail(report::REPORT_TAIL);
    println!("the {} trace events before it:", tail.len());
    for line in tail {
        println!("  {line}");
    }
    let plan_arg = args
        .plan
        .map(|p| format!(" --plan {}", p.display()))
        .unwrap_or_default();
    let seed_arg = if plan_arg.is_empty() {
        format!(" --seed {seed}")
    } else {
        String::new()
    };
    println!(
        "stop there: {} run {}{seed_arg}{plan_arg} --until {:.6}s --dump",
        super::dst_command(),
        scenario.name,
        t
    );
    Ok(0)
}
