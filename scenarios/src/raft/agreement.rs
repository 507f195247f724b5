//! Part 4B log agreement on a reliable network: TestBasicAgree4B,
//! TestRPCBytes4B, TestFailAgree4B, TestFailNoAgree4B,
//! TestConcurrentStarts4B, TestRejoin4B, TestBackup4B and TestCount4B.

use std::time::Duration;

use madsim::time::sleep;
use raft_api::Raft;
use sim::rand::Rng;
use sim::{bail, Summary};

use super::config::{make_config, rand_int, Command, Config, ELECTION_TIMEOUT};

fn int(x: i64) -> Command {
    Command::Int(x)
}

/// Three commands commit, at indexes 1, 2, 3, and none before its Start.
pub async fn basic_agree<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): basic agreement");
    for index in 1..=3u64 {
        let (committed, _) = cfg.n_committed(index)?;
        if committed > 0 {
            bail!("some have committed before Start()");
        }
        let xindex = cfg.one(int(index as i64 * 100), servers, false).await?;
        if xindex != index {
            bail!("got index {xindex} but expected {index}");
        }
    }
    Ok(cfg.end())
}

/// randstring(n): n characters of URL-safe base64 noise.
fn random_string(n: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = sim::rand::chacha();
    (0..n)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Each command travels to each peer about once: ten 5000-byte commands
/// may cost at most servers × sent + 50000 bytes.
pub async fn rpc_bytes<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): RPC byte count");
    cfg.one(int(99), servers, false).await?;
    let bytes0 = cfg.bytes_total();
    let iters = 10;
    let mut sent = 0u64;
    for index in 2..iters + 2 {
        let command = random_string(5000);
        sent += command.len() as u64;
        let xindex = cfg.one(Command::Text(command), servers, false).await?;
        if xindex != index {
            bail!("got index {xindex} but expected {index}");
        }
    }
    let got = cfg.bytes_total() - bytes0;
    let expected = servers as u64 * sent;
    if got > expected + 50000 {
        bail!("too many RPC bytes; got {got}, expected {expected}");
    }
    Ok(cfg.end())
}

/// Agreement continues with one follower disconnected, and it catches up
/// when it returns.
pub async fn fail_agree<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): agreement despite follower disconnection");
    cfg.one(int(101), servers, false).await?;
    let leader = cfg.check_one_leader().await?;
    cfg.disconnect((leader + 1) % servers);
    cfg.one(int(102), servers - 1, false).await?;
    cfg.one(int(103), servers - 1, false).await?;
    sleep(ELECTION_TIMEOUT).await;
    cfg.one(int(104), servers - 1, false).await?;
    cfg.one(int(105), servers - 1, false).await?;
    cfg.connect((leader + 1) % servers);
    cfg.one(int(106), servers, true).await?;
    sleep(ELECTION_TIMEOUT).await;
    cfg.one(int(107), servers, true).await?;
    Ok(cfg.end())
}

/// With three of five followers gone nothing commits; after repair a new
/// entry lands at index 2..=4 and commits everywhere.
pub async fn fail_no_agree<R: Raft>() -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): no agreement if too many followers disconnect");
    cfg.one(int(10), servers, false).await?;
    let leader = cfg.check_one_leader().await?;
    for k in 1..=3 {
        cfg.disconnect((leader + k) % servers);
    }
    let (index, _, ok) = cfg.running(leader).start(Command::Int(20).encode());
    if !ok {
        bail!("leader rejected Start()");
    }
    if index != 2 {
        bail!("expected index 2, got {index}");
    }
    sleep(2 * ELECTION_TIMEOUT).await;
    let (committed, _) = cfg.n_committed(index)?;
    if committed > 0 {
        bail!("{committed} committed but no majority");
    }
    for k in 1..=3 {
        cfg.connect((leader + k) % servers);
    }
    // The disconnected majority may have elected one of its own, forgetting
    // index 2.
    let leader2 = cfg.check_one_leader().await?;
    let (index2, _, ok2) = cfg.running(leader2).start(Command::Int(30).encode());
    if !ok2 {
        bail!("leader2 rejected Start()");
    }
    if !(2..=4).contains(&index2) {
        bail!("unexpected index {index2}");
    }
    cfg.one(int(1000), servers, true).await?;
    Ok(cfg.end())
}

