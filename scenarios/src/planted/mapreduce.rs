//! Deliberately wrong MapReduce implementations, each the lab's coordinator
//! and worker with one known bug, registered through the same
//! [`crate::mapreduce::suite`] as any implementation. The teeth tests
//! (`mapreduce/teeth.rs`) show that the suite catches every one of them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use mapreduce::coordinator::Coordinator;
use mapreduce::files::{
    decode, encode, intermediate_name, output_name, partition_pairs, temp_name,
};
use mapreduce::output::{decode_input, group_by_key, push_line};
use mapreduce::rpc::{GetTaskArgs, TaskDoneArgs, COORDINATOR_NODE, GET_TASK, TASK_DONE};
use mapreduce::{lab, partition, App, Assignment, CoordinatorApi, Effects, JobConfig, JobStats};
use mapreduce::{Lab, MapReduce, TaskId};
use sim::fs;
use sim::rpc::ClientEnd;

/// A coordinator that never re-issues a task, however long it is overdue.
pub struct NeverReissue;

impl MapReduce for NeverReissue {
    type Coordinator = Coordinator;

    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Coordinator> + Send {
        coordinator_reissuing_after(files, n_reduce, Duration::MAX)
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        Lab::worker(app, effects)
    }
}

/// A coordinator that re-issues after 1 s instead of the lab's 10 s.
pub struct ReissueTooEarly;

impl MapReduce for ReissueTooEarly {
    type Coordinator = Coordinator;

    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Coordinator> + Send {
        coordinator_reissuing_after(files, n_reduce, Duration::from_secs(1))
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        Lab::worker(app, effects)
    }
}

async fn coordinator_reissuing_after(
    files: Vec<String>,
    n_reduce: usize,
    reissue_after: Duration,
) -> Coordinator {
    let config = JobConfig {
        n_reduce,
        reissue_after,
        ..JobConfig::default()
    };
    lab::serve(Coordinator::new(files, config)).await
}

/// A coordinator whose `Done()` is true once every task is handed out,
/// before the last ones finish.
pub struct DoneWhenAllIssued;

/// The lab's coordinator with that `Done()`.
pub struct DoneTooSoon(Coordinator);

impl CoordinatorApi for DoneTooSoon {
    fn done(&self) -> bool {
        self.0.table().lock().unwrap().all_issued() // BUG: not `is_done()`
    }

    fn stats(&self) -> Option<JobStats> {
        self.0.stats()
    }

    fn describe(&self) -> Option<String> {
        self.0.describe()
    }
}

impl MapReduce for DoneWhenAllIssued {
    type Coordinator = DoneTooSoon;

    async fn make_coordinator(files: Vec<String>, n_reduce: usize) -> DoneTooSoon {
        DoneTooSoon(lab::make_coordinator(files, n_reduce).await)
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        Lab::worker(app, effects)
    }
}

/// Which bug a [`FlawedWorker`] has.
const IN_PLACE_WRITES: u8 = 1;
const PARTITION_BY_FILE: u8 = 2;
const EXIT_WHEN_IDLE: u8 = 3;
const BOUNDED_BUCKETS: u8 = 4;
const TEN_BUCKETS: u8 = 5;

/// The lab's coordinator with a worker that writes its files in place: no
/// temporary file, no sync, no rename. A crash later loses what it
/// reported done.
pub type InPlaceWrites = FlawedWorker<IN_PLACE_WRITES>;
/// ... with a worker that picks a reduce bucket per input file instead of
/// per key, so one key is reduced by several tasks.
pub type PartitionByFile = FlawedWorker<PARTITION_BY_FILE>;
/// ... with a worker that exits when the coordinator has nothing to hand
/// out right now, although tasks still run and may need re-execution.
pub type ExitWhenIdle = FlawedWorker<EXIT_WHEN_IDLE>;

/// ... with a worker that keeps at most [`BUCKET_CAPACITY`] pairs per
/// intermediate file, a fixed buffer that the small inputs never fill: a
/// bug that shows only at the course's scale.
pub type BoundedBuckets = FlawedWorker<BOUNDED_BUCKETS>;

