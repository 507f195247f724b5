//! Nodes and crashes: named simulated machines that can be crashed and
//! restarted by the harness.
//!
//! A node is a madsim node with a stable name and IP. `crash` drops every
//! task of the node at once (madsim's `kill`) and, through the plugins' reset
//! hooks, loses its unsynced file writes and closes its sockets. `restart`
//! brings it back empty: the harness then spawns the node's tasks again (the
//! way 6.824's `start1` calls `Make`). Each crash and restart bumps the node's
//! generation, which is how the RPC layer notices a server that was killed or
//! replaced mid-call.
//!
//! All functions must be called from inside a run (the harness or a node).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use madsim::plugin::{self, Simulator};
use madsim::rand::GlobalRng;
use madsim::runtime::Handle;
use madsim::task::{AbortHandle, JoinHandle, NodeId};
use madsim::time::TimeHandle;

/// The name the harness (madsim's main task) goes by.
pub const MAIN: &str = "main";

#[derive(Clone, Debug)]
struct NodeEntry {
    id: NodeId,
    ip: IpAddr,
    alive: bool,
    generation: u64,
    /// Crashed at a crash point: madsim will restart this madsim node on
    /// its own a few seconds later (see [`crash_here`]), so the next
    /// restart moves the name to a fresh madsim node instead.
    retired: bool,
}

#[derive(Default)]
struct Registry {
    by_name: BTreeMap<String, NodeEntry>,
    // Only ever looked up, never iterated, so its order cannot leak.
    name_of: HashMap<NodeId, String>,
    /// Addresses handed to retired madsim nodes, so that their own address
    /// can go to the fresh node that takes over their name.
    retired_count: u32,
}

/// The node registry of one run (a madsim plugin: one per runtime).
pub struct Nodes {
    registry: Mutex<Registry>,
    /// Tasks started with [`spawn_background`], aborted when the run ends.
    background: Mutex<Vec<AbortHandle>>,
}

impl Simulator for Nodes {
    fn new(_rand: &GlobalRng, _time: &TimeHandle, _config: &madsim::Config) -> Self {
        Nodes {
            registry: Mutex::new(Registry::default()),
            background: Mutex::new(Vec::new()),
        }
    }
}

fn nodes() -> Arc<Nodes> {
    plugin::simulator::<Nodes>()
}

fn entry(name: &str) -> NodeEntry {
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    match registry.by_name.get(name) {
        Some(e) => e.clone(),
        None => panic!("sim::node: no node named {name:?}"),
    }
}

/// Creates a node named `name` with the next free IP (10.0.x.y). Names are
/// unique within a run.
pub fn create(name: &str) -> IpAddr {
    assert!(
        !name.is_empty() && name != MAIN && !name.contains(char::is_whitespace),
        "sim::node: bad node name {name:?}"
    );
    let nodes = nodes();
    let mut registry = nodes.registry.lock().unwrap();
    assert!(
        !registry.by_name.contains_key(name),
        "sim::node: a node named {name:?} exists already"
    );
    let n = registry.by_name.len() as u32 + 1;
    assert!(n < 250 * 250, "sim::node: too many nodes");
    let ip = IpAddr::V4(Ipv4Addr::new(10, 0, (n / 250) as u8, (n % 250) as u8));
    let id = build_node(name, ip);
    registry.name_of.insert(id, name.to_string());
    registry.by_name.insert(
        name.to_string(),
        NodeEntry {
            id,
            ip,
            alive: true,
            generation: 0,
            retired: false,
        },
    );
    drop(registry);
    tracing::info!(target: "sim::node", node = name, %ip, "create");
    crate::net::node_created(name);
    ip
}

/// A madsim node named `name` at `ip`. A task of it that unwinds with
/// [`crash_here`]'s message kills the node instead of the whole run.
fn build_node(name: &str, ip: IpAddr) -> NodeId {
    Handle::current()
        .create_node()
        .name(name)
        .ip(ip)
        .restart_on_panic_matching(CRASH_POINT_MESSAGE)
        .build()
        .id()
}

