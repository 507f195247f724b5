//! The test script's verbs on a simulated cluster: put the inputs in the
//! shared directory, start the coordinator, start workers (again), wait for
//! processes, read the output. Scenarios and `dst mr` are written in these.

use std::sync::{Arc, Mutex, OnceLock};

use futures::future::select_all;
use madsim::task::JoinHandle;
use sim::{fs, node};

use crate::app::App;
use crate::config::JobConfig;
use crate::coordinator::Coordinator;
use crate::files::OUTPUT_PREFIX;
use crate::output::decode_input;
use crate::process::{Pid, ProcessTable};
use crate::rpc::COORDINATOR_NODE;
use crate::sim_effects::SimEffects;
use crate::task_table::TaskTable;
use crate::worker::Worker;

/// One job's processes and files, as seen from the harness.
#[derive(Clone)]
pub struct Cluster {
    config: JobConfig,
    processes: Arc<ProcessTable>,
    coordinator: Arc<OnceLock<CoordinatorView>>,
}

/// What the harness may look at of the coordinator process.
struct CoordinatorView {
    pid: Pid,
    table: Arc<Mutex<TaskTable>>,
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

impl Cluster {
    pub fn new(config: JobConfig) -> Self {
        Cluster {
            config,
            processes: Arc::new(ProcessTable::default()),
            coordinator: Arc::new(OnceLock::new()),
        }
    }

    pub fn config(&self) -> &JobConfig {
        &self.config
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

    /// `mrcoordinator <inputs>` in the background, on node `coordinator`.
    /// When it returns, the process is gone: its node comes back empty, with
    /// no RPC server, so workers calling it fail as on a closed socket. (A
    /// restart rather than a crash: an exit is not an injected fault.)
    pub fn start_coordinator(&self, inputs: Vec<String>) -> Process {
        let coordinator = Coordinator::new(inputs, self.config.clone());
        node::create(COORDINATOR_NODE);
        let pid = self.processes.register(COORDINATOR_NODE);
        let view = CoordinatorView {
            pid,
            table: coordinator.table(),
        };
        let first = self.coordinator.set(view).is_ok();
        assert!(first, "one coordinator per job");
        let processes = self.processes.clone();
        let handle = node::spawn(COORDINATOR_NODE, async move {
            coordinator.run().await;
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
        let worker = Worker::new(pid, app, effects, self.config.clone());
        let processes = self.processes.clone();
        let handle = node::spawn(node_name, async move {
            worker.run().await;
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
        !self.processes.is_alive(self.view().pid)
    }

    /// A copy of the coordinator's task table, for checks.
    pub fn table(&self) -> TaskTable {
        self.view().table.lock().unwrap().clone()
    }

    fn view(&self) -> &CoordinatorView {
        self.coordinator.get().expect("no coordinator was started")
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
