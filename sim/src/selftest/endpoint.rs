//! Raw `madsim::net::Endpoint` traffic under sim's fault verbs: systems
//! written against madsim directly (not `sim::rpc`) must see partitions,
//! one-way cuts, isolation and crashes too.
//!
//! The service is a gossip on raw Endpoints: every node sends a datagram to
//! every other node every 10 ms and logs what it receives. Each scenario
//! cuts some directed links for a window of time; the checks then hold for
//! every datagram: one sent while its link was down was never received (by
//! any incarnation of the receiver), one sent while its link was up was
//! received (madsim loses nothing on a working link here). Datagrams sent
//! within `MARGIN` of a window's edge are not judged: madsim decides a
//! datagram's fate a moment after its send starts (1 ms later), and a crash
//! kills a send in progress.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::net::Endpoint;
use madsim::time::sleep;
use sim::rand::Rng;
use sim::{ensure, net, node, Scenario, Summary};

const PORT: u16 = 9000;
const TAG: u64 = 1;
const PERIOD: Duration = Duration::from_millis(10);
const MARGIN: Duration = Duration::from_millis(5);

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("sim/endpoint/partition", || Box::pin(partition())),
        Scenario::new("sim/endpoint/one_way", || Box::pin(one_way())),
        Scenario::new("sim/endpoint/crash_and_isolate", || {
            Box::pin(crash_and_isolate())
        }),
        Scenario::new("sim/endpoint/stream_waits", || Box::pin(stream_waits())),
    ]
}

fn now() -> Duration {
    madsim::time::TimeHandle::current().elapsed()
}

/// A datagram: sender, receiver and the virtual instant its send started
/// (unique: a sender sends once per period to each receiver).
type Message = (String, String, Duration);

/// What the gossip nodes sent and received.
#[derive(Clone, Default)]
struct Log {
    sent: Arc<Mutex<BTreeSet<Message>>>,
    received: Arc<Mutex<BTreeSet<Message>>>,
}

/// A directed link `from -> to` that was down over `[t0, t1)`.
struct Outage {
    from: String,
    to: String,
    t0: Duration,
    t1: Duration,
}

/// Creates the nodes and starts the gossip on each.
async fn start(names: &[&str], log: &Log) {
    for name in names {
        node::create(name);
    }
    for name in names {
        start_node(name, names, log).await;
    }
}

/// Starts one node's receiver and sender; returns once its port is bound.
async fn start_node(me: &str, names: &[&str], log: &Log) {
    let peers: Vec<(String, std::net::SocketAddr)> = names
        .iter()
        .filter(|n| **n != me)
        .map(|n| (n.to_string(), std::net::SocketAddr::new(node::ip(n), PORT)))
        .collect();
    let (me, log) = (me.to_string(), log.clone());
    let phase = Duration::from_micros(sim::rand::rng().gen_range(0..10_000));
    node::spawn(&me.clone(), async move {
        let bind = std::net::SocketAddr::new(node::ip(&me), PORT);
        // After a restart this binds again: the crash closed the old socket.
        let endpoint = Arc::new(Endpoint::bind(bind).await.expect("bind the gossip port"));
        let receiver = endpoint.clone();
        let (received, me_too) = (log.received.clone(), me.clone());
        madsim::task::spawn(async move {
            let mut buf = [0u8; 64];
            loop {
                let (len, _) = receiver.recv_from(TAG, &mut buf).await.expect("recv");
                let text = String::from_utf8_lossy(&buf[..len]).to_string();
                let (from, nanos) = text.split_once(' ').expect("gossip format");
                let sent_at = Duration::from_nanos(nanos.parse().expect("gossip format"));
                received
                    .lock()
                    .unwrap()
                    .insert((from.to_string(), me_too.clone(), sent_at));
            }
        });
        madsim::task::spawn(async move {
            sleep(phase).await;
            loop {
                for (peer, address) in &peers {
                    let sent_at = now();
                    log.sent
                        .lock()
                        .unwrap()
                        .insert((me.clone(), peer.clone(), sent_at));
                    let payload = format!("{me} {}", sent_at.as_nanos());
                    endpoint
                        .send_to(*address, TAG, payload.as_bytes())
                        .await
                        .expect("send");
                }
                sleep(PERIOD).await;
            }
        });
    })
    .await
    .expect("gossip setup");
}

/// Every directed link between `group` and `others`, both ways, down over
/// `[t0, t1)`.
fn cut_between(group: &[&str], others: &[&str], t0: Duration, t1: Duration) -> Vec<Outage> {
    let mut outages = Vec::new();
    for a in group {
        for b in others {
            for (from, to) in [(a, b), (b, a)] {
                outages.push(Outage {
                    from: from.to_string(),
                    to: to.to_string(),
                    t0,
                    t1,
                });
            }
        }
    }
    outages
}

