//! The HW3 MapReduce assignment's API, and nothing more: what the course's
//! test script (`test-mr.sh`, `test-mr-app.sh`, ported in `scenarios`) needs
//! from *any* coordinator and worker.
//!
//! A student implements [`MapReduce`] for a type of their own; the suite
//! registers the eight steps under a name prefix for that type. What the lab
//! gives a student, and where it is here:
//!
//! | Go (6.824 Lab 1 / CS350 HW3)                  | here                                  |
//! |-----------------------------------------------|---------------------------------------|
//! | `mr.MakeCoordinator(files, nReduce)`          | [`MapReduce::make_coordinator`]       |
//! | `c.Done()`                                    | [`Coordinator::done`]                 |
//! | `mr.Worker(mapf, reducef)`                    | [`MapReduce::worker`]                 |
//! | `mapf`, `reducef` loaded from `<app>.so`      | [`App`] (with the [`Effects`] it may use) |
//! | `KeyValue`, `ihash`                           | [`KeyValue`], [`ihash`]               |
//! | `coordinatorSock()`                           | [`COORDINATOR_NODE`]                  |
//! | RPC over a Unix socket, files in the cwd      | `sim::rpc`, `sim::fs`                 |
//!
//! The applications (wc, indexer, the timing, crash, jobcount and
//! early_exit probes, credit) and `mrcoordinator.go`'s main loop (poll
//! `Done()` every second, linger a second, exit) are the tester's.
//!
//! Showing internals is optional: a coordinator that reports its task
//! counts ([`Coordinator::stats`]) gets the suite's extra checks (each map
//! issued once in jobcount, one extra hand-out per crash) and the counts in
//! the result line; one that does not still gets every check of the script.

pub mod app;
pub mod kv;

use std::future::Future;
use std::sync::Arc;

pub use app::{App, BoxFuture, Effects, PureApp};
pub use kv::{ihash, partition, KeyValue};

/// The node the coordinator runs on: workers reach it with
/// `sim::rpc::ClientEnd::new(COORDINATOR_NODE)` (the lab's
/// `coordinatorSock()`). When the coordinator process exits the node comes
/// back empty, so calls to it fail, as on a closed socket.
pub const COORDINATOR_NODE: &str = "coordinator";

/// One MapReduce implementation: its coordinator and its worker.
pub trait MapReduce: 'static {
    type Coordinator: Coordinator;

    /// `MakeCoordinator(files, nReduce)`, called from a task on
    /// [`COORDINATOR_NODE`]: start serving RPCs there (a `sim::rpc::Server`,
    /// `.start().await`) and any background tasks (`madsim::task::spawn`,
    /// on this node), then return. `files` are the input files' names in
    /// the shared directory (`sim::fs`), one map task each; the output of
    /// reduce task `r` of `n_reduce` goes to `mr-out-<r>`.
    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Self::Coordinator> + Send;

    /// `Worker(mapf, reducef)`, the body of one `mrworker` process, run as a
    /// task on the worker's own node: ask the coordinator for tasks, run
    /// `app`'s Map and Reduce with `effects`, write files with `sim::fs`,
    /// and return when the job is done. `effects` is the process the tester
    /// started: its pid, and the crash, sleep and files the test apps use.
    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send;
}

/// A running coordinator, as `mrcoordinator.go` sees it. The tester keeps
/// the handle after the coordinator process exits, to read its stats.
pub trait Coordinator: Send + Sync + 'static {
    /// `Done()`: true once the whole job is finished (every reduce output
    /// in place); `mrcoordinator` polls it every second and exits a second
    /// after it first says true.
    fn done(&self) -> bool;

    /// Optional: how many times tasks were handed out so far. `None` (the
    /// default) skips the checks and result-line fields that need it.
    fn stats(&self) -> Option<JobStats> {
        None
    }

    /// Optional: the coordinator's task state as text, for `dst run
    /// --dump` and failure reports.
    fn describe(&self) -> Option<String> {
        None
    }
}

/// A coordinator's hand-out counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobStats {
    /// Map tasks handed out, re-issues included.
    pub map_issues: u64,
    /// Reduce tasks handed out, re-issues included.
    pub reduce_issues: u64,
    /// Completion reports ignored because the task was already done.
    pub duplicates: u64,
}
