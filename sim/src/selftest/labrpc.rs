//! labrpc's self-tests (6.824 `labrpc/test_test.go`), against `sim::rpc`.
//!
//! Each test starts a `server` node running the JunkServer and one or more
//! client nodes, then checks what labrpc's test checks.

use std::time::Duration;

use madsim::time::{sleep, Instant};
use serde::{Deserialize, Serialize};
use sim::rpc::{ClientEnd, RpcError, Server};
use sim::{bail, ensure, net, node, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("sim/labrpc/basic", || Box::pin(basic())),
        Scenario::new("sim/labrpc/types", || Box::pin(types())),
        Scenario::new("sim/labrpc/disconnect", || Box::pin(disconnect())),
        Scenario::new("sim/labrpc/counts", || Box::pin(counts())),
        Scenario::new("sim/labrpc/bytes", || Box::pin(bytes())),
        Scenario::new("sim/labrpc/concurrent_many", || Box::pin(concurrent_many())),
        Scenario::new("sim/labrpc/unreliable", || Box::pin(unreliable())),
        Scenario::new("sim/labrpc/concurrent_one", || Box::pin(concurrent_one())),
        Scenario::new("sim/labrpc/regression1", || Box::pin(regression1())),
        Scenario::new("sim/labrpc/killed", || Box::pin(killed())),
        Scenario::new("sim/labrpc/reply_after_cut", || Box::pin(reply_after_cut())),
    ]
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i64,
    label: String,
    tags: Vec<u8>,
}

/// The JunkServer: Handler1 parses a number, Handler2 formats one, Handler3
/// never answers in time, Handler4 returns n bytes, Handler5 mirrors a struct.
async fn start_junk_server() {
    node::create("server");
    node::spawn("server", async {
        Server::new()
            .add("Junk.Handler1", |text: String| async move {
                text.parse::<i64>().unwrap_or(-1)
            })
            .add(
                "Junk.Handler2",
                |n: i64| async move { format!("handler2-{n}") },
            )
            .add("Junk.Handler3", |n: i64| async move {
                sleep(Duration::from_secs(20)).await;
                -n
            })
            .add("Junk.Handler4", |n: usize| async move { vec![7u8; n] })
            .add("Junk.Handler5", |p: Point| async move {
                Point {
                    x: p.x + 1,
                    label: p.label.to_uppercase(),
                    tags: p.tags.into_iter().rev().collect(),
                }
            })
            .start()
            .await
            .expect("the server binds its port");
    })
    .await
    .expect("server setup task");
}

/// Calls Handler2(n) from `client` and returns the reply.
async fn handler2(client: &str, n: i64) -> Result<String, RpcError> {
    node::spawn(client, async move {
        ClientEnd::new("server")
            .call::<i64, String>("Junk.Handler2", &n)
            .await
    })
    .await
    .expect("client task")
}

async fn basic() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    let reply = handler2("client", 111).await;
    ensure!(
        reply.as_deref() == Ok("handler2-111"),
        "wrong reply from Handler2: {reply:?}"
    );
    Ok(Summary::new())
}

async fn types() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    let parsed = node::spawn("client", async {
        ClientEnd::new("server")
            .call::<String, i64>("Junk.Handler1", &"9099".to_string())
            .await
    })
    .await
    .unwrap();
    ensure!(parsed == Ok(9099), "wrong reply from Handler1: {parsed:?}");
    let point = Point {
        x: 41,
        label: "north pole".into(),
        tags: vec![1, 2, 3],
    };
    let sent = point.clone();
    let mirrored = node::spawn("client", async move {
        ClientEnd::new("server")
            .call::<Point, Point>("Junk.Handler5", &sent)
            .await
    })
    .await
    .unwrap();
    let want = Point {
        x: 42,
        label: "NORTH POLE".into(),
        tags: vec![3, 2, 1],
    };
    ensure!(
        mirrored == Ok(want),
        "wrong reply from Handler5: {mirrored:?}"
    );
    // A method the server does not have is an error, not a hang or a crash.
    let unknown = node::spawn("client", async {
        ClientEnd::new("server")
            .call::<i64, i64>("Junk.Nope", &1)
            .await
    })
    .await
    .unwrap();
    ensure!(
        unknown == Err(RpcError::UnknownMethod("Junk.Nope".into())),
        "unknown method gave {unknown:?}"
    );
    Ok(Summary::new())
}

async fn disconnect() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    net::disable_link("client", "server");
    let reply = handler2("client", 111).await;
    ensure!(
        reply.is_err(),
        "call over a disabled link returned {reply:?}"
    );
    ensure!(
        net::rpc_count("server") == 0,
        "a disabled link delivered an RPC"
    );
    net::enable_link("client", "server");
    let reply = handler2("client", 111).await;
    ensure!(
        reply.as_deref() == Ok("handler2-111"),
        "wrong reply after enable: {reply:?}"
    );
    ensure!(
        net::rpc_count("server") == 1,
        "wrong count {} after enable",
        net::rpc_count("server")
    );
    Ok(Summary::new())
}

