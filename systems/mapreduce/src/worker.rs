//! The worker process: the lab's `mr/worker.go`. Ask the coordinator for a
//! task, run it, publish its files, report it done, until told to exit or
//! until the coordinator is gone.
//!
//! Every file is published by writing a temporary file, syncing it and
//! renaming it into place, so that readers (and the test script) see a
//! whole file or none, and a file reported done survives a later crash of
//! its writer. Two attempts of one task write identical files, so the
//! second rename changes nothing.

use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use sim::rpc::ClientEnd;
use sim::{fs, work};

use crate::app::{App, Effects};
use crate::apps::crash::maybe_crash;
use crate::config::JobConfig;
use crate::files::{decode, encode, intermediate_name, output_name, partition_pairs, temp_name};
use crate::kv::KeyValue;
use crate::output::{decode_input, group_by_key, push_line};
use crate::process::Pid;
use crate::rpc::{GetTaskArgs, TaskDoneArgs, COORDINATOR_NODE, GET_TASK, TASK_DONE};
use crate::task_table::{Assignment, TaskId};

/// Out of 1000: how often `task_faults` crash a worker between publishing a
/// task's files and reporting the task done, and how often they stall it
/// there for `STALL_BEFORE_REPORT_MS`, long enough to pass the re-issue
/// timeout now and then, so that two workers finish the same task.
const CRASH_BEFORE_REPORT: u64 = 100;
const STALL_BEFORE_REPORT: u64 = 200;
const STALL_BEFORE_REPORT_MS: std::ops::Range<u64> = 5_000..15_000;

fn assignment_is_task(assignment: &Assignment) -> bool {
    matches!(
        assignment,
        Assignment::Map { .. } | Assignment::Reduce { .. }
    )
}

pub struct Worker {
    pid: Pid,
    app: Arc<dyn App>,
    effects: Arc<dyn Effects>,
    config: JobConfig,
    coordinator: ClientEnd,
}

impl Worker {
    pub fn new(pid: Pid, app: Arc<dyn App>, effects: Arc<dyn Effects>, config: JobConfig) -> Self {
        assert_eq!(effects.pid(), pid, "the effects belong to another process");
        Worker {
            pid,
            app,
            effects,
            config,
            coordinator: ClientEnd::new(COORDINATOR_NODE),
        }
    }

    /// The lab's `Worker(mapf, reducef)`: returns when the job is done.
    pub async fn run(self) {
        loop {
            let args = GetTaskArgs { pid: self.pid };
            let assignment = match self.coordinator.call(GET_TASK, &args).await {
                Ok(assignment) => assignment,
                Err(error) => {
                    // mrworker's call() dies when it cannot reach the
                    // coordinator: the coordinator has exited, the job is done.
                    tracing::info!(pid = self.pid, %error, "coordinator gone, exiting");
                    return;
                }
            };
            if self.config.task_faults && assignment_is_task(&assignment) {
                maybe_crash(&*self.effects).await;
            }
            let task = match assignment {
                Assignment::Exit => {
                    tracing::info!(pid = self.pid, "told to exit");
                    return;
                }
                Assignment::Wait => {
                    sleep(self.config.worker_wait).await;
                    continue;
                }
                Assignment::Map {
                    task,
                    file,
                    n_reduce,
                } => {
                    self.run_map(task, &file, n_reduce).await;
                    TaskId::Map(task)
                }
                Assignment::Reduce { task, n_map } => {
                    self.run_reduce(task, n_map).await;
                    TaskId::Reduce(task)
                }
            };
            if self.config.task_faults {
                self.fault_before_report().await;
            }
            let report = TaskDoneArgs {
                pid: self.pid,
                task,
            };
            if let Err(error) = self.coordinator.call::<_, ()>(TASK_DONE, &report).await {
                tracing::info!(pid = self.pid, %error, "coordinator gone, exiting");
                return;
            }
        }
    }

