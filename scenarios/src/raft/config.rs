//! A port of 6.824's `raft/config.go` (as modified for CS350) onto `sim`:
//! servers are sim nodes `server0`, `server1`, ...; labrpc is `sim::rpc`;
//! `connect`/`disconnect` are `sim::net::rejoin`/`isolate` (a link works iff
//! both ends are connected, as with labrpc's per-end enable flags); `crash1`
//! crashes the node and keeps a copy of its Persister for `start1`.
//!
//! The tester knows a Raft only through the course's API, [`raft_api::Raft`]:
//! `Config<R>` tests the implementation `R`. If `R` shows its states
//! ([`raft_api::observe`]), the Figure 3 invariants and the probe run on
//! them too (views.rs); the summary's `checks` field says which ran.
//!
//! Every check keeps the original's constants and failure messages. The
//! original's `log.Fatalf` in the applier becomes a panic (the run fails at
//! that instant); its `t.Fatalf` becomes a returned `Failure`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use madsim::time::{sleep, Instant};
use raft_api::{ApplyMsg, Raft};
use serde::{Deserialize, Serialize};
use sim::rand::Rng;
use sim::rpc::ClientEnd;
use sim::{bail, net, node, Persister, Summary};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use super::views::Views;

/// config.go's `RaftElectionTimeout` (test_test.go).
pub const ELECTION_TIMEOUT: Duration = Duration::from_millis(1000);

/// A tester command: the Go tests submit ints, and strings in RPCBytes.
/// Raft sees only its bincode bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Command {
    Int(i64),
    Text(String),
}

impl Command {
    pub fn encode(&self) -> Vec<u8> {
        bincode::serialize(self).expect("commands encode")
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Command::Int(x) => Some(*x),
            Command::Text(_) => None,
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Int(x) => write!(f, "{x}"),
            Command::Text(s) if s.len() > 16 => write!(f, "{}...({} bytes)", &s[..16], s.len()),
            Command::Text(s) => f.write_str(s),
        }
    }
}

/// `rand.Int()`: a non-negative 63-bit number from the run's seed.
pub fn rand_int() -> i64 {
    sim::rand::rng().gen_range(0..i64::MAX)
}

/// The tester's state for the Raft implementation `R`; clones share it
/// (the Go config is one pointer).
pub struct Config<R: Raft> {
    inner: Arc<Inner<R>>,
}

impl<R: Raft> Clone for Config<R> {
    fn clone(&self) -> Self {
        Config {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<R: Raft> {
    n: usize,
    names: Vec<String>,
    /// What the servers' views show, and the checks run on them.
    views: Arc<Views>,
    servers: Mutex<Servers<R>>,
    logs: Mutex<Logs>,
    begun: Mutex<Begun>,
}

struct Servers<R> {
    /// The tester's handle of each running server (`Make`'s result).
    rafts: Vec<Option<Arc<R>>>,
    connected: Vec<bool>,
    saved: Vec<Persister>,
    /// Bumped by every crash1/start1: an applier of an older incarnation
    /// keeps draining its channel but ignores what it reads.
    incarnation: Vec<u64>,
    started: Vec<bool>,
}

/// What the appliers recorded (config.go's `logs`, `nextIndex`, `maxIndex`).
/// What a server applied at an index: config.go's `logEntry{valid,
/// command}`. A message that is not a command still takes its index, and
/// must agree across servers like any other.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Applied {
    Command(Command),
    NotACommand(Vec<u8>),
}

impl std::fmt::Display for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Applied::Command(command) => write!(f, "{command}"),
            Applied::NotACommand(bytes) => write!(f, "(not a command: {} bytes)", bytes.len()),
        }
    }
}

struct Logs {
    logs: Vec<BTreeMap<u64, Applied>>,
    /// The last index the current incarnation applied (0: none yet).
    applied_upto: Vec<u64>,
    max_index: u64,
}

struct Begun {
    description: String,
    at: Instant,
    rpcs: u64,
    bytes: u64,
    max_index: u64,
}

/// make_config(n, unreliable): starts and connects `n` servers.
pub async fn make_config<R: Raft>(n: usize, unreliable: bool) -> Config<R> {
    make_config_with(n, unreliable, true).await
}

