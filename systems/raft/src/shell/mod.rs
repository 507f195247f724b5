//! The async shell around the pure [`Core`]: the 6.824 API (`Make`, `Start`,
//! `GetState`, `Kill`, `ApplyMsg`) on the `sim` runtime.
//!
//! One mutex guards the core. Every input — a tick, an RPC, a reply, a
//! proposal — takes it, feeds the core and then carries out the core's
//! `Ready` before releasing it: save the persistent state, spawn the RPCs,
//! send the applied entries, log the events. Saving before anything leaves
//! the lock is what makes "persist before replying" hold.
//!
//! Tasks: one ticker, one task per outgoing RPC, and the RPC server's
//! handler tasks. All run on the server's sim node (`Raft::new` must be
//! called from a task on it), so crashing the node drops them all at once.

mod rpc;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use madsim::rand::Rng;
use madsim::time::Instant;
use sim::rpc::{ClientEnd, Server};
use sim::Persister;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::Notify;

use crate::core::messages::{LogIndex, PeerId, Term};
use crate::core::{Config, Core, Ready};

/// A committed entry delivered to the service, in index order. After a
/// restart delivery begins again at index 1 (lastApplied is volatile).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyMsg {
    pub command_valid: bool,
    pub command: Vec<u8>,
    pub command_index: LogIndex,
}

/// Sees every state the core passes through, with the outputs that led out
/// of it, under the shell's lock: a safety checker outside the system can
/// fail a run at the very step that breaks a property.
pub trait Observer: Send + Sync {
    fn observe(&self, core: &Core, ready: &Ready);
}

/// A handle to one Raft server. Clones share the server.
#[derive(Clone)]
pub struct Raft {
    shared: Arc<Shared>,
}

struct Shared {
    peers: Vec<ClientEnd>,
    persister: Persister,
    apply_tx: UnboundedSender<ApplyMsg>,
    observer: Option<Arc<dyn Observer>>,
    killed: AtomicBool,
    /// Wakes the ticker when its next deadline moved earlier.
    wake: Notify,
    driver: Mutex<Driver>,
}

struct Driver {
    core: Core,
    /// The virtual instant up to which the core's timers have been advanced.
    clock: Instant,
    /// When the ticker will wake on its own.
    ticker_wakes_at: Instant,
}

/// Options beyond the 6.824 signature: core timing (or an injected bug) and
/// an observer.
pub struct RaftBuilder {
    peers: Vec<ClientEnd>,
    config: Config,
    persister: Persister,
    apply_tx: UnboundedSender<ApplyMsg>,
    observer: Option<Arc<dyn Observer>>,
}

impl RaftBuilder {
    pub fn config(mut self, adjust: impl FnOnce(&mut Config)) -> RaftBuilder {
        adjust(&mut self.config);
        self
    }

    pub fn observer(mut self, observer: Arc<dyn Observer>) -> RaftBuilder {
        self.observer = Some(observer);
        self
    }

    /// Restores from the persister and starts the ticker on the calling
    /// task's node.
    pub fn build(self) -> Raft {
        let saved = self.persister.read_raft_state();
        let core = Core::new(self.config, &saved).expect("the persister holds what we saved");
        let now = Instant::now();
        let raft = Raft {
            shared: Arc::new(Shared {
                peers: self.peers,
                persister: self.persister,
                apply_tx: self.apply_tx,
                observer: self.observer,
                killed: AtomicBool::new(false),
                wake: Notify::new(),
                driver: Mutex::new(Driver {
                    core,
                    clock: now,
                    ticker_wakes_at: now,
                }),
            }),
        };
        // Let an observer see the restored state before anything happens.
        raft.step(|_| ());
        let ticker = raft.clone();
        madsim::task::spawn(async move { ticker.run_ticker().await });
        raft
    }
}

impl Raft {
    /// Make(peers, me, persister, applyCh): `peers[me]` is this server.
    pub fn new(
        peers: Vec<ClientEnd>,
        me: PeerId,
        persister: Persister,
        apply_tx: UnboundedSender<ApplyMsg>,
    ) -> Raft {
        Raft::builder(peers, me, persister, apply_tx).build()
    }

    pub fn builder(
        peers: Vec<ClientEnd>,
        me: PeerId,
        persister: Persister,
        apply_tx: UnboundedSender<ApplyMsg>,
    ) -> RaftBuilder {
        let config = Config::new(me, peers.len());
        RaftBuilder {
            peers,
            config,
            persister,
            apply_tx,
            observer: None,
        }
    }

    /// Start(command): returns at once with (index, term, is_leader); the
    /// entry commits later, if at all.
    pub fn start(&self, command: Vec<u8>) -> (LogIndex, Term, bool) {
        if self.killed() {
            return (0, 0, false);
        }
        let accepted = self.step_without_tick(|core| core.propose(command));
        match accepted {
            Some((index, term)) => {
                // Replication is due at once: let the ticker send it.
                self.shared.wake.notify_one();
                (index, term, true)
            }
            None => (0, self.state().0, false),
        }
    }

    /// GetState(): (current term, whether this server believes it leads).
    pub fn state(&self) -> (Term, bool) {
        let driver = self.lock();
        (driver.core.term(), driver.core.is_leader())
    }

