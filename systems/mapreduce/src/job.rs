//! One MapReduce job on caller-supplied files, in a simulation of its own:
//! what `dst mr` runs. The files are copied into the simulated shared
//! directory, a coordinator and workers process them, and the `mr-out-*`
//! files come back. With `crash`, workers fail the way the crash app makes
//! them fail (exit 33%, stall up to 10 s 33%), at the start of every task
//! rather than every call, plus now and then between publishing a task's
//! files and reporting it, where they may also stall past the re-issue
//! timeout; a crashed worker is restarted a second later, as in test-mr.sh.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use madsim::time::sleep;

use crate::app::App;
use crate::apps;
use crate::cluster::{Cluster, Exit};
use crate::lab::{Lab, LabWithTaskFaults};
use crate::process::ProcessTable;
use crate::sequential::sequential;
use crate::sim_effects::SimEffects;
use mapreduce_api::MapReduce;

/// The script's `sleep 1` after starting the coordinator, and between
/// restarts of a crashed worker.
const PAUSE: Duration = Duration::from_secs(1);
/// Virtual time after which a job is declared stuck (the script's 180 s
/// timeout would cut short a job over the 3 MB Gutenberg texts with crashes).
const VIRTUAL_TIME_LIMIT: Duration = Duration::from_secs(3600);

/// What to run.
#[derive(Clone, Debug)]
pub struct JobSpec {
    /// A registered application name (see [`apps::NAMES`]).
    pub app: String,
    /// Input files: the name Map sees (also its name in the shared
    /// directory) and the contents.
    pub files: Vec<(String, Vec<u8>)>,
    pub workers: usize,
    pub n_reduce: usize,
    pub seed: u64,
    pub crash: bool,
}

/// What a job produced.
#[derive(Clone, Debug)]
pub struct JobOutput {
    /// Every `mr-out-*` file, by name.
    pub files: BTreeMap<String, Vec<u8>>,
    pub virtual_time: Duration,
    pub map_issues: u64,
    pub reduce_issues: u64,
    /// Completion reports ignored because another worker finished first.
    pub duplicates: u64,
    pub crashes: u64,
}

/// Why a job did not run or did not finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobError {
    /// The request itself is wrong (unknown app, bad counts, bad names).
    Invalid(String),
    /// The simulation failed: a panic, or the job never finished.
    Failed(String),
}

impl fmt::Display for JobError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobError::Invalid(message) => write!(formatter, "invalid job: {message}"),
            JobError::Failed(message) => write!(formatter, "job failed: {message}"),
        }
    }
}

impl std::error::Error for JobError {}

/// Check a job before running it: nothing here depends on the simulation.
pub fn validate(spec: &JobSpec) -> Result<Arc<dyn App>, JobError> {
    let invalid = |message: String| Err(JobError::Invalid(message));
    let Some(app) = apps::by_name(&spec.app) else {
        return invalid(format!(
            "unknown application {:?}; known: {}",
            spec.app,
            apps::NAMES.join(", ")
        ));
    };
    if spec.workers == 0 {
        return invalid("at least one worker is needed".into());
    }
    if spec.n_reduce == 0 {
        return invalid("at least one reduce task is needed".into());
    }
    let mut seen = BTreeMap::new();
    for (name, _) in &spec.files {
        let clean = !name.is_empty() && !name.contains(['/', '\0']) && name != "." && name != "..";
        if !clean {
            return invalid(format!("input name {name:?} is not a plain file name"));
        }
        // The job's own files live in the same directory.
        if name.starts_with("mr-") || name.starts_with("tmp-") {
            return invalid(format!(
                "input name {name:?} collides with the job's files (mr-*, tmp-*)"
            ));
        }
        if seen.insert(name.as_str(), ()).is_some() {
            return invalid(format!("two inputs are named {name:?}"));
        }
    }
    Ok(app)
}