/// ... with a worker that partitions into the course's `NReduce` (10)
/// buckets, not the `n_reduce` it is handed: every ported step runs with
/// 10, so only a job with another `n_reduce` (the swarm) catches it.
pub type TenBuckets = FlawedWorker<TEN_BUCKETS>;

/// [`BoundedBuckets`]' buffer: the small inputs' maps (at most 5,000 words
/// over 10 buckets) never reach it, a course-sized book's (80,000) does.
const BUCKET_CAPACITY: usize = 4096;

/// The lab's coordinator and a copy of the lab's worker (without the
/// `dst mr` task faults) with bug `FLAW`.
pub struct FlawedWorker<const FLAW: u8>;

impl<const FLAW: u8> MapReduce for FlawedWorker<FLAW> {
    type Coordinator = Coordinator;

    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Coordinator> + Send {
        Lab::make_coordinator(files, n_reduce)
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        flawed_worker::<FLAW>(app, effects)
    }
}

async fn flawed_worker<const FLAW: u8>(app: Arc<dyn App>, effects: Arc<dyn Effects>) {
    let pid = effects.pid();
    let coordinator = ClientEnd::new(COORDINATOR_NODE);
    let wait = JobConfig::default().worker_wait;
    loop {
        let Ok(assignment) = coordinator.call(GET_TASK, &GetTaskArgs { pid }).await else {
            return;
        };
        let task = match assignment {
            Assignment::Exit => return,
            Assignment::Wait if FLAW == EXIT_WHEN_IDLE => return, // BUG
            Assignment::Wait => {
                sleep(wait).await;
                continue;
            }
            Assignment::Map {
                task,
                file,
                n_reduce,
            } => {
                let bytes = fs::read(&file).await.expect("inputs are in place");
                let contents = decode_input(&bytes);
                let pairs = app.map(&*effects, &file, &contents).await;
                let mut buckets = if FLAW == PARTITION_BY_FILE {
                    let mut buckets = vec![Vec::new(); n_reduce];
                    buckets[partition(&file, n_reduce)] = pairs; // BUG: not by key
                    buckets
                } else if FLAW == TEN_BUCKETS {
                    partition_pairs(pairs, 10) // BUG: mrcoordinator.go's constant
                } else {
                    partition_pairs(pairs, n_reduce)
                };
                if FLAW == BOUNDED_BUCKETS {
                    for bucket in &mut buckets {
                        bucket.truncate(BUCKET_CAPACITY); // BUG: the rest is lost
                    }
                }
                for (reduce, bucket) in buckets.iter().enumerate() {
                    let name = intermediate_name(task, reduce);
                    publish::<FLAW>(pid, &name, &encode(bucket)).await;
                }
                TaskId::Map(task)
            }
            Assignment::Reduce { task, n_map } => {
                let mut pairs = Vec::new();
                for map in 0..n_map {
                    let name = intermediate_name(map, task);
                    let bytes = fs::read(&name).await.unwrap_or_else(|error| {
                        panic!(
                            "worker {pid}: {name} unreadable although map {map} is done: {error}"
                        )
                    });
                    pairs.extend(decode(&bytes).expect("whole intermediate files"));
                }
                let mut out = String::new();
                for (key, values) in group_by_key(pairs) {
                    let value = app.reduce(&*effects, &key, &values).await;
                    push_line(&mut out, &key, &value);
                }
                publish::<FLAW>(pid, &output_name(task), out.as_bytes()).await;
                TaskId::Reduce(task)
            }
        };
        let report = TaskDoneArgs { pid, task };
        if coordinator.call::<_, ()>(TASK_DONE, &report).await.is_err() {
            return;
        }
    }
}

/// Makes `data` the content of `name`: whole and durable, unless `FLAW` is
/// [`IN_PLACE_WRITES`].
async fn publish<const FLAW: u8>(pid: u64, name: &str, data: &[u8]) {
    if FLAW == IN_PLACE_WRITES {
        // BUG: written where readers look, never synced.
        let mut file = fs::create(name).await.expect("create");
        file.write_all(data).await.expect("write");
        return;
    }
    let temp = temp_name(name, pid);
    let mut file = fs::create(&temp).await.expect("create");
    file.write_all(data).await.expect("write");
    file.sync_all().await.expect("sync");
    fs::rename(&temp, name).await.expect("rename");
}