/// Checks every datagram sent before `until` against the outages; returns
/// (blocked, delivered across a link that was down at some other time).
fn check(log: &Log, outages: &[Outage], until: Duration) -> sim::Result<(u64, u64)> {
    let sent = log.sent.lock().unwrap().clone();
    let received = log.received.lock().unwrap().clone();
    let (mut blocked, mut recovered) = (0, 0);
    for message in sent.iter().filter(|m| m.2 + MARGIN < until) {
        let (from, to, at) = message;
        let on_link = outages.iter().filter(|o| o.from == *from && o.to == *to);
        let near_edge = on_link
            .clone()
            .any(|o| o.t0.abs_diff(*at) < MARGIN || o.t1.abs_diff(*at) < MARGIN);
        if near_edge {
            continue;
        }
        let down = on_link.clone().any(|o| o.t0 <= *at && *at < o.t1);
        let got = received.contains(message);
        ensure!(
            !(down && got),
            "{from} -> {to} sent at {at:?} while the link was down, yet received"
        );
        ensure!(
            down || got,
            "{from} -> {to} sent at {at:?} while the link was up, never received"
        );
        blocked += u64::from(down);
        recovered += u64::from(!down && on_link.clone().any(|o| o.t1 <= *at));
    }
    Ok((blocked, recovered))
}

/// `partition([a], [b, c])`: nothing crosses the cut, b and c still talk,
/// and after `heal` everything flows again.
async fn partition() -> sim::Result {
    let log = Log::default();
    start(&["a", "b", "c"], &log).await;
    sleep(Duration::from_millis(100)).await;
    let t0 = now();
    net::partition(&[&["a"], &["b", "c"]]);
    sleep(Duration::from_millis(sim::rand::rng().gen_range(100..300))).await;
    let t1 = now();
    net::heal();
    sleep(Duration::from_millis(150)).await;
    let outages = cut_between(&["a"], &["b", "c"], t0, t1);
    let (blocked, recovered) = check(&log, &outages, now())?;
    ensure!(blocked > 0, "no datagram was ever sent across the cut");
    ensure!(recovered > 0, "nothing crossed after heal");
    Ok(Summary::new()
        .with("blocked", blocked)
        .with("recovered", recovered))
}

/// `disable_link(a, b)` cuts a -> b only: b -> a keeps flowing.
async fn one_way() -> sim::Result {
    let log = Log::default();
    start(&["a", "b"], &log).await;
    sleep(Duration::from_millis(100)).await;
    let t0 = now();
    net::disable_link("a", "b");
    sleep(Duration::from_millis(sim::rand::rng().gen_range(100..300))).await;
    let t1 = now();
    net::enable_link("a", "b");
    sleep(Duration::from_millis(150)).await;
    let outages = [Outage {
        from: "a".into(),
        to: "b".into(),
        t0,
        t1,
    }];
    let (blocked, recovered) = check(&log, &outages, now())?;
    let back_during = log
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|(from, _, at)| from == "b" && t0 + MARGIN <= *at && *at + MARGIN < t1)
        .count();
    ensure!(blocked > 0, "nothing was sent into the cut direction");
    ensure!(
        back_during > 0,
        "b -> a stopped too while only a -> b was cut"
    );
    ensure!(recovered > 0, "nothing crossed after enable_link");
    Ok(Summary::new()
        .with("blocked", blocked)
        .with("reverse_during_cut", back_during)
        .with("recovered", recovered))
}

/// Node c crashes (datagrams to it are dropped, none reaches its next
/// incarnation), restarts and serves again; then it is isolated and
/// rejoins.
async fn crash_and_isolate() -> sim::Result {
    let names = ["a", "b", "c"];
    let log = Log::default();
    start(&names, &log).await;
    let rng = || Duration::from_millis(sim::rand::rng().gen_range(80..200));
    sleep(rng()).await;
    let crashed = now();
    node::crash("c");
    sleep(rng()).await;
    let restarted = now();
    node::restart("c");
    start_node("c", &names, &log).await;
    sleep(rng()).await;
    let isolated = now();
    net::isolate("c");
    sleep(rng()).await;
    let rejoined = now();
    net::rejoin("c");
    sleep(Duration::from_millis(150)).await;
    let mut outages = cut_between(&["c"], &["a", "b"], crashed, restarted);
    outages.extend(cut_between(&["c"], &["a", "b"], isolated, rejoined));
    let (blocked, recovered) = check(&log, &outages, now())?;
    ensure!(
        blocked > 0,
        "nothing was sent to c while it was down or cut"
    );
    ensure!(recovered > 0, "c never served again");
    Ok(Summary::new()
        .with("blocked", blocked)
        .with("recovered", recovered))
}

