//! The bank: the assignment's operations, correct and deadlock-free.
//!
//! Why it cannot deadlock:
//! - the table lock is held only to look accounts up (or, exclusive, to
//!   insert one) and is released before any account lock is taken, so no
//!   task holds the table lock while waiting for an account or vice versa;
//! - an operation holds at most two account locks, and `transfer` takes
//!   them in id order, so waits between account locks only go from a lower
//!   id to a higher one and cannot form a cycle;
//! - nothing is locked twice by one operation (`deposit_and_compare` does
//!   its own deposit under its one lock), and every guard is dropped on
//!   every path, refusals included.
//!
//! Accounts are never removed, so an `Arc<Account>` looked up under the
//! table lock stays valid after it is released.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::ledger;
use crate::locks::{Account, TableLock};
use crate::monitor::{self, Monitor, OpHandle, Operation};
use crate::{AccountId, BankApi, BankError, Jitter, Money};

/// Balances listed in a state dump; the rest are summed up.
const BALANCES_SHOWN: usize = 100;

/// The bank of HW2.
#[derive(Debug)]
pub struct Bank {
    monitor: Arc<Monitor>,
    table: TableLock,
    jitter: Arc<Jitter>,
}

impl Bank {
    /// A bank with no accounts.
    pub fn new(jitter: Arc<Jitter>) -> Self {
        Bank {
            monitor: Monitor::new(),
            table: TableLock::new(jitter.clone()),
            jitter,
        }
    }

    /// Starts an operation (see [`Monitor::begin`]).
    pub fn begin(&self, operation: Operation) -> OpHandle {
        self.monitor.begin(operation)
    }

    /// The table lock and the table behind it.
    pub fn table(&self) -> &TableLock {
        &self.table
    }

    /// The scheduling jitter shared by the bank's steps.
    pub fn jitter(&self) -> &Jitter {
        &self.jitter
    }

    /// Looks account `id` up under the table lock (released on return).
    pub async fn lookup(&self, op: &OpHandle, id: AccountId) -> Result<Arc<Account>, BankError> {
        let table = self.table.read(op).await;
        table.get(op, id).ok_or(BankError::UnknownAccount(id))
    }

    /// Logs a refusal (the operation and the ids) and returns it.
    pub fn refuse(&self, op: &OpHandle, error: BankError) -> BankError {
        tracing::warn!(target: "bank", operation = %op, %error, "refused");
        error
    }

    async fn create_account_in(&self, op: &OpHandle, id: AccountId) -> Result<(), BankError> {
        let mut table = self.table.write(op).await;
        if table.contains(op, id) {
            return Err(BankError::DuplicateAccount(id));
        }
        table.insert(op, id).await;
        tracing::debug!(target: "bank", account = id, "created");
        Ok(())
    }

    async fn deposit_in(
        &self,
        op: &OpHandle,
        id: AccountId,
        amount: Money,
    ) -> Result<Money, BankError> {
        ledger::check_amount(amount)?;
        let account = self.lookup(op, id).await?;
        let guard = account.lock(op).await;
        let after = ledger::deposit(id, guard.balance().await, amount)?;
        guard.set_balance(after).await;
        Ok(after)
    }

    async fn withdraw_in(
        &self,
        op: &OpHandle,
        id: AccountId,
        amount: Money,
    ) -> Result<bool, BankError> {
        ledger::check_amount(amount)?;
        let account = self.lookup(op, id).await?;
        let guard = account.lock(op).await;
        let Some(after) = ledger::withdraw(guard.balance().await, amount) else {
            return Ok(false);
        };
        guard.set_balance(after).await;
        Ok(true)
    }

    async fn transfer_in(
        &self,
        op: &OpHandle,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        ledger::check_amount(amount)?;
        if from == to {
            return Err(BankError::SameAccount(from));
        }
        let (sender, receiver) = {
            let table = self.table.read(op).await;
            let sender = table.get(op, from).ok_or(BankError::UnknownAccount(from))?;
            let receiver = table.get(op, to).ok_or(BankError::UnknownAccount(to))?;
            (sender, receiver)
        };
        // Lock in id order: see the module docs.
        let (low, high) = if from < to {
            (&sender, &receiver)
        } else {
            (&receiver, &sender)
        };
        let low = low.lock(op).await;
        let high = high.lock(op).await;
        let (sender, receiver) = if from < to {
            (&low, &high)
        } else {
            (&high, &low)
        };
        let sender_balance = sender.balance().await;
        let receiver_balance = receiver.balance().await;
        let Some((sender_after, receiver_after)) = ledger::transfer(
            (from, sender_balance),
            (to, receiver_balance),
            amount,
            allow_overdraw,
        )?
        else {
            return Ok(false);
        };
        sender.set_balance(sender_after).await;
        receiver.set_balance(receiver_after).await;
        Ok(true)
    }

