//! The coordinator's RPC interface (the lab's `mr/rpc.go`).

use serde::{Deserialize, Serialize};

use crate::task_table::TaskId;

/// Ask for work; the reply is an [`crate::Assignment`].
pub const GET_TASK: &str = "Coordinator.GetTask";
/// Report a task finished, its files in place; the reply is `()`.
pub const TASK_DONE: &str = "Coordinator.TaskDone";
/// The node the coordinator runs on (the API's, like the lab's
/// `coordinatorSock()`).
pub use mapreduce_api::COORDINATOR_NODE;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GetTaskArgs {
    /// The asking worker process, for the coordinator's trace.
    pub pid: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TaskDoneArgs {
    pub pid: u64,
    pub task: TaskId,
}
