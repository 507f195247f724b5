//! The floor of `dst bench`: bare madsim's unit costs, measured in a child
//! process (`dst bench-floor`) with no subscriber and nothing of ours.
//!
//! - per event: a workload of timers and messages only (64 tasks sleeping
//!   1 ms and exchanging datagrams with a server node); an event is a poll,
//!   the executor handling one timer or one message. This is the floor the
//!   issue defines.
//! - per bare poll (1,000 tasks that only yield), per spawn (empty tasks)
//!   and per datagram (the exchanges without the sleeps): the strict floor,
//!   which leaves a system's own timers out.
//!
//! Each measurement is the fastest of three: a floor is what the machine
//! can do; slower runs measure the machine's other work.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

// Woken at once, like tokio's `yield_now`, but with no tokio runtime behind
// it (the bank's: the one such yield in the workspace).
use bank_api::jitter::yield_now;
use serde::{Deserialize, Serialize};

use super::UsageError;

/// Bare madsim's unit costs, in seconds, measured with nothing of ours: no
/// subscriber, no RPC layer, no framework.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub(super) struct Floor {
    /// One event of a workload of timers and messages only (the issue's
    /// floor): the executor handling one timer or one message.
    pub(super) per_event: f64,
    /// One poll, among many ready tasks that only yield.
    pub(super) per_poll: f64,
    /// One spawn, beyond its task's polls.
    pub(super) per_spawn: f64,
    /// One datagram sent and delivered, beyond the polls it causes.
    pub(super) per_datagram: f64,
}

impl Floor {
    /// What bare madsim would take for as many events (polls) of timers
    /// and messages, and as many spawns, as a system made.
    pub(super) fn events(&self, polls: u64, spawns: u64) -> f64 {
        polls as f64 * self.per_event + spawns as f64 * self.per_spawn
    }

    /// A stricter floor: each poll priced as a bare yield, each datagram as
    /// itself. The system's own timers are left out, so this one is low.
    pub(super) fn strict_events(&self, polls: u64, spawns: u64, datagrams: u64) -> f64 {
        polls as f64 * self.per_poll
            + spawns as f64 * self.per_spawn
            + datagrams as f64 * self.per_datagram
    }
}

thread_local! {
    /// Polls of the floor's tasks (see [`Counted`]).
    static FLOOR_POLLS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts the polls of a future: the floor has no subscriber to count them.
struct Counted<F>(std::pin::Pin<Box<F>>);

impl<F: std::future::Future> std::future::Future for Counted<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        FLOOR_POLLS.with(|p| p.set(p.get() + 1));
        self.0.as_mut().poll(cx)
    }
}

fn counted<F: std::future::Future>(f: F) -> Counted<F> {
    Counted(Box::pin(f))
}

/// Runs `workload` three times, each on a fresh thread and runtime; returns
/// the fastest (wall, polls): a floor is what the machine can do, and the
/// slower runs measure the machine's other work.
fn timed_floor<F, Fut>(workload: F) -> (f64, u64)
where
    F: Fn(madsim::runtime::NodeHandle, madsim::runtime::NodeHandle) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let workload = std::sync::Arc::new(workload);
    (0..3)
        .map(|_| timed_once(workload.clone()))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .expect("three runs")
}

fn timed_once<F, Fut>(workload: std::sync::Arc<F>) -> (f64, u64)
where
    F: Fn(madsim::runtime::NodeHandle, madsim::runtime::NodeHandle) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + 'static,
{
    std::thread::spawn(move || {
        let runtime = madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default());
        let a = runtime.create_node().ip([10, 0, 0, 1].into()).build();
        let b = runtime.create_node().ip([10, 0, 0, 2].into()).build();
        FLOOR_POLLS.with(|p| p.set(0));
        let started = Instant::now();
        runtime.block_on(workload(a, b));
        let wall = started.elapsed().as_secs_f64();
        (wall, FLOOR_POLLS.with(|p| p.get()))
    })
    .join()
    .expect("the floor workload runs")
}

