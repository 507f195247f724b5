//! The four bugs of the HW2 starter code, each in a small fixture bank that
//! is the real [`Bank`] with that one operation written the starter's way,
//! and a fifth, the lost update that the seeded yields are there to expose
//! (`tests/bank_teeth.rs` checks how each is caught; `dst catch` counts the
//! seeds it takes).

use std::sync::Arc;

use ::bank::{AccountId, Bank, BankApi, BankError, Jitter, Money, Operation};

/// Which starter bug a fixture has.
pub const WITHDRAW_KEEPS_LOCK: u8 = 1;
pub const TRANSFER_SENDER_FIRST: u8 = 2;
pub const DEPOSIT_AND_COMPARE_LOCKS_TWICE: u8 = 3;
pub const BALANCE_WITHOUT_TABLE_LOCK: u8 = 4;
/// Not a starter bug but the classic one the seeded yields are there for: a
/// read-modify-write that drops the lock between the read and the write.
pub const DEPOSIT_NOT_ATOMIC: u8 = 5;

/// The real bank, except for starter bug `BUG`.
pub struct Buggy<const BUG: u8>(Bank);

impl<const BUG: u8> Buggy<BUG> {
    /// Starter `Withdraw`: returns on the short-balance path without
    /// unlocking.
    async fn withdraw_keeping_lock(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
        self.0
            .run(Operation::Withdraw { id, amount }, async |op| {
                let account = self.0.lookup(op, id).await?;
                let guard = account.lock(op).await;
                let balance = guard.balance().await;
                if balance < amount {
                    std::mem::forget(guard); // BUG: `return false` before `Unlock()`
                    return Ok(false);
                }
                guard.set_balance(balance - amount).await;
                Ok(true)
            })
            .await
    }

    /// Starter `Transfer`: locks the sender, then the receiver.
    async fn transfer_sender_first(
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
        self.0
            .run(operation, async |op| {
                let sender = self.0.lookup(op, from).await?;
                let receiver = self.0.lookup(op, to).await?;
                let sender = sender.lock(op).await; // BUG: not in id order
                let receiver = receiver.lock(op).await;
                let sender_balance = sender.balance().await;
                if !allow_overdraw && sender_balance < amount {
                    return Ok(false);
                }
                let receiver_balance = receiver.balance().await;
                sender.set_balance(sender_balance - amount).await;
                receiver.set_balance(receiver_balance + amount).await;
                Ok(true)
            })
            .await
    }

    /// Starter `DepositAndCompare`: locks the account, then calls `Deposit`,
    /// which locks it again.
    async fn deposit_and_compare_locking_twice(
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
        self.0
            .run(operation, async |op| {
                let account = self.0.lookup(op, id).await?;
                let guard = account.lock(op).await;
                self.0.deposit(id, amount).await?; // BUG: takes the same lock again
                Ok(guard.balance().await >= threshold)
            })
            .await
    }

    /// `Deposit` that locks for the read and again for the write: another
    /// operation can change the balance in between, and its update is lost.
    async fn deposit_not_atomic(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        self.0
            .run(Operation::Deposit { id, amount }, async |op| {
                let account = self.0.lookup(op, id).await?;
                let balance = account.lock(op).await.balance().await; // BUG: unlocks here
                let guard = account.lock(op).await;
                guard.set_balance(balance + amount).await;
                Ok(())
            })
            .await
    }

    /// Starter `GetBalance`: reads the map without `bankLock`.
    async fn balance_without_table_lock(&self, id: AccountId) -> Result<Money, BankError> {
        self.0
            .run(Operation::Balance { id }, async |op| {
                let table = self.0.table().unsynchronized(); // BUG: no read lock
                let account = table.get(op, id).ok_or(BankError::UnknownAccount(id))?;
                let guard = account.lock(op).await;
                Ok(guard.balance().await)
            })
            .await
    }
}

impl<const BUG: u8> BankApi for Buggy<BUG> {
    fn open(jitter: Arc<Jitter>) -> Self {
        Buggy(Bank::open(jitter))
    }

    async fn create_account(&self, id: AccountId) -> Result<(), BankError> {
        self.0.create_account(id).await
    }

    async fn deposit(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        if BUG == DEPOSIT_NOT_ATOMIC {
            return self.deposit_not_atomic(id, amount).await;
        }
        self.0.deposit(id, amount).await
    }

    async fn withdraw(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
        if BUG == WITHDRAW_KEEPS_LOCK {
            return self.withdraw_keeping_lock(id, amount).await;
        }
        self.0.withdraw(id, amount).await
    }

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        if BUG == TRANSFER_SENDER_FIRST {
            return self
                .transfer_sender_first(from, to, amount, allow_overdraw)
                .await;
        }
        self.0.transfer(from, to, amount, allow_overdraw).await
    }

    async fn deposit_and_compare(
        &self,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> Result<bool, BankError> {
        if BUG == DEPOSIT_AND_COMPARE_LOCKS_TWICE {
            return self
                .deposit_and_compare_locking_twice(id, amount, threshold)
                .await;
        }
        self.0.deposit_and_compare(id, amount, threshold).await
    }

    async fn balance(&self, id: AccountId) -> Result<Money, BankError> {
        if BUG == BALANCE_WITHOUT_TABLE_LOCK {
            return self.balance_without_table_lock(id).await;
        }
        self.0.balance(id).await
    }

    async fn account_count(&self) -> usize {
        self.0.account_count().await
    }

    fn peek_balances(&self) -> Vec<(AccountId, Money)> {
        self.0.peek_balances()
    }

    fn inspect(&self) -> String {
        self.0.inspect()
    }
}
