//! HW3 MapReduce (MIT 6.824 Lab 1 plus the CS350 "credit" application).
//!
//! Layout, pure parts first:
//! - [`kv`], [`app`]: the intermediate pair, `ihash` partitioning and the
//!   application traits, from [`mapreduce_api`] (the assignment's API).
//! - [`apps`]: wc, indexer, credit and the test applications, by name.
//! - [`files`]: file names (`mr-X-Y`, `mr-out-Y`) and the intermediate format.
//! - [`output`]: the `mr-out-*` line format and the sorted comparison.
//! - [`sequential`]: `mrsequential`, the reference output.
//! - [`task_table`]: the coordinator's task bookkeeping, a pure state machine.
//! - [`testdata`]: seeded input generators (text corpus, credit CSVs).
//!
//! The simulated shell, on `sim`:
//! - [`rpc`]: the coordinator's RPC interface.
//! - [`coordinator`], [`worker`]: the two programs, as async tasks on nodes;
//!   [`Lab`] is them as an implementation of [`mapreduce_api::MapReduce`].
//! - [`process`], [`sim_effects`]: pids, liveness, and the effects lent to apps.
//! - [`cluster`]: the test script's verbs (start, wait, read the output), for
//!   any implementation of the API.
//! - [`job`]: one job on given files in a simulation of its own (`dst mr`).
//! - [`config`]: the lab's constants.

pub mod apps;
pub mod cluster;
pub mod config;
pub mod coordinator;
pub mod files;
pub mod job;
pub mod lab;
pub mod output;
pub mod process;
pub mod rpc;
pub mod sequential;
pub mod sim_effects;
pub mod task_table;
pub mod testdata;
pub mod worker;

pub use cluster::{Cluster, Exit, Process};
pub use config::JobConfig;
pub use lab::{Lab, LabWithTaskFaults};
pub use mapreduce_api::{app, kv};
pub use mapreduce_api::{
    ihash, partition, App, BoxFuture, Coordinator as CoordinatorApi, Effects, JobStats, KeyValue,
    MapReduce, PureApp,
};
pub use sequential::{sequential, sequential_pure, Input};
pub use task_table::{Assignment, Completion, TaskId, TaskTable};

#[cfg(test)]
mod fake_effects;
