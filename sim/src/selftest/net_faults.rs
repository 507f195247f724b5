//! The opt-in network faults beyond labrpc's, each shown doing what it
//! says: a duplicated request runs its handler twice, a held-back request
//! is overtaken, a slow node answers late but answers, a one-way partition
//! cuts one direction only. Each fault is a numbered decision: the tests
//! below replay them from plans and switch them off.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::time::{sleep, Instant};
use sim::rpc::{ClientEnd, RpcError, Server};
use sim::{ensure, net, node, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("sim/net/duplicates", || Box::pin(duplicates())),
        Scenario::new("sim/net/request_reordering", || {
            Box::pin(request_reordering())
        }),
        Scenario::new("sim/net/slow_node", || Box::pin(slow_node())),
        Scenario::new(
            "sim/net/one_way_partition",
            || Box::pin(one_way_partition()),
        ),
    ]
}

/// Starts a server on `name` that records the argument of every request
/// it handles, in arrival order.
async fn recorder(name: &str) -> Arc<Mutex<Vec<u64>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handled = seen.clone();
    node::spawn(name, async move {
        Server::new()
            .add("Log.Add", move |x: u64| {
                handled.lock().unwrap().push(x);
                async move { x }
            })
            .start()
            .await
            .expect("bind");
    })
    .await
    .expect("server setup");
    seen
}

/// 200 calls one after another, duplicates on: every call succeeds once,
/// and the server handles more requests than were made (each duplicate
/// once more, a second or so later), each a request it had handled before.
pub async fn duplicates() -> sim::Result {
    node::create("server");
    node::create("client");
    let seen = recorder("server").await;
    net::set_duplicates(true);
    let calls = 200u64;
    node::spawn("client", async move {
        for x in 0..calls {
            let reply = ClientEnd::new("server")
                .call::<u64, u64>("Log.Add", &x)
                .await;
            assert_eq!(reply, Ok(x), "a duplicated request still has one reply");
        }
    })
    .await
    .expect("client");
    // Let the late copies arrive.
    sleep(Duration::from_secs(3)).await;
    let seen = seen.lock().unwrap().clone();
    let extra = seen.len() as u64 - calls;
    let mut distinct = seen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    ensure!(
        distinct.len() as u64 == calls,
        "requests that were never made"
    );
    ensure!(extra > 0, "no request was duplicated");
    Ok(Summary::new()
        .with("calls", calls)
        .with("duplicates", extra))
}

/// 200 calls started 10 ms apart, request reordering on: some request
/// reaches the server after one started later than it.
pub async fn request_reordering() -> sim::Result {
    node::create("server");
    node::create("client");
    let seen = recorder("server").await;
    net::set_request_reordering(true);
    let calls = 200u64;
    node::spawn("client", async move {
        let mut pending = Vec::new();
        for x in 0..calls {
            pending.push(madsim::task::spawn(async move {
                ClientEnd::new("server")
                    .call::<u64, u64>("Log.Add", &x)
                    .await
            }));
            sleep(Duration::from_millis(10)).await;
        }
        for call in pending {
            assert!(call.await.expect("call task").is_ok());
        }
    })
    .await
    .expect("client");
    let seen = seen.lock().unwrap().clone();
    let overtaken = seen.windows(2).filter(|w| w[0] > w[1]).count() as u64;
    ensure!(overtaken > 0, "no request was overtaken");
    Ok(Summary::new()
        .with("calls", calls)
        .with("overtaken", overtaken))
}

/// A call to a node slowed down by up to 400 ms takes longer than the
/// same call before, and still succeeds; after `speed_up`, calls are fast
/// again.
pub async fn slow_node() -> sim::Result {
    node::create("server");
    node::create("client");
    let _seen = recorder("server").await;
    let timed = || async {
        node::spawn("client", async {
            let started = Instant::now();
            let reply = ClientEnd::new("server")
                .call::<u64, u64>("Log.Add", &7)
                .await;
            (reply, started.elapsed())
        })
        .await
        .expect("client")
    };
    let (reply, fast) = timed().await;
    ensure!(reply == Ok(7), "fast call: {reply:?}");
    net::slow_down("server", Duration::from_millis(400));
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        let (reply, took) = timed().await;
        ensure!(reply == Ok(7), "a slow node still answers: {reply:?}");
        slowest = slowest.max(took);
    }
    ensure!(
        slowest > fast + Duration::from_millis(100),
        "slow calls took at most {slowest:?}, a fast one {fast:?}"
    );
    net::speed_up("server");
    let (_, again) = timed().await;
    ensure!(again < Duration::from_millis(50), "sped up: {again:?}");
    Ok(Summary::new().with("slowest_ms", slowest.as_millis() as u64))
}

