//! The test script's verbs on a simulated cluster: put the inputs in the
//! shared directory, start the coordinator, start workers (again), wait for
//! processes, read the output. Scenarios and `dst mr` are written in these,
//! for any implementation of the API ([`MapReduce`]); `mrcoordinator.go`'s
//! main loop is here, since it is the tester's, not the implementation's.

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::select_all;
use madsim::task::JoinHandle;
use madsim::time::sleep;
use mapreduce_api::{Coordinator, JobStats, MapReduce, COORDINATOR_NODE};
use sim::{fs, node};

use crate::app::App;
use crate::files::OUTPUT_PREFIX;
use crate::output::decode_input;
use crate::process::{Pid, ProcessTable};
use crate::sim_effects::SimEffects;

/// `mrcoordinator` checks `Done()` this often, and lingers this long after
/// the job is done before it exits.
const DONE_POLL: Duration = Duration::from_secs(1);

/// One job's processes and files, as seen from the harness, for
/// implementation `M`.
pub struct Cluster<M: MapReduce> {
    n_reduce: usize,
    processes: Arc<ProcessTable>,
    coordinator_pid: Arc<OnceLock<Pid>>,
    /// Set once `MakeCoordinator` has returned.
    coordinator: Arc<OnceLock<Arc<M::Coordinator>>>,
    implementation: PhantomData<fn() -> M>,
}

