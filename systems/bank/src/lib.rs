//! HW2 concurrent bank (BU CS350), as an async system for the simulator.
//!
//! The assignment's shape is kept: a table of accounts behind a read-write
//! lock (Go's `bankLock`), and per account a balance behind its own lock.
//! Every operation is a sequence of awaits, so that tasks really interleave
//! on a single-threaded executor:
//!
//! - [`Jitter`] (from [`bank_api`], the assignment's API): seeded scheduling
//!   jitter. Approaching a lock, reading or writing a balance, inserting
//!   into the table: each step yields a seeded number of times, so different
//!   seeds explore different interleavings.
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
//! [`Bank`] implements [`BankApi`], the assignment's API that the scenarios
//! drive, like any other implementation of it.

pub mod bank;
pub mod ledger;
pub mod locks;
pub mod monitor;

pub use bank::Bank;
pub use bank_api::{AccountId, BankApi, BankError, Jitter, Money};
pub use monitor::{OpHandle, Operation};
