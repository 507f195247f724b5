//! HW2 concurrent bank (BU CS350), as an async system for the simulator.
//!
//! The assignment's shape is kept: a table of accounts behind a read-write
//! lock (Go's `bankLock`), and per account a balance behind its own lock.
//! Every operation is a sequence of awaits, so that tasks really interleave
//! on a single-threaded executor:
//!
//! - [`jitter`]: seeded scheduling jitter. Approaching a lock, reading or
//!   writing a balance, inserting into the table: each step yields a seeded
//!   number of times, so different seeds explore different interleavings.
//! - [`ledger`]: the arithmetic of each operation, pure and checked.
//! - [`monitor`]: operations in flight and who holds or waits for each lock,
//!   rendered for deadlock reports and state dumps.
//! - [`locks`]: the account lock and the table lock, instrumented; the
//!   account table, which models Go's unsynchronized map and fails like Go's
//!   runtime on a read or write that overlaps a write.
//! - [`bank`]: the bank itself, deadlock-free by construction (see there).
//!
//! Errors are values ([`BankError`]), each logged as a `warn` event with the
//! operation and the ids. The crate knows no simulator: the caller seeds the
//! [`Jitter`] and runs the futures on whatever executor it likes.
//!
//! [`BankApi`] is the interface the scenarios drive; the test suite also
//! implements it with deliberately broken banks (the starter code's bugs) to
//! prove that the scenarios catch them.

pub mod bank;
pub mod error;
pub mod jitter;
pub mod ledger;
pub mod locks;
pub mod monitor;

use std::future::Future;
use std::sync::Arc;

pub use bank::Bank;
pub use error::BankError;
pub use jitter::Jitter;
pub use monitor::{OpHandle, Operation};

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

    /// Every account's balance now, in id order, read without locks: for
    /// inspectors and probes. Never blocks and never awaits.
    fn peek_balances(&self) -> Vec<(AccountId, Money)>;

    /// The bank's state as text: balances, held locks, waiting operations.
    /// Never blocks and never awaits: it runs inside deadlock reports.
    fn inspect(&self) -> String;
}