/// Run the job distributed: a coordinator and `workers` workers.
pub fn run_real(spec: JobSpec) -> Result<JobOutput, JobError> {
    let app = validate(&spec)?;
    let seed = spec.seed;
    if spec.crash {
        in_simulation(seed, move || distributed::<LabWithTaskFaults>(spec, app))
    } else {
        in_simulation(seed, move || distributed::<Lab>(spec, app))
    }
}

/// Run the job the way `mrsequential` does: every Map, then every Reduce,
/// in one process. Returns its `mr-out-0`.
pub fn run_sequential(spec: JobSpec) -> Result<Vec<u8>, JobError> {
    let app = validate(&spec)?;
    let seed = spec.seed;
    in_simulation(seed, move || async move {
        let inputs: Vec<(String, String)> = spec
            .files
            .iter()
            .map(|(name, bytes)| (name.clone(), crate::output::decode_input(bytes)))
            .collect();
        // Apps that sleep or look at files need a process to run in.
        sim::node::create("sequential");
        let processes = Arc::new(ProcessTable::default());
        let pid = processes.register("sequential");
        let effects = SimEffects::new(pid, "sequential", processes);
        let output = sim::node::spawn("sequential", async move {
            sequential(&*app, &effects, &inputs).await
        })
        .await
        .map_err(|_| "the sequential process crashed".to_string())?;
        Ok(output.into_bytes())
    })
}

async fn distributed<M: MapReduce>(spec: JobSpec, app: Arc<dyn App>) -> Result<JobOutput, String> {
    let cluster = Cluster::<M>::new(spec.n_reduce);
    cluster
        .put_inputs(&spec.files)
        .await
        .map_err(|error| format!("cannot store the inputs: {error}"))?;
    let names = spec.files.iter().map(|(name, _)| name.clone()).collect();
    let coordinator = cluster.start_coordinator(names);
    sleep(PAUSE).await;
    let workers = (1..=spec.workers).map(|index| {
        let cluster = cluster.clone();
        let app = app.clone();
        async move {
            let node = format!("worker-{index}");
            // A worker that exits normally is done; one that crashed is
            // restarted a second later while the coordinator runs.
            while !cluster.coordinator_exited() {
                let exit = cluster.start_worker(&node, app.clone()).wait().await;
                if exit == Exit::Normal {
                    break;
                }
                sleep(PAUSE).await;
            }
        }
    });
    join_all(workers).await;
    if coordinator.wait().await != Exit::Normal {
        return Err("the coordinator crashed".into());
    }
    let outputs = cluster
        .outputs()
        .await
        .map_err(|error| format!("cannot read the output: {error}"))?;
    let stats = cluster.stats().unwrap_or_default();
    Ok(JobOutput {
        files: outputs
            .into_iter()
            .map(|(name, text)| (name, text.into_bytes()))
            .collect(),
        virtual_time: madsim::time::TimeHandle::current().elapsed(),
        map_issues: stats.map_issues,
        reduce_issues: stats.reduce_issues,
        duplicates: stats.duplicates,
        crashes: cluster.processes().crashes(),
    })
}

/// Run `job` in a fresh madsim runtime seeded with `seed`, on a thread of
/// its own (madsim seeds std's hasher once per thread), with the same
/// simulators as a scenario run.
fn in_simulation<F, Fut, T>(seed: u64, job: F) -> Result<T, JobError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, String>> + 'static,
    T: Send + 'static,
{
    let thread = std::thread::Builder::new()
        .name(format!("mr-job#{seed}"))
        .stack_size(64 << 20)
        .spawn(move || {
            panic::catch_unwind(AssertUnwindSafe(|| {
                sim::runner::runtime(seed, VIRTUAL_TIME_LIMIT).block_on(job())
            }))
        })
        .map_err(|error| JobError::Failed(format!("cannot start a thread: {error}")))?;
    match thread.join() {
        Ok(Ok(Ok(output))) => Ok(output),
        Ok(Ok(Err(message))) => Err(JobError::Failed(message)),
        Ok(Err(payload)) | Err(payload) => Err(JobError::Failed(panic_text(&payload))),
    }
}

fn panic_text(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic without a message".to_string())
}
