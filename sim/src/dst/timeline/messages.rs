//! Raw Endpoint datagrams in the timeline: each `sim::endpoint` send line
//! paired with its receipt, drawn as an arrow from sender to receiver, or as
//! lost when no receipt follows.
//!
//! A send and its receipt share (sender, sender's port, receiver, receiver's
//! port, tag) (see `sim::endpoint_trace`); datagrams with the same key are
//! paired first-sent, first-received. madsim can reorder two datagrams of
//! one key in flight together, and then their arrows cross over: the
//! lines carry nothing that tells such twins apart.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;
use sim::trace::TraceLine;

/// One datagram.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub from: usize,
    pub to: usize,
    /// `port P tag T`: the receiver's port and the tag.
    pub label: String,
    /// When the send started.
    pub t0: u64,
    /// When the receiver took it; `t0` if it never did.
    pub t1: u64,
    /// False: dropped (a cut link, a crashed receiver, no socket) or never
    /// taken by the receiver before the run ended.
    pub received: bool,
    /// Indexes into the model's events of the send and of the receipt (the
    /// send again when there was none).
    pub send: usize,
    pub recv: usize,
}

/// (sender lane, sender port, receiver lane, receiver port, tag).
type Key = (usize, u16, usize, u16, u64);

/// Pairs the `sim::endpoint` lines of a trace, in trace order.
#[derive(Default)]
pub struct Pairing {
    pending: BTreeMap<Key, VecDeque<(usize, u64)>>,
    messages: Vec<Message>,
}

impl Pairing {
    /// Takes line `index` at `t`, emitted on lane `lane`; `lane_of` gives
    /// (and adds) the lane of a node name.
    pub fn line(
        &mut self,
        index: usize,
        t: u64,
        lane: usize,
        line: &TraceLine,
        mut lane_of: impl FnMut(&str) -> usize,
    ) {
        let number = |key: &str| line.field(key).and_then(|v| v.parse::<u64>().ok());
        let (Some(port), Some(from_port), Some(tag)) =
            (number("port"), number("from_port"), number("tag"))
        else {
            return;
        };
        let (Ok(port), Ok(from_port)) = (u16::try_from(port), u16::try_from(from_port)) else {
            return;
        };
        match (line.message(), line.field("to"), line.field("from")) {
            ("send", Some(to), _) => {
                let key = (lane, from_port, lane_of(to), port, tag);
                self.pending.entry(key).or_default().push_back((index, t));
            }
            ("recv", _, Some(from)) => {
                let key = (lane_of(from), from_port, lane, port, tag);
                let Some((send, t0)) = self.pending.get_mut(&key).and_then(|q| q.pop_front())
                else {
                    return;
                };
                self.messages.push(Message {
                    from: key.0,
                    to: lane,
                    label: format!("port {port} tag {tag}"),
                    t0,
                    t1: t,
                    received: true,
                    send,
                    recv: index,
                });
            }
            _ => {}
        }
    }

    /// Every datagram, unreceived ones included, by send time.
    pub fn finish(mut self) -> Vec<Message> {
        for ((from, _, to, port, tag), sends) in std::mem::take(&mut self.pending) {
            for (send, t0) in sends {
                self.messages.push(Message {
                    from,
                    to,
                    label: format!("port {port} tag {tag}"),
                    t0,
                    t1: t0,
                    received: false,
                    send,
                    recv: send,
                });
            }
        }
        self.messages.sort_by_key(|m| (m.t0, m.send));
        self.messages
    }
}