/// Five concurrent Starts in one term all commit.
pub async fn concurrent_starts<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): concurrent Start()s");
    for attempt in 0..5 {
        if attempt > 0 {
            sleep(Duration::from_secs(3)).await;
        }
        if concurrent_starts_once(&cfg).await? {
            return Ok(cfg.end());
        }
    }
    bail!("term changed too often")
}

/// One try of TestConcurrentStarts: false when the term moved on.
async fn concurrent_starts_once<R: Raft>(cfg: &Config<R>) -> sim::Result<bool> {
    let servers = cfg.n();
    let leader = cfg.check_one_leader().await?;
    let raft = cfg.running(leader);
    let (_, term, ok) = raft.start(Command::Int(1).encode());
    if !ok {
        return Ok(false);
    }
    let iters = 5;
    let starters: Vec<_> = (0..iters)
        .map(|i| {
            let raft = raft.clone();
            madsim::task::spawn(async move {
                let (index, term1, ok) = raft.start(Command::Int(100 + i).encode());
                (ok && term1 == term).then_some(index)
            })
        })
        .collect();
    let mut indexes = Vec::new();
    for starter in starters {
        indexes.extend(starter.await.expect("starter task"));
    }
    for j in 0..servers {
        if cfg.running(j).state().0 != term {
            return Ok(false);
        }
    }
    let mut commands = Vec::new();
    for index in indexes {
        match cfg.wait(index, servers, Some(term)).await? {
            None => return Ok(false),
            Some(Command::Int(x)) => commands.push(x),
            Some(other) => bail!("value {other} is not an int"),
        }
    }
    for i in 0..iters {
        let x = 100 + i;
        if !commands.contains(&x) {
            bail!("cmd {x} missing in {commands:?}");
        }
    }
    Ok(true)
}

/// A partitioned leader with uncommitted entries rejoins and is brought in
/// line.
pub async fn rejoin<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): rejoin of partitioned leader");
    cfg.one(int(101), servers, true).await?;
    let leader1 = cfg.check_one_leader().await?;
    cfg.disconnect(leader1);
    for x in [102, 103, 104] {
        cfg.running(leader1).start(Command::Int(x).encode());
    }
    cfg.one(int(103), 2, true).await?;
    let leader2 = cfg.check_one_leader().await?;
    cfg.disconnect(leader2);
    cfg.connect(leader1);
    cfg.one(int(104), 2, true).await?;
    cfg.connect(leader2);
    cfg.one(int(105), servers, true).await?;
    Ok(cfg.end())
}

/// Leaders must back up quickly over long divergent follower logs.
pub async fn backup<R: Raft>() -> sim::Result<Summary> {
    let servers = 5;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): leader backs up quickly over incorrect follower logs");
    cfg.one(int(rand_int()), servers, true).await?;

    // The leader and one follower in a partition, with 50 entries that
    // cannot commit.
    let leader1 = cfg.check_one_leader().await?;
    for k in 2..=4 {
        cfg.disconnect((leader1 + k) % servers);
    }
    for _ in 0..50 {
        cfg.running(leader1)
            .start(Command::Int(rand_int()).encode());
    }
    sleep(ELECTION_TIMEOUT / 2).await;
    cfg.disconnect(leader1);
    cfg.disconnect((leader1 + 1) % servers);

    // The other three commit 50 entries.
    for k in 2..=4 {
        cfg.connect((leader1 + k) % servers);
    }
    for _ in 0..50 {
        cfg.one(int(rand_int()), 3, true).await?;
    }

    // Their leader and one follower take 50 more that cannot commit.
    let leader2 = cfg.check_one_leader().await?;
    let mut other = (leader1 + 2) % servers;
    if leader2 == other {
        other = (leader2 + 1) % servers;
    }
    cfg.disconnect(other);
    for _ in 0..50 {
        cfg.running(leader2)
            .start(Command::Int(rand_int()).encode());
    }
    sleep(ELECTION_TIMEOUT / 2).await;

    // The original leader's pair and `other` must overwrite their logs.
    for i in 0..servers {
        cfg.disconnect(i);
    }
    cfg.connect(leader1);
    cfg.connect((leader1 + 1) % servers);
    cfg.connect(other);
    for _ in 0..50 {
        cfg.one(int(rand_int()), 3, true).await?;
    }
    for i in 0..servers {
        cfg.connect(i);
    }
    cfg.one(int(rand_int()), servers, true).await?;
    Ok(cfg.end())
}

