//! TestCreateAccountBasic, TestCreateAccountMany, and the tests' helper
//! `CreateAccounts`.

use std::sync::Arc;

use bank_api::BankApi;
use sim::ensure;

use super::{balances, must, summary, Tasks};

/// Go's `CreateAccounts(n, bank)`: `n` concurrent creates of ids `0..n`,
/// then wait for all.
pub(super) async fn create_accounts<B: BankApi>(bank: &Arc<B>, n: u64) {
    let mut tasks = Tasks::new();
    for id in 0..n {
        let bank = bank.clone();
        tasks.spawn(async move {
            must(bank.create_account(id).await, || {
                format!("create_account({id})")
            });
        });
    }
    tasks.wait().await;
}

/// One account: the table has exactly one entry, with balance 0.
pub(super) async fn create_account_basic<B: BankApi>(bank: Arc<B>) -> sim::Result {
    must(bank.create_account(0).await, || "create_account(0)".into());
    let count = bank.account_count().await;
    ensure!(count == 1, "expected 1 account, got {count}");
    let balances = balances(&*bank, 1).await;
    ensure!(balances == [0], "a new account has balance {balances:?}");
    Ok(summary(1, &balances))
}

/// 100 accounts created concurrently: all of them exist, with balance 0.
pub(super) async fn create_account_many<B: BankApi>(bank: Arc<B>) -> sim::Result {
    const ACCOUNTS: u64 = 100;
    create_accounts(&bank, ACCOUNTS).await;
    let count = bank.account_count().await;
    ensure!(
        count == ACCOUNTS as usize,
        "expected {ACCOUNTS} accounts, got {count}"
    );
    let balances = balances(&*bank, ACCOUNTS).await;
    ensure!(
        balances.iter().all(|&b| b == 0),
        "new accounts have balances {balances:?}"
    );
    Ok(summary(ACCOUNTS, &balances))
}
