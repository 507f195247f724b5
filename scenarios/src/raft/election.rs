//! Part 4A: leader election and heartbeats on a reliable network
//! (TestInitialElection4A, TestReElection4A, TestManyElections4A).

use madsim::time::sleep;
use raft_api::Raft;
use sim::rand::Rng;
use sim::{bail, Summary};

use super::config::{make_config, ELECTION_TIMEOUT};

/// A leader is elected, all servers agree on its term, and without failures
/// the leader and term stay.
pub async fn initial_election<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4A): initial election");
    cfg.check_one_leader().await?;
    // Let the followers learn of the election before comparing terms.
    sleep(std::time::Duration::from_millis(50)).await;
    let term1 = cfg.check_terms()?;
    if term1 < 1 {
        bail!("term is {term1}, but should be at least 1");
    }
    sleep(2 * ELECTION_TIMEOUT).await;
    let term2 = cfg.check_terms()?;
    if term1 != term2 {
        tracing::warn!(target: "raft::config", "warning: term changed even though there were no failures");
    }
    cfg.check_one_leader().await?;
    Ok(cfg.end())
}

/// A new leader after the leader disconnects; the old one rejoining does
/// not disturb it; no leader without a quorum; one again once a quorum is
/// back.
pub async fn re_election<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4A): election after network failure");
    let leader1 = cfg.check_one_leader().await?;
    cfg.disconnect(leader1);
    cfg.check_one_leader().await?;
    cfg.connect(leader1);
    let leader2 = cfg.check_one_leader().await?;
    cfg.disconnect(leader2);
    cfg.disconnect((leader2 + 1) % servers);
    sleep(2 * ELECTION_TIMEOUT).await;
    cfg.check_no_leader()?;
    cfg.connect((leader2 + 1) % servers);
    cfg.check_one_leader().await?;
    cfg.connect(leader2);
    cfg.check_one_leader().await?;
    Ok(cfg.end())
}

/// Seven servers; nine times, three random (possibly repeated) servers
/// disconnect and the rest must still have or elect a leader.
pub async fn many_elections<R: Raft>() -> sim::Result<Summary> {
    let servers = 7;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4A): multiple elections");
    cfg.check_one_leader().await?;
    let iters = 10;
    for _ in 1..iters {
        let chosen: Vec<usize> = (0..3)
            .map(|_| sim::rand::rng().gen_range(0..servers))
            .collect();
        for &i in &chosen {
            cfg.disconnect(i);
        }
        cfg.check_one_leader().await?;
        for &i in &chosen {
            cfg.connect(i);
        }
    }
    cfg.check_one_leader().await?;
    Ok(cfg.end())
}