/// After `partition_one_way(["a"], ["b"])`, b's calls to a succeed and a's
/// calls to b fail.
pub async fn one_way_partition() -> sim::Result {
    node::create("a");
    node::create("b");
    let _at_a = recorder("a").await;
    let _at_b = recorder("b").await;
    net::partition_one_way(&["a"], &["b"]);
    let call = |from: &str, to: &'static str| {
        node::spawn(from, async move {
            ClientEnd::new(to).call::<u64, u64>("Log.Add", &1).await
        })
    };
    let b_to_a = call("b", "a").await.expect("b's call");
    let a_to_b = call("a", "b").await.expect("a's call");
    ensure!(b_to_a == Ok(1), "b reaches a: {b_to_a:?}");
    ensure!(
        a_to_b == Err(RpcError::Unreachable),
        "a must not reach b: {a_to_b:?}"
    );
    net::heal();
    let a_to_b = call("a", "b").await.expect("a's call");
    ensure!(a_to_b == Ok(1), "healed: {a_to_b:?}");
    Ok(Summary::new())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sim::fault::FaultId;
    use sim::{RunOptions, RunResult, Scenario};

    fn run(scenario: &Scenario, plan: Option<BTreeSet<FaultId>>) -> RunResult {
        let options = RunOptions {
            plan,
            ..RunOptions::default()
        };
        sim::run(scenario, 3, &options)
    }

    fn text(result: &RunResult) -> String {
        let lines: Vec<String> = result.trace.lines.iter().map(|l| l.to_string()).collect();
        lines.join("\n")
    }

    fn field(result: &RunResult, name: &str) -> String {
        let summary = result.outcome.as_ref().expect("passed");
        summary.fields[name].clone()
    }

    /// Duplicates are numbered decisions: the seeded run's faults replayed
    /// as a plan give the same trace; a plan without them gives a run with
    /// no duplicate (which the scenario's own check then reports); a plan
    /// with one gives exactly one.
    #[test]
    fn duplicates_replay_and_shrink() {
        let scenario = Scenario::new("sim/net/duplicates", || Box::pin(super::duplicates()));
        let seeded = run(&scenario, None);
        assert!(seeded.passed(), "{}", sim::report::result_line(&seeded));
        let fired: BTreeSet<FaultId> = seeded.faults.iter().map(|f| f.id.clone()).collect();
        assert!(fired.iter().all(|id| id.kind == "duplicate_request"));
        assert_eq!(field(&seeded, "duplicates"), fired.len().to_string());
        assert!(text(&seeded).contains("request duplicated"));

        let replayed = run(&scenario, Some(fired.clone()));
        assert_eq!(replayed.trace_hash, seeded.trace_hash);

        let none = run(&scenario, Some(BTreeSet::new()));
        let failure = none.failure().expect("no duplicate, and the check says so");
        assert!(failure.message.contains("no request was duplicated"));

        let one: BTreeSet<FaultId> = fired.into_iter().take(1).collect();
        assert_eq!(field(&run(&scenario, Some(one)), "duplicates"), "1");
    }

    /// Without the held-back requests (planned away), nothing is overtaken.
    #[test]
    fn request_reordering_is_what_overtakes() {
        let scenario = Scenario::new("sim/net/request_reordering", || {
            Box::pin(super::request_reordering())
        });
        let seeded = run(&scenario, None);
        assert!(seeded.passed(), "{}", sim::report::result_line(&seeded));
        assert!(seeded.faults.iter().all(|f| f.id.kind == "reorder_request"));
        let none = run(&scenario, Some(BTreeSet::new()));
        let failure = none.failure().expect("nothing held back");
        assert!(failure.message.contains("no request was overtaken"));
    }

    /// A slow node and a one-way partition are faults a plan can leave out.
    #[test]
    fn slow_node_and_one_way_partition_are_planned_faults() {
        let slow = Scenario::new("sim/net/slow_node", || Box::pin(super::slow_node()));
        let seeded = run(&slow, None);
        assert!(seeded.passed(), "{}", sim::report::result_line(&seeded));
        assert_eq!(seeded.faults.len(), 1);
        assert_eq!(seeded.faults[0].id.to_string(), "slow_node#0");
        let failure = run(&slow, Some(BTreeSet::new()));
        assert!(failure
            .failure()
            .expect("not slow")
            .message
            .contains("slow calls took"));

        let one_way = Scenario::new("sim/net/one_way_partition", || {
            Box::pin(super::one_way_partition())
        });
        let seeded = run(&one_way, None);
        assert!(seeded.passed(), "{}", sim::report::result_line(&seeded));
        assert_eq!(seeded.faults[0].id.to_string(), "one_way_partition#0");
        let failure = run(&one_way, Some(BTreeSet::new()));
        assert!(failure
            .failure()
            .expect("no cut")
            .message
            .contains("must not reach"));
    }
}
