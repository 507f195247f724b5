//! `sim::net`'s reachability mirrored into madsim's own network, so that a
//! system talking through raw `madsim::net::Endpoint`s (datagrams, and
//! `connect1`/`accept1` streams) obeys `isolate`, `partition`,
//! `disable_link` and their undoing like `sim::rpc` does.
//!
//! Why madsim's clogs: they are the one place madsim consults on every send
//! (`try_send`, after a send's random delay), and a clogged datagram is
//! dropped there; streams wait until the link is up again. Nothing else sees
//! a raw Endpoint's traffic without forking madsim. A datagram madsim has
//! already accepted is delivered whatever happens to the link afterwards.
//!
//! Why `sim::rpc` is exempt: labrpc's semantics decide a call's fate
//! themselves (a request sent into a link cut during the unreliable delay
//! still runs its handler; a reply's fate is judged at "send instant +
//! handler time", see `reply_after_cut`), and a clog would change both what
//! is delivered and madsim's random draws (a clogged link draws no loss or
//! latency). So every poll of a `sim::rpc` send lifts, for the length of
//! that one poll, the clogs of its own link and puts them back before the
//! poll returns. A run is one thread and a poll is not interrupted, so no
//! other traffic can slip through, and `sim::rpc` sees madsim's network
//! exactly as it did before clogs existed: same draws, same deliveries,
//! same trace.
//!
//! The clogs always equal `sim::net`'s state restricted to existing nodes:
//! every change of reachability applies its difference, and a node created
//! later gets the clogs that name it.

use std::cell::Cell;
use std::collections::BTreeSet;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use madsim::net::NetSim;

use crate::net::NetState;
use crate::node;

type Links = BTreeSet<(String, String)>;

thread_local! {
    /// Whether this thread's run has cut anything since its last heal: a
    /// `sim::rpc` send, thousands a run and nearly all with nothing cut,
    /// looks here first. A run is one thread, so a value left by an earlier
    /// run on the thread is overwritten by this run's first fault verb
    /// before it could matter, and a stale `true` only costs a lookup.
    static ANY_CUT: Cell<bool> = const { Cell::new(false) };
}

/// Applies the difference between two reachabilities to madsim's clogs.
pub(crate) fn apply_change(
    isolated_before: &BTreeSet<String>,
    cut_before: &Links,
    isolated_after: &BTreeSet<String>,
    cut_after: &Links,
) {
    ANY_CUT.with(|any| any.set(!isolated_after.is_empty() || !cut_after.is_empty()));
    let net = NetSim::current();
    for name in isolated_before.difference(isolated_after) {
        if let Some(id) = node::madsim_id(name) {
            net.unclog_node(id);
        }
    }
    for name in isolated_after.difference(isolated_before) {
        if let Some(id) = node::madsim_id(name) {
            net.clog_node(id);
        }
    }
    for (from, to) in cut_before.difference(cut_after) {
        if let (Some(a), Some(b)) = (node::madsim_id(from), node::madsim_id(to)) {
            net.unclog_link(a, b);
        }
    }
    for (from, to) in cut_after.difference(cut_before) {
        if let (Some(a), Some(b)) = (node::madsim_id(from), node::madsim_id(to)) {
            net.clog_link(a, b);
        }
    }
}

/// Clogs what `state` says about node `name`, just created (its id did not
/// exist when those verbs ran).
pub(crate) fn apply_to_new_node(state: &NetState, name: &str) {
    let Some(id) = node::madsim_id(name) else {
        return;
    };
    let net = NetSim::current();
    if state.isolated.contains(name) {
        net.clog_node(id);
    }
    for (from, to) in &state.cut_links {
        if from != name && to != name {
            continue;
        }
        if let (Some(a), Some(b)) = (node::madsim_id(from), node::madsim_id(to)) {
            net.clog_link(a, b);
        }
    }
}

/// The clogs lifted for one poll, to be put back.
struct Lifted {
    nodes: Vec<madsim::task::NodeId>,
    link: Option<(madsim::task::NodeId, madsim::task::NodeId)>,
}

/// The receiver of a `sim::rpc` datagram.
pub(crate) enum Peer<'a> {
    Node(&'a str),
    /// A caller's address, looked up only when something is cut.
    Ip(IpAddr),
}

/// Lifts the clogs that would stop a datagram from node `from` to `to`.
/// Costs a thread-local read while nothing is cut, and no call into madsim
/// unless this very link is clogged.
fn lift(from: &str, to: &Peer<'_>) -> Option<Lifted> {
    if !ANY_CUT.with(|any| any.get()) {
        return None;
    }
    let network = crate::net::network();
    let state = network.state.lock().unwrap();
    // None: an address of no node of ours (the harness), never clogged.
    let found;
    let to = match to {
        Peer::Node(name) => Some(*name),
        Peer::Ip(ip) => {
            found = node::name_of_ip(*ip);
            found.as_deref()
        }
    };
    let isolated: Vec<&str> = std::iter::once(from)
        .chain(to)
        .filter(|name| state.isolated.contains(*name))
        .collect();
    // Not `contains`: that would build an owned key for every send.
    let cut = to.filter(|to| state.cut_links.iter().any(|(a, b)| a == from && b == to));
    if isolated.is_empty() && cut.is_none() {
        return None;
    }
    let mut lifted = Lifted {
        nodes: Vec::new(),
        link: None,
    };
    for name in isolated {
        if let Some(id) = node::madsim_id(name) {
            if !lifted.nodes.contains(&id) {
                lifted.nodes.push(id);
            }
        }
    }
    if let Some(to) = cut {
        if let (Some(a), Some(b)) = (node::madsim_id(from), node::madsim_id(to)) {
            lifted.link = Some((a, b));
        }
    }
    drop(state);
    let net = NetSim::current();
    for &id in &lifted.nodes {
        net.unclog_node(id);
    }
    if let Some((a, b)) = lifted.link {
        net.unclog_link(a, b);
    }
    Some(lifted)
}

fn restore(lifted: Lifted) {
    let net = NetSim::current();
    for id in lifted.nodes {
        net.clog_node(id);
    }
    if let Some((a, b)) = lifted.link {
        net.clog_link(a, b);
    }
}

/// A `sim::rpc` use of an Endpoint: polled with its link's clogs lifted
/// (for a send) and unseen by the endpoint trace (see [`crate::endpoint_trace`]).
pub(crate) struct Internal<'a, F> {
    inner: Pin<&'a mut F>,
    /// (sender, receiver) of a send; None for a receive.
    link: Option<(&'a str, Peer<'a>)>,
}

/// Wraps a `sim::rpc` send from node `from` to node `to`.
pub(crate) fn send<'a, F: Future>(
    inner: Pin<&'a mut F>,
    from: &'a str,
    to: Peer<'a>,
) -> Internal<'a, F> {
    Internal {
        inner,
        link: Some((from, to)),
    }
}

/// Wraps a `sim::rpc` receive.
pub(crate) fn receive<F: Future>(inner: Pin<&mut F>) -> Internal<'_, F> {
    Internal { inner, link: None }
}

impl<F: Future> Future for Internal<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let lifted = match &self.link {
            Some((from, to)) => lift(from, to),
            None => None,
        };
        let result = crate::endpoint_trace::unseen(|| self.inner.as_mut().poll(cx));
        if let Some(lifted) = lifted {
            restore(lifted);
        }
        result
    }
}
