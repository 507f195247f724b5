//! Crash points: crashes placed at a system's durability points rather than
//! at random instants.
//!
//! Why: a system that changes its state, lets the change escape (a reply,
//! a message) and makes it durable a moment later is wrong only in that
//! moment, and a crash at a random instant almost never lands in it. Here
//! the durability points themselves can crash the node: `persist.before`
//! and `persist.after` (every [`crate::Persister`] save), `fs.sync.before`
//! (a file written but not synced), `fs.rename.before` (a file synced but
//! not yet renamed into place), and any point a system names by calling
//! [`crash_point`] itself (say, just after an in-memory state change).
//!
//! Crash points are off unless a scenario arms them ([`arm`]; the swarm
//! draws whether and how often): unarmed, a point draws no random number
//! and decides nothing, so runs that never arm them are unchanged. Armed,
//! each point reached on a node (never the harness) is one numbered
//! decision of kind `crash_point`, so plans, replays and `dst shrink` name
//! it like any other fault (`crash_point#12`); the trace line says which
//! point: `crash at point node=server2 point=persist.before
//! fault=crash_point#12`.
//!
//! A crash point that fires does not return: the node is marked down and
//! killed (its unsynced writes are lost, its sockets closed) and the calling
//! task unwinds, so nothing after the point runs there. Whoever restarts
//! nodes (the harness) restarts it as after any crash: `node::is_alive`
//! tells it the node is down.

use std::sync::Mutex;

use madsim::plugin::{self, Simulator};
use madsim::rand::{thread_rng, GlobalRng, Rng};
use madsim::time::TimeHandle;

use crate::{fault, node};

/// Whether crash points are armed in this run, and how likely each is to
/// fire (a madsim plugin: fresh for every runtime).
pub struct CrashPoints {
    /// Chance per point reached, in parts per million; None: unarmed.
    per_million: Mutex<Option<u32>>,
}

impl Simulator for CrashPoints {
    fn new(_rand: &GlobalRng, _time: &TimeHandle, _config: &madsim::Config) -> Self {
        CrashPoints {
            per_million: Mutex::new(None),
        }
    }
}

fn settings() -> std::sync::Arc<CrashPoints> {
    plugin::simulator::<CrashPoints>()
}

/// Arms the crash points: from now on each point reached on a node crashes
/// it with probability `per_million` / 1,000,000.
pub fn arm(per_million: u32) {
    assert!(per_million <= 1_000_000, "a probability: {per_million}");
    tracing::info!(target: "sim::node", per_million, "arm crash points");
    *settings().per_million.lock().unwrap() = Some(per_million);
}

/// Disarms the crash points (a liveness phase).
pub fn disarm() {
    tracing::info!(target: "sim::node", "disarm crash points");
    *settings().per_million.lock().unwrap() = None;
}

/// A durability point named `point` (`raft.state_changed`,
/// `persist.before`, ...): when armed, may crash the calling task's node
/// right here, and then does not return. Called from the harness, or
/// unarmed, it does nothing.
pub fn crash_point(point: &'static str) {
    // Outside a run (a unit test of a persister) there is no node to crash.
    if madsim::runtime::Handle::try_current().is_err() {
        return;
    }
    let Some(per_million) = *settings().per_million.lock().unwrap() else {
        return;
    };
    let me = node::current();
    if me == node::MAIN {
        return;
    }
    let fires = thread_rng().gen_range(0..1_000_000) < per_million;
    if let Some(fault) = fault::inject("crash_point", fires) {
        node::crash_here(&me, point, &fault);
    }
}
