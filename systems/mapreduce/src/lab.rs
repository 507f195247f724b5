//! This repository's coordinator and worker as an implementation of the
//! assignment's API, the one the suite registers under `mapreduce/`.

use std::future::Future;
use std::sync::Arc;

use mapreduce_api::{App, Coordinator as CoordinatorApi, Effects, JobStats, MapReduce};

use crate::config::JobConfig;
use crate::coordinator::Coordinator;
use crate::worker::Worker;

/// The lab's coordinator and worker, with the lab's constants.
pub struct Lab;

/// The same with `dst mr --crash`'s task faults ([`JobConfig::task_faults`]):
/// an environment that crashes and stalls workers, not a different design.
pub struct LabWithTaskFaults;

impl MapReduce for Lab {
    type Coordinator = Coordinator;

    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Coordinator> + Send {
        make_coordinator(files, n_reduce)
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        worker(app, effects, JobConfig::default())
    }
}

impl MapReduce for LabWithTaskFaults {
    type Coordinator = Coordinator;

    fn make_coordinator(
        files: Vec<String>,
        n_reduce: usize,
    ) -> impl Future<Output = Coordinator> + Send {
        make_coordinator(files, n_reduce)
    }

    fn worker(app: Arc<dyn App>, effects: Arc<dyn Effects>) -> impl Future<Output = ()> + Send {
        let config = JobConfig {
            task_faults: true,
            ..JobConfig::default()
        };
        worker(app, effects, config)
    }
}

/// `MakeCoordinator(files, n_reduce)` with the lab's other constants,
/// serving on the calling task's node.
pub async fn make_coordinator(files: Vec<String>, n_reduce: usize) -> Coordinator {
    let config = JobConfig {
        n_reduce,
        ..JobConfig::default()
    };
    serve(Coordinator::new(files, config)).await
}

/// Starts `coordinator`'s RPC server on the calling task's node.
pub async fn serve(coordinator: Coordinator) -> Coordinator {
    coordinator
        .serve()
        .await
        .expect("the coordinator's node has its RPC port free");
    coordinator
}

/// `Worker(mapf, reducef)` with `config`: the worker is built at once (not
/// when first polled), the process's pid taken from its effects.
pub fn worker(
    app: Arc<dyn App>,
    effects: Arc<dyn Effects>,
    config: JobConfig,
) -> impl Future<Output = ()> + Send {
    Worker::new(effects.pid(), app, effects, config).run()
}

impl CoordinatorApi for Coordinator {
    fn done(&self) -> bool {
        Coordinator::done(self)
    }

    fn stats(&self) -> Option<JobStats> {
        let stats = self.table().lock().unwrap().stats();
        Some(JobStats {
            map_issues: stats.map_issues,
            reduce_issues: stats.reduce_issues,
            duplicates: stats.duplicates,
        })
    }

    fn describe(&self) -> Option<String> {
        Some(self.table().lock().unwrap().describe())
    }
}