/// make_config, choosing whether the Figure 3 invariants are checked at
/// every step (`continuous_checks`) or only config.go's own checks run. The
/// consistency probe is registered either way.
pub async fn make_config_with<R: Raft>(
    n: usize,
    unreliable: bool,
    continuous_checks: bool,
) -> Config<R> {
    let names: Vec<String> = (0..n).map(|i| format!("server{i}")).collect();
    for name in &names {
        node::create(name);
    }
    let config = Config {
        inner: Arc::new(Inner {
            n,
            names,
            views: Views::watch(continuous_checks),
            servers: Mutex::new(Servers {
                rafts: (0..n).map(|_| None).collect(),
                connected: vec![false; n],
                saved: (0..n).map(|_| Persister::new()).collect(),
                incarnation: vec![0; n],
                started: vec![false; n],
            }),
            logs: Mutex::new(Logs {
                logs: vec![BTreeMap::new(); n],
                applied_upto: vec![0; n],
                max_index: 0,
            }),
            begun: Mutex::new(Begun {
                description: String::new(),
                at: Instant::now(),
                rpcs: 0,
                bytes: 0,
                max_index: 0,
            }),
        }),
    };
    config.register_inspector();
    config.register_probe();
    net::set_reliable(!unreliable);
    for i in 0..n {
        config.start1(i).await;
    }
    for i in 0..n {
        config.connect(i);
    }
    config
}

impl<R: Raft> Config<R> {
    pub fn n(&self) -> usize {
        self.inner.n
    }

    fn servers(&self) -> MutexGuard<'_, Servers<R>> {
        self.inner.servers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn logs(&self) -> MutexGuard<'_, Logs> {
        self.inner.logs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn raft(&self, i: usize) -> Option<Arc<R>> {
        self.notice_crash_point(i);
        self.servers().rafts[i].clone()
    }

    /// A server whose node crashed at a crash point (`sim::crash_point`,
    /// armed by the swarm) is down as after crash1: the tester forgets its
    /// handle (whose lock the crash may have poisoned mid-step), keeps a
    /// copy of what it saved, and counts it disconnected until start1.
    fn notice_crash_point(&self, i: usize) {
        let mut servers = self.servers();
        if servers.rafts[i].is_none() || node::is_alive(&self.inner.names[i]) {
            return;
        }
        servers.incarnation[i] += 1;
        servers.saved[i] = servers.saved[i].copy();
        servers.connected[i] = false;
        servers.rafts[i] = None;
        drop(servers);
        tracing::info!(target: "raft::config", server = i, "crashed at a crash point");
    }

    /// The raft of a server the test knows is running.
    pub fn running(&self, i: usize) -> Arc<R> {
        self.raft(i)
            .unwrap_or_else(|| panic!("server {i} is not running"))
    }

    pub fn is_connected(&self, i: usize) -> bool {
        self.notice_crash_point(i);
        self.servers().connected[i]
    }

    /// Shows every server's state in `dst run --dump` and deadlock reports:
    /// its last view, if it shows views (the inspector never calls into
    /// the implementation, whose lock a failure may have poisoned).
    fn register_inspector(&self) {
        let config = self.clone();
        sim::inspect::inspector("raft", move || {
            let servers = config.servers();
            let mut out = String::new();
            for (i, raft) in servers.rafts.iter().enumerate() {
                let state = match raft {
                    None => "down".to_string(),
                    Some(_) => config
                        .inner
                        .views
                        .describe(i)
                        .unwrap_or_else(|| "up (shows no state)".to_string()),
                };
                let link = if servers.connected[i] {
                    "connected"
                } else {
                    "disconnected"
                };
                out.push_str(&format!("server{i} {link} {state}\n"));
            }
            out
        });
    }

    /// Registers the "committed entries survive" probe (see probe.rs) for
    /// `dst bisect`.
    fn register_probe(&self) {
        let config = self.clone();
        sim::inspect::probe("raft: committed entries survive", move || {
            config.check_probe()
        });
    }