impl<M: MapReduce> Clone for Cluster<M> {
    fn clone(&self) -> Self {
        Cluster {
            n_reduce: self.n_reduce,
            processes: self.processes.clone(),
            coordinator_pid: self.coordinator_pid.clone(),
            coordinator: self.coordinator.clone(),
            implementation: PhantomData,
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It returned from its main function.
    Normal,
    /// Its node went down under it.
    Crashed,
}

/// A started process, to wait for.
#[derive(Debug)]
pub struct Process {
    pid: Pid,
    node: String,
    handle: JoinHandle<()>,
    processes: Arc<ProcessTable>,
}

impl Process {
    pub fn pid(&self) -> Pid {
        self.pid
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// The shell's `wait $pid`.
    pub async fn wait(mut self) -> Exit {
        // Ok: the task returned; Err: it was dropped with its node.
        let _ = (&mut self.handle).await;
        self.exit()
    }

    fn exit(&self) -> Exit {
        if self.processes.exited_normally(self.pid) {
            Exit::Normal
        } else {
            Exit::Crashed
        }
    }
}

/// The shell's `wait -n`: waits until one of `processes` ends, removes it
/// and returns it with how it ended.
pub async fn wait_any(processes: &mut Vec<Process>) -> (Process, Exit) {
    assert!(!processes.is_empty(), "wait -n with no process to wait for");
    let handles = processes.iter_mut().map(|process| &mut process.handle);
    let (_, index, _) = select_all(handles).await;
    let process = processes.remove(index);
    let exit = process.exit();
    (process, exit)
}

impl<M: MapReduce> Cluster<M> {
    /// A job with `n_reduce` reduce tasks (`MakeCoordinator(files, n_reduce)`).
    pub fn new(n_reduce: usize) -> Self {
        Cluster {
            n_reduce,
            processes: Arc::new(ProcessTable::default()),
            coordinator_pid: Arc::new(OnceLock::new()),
            coordinator: Arc::new(OnceLock::new()),
            implementation: PhantomData,
        }
    }

    pub fn n_reduce(&self) -> usize {
        self.n_reduce
    }

    pub fn processes(&self) -> &Arc<ProcessTable> {
        &self.processes
    }

    /// Write the input files into the shared directory, durably.
    pub async fn put_inputs(&self, files: &[(String, Vec<u8>)]) -> std::io::Result<()> {
        for (name, bytes) in files {
            let mut file = fs::create(name).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
        }
        Ok(())
    }

    /// `mrcoordinator <inputs>` in the background, on node `coordinator`:
    /// `MakeCoordinator`, then poll `Done()` every second, linger a second
    /// (so that workers asking now are told to exit) and exit. When it
    /// returns, the process is gone: its node comes back empty, with no RPC
    /// server, so workers calling it fail as on a closed socket. (A restart
    /// rather than a crash: an exit is not an injected fault.)
    pub fn start_coordinator(&self, inputs: Vec<String>) -> Process {
        node::create(COORDINATOR_NODE);
        let pid = self.processes.register(COORDINATOR_NODE);
        let first = self.coordinator_pid.set(pid).is_ok();
        assert!(first, "one coordinator per job");
        let processes = self.processes.clone();
        let n_reduce = self.n_reduce;
        let shared = self.coordinator.clone();
        let handle = node::spawn(COORDINATOR_NODE, async move {
            let coordinator = Arc::new(M::make_coordinator(inputs, n_reduce).await);
            assert!(
                shared.set(coordinator.clone()).is_ok(),
                "one coordinator per job"
            );
            while !coordinator.done() {
                sleep(DONE_POLL).await;
            }
            sleep(DONE_POLL).await;
            processes.mark_exited(pid);
            tracing::info!(pid, "coordinator exits");
            node::stop(COORDINATOR_NODE);
        });
        self.process(pid, COORDINATOR_NODE, handle)
    }

    /// `mrworker <app>` on node `node_name`: a fresh incarnation of the node
    /// (created on first use), so a new process with a new pid.
    pub fn start_worker(&self, node_name: &str, app: Arc<dyn App>) -> Process {
        assert_ne!(node_name, COORDINATOR_NODE);
        if node::names().iter().any(|name| name == node_name) {
            let running = self.processes.running_on(node_name);
            assert!(running.is_none(), "{node_name} still runs pid {running:?}");
            node::restart(node_name);
        } else {
            node::create(node_name);
        }
        let pid = self.processes.register(node_name);
        let effects = Arc::new(SimEffects::new(pid, node_name, self.processes.clone()));
        let worker = M::worker(app, effects);
        let processes = self.processes.clone();
        let handle = node::spawn(node_name, async move {
            worker.await;
            processes.mark_exited(pid);
        });
        tracing::info!(pid, node = node_name, "worker starts");
        self.process(pid, node_name, handle)
    }

    fn process(&self, pid: Pid, node_name: &str, handle: JoinHandle<()>) -> Process {
        Process {
            pid,
            node: node_name.to_string(),
            handle,
            processes: self.processes.clone(),
        }
    }

    /// Whether the coordinator has exited (the crash test's `mr-done`).
    pub fn coordinator_exited(&self) -> bool {
        let pid = self
            .coordinator_pid
            .get()
            .expect("no coordinator was started");
        !self.processes.is_alive(*pid)
    }

    /// The coordinator, once `MakeCoordinator` has returned.
    pub fn coordinator(&self) -> Option<&Arc<M::Coordinator>> {
        self.coordinator.get()
    }

    /// The coordinator's hand-out counts, if it shows them.
    pub fn stats(&self) -> Option<JobStats> {
        self.coordinator()?.stats()
    }

    /// The coordinator's task state as text, for inspectors.
    pub fn describe(&self) -> String {
        match self.coordinator() {
            None => "the coordinator has not started yet".to_string(),
            Some(coordinator) => coordinator
                .describe()
                .unwrap_or_else(|| "the coordinator does not describe its state".to_string()),
        }
    }

    /// Every file matching the script's `mr-out*`, by name.
    pub async fn outputs(&self) -> std::io::Result<Vec<(String, String)>> {
        let mut outputs = Vec::new();
        for name in fs::list(OUTPUT_PREFIX).await? {
            let bytes = fs::read(&name).await?;
            outputs.push((name, decode_input(&bytes)));
        }
        Ok(outputs)
    }
}