const CLIENTS: u16 = 64;
const EXCHANGES: u64 = 1_500;

/// 64 clients on `client` each exchange 1,500 request/reply datagrams with a
/// server on `server`, sleeping 1 ms before each request if `timers`.
async fn exchanges(
    client: madsim::runtime::NodeHandle,
    server: madsim::runtime::NodeHandle,
    timers: bool,
) {
    let server_addr: SocketAddr = "10.0.0.2:1".parse().unwrap();
    server.spawn(counted(async move {
        let ep = madsim::net::Endpoint::bind(server_addr).await.unwrap();
        loop {
            let (msg, from) = ep.recv_from_raw(1).await.unwrap();
            ep.send_to_raw(from, 2, msg).await.unwrap();
        }
    }));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            client.spawn(counted(async move {
                let addr = SocketAddr::from(([10, 0, 0, 1], 1 + i));
                let ep = madsim::net::Endpoint::bind(addr).await.unwrap();
                for round in 0..EXCHANGES {
                    if timers {
                        madsim::time::sleep(Duration::from_millis(1)).await;
                    }
                    let msg = Box::new(vec![round as u8; 64]);
                    ep.send_to_raw(server_addr, 1, msg).await.unwrap();
                    ep.recv_from_raw(2).await.unwrap();
                }
            }))
        })
        .collect();
    for c in clients {
        c.await.unwrap();
    }
}

/// The hidden child command: bare madsim's unit costs, as one JSON line.
pub fn bench_floor() -> Result<i32, UsageError> {
    const TASKS: u64 = 1_000;
    const YIELDS: u64 = 2_000;
    const SPAWNS: u64 = 500_000;
    // Polls: 1,000 tasks each yielding 2,000 times, so that madsim picks
    // among many ready tasks as it does in a suite.
    let (wall, polls) = timed_floor(|a, _| async move {
        a.spawn(counted(async {
            let tasks: Vec<_> = (0..TASKS)
                .map(|_| {
                    madsim::task::spawn(counted(async {
                        for _ in 0..YIELDS {
                            yield_now().await;
                        }
                    }))
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        }))
        .await
        .unwrap();
    });
    let per_poll = wall / polls.max(1) as f64;
    // Spawns: empty tasks, spawned 100 at a time; their polls are priced
    // as above, the rest is the spawn.
    let (wall, polls) = timed_floor(|a, _| async move {
        a.spawn(counted(async {
            let done = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            for i in 0..SPAWNS {
                let done = done.clone();
                madsim::task::spawn(counted(async move {
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }));
                if i % 100 == 99 {
                    yield_now().await;
                }
                if i % 10_000 == 9_999 {
                    // As the bank's suite does: let madsim drop its weak
                    // references to finished tasks, or their memory stays.
                    let _ = madsim::runtime::Handle::current().metrics().num_tasks();
                }
            }
            while done.load(std::sync::atomic::Ordering::Relaxed) < SPAWNS {
                yield_now().await;
            }
        }))
        .await
        .unwrap();
    });
    let per_spawn = ((wall - polls as f64 * per_poll) / SPAWNS as f64).max(0.0);
    // Datagrams: 64 clients on one node exchange 1,500 request/reply pairs
    // each with a server on another node (madsim's own send delay, a timer,
    // included); their polls are priced as above, the rest is the datagram.
    let (wall, polls) = timed_floor(|client, server| exchanges(client, server, false));
    let datagrams = 2 * u64::from(CLIENTS) * EXCHANGES;
    let per_datagram = ((wall - polls as f64 * per_poll) / datagrams as f64).max(0.0);
    // Events, as the floor has them: timers and messages only, the
    // same exchanges with a 1 ms sleep before each request; an event is a
    // poll (the executor handling one timer or one message).
    let (wall, polls) = timed_floor(|client, server| exchanges(client, server, true));
    let per_event = wall / polls.max(1) as f64;
    let floor = Floor {
        per_event,
        per_poll,
        per_spawn,
        per_datagram,
    };
    println!("{}", serde_json::to_string(&floor).expect("serializes"));
    Ok(0)
}