/// RPC budgets: [1, 30] to elect, at most 42 for 10 entries, at most 60
/// for a second of idleness (the heartbeat rate).
pub async fn count<R: Raft>() -> sim::Result<Summary> {
    let servers = 3;
    let cfg = make_config::<R>(servers, false).await;
    cfg.begin("Test (4B): RPC counts aren't too high");
    let rpcs = |cfg: &Config<R>| (0..servers).map(|j| cfg.rpc_count(j)).sum::<u64>();

    cfg.check_one_leader().await?;
    let total1 = rpcs(&cfg);
    if !(1..=30).contains(&total1) {
        bail!("too many or few RPCs ({total1}) to elect initial leader");
    }
    let mut total2 = None;
    for attempt in 0..5 {
        if attempt > 0 {
            sleep(Duration::from_secs(3)).await;
        }
        if let Some(total) = count_agreement_once(&cfg, &rpcs).await? {
            total2 = Some(total);
            break;
        }
    }
    let Some(total2) = total2 else {
        bail!("term changed too often");
    };
    sleep(ELECTION_TIMEOUT).await;
    let total3 = rpcs(&cfg);
    if total3 - total2 > 3 * 20 {
        bail!(
            "too many RPCs ({}) for 1 second of idleness",
            total3 - total2
        );
    }
    Ok(cfg.end())
}

/// One try of TestCount's agreement phase: the RPC total after it, or
/// None when the term changed.
async fn count_agreement_once<R: Raft>(
    cfg: &Config<R>,
    rpcs: &impl Fn(&Config<R>) -> u64,
) -> sim::Result<Option<u64>> {
    let servers = cfg.n();
    let leader = cfg.check_one_leader().await?;
    let total1 = rpcs(cfg);
    let iters = 10u64;
    let raft = cfg.running(leader);
    let (start_index, term, ok) = raft.start(Command::Int(1).encode());
    if !ok {
        return Ok(None);
    }
    let mut commands = Vec::new();
    for i in 1..iters + 2 {
        let x = sim::rand::rng().gen_range(0..i32::MAX as i64);
        commands.push(x);
        let (index1, term1, ok) = raft.start(Command::Int(x).encode());
        if term1 != term || !ok {
            return Ok(None);
        }
        if start_index + i != index1 {
            bail!("Start() failed");
        }
    }
    for i in 1..iters + 1 {
        match cfg.wait(start_index + i, servers, Some(term)).await? {
            None => return Ok(None),
            Some(Command::Int(x)) if x == commands[(i - 1) as usize] => {}
            Some(other) => bail!(
                "wrong value {other} committed for index {}; expected {commands:?}",
                start_index + i
            ),
        }
    }
    let mut term_changed = false;
    for j in 0..servers {
        if cfg.running(j).state().0 != term {
            term_changed = true;
        }
    }
    let total2 = rpcs(cfg);
    if term_changed {
        return Ok(None);
    }
    if total2 - total1 > (iters + 1 + 3) * 3 {
        bail!("too many RPCs ({}) for {iters} entries", total2 - total1);
    }
    Ok(Some(total2))
}
