//! Swarm scenarios for the bank: the seed draws the workload and the
//! schedule, where the ported tests fix both (two accounts or eight, amounts
//! of 1 or 2, never an allowed overdraw, never a bad argument).
//!
//! The workload ([`Mix`]): 1 to 12 accounts with drawn initial balances, 2
//! to 40 concurrent operations over every operation of the API (creates of
//! new and existing ids, deposits, withdrawals, transfers with and without
//! an allowed overdraw, deposit-and-compare, balance reads) in drawn
//! proportions, some aimed at one hot account, with arguments at the edges
//! of their domains (0, negative, huge, an unknown id, a transfer to
//! itself). The schedule: random yields (dense or sparse, drawn bound) or
//! PCT (drawn depth), after the workload, so that `swarm/yields` and
//! `swarm/pct` run the same workload on the same seed.
//!
//! Checks ([`super::swarm_ops`]): each operation's result is one the API
//! allows for its arguments; the final balances equal the sum of the
//! effects the results claim; no balance is negative unless the mix allows
//! overdraws; then a liveness phase: every account still serves a deposit
//! and a read, one after the other, within the time limit.

use std::sync::Arc;
use std::time::Duration;

use bank_api::{BankApi, Jitter};
use sim::rand::Rng;
use sim::swarm::drew;
use sim::{node, Scenario};

use super::swarm_ops::{check_final, liveness, spawn_op, Op, Outcomes};
use super::Tasks;

/// Which scheduling strategies a swarm scenario draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schedules {
    /// Random yields or PCT, as the seed draws.
    Any,
    /// Random yields only (dense or sparse).
    Yields,
    /// PCT only.
    Pct,
}

/// The swarm scenarios for bank `B` under `prefix`.
pub fn suite<B: BankApi>(prefix: &str) -> Vec<Scenario> {
    let name = |test: &str| sim::intern(format!("{prefix}/{test}"));
    let limit = Duration::from_secs(20);
    vec![
        Scenario::new(name("swarm/any"), || Box::pin(swarm::<B>(Schedules::Any))).time_limit(limit),
        Scenario::new(name("swarm/yields"), || {
            Box::pin(swarm::<B>(Schedules::Yields))
        })
        .time_limit(limit),
        Scenario::new(name("swarm/pct"), || Box::pin(swarm::<B>(Schedules::Pct))).time_limit(limit),
    ]
}

/// The workload a seed draws.
#[derive(Debug)]
pub(super) struct Mix {
    pub accounts: u64,
    pub initial: Vec<i64>,
    pub overdraw: bool,
    pub ops: Vec<Op>,
}

impl Mix {
    fn draw(rng: &mut impl Rng) -> Mix {
        let accounts = rng.gen_range(1..=12u64);
        let initial = (0..accounts)
            .map(|_| match rng.gen_range(0..4) {
                0 => 0,
                1 => rng.gen_range(1..=10),
                _ => rng.gen_range(0..=1000),
            })
            .collect();
        let overdraw = rng.gen_bool(0.5);
        // Each kind's weight 0..=3: some seeds never withdraw, some only
        // transfer (swarm testing: leaving features out finds bugs that
        // their presence masks).
        let mut weights: [u32; 7] = std::array::from_fn(|_| rng.gen_range(0..=3));
        if !overdraw {
            weights[Op::OVERDRAW] = 0;
        }
        if weights.iter().all(|&w| w == 0) {
            weights[Op::TRANSFER] = 1;
        }
        let hot_percent = rng.gen_range(0..=100u32);
        let edge_percent = rng.gen_range(0..=30u32);
        let count = rng.gen_range(2..=40usize);
        drew("accounts", accounts);
        drew("ops", count);
        drew("overdraw", overdraw);
        drew("hot_percent", hot_percent);
        drew("edge_percent", edge_percent);
        for (kind, weight) in Op::KINDS.iter().zip(weights) {
            drew(kind, weight);
        }
        let ops = (0..count)
            .map(|_| Op::draw(rng, &weights, accounts, hot_percent, edge_percent))
            .collect();
        Mix {
            accounts,
            initial,
            overdraw,
            ops,
        }
    }
}

/// Draws the schedule: under `Any`, PCT one time in three.
fn draw_jitter(rng: &mut impl Rng, schedules: Schedules, ops: &[Op]) -> Jitter {
    let pct = match schedules {
        Schedules::Any => rng.gen_range(0..3) == 0,
        Schedules::Yields => false,
        Schedules::Pct => true,
    };
    let seed: u64 = rng.gen();
    let jitter = if pct {
        let depth = rng.gen_range(1..=3u32);
        // PCT's k: the steps the operations take if none is refused (a
        // larger k makes each change point less likely to land at all).
        let steps = ops.iter().map(Op::steps).sum::<u64>().max(1);
        Jitter::pct(seed, depth, steps)
    } else {
        let max_yields = rng.gen_range(1..=3);
        let one_in = if rng.gen_bool(0.5) { 1 } else { 8 };
        drew("max_yields", max_yields);
        drew("one_in", one_in);
        Jitter::sparse(seed, max_yields, one_in)
    };
    if let Some(pct) = jitter.pct_scheduler() {
        drew("pct_depth", pct.depth());
        drew("pct_steps", pct.steps_bound());
    }
    drew("strategy", if pct { "pct" } else { "yields" });
    jitter
}

async fn swarm<B: BankApi>(schedules: Schedules) -> sim::Result {
    let mut rng = sim::rand::chacha();
    let mix = Mix::draw(&mut rng);
    let jitter = Arc::new(draw_jitter(&mut rng, schedules, &mix.ops));
    tracing::info!(target: "bank::swarm", strategy = %jitter.strategy(), accounts = mix.accounts, ops = mix.ops.len(), overdraw = mix.overdraw, "drawn mix");
    let bank = Arc::new(B::open(jitter.clone()));
    let inspected = bank.clone();
    sim::inspect::inspector("bank", move || inspected.inspect());
    node::create("bank");
    let body = run::<B>(bank, jitter.clone(), mix);
    let summary = node::spawn("bank", body)
        .await
        .expect("the bank node is never crashed")?;
    let summary = summary
        .with("strategy", jitter.strategy().replace(' ', ","))
        .with("yields", jitter.yields());
    Ok(match jitter.pct_scheduler() {
        Some(pct) => summary.with("steps", pct.steps()),
        None => summary,
    })
}

async fn run<B: BankApi>(bank: Arc<B>, jitter: Arc<Jitter>, mix: Mix) -> sim::Result {
    for (id, &balance) in mix.initial.iter().enumerate() {
        let id = id as u64;
        super::must(bank.create_account(id).await, || {
            format!("create_account({id})")
        });
        super::must(bank.deposit(id, balance).await, || {
            format!("deposit({id}, {balance})")
        });
    }
    let outcomes = Outcomes::new();
    let mut tasks = Tasks::new();
    for (index, op) in mix.ops.iter().enumerate() {
        let operation = spawn_op(bank.clone(), *op, index, outcomes.clone());
        tasks.spawn(jitter.operation(operation));
    }
    let ops = tasks.wait().await;
    let balances = check_final(&*bank, &mix, &outcomes).await?;
    liveness(&*bank, &balances).await?;
    let values: Vec<i64> = balances.iter().map(|&(_, b)| b).collect();
    Ok(super::summary(ops, &values).with("accounts", balances.len()))
}
