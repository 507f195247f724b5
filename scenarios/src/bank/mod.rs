//! HW2's tests (`bank_test.go`), ported: the same operations, counts and
//! checks, with goroutines as simulated tasks and Go's timeouts as
//! virtual-time limits.
//!
//! Every body is generic over [`BankApi`] (the assignment's API, crate
//! `bank_api`), so that any bank can be tested: [`suite`] builds the
//! scenarios for a bank type under a name prefix; [`scenarios`] is the suite
//! for this repository's [`bank::Bank`] under `bank/`, and the teeth test
//! (`tests/bank_teeth.rs`) registers deliberately broken banks the same way
//! and shows that they fail.
//!
//! [`swarm`] adds `swarm/{any,yields,pct}`: workloads and schedules drawn
//! from the seed, including PCT (`bank_api::pct`).
//!
//! How a run goes: the harness creates node `bank`, a bank whose steps yield
//! as a [`Jitter`] seeded from the run's seed decides, and runs the test
//! body on that node; the body spawns one task per operation as the Go test
//! spawns goroutines, and waits for all of them (Go's `wg.Wait`). Test
//! inputs come from [`sim::rand::chacha`], so they depend on the seed only;
//! which operations interleave how depends on the seed through madsim's
//! scheduler and the jitter.
//!
//! Every run registers the inspector `bank` (balances, held locks, waiting
//! operations; appended to DEADLOCK reports) and the probe
//! `bank/no_negative_balance` (no test here ever allows an overdraw).
//!
//! Summary fields: `ops` (operations spawned), `refused` (operations that
//! returned `false`, where that is allowed), `max_yields` (the seed's jitter
//! bound), `one_in` (one step in this many is a preemption point), `yields` (jitter yields taken) and `final`, a hash of the final
//! balances: equal on every seed for the tests whose outcome does not depend
//! on the interleaving (the assignment's "deterministic"; checked on seeds
//! 0..20 by `tests/bank_teeth.rs`).

mod accounts;
mod deposits;
mod hidden_bonus;
pub mod swarm;
mod swarm_ops;
mod transfers;

use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bank_api::{AccountId, BankApi, BankError, Jitter, Money};
use sim::rand::Rng;
use sim::{ensure, node, Scenario, Summary};
use tokio::sync::mpsc;

/// The scenarios of the real bank.
pub fn scenarios() -> Vec<Scenario> {
    suite::<bank::Bank>("bank")
}

/// The HW2 scenarios for bank implementation `B`, named `<prefix>/<test>`.
pub fn suite<B: BankApi>(prefix: &str) -> Vec<Scenario> {
    let name = |test: &str| sim::intern(format!("{prefix}/{test}"));
    vec![
        Scenario::new(name("create_account_basic"), || {
            Box::pin(on_node(SWARM, accounts::create_account_basic::<B>))
        }),
        Scenario::new(name("create_account_many"), || {
            Box::pin(on_node(SWARM, accounts::create_account_many::<B>))
        }),
        Scenario::new(name("many_deposits_and_withdraws"), || {
            Box::pin(on_node(SPARSE, deposits::many_deposits_and_withdraws::<B>))
        })
        .time_limit(Duration::from_secs(10)),
        Scenario::new(name("few_transfers"), || {
            Box::pin(on_node(SWARM, transfers::few_transfers::<B>))
        })
        .time_limit(Duration::from_secs(2))
        .sometimes(transfers::SOMETIMES),
        Scenario::new(name("many_transfers"), || {
            Box::pin(on_node(SWARM, transfers::many_transfers::<B>))
        })
        .time_limit(Duration::from_secs(4)),
        Scenario::new(name("deposit_and_compare"), || {
            Box::pin(on_node(SWARM, deposits::deposit_and_compare::<B>))
        })
        .time_limit(Duration::from_secs(8)),
        Scenario::new(name("hidden_bonus"), || {
            Box::pin(on_node(SPARSE, hidden_bonus::hidden_bonus::<B>))
        })
        .time_limit(Duration::from_secs(8)),
    ]
    .into_iter()
    .chain(swarm::suite::<B>(prefix))
    .collect()
}

/// How a scenario's operations are preempted (see [`Jitter`]): the most
/// yields one step (approaching a lock, reading or writing a balance,
/// inserting an account) may take, drawn per run from `max` by the seed
/// (swarm testing: some seeds run with little contention, some with much),
/// and how often a step is a preemption point at all.
struct Yields {
    max: RangeInclusive<u32>,
    /// 1: every step yields `0..=max` times; n: one step in n yields
    /// `1..=max` times, the others none.
    one_in: u32,
}

/// Most scenarios: each step yields up to 1, 2 or 3 times, as the seed
/// draws.
const SWARM: Yields = Yields {
    max: 1..=3,
    one_in: 1,
};

/// The two scenarios with hundreds of thousands of operations: with that
/// many tasks ready at once, madsim's seeded pick among them already
/// interleaves whole operations, and every yield is one more poll of one
/// more task. One step in 8 is a preemption point, which still interleaves
/// read-modify-writes often enough to lose updates in a bank that does not
/// lock across them (`tests/bank_teeth.rs` shows it caught on 100 of 100
/// seeds) at a third of the polls.
const SPARSE: Yields = Yields {
    max: 1..=3,
    one_in: 8,
};

