//! [`Effects`] for an application running in a simulated worker process:
//! virtual time, the run's seeded randomness, the shared simulated
//! filesystem, and a crash that takes down the worker's node.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use sim::fs;
use sim::rand::Rng;

use crate::app::{BoxFuture, Effects};
use crate::process::{Pid, ProcessTable};

pub struct SimEffects {
    pid: Pid,
    node: String,
    processes: Arc<ProcessTable>,
}

impl SimEffects {
    pub fn new(pid: Pid, node: &str, processes: Arc<ProcessTable>) -> Self {
        SimEffects {
            pid,
            node: node.to_string(),
            processes,
        }
    }
}

impl Effects for SimEffects {
    fn pid(&self) -> u64 {
        self.pid
    }

    fn now_secs(&self) -> f64 {
        madsim::time::TimeHandle::current().elapsed().as_secs_f64()
    }

    fn random_below(&self, bound: u64) -> u64 {
        assert!(bound > 0, "random_below(0) has no value to return");
        sim::rand::rng().gen_range(0..bound)
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        Box::pin(madsim::time::sleep(duration))
    }

    fn crash(&self) -> BoxFuture<'_, ()> {
        let generation = sim::node::generation(&self.node);
        // Drops every task of the node, this one included once it yields,
        // and loses the node's unsynced writes.
        sim::node::crash(&self.node);
        if sim::node::generation(&self.node) == generation {
            tracing::info!(pid = self.pid, "crash switched off by the fault plan");
            return Box::pin(std::future::ready(()));
        }
        tracing::info!(pid = self.pid, node = %self.node, "worker exits abruptly");
        self.processes.count_crash();
        Box::pin(std::future::pending())
    }

    fn is_alive(&self, pid: u64) -> bool {
        self.processes.is_alive(pid)
    }

    /// `ioutil.WriteFile`, made durable so that a marker outlives a crash of
    /// its writer the way a file outlives `os.Exit`.
    fn write_file<'a>(&'a self, name: &'a str, data: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(async move {
            let mut file = fs::create(name).await?;
            file.write_all(data).await?;
            file.sync_all().await
        })
    }

    fn remove_file<'a>(&'a self, name: &'a str) -> BoxFuture<'a, io::Result<()>> {
        Box::pin(fs::remove(name))
    }

    fn list_files(&self) -> BoxFuture<'_, io::Result<Vec<String>>> {
        Box::pin(fs::list(""))
    }
}