    /// Kill(): the server stops taking inputs and its tasks wind down. The
    /// tester also crashes the node, which drops them at once.
    pub fn kill(&self) {
        self.shared.killed.store(true, Ordering::SeqCst);
        self.shared.wake.notify_one();
    }

    pub fn killed(&self) -> bool {
        self.shared.killed.load(Ordering::SeqCst)
    }

    /// The RPC methods this server answers, added to `server` (the tester
    /// starts it, as config.go adds the service to a labrpc server).
    pub fn register(&self, server: Server) -> Server {
        rpc::register(self, server)
    }

    /// One line of state for inspectors and failure reports.
    pub fn describe(&self) -> String {
        let driver = self.lock();
        let core = &driver.core;
        format!(
            "term={} role={:?} voted_for={:?} last={} commit={} applied={}",
            core.term(),
            core.role(),
            core.voted_for(),
            core.log().last_index(),
            core.commit_index(),
            core.last_applied(),
        )
    }

    fn lock(&self) -> MutexGuard<'_, Driver> {
        self.shared
            .driver
            .lock()
            .expect("a panic poisoned the raft lock")
    }

    /// Feeds one input: advances the core's clock to now, runs `input`,
    /// then carries out the resulting `Ready` under the same lock.
    fn step<T>(&self, input: impl FnOnce(&mut Core) -> T) -> T {
        let mut guard = self.lock();
        let driver = &mut *guard;
        let tick = advance_clock(driver);
        // The pure core's work is the system's own, not the framework's
        // (`sim::work`, for `dst bench`).
        let (output, ready) = sim::work::own(|| {
            if let Some((elapsed_ms, random)) = tick {
                driver.core.tick(elapsed_ms, random);
            }
            let output = input(&mut driver.core);
            (output, driver.core.take_ready())
        });
        self.carry_out(&driver.core, ready);
        // A new role or a proposal may bring the next timer forward.
        let due = driver.clock + Duration::from_millis(driver.core.ms_until_next_timer());
        if due < driver.ticker_wakes_at {
            driver.ticker_wakes_at = due;
            self.shared.wake.notify_one();
        }
        output
    }

    /// For calls from outside the server's node (the tester's `start`):
    /// no timer may fire there, so no RPC is spawned on the wrong node.
    fn step_without_tick<T>(&self, input: impl FnOnce(&mut Core) -> T) -> T {
        let mut guard = self.lock();
        let core = &mut guard.core;
        let (output, ready) = sim::work::own(|| {
            let output = input(core);
            (output, core.take_ready())
        });
        assert!(
            ready.messages.is_empty(),
            "a proposal never sends by itself"
        );
        self.carry_out(&guard.core, ready);
        output
    }

    fn carry_out(&self, core: &Core, ready: Ready) {
        if let Some(observer) = &self.shared.observer {
            // A checker's work is its test's own, not the framework's.
            sim::work::own(|| observer.observe(core, &ready));
        }
        // Figure 2: persist before responding to RPCs or sending any.
        if let Some(state) = ready.persistent_state {
            self.shared
                .persister
                .save_raft_state_pieces(state.into_pieces());
        }
        for event in &ready.events {
            tracing::info!(target: "raft", "{event}");
        }
        for outbound in ready.messages {
            rpc::send(self, outbound);
        }
        for applied in ready.applied {
            let message = ApplyMsg {
                command_valid: true,
                command: applied.command,
                command_index: applied.index,
            };
            // The service may be gone (its receiver dropped): nothing to do.
            let _ = self.shared.apply_tx.send(message);
        }
    }

    /// Sleeps until the core's next timer (or an earlier wake-up), then
    /// ticks. Never busy-loops: every tick that finds a timer due resets it.
    async fn run_ticker(self) {
        loop {
            if self.killed() {
                return;
            }
            let wait_ms = {
                let mut driver = self.lock();
                let wait_ms = driver.core.ms_until_next_timer();
                driver.ticker_wakes_at = driver.clock + Duration::from_millis(wait_ms);
                wait_ms
            };
            if wait_ms > 0 {
                let sleep = std::pin::pin!(madsim::time::sleep(Duration::from_millis(wait_ms)));
                let woken = std::pin::pin!(self.shared.wake.notified());
                futures::future::select(sleep, woken).await;
            }
            if self.killed() {
                return;
            }
            self.step(|_| ());
        }
    }
}

/// Brings the driver's clock up to the current virtual time, in whole
/// milliseconds (the remainder carries over to the next input), and returns
/// the tick the core is due: the milliseconds that passed and a random draw
/// for its timers. None when no millisecond passed and no timer is due.
fn advance_clock(driver: &mut Driver) -> Option<(u64, u64)> {
    let now = Instant::now();
    let elapsed_ms = now.duration_since(driver.clock).as_millis() as u64;
    if elapsed_ms == 0 && driver.core.ms_until_next_timer() > 0 {
        return None;
    }
    driver.clock += Duration::from_millis(elapsed_ms);
    let random: u64 = madsim::rand::thread_rng().gen();
    Some((elapsed_ms, random))
}
