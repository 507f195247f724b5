//! Crash and restart with the Persister: a counter server that persists
//! before it acknowledges must never lose an acknowledged increment, however
//! often it is crashed, and calls to a crashed server fail instead of hanging.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::time::sleep;
use sim::rand::Rng;
use sim::rpc::{ClientEnd, Server};
use sim::{ensure, node, Persister, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new("sim/node/crash_restart_persister", || {
        Box::pin(crash_restart_persister())
    })]
}

/// Starts the counter service on `counter`, recovering from `persister`.
async fn start_counter(persister: Persister) {
    node::spawn("counter", async move {
        let saved = persister.read_raft_state();
        let start: u64 = if saved.is_empty() {
            0
        } else {
            bincode::deserialize(&saved).expect("the counter's own encoding")
        };
        tracing::info!(target: "sim::scenario", value = start, "counter recovered");
        let value = Arc::new(Mutex::new(start));
        Server::new()
            .add("Counter.Incr", move |by: u64| {
                let value = value.clone();
                let persister = persister.clone();
                async move {
                    // Persist before acknowledging, with an await in between
                    // so that a crash can fall between the two.
                    let next = *value.lock().unwrap() + by;
                    sleep(Duration::from_millis(2)).await;
                    persister.save_raft_state(bincode::serialize(&next).unwrap());
                    *value.lock().unwrap() = next;
                    next
                }
            })
            .start()
            .await
            .expect("bind");
    })
    .await
    .expect("counter setup");
}

async fn crash_restart_persister() -> sim::Result {
    node::create("counter");
    node::create("client");
    let mut persister = Persister::new();
    start_counter(persister.clone()).await;

    let acked = Arc::new(Mutex::new(0u64));
    let failed = Arc::new(Mutex::new(0u64));
    let client = {
        let (acked, failed) = (acked.clone(), failed.clone());
        node::spawn("client", async move {
            for _ in 0..400 {
                match ClientEnd::new("counter")
                    .call::<u64, u64>("Counter.Incr", &1)
                    .await
                {
                    Ok(v) => {
                        let mut a = acked.lock().unwrap();
                        // Acknowledged values only grow: one client, one at a time.
                        assert!(v > *a, "counter went back from {} to {v}", *a);
                        *a = v;
                    }
                    Err(_) => *failed.lock().unwrap() += 1,
                }
                sleep(Duration::from_millis(5)).await;
            }
        })
    };

    let mut crashes = 0;
    while !client.is_finished() {
        sleep(Duration::from_millis(sim::rand::rng().gen_range(50..400))).await;
        node::crash("counter");
        crashes += 1;
        // 6.824's crash1: the next incarnation gets a copy of what was saved.
        persister = persister.copy();
        sleep(Duration::from_millis(sim::rand::rng().gen_range(0..200))).await;
        node::restart("counter");
        start_counter(persister.clone()).await;
    }
    client.await.expect("client");
    let saved: u64 = bincode::deserialize(&persister.read_raft_state()).unwrap_or(0);
    let acked = *acked.lock().unwrap();
    ensure!(
        saved >= acked,
        "acknowledged {acked} increments but only {saved} survived"
    );
    ensure!(crashes > 0, "the server was never crashed");
    let failed = *failed.lock().unwrap();
    ensure!(
        failed > 0,
        "no call ever failed although the server crashed {crashes} times"
    );
    Ok(Summary::new()
        .with("crashes", crashes)
        .with("acked", acked)
        .with("failed", failed))
}
