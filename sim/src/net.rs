//! The simulated network's state and its fault verbs: partitions (per node and
//! per directed link), reliability, long reordering, long delays, and the
//! counters of 6.824's labrpc (RPCs per receiving server, total RPCs, total
//! bytes).
//!
//! Reachability follows labrpc's `ClientEnd` enable flags as 6.824's config
//! drives them: `isolate(n)` / `rejoin(n)` are the config's
//! `disconnect(n)` / `connect(n)` (a link works iff both ends are connected),
//! and `disable_link` / `enable_link` cut one direction only.
//!
//! Why not madsim's `clog_*` for RPCs: clogged datagrams are silently
//! dropped, while labrpc's semantics need the *caller* to see a failure
//! after a bounded, seeded delay. The RPC layer consults this state instead;
//! the state is also mirrored into madsim's clogs for raw Endpoint traffic,
//! from which `sim::rpc` is exempt (see [`crate::clogs`]).

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::plugin::{self, Simulator};
use madsim::rand::GlobalRng;
use madsim::time::TimeHandle;

/// The opt-in faults beyond labrpc's (duplicates, request reordering, slow
/// nodes), decided where a call is made: see `rpc/faults.rs`.
pub use crate::rpc::{set_duplicates, set_request_reordering, slow_down, speed_up, speed_up_all};

/// Network settings and counters of one run (a madsim plugin).
pub struct Network {
    pub(crate) state: Mutex<NetState>,
}

#[derive(Debug)]
pub(crate) struct NetState {
    pub reliable: bool,
    pub long_reordering: bool,
    pub long_delays: bool,
    pub isolated: BTreeSet<String>,
    pub cut_links: BTreeSet<(String, String)>,
    /// Every earlier reachability, with the virtual instant it ended:
    /// labrpc decides a reply's fate at the instant its handler returns,
    /// which lies in the past by the time the reply datagram arrives.
    pub past: Vec<(Duration, Reachability)>,
    /// node -> generation of the node when its RPC server registered.
    pub servers: BTreeMap<String, u64>,
    pub rpcs_received: BTreeMap<String, u64>,
    pub total_rpcs: u64,
    pub total_bytes: u64,
}

impl Simulator for Network {
    fn new(_rand: &GlobalRng, _time: &TimeHandle, _config: &madsim::Config) -> Self {
        Network {
            state: Mutex::new(NetState {
                reliable: true,
                long_reordering: false,
                long_delays: false,
                isolated: BTreeSet::new(),
                cut_links: BTreeSet::new(),
                past: Vec::new(),
                servers: BTreeMap::new(),
                rpcs_received: BTreeMap::new(),
                total_rpcs: 0,
                total_bytes: 0,
            }),
        }
    }
}

/// Who can reach whom: the isolated nodes and the cut one-way links.
#[derive(Clone, Debug)]
pub(crate) struct Reachability {
    pub isolated: BTreeSet<String>,
    pub cut_links: BTreeSet<(String, String)>,
}

impl Reachability {
    fn link_up(&self, from: &str, to: &str) -> bool {
        link_up(&self.isolated, &self.cut_links, from, to)
    }
}

fn link_up(
    isolated: &BTreeSet<String>,
    cut_links: &BTreeSet<(String, String)>,
    from: &str,
    to: &str,
) -> bool {
    !isolated.contains(from)
        && !isolated.contains(to)
        && !cut_links.contains(&(from.to_string(), to.to_string()))
}

impl NetState {
    pub fn link_up(&self, from: &str, to: &str) -> bool {
        link_up(&self.isolated, &self.cut_links, from, to)
    }

    /// Whether `from -> to` worked at virtual instant `at` (at most now).
    pub fn link_up_at(&self, from: &str, to: &str, at: Duration) -> bool {
        // The first reachability that ended after `at` is the one in force
        // at `at`; if none ended since, today's is.
        let index = self.past.partition_point(|(ended, _)| *ended <= at);
        match self.past.get(index) {
            Some((_, then)) => then.link_up(from, to),
            None => self.link_up(from, to),
        }
    }

