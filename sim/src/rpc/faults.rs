//! The network faults beyond labrpc's, each opt-in by a setting so that the
//! ported course tests keep labrpc's exact semantics (and draw not one more
//! random number): a request delivered twice, the copy late; requests held
//! back so that later ones overtake them; a node that is slow rather than
//! dead. Each fault is a numbered decision through [`crate::fault`], so
//! plans, replays and `dst shrink` handle them like labrpc's drops.
//!
//! Why these: a protocol that is correct under loss and reply reordering
//! can still mishandle a stale request (an AppendEntries overtaken by a
//! newer one, or the same one again seconds later), and a node that
//! answers late is neither up nor down to its peers' timers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use madsim::net::Endpoint;
use madsim::plugin::{self, Simulator};
use madsim::rand::{thread_rng, GlobalRng, Rng};
use madsim::time::TimeHandle;

use super::{local_ip, sleep_ms, Request, RPC_PORT, TAG_REQUEST};
use crate::{fault, net, node};

/// Chance (per mille) that a request is duplicated, with duplicates on.
const DUPLICATE_PERMILLE: u32 = 100;
/// Chance (per mille) that a request is held back, with request reordering on.
const REORDER_PERMILLE: u32 = 100;

/// The settings of one run (a madsim plugin: fresh for every runtime).
pub struct NetFaults {
    state: Mutex<Settings>,
}

#[derive(Default)]
struct Settings {
    duplicates: bool,
    request_reordering: bool,
    /// Slow nodes and the most a message to or from them is held up.
    slow: BTreeMap<String, Duration>,
}

impl Simulator for NetFaults {
    fn new(_rand: &GlobalRng, _time: &TimeHandle, _config: &madsim::Config) -> Self {
        NetFaults {
            state: Mutex::new(Settings::default()),
        }
    }
}

fn with_settings<T>(f: impl FnOnce(&mut Settings) -> T) -> T {
    f(&mut plugin::simulator::<NetFaults>().state.lock().unwrap())
}

/// Duplicated requests: with probability 100/1000 a request that reaches
/// its server is delivered a second time, 1 + rand(2000) ms later (if the
/// link and the server are still up then); the copy's reply is lost.
pub fn set_duplicates(on: bool) {
    tracing::info!(target: "sim::net", on, "set duplicates");
    with_settings(|s| s.duplicates = on);
}

/// Request reordering: with probability 100/1000 a request is held back
/// 200 + rand(1 + rand(2000)) ms before it is sent, so that requests sent
/// after it arrive first (labrpc's long reordering, for requests).
pub fn set_request_reordering(on: bool) {
    tracing::info!(target: "sim::net", on, "set request reordering");
    with_settings(|s| s.request_reordering = on);
}

/// Makes node `name` slow: every request it sends or receives, and every
/// reply it sends, is held up rand(0..=most) more. Its timers run as
/// before, so its peers see a node that answers late, not a dead one. A
/// fault (`slow_node`), so a plan can leave it out.
pub fn slow_down(name: &str, most: Duration) {
    if !fault::decide("slow_node", true) {
        tracing::info!(target: "sim::net", node = name, "slow down skipped by the fault plan");
        return;
    }
    let most_ms = most.as_millis() as u64;
    tracing::info!(target: "sim::net", node = name, most_ms, "slow down");
    with_settings(|s| s.slow.insert(name.to_string(), most));
}

/// Node `name` is no longer slow.
pub fn speed_up(name: &str) {
    let was = with_settings(|s| s.slow.remove(name).is_some());
    if was {
        tracing::info!(target: "sim::net", node = name, "speed up");
    }
}

/// No node is slow any more.
pub fn speed_up_all() {
    let names: Vec<String> = with_settings(|s| s.slow.keys().cloned().collect());
    for name in names {
        speed_up(&name);
    }
}

/// The most a message between `a` and `b` is held up by slowness.
fn slowness(a: &str, b: &str) -> Option<Duration> {
    with_settings(|s| {
        let one = s.slow.get(a).copied();
        let other = s.slow.get(b).copied();
        one.max(other)
    })
}

async fn hold_up(most: Option<Duration>) {
    if let Some(most) = most {
        let ms = thread_rng().gen_range(0..=most.as_millis() as u64);
        sleep_ms(ms).await;
    }
}

/// Before a request leaves: held up by slowness, and perhaps held back so
/// that later requests overtake it.
pub(super) async fn before_request(from: &str, to: &str, rpc: u64) {
    hold_up(slowness(from, to)).await;
    if !with_settings(|s| s.request_reordering) {
        return;
    }
    let fires = thread_rng().gen_range(0..1000) < REORDER_PERMILLE;
    let inner = thread_rng().gen_range(0..2000);
    let ms = 200 + thread_rng().gen_range(0..1 + inner);
    if let Some(fault) = fault::inject("reorder_request", fires) {
        tracing::debug!(target: "sim::rpc", to, rpc, ms, fault = %fault, "request held back");
        sleep_ms(ms).await;
    }
}

/// Before a reply is handed to the caller: held up by the server's (or the
/// caller's) slowness.
pub(super) async fn before_reply(from: &str, to: &str) {
    hold_up(slowness(from, to)).await;
}

/// When a request reaches its server: perhaps a copy of it is delivered
/// again later, from the caller's node (a crash of the caller loses it).
pub(super) fn maybe_duplicate(from: &str, to: &str, rpc: u64, method: &str, args: &[u8]) {
    if !with_settings(|s| s.duplicates) {
        return;
    }
    let fires = thread_rng().gen_range(0..1000) < DUPLICATE_PERMILLE;
    let ms = 1 + thread_rng().gen_range(0..2000);
    let Some(fault) = fault::inject("duplicate_request", fires) else {
        return;
    };
    tracing::debug!(target: "sim::rpc", to, rpc, ms, fault = %fault, "request duplicated");
    let request = Request {
        call_id: thread_rng().gen(),
        method: method.to_string(),
        args: args.to_vec(),
    };
    let on_main = from == node::MAIN;
    let (from, to) = (from.to_string(), to.to_string());
    let copy = async move {
        sleep_ms(ms).await;
        deliver_copy(&from, &to, rpc, request).await;
    };
    if on_main {
        node::spawn_background(copy);
    } else {
        madsim::task::spawn(copy);
    }
}

/// Sends the late copy if the link and a server are there to receive it.
/// Nobody waits for its reply: the endpoint is gone when it comes back.
async fn deliver_copy(from: &str, to: &str, rpc: u64, request: Request) {
    let up = {
        let network = net::network();
        let s = network.state.lock().unwrap();
        let serving = match (s.servers.get(to), node::state(to)) {
            (Some(registered), Some((true, generation))) => *registered == generation,
            _ => false,
        };
        serving && s.link_up(from, to)
    };
    if !up {
        tracing::debug!(target: "sim::rpc", to, rpc, "duplicate lost");
        return;
    }
    tracing::debug!(target: "sim::rpc", to, rpc, "duplicate delivered");
    let Ok(endpoint) = Endpoint::bind(SocketAddr::new(local_ip(from), 0)).await else {
        return;
    };
    let wire = bincode::serialize(&request).expect("requests always encode");
    let server = SocketAddr::new(node::ip(to), RPC_PORT);
    net::count_datagram();
    let _ = endpoint
        .send_to_raw(server, TAG_REQUEST, Box::new(wire))
        .await;
}