/// Spawns a task on the current node (for the harness: madsim's main task)
/// that the run aborts when its body ends, if it has not ended by then: an
/// applier, a client loop, a checker. Use it rather than
/// `madsim::task::spawn` for harness tasks that may outlive the test body:
/// madsim never drops a task still pending when its runtime goes, so such
/// a task would leak what it holds once per run.
pub fn spawn_background<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = madsim::task::spawn(future);
    let nodes = nodes();
    let mut background = nodes.background.lock().unwrap();
    if background.len() >= 64 {
        background.retain(|t| !t.is_finished());
    }
    background.push(task.abort_handle());
    task
}

/// Drops the tasks of every live node, at the end of a run. Why: madsim
/// never drops a task that is still pending when its runtime is dropped (a
/// task and its waker keep each other alive; madsim-rs/madsim#242), so a
/// Raft run's servers and tickers leaked with every run and a sweep of
/// thousands of runs grew by gigabytes. A killed node's tasks are dropped by
/// the executor, or with its queue when the runtime goes. madsim cannot kill
/// its main node by name, so the harness's own tasks are aborted one by one:
/// those started with [`spawn_background`]. Any other leftover harness task
/// still leaks.
pub(crate) fn release_all() {
    let background = std::mem::take(&mut *nodes().background.lock().unwrap());
    for task in background {
        task.abort();
    }
    let ids: Vec<NodeId> = {
        let nodes = nodes();
        let registry = nodes.registry.lock().unwrap();
        registry
            .by_name
            .values()
            .filter(|e| e.alive)
            .map(|e| e.id)
            .collect()
    };
    let handle = Handle::current();
    for id in ids {
        handle.kill(id);
    }
}

/// Spawns a task on node `name`. The handle is looked up afresh every time:
/// a madsim `NodeHandle` taken before a restart is stale.
pub fn spawn<F>(name: &str, future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let e = entry(name);
    assert!(e.alive, "sim::node: spawn on crashed node {name:?}");
    let handle = Handle::current()
        .get_node(e.id)
        .expect("madsim lost a node");
    handle.spawn(future)
}

/// Crashes node `name`: all its tasks are dropped at once, its unsynced file
/// writes are lost and its RPC server stops answering.
pub fn crash(name: &str) {
    if !is_alive(name) {
        return;
    }
    if !crate::fault::decide("crash", true) {
        tracing::info!(target: "sim::node", node = name, "crash skipped by the fault plan");
        return;
    }
    let Some(id) = mark_down(name) else { return };
    Handle::current().kill(id);
    tracing::info!(target: "sim::node", node = name, "crash");
}

/// Marks a live node down (a new generation); None if it was down already.
fn mark_down(name: &str) -> Option<NodeId> {
    let nodes = nodes();
    let mut registry = nodes.registry.lock().unwrap();
    let e = registry
        .by_name
        .get_mut(name)
        .unwrap_or_else(|| panic!("sim::node: no node named {name:?}"));
    if !e.alive {
        return None;
    }
    e.alive = false;
    e.generation += 1;
    Some(e.id)
}

/// Stops node `name` the way a process exits normally: all its tasks end and
/// its RPC server stops answering, but (unlike [`crash`]) it is not a fault:
/// it does not pass the fault plan, and what it wrote stays, synced or not
/// (the operating system keeps a process's writes after it exits). It may be
/// restarted later. A task may stop its own node.
pub fn stop(name: &str) {
    let Some(id) = mark_down(name) else { return };
    crate::fs::keep_writes_of(id);
    tracing::info!(target: "sim::node", node = name, "stop");
    Handle::current().kill(id);
}

