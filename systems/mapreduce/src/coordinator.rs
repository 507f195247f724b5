//! The coordinator process: the lab's `mr/coordinator.go`, an RPC server over
//! the [`TaskTable`]. (`mrcoordinator.go`, which polls `Done()`, is the
//! tester's: see [`crate::cluster`].)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use madsim::time::Instant;
use sim::rpc::Server;

use crate::config::JobConfig;
use crate::rpc::{GetTaskArgs, TaskDoneArgs, GET_TASK, TASK_DONE};
use crate::task_table::{Assignment, Completion, TaskTable};

/// The coordinator's state, shared by its RPC handlers. Through the API
/// ([`crate::lab`]) it also shows the tester its counts and task table.
#[derive(Clone)]
pub struct Coordinator {
    table: Arc<Mutex<TaskTable>>,
    /// Whether `done()` has said true (and logged the job's figures) yet.
    reported_done: Arc<AtomicBool>,
}

impl Coordinator {
    /// `MakeCoordinator(files, nReduce)`, without starting the server.
    pub fn new(files: Vec<String>, config: JobConfig) -> Self {
        let table = TaskTable::new(files, config.n_reduce, config.reissue_after);
        Coordinator {
            table: Arc::new(Mutex::new(table)),
            reported_done: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn table(&self) -> Arc<Mutex<TaskTable>> {
        self.table.clone()
    }

    /// The lab's `Done()`. The first time it says true it logs the job's
    /// figures: `mrcoordinator` exits a second later, so that is the
    /// coordinator's last word.
    pub fn done(&self) -> bool {
        let table = self.table.lock().unwrap();
        let done = table.is_done();
        if done && !self.reported_done.swap(true, Ordering::Relaxed) {
            let stats = table.stats();
            tracing::info!(
                map_issues = stats.map_issues,
                reduce_issues = stats.reduce_issues,
                duplicates = stats.duplicates,
                "job done"
            );
        }
        done
    }

    /// Start answering RPCs on the calling task's node. Times passed to the
    /// table are virtual time since this call.
    pub async fn serve(&self) -> std::io::Result<()> {
        let started = Instant::now();
        let assign_table = self.table.clone();
        let complete_table = self.table.clone();
        Server::new()
            .add(GET_TASK, move |args: GetTaskArgs| {
                let assignment = assign_table.lock().unwrap().assign(started.elapsed());
                trace_assignment(args.pid, &assignment);
                std::future::ready(assignment)
            })
            .add(TASK_DONE, move |args: TaskDoneArgs| {
                let completion = complete_table
                    .lock()
                    .unwrap()
                    .complete(args.task, started.elapsed());
                match completion {
                    Completion::Accepted => {
                        tracing::info!(pid = args.pid, task = ?args.task, "task done")
                    }
                    ignored => {
                        tracing::info!(pid = args.pid, task = ?args.task, ?ignored, "report ignored")
                    }
                }
                std::future::ready(())
            })
            .start()
            .await
    }
}

fn trace_assignment(pid: u64, assignment: &Assignment) {
    match assignment {
        Assignment::Map { task, file, .. } => tracing::info!(pid, task, file = %file, "assign map"),
        Assignment::Reduce { task, .. } => tracing::info!(pid, task, "assign reduce"),
        Assignment::Wait => tracing::debug!(pid, "wait"),
        Assignment::Exit => tracing::info!(pid, "exit"),
    }
}
