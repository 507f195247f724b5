//! Raw `madsim::net::Endpoint` datagrams as trace lines between nodes.
//!
//! A system written against madsim directly sends through Endpoints that no
//! code of ours wraps. madsim itself logs each datagram at TRACE under
//! target `madsim::sim::net::endpoint`: `send: {local} -> {dst}, tag={tag}`
//! when a send starts (before madsim decides whether the link delivers it)
//! and `recv: {local} <- {from}, tag={tag}` when the receiver takes it. The
//! trace subscriber enables exactly these two callsites (every other madsim
//! TRACE stays off, so this costs nothing elsewhere) and records them as
//! DEBUG lines of target [`TARGET`] naming nodes instead of addresses:
//!
//! ```text
//! send to=b port=9000 tag=1 from_port=1     (on the sender's lane)
//! recv from=a port=9000 tag=1 from_port=1   (on the receiver's lane)
//! ```
//!
//! `port` is always the receiver's port and `from_port` the sender's, so a
//! send and its receipt share (sender, from_port, receiver, port, tag). A
//! send with no receipt was dropped (a cut link, a crashed receiver, no
//! socket) or never received. madsim's lines carry no length, so neither do
//! ours.
//!
//! `sim::rpc`'s own datagrams are left out (they are traced as RPCs, and
//! existing traces must not change): its Endpoint calls run inside
//! [`unseen`], and an event seen there is dropped before its message is
//! even formatted.

use std::cell::Cell;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata};

use crate::node;

/// madsim's target for its Endpoint events.
const MADSIM_TARGET: &str = "madsim::sim::net::endpoint";

/// The target of the recorded lines.
pub const TARGET: &str = "sim::endpoint";

thread_local! {
    /// Depth of `sim::rpc`'s own Endpoint polls on this thread.
    static UNSEEN: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` (a poll of `sim::rpc`'s Endpoint use) with its madsim events
/// left out of the trace.
pub(crate) fn unseen<R>(f: impl FnOnce() -> R) -> R {
    struct Leave;
    impl Drop for Leave {
        fn drop(&mut self) {
            UNSEEN.with(|u| u.set(u.get() - 1));
        }
    }
    UNSEEN.with(|u| u.set(u.get() + 1));
    let _leave = Leave;
    f()
}

/// Whether an Endpoint event now would be recorded: not inside [`unseen`].
pub(crate) fn seen() -> bool {
    UNSEEN.with(|u| u.get()) == 0
}

/// Whether the callsite is one of madsim's two Endpoint datagram events.
pub(crate) fn wanted(metadata: &Metadata<'_>) -> bool {
    *metadata.level() == Level::TRACE && metadata.is_event() && metadata.target() == MADSIM_TARGET
}

/// The level and text of the line for madsim event `event` emitted on
/// `node`, or None if it is not recorded (`sim::rpc`'s, or not a datagram).
pub(crate) fn line(event: &Event<'_>, node: &str) -> Option<(Level, String)> {
    if !seen() {
        return None;
    }
    let mut message = MessageVisitor(String::new());
    event.record(&mut message);
    text(&message.0, node).map(|text| (Level::DEBUG, text))
}

/// Our text for madsim's message `message`, emitted on node `node`.
fn text(message: &str, node: &str) -> Option<String> {
    let (verb, rest) = message.split_once(": ")?;
    let (addresses, tag) = rest.split_once(", tag=")?;
    let tag: u64 = tag.parse().ok()?;
    let arrow = match verb {
        "send" => " -> ",
        "recv" => " <- ",
        _ => return None,
    };
    let (local, remote) = addresses.split_once(arrow)?;
    let local: SocketAddr = local.parse().ok()?;
    let remote: SocketAddr = remote.parse().ok()?;
    let peer = name_of(remote.ip(), node);
    let mut out = String::with_capacity(48);
    let _ = match verb {
        "send" => write!(
            out,
            "send to={peer} port={} tag={tag} from_port={}",
            remote.port(),
            local.port()
        ),
        _ => write!(
            out,
            "recv from={peer} port={} tag={tag} from_port={}",
            local.port(),
            remote.port()
        ),
    };
    Some(out)
}

/// The node at `ip`, seen from node `here`: a loopback or unspecified
/// address is `here` itself, an address of no node of ours the harness.
fn name_of(ip: IpAddr, here: &str) -> String {
    if ip.is_loopback() || ip.is_unspecified() {
        return here.to_string();
    }
    node::name_of_ip(ip).unwrap_or_else(|| node::MAIN.to_string())
}

struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_name_ports_and_tags_and_reject_other_messages() {
        // name_of needs a run only for addresses of nodes; these are not.
        assert_eq!(
            text("send: 0.0.0.0:5 -> 127.0.0.1:9000, tag=3", "a").as_deref(),
            Some("send to=a port=9000 tag=3 from_port=5")
        );
        assert_eq!(
            text("recv: 0.0.0.0:9000 <- 127.0.0.1:5, tag=3", "a").as_deref(),
            Some("recv from=a port=9000 tag=3 from_port=5")
        );
        assert_eq!(text("delay", "a"), None);
        assert_eq!(text("send: x -> y, tag=1", "a"), None);
        assert_eq!(text("send: 0.0.0.0:5 -> 127.0.0.1:9000, tag=z", "a"), None);
    }
}