    /// Evaluates the consistency probe now: over every server's last view
    /// and everything the witness has seen committed.
    pub fn check_probe(&self) -> Result<(), String> {
        self.inner.views.check_probe(self.n())
    }

    /// crash1(i): disconnect, kill, and keep a copy of what it saved, so
    /// that nothing the old incarnation might still do reaches the next.
    pub fn crash1(&self, i: usize) {
        self.disconnect(i);
        let raft = {
            let mut servers = self.servers();
            servers.incarnation[i] += 1;
            servers.saved[i] = servers.saved[i].copy();
            servers.rafts[i].take()
        };
        if let Some(raft) = raft {
            tracing::info!(target: "raft::config", server = i, "crash");
            raft.kill();
            node::crash(&self.inner.names[i]);
        }
    }

    /// start1(i): crash1, then a fresh server on the saved state, with a new
    /// applier that expects index 1 first. It stays disconnected until
    /// `connect(i)`.
    pub async fn start1(&self, i: usize) {
        self.crash1(i);
        let name = self.inner.names[i].clone();
        let (persister, incarnation, restart) = {
            let mut servers = self.servers();
            servers.saved[i] = servers.saved[i].copy();
            let restart = std::mem::replace(&mut servers.started[i], true);
            (servers.saved[i].clone(), servers.incarnation[i], restart)
        };
        self.logs().applied_upto[i] = 0;
        if restart {
            tracing::info!(target: "raft::config", server = i, "restart");
            node::restart(&name);
        }
        let (apply_tx, apply_rx) = unbounded_channel();
        let applier = self.clone();
        // In the background: an applier outlives the test body (it waits on
        // its server's channel), and the run aborts it at the end.
        node::spawn_background(async move { applier.applier(i, incarnation, apply_rx).await });

        let peers: Vec<ClientEnd> = self.inner.names.iter().map(ClientEnd::new).collect();
        // Make(), on the server's own node: its tasks and RPC server live
        // there, so crashing the node stops them.
        let made = node::spawn(&name, async move {
            R::make(peers, i, persister, apply_tx).await
        })
        .await;
        match made {
            Ok(raft) => self.servers().rafts[i] = Some(Arc::new(raft)),
            // Crashed at a crash point while starting: down, like after crash1.
            Err(_) if !node::is_alive(&name) => {
                self.servers().incarnation[i] += 1;
                tracing::info!(target: "raft::config", server = i, "crashed at a crash point while starting");
            }
            Err(e) => panic!("server {i}'s start task failed: {e}"),
        }
    }

    /// Reads one incarnation's applyCh. Go's applier `log.Fatalf`s on an
    /// error, which ends the whole test at once: here, a panic.
    async fn applier(self, i: usize, incarnation: u64, mut apply_rx: UnboundedReceiver<ApplyMsg>) {
        while let Some(message) = apply_rx.recv().await {
            if self.servers().incarnation[i] != incarnation {
                continue;
            }
            // The tester's checking is its own work (`sim::work`).
            if let Err(error) = sim::work::own(|| self.check_apply(i, &message)) {
                panic!("apply error: {error}");
            }
        }
    }

    /// The applier's checks, on every message (commands or not, as
    /// config.go's): in order from index 1 after every start, and no index
    /// applied with two different entries anywhere.
    fn check_apply(&self, i: usize, message: &ApplyMsg) -> Result<(), String> {
        let command = if message.command_valid {
            Applied::Command(
                bincode::deserialize(&message.command)
                    .map_err(|e| format!("server {i} applied an undecodable command: {e}"))?,
            )
        } else {
            Applied::NotACommand(message.command.clone())
        };
        let index = message.command_index;
        let mut logs = self.logs();
        let expected = logs.applied_upto[i] + 1;
        if index != expected {
            return Err(format!(
                "server {i} applied index {index} but expected {expected}"
            ));
        }
        for (j, log) in logs.logs.iter().enumerate() {
            if let Some(old) = log.get(&index) {
                if *old != command {
                    return Err(format!(
                        "commit index={index} server={i} {command} != server={j} {old}"
                    ));
                }
            }
        }
        logs.logs[i].insert(index, command);
        logs.applied_upto[i] = index;
        logs.max_index = logs.max_index.max(index);
        Ok(())
    }

