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

mod api;
mod rpc;
mod view;

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
use crate::core::{Config, Core, Figure2, Ready, Rules};

pub use raft_api::ApplyMsg;

/// A handle to one Raft server, following the rules `R` ([`Figure2`]
/// unless a test swaps in a variant). Clones share the server.
pub struct Raft<R: Rules = Figure2> {
    shared: Arc<Shared<R>>,
}

impl<R: Rules> Clone for Raft<R> {
    fn clone(&self) -> Self {
        Raft {
            shared: self.shared.clone(),
        }
    }
}

struct Shared<R: Rules> {
    peers: Vec<ClientEnd>,
    persister: Persister,
    apply_tx: UnboundedSender<ApplyMsg>,
    killed: AtomicBool,
    /// Wakes the ticker when its next deadline moved earlier.
    wake: Notify,
    driver: Mutex<Driver<R>>,
}

struct Driver<R: Rules> {
    core: Core<R>,
    /// The virtual instant up to which the core's timers have been advanced.
    clock: Instant,
    /// When the ticker will wake on its own.
    ticker_wakes_at: Instant,
}

impl Raft {
    /// Make(peers, me, persister, applyCh): `peers[me]` is this server.
    /// Restores from the persister and starts the ticker on the calling
    /// task's node; the caller registers the RPC methods ([`Raft::register`]).
    pub fn new(
        peers: Vec<ClientEnd>,
        me: PeerId,
        persister: Persister,
        apply_tx: UnboundedSender<ApplyMsg>,
    ) -> Raft {
        Raft::with_rules(peers, me, persister, apply_tx)
    }
}

impl<R: Rules> Raft<R> {
    /// [`Raft::new`] for a server following the rules `R`.
    pub fn with_rules(
        peers: Vec<ClientEnd>,
        me: PeerId,
        persister: Persister,
        apply_tx: UnboundedSender<ApplyMsg>,
    ) -> Raft<R> {
        let config = Config::new(me, peers.len());
        let saved = persister.read_raft_state();
        let core = Core::restore(config, &saved).expect("the persister holds what we saved");
        let now = Instant::now();
        let raft = Raft {
            shared: Arc::new(Shared {
                peers,
                persister,
                apply_tx,
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

    fn lock(&self) -> MutexGuard<'_, Driver<R>> {
        self.shared
            .driver
            .lock()
            .expect("a panic poisoned the raft lock")
    }

    /// Feeds one input: advances the core's clock to now, runs `input`,
    /// then carries out the resulting `Ready` under the same lock.
    fn step<T>(&self, input: impl FnOnce(&mut Core<R>) -> T) -> T {
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
    fn step_without_tick<T>(&self, input: impl FnOnce(&mut Core<R>) -> T) -> T {
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

    fn carry_out(&self, core: &Core<R>, ready: Ready) {
        // Show a watching tester every state, before anything leaves the
        // lock (raft_api::observe).
        if raft_api::observing() {
            raft_api::observe(&view::View {
                core,
                log_changed_from: ready.log_changed_from,
            });
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
fn advance_clock<R: Rules>(driver: &mut Driver<R>) -> Option<(u64, u64)> {
    let now = Instant::now();
    let elapsed_ms = now.duration_since(driver.clock).as_millis() as u64;
    if elapsed_ms == 0 && driver.core.ms_until_next_timer() > 0 {
        return None;
    }
    driver.clock += Duration::from_millis(elapsed_ms);
    let random: u64 = madsim::rand::thread_rng().gen();
    Some((elapsed_ms, random))
}
