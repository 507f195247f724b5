//! The framework's demo with a planted bug: a counter server that is not
//! idempotent. It is meant to fail (`all` leaves demos out; the self-test
//! harness checks that it fails on some seed of 0..50), so that the
//! investigation tools always have something to find.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use sim::rpc::{ClientEnd, Server};
use sim::{ensure, net, node, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![Scenario::new("demo/rpc/lossy_counter", || Box::pin(lossy_counter())).must_fail()]
}

const INCREMENTS: u64 = 60;

/// A counter server that is not idempotent, and a client that retries until
/// it gets a reply. On an unreliable network a dropped *reply* makes the
/// client retry an increment the server already applied. The test checks the
/// counter only at the end (t = 20 s); the consistency probe
/// "applied <= issued" fails at the first double apply.
async fn lossy_counter() -> sim::Result {
    let applied = Arc::new(AtomicU64::new(0));
    let issued = Arc::new(AtomicU64::new(0));
    let (a, i) = (applied.clone(), issued.clone());
    sim::inspect::probe("applied <= issued", move || {
        let (a, i) = (a.load(Ordering::Relaxed), i.load(Ordering::Relaxed));
        if a <= i {
            Ok(())
        } else {
            Err(format!("applied {a} increments but only {i} were issued"))
        }
    });
    let (a, i) = (applied.clone(), issued.clone());
    sim::inspect::inspector("counter", move || {
        format!(
            "server applied={}\nclient issued={}",
            a.load(Ordering::Relaxed),
            i.load(Ordering::Relaxed)
        )
    });
    node::create("server");
    node::create("client");
    let server_count = applied.clone();
    node::spawn("server", async move {
        Server::new()
            .add("Counter.Incr", move |_request: u64| {
                let count = server_count.clone();
                // The planted bug: no duplicate detection by request id.
                async move { count.fetch_add(1, Ordering::Relaxed) + 1 }
            })
            .start()
            .await
            .expect("bind");
    })
    .await
    .expect("server setup");
    net::set_reliable(false);
    let client_issued = issued.clone();
    node::spawn("client", async move {
        for request in 0..INCREMENTS {
            client_issued.store(request + 1, Ordering::Relaxed);
            while ClientEnd::new("server")
                .call::<u64, u64>("Counter.Incr", &request)
                .await
                .is_err()
            {}
            sleep(Duration::from_millis(100)).await;
        }
    });
    sleep(Duration::from_secs(20)).await;
    let count = applied.load(Ordering::Relaxed);
    ensure!(
        count == INCREMENTS,
        "counter is {count}, expected {INCREMENTS}"
    );
    Ok(Summary::new())
}
