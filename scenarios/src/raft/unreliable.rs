//! TestUnreliableAgree4B: agreement with 10% of requests and replies lost
//! and requests delayed, many proposals in flight at once.

use raft_api::Raft;
use sim::{bail, Summary};

use super::config::{make_config, Command};

pub async fn unreliable_agree<R: Raft>() -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, true).await;
    cfg.begin("Test (4B): unreliable agreement");
    let mut clients = Vec::new();
    for iters in 1..50i64 {
        for j in 0..4i64 {
            let cfg = cfg.clone();
            clients.push(madsim::task::spawn(async move {
                // Go's t.Fatalf in this goroutine ends the test at once.
                if let Err(failure) = cfg.one(Command::Int(100 * iters + j), 1, true).await {
                    panic!("{failure}");
                }
            }));
        }
        cfg.one(Command::Int(iters), 1, true).await?;
    }
    cfg.set_unreliable(false);
    for client in clients {
        if client.await.is_err() {
            bail!("an agreement goroutine did not finish");
        }
    }
    cfg.one(Command::Int(100), servers, true).await?;
    Ok(cfg.end())
}
