//! The Figure 8 tests: leaders crash (or, unreliably, disconnect) right
//! after taking an entry, over and over, producing the log shapes of the
//! paper's Figure 8 where counting replicas of an old-term entry is unsafe.
//! TestFigure84B and TestFigure8Unreliable4B.

use std::time::Duration;

use madsim::time::sleep;
use raft_api::Raft;
use sim::rand::Rng;
use sim::Summary;

use super::config::{make_config, make_config_with, rand_int, Command, ELECTION_TIMEOUT};

/// 10% of the time up to half an election timeout, otherwise 0–12 ms.
async fn figure8_pause() {
    let mut rng = sim::rand::rng();
    let ms = if rng.gen_range(0..1000) < 100 {
        rng.gen_range(0..ELECTION_TIMEOUT.as_millis() as u64 / 2)
    } else {
        rng.gen_range(0..13)
    };
    drop(rng);
    sleep(Duration::from_millis(ms)).await;
}

pub async fn figure8<R: Raft>() -> sim::Result<Summary> {
    figure8_with::<R>(true).await
}

/// TestFigure84B, with the Figure 3 invariants checked at every step or
/// (`continuous_checks` false) only config.go's own checks.
pub async fn figure8_with<R: Raft>(continuous_checks: bool) -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config_with::<R>(servers, false, continuous_checks).await;
    cfg.begin("Test (4B): Figure 8");
    cfg.one(Command::Int(rand_int()), 1, true).await?;
    let mut nup = servers;
    for _ in 0..1000 {
        let mut leader = None;
        for i in 0..servers {
            if let Some(raft) = cfg.raft(i) {
                let (_, _, ok) = raft.start(Command::Int(rand_int()).encode());
                if ok {
                    leader = Some(i);
                }
            }
        }
        figure8_pause().await;
        if let Some(leader) = leader {
            cfg.crash1(leader);
            nup -= 1;
        }
        if nup < 3 {
            let s = sim::rand::rng().gen_range(0..servers);
            if cfg.raft(s).is_none() {
                cfg.start1(s).await;
                cfg.connect(s);
                nup += 1;
            }
        }
    }
    for i in 0..servers {
        if cfg.raft(i).is_none() {
            cfg.start1(i).await;
            cfg.connect(i);
        }
    }
    cfg.one(Command::Int(rand_int()), servers, true).await?;
    Ok(cfg.end())
}

pub async fn figure8_unreliable<R: Raft>() -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, true).await;
    cfg.begin("Test (4B): Figure 8 (unreliable)");
    cfg.one(Command::Int(rand_int() % 10000), 1, true).await?;
    let mut nup = servers;
    for iters in 0..1000 {
        if iters == 200 {
            cfg.set_long_reordering(true);
        }
        let mut leader = None;
        for i in 0..servers {
            let (_, _, ok) = cfg
                .running(i)
                .start(Command::Int(rand_int() % 10000).encode());
            if ok && cfg.is_connected(i) {
                leader = Some(i);
            }
        }
        figure8_pause().await;
        let half_timeout = ELECTION_TIMEOUT.as_millis() as u64 / 2;
        if let Some(leader) = leader {
            if sim::rand::rng().gen_range(0..1000) < half_timeout {
                cfg.disconnect(leader);
                nup -= 1;
            }
        }
        if nup < 3 {
            let s = sim::rand::rng().gen_range(0..servers);
            if !cfg.is_connected(s) {
                cfg.connect(s);
                nup += 1;
            }
        }
    }
    for i in 0..servers {
        if !cfg.is_connected(i) {
            cfg.connect(i);
        }
    }
    cfg.one(Command::Int(rand_int() % 10000), servers, true)
        .await?;
    Ok(cfg.end())
}
