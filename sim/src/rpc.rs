//! labrpc-style RPC over madsim datagrams, with bincode-encoded typed
//! messages.
//!
//! Why our own: madsim's built-in RPC passes Rust values without serializing
//! them, so it cannot count bytes (TestRPCBytes needs that), and it keeps late
//! replies in the mailbox forever. Here every call binds a fresh ephemeral
//! endpoint, so a late reply finds no socket and is dropped, and a reply
//! carries its call id, so a reply meant for an earlier user of a reused port
//! is ignored.
//!
//! Semantics and constants are those of 6.824's labrpc:
//! - a call returns a reply or an error, never hangs: an unreachable server
//!   (partitioned, crashed, or not serving) fails after rand(0..100) ms
//!   (rand(0..7000) ms with long delays);
//! - unreliable: the request is delayed rand(0..27) ms, then dropped with
//!   probability 100/1000; after the handler ran, the reply is dropped with
//!   probability 100/1000;
//! - long reordering: with probability 600/900 the reply is delayed by
//!   200 + rand(1 + rand(2000)) ms;
//! - a server killed or replaced mid-call, or a link cut mid-call, is noticed
//!   within 100 ms and the call fails; a dead server never delivers a reply;
//! - labrpc's reply rule: when the handler returns, the reply is dropped
//!   (the call fails) if the caller's link is cut at that instant, even if
//!   it was cut during the unreliable network's request delay. labrpc has
//!   no transit time, so "that instant" is the request's send instant plus
//!   the handler's run time, judged against the reachability then.
//!
//! Counters follow labrpc: every call counts one RPC and its request bytes;
//! reply bytes count when the reply is delivered; the receiving server counts
//! each request it dispatches.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use futures::future::{select, BoxFuture, Either};
use futures::FutureExt;
use madsim::net::Endpoint;
use madsim::rand::{thread_rng, Rng};
use madsim::time::sleep;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{clogs, fault, net, node};

mod faults;
pub(crate) use faults::NetFaults;
pub use faults::{set_duplicates, set_request_reordering, slow_down, speed_up, speed_up_all};

/// The port every node's RPC server listens on.
pub const RPC_PORT: u16 = 7000;
const TAG_REQUEST: u64 = 1;
const TAG_REPLY: u64 = 2;
/// How often a waiting caller checks that its server is still there.
const LIVENESS_CHECK: Duration = Duration::from_millis(100);

/// Why a call returned no reply (labrpc's `Call` returning false).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcError {
    /// The server is partitioned away, crashed, or not serving.
    Unreachable,
    /// The unreliable network dropped the request.
    RequestDropped,
    /// The unreliable network dropped the reply.
    ReplyDropped,
    /// The server crashed or restarted, or the link was cut, mid-call.
    ServerLost,
    /// The server has no such method.
    UnknownMethod(String),
    /// The request or reply did not decode.
    Codec(String),
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RpcError::Unreachable => f.write_str("server unreachable"),
            RpcError::RequestDropped => f.write_str("request dropped"),
            RpcError::ReplyDropped => f.write_str("reply dropped"),
            RpcError::ServerLost => f.write_str("server lost mid-call"),
            RpcError::UnknownMethod(m) => write!(f, "unknown method {m:?}"),
            RpcError::Codec(e) => write!(f, "codec error: {e}"),
        }
    }
}

impl std::error::Error for RpcError {}

#[derive(Serialize, Deserialize)]
struct Request {
    call_id: u64,
    method: String,
    args: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    call_id: u64,
    result: Result<Vec<u8>, ServerError>,
    /// Virtual nanoseconds from the request's arrival to the handler's
    /// return: with the send instant, when labrpc would decide the reply's
    /// fate (it has no transit time).
    handled_for_nanos: u64,
}

#[derive(Serialize, Deserialize)]
enum ServerError {
    UnknownMethod(String),
    Codec(String),
}

impl From<ServerError> for RpcError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::UnknownMethod(m) => RpcError::UnknownMethod(m),
            ServerError::Codec(e) => RpcError::Codec(e),
        }
    }
}

/// The calling side of a connection to one server (labrpc's `ClientEnd`).
/// Calls may be made from any node; the caller is the node of the calling task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientEnd {
    target: String,
}

