//! This repository's `dst`: the library's command (`sim::dst`) over every
//! scenario here, plus this project's own subcommands, `mr` (a MapReduce
//! job over real files), `bench` (every suite measured) and `catch` (seeds
//! to catch each planted bug).

mod bench;
mod catch;
mod floor;
mod measured;
mod mr;
mod targets;

use clap::Subcommand;
use sim::dst::Dst;

pub use sim::dst::cli::{
    parse_range_arg, parse_seed_arg, selected, shard, summary, usage, UsageError,
};

/// The subcommands only this repository has.
#[derive(Subcommand, Debug)]
pub enum Project {
    /// Run one MapReduce job over real files in a simulation; write mr-out-*.
    Mr(mr::MrArgs),
    /// Measure every suite: wall and virtual time per seed, speed-up, events and RPCs per second, memory.
    Bench(bench::BenchArgs),
    /// Seeds to catch: how many seeds each planted bug needs before its suite fails.
    Catch(catch::CatchArgs),
    /// (internal) Measure one system for `dst bench`, in its own process.
    #[command(hide = true)]
    BenchOne(bench::BenchOneArgs),
    /// (internal) measures bare madsim's unit costs for `bench`.
    #[command(hide = true)]
    BenchFloor,
}

fn run(command: Project) -> Result<i32, UsageError> {
    match command {
        Project::Mr(args) => mr::mr(args),
        Project::Bench(args) => bench::bench(args),
        Project::BenchOne(args) => bench::bench_one(args),
        Project::BenchFloor => floor::bench_floor(),
        Project::Catch(args) => catch::catch(args),
    }
}

/// This repository's `dst` over `scenarios`: the printed commands are the
/// README's (`cargo run --release --`, the `scenarios` test target).
pub fn dst(scenarios: Vec<sim::Scenario>) -> Dst {
    Dst::new(scenarios)
        .commands(run)
        .command("cargo run --release --")
        .test_command("cargo test -p scenarios --test scenarios")
}
