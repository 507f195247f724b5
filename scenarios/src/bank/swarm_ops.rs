//! The bank swarm's operations and its checker: what each drawn operation
//! is, what results the API allows for its arguments whatever the
//! interleaving, and the final state the results imply.
//!
//! Why results and not a replayed order: with up to 40 operations on the
//! same accounts, which order happened is the bank's business; what it
//! promised is in each result (an operation that returned `true` moved the
//! money, one that was refused changed nothing), and those effects add up
//! in any order.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use bank_api::{AccountId, BankApi, BankError, Money};
use sim::ensure;
use sim::rand::Rng;

use super::swarm::Mix;

/// An amount no ported test uses: two of them overflow a balance.
const HUGE: Money = Money::MAX / 2;

/// One operation of the swarm, with its arguments.
#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Create(AccountId),
    Deposit(AccountId, Money),
    Withdraw(AccountId, Money),
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    },
    DepositAndCompare(AccountId, Money, Money),
    Balance(AccountId),
}

impl Op {
    /// The drawn weights' names, in weight order.
    pub const KINDS: [&'static str; 7] = [
        "weight_create",
        "weight_deposit",
        "weight_withdraw",
        "weight_transfer",
        "weight_overdraw",
        "weight_compare",
        "weight_balance",
    ];
    pub const TRANSFER: usize = 3;
    pub const OVERDRAW: usize = 4;

    /// One operation: its kind in proportion to `weights`, its ids and
    /// amounts from the edges of their domains `edge_percent` of the time.
    pub fn draw(
        rng: &mut impl Rng,
        weights: &[u32; 7],
        accounts: u64,
        hot_percent: u32,
        edge_percent: u32,
    ) -> Op {
        let total: u32 = weights.iter().sum();
        let mut pick = rng.gen_range(0..total);
        let kind = weights
            .iter()
            .position(|&w| {
                if pick < w {
                    return true;
                }
                pick -= w;
                false
            })
            .expect("pick < total");
        let mut id = || {
            if rng.gen_range(0..100) < edge_percent {
                // An id that does not exist at the start (and may be
                // created concurrently).
                accounts + rng.gen_range(0..2)
            } else if rng.gen_range(0..100) < hot_percent {
                0
            } else {
                rng.gen_range(0..accounts)
            }
        };
        let (a, b) = (id(), id());
        let amount = |rng: &mut dyn sim::rand::RngCore| -> Money {
            if rng.gen_range(0..100) < edge_percent {
                [0, -1, Money::MIN, HUGE, Money::MAX][rng.gen_range(0..5)]
            } else {
                rng.gen_range(0..=300)
            }
        };
        match kind {
            0 => Op::Create(a),
            1 => Op::Deposit(a, amount(rng)),
            2 => Op::Withdraw(a, amount(rng)),
            3 | 4 => Op::Transfer {
                from: a,
                to: b,
                amount: amount(rng),
                allow_overdraw: kind == Op::OVERDRAW,
            },
            5 => {
                let threshold = match rng.gen_range(0..4) {
                    0 => Money::MIN,
                    1 => Money::MAX,
                    _ => rng.gen_range(0..=1000),
                };
                Op::DepositAndCompare(a, amount(rng), threshold)
            }
            _ => Op::Balance(a),
        }
    }

    /// The step points this operation passes in a bank that takes one per
    /// table access, lock, read and write (this repository's), if it is
    /// not refused: PCT's estimate of k.
    pub fn steps(&self) -> u64 {
        match self {
            Op::Create(_) => 2,
            Op::Balance(_) => 3,
            Op::Deposit(..) | Op::Withdraw(..) | Op::DepositAndCompare(..) => 4,
            Op::Transfer { .. } => 7,
        }
    }