    /// Changes who can reach whom, keeping the old reachability for
    /// [`NetState::link_up_at`].
    fn change_reachability(&mut self, change: impl FnOnce(&mut Self)) {
        let before = Reachability {
            isolated: self.isolated.clone(),
            cut_links: self.cut_links.clone(),
        };
        let now = now();
        if let Some((ended, _)) = self.past.last() {
            assert!(*ended <= now, "virtual time went backwards");
        }
        change(self);
        crate::clogs::apply_change(
            &before.isolated,
            &before.cut_links,
            &self.isolated,
            &self.cut_links,
        );
        self.past.push((now, before));
    }
}

/// Gives node `name`, just created, the clogs its faults call for (see
/// [`crate::clogs`]).
pub(crate) fn node_created(name: &str) {
    with_state(|s| crate::clogs::apply_to_new_node(s, name));
}

/// Virtual time since the run started.
pub(crate) fn now() -> Duration {
    madsim::time::TimeHandle::current().elapsed()
}

pub(crate) fn network() -> Arc<Network> {
    plugin::simulator::<Network>()
}

fn with_state<T>(f: impl FnOnce(&mut NetState) -> T) -> T {
    f(&mut network().state.lock().unwrap())
}

/// Disconnects node `name` from everyone, both directions (config.go's
/// `disconnect`).
pub fn isolate(name: &str) {
    if !crate::fault::decide("isolate", true) {
        tracing::info!(target: "sim::net", node = name, "isolate skipped by the fault plan");
        return;
    }
    tracing::info!(target: "sim::net", node = name, "isolate");
    with_state(|s| {
        s.change_reachability(|s| {
            s.isolated.insert(name.to_string());
        })
    });
}

/// Reconnects node `name` to every connected node (config.go's `connect`).
pub fn rejoin(name: &str) {
    tracing::info!(target: "sim::net", node = name, "rejoin");
    with_state(|s| {
        s.change_reachability(|s| {
            s.isolated.remove(name);
        })
    });
}

/// Whether node `name` is connected (not isolated).
pub fn is_connected(name: &str) -> bool {
    with_state(|s| !s.isolated.contains(name))
}

/// Cuts the one-way link `from -> to` (requests from `from` to `to` fail).
pub fn disable_link(from: &str, to: &str) {
    if !crate::fault::decide("cut_link", true) {
        tracing::info!(target: "sim::net", from, to, "cut link skipped by the fault plan");
        return;
    }
    tracing::info!(target: "sim::net", from, to, "cut link");
    with_state(|s| {
        s.change_reachability(|s| {
            s.cut_links.insert((from.to_string(), to.to_string()));
        })
    });
}

/// Restores the one-way link `from -> to`.
pub fn enable_link(from: &str, to: &str) {
    tracing::info!(target: "sim::net", from, to, "restore link");
    with_state(|s| {
        s.change_reachability(|s| {
            s.cut_links.remove(&(from.to_string(), to.to_string()));
        })
    });
}

/// Splits the given nodes into groups that cannot talk to each other (both
/// directions). Nodes not listed keep their links.
pub fn partition(groups: &[&[&str]]) {
    let shape: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
    if !crate::fault::decide("partition", true) {
        tracing::info!(target: "sim::net", groups = %shape.join(" | "), "partition skipped by the fault plan");
        return;
    }
    tracing::info!(target: "sim::net", groups = %shape.join(" | "), "partition");
    with_state(|s| {
        s.change_reachability(|s| {
            for (i, a) in groups.iter().enumerate() {
                for (j, b) in groups.iter().enumerate() {
                    if i != j {
                        for x in a.iter() {
                            for y in b.iter() {
                                s.cut_links.insert((x.to_string(), y.to_string()));
                            }
                        }
                    }
                }
            }
        })
    });
}

