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
//! - [`DepositTrustsQuietAccount`]: `deposit` reads the balance under one
//!   hold of the lock and, under another, writes the stale balance plus the
//!   amount if no other operation was in flight at either hold: an
//!   operation that began and finished whole in between is lost. Random yields rarely
//!   leave an account quiet after such an operation; PCT does whenever a
//!   change point stalls the deposit there (`tests/bank_swarm_teeth.rs`).
//!
//! The ordering bugs are measured per strategy (random yields against PCT,
//! same workloads) by `tests/bank_swarm_teeth.rs`.

use std::sync::atomic::{AtomicUsize, Ordering};
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
        (
            "bank/deposit_trusts_quiet_account",
            crate::bank::suite::<DepositTrustsQuietAccount>(
                "planted/bank/deposit_trusts_quiet_account",
            ),
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

/// `deposit` that reads the balance, lets the lock go while it writes an
/// audit record (a few steps), and on taking the lock again trusts what it
/// read if no other operation was in flight in the bank when it read nor is
/// now: an operation that began and ended whole while the deposit was away
/// goes unseen, and its update is lost. An operation in flight at either
/// end (even one waiting for the lock) makes the deposit read again: only a
/// stall of the deposit with another operation run whole inside it shows
/// the bug.
pub struct DepositTrustsQuietAccount {
    bank: Bank,
    /// Operations in flight, this bank's own count (the real bank's monitor
    /// is private).
    in_flight: AtomicUsize,
}

/// The steps of the deposit's audit record, taken without the lock: the
/// stall a change point can land in.
const AUDIT_STEPS: usize = 4;

/// Counts one operation in flight until dropped.
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        InFlight(count)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl DepositTrustsQuietAccount {
    fn begin(&self) -> InFlight<'_> {
        InFlight::new(&self.in_flight)
    }

    async fn deposit_trusting_quiet(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        let bank = &self.bank;
        // Only this deposit in flight: "nobody else is here".
        let quiet = || self.in_flight.load(Ordering::Relaxed) <= 1;
        bank.run(Operation::Deposit { id, amount }, async |op| {
            bank::ledger::check_amount(amount)?;
            let account = bank.lookup(op, id).await?;
            let read = account.lock(op).await.balance().await; // unlocks here
            let quiet_at_read = quiet();
            for _ in 0..AUDIT_STEPS {
                bank.jitter().step().await;
            }
            let guard = account.lock(op).await;
            // BUG: quiet when it read and quiet now, so quiet in between.
            let balance = if quiet_at_read && quiet() {
                read
            } else {
                guard.balance().await
            };
            let after = bank::ledger::deposit(id, balance, amount)?;
            guard.set_balance(after).await;
            Ok(())
        })
        .await
    }
}

impl BankApi for DepositTrustsQuietAccount {
    fn open(jitter: Arc<Jitter>) -> Self {
        DepositTrustsQuietAccount {
            bank: Bank::open(jitter),
            in_flight: AtomicUsize::new(0),
        }
    }

    async fn create_account(&self, id: AccountId) -> Result<(), BankError> {
        let _op = self.begin();
        self.bank.create_account(id).await
    }

    async fn deposit(&self, id: AccountId, amount: Money) -> Result<(), BankError> {
        let _op = self.begin();
        self.deposit_trusting_quiet(id, amount).await
    }

    async fn withdraw(&self, id: AccountId, amount: Money) -> Result<bool, BankError> {
        let _op = self.begin();
        self.bank.withdraw(id, amount).await
    }

    async fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> Result<bool, BankError> {
        let _op = self.begin();
        self.bank.transfer(from, to, amount, allow_overdraw).await
    }

    async fn deposit_and_compare(
        &self,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> Result<bool, BankError> {
        let _op = self.begin();
        self.bank.deposit_and_compare(id, amount, threshold).await
    }

    async fn balance(&self, id: AccountId) -> Result<Money, BankError> {
        let _op = self.begin();
        self.bank.balance(id).await
    }

    async fn account_count(&self) -> usize {
        let _op = self.begin();
        self.bank.account_count().await
    }

    fn peek_balances(&self) -> Vec<(AccountId, Money)> {
        self.bank.peek_balances()
    }

    fn inspect(&self) -> String {
        self.bank.inspect()
    }
}
