//! How a job runs: the lab's constants.

use std::time::Duration;

use crate::task_table::{DEFAULT_N_REDUCE, REISSUE_AFTER};

/// Parameters of one MapReduce job, for this repository's coordinator and
/// worker.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// Reduce tasks (`MakeCoordinator(files, 10)`).
    pub n_reduce: usize,
    /// Re-issue a task not reported done after this long (10 s).
    pub reissue_after: Duration,
    /// A worker told to wait asks again after this long.
    pub worker_wait: Duration,
    /// Fault injection for `dst mr --crash`: the crash app's `maybeCrash()`
    /// at the start of every task (not every Map or Reduce call, which no
    /// app with thousands of keys would survive), and between publishing a
    /// task's files and reporting it done a 10% crash or a 10% stall of
    /// 5..15 s (past the re-issue timeout: the task is finished twice).
    pub task_faults: bool,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            n_reduce: DEFAULT_N_REDUCE,
            reissue_after: REISSUE_AFTER,
            worker_wait: Duration::from_millis(500),
            task_faults: false,
        }
    }
}