impl ClientEnd {
    /// An end that calls the RPC server of node `target`.
    pub fn new(target: impl Into<String>) -> Self {
        ClientEnd {
            target: target.into(),
        }
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Calls `method` with `args`. Returns the reply, or an error after a
    /// bounded virtual time.
    pub async fn call<Req, Rep>(&self, method: &str, args: &Req) -> Result<Rep, RpcError>
    where
        Req: Serialize,
        Rep: DeserializeOwned,
    {
        let bytes = bincode::serialize(args).map_err(|e| RpcError::Codec(e.to_string()))?;
        let reply = self.call_bytes(method, bytes).await?;
        bincode::deserialize(&reply).map_err(|e| RpcError::Codec(e.to_string()))
    }

    /// The untyped call: request bytes in, reply bytes out.
    pub async fn call_bytes(&self, method: &str, args: Vec<u8>) -> Result<Vec<u8>, RpcError> {
        let from = node::current();
        let to = self.target.as_str();
        let rpc = net::count_request(args.len());
        tracing::debug!(target: "sim::rpc", to, method, rpc, "call");
        let (reachable, reliable, long_delays, long_reordering, server_generation) = {
            let network = net::network();
            let s = network.state.lock().unwrap();
            let server = s.servers.get(to).copied();
            let live = match (server, node::state(to)) {
                (Some(registered), Some((true, generation))) => {
                    (registered == generation).then_some(generation)
                }
                _ => None,
            };
            (
                live.is_some() && s.link_up(&from, to),
                s.reliable,
                s.long_delays,
                s.long_reordering,
                live,
            )
        };
        if !reachable {
            let bound_ms = if long_delays { 7000 } else { 100 };
            let ms = thread_rng().gen_range(0..bound_ms);
            sleep_ms(ms).await;
            tracing::debug!(target: "sim::rpc", to, rpc, "unreachable");
            return Err(RpcError::Unreachable);
        }
        if !reliable {
            sleep_ms(thread_rng().gen_range(0..27)).await;
            let fires = thread_rng().gen_range(0..1000) < 100;
            if let Some(fault) = fault::inject("drop_request", fires) {
                tracing::debug!(target: "sim::rpc", to, rpc, fault = %fault, "request dropped");
                return Err(RpcError::RequestDropped);
            }
        }
        faults::before_request(&from, to, rpc).await;
        faults::maybe_duplicate(&from, to, rpc, method, &args);
        let generation = server_generation.expect("reachable implies a live server");
        let reply = match self.exchange(&from, method, args, generation).await {
            Ok(reply) => reply,
            Err(e) => {
                tracing::debug!(target: "sim::rpc", to, rpc, error = ?e, "failed");
                return Err(e);
            }
        };
        if !reliable {
            let fires = thread_rng().gen_range(0..1000) < 100;
            if let Some(fault) = fault::inject("drop_reply", fires) {
                tracing::debug!(target: "sim::rpc", to, rpc, fault = %fault, "reply dropped");
                return Err(RpcError::ReplyDropped);
            }
        }
        if long_reordering {
            let fires = thread_rng().gen_range(0..900) < 600;
            let inner = thread_rng().gen_range(0..2000);
            let ms = 200 + thread_rng().gen_range(0..1 + inner);
            if fault::decide("long_reorder", fires) {
                sleep_ms(ms).await;
            }
        }
        faults::before_reply(&from, to).await;
        net::count_reply(reply.len());
        tracing::debug!(target: "sim::rpc", to, rpc, "reply");
        Ok(reply)
    }

    /// Sends the request and waits for its reply, failing if the server goes
    /// away or the link is cut while waiting.
    async fn exchange(
        &self,
        from: &str,
        method: &str,
        args: Vec<u8>,
        generation: u64,
    ) -> Result<Vec<u8>, RpcError> {
        let to = self.target.as_str();
        // Before the bind and the send, which madsim charges at least 1 ms:
        // labrpc's request reaches the handler at once.
        let sent_at = net::now();
        let local = SocketAddr::new(local_ip(from), 0);
        let endpoint = Endpoint::bind(local)
            .await
            .expect("binding an ephemeral port in the simulation");
        let call_id: u64 = thread_rng().gen();
        let request = Request {
            call_id,
            method: method.to_string(),
            args,
        };
        let wire = bincode::serialize(&request).expect("requests always encode");
        let server = SocketAddr::new(node::ip(to), RPC_PORT);
        net::count_datagram();
        let send = pin!(endpoint.send_to_raw(server, TAG_REQUEST, Box::new(wire)));
        clogs::send(send, from, clogs::Peer::Node(to))
            .await
            .expect("datagram send in the simulation");
        let mut receive = pin!(receive_reply(&endpoint, call_id));
        loop {
            let check = pin!(sleep(LIVENESS_CHECK));
            match select(receive.as_mut(), check).await {
                Either::Left(((result, handled_for), _)) => {
                    let decided_at = sent_at + handled_for;
                    let delivered = {
                        let network = net::network();
                        let s = network.state.lock().unwrap();
                        s.link_up_at(from, to, decided_at)
                    };
                    if !delivered {
                        tracing::debug!(target: "sim::rpc", to, "reply lost: link cut before the handler returned");
                        return Err(RpcError::ServerLost);
                    }
                    return result.map_err(RpcError::from);
                }
                Either::Right(((), _)) => {
                    let lost = {
                        let network = net::network();
                        let s = network.state.lock().unwrap();
                        let same = s.servers.get(to) == Some(&generation)
                            && node::state(to) == Some((true, generation));
                        !same || !s.link_up(from, to)
                    };
                    if lost {
                        return Err(RpcError::ServerLost);
                    }
                }
            }
        }
    }
}

/// The reply to `call_id`, and how long its handler ran.
async fn receive_reply(
    endpoint: &Endpoint,
    call_id: u64,
) -> (Result<Vec<u8>, ServerError>, Duration) {
    loop {
        let (payload, _from) = clogs::receive(pin!(endpoint.recv_from_raw(TAG_REPLY)))
            .await
            .expect("receiving on a bound endpoint");
        let bytes = payload
            .downcast::<Vec<u8>>()
            .expect("rpc payloads are bytes");
        match bincode::deserialize::<Reply>(&bytes) {
            Ok(reply) if reply.call_id == call_id => {
                return (reply.result, Duration::from_nanos(reply.handled_for_nanos))
            }
            // A late reply to an earlier call that used the same port.
            _ => continue,
        }
    }
}

fn local_ip(name: &str) -> std::net::IpAddr {
    if name == node::MAIN {
        std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)
    } else {
        node::ip(name)
    }
}

