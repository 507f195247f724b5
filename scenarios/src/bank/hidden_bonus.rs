//! TestHiddenBonus: mixed operations on 40 accounts while new accounts are
//! inserted into the table concurrently, then a duplicate create.
//!
//! The concurrent inserts are what exposes a lookup outside the table lock:
//! the account table fails like Go's runtime ("concurrent map read and map
//! write") when a read overlaps an insert.

use std::sync::Arc;

use bank_api::{BankApi, BankError};
use sim::ensure;
use sim::rand::Rng;

use super::accounts::create_accounts;
use super::{check_balances, must, spawn_withdraw_half, summary, Model, Tasks};

const ACCOUNTS: u64 = 40;
const ITERATIONS: u64 = 8000;

/// Whether iteration `i` also creates the 40 new accounts `i..i + 40`
/// (140, 240, ..., 7940: 79 batches, all ids above the first 40).
fn creates_at(i: u64) -> bool {
    i % 100 == 40 && i > 40
}

/// 8000 iterations of one operation per account (320,000): withdraw half the
/// balance (a fifth of them four times that), deposit 100, or transfer 10 to
/// another of the 40 accounts, without overdraw; 79 batches of 40 creates
/// run at the same time. The 40 balances must match the model, every new
/// account must exist, and creating an existing account must be refused.
pub(super) async fn hidden_bonus<B: BankApi>(bank: Arc<B>) -> sim::Result {
    create_accounts(&bank, ACCOUNTS).await;
    let model = Model::new(ACCOUNTS, 0);
    let refused = Model::new(1, 0);
    let mut input = sim::rand::chacha();
    let mut tasks = Tasks::new();
    let mut created = 0;
    for i in 0..ITERATIONS {
        if creates_at(i) {
            for id in i..i + ACCOUNTS {
                let bank = bank.clone();
                tasks.spawn(async move {
                    must(bank.create_account(id).await, || {
                        format!("create_account({id})")
                    });
                });
            }
            created += ACCOUNTS;
        }
        for id in 0..ACCOUNTS {
            let (bank, model, refused) = (bank.clone(), model.clone(), refused.clone());
            match input.gen_range(0..42) % 3 {
                0 => spawn_withdraw_half(bank, id, &mut input, model, refused, &mut tasks).await,
                1 => tasks.spawn(async move {
                    must(bank.deposit(id, 100).await, || {
                        format!("deposit({id}, 100)")
                    });
                    model.add(id, 100);
                }),
                _ => {
                    let to = (id + input.gen_range(1..ACCOUNTS)) % ACCOUNTS;
                    tasks.spawn(async move {
                        let what = || format!("transfer({id} -> {to}, 10)");
                        if must(bank.transfer(id, to, 10, false).await, what) {
                            model.add(id, -10);
                            model.add(to, 10);
                        } else {
                            refused.add(0, 1);
                        }
                    });
                }
            }
        }
    }
    let ops = tasks.wait().await;
    let balances = check_balances(&*bank, &model).await?;
    let count = bank.account_count().await as u64;
    ensure!(
        count == ACCOUNTS + created,
        "{count} accounts after creating {ACCOUNTS} + {created}"
    );
    let duplicate = input.gen_range(0..ACCOUNTS);
    let again = bank.create_account(duplicate).await;
    ensure!(
        again == Err(BankError::DuplicateAccount(duplicate)),
        "Creating duplicate account didn't fail: create_account({duplicate}) gave {again:?}"
    );
    Ok(summary(ops, &balances)
        .with("refused", refused.expected()[0])
        .with("created", created))
}
