//! HW3 MapReduce (MIT 6.824 Lab 1 plus the CS350 "credit" application).
//!
//! Layout, pure parts first:
//! - [`kv`]: the intermediate pair and `ihash` partitioning.
//! - [`app`]: the application traits and the [`app::Effects`] a worker lends
//!   to applications that sleep, crash or look at files.
//! - [`apps`]: wc, indexer, credit and the test applications, by name.
//! - [`files`]: file names (`mr-X-Y`, `mr-out-Y`) and the intermediate format.
//! - [`output`]: the `mr-out-*` line format and the sorted comparison.
//! - [`sequential`]: `mrsequential`, the reference output.
//! - [`task_table`]: the coordinator's task bookkeeping, a pure state machine.
//! - [`testdata`]: seeded input generators (text corpus, credit CSVs).
//!
//! The simulated shell, on `sim`:
//! - [`rpc`]: the coordinator's RPC interface.
//! - [`coordinator`], [`worker`]: the two programs, as async tasks on nodes.
//! - [`process`], [`sim_effects`]: pids, liveness, and the effects lent to apps.
//! - [`cluster`]: the test script's verbs (start, wait, read the output).
//! - [`job`]: one job on given files in a simulation of its own (`dst mr`).
//! - [`config`]: the lab's constants and the injected bugs for self-tests.

pub mod app;
pub mod apps;
pub mod cluster;
pub mod config;
pub mod coordinator;
pub mod files;
pub mod job;
pub mod kv;
pub mod output;
pub mod process;
pub mod rpc;
pub mod sequential;
pub mod sim_effects;
pub mod task_table;
pub mod testdata;
pub mod worker;

pub use app::{App, BoxFuture, Effects, PureApp};
pub use cluster::{Cluster, Exit, Process};
#[cfg(feature = "bug-injection")]
pub use config::InjectedBug;
pub use config::JobConfig;
pub use kv::{ihash, partition, KeyValue};
pub use sequential::{sequential, sequential_pure, Input};
pub use task_table::{Assignment, Completion, TaskId, TaskTable};

#[cfg(test)]
mod fake_effects;