/// madsim sleeps at least 1 ms even for zero; a zero delay must be no delay.
async fn sleep_ms(ms: u64) {
    if ms > 0 {
        sleep(Duration::from_millis(ms)).await;
    }
}

type Handler =
    Arc<dyn Fn(Vec<u8>) -> BoxFuture<'static, Result<Vec<u8>, ServerError>> + Send + Sync>;

/// An RPC server: named methods with typed handlers (labrpc's `Server` and
/// `Service` in one).
#[derive(Default, Clone)]
pub struct Server {
    methods: BTreeMap<String, Handler>,
}

impl Server {
    pub fn new() -> Self {
        Server::default()
    }

    /// Registers `method`. The handler runs as its own task on the server's
    /// node, so a crash drops it mid-flight.
    pub fn add<Req, Rep, F, Fut>(mut self, method: &str, handler: F) -> Self
    where
        Req: DeserializeOwned + Send + 'static,
        Rep: Serialize + Send + 'static,
        F: Fn(Req) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Rep> + Send + 'static,
    {
        let handler = Arc::new(handler);
        let erased: Handler = Arc::new(move |bytes: Vec<u8>| {
            let handler = handler.clone();
            async move {
                let args: Req =
                    bincode::deserialize(&bytes).map_err(|e| ServerError::Codec(e.to_string()))?;
                let reply = handler(args).await;
                bincode::serialize(&reply).map_err(|e| ServerError::Codec(e.to_string()))
            }
            .boxed()
        });
        let previous = self.methods.insert(method.to_string(), erased);
        assert!(
            previous.is_none(),
            "sim::rpc: method {method:?} registered twice"
        );
        self
    }

    /// Starts serving on the calling task's node: binds the RPC port,
    /// registers the server with the network, and spawns the dispatcher.
    /// Must be called from a task on the node (not the harness).
    pub async fn start(self) -> io::Result<()> {
        let me = node::current();
        assert_ne!(
            me,
            node::MAIN,
            "sim::rpc: start a server from a task on its node"
        );
        let endpoint = Endpoint::bind(SocketAddr::new(node::ip(&me), RPC_PORT)).await?;
        let generation = node::generation(&me);
        net::network()
            .state
            .lock()
            .unwrap()
            .servers
            .insert(me.clone(), generation);
        madsim::task::spawn(self.dispatch(endpoint, me));
        Ok(())
    }

    async fn dispatch(self, endpoint: Endpoint, me: String) {
        let endpoint = Arc::new(endpoint);
        // For the reply tasks: a reference count per request, not a copy.
        let shared_me: Arc<str> = me.as_str().into();
        loop {
            let received = clogs::receive(pin!(endpoint.recv_from_raw(TAG_REQUEST))).await;
            let Ok((payload, from)) = received else {
                return;
            };
            let bytes = payload
                .downcast::<Vec<u8>>()
                .expect("rpc payloads are bytes");
            let Ok(request) = bincode::deserialize::<Request>(&bytes) else {
                continue;
            };
            *net::network()
                .state
                .lock()
                .unwrap()
                .rpcs_received
                .entry(me.clone())
                .or_insert(0) += 1;
            let handler = self.methods.get(&request.method).cloned();
            let endpoint = endpoint.clone();
            let me = shared_me.clone();
            let arrived_at = net::now();
            madsim::task::spawn(async move {
                let result = match handler {
                    Some(handler) => handler(request.args).await,
                    None => Err(ServerError::UnknownMethod(request.method.clone())),
                };
                let handled_for = net::now() - arrived_at;
                let reply = Reply {
                    call_id: request.call_id,
                    result,
                    handled_for_nanos: u64::try_from(handled_for.as_nanos())
                        .expect("a handler runs for less than 584 years"),
                };
                let wire = bincode::serialize(&reply).expect("replies always encode");
                // The caller may have given up; a reply to a closed port is
                // dropped by the network, which is what labrpc does too.
                net::count_datagram();
                let send = pin!(endpoint.send_to_raw(from, TAG_REPLY, Box::new(wire)));
                let _ = clogs::send(send, &me, clogs::Peer::Ip(from.ip())).await;
            });
        }
    }
}