    fn amount(&self) -> Option<Money> {
        match *self {
            Op::Deposit(_, m) | Op::Withdraw(_, m) | Op::DepositAndCompare(_, m, _) => Some(m),
            Op::Transfer { amount, .. } => Some(amount),
            Op::Create(_) | Op::Balance(_) => None,
        }
    }
}

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Answer {
    Done,
    Yes(bool),
    Balance(Money),
}

/// Every operation's result, by its index in the mix.
#[derive(Clone, Default)]
pub(super) struct Outcomes(Arc<Mutex<BTreeMap<usize, Result<Answer, BankError>>>>);

impl Outcomes {
    pub fn new() -> Self {
        Outcomes::default()
    }

    fn record(&self, index: usize, result: Result<Answer, BankError>) {
        self.0.lock().unwrap().insert(index, result);
    }
}

/// The future of operation `op` (number `index`), recording its result.
pub(super) async fn spawn_op<B: BankApi>(bank: Arc<B>, op: Op, index: usize, outcomes: Outcomes) {
    let result = match op {
        Op::Create(id) => bank.create_account(id).await.map(|()| Answer::Done),
        Op::Deposit(id, amount) => bank.deposit(id, amount).await.map(|()| Answer::Done),
        Op::Withdraw(id, amount) => bank.withdraw(id, amount).await.map(Answer::Yes),
        Op::Transfer {
            from,
            to,
            amount,
            allow_overdraw,
        } => bank
            .transfer(from, to, amount, allow_overdraw)
            .await
            .map(Answer::Yes),
        Op::DepositAndCompare(id, amount, threshold) => bank
            .deposit_and_compare(id, amount, threshold)
            .await
            .map(Answer::Yes),
        Op::Balance(id) => bank.balance(id).await.map(Answer::Balance),
    };
    outcomes.record(index, result);
}

/// Whether `result` is one the API allows for `op`, whatever the order:
/// `Err(why)` says what is wrong.
fn allowed(
    op: &Op,
    result: &Result<Answer, BankError>,
    mix: &Mix,
    huge: bool,
) -> Result<(), String> {
    let exists = |id: AccountId| id < mix.accounts;
    if let Some(amount) = op.amount() {
        let refused_negative = matches!(result, Err(BankError::NegativeAmount(_)));
        let same = matches!(op, Op::Transfer { from, to, .. } if from == to);
        if amount < 0 && !refused_negative && !same {
            return Err(format!("a negative amount was not refused: {result:?}"));
        }
        if amount >= 0 && refused_negative {
            return Err("a non-negative amount was refused as negative".into());
        }
    }
    match (op, result) {
        (_, Err(BankError::UnknownAccount(id))) if exists(*id) => {
            Err(format!("account {id} exists but was called unknown"))
        }
        (_, Err(BankError::Overflow { .. })) if !huge => {
            Err("overflow with no amount near the limit".into())
        }
        (Op::Create(id), Err(BankError::DuplicateAccount(d))) if d != id => {
            Err(format!("duplicate of the wrong id {d}"))
        }
        (Op::Create(id), Ok(_)) if exists(*id) => Err(format!("account {id} created twice")),
        (Op::Transfer { from, to, .. }, Ok(_)) if from == to => {
            Err("a transfer to itself was not refused".into())
        }
        (Op::Transfer { from, to, .. }, Err(BankError::SameAccount(_))) if from != to => {
            Err("refused as a transfer to itself".into())
        }
        (
            Op::Transfer {
                allow_overdraw: true,
                ..
            },
            Ok(Answer::Yes(false)),
        ) => Err("an allowed overdraw was refused".into()),
        (Op::DepositAndCompare(_, _, Money::MIN), Ok(Answer::Yes(false))) => {
            Err("a balance below Money::MIN".into())
        }
        (Op::Balance(_), Ok(Answer::Balance(b))) if *b < 0 && !mix.overdraw => {
            Err(format!("balance {b} read with no overdraw allowed"))
        }
        _ => Ok(()),
    }
}