/// Opens a bank `B` with jitter seeded by the run, registers its inspector
/// and probe, and runs `body` on node `bank`.
async fn on_node<B, F, Fut>(yields: Yields, body: F) -> sim::Result
where
    B: BankApi,
    F: FnOnce(Arc<B>) -> Fut,
    Fut: Future<Output = sim::Result> + Send + 'static,
{
    let mut rng = sim::rand::rng();
    let max_yields = rng.gen_range(yields.max);
    let jitter = Arc::new(Jitter::sparse(rng.gen(), max_yields, yields.one_in));
    let bank = Arc::new(B::open(jitter.clone()));
    let inspected = bank.clone();
    sim::inspect::inspector("bank", move || inspected.inspect());
    let probed = bank.clone();
    sim::inspect::probe("bank/no_negative_balance", move || {
        match probed.peek_balances().into_iter().find(|&(_, b)| b < 0) {
            Some((id, balance)) => Err(format!("account {id} has balance {balance}")),
            None => Ok(()),
        }
    });
    node::create("bank");
    let summary = node::spawn("bank", body(bank))
        .await
        .expect("the bank node is never crashed")?;
    Ok(summary
        .with("max_yields", max_yields)
        .with("one_in", yields.one_in)
        .with("yields", jitter.yields()))
}

/// Unwraps an operation's result: the tests never make a request the bank
/// may refuse, so a refusal is a failure of the bank (a panic, with the
/// operation, at the virtual time it happened).
fn must<T>(result: Result<T, BankError>, what: impl FnOnce() -> String) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("{} was refused: {e}", what()),
    }
}

/// The operations a test spawned: Go's goroutines plus `sync.WaitGroup`.
/// Each task holds a clone of the sender; `wait` returns when all have
/// dropped theirs.
struct Tasks {
    done: mpsc::Sender<()>,
    all_done: mpsc::Receiver<()>,
    spawned: u64,
}

/// How often `Tasks` lets madsim forget finished tasks (see `spawn`).
const PRUNE_EVERY: u64 = 10_000;

impl Tasks {
    fn new() -> Self {
        let (done, all_done) = mpsc::channel(1);
        Tasks {
            done,
            all_done,
            spawned: 0,
        }
    }

    /// Spawns `operation` on the current node.
    fn spawn(&mut self, operation: impl Future<Output = ()> + Send + 'static) {
        let token = self.done.clone();
        // Boxed: an operation's future is ~500 bytes and would otherwise be
        // copied by every layer of spawning; a box is copied as a pointer.
        let operation = Box::pin(operation);
        madsim::task::spawn(async move {
            operation.await;
            drop(token);
        });
        self.spawned += 1;
        if self.spawned.is_multiple_of(PRUNE_EVERY) {
            // madsim keeps a weak reference to every task a node ever ran
            // (for `kill`) and drops the dead ones only when the task count
            // is asked for: ask, or a million tasks keep ~170 MB alive.
            let _ = madsim::runtime::Handle::current().metrics().num_tasks();
        }
    }

    /// Waits until every spawned operation has finished; returns how many.
    async fn wait(self) -> u64 {
        let Tasks {
            done,
            mut all_done,
            spawned,
        } = self;
        drop(done);
        let message = all_done.recv().await;
        assert!(message.is_none(), "tasks only ever drop their token");
        spawned
    }
}

/// The tester's sequential model: the balance each account must have, from
/// the results the operations returned (Go's `expected` map under `mu`).
#[derive(Clone)]
struct Model(Arc<Mutex<Vec<Money>>>);

/// The original tests' withdraw step: half the balance, read by the tester
/// before the operation starts, and a fifth of the time four times that (an
/// overdraw attempt that must be refused with no change). A success is
/// counted into `model`, a refusal into `refused`.
async fn spawn_withdraw_half<B: BankApi>(
    bank: Arc<B>,
    id: AccountId,
    input: &mut impl Rng,
    model: Model,
    refused: Model,
    tasks: &mut Tasks,
) {
    let mut amount = must(bank.balance(id).await, || format!("balance({id})")) / 2;
    if input.gen_range(0..100) < 20 {
        amount *= 4;
    }
    tasks.spawn(async move {
        let what = || format!("withdraw({id}, {amount})");
        if must(bank.withdraw(id, amount).await, what) {
            model.add(id, -amount);
        } else {
            refused.add(0, 1);
        }
    });
}

impl Model {
    /// `accounts` accounts (ids `0..accounts`) with balance `initial`.
    fn new(accounts: u64, initial: Money) -> Self {
        Model(Arc::new(Mutex::new(vec![initial; accounts as usize])))
    }

    fn add(&self, id: AccountId, amount: Money) {
        self.0.lock().unwrap()[id as usize] += amount;
    }

    fn expected(&self) -> Vec<Money> {
        self.0.lock().unwrap().clone()
    }
}

/// Reads every balance of `0..accounts`.
async fn balances<B: BankApi>(bank: &B, accounts: u64) -> Vec<Money> {
    let mut out = Vec::with_capacity(accounts as usize);
    for id in 0..accounts {
        out.push(must(bank.balance(id).await, || format!("balance({id})")));
    }
    out
}

/// Checks the bank's balances against the model ("Final balances do not
/// match!") and returns them.
async fn check_balances<B: BankApi>(bank: &B, model: &Model) -> sim::Result<Vec<Money>> {
    let expected = model.expected();
    let actual = balances(bank, expected.len() as u64).await;
    for (id, (a, e)) in actual.iter().zip(&expected).enumerate() {
        ensure!(
            a == e,
            "Final balances do not match! account {id} has {a}, expected {e}"
        );
    }
    Ok(actual)
}

/// FNV-1a of the balances, as 16 hex digits: the `final` summary field.
fn final_hash(balances: &[Money]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in balances {
        for byte in b.to_le_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// The summary every body returns.
fn summary(ops: u64, balances: &[Money]) -> Summary {
    Summary::new()
        .with("ops", ops)
        .with("final", final_hash(balances))
}