async fn counts() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    for i in 0..17 {
        let reply = handler2("client", i).await;
        ensure!(
            reply == Ok(format!("handler2-{i}")),
            "wrong reply {reply:?}"
        );
    }
    ensure!(
        net::rpc_count("server") == 17,
        "wrong count {}, expected 17",
        net::rpc_count("server")
    );
    ensure!(
        net::total_rpcs() == 17,
        "wrong total {}, expected 17",
        net::total_rpcs()
    );
    Ok(Summary::new().with("counted_rpcs", 17))
}

async fn bytes() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    // 17 calls with 5000-byte requests: the request bytes count.
    let before = net::total_bytes();
    for _ in 0..17 {
        let reply = node::spawn("client", async {
            ClientEnd::new("server")
                .call::<String, i64>("Junk.Handler1", &"5".repeat(5000))
                .await
        })
        .await
        .unwrap();
        ensure!(reply.is_ok(), "call failed: {reply:?}");
    }
    let sent = net::total_bytes() - before;
    ensure!(
        sent >= 17 * 5000,
        "too few bytes counted for requests: {sent}"
    );
    ensure!(
        sent <= 17 * 5200,
        "too many bytes counted for requests: {sent}"
    );
    // 17 calls with 5000-byte replies: delivered reply bytes count too.
    let before = net::total_bytes();
    for _ in 0..17 {
        let reply = node::spawn("client", async {
            ClientEnd::new("server")
                .call::<usize, Vec<u8>>("Junk.Handler4", &5000)
                .await
        })
        .await
        .unwrap();
        ensure!(
            reply.as_ref().map(Vec::len) == Ok(5000),
            "wrong reply length"
        );
    }
    let received = net::total_bytes() - before;
    ensure!(
        received >= 17 * 5000,
        "too few bytes counted for replies: {received}"
    );
    ensure!(
        received <= 17 * 5200,
        "too many bytes counted for replies: {received}"
    );
    Ok(Summary::new().with("counted_bytes", sent + received))
}

async fn concurrent_many() -> sim::Result {
    start_junk_server().await;
    const CLIENTS: i64 = 20;
    const CALLS: i64 = 10;
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let name = format!("client{c}");
        node::create(&name);
        clients.push(node::spawn(&name, async move {
            let mut ok = 0;
            for j in 0..CALLS {
                let n = c * 100 + j;
                let reply = ClientEnd::new("server")
                    .call::<i64, String>("Junk.Handler2", &n)
                    .await;
                assert_eq!(reply, Ok(format!("handler2-{n}")), "wrong reply");
                ok += 1;
            }
            ok
        }));
    }
    let mut total = 0;
    for c in clients {
        total += c.await.unwrap();
    }
    ensure!(total == CLIENTS * CALLS, "only {total} calls succeeded");
    let count = net::rpc_count("server");
    ensure!(
        count == (CLIENTS * CALLS) as u64,
        "wrong server count {count}"
    );
    Ok(Summary::new().with("counted_rpcs", count))
}

async fn unreliable() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    net::set_reliable(false);
    const CALLS: i64 = 300;
    let mut calls = Vec::new();
    for i in 0..CALLS {
        calls.push(node::spawn("client", async move {
            let reply = ClientEnd::new("server")
                .call::<i64, String>("Junk.Handler2", &i)
                .await;
            if let Ok(r) = &reply {
                assert_eq!(r, &format!("handler2-{i}"), "wrong reply");
            }
            reply.is_ok()
        }));
    }
    let mut ok = 0;
    for c in calls {
        ok += c.await.unwrap() as i64;
    }
    // 0.9 x 0.9 of the calls get through on average (243 of 300, sd ~7).
    ensure!(ok > 0, "no RPC succeeded on an unreliable network");
    ensure!(ok < CALLS, "no RPC failed on an unreliable network");
    ensure!(
        (200..=285).contains(&ok),
        "{ok} of {CALLS} RPCs succeeded; expected about 243"
    );
    Ok(Summary::new().with("succeeded", ok))
}

async fn concurrent_one() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    const CALLS: i64 = 20;
    let mut calls = Vec::new();
    for i in 0..CALLS {
        calls.push(node::spawn("client", async move {
            ClientEnd::new("server")
                .call::<i64, String>("Junk.Handler2", &(100 + i))
                .await
        }));
    }
    for (i, c) in calls.into_iter().enumerate() {
        let reply = c.await.unwrap();
        ensure!(
            reply == Ok(format!("handler2-{}", 100 + i)),
            "wrong reply {reply:?}"
        );
    }
    let count = net::rpc_count("server");
    ensure!(
        count == CALLS as u64,
        "wrong server count {count}, expected {CALLS}"
    );
    Ok(Summary::new())
}