/// The balances every account must have from the results, and the ids the
/// results say were created.
fn effects(
    mix: &Mix,
    outcomes: &BTreeMap<usize, Result<Answer, BankError>>,
) -> Result<BTreeMap<AccountId, i128>, String> {
    let mut balances: BTreeMap<AccountId, i128> = (0..mix.accounts)
        .map(|id| (id, i128::from(mix.initial[id as usize])))
        .collect();
    let creates: BTreeSet<AccountId> = mix
        .ops
        .iter()
        .zip(outcomes.values())
        .filter_map(|(op, r)| match (op, r) {
            (Op::Create(id), Ok(_)) => Some(*id),
            _ => None,
        })
        .collect();
    for id in &creates {
        balances.insert(*id, 0);
    }
    for (op, result) in mix.ops.iter().zip(outcomes.values()) {
        let mut add = |id: AccountId, amount: Money| -> Result<(), String> {
            let slot = balances
                .get_mut(&id)
                .ok_or_else(|| format!("{op:?} succeeded on account {id}, never created"))?;
            *slot += i128::from(amount);
            Ok(())
        };
        match (op, result) {
            (Op::Deposit(id, m), Ok(_)) | (Op::DepositAndCompare(id, m, _), Ok(_)) => add(*id, *m)?,
            (Op::Withdraw(id, m), Ok(Answer::Yes(true))) => add(*id, -*m)?,
            (
                Op::Transfer {
                    from, to, amount, ..
                },
                Ok(Answer::Yes(true)),
            ) => {
                add(*from, -*amount)?;
                add(*to, *amount)?;
            }
            _ => {}
        }
    }
    Ok(balances)
}

/// Checks every result, then the accounts and balances they imply; returns
/// the balances.
pub(super) async fn check_final<B: BankApi>(
    bank: &B,
    mix: &Mix,
    outcomes: &Outcomes,
) -> sim::Result<Vec<(AccountId, Money)>> {
    let outcomes = outcomes.0.lock().unwrap().clone();
    ensure!(
        outcomes.len() == mix.ops.len(),
        "an operation never returned"
    );
    let huge = mix
        .ops
        .iter()
        .any(|op| op.amount().is_some_and(|m| m >= HUGE))
        || mix.initial.iter().any(|&m| m >= HUGE);
    for (index, (op, result)) in mix.ops.iter().zip(outcomes.values()).enumerate() {
        if let Err(why) = allowed(op, result, mix, huge) {
            sim::bail!("operation {index} {op:?} returned {result:?}: {why}");
        }
    }
    let expected = effects(mix, &outcomes).map_err(sim::Failure::check)?;
    let count = bank.account_count().await;
    ensure!(
        count == expected.len(),
        "{count} accounts, but the results created {}",
        expected.len()
    );
    let mut balances = Vec::with_capacity(expected.len());
    for (&id, &want) in &expected {
        let got = super::must(bank.balance(id).await, || format!("balance({id})"));
        ensure!(
            i128::from(got) == want,
            "account {id} has {got}, the results imply {want}"
        );
        ensure!(
            got >= 0 || mix.overdraw,
            "account {id} has {got} though no operation allows an overdraw"
        );
        balances.push((id, got));
    }
    Ok(balances)
}

/// Liveness: after the storm, every account serves a deposit and a read,
/// one operation at a time (a lock left held shows as a deadlock here).
pub(super) async fn liveness<B: BankApi>(
    bank: &B,
    balances: &[(AccountId, Money)],
) -> sim::Result<()> {
    for &(id, before) in balances {
        if before == Money::MAX {
            continue;
        }
        super::must(bank.deposit(id, 1).await, || format!("deposit({id}, 1)"));
        let after = super::must(bank.balance(id).await, || format!("balance({id})"));
        ensure!(
            after == before + 1,
            "liveness: account {id} went from {before} to {after} on a deposit of 1"
        );
    }
    Ok(())
}