    async fn deposit_and_compare_in(
        &self,
        op: &OpHandle,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> Result<bool, BankError> {
        ledger::check_amount(amount)?;
        let account = self.lookup(op, id).await?;
        // One lock for the deposit and the comparison: atomic.
        let guard = account.lock(op).await;
        let after = ledger::deposit(id, guard.balance().await, amount)?;
        guard.set_balance(after).await;
        Ok(after >= threshold)
    }

    async fn balance_in(&self, op: &OpHandle, id: AccountId) -> Result<Money, BankError> {
        let account = self.lookup(op, id).await?;
        let guard = account.lock(op).await;
        Ok(guard.balance().await)
    }

    /// Runs one operation: begins it, runs `body` in its scope (so that the
    /// monitor sees the operations `body` calls as nested), logs a refusal.
    pub async fn run<T>(
        &self,
        operation: Operation,
        body: impl AsyncFnOnce(&OpHandle) -> Result<T, BankError>,
    ) -> Result<T, BankError> {
        let op = self.begin(operation);
        let result = op.scope(body(&op)).await;
        result.map_err(|e| self.refuse(&op, e))
    }
}

impl BankApi for Bank {
    fn open(jitter: Arc<Jitter>) -> Self {
        Bank::new(jitter)
    }

    async fn create_account(&self, id: AccountId) -> Result<(), BankError> {
        self.run(Operation::CreateAccount { id }, async |op| {
            self.create_account_in(op, id).await
        })
        .await
    }

    async fn deposit(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        self.run(Operation::Deposit { id, amount }, async |op| {
            self.deposit_in(op, id, amount).await.map(|_| ())
        })
        .await
    }

    async fn withdraw(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
        self.run(Operation::Withdraw { id, amount }, async |op| {
            self.withdraw_in(op, id, amount).await
        })
        .await
    }

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        let operation = Operation::Transfer {
            from,
            to,
            amount,
            allow_overdraw,
        };
        self.run(operation, async |op| {
            self.transfer_in(op, from, to, amount, allow_overdraw).await
        })
        .await
    }

