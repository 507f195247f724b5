//! How a job runs: the lab's constants, and the deliberately wrong variants
//! the scenario suite must catch.

use std::time::Duration;

use crate::task_table::{DEFAULT_N_REDUCE, REISSUE_AFTER};

/// Parameters of one MapReduce job.
#[derive(Clone, Debug)]
pub struct JobConfig {
    /// Reduce tasks (`MakeCoordinator(files, 10)`).
    pub n_reduce: usize,
    /// Re-issue a task not reported done after this long (10 s).
    pub reissue_after: Duration,
    /// mrcoordinator checks `Done()` this often (1 s), and lingers this long
    /// after the job is done before it exits.
    pub done_poll: Duration,
    /// A worker told to wait asks again after this long.
    pub worker_wait: Duration,
    /// Fault injection for `dst mr --crash`: the crash app's `maybeCrash()`
    /// at the start of every task (not every Map or Reduce call, which no
    /// app with thousands of keys would survive), and between publishing a
    /// task's files and reporting it done a 10% crash or a 10% stall of
    /// 5..15 s (past the re-issue timeout: the task is finished twice).
    pub task_faults: bool,
    /// A deliberate bug, compiled only for the suite's self-test.
    #[cfg(feature = "bug-injection")]
    pub injected_bug: Option<InjectedBug>,
}

impl Default for JobConfig {
    fn default() -> Self {
        JobConfig {
            n_reduce: DEFAULT_N_REDUCE,
            reissue_after: REISSUE_AFTER,
            done_poll: Duration::from_secs(1),
            worker_wait: Duration::from_millis(500),
            task_faults: false,
            #[cfg(feature = "bug-injection")]
            injected_bug: None,
        }
    }
}

impl JobConfig {
    /// Whether this job runs with `bug` injected.
    #[cfg(feature = "bug-injection")]
    pub(crate) fn has_bug(&self, bug: InjectedBug) -> bool {
        self.injected_bug == Some(bug)
    }

    #[cfg(not(feature = "bug-injection"))]
    #[inline(always)]
    pub(crate) fn has_bug(&self, _bug: InjectedBug) -> bool {
        false
    }
}

/// Known-wrong variants of the coordinator and worker that the scenarios
/// must catch. (A coordinator that never re-issues, or re-issues too early,
/// is a [`JobConfig::reissue_after`] of `Duration::MAX` or 1 s.)
#[cfg(feature = "bug-injection")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedBug {
    /// The worker writes its files in place: no temporary file, no sync, no
    /// rename. A crash later loses what it reported done.
    InPlaceWrites,
    /// The worker picks a reduce bucket per input file instead of per key,
    /// so one key is reduced by several tasks.
    PartitionByFile,
    /// The worker exits when the coordinator has nothing to hand out right
    /// now, although tasks are still running and may need re-execution.
    ExitWhenIdle,
    /// The coordinator reports done once every task is handed out, before
    /// the last ones finish.
    DoneWhenAllIssued,
}

/// Stand-in for `InjectedBug` when the feature is off, so that call sites
/// compile unchanged and the checks fold away.
#[cfg(not(feature = "bug-injection"))]
#[derive(Clone, Copy)]
pub(crate) enum InjectedBug {
    InPlaceWrites,
    PartitionByFile,
    ExitWhenIdle,
    DoneWhenAllIssued,
}
