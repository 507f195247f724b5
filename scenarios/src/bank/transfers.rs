//! TestFewTransfers and TestManyTransfers: opposite transfers between the
//! same accounts at once, which deadlock a bank that locks sender first.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bank_api::{BankApi, Money};
use sim::ensure;

use super::accounts::create_accounts;
use super::{check_balances, must, summary, Model, Tasks};

/// Events a sweep of `few_transfers` must see (see [`sim::sometimes`]).
/// Every transfer there touches both accounts, so two in flight at once
/// means one of them waited on a lock the other held (in a bank that
/// locks): the deadlock this test is for needs that, and a bank whose
/// transfers never overlap passes it without showing anything.
pub const SOMETIMES: &[&str] = &[TRANSFERS_OVERLAPPED];
const TRANSFERS_OVERLAPPED: &str =
    "a transfer started while another on the same accounts was running";

/// Accounts 1 and 0 with 100 each; 40 times `transfer(0 -> 1, 2)` and
/// `transfer(1 -> 0, 1)` at once. Account 0 never drops below 20, so all
/// succeed whatever the order: 0 ends at 60 and 1 at 140.
pub(super) async fn few_transfers<B: BankApi>(bank: Arc<B>) -> sim::Result {
    const ITERATIONS: u64 = 40;
    for id in [1, 0] {
        must(bank.create_account(id).await, || {
            format!("create_account({id})")
        });
        must(bank.deposit(id, 100).await, || {
            format!("deposit({id}, 100)")
        });
    }
    let model = Model::new(2, 100);
    let refused = Model::new(1, 0);
    let in_flight = Arc::new(AtomicU64::new(0));
    let mut tasks = Tasks::new();
    for _ in 0..ITERATIONS {
        for (from, to, amount) in [(0, 1, 2), (1, 0, 1)] {
            let (bank, model, refused) = (bank.clone(), model.clone(), refused.clone());
            let in_flight = in_flight.clone();
            tasks.spawn(async move {
                let what = || format!("transfer({from} -> {to}, {amount})");
                let others = in_flight.fetch_add(1, Ordering::Relaxed);
                sim::sometimes::sometimes(TRANSFERS_OVERLAPPED, others > 0);
                let done = bank.transfer(from, to, amount, false).await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
                if must(done, what) {
                    model.add(from, -amount);
                    model.add(to, amount);
                } else {
                    refused.add(0, 1);
                }
            });
        }
    }
    let ops = tasks.wait().await;
    let balances = check_balances(&*bank, &model).await?;
    ensure!(
        balances == [60, 140],
        "final balances {balances:?}, expected [60, 140]"
    );
    Ok(summary(ops, &balances).with("refused", refused.expected()[0]))
}

/// 8 accounts with 1000 each; 400 times, every account sends 2 to each of
/// the 7 others at once (22,400 transfers). The balances must match the
/// model of the transfers that succeeded, and the total stays 8000.
pub(super) async fn many_transfers<B: BankApi>(bank: Arc<B>) -> sim::Result {
    const ACCOUNTS: u64 = 8;
    const ITERATIONS: u64 = 400;
    const INITIAL: Money = 1000;
    create_accounts(&bank, ACCOUNTS).await;
    for id in 0..ACCOUNTS {
        must(bank.deposit(id, INITIAL).await, || {
            format!("deposit({id}, {INITIAL})")
        });
    }
    let model = Model::new(ACCOUNTS, INITIAL);
    let refused = Model::new(1, 0);
    let mut tasks = Tasks::new();
    for _ in 0..ITERATIONS {
        for from in 0..ACCOUNTS {
            for to in (0..ACCOUNTS).filter(|&to| to != from) {
                let (bank, model, refused) = (bank.clone(), model.clone(), refused.clone());
                tasks.spawn(async move {
                    let what = || format!("transfer({from} -> {to}, 2)");
                    if must(bank.transfer(from, to, 2, false).await, what) {
                        model.add(from, -2);
                        model.add(to, 2);
                    } else {
                        refused.add(0, 1);
                    }
                });
            }
        }
    }
    let ops = tasks.wait().await;
    let balances = check_balances(&*bank, &model).await?;
    let total: Money = balances.iter().sum();
    ensure!(
        total == ACCOUNTS as Money * INITIAL,
        "transfers created or destroyed money: total {total}"
    );
    Ok(summary(ops, &balances).with("refused", refused.expected()[0]))
}
