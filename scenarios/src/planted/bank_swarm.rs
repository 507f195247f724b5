//! Deliberately wrong banks for the swarm scenarios: each is the real
//! [`Bank`] with one operation written wrong, registered through the same
//! [`crate::bank::suite`] as any bank.
//!
//! - [`OverdrawIgnored`]: `transfer` ignores `allow_overdraw`. No ported
//!   test ever allows an overdraw, so only a workload that draws one can
//!   catch it (`tests/bank_swarm_teeth.rs` shows the ported tests pass it on
//!   the same seeds).
//! - [`TransferChecksThenActs`]: `transfer` checks the sender's balance
//!   under its lock, lets go, then locks both accounts and moves the money
//!   without checking again: an ordering bug, caught only when the sender
//!   is drained between the check and the move.
//! - [`WithdrawWritesStale`]: `withdraw` reads the balance under one hold
//!   of the lock and writes it under another: an update in between is lost.
//!
//! The two ordering bugs are measured per strategy (random yields against
//! PCT, same workloads) by `tests/bank_swarm_teeth.rs`.

use std::sync::Arc;

use bank::{AccountId, Bank, BankApi, BankError, Jitter, Money, Operation};
use sim::Scenario;

/// The planted banks of the swarm scenarios: (bug, every scenario of the
/// bank suite registered for it). A bench of seeds-to-catch runs each
/// scenario; the swarm ones must catch it, the ported ones need not.
pub fn swarm_bugs() -> Vec<(&'static str, Vec<Scenario>)> {
    vec![
        (
            "bank/overdraw_ignored",
            crate::bank::suite::<OverdrawIgnored>("planted/bank/overdraw_ignored"),
        ),
        (
            "bank/withdraw_writes_stale",
            crate::bank::suite::<WithdrawWritesStale>("planted/bank/withdraw_writes_stale"),
        ),
        (
            "bank/transfer_checks_then_acts",
            crate::bank::suite::<TransferChecksThenActs>("planted/bank/transfer_checks_then_acts"),
        ),
    ]
}

/// `transfer` as if `allow_overdraw` were always false.
pub struct OverdrawIgnored(Bank);

/// `transfer` that checks the balance and moves the money under two
/// different holds of the lock.
pub struct TransferChecksThenActs(Bank);

impl TransferChecksThenActs {
    async fn transfer_checking_apart(
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
                bank::ledger::check_amount(amount)?;
                if from == to {
                    return Err(BankError::SameAccount(from));
                }
                let sender = self.0.lookup(op, from).await?;
                let receiver = self.0.lookup(op, to).await?;
                let enough = sender.lock(op).await.balance().await >= amount; // BUG: unlocks here
                if !allow_overdraw && !enough {
                    return Ok(false);
                }
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
                let sender_after =
                    sender
                        .balance()
                        .await
                        .checked_sub(amount)
                        .ok_or(BankError::Overflow {
                            id: from,
                            balance: 0,
                            amount,
                        })?;
                let receiver_after =
                    receiver
                        .balance()
                        .await
                        .checked_add(amount)
                        .ok_or(BankError::Overflow {
                            id: to,
                            balance: 0,
                            amount,
                        })?;
                sender.set_balance(sender_after).await;
                receiver.set_balance(receiver_after).await;
                Ok(true)
            })
            .await
    }
}

/// `withdraw` that reads the balance under one hold of the lock and writes
/// it back, less the amount, under another: an update in between is lost.
pub struct WithdrawWritesStale(Bank);

impl WithdrawWritesStale {
    async fn withdraw_writing_stale(
        &self,
        id: AccountId,
        amount: Money,
    ) -> Result<bool, BankError> {
        self.0
            .run(Operation::Withdraw { id, amount }, async |op| {
                bank::ledger::check_amount(amount)?;
                let account = self.0.lookup(op, id).await?;
                let balance = account.lock(op).await.balance().await; // BUG: unlocks here
                if balance < amount {
                    return Ok(false);
                }
                account.lock(op).await.set_balance(balance - amount).await;
                Ok(true)
            })
            .await
    }
}

/// The operations the two planted banks leave as the real bank has them.
macro_rules! delegate_but_transfer {
    ($bank:ty) => {
        fn open(jitter: Arc<Jitter>) -> Self {
            Self(Bank::open(jitter))
        }

        async fn create_account(&self, id: AccountId) -> Result<(), BankError> {
            self.0.create_account(id).await
        }

        async fn deposit(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
            self.0.deposit(id, amount).await
        }

        async fn withdraw(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
            self.0.withdraw(id, amount).await
        }

        async fn deposit_and_compare(
            &self,
            id: AccountId,
            amount: Money,
            threshold: Money,
        ) -> Result<bool, BankError> {
            self.0.deposit_and_compare(id, amount, threshold).await
        }

        async fn balance(&self, id: AccountId) -> Result<Money, BankError> {
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
    };
}

impl BankApi for OverdrawIgnored {
    delegate_but_transfer!(OverdrawIgnored);

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        _allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        self.0.transfer(from, to, amount, false).await // BUG: the flag is dropped
    }
}

impl BankApi for WithdrawWritesStale {
    fn open(jitter: Arc<Jitter>) -> Self {
        Self(Bank::open(jitter))
    }

    async fn create_account(&self, id: AccountId) -> Result<(), BankError> {
        self.0.create_account(id).await
    }

    async fn deposit(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        self.0.deposit(id, amount).await
    }

    async fn withdraw(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
        self.withdraw_writing_stale(id, amount).await
    }

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        self.0.transfer(from, to, amount, allow_overdraw).await
    }

    async fn deposit_and_compare(
        &self,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> Result<bool, BankError> {
        self.0.deposit_and_compare(id, amount, threshold).await
    }

    async fn balance(&self, id: AccountId) -> Result<Money, BankError> {
        self.0.balance(id).await
    }

    async fn account_count(&self) -> usize {
        self.0.account_count().await
    }

    fn peek_balances(&self) -> Vec<(AccountId, Money)> {
        self.0.peek_balances()
    }
}

impl BankApi for TransferChecksThenActs {
    delegate_but_transfer!(TransferChecksThenActs);

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        self.transfer_checking_apart(from, to, amount, allow_overdraw)
            .await
    }
}