/// A stream (`connect1`/`accept1`) from a to b while b is isolated: nothing
/// arrives during the isolation, and after `rejoin` everything sent
/// arrives, in order (madsim's streams wait for the link, they do not drop).
async fn stream_waits() -> sim::Result {
    node::create("a");
    node::create("b");
    let server = SocketAddr::new(node::ip("b"), PORT);
    let received: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::default();
    let sent: Arc<Mutex<Vec<(u64, Duration)>>> = Arc::default();
    let log = received.clone();
    node::spawn("b", async move {
        let endpoint = Endpoint::bind(server).await.expect("bind");
        let (_sender, mut receiver, _) = endpoint.accept1().await.expect("accept");
        loop {
            let payload = receiver.recv().await.expect("stream open");
            let number = *payload.downcast::<u64>().expect("a number");
            log.lock().unwrap().push((number, now()));
        }
    });
    let log = sent.clone();
    node::spawn("a", async move {
        sleep(Duration::from_millis(10)).await;
        let endpoint = Endpoint::bind(SocketAddr::new(node::ip("a"), 0))
            .await
            .expect("bind");
        let (sender, _receiver) = endpoint.connect1(server).await.expect("connect");
        for number in 0u64.. {
            log.lock().unwrap().push((number, now()));
            sender.send(Box::new(number)).await.expect("stream open");
            sleep(PERIOD).await;
        }
    });
    sleep(Duration::from_millis(100)).await;
    let t0 = now();
    net::isolate("b");
    sleep(Duration::from_millis(sim::rand::rng().gen_range(100..300))).await;
    let t1 = now();
    net::rejoin("b");
    // A stream retries a cut link with a doubling backoff: give it twice
    // the outage to catch up.
    sleep(Duration::from_millis(700)).await;
    let end = now();
    let received = received.lock().unwrap().clone();
    let sent = sent.lock().unwrap().clone();
    let numbers: Vec<u64> = received.iter().map(|r| r.0).collect();
    let expected: Vec<u64> = (0..numbers.len() as u64).collect();
    ensure!(
        numbers == expected,
        "received out of order or with gaps: {numbers:?}"
    );
    let due = sent.iter().filter(|s| s.1 + MARGIN < end).count();
    ensure!(
        numbers.len() >= due,
        "sent {due} in time, received {}",
        numbers.len()
    );
    let held: Vec<&(u64, Duration)> = received
        .iter()
        .filter(|r| sent[r.0 as usize].1 >= t0 && sent[r.0 as usize].1 < t1)
        .collect();
    ensure!(!held.is_empty(), "nothing was sent during the isolation");
    for (number, at) in &received {
        ensure!(
            *at < t0 + MARGIN || *at >= t1,
            "message {number} arrived at {at:?}, while b was isolated"
        );
    }
    Ok(Summary::new()
        .with("held", held.len())
        .with("received", numbers.len()))
}

#[cfg(test)]
mod tests {
    use sim::endpoint_trace::TARGET;
    use sim::trace::TraceLine;

    fn trace(name: &str, seed: u64) -> Vec<TraceLine> {
        let scenario = crate::select::select(&crate::selftest::scenarios(), name)
            .expect("a self-test scenario")
            .remove(0);
        let result = sim::run(&scenario, seed, &sim::RunOptions::default());
        assert!(result.passed(), "{name}: {:?}", result.failure());
        result.trace.lines
    }

    #[test]
    fn datagrams_are_trace_lines_between_nodes_and_none_crosses_the_cut() {
        let lines = trace("sim/endpoint/partition", 3);
        let datagrams: Vec<&TraceLine> = lines.iter().filter(|l| l.target == TARGET).collect();
        // A send on the sender's lane names the receiver; a receipt on the
        // receiver's lane names the sender; no line holds an address.
        assert!(datagrams.iter().any(|l| &*l.node == "a"
            && l.message() == "send"
            && l.field("to") == Some("b")
            && l.field("port") == Some("9000")
            && l.field("tag") == Some("1")));
        assert!(datagrams
            .iter()
            .any(|l| &*l.node == "b" && l.message() == "recv" && l.field("from") == Some("a")));
        assert!(datagrams.iter().all(|l| !l.text.contains("10.0.")));
        let at = |message: &str| {
            lines
                .iter()
                .find(|l| l.target == "sim::net" && l.message() == message)
                .map(|l| l.at)
                .unwrap()
        };
        // A receipt up to a few ms into the cut may come from a send just
        // before it (madsim decides 1 ms after the send starts).
        let (cut, healed) = (at("partition") + super::MARGIN, at("heal"));
        let crossing = |l: &&&TraceLine| {
            l.message() == "recv" && ((&*l.node == "a") != (l.field("from") == Some("a")))
        };
        let during = |l: &&&TraceLine| cut <= l.at && l.at < healed;
        assert_eq!(datagrams.iter().filter(crossing).filter(during).count(), 0);
        assert!(datagrams.iter().filter(crossing).any(|l| l.at > healed));
    }

    #[test]
    fn sim_rpc_datagrams_stay_out_of_the_endpoint_trace() {
        for name in ["sim/labrpc/basic", "sim/labrpc/reply_after_cut"] {
            let lines = trace(name, 0);
            assert!(lines.iter().any(|l| l.target == "sim::rpc"), "{name}");
            assert!(lines.iter().all(|l| l.target != TARGET), "{name}");
        }
    }
}
