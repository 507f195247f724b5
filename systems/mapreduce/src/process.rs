//! Worker and coordinator processes on simulated nodes: pids, and whether a
//! pid is still running (the lab's `kill(pid, 0)`).
//!
//! A process runs on one incarnation of a node. It ends by returning (a
//! normal exit) or by its node crashing (the crash app's `os.Exit(1)`, or a
//! crash the harness injects); either way its pid is dead from then on.

use std::collections::BTreeMap;
use std::sync::Mutex;

use sim::node;

/// A process id, unique within a run.
pub type Pid = u64;

/// The first pid handed out; any value would do, this one reads like a pid.
const FIRST_PID: Pid = 1001;

#[derive(Clone, Debug)]
struct Entry {
    node: String,
    /// The node's incarnation when the process started.
    generation: u64,
    exited: bool,
}

/// Every process of a run.
#[derive(Debug, Default)]
pub struct ProcessTable {
    entries: Mutex<BTreeMap<Pid, Entry>>,
    crashes: Mutex<u64>,
}

impl ProcessTable {
    /// Register a process starting now on the current incarnation of `node`.
    pub fn register(&self, node_name: &str) -> Pid {
        let mut entries = self.entries.lock().unwrap();
        let pid = entries
            .keys()
            .next_back()
            .map_or(FIRST_PID, |last| last + 1);
        entries.insert(
            pid,
            Entry {
                node: node_name.to_string(),
                generation: node::generation(node_name),
                exited: false,
            },
        );
        pid
    }

    /// The live process on `node_name`, if any.
    pub fn running_on(&self, node_name: &str) -> Option<Pid> {
        let entries = self.entries.lock().unwrap();
        entries
            .iter()
            .find(|(_, entry)| entry.node == node_name && alive(entry))
            .map(|(pid, _)| *pid)
    }

    /// The process returned from its main function.
    pub fn mark_exited(&self, pid: Pid) {
        let mut entries = self.entries.lock().unwrap();
        let entry = entries.get_mut(&pid).expect("exit of an unknown pid");
        assert!(!entry.exited, "pid {pid} exited twice");
        entry.exited = true;
    }

    /// The process ended its own node (`os.Exit(1)` in the crash app).
    pub fn count_crash(&self) {
        *self.crashes.lock().unwrap() += 1;
    }

    /// How many processes crashed themselves.
    pub fn crashes(&self) -> u64 {
        *self.crashes.lock().unwrap()
    }

    /// How many processes were started.
    pub fn started(&self) -> usize {
        self.entries.lock().unwrap().len()
    }

    /// `kill(pid, 0) == 0`: the process has neither exited nor lost its node.
    pub fn is_alive(&self, pid: Pid) -> bool {
        let entries = self.entries.lock().unwrap();
        entries.get(&pid).is_some_and(alive)
    }

    /// Whether the process returned normally (false if it crashed or runs).
    pub fn exited_normally(&self, pid: Pid) -> bool {
        let entries = self.entries.lock().unwrap();
        entries.get(&pid).is_some_and(|entry| entry.exited)
    }
}

fn alive(entry: &Entry) -> bool {
    !entry.exited
        && node::is_alive(&entry.node)
        && node::generation(&entry.node) == entry.generation
}