    /// connect(i): reattach to every connected server.
    pub fn connect(&self, i: usize) {
        self.servers().connected[i] = true;
        net::rejoin(&self.inner.names[i]);
    }

    /// disconnect(i): detach from everyone.
    pub fn disconnect(&self, i: usize) {
        self.servers().connected[i] = false;
        net::isolate(&self.inner.names[i]);
    }

    pub fn set_unreliable(&self, unreliable: bool) {
        net::set_reliable(!unreliable);
    }

    pub fn set_long_reordering(&self, on: bool) {
        net::set_long_reordering(on);
    }

    /// RPCs dispatched at server i.
    pub fn rpc_count(&self, i: usize) -> u64 {
        net::rpc_count(&self.inner.names[i])
    }

    pub fn rpc_total(&self) -> u64 {
        net::total_rpcs()
    }

    pub fn bytes_total(&self) -> u64 {
        net::total_bytes()
    }

    /// checkOneLeader: up to 10 rounds of a 450–549 ms sleep, then the
    /// leaders among connected servers by term; fails on two leaders in a
    /// term or none after all rounds.
    pub async fn check_one_leader(&self) -> sim::Result<usize> {
        for _ in 0..10 {
            let ms = 450 + sim::rand::rng().gen_range(0..100);
            sleep(Duration::from_millis(ms)).await;
            let mut leaders: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
            for i in 0..self.n() {
                if !self.is_connected(i) {
                    continue;
                }
                if let Some(raft) = self.raft(i) {
                    let (term, is_leader) = raft.state();
                    if is_leader {
                        leaders.entry(term).or_default().push(i);
                    }
                }
            }
            for (term, in_term) in &leaders {
                if in_term.len() > 1 {
                    bail!("term {term} has {} (>1) leaders", in_term.len());
                }
            }
            if let Some((_, in_term)) = leaders.last_key_value() {
                return Ok(in_term[0]);
            }
        }
        bail!("expected one leader, got none")
    }

    /// checkTerms: every connected server reports the same term.
    pub fn check_terms(&self) -> sim::Result<u64> {
        let mut term = None;
        for i in 0..self.n() {
            if !self.is_connected(i) {
                continue;
            }
            let (xterm, _) = self.running(i).state();
            match term {
                None => term = Some(xterm),
                Some(t) if t != xterm => bail!("servers disagree on term"),
                Some(_) => {}
            }
        }
        Ok(term.expect("at least one connected server"))
    }

    /// checkNoLeader: no connected server claims leadership.
    pub fn check_no_leader(&self) -> sim::Result<()> {
        for i in 0..self.n() {
            if self.is_connected(i) && self.running(i).state().1 {
                bail!("expected no leader, but {i} claims to be leader");
            }
        }
        Ok(())
    }

    /// nCommitted(index): how many servers' current incarnations applied
    /// `index`, and the command; fails if two disagree.
    pub fn n_committed(&self, index: u64) -> sim::Result<(usize, Option<Command>)> {
        sim::work::own(|| self.n_committed_now(index))
    }

    fn n_committed_now(&self, index: u64) -> sim::Result<(usize, Option<Command>)> {
        let logs = self.logs();
        let mut count = 0;
        let mut entry: Option<&Applied> = None;
        for i in 0..self.n() {
            if logs.applied_upto[i] < index {
                continue;
            }
            let Some(applied) = logs.logs[i].get(&index) else {
                continue;
            };
            if let Some(previous) = entry {
                if previous != applied {
                    bail!("committed values do not match: index {index}, {previous}, {applied}");
                }
            }
            count += 1;
            entry = Some(applied);
        }
        // `one()` wants {true, cmd}: an entry that is not a command matches
        // no command.
        let command = match entry {
            Some(Applied::Command(command)) => Some(command.clone()),
            _ => None,
        };
        Ok((count, command))
    }