/// Cuts every link from a node of `from` to a node of `to`, one way only:
/// `to`'s requests still reach `from` (and their replies come back), so
/// `from` hears its peers but cannot reach them.
pub fn partition_one_way(from: &[&str], to: &[&str]) {
    let (sources, targets) = (from.join(","), to.join(","));
    if !crate::fault::decide("one_way_partition", true) {
        tracing::info!(target: "sim::net", from = %sources, to = %targets, "one-way partition skipped by the fault plan");
        return;
    }
    tracing::info!(target: "sim::net", from = %sources, to = %targets, "one-way partition");
    with_state(|s| {
        s.change_reachability(|s| {
            for x in from {
                for y in to {
                    s.cut_links.insert((x.to_string(), y.to_string()));
                }
            }
        })
    });
}

/// Removes every partition and cut link.
pub fn heal() {
    tracing::info!(target: "sim::net", "heal");
    with_state(|s| {
        s.change_reachability(|s| {
            s.isolated.clear();
            s.cut_links.clear();
        })
    });
}

/// labrpc's `Reliable(false)`: requests delayed 0–26 ms, 10% of requests and
/// 10% of replies dropped.
pub fn set_reliable(reliable: bool) {
    tracing::info!(target: "sim::net", reliable, "set reliable");
    with_state(|s| s.reliable = reliable);
}

/// labrpc's `LongReordering(true)`: with probability 600/900 a reply is
/// delayed by 200 + rand(1 + rand(2000)) ms.
pub fn set_long_reordering(on: bool) {
    tracing::info!(target: "sim::net", on, "set long reordering");
    with_state(|s| s.long_reordering = on);
}

/// labrpc's `LongDelays(true)`: a call to an unreachable server fails after
/// 0–6999 ms instead of 0–99 ms.
pub fn set_long_delays(on: bool) {
    tracing::info!(target: "sim::net", on, "set long delays");
    with_state(|s| s.long_delays = on);
}

/// Incoming RPCs dispatched at node `name` (labrpc's `GetCount`).
pub fn rpc_count(name: &str) -> u64 {
    with_state(|s| s.rpcs_received.get(name).copied().unwrap_or(0))
}

/// All RPCs attempted in this run (labrpc's `GetTotalCount`).
pub fn total_rpcs() -> u64 {
    with_state(|s| s.total_rpcs)
}

/// Request bytes plus delivered reply bytes (labrpc's `GetTotalBytes`).
pub fn total_bytes() -> u64 {
    with_state(|s| s.total_bytes)
}

/// Counters a run reports, kept per thread so the runner can read them after
/// the runtime has stopped (or panicked).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    pub rpcs: u64,
    pub bytes: u64,
    /// Datagrams sent: requests and replies (`dst bench`'s floor).
    pub datagrams: u64,
}

thread_local! {
    static STATS: Cell<NetStats> = const { Cell::new(NetStats {
        rpcs: 0,
        bytes: 0,
        datagrams: 0,
    }) };
}

pub(crate) fn reset_stats() {
    STATS.with(|s| s.set(NetStats::default()));
}

pub(crate) fn stats() -> NetStats {
    STATS.with(|s| s.get())
}

/// Counts one call and its request bytes; returns the call's number in
/// this run (1, 2, ...), which names it in the trace.
pub(crate) fn count_request(bytes: usize) -> u64 {
    let number = with_state(|s| {
        s.total_rpcs += 1;
        s.total_bytes += bytes as u64;
        s.total_rpcs
    });
    STATS.with(|s| {
        let mut v = s.get();
        v.rpcs += 1;
        v.bytes += bytes as u64;
        s.set(v);
    });
    number
}

/// Counts one datagram about to be sent (a request or a reply).
pub(crate) fn count_datagram() {
    STATS.with(|s| {
        let mut v = s.get();
        v.datagrams += 1;
        s.set(v);
    });
}

pub(crate) fn count_reply(bytes: usize) {
    with_state(|s| s.total_bytes += bytes as u64);
    STATS.with(|s| {
        let mut v = s.get();
        v.bytes += bytes as u64;
        s.set(v);
    });
}
