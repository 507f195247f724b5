//! TestReliableChurn4B and TestUnreliableChurn4B (internalChurn): three
//! clients keep proposing while servers are disconnected, crashed and
//! restarted at random; afterwards every value a client saw committed must
//! be in the final log, which every server must hold.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use raft_api::Raft;
use sim::rand::Rng;
use sim::{bail, Summary};

use super::config::{make_config, rand_int, Command, Config, ELECTION_TIMEOUT};

pub async fn reliable_churn<R: Raft>() -> sim::Result<Summary> {
    churn::<R>(false).await
}

pub async fn unreliable_churn<R: Raft>() -> sim::Result<Summary> {
    churn::<R>(true).await
}

async fn churn<R: Raft>(unreliable: bool) -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, unreliable).await;
    cfg.begin(if unreliable {
        "Test (4B): unreliable churn"
    } else {
        "Test (4B): churn"
    });
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|me| {
            let (cfg, stop) = (cfg.clone(), stop.clone());
            madsim::task::spawn(async move { client::<R>(cfg, me, stop).await })
        })
        .collect();

    for _ in 0..20 {
        let mut rng = sim::rand::rng();
        if rng.gen_range(0..1000) < 200 {
            cfg.disconnect(rng.gen_range(0..servers));
        }
        if rng.gen_range(0..1000) < 500 {
            let i = rng.gen_range(0..servers);
            if cfg.raft(i).is_none() {
                cfg.start1(i).await;
            }
            cfg.connect(i);
        }
        if rng.gen_range(0..1000) < 200 {
            let i = rng.gen_range(0..servers);
            if cfg.raft(i).is_some() {
                cfg.crash1(i);
            }
        }
        // Often enough that the peers are rarely settled between changes,
        // seldom enough that they can often keep up.
        sleep(ELECTION_TIMEOUT * 7 / 10).await;
    }

    sleep(ELECTION_TIMEOUT).await;
    cfg.set_unreliable(false);
    for i in 0..servers {
        if cfg.raft(i).is_none() {
            cfg.start1(i).await;
        }
        cfg.connect(i);
    }
    stop.store(true, Ordering::SeqCst);
    let mut values = Vec::new();
    for client in clients {
        match client.await {
            Ok(seen) => values.extend(seen),
            Err(_) => bail!("client failed"),
        }
    }

    sleep(ELECTION_TIMEOUT).await;
    let last_index = cfg.one(Command::Int(rand_int()), servers, true).await?;
    let mut really = Vec::new();
    for index in 1..=last_index {
        match cfg.wait(index, servers, None).await? {
            Some(Command::Int(x)) => really.push(x),
            other => bail!("not an int: {other:?}"),
        }
    }
    for value in values {
        if !really.contains(&value) {
            bail!("didn't find value {value}");
        }
    }
    Ok(cfg.end())
}

/// One churn client: propose a random value to every running server; if
/// one accepts, look for it at the returned index for a while and keep it
/// if it committed there.
async fn client<R: Raft>(cfg: Config<R>, me: u64, stop: Arc<AtomicBool>) -> Vec<i64> {
    let mut values = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let x = rand_int();
        let mut index = None;
        for i in 0..cfg.n() {
            if let Some(raft) = cfg.raft(i) {
                let (index1, _, ok) = raft.start(Command::Int(x).encode());
                if ok {
                    index = Some(index1);
                }
            }
        }
        let Some(index) = index else {
            sleep(Duration::from_millis(79 + me * 17)).await;
            continue;
        };
        for to in [10, 20, 50, 100, 200] {
            let (committed, command) = match cfg.n_committed(index) {
                Ok(found) => found,
                Err(failure) => panic!("{failure}"),
            };
            if committed > 0 {
                match command {
                    Some(Command::Int(xx)) if xx == x => values.push(x),
                    Some(Command::Int(_)) => {}
                    _ => panic!("wrong command type"),
                }
                break;
            }
            sleep(Duration::from_millis(to)).await;
        }
    }
    values
}