    /// wait(index, n, startTerm): up to 30 polls with a sleep doubling from
    /// 10 ms while under 1 s. `Ok(None)` is Go's -1: a term passed
    /// `start_term`, so the entry may never commit.
    pub async fn wait(
        &self,
        index: u64,
        n: usize,
        start_term: Option<u64>,
    ) -> sim::Result<Option<Command>> {
        let mut to = Duration::from_millis(10);
        for _ in 0..30 {
            let (committed, _) = self.n_committed(index)?;
            if committed >= n {
                break;
            }
            sleep(to).await;
            if to < Duration::from_secs(1) {
                to *= 2;
            }
            if let Some(start_term) = start_term {
                for i in 0..self.n() {
                    if let Some(raft) = self.raft(i) {
                        if raft.state().0 > start_term {
                            return Ok(None);
                        }
                    }
                }
            }
        }
        let (committed, command) = self.n_committed(index)?;
        if committed < n {
            bail!("only {committed} decided for index {index}; wanted {n}");
        }
        Ok(command)
    }

    /// one(cmd, expectedServers, retry): for up to 10 s, offer `command` to
    /// the connected servers in turn; once one accepts, poll every 20 ms for
    /// up to 2 s until `expected` servers applied it. Returns its index.
    pub async fn one(&self, command: Command, expected: usize, retry: bool) -> sim::Result<u64> {
        let started = Instant::now();
        let mut starts = 0;
        while started.elapsed() < Duration::from_secs(10) {
            let mut index = None;
            for _ in 0..self.n() {
                starts = (starts + 1) % self.n();
                if !self.is_connected(starts) {
                    continue;
                }
                if let Some(raft) = self.raft(starts) {
                    let (index1, _, ok) = raft.start(command.encode());
                    if ok {
                        index = Some(index1);
                        break;
                    }
                }
            }
            let Some(index) = index else {
                sleep(Duration::from_millis(50)).await;
                continue;
            };
            let proposed = Instant::now();
            while proposed.elapsed() < Duration::from_secs(2) {
                let (committed, applied) = self.n_committed(index)?;
                if committed > 0 && committed >= expected && applied.as_ref() == Some(&command) {
                    return Ok(index);
                }
                sleep(Duration::from_millis(20)).await;
            }
            if !retry {
                bail!("one({command}) failed to reach agreement");
            }
        }
        bail!("one({command}) failed to reach agreement")
    }

    /// begin(description): marks the start of the measured part.
    pub fn begin(&self, description: &str) {
        tracing::info!(target: "raft::config", "{description} ...");
        let max_index = self.logs().max_index;
        *self.inner.begun.lock().unwrap() = Begun {
            description: description.to_string(),
            at: Instant::now(),
            rpcs: self.rpc_total(),
            bytes: self.bytes_total(),
            max_index,
        };
    }

    /// end(): the "Passed" figures (time, peers, RPCs, bytes, commands) as
    /// the run's summary, with which checks ran (`checks`: config.go's, plus
    /// Figure 3's when the servers showed their states and the invariants
    /// were on). Also stops every server, like cleanup().
    pub fn end(&self) -> Summary {
        let begun = self.inner.begun.lock().unwrap();
        let secs = begun.at.elapsed().as_secs_f64();
        let rpcs = self.rpc_total() - begun.rpcs;
        let bytes = self.bytes_total() - begun.bytes;
        let cmds = self.logs().max_index - begun.max_index;
        tracing::info!(
            target: "raft::config",
            "{}: Passed -- {secs:4.1} {} {rpcs:4} {bytes:7} {cmds:4}",
            begun.description,
            self.n()
        );
        for raft in self.servers().rafts.iter().flatten() {
            raft.kill();
        }
        let views = &self.inner.views;
        let checks = if views.continuous_checks() && views.any_seen() {
            "config+fig3"
        } else {
            "config"
        };
        let summary = Summary::new()
            .with("checks", checks)
            .with("peers", self.n())
            .with("test_rpcs", rpcs)
            .with("test_bytes", bytes)
            .with("cmds", cmds);
        // Leaders are known only from views: no figure rather than a false 0.
        if views.any_seen() {
            summary.with("leader_terms", views.leader_terms())
        } else {
            summary
        }
    }
}
