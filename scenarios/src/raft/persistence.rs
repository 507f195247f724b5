//! Persistence across crashes and restarts (the MIT 2C tests in 4B):
//! TestPersist14B, TestPersist24B, TestPersist34B.

use madsim::time::sleep;
use raft_api::Raft;
use sim::Summary;

use super::config::{make_config, Command, ELECTION_TIMEOUT};

fn int(x: i64) -> Command {
    Command::Int(x)
}

/// Restarting every server, the leader, a disconnected leader and a
/// follower loses nothing committed.
pub async fn persist1<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): basic persistence");
    cfg.one(int(11), servers, true).await?;
    for i in 0..servers {
        cfg.start1(i).await;
    }
    for i in 0..servers {
        cfg.disconnect(i);
        cfg.connect(i);
    }
    cfg.one(int(12), servers, true).await?;

    let leader1 = cfg.check_one_leader().await?;
    cfg.disconnect(leader1);
    cfg.start1(leader1).await;
    cfg.connect(leader1);
    cfg.one(int(13), servers, true).await?;

    let leader2 = cfg.check_one_leader().await?;
    cfg.disconnect(leader2);
    let index = cfg.one(int(14), servers - 1, true).await?;
    cfg.start1(leader2).await;
    cfg.connect(leader2);
    // Wait for leader2 to catch up before taking i3 away.
    cfg.wait(index, servers, None).await?;

    let i3 = (cfg.check_one_leader().await? + 1) % servers;
    cfg.disconnect(i3);
    cfg.one(int(15), servers - 1, true).await?;
    cfg.start1(i3).await;
    cfg.connect(i3);
    cfg.one(int(16), servers, true).await?;
    Ok(cfg.end())
}

/// Five rounds of partitions with restarts of the minority that must then
/// form a majority with the restarted servers' saved logs.
pub async fn persist2<R: Raft>() -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): more persistence");
    let mut index = 1;
    for _ in 0..5 {
        cfg.one(int(10 + index), servers, true).await?;
        index += 1;

        let leader1 = cfg.check_one_leader().await?;
        cfg.disconnect((leader1 + 1) % servers);
        cfg.disconnect((leader1 + 2) % servers);
        cfg.one(int(10 + index), servers - 2, true).await?;
        index += 1;

        cfg.disconnect(leader1);
        cfg.disconnect((leader1 + 3) % servers);
        cfg.disconnect((leader1 + 4) % servers);
        cfg.start1((leader1 + 1) % servers).await;
        cfg.start1((leader1 + 2) % servers).await;
        cfg.connect((leader1 + 1) % servers);
        cfg.connect((leader1 + 2) % servers);
        sleep(ELECTION_TIMEOUT).await;

        cfg.start1((leader1 + 3) % servers).await;
        cfg.connect((leader1 + 3) % servers);
        cfg.one(int(10 + index), servers - 2, true).await?;
        index += 1;

        cfg.connect((leader1 + 4) % servers);
        cfg.connect(leader1);
    }
    cfg.one(int(1000), servers, true).await?;
    Ok(cfg.end())
}

/// A partitioned leader and one follower crash; the leader restarts and,
/// with the third server, must carry on.
pub async fn persist3<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): partitioned leader and one follower crash, leader restarts");
    cfg.one(int(101), 3, true).await?;
    let leader = cfg.check_one_leader().await?;
    cfg.disconnect((leader + 2) % servers);
    cfg.one(int(102), 2, true).await?;
    cfg.crash1(leader);
    cfg.crash1((leader + 1) % servers);
    cfg.connect((leader + 2) % servers);
    cfg.start1(leader).await;
    cfg.connect(leader);
    cfg.one(int(103), 2, true).await?;
    cfg.start1((leader + 1) % servers).await;
    cfg.connect((leader + 1) % servers);
    cfg.one(int(104), servers, true).await?;
    Ok(cfg.end())
}