    async fn deposit_and_compare(
        &self,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> Result<bool, BankError> {
        let operation = Operation::DepositAndCompare {
            id,
            amount,
            threshold,
        };
        self.run(operation, async |op| {
            self.deposit_and_compare_in(op, id, amount, threshold).await
        })
        .await
    }

    async fn balance(&self, id: AccountId) -> Result<Money, BankError> {
        self.run(Operation::Balance { id }, async |op| {
            self.balance_in(op, id).await
        })
        .await
    }

    async fn account_count(&self) -> usize {
        let count = self.run(Operation::AccountCount, async |op| {
            let table = self.table.read(op).await;
            Ok(table.len(op))
        });
        count.await.expect("counting cannot be refused")
    }

    fn peek_balances(&self) -> Vec<(AccountId, Money)> {
        let accounts = self.table.peek_accounts();
        accounts
            .iter()
            .map(|a| (a.id(), a.peek_balance()))
            .collect()
    }

    fn inspect(&self) -> String {
        inspect(&self.monitor, &self.table)
    }
}

/// A bank's state as text: accounts and balances, then the lock report.
fn inspect(monitor: &Monitor, table: &TableLock) -> String {
    let accounts = table.peek_accounts();
    let total: i128 = accounts.iter().map(|a| i128::from(a.peek_balance())).sum();
    let mut out = format!("accounts: {}, total balance {total}\n", accounts.len());
    let records = std::iter::once(table.record()).chain(accounts.iter().map(|a| a.record()));
    out.push_str(&monitor::render(monitor, records));
    // Many accounts: list the non-zero balances (the ones a test moved).
    let listed: Vec<&Arc<Account>> = if accounts.len() <= BALANCES_SHOWN {
        accounts.iter().collect()
    } else {
        accounts.iter().filter(|a| a.peek_balance() != 0).collect()
    };
    if !listed.is_empty() {
        out.push_str("balances:");
        for (i, a) in listed.iter().take(BALANCES_SHOWN).enumerate() {
            out.push_str(if i % 10 == 0 { "\n  " } else { "  " });
            let _ = write!(out, "{}: {}", a.id(), a.peek_balance());
        }
        out.push('\n');
    }
    let unlisted = accounts.len() - listed.len().min(BALANCES_SHOWN);
    if unlisted > 0 {
        let zeros = accounts.len() - listed.len();
        let _ = writeln!(
            out,
            "  ({unlisted} more accounts not listed, {zeros} of them with balance 0)"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// Polls `future` to completion: with no other task, every yield wakes
    /// itself, so a bare loop is an executor.
    fn block_on<T>(future: impl Future<Output = T>) -> T {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..10_000 {
            if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
                return v;
            }
        }
        panic!("a lone operation did not finish: it waits for itself");
    }

    fn bank() -> Bank {
        Bank::open(Arc::new(Jitter::new(11, 3)))
    }

    #[test]
    fn operations_in_sequence() {
        let bank = bank();
        block_on(async {
            bank.create_account(1).await.unwrap();
            bank.create_account(2).await.unwrap();
            bank.deposit(1, 100).await.unwrap();
            assert_eq!(bank.withdraw(1, 30).await, Ok(true));
            assert_eq!(bank.withdraw(1, 71).await, Ok(false));
            assert_eq!(bank.transfer(1, 2, 70, false).await, Ok(true));
            assert_eq!(bank.transfer(1, 2, 1, false).await, Ok(false));
            assert_eq!(bank.transfer(1, 2, 5, true).await, Ok(true));
            assert_eq!(bank.deposit_and_compare(2, 25, 100).await, Ok(true));
            assert_eq!(bank.deposit_and_compare(2, 0, 101).await, Ok(false));
            assert_eq!(bank.balance(1).await, Ok(-5));
            assert_eq!(bank.balance(2).await, Ok(100));
            assert_eq!(bank.account_count().await, 2);
        });
        assert_eq!(bank.peek_balances(), [(1, -5), (2, 100)]);
        let text = bank.inspect();
        assert!(
            text.starts_with("accounts: 2, total balance 95\n"),
            "{text}"
        );
        assert!(
            text.contains("operations: 13 begun, 13 finished, 0 in flight"),
            "{text}"
        );
    }

    #[test]
    fn errors_are_values_and_change_nothing() {
        let bank = bank();
        block_on(async {
            bank.create_account(1).await.unwrap();
            bank.create_account(2).await.unwrap();
            assert_eq!(
                bank.create_account(1).await,
                Err(BankError::DuplicateAccount(1))
            );
            assert_eq!(bank.deposit(9, 1).await, Err(BankError::UnknownAccount(9)));
            assert_eq!(bank.withdraw(9, 1).await, Err(BankError::UnknownAccount(9)));
            assert_eq!(bank.balance(9).await, Err(BankError::UnknownAccount(9)));
            assert_eq!(
                bank.transfer(1, 9, 1, true).await,
                Err(BankError::UnknownAccount(9))
            );
            assert_eq!(
                bank.transfer(1, 1, 1, true).await,
                Err(BankError::SameAccount(1))
            );
            assert_eq!(
                bank.deposit(1, -1).await,
                Err(BankError::NegativeAmount(-1))
            );
            bank.deposit(1, Money::MAX).await.unwrap();
            let overflow = BankError::Overflow {
                id: 1,
                balance: Money::MAX,
                amount: 1,
            };
            assert_eq!(bank.deposit(1, 1).await, Err(overflow));
            assert_eq!(bank.deposit_and_compare(1, 1, 0).await, Err(overflow));
            bank.deposit(2, 1).await.unwrap();
            assert_eq!(bank.transfer(2, 1, 1, false).await, Err(overflow));
            assert_eq!(bank.balance(1).await, Ok(Money::MAX));
            assert_eq!(bank.balance(2).await, Ok(1));
            assert_eq!(bank.account_count().await, 2);
        });
    }
}