/// An RPC delayed while its link was disabled must not delay calls made
/// after the link comes back.
async fn regression1() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    net::disable_link("client", "server");
    let mut stuck = Vec::new();
    for i in 0..20 {
        stuck.push(node::spawn("client", async move {
            ClientEnd::new("server")
                .call::<i64, String>("Junk.Handler2", &i)
                .await
        }));
    }
    sleep(Duration::from_millis(100)).await;
    let t0 = Instant::now();
    net::enable_link("client", "server");
    let reply = handler2("client", 99).await;
    ensure!(
        reply.as_deref() == Ok("handler2-99"),
        "wrong reply {reply:?}"
    );
    let took = t0.elapsed();
    ensure!(
        took <= Duration::from_millis(30),
        "RPC took too long ({took:?}) after enable"
    );
    for s in stuck {
        let r = s.await.unwrap();
        ensure!(
            r.is_err(),
            "an RPC sent while disabled was delivered: {r:?}"
        );
    }
    let count = net::rpc_count("server");
    ensure!(count == 1, "wrong number ({count}) of RPCs delivered");
    Ok(Summary::new())
}

/// A call stuck in a server that is then killed must return an error soon,
/// and never a reply.
async fn killed() -> sim::Result {
    start_junk_server().await;
    node::create("client");
    let call = node::spawn("client", async {
        let reply = ClientEnd::new("server")
            .call::<i64, i64>("Junk.Handler3", &99)
            .await;
        (reply, Instant::now())
    });
    sleep(Duration::from_millis(1000)).await;
    ensure!(!call.is_finished(), "Handler3 should not have returned yet");
    let killed_at = Instant::now();
    node::crash("server");
    let (reply, returned_at) = call.await.unwrap();
    match reply {
        Ok(r) => bail!("Handler3 returned {r} despite the server being killed"),
        Err(e) => ensure!(e == RpcError::ServerLost, "wrong error {e:?}"),
    }
    let waited = returned_at - killed_at;
    ensure!(
        waited <= Duration::from_millis(101),
        "Handler3 returned {waited:?} after the kill"
    );
    Ok(Summary::new())
}

/// labrpc's reply rule, measured. On the unreliable network a call whose
/// link is cut 0.5 ms after it starts still gets its reply only if labrpc
/// ran the handler before the cut: the request was not delayed (a delay of
/// 0 ms: 1 in 27) nor dropped (9 in 10), and the reply was not dropped (9 in
/// 10), so 0.9 · 0.9 / 27 = 3.0% of calls. Every later handler return finds
/// the link cut and the reply is dropped. (Deciding at the reply's arrival
/// instead delivered about 80%: a just-isolated leader kept hearing acks.)
async fn reply_after_cut() -> sim::Result {
    const CALLS: u32 = 2000;
    start_junk_server().await;
    node::create("client");
    net::set_reliable(false);
    let mut delivered = 0u32;
    for _ in 0..CALLS {
        let call = node::spawn("client", async {
            ClientEnd::new("server")
                .call::<String, i64>("Junk.Handler1", &"7".to_string())
                .await
        });
        sleep(Duration::from_micros(500)).await;
        net::disable_link("client", "server");
        let reply = call.await.unwrap();
        net::enable_link("client", "server");
        if let Ok(n) = reply {
            ensure!(n == 7, "Handler1 answered {n} for \"7\"");
            delivered += 1;
        }
    }
    let fraction = f64::from(delivered) / f64::from(CALLS);
    let expected = 0.9 * 0.9 / 27.0;
    // The count spreads wider than a binomial's (a standard deviation of
    // about 10.5 calls over seeds 300..400, not 7.6; seed 348 delivered 96),
    // so the tolerance is six binomial deviations, 0.7% to 5.3%: about 4.3
    // of the observed ones, while the old rule (80%) and a rule that drops
    // every reply (0%) stay far outside.
    let tolerance = 6.0 * (expected * (1.0 - expected) / f64::from(CALLS)).sqrt();
    let within_tolerance = (fraction - expected).abs() <= tolerance;
    ensure!(
        within_tolerance,
        "{delivered} of {CALLS} replies delivered after a cut 0.5 ms into the call \
         ({:.1}%); labrpc delivers {:.1}% ± {:.1}",
        fraction * 100.0,
        expected * 100.0,
        tolerance * 100.0
    );
    Ok(Summary::new().with("delivered", delivered))
}
