//! The HW2 bank assignment's API, and nothing more: what the course's tests
//! (`bank_test.go`, ported in `scenarios`) need from *any* bank.
//!
//! A student implements [`BankApi`] for their bank type; the suite registers
//! the seven tests under a name prefix for that type.
//!
//! | Go (CS350 HW2)                                  | here                                  |
//! |-------------------------------------------------|---------------------------------------|
//! | `CreateAccount(id)`                              | [`BankApi::create_account`]           |
//! | `Deposit(id, amount)`                            | [`BankApi::deposit`]                  |
//! | `Withdraw(id, amount) bool`                      | [`BankApi::withdraw`]                 |
//! | `Transfer(from, to, amount, allowOverdraw) bool` | [`BankApi::transfer`]                 |
//! | `DepositAndCompare(id, amount, compareThreshold) bool` | [`BankApi::deposit_and_compare`] |
//! | the tests' `bank.accounts[id].balance`, `len(bank.accounts)` | [`BankApi::balance`], [`BankApi::account_count`] |
//! | an error logged for a bad id or a duplicate      | a [`BankError`] value                 |
//!
//! Go's race detector and scheduler have no single-threaded counterpart, so
//! the tester hands the bank a [`Jitter`]: a bank awaits `jitter.step()`
//! before each step that could interleave with another operation
//! (approaching a lock, reading or writing a balance, touching the account
//! table), and different seeds then explore different interleavings. A bank
//! that never awaits it still runs; its races just stay hidden.

mod error;
pub mod jitter;
pub mod pct;

use std::future::Future;
use std::sync::Arc;

pub use error::BankError;
pub use jitter::Jitter;

/// An account id. Go's tests use small non-negative ints.
pub type AccountId = u64;

/// A balance or an amount of money.
///
/// `i64` because Go's `int` is 64-bit on every platform the course uses, and
/// because an allowed overdraw makes a balance negative, so it must be
/// signed. Every sum is checked: an overflow is a [`BankError::Overflow`],
/// never a wrap. Amounts must be non-negative ([`BankError::NegativeAmount`]).
pub type Money = i64;

/// The bank's operations, as the tests call them. Every method is one
/// operation; a method's future must be `Send` so that callers can spawn it.
pub trait BankApi: Send + Sync + Sized + 'static {
    /// A bank with no accounts whose steps yield as `jitter` decides.
    fn open(jitter: Arc<Jitter>) -> Self;

    /// Creates account `id` with balance 0; a second create of the same id is
    /// [`BankError::DuplicateAccount`] (the Go test wants a panic there).
    fn create_account(&self, id: AccountId) -> impl Future<Output = Result<(), BankError>> + Send;

    /// Adds `amount` to account `id`.
    fn deposit(
        &self,
        id: AccountId,
        amount: Money,
    ) -> impl Future<Output = Result<(), BankError>> + Send;

    /// Takes `amount` from account `id` if its balance covers it: `false` and
    /// no change when it does not.
    fn withdraw(
        &self,
        id: AccountId,
        amount: Money,
    ) -> impl Future<Output = Result<bool, BankError>> + Send;

    /// Moves `amount` from `from` to `to`, atomically. Without
    /// `allow_overdraw`, a sender short of `amount` makes it `false` with no
    /// change.
    fn transfer(
        &self,
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    ) -> impl Future<Output = Result<bool, BankError>> + Send;

    /// Deposits `amount` into `id` and tells whether the new balance is at
    /// least `threshold`, as one atomic step.
    fn deposit_and_compare(
        &self,
        id: AccountId,
        amount: Money,
        threshold: Money,
    ) -> impl Future<Output = Result<bool, BankError>> + Send;

    /// The balance of account `id`.
    fn balance(&self, id: AccountId) -> impl Future<Output = Result<Money, BankError>> + Send;

    /// How many accounts exist (Go's `len(bank.accounts)`).
    fn account_count(&self) -> impl Future<Output = usize> + Send;

    /// Optional: every account's balance now, in id order, read without
    /// locks, for the suite's "no negative balance" probe. Never blocks and
    /// never awaits. The default shows nothing (the probe then checks
    /// nothing).
    fn peek_balances(&self) -> Vec<(AccountId, Money)> {
        Vec::new()
    }

    /// Optional: the bank's state as text (balances, held locks, waiting
    /// operations), appended to deadlock reports. Never blocks and never
    /// awaits. The default says nothing.
    fn inspect(&self) -> String {
        String::new()
    }
}
