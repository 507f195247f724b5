//! TestManyDepositsAndWithdraws and TestDepositAndCompare (bonus).

use std::sync::Arc;

use bank_api::{BankApi, Money};
use sim::ensure;
use sim::rand::Rng;

use super::accounts::create_accounts;
use super::{balances, check_balances, must, spawn_withdraw_half, summary, Model, Tasks};

/// 10,000 rounds over 100 accounts, one operation each (a million): half
/// withdraw half the balance (read synchronously by the tester), a fifth of
/// those four times that (an overdraw attempt that must be refused with no
/// change), the other half deposit 100. The final balances must match the
/// model built from the operations' results.
pub(super) async fn many_deposits_and_withdraws<B: BankApi>(bank: Arc<B>) -> sim::Result {
    const ACCOUNTS: u64 = 100;
    const ROUNDS: u64 = 10_000;
    create_accounts(&bank, ACCOUNTS).await;
    let model = Model::new(ACCOUNTS, 0);
    let refused = Model::new(1, 0);
    let mut input = sim::rand::chacha();
    let mut tasks = Tasks::new();
    for _ in 0..ROUNDS {
        for id in 0..ACCOUNTS {
            let (bank, model, refused) = (bank.clone(), model.clone(), refused.clone());
            if input.gen_range(0..42) % 2 == 0 {
                spawn_withdraw_half(bank, id, &mut input, model, refused, &mut tasks).await;
            } else {
                tasks.spawn(async move {
                    must(bank.deposit(id, 100).await, || {
                        format!("deposit({id}, 100)")
                    });
                    model.add(id, 100);
                });
            }
        }
    }
    let ops = tasks.wait().await;
    let balances = check_balances(&*bank, &model).await?;
    Ok(summary(ops, &balances).with("refused", refused.expected()[0]))
}

/// 10 accounts, each with a random threshold in [2000, 7999] and 100
/// concurrent `deposit_and_compare(id, 100, threshold)`: exactly the
/// deposits that brought the balance to the threshold or above say `true`,
/// so `(threshold - 1) / 100` say `false`.
pub(super) async fn deposit_and_compare<B: BankApi>(bank: Arc<B>) -> sim::Result {
    const ACCOUNTS: u64 = 10;
    const OPS_PER_ACCOUNT: u64 = 100;
    create_accounts(&bank, ACCOUNTS).await;
    let mut input = sim::rand::chacha();
    let thresholds: Vec<Money> = (0..ACCOUNTS).map(|_| input.gen_range(2000..8000)).collect();
    let falses = Model::new(ACCOUNTS, 0);
    let mut tasks = Tasks::new();
    for (id, &threshold) in (0..ACCOUNTS).zip(&thresholds) {
        for _ in 0..OPS_PER_ACCOUNT {
            let (bank, falses) = (bank.clone(), falses.clone());
            tasks.spawn(async move {
                let what = || format!("deposit_and_compare({id}, 100, {threshold})");
                if !must(bank.deposit_and_compare(id, 100, threshold).await, what) {
                    falses.add(id, 1);
                }
            });
        }
    }
    let ops = tasks.wait().await;
    let falses = falses.expected();
    for (id, (&count, &threshold)) in falses.iter().zip(&thresholds).enumerate() {
        let expected = (threshold - 1) / 100;
        ensure!(
            count == expected,
            "account {id} (threshold {threshold}): {count} deposits compared false, \
             expected {expected}"
        );
    }
    let balances = balances(&*bank, ACCOUNTS).await;
    let total = (OPS_PER_ACCOUNT * 100) as Money;
    ensure!(
        balances.iter().all(|&b| b == total),
        "after {OPS_PER_ACCOUNT} deposits of 100 the balances are {balances:?}"
    );
    let compared_false: Money = falses.iter().sum();
    Ok(summary(ops, &balances).with("compared_false", compared_false))
}