    /// `task_faults` between publishing and reporting: the files are in
    /// place, the coordinator does not know yet.
    async fn fault_before_report(&self) {
        let roll = self.effects.random_below(1000);
        if roll < CRASH_BEFORE_REPORT {
            // Returns only if the fault plan switched the crash off.
            self.effects.crash().await;
        } else if roll < STALL_BEFORE_REPORT {
            let span = STALL_BEFORE_REPORT_MS.end - STALL_BEFORE_REPORT_MS.start;
            let stall_ms = STALL_BEFORE_REPORT_MS.start + self.effects.random_below(span);
            sleep(Duration::from_millis(stall_ms)).await;
        }
    }

    /// Map one input file into `mr-<task>-0` .. `mr-<task>-<n_reduce - 1>`,
    /// every one of them written, empty or not, so that a reduce can tell a
    /// missing file (a bug) from an empty bucket.
    async fn run_map(&self, task: usize, file: &str, n_reduce: usize) {
        let bytes = fs::read(file).await.unwrap_or_else(|error| {
            panic!("worker {}: cannot read input {file}: {error}", self.pid)
        });
        let encoded = match self.app.as_pure() {
            Some(pure) => work::own(|| {
                let pairs = pure.map(file, &decode_input(&bytes));
                self.encode_buckets(pairs, n_reduce)
            }),
            None => {
                let contents = work::own(|| decode_input(&bytes));
                let pairs = self.app.map(&*self.effects, file, &contents).await;
                work::own(|| self.encode_buckets(pairs, n_reduce))
            }
        };
        assert_eq!(encoded.len(), n_reduce);
        for (reduce, bytes) in encoded.iter().enumerate() {
            self.publish(&intermediate_name(task, reduce), bytes).await;
        }
    }

    /// A map's pairs as the contents of its `n_reduce` intermediate files.
    fn encode_buckets(&self, pairs: Vec<KeyValue>, n_reduce: usize) -> Vec<Vec<u8>> {
        let buckets = partition_pairs(pairs, n_reduce);
        buckets.iter().map(|bucket| encode(bucket)).collect()
    }

    /// Reduce bucket `task` of all `n_map` map outputs into `mr-out-<task>`.
    async fn run_reduce(&self, task: usize, n_map: usize) {
        let mut pairs = Vec::new();
        for map in 0..n_map {
            let name = intermediate_name(map, task);
            // The coordinator hands out reduces only after every map reported
            // its files renamed and synced: a missing or torn file is a bug.
            let bytes = fs::read(&name).await.unwrap_or_else(|error| {
                panic!(
                    "worker {}: {name} unreadable although map {map} is done: {error}",
                    self.pid
                )
            });
            let decoded = work::own(|| decode(&bytes))
                .unwrap_or_else(|error| panic!("worker {}: {name} is corrupt: {error}", self.pid));
            pairs.extend(decoded);
        }
        let out = match self.app.as_pure() {
            Some(pure) => work::own(|| {
                let mut out = String::new();
                for (key, values) in group_by_key(pairs) {
                    push_line(&mut out, &key, &pure.reduce(&key, &values));
                }
                out
            }),
            None => {
                let mut out = String::new();
                for (key, values) in work::own(|| group_by_key(pairs)) {
                    let value = self.app.reduce(&*self.effects, &key, &values).await;
                    push_line(&mut out, &key, &value);
                }
                out
            }
        };
        self.publish(&output_name(task), out.as_bytes()).await;
    }

    /// Make `data` the content of `name`, whole, durably.
    async fn publish(&self, name: &str, data: &[u8]) {
        let failed = |error: std::io::Error| -> ! {
            panic!("worker {}: cannot write {name}: {error}", self.pid)
        };
        let temp = temp_name(name, self.pid);
        let mut file = fs::create(&temp).await.unwrap_or_else(|e| failed(e));
        file.write_all(data).await.unwrap_or_else(|e| failed(e));
        file.sync_all().await.unwrap_or_else(|e| failed(e));
        fs::rename(&temp, name).await.unwrap_or_else(|e| failed(e));
    }
}