/// Restarts node `name` empty (crashing it first if it is alive). The caller
/// spawns its tasks again with [`spawn`].
pub fn restart(name: &str) {
    let nodes = nodes();
    let mut registry = nodes.registry.lock().unwrap();
    let e = registry
        .by_name
        .get_mut(name)
        .unwrap_or_else(|| panic!("sim::node: no node named {name:?}"));
    let was_alive = e.alive;
    e.alive = true;
    e.generation += 1;
    let id = e.id;
    if std::mem::replace(&mut e.retired, false) {
        let ip = e.ip;
        registry.retired_count += 1;
        let spare = registry.retired_count;
        // The retired madsim node gives up its address, which a fresh node
        // takes with the name.
        let spare_ip = IpAddr::V4(Ipv4Addr::new(
            10,
            255,
            (spare / 250) as u8,
            (spare % 250) as u8,
        ));
        madsim::net::NetSim::current().set_ip(id, spare_ip);
        let fresh = build_node(name, ip);
        registry.name_of.insert(fresh, name.to_string());
        registry.by_name.get_mut(name).expect("looked up above").id = fresh;
        drop(registry);
        tracing::info!(target: "sim::node", node = name, "restart");
        return;
    }
    drop(registry);
    let handle = Handle::current();
    // madsim's `restart` drops the old incarnation's tasks but runs the
    // plugins' reset hooks (lost unsynced writes, closed sockets) only on
    // `kill`: kill a live node first. The nodes here have no init task.
    if was_alive {
        handle.kill(id);
    }
    handle.restart(id);
    tracing::info!(target: "sim::node", node = name, "restart");
}

/// What a task unwinds with when its node crashes at a crash point; madsim
/// kills a node whose task panics with it (and, a few seconds later,
/// restarts that madsim node empty: harmless, see [`NodeEntry::retired`]).
pub(crate) const CRASH_POINT_MESSAGE: &str = "sim: the node crashed at a crash point";

/// Crashes the calling task's node `name` right here: marks it down, loses
/// its unsynced writes and closes its sockets (madsim's `kill`), then
/// unwinds the calling task, so that nothing after the crash point runs on
/// the node. `resume_unwind` bypasses the panic hook: no panic is recorded.
pub(crate) fn crash_here(name: &str, point: &str, fault: &crate::fault::FaultId) -> ! {
    let id = {
        let nodes = nodes();
        let mut registry = nodes.registry.lock().unwrap();
        let e = registry
            .by_name
            .get_mut(name)
            .unwrap_or_else(|| panic!("sim::node: no node named {name:?}"));
        assert!(e.alive, "sim::node: a crash point on crashed node {name:?}");
        e.alive = false;
        e.generation += 1;
        e.retired = true;
        e.id
    };
    tracing::info!(target: "sim::node", node = name, point, fault = %fault, "crash at point");
    Handle::current().kill(id);
    std::panic::resume_unwind(Box::new(CRASH_POINT_MESSAGE.to_string()))
}

/// Whether node `name` is up.
pub fn is_alive(name: &str) -> bool {
    entry(name).alive
}

/// The node's incarnation: bumped by every crash and restart.
pub fn generation(name: &str) -> u64 {
    entry(name).generation
}

/// The node's IP address.
pub fn ip(name: &str) -> IpAddr {
    entry(name).ip
}

/// All node names, in order.
pub fn names() -> Vec<String> {
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    registry.by_name.keys().cloned().collect()
}

/// The name of the node the calling task runs on (`main` for the harness).
pub fn current() -> String {
    let id = plugin::node();
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    registry
        .name_of
        .get(&id)
        .cloned()
        .unwrap_or_else(|| MAIN.to_string())
}

/// madsim's id of node `name`, if there is such a node.
pub(crate) fn madsim_id(name: &str) -> Option<NodeId> {
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    registry.by_name.get(name).map(|e| e.id)
}

/// The name of the node with address `ip`, if one has it.
pub(crate) fn name_of_ip(ip: IpAddr) -> Option<String> {
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    registry
        .by_name
        .iter()
        .find(|(_, e)| e.ip == ip)
        .map(|(name, _)| name.clone())
}

/// (alive, generation) of a node, or None if there is no such node.
pub(crate) fn state(name: &str) -> Option<(bool, u64)> {
    let nodes = nodes();
    let registry = nodes.registry.lock().unwrap();
    registry.by_name.get(name).map(|e| (e.alive, e.generation))
}
