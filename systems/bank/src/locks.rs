//! The bank's memory and its locks, laid out as in the Go assignment:
//! an account is a balance plus its own lock, the bank is a map of accounts
//! plus a read-write lock over the map.
//!
//! - An [`Account`]'s balance is reached only through an [`AccountGuard`]
//!   (the lock held), and each read or write of it is a step of the
//!   simulated account store: it yields as the [`Jitter`] decides.
//! - The [`AccountTable`] models Go's `map[int]*Account`: unsynchronized, so
//!   [`TableLock`] is what makes it safe, and an insert takes time (it yields
//!   at least once while half done). A read or write that overlaps an insert
//!   panics like Go's runtime ("concurrent map read and map write"). With the
//!   table lock that can never happen; [`TableLock::unsynchronized`] is the
//!   map as Go code can always reach it, lock or not.
//!
//! Both locks are tokio's async locks (executor-agnostic, FIFO-fair), with a
//! [`LockRecord`] of holders and waiters beside them for deadlock reports.
//! Approaching a lock is a step too: another task may get there first.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::monitor::{Holding, LockName, LockRecord, Mode, OpHandle, Operation};
use crate::{AccountId, Jitter, Money};

/// One account: a balance in the simulated store and its lock.
#[derive(Debug)]
pub struct Account {
    id: AccountId,
    lock: tokio::sync::Mutex<()>,
    record: LockRecord,
    /// The store cell (Go's `balance int`). Atomic only so that inspectors
    /// can read it at any moment; operations go through the guard.
    balance: AtomicI64,
    jitter: Arc<Jitter>,
}

impl Account {
    /// Account `id` with balance 0.
    pub fn new(id: AccountId, jitter: Arc<Jitter>) -> Self {
        Account {
            id,
            lock: tokio::sync::Mutex::new(()),
            record: LockRecord::new(LockName::Account(id)),
            balance: AtomicI64::new(0),
            jitter,
        }
    }

    pub fn id(&self) -> AccountId {
        self.id
    }

    /// Takes the account's lock for `op`.
    pub async fn lock(&self, op: &OpHandle) -> AccountGuard<'_> {
        self.jitter.step().await;
        let waiting = self.record.wait(op, Mode::Exclusive);
        let inner = self.lock.lock().await;
        let holding = waiting.acquired();
        AccountGuard {
            account: self,
            _holding: holding,
            _inner: inner,
        }
    }

    /// The stored balance now, without the lock: for inspectors only.
    pub fn peek_balance(&self) -> Money {
        self.balance.load(Ordering::Relaxed)
    }

    /// Who holds and who waits for this account's lock.
    pub fn record(&self) -> &LockRecord {
        &self.record
    }
}

/// An account's lock, held: the only way to its balance.
#[derive(Debug)]
pub struct AccountGuard<'a> {
    account: &'a Account,
    _holding: Holding<'a>,
    _inner: tokio::sync::MutexGuard<'a, ()>,
}

impl AccountGuard<'_> {
    pub fn id(&self) -> AccountId {
        self.account.id
    }

    /// Reads the balance from the store.
    pub async fn balance(&self) -> Money {
        self.account.jitter.step().await;
        self.account.balance.load(Ordering::Relaxed)
    }

    /// Writes the balance to the store.
    pub async fn set_balance(&self, balance: Money) {
        self.account.jitter.step().await;
        self.account.balance.store(balance, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct TableState {
    accounts: BTreeMap<AccountId, Arc<Account>>,
    /// The operation whose insert is half done, if any.
    writer: Option<(u64, Operation)>,
}

/// Go's `map[int]*Account`: no synchronization of its own (see the module
/// docs). Reads are methods here; inserts go through [`TableWriteGuard`].
#[derive(Debug, Default)]
pub struct AccountTable {
    state: Mutex<TableState>,
}

impl AccountTable {
    fn state(&self) -> MutexGuard<'_, TableState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state for a read by `op`; panics, as Go's runtime does, if an
    /// insert is half done.
    fn read_state(&self, op: &OpHandle, what: &str) -> MutexGuard<'_, TableState> {
        let state = self.state();
        if let Some((writer, operation)) = state.writer {
            panic!(
                "concurrent map read and map write: {op} read the account table ({what}) \
                 while #{writer} {operation} was inserting into it"
            );
        }
        state
    }

    /// Account `id`, if it exists.
    pub fn get(&self, op: &OpHandle, id: AccountId) -> Option<Arc<Account>> {
        self.read_state(op, "get").accounts.get(&id).cloned()
    }

    /// Whether account `id` exists.
    pub fn contains(&self, op: &OpHandle, id: AccountId) -> bool {
        self.read_state(op, "contains").accounts.contains_key(&id)
    }

    /// The number of accounts.
    pub fn len(&self, op: &OpHandle) -> usize {
        self.read_state(op, "len").accounts.len()
    }

    /// Whether there are no accounts.
    pub fn is_empty(&self, op: &OpHandle) -> bool {
        self.len(op) == 0
    }

    /// Every account, in id order, even mid-insert: for inspectors only.
    pub fn peek_accounts(&self) -> Vec<Arc<Account>> {
        self.state().accounts.values().cloned().collect()
    }
}

/// Clears the table's writer mark when an insert ends, even a cancelled one.
struct InsertInProgress<'a>(&'a AccountTable);

impl Drop for InsertInProgress<'_> {
    fn drop(&mut self) {
        self.0.state().writer = None;
    }
}

/// Go's `bankLock` (a `sync.RWMutex`) together with the map it protects.
#[derive(Debug)]
pub struct TableLock {
    lock: tokio::sync::RwLock<()>,
    record: LockRecord,
    table: AccountTable,
    jitter: Arc<Jitter>,
}

impl TableLock {
    pub fn new(jitter: Arc<Jitter>) -> Self {
        TableLock {
            lock: tokio::sync::RwLock::new(()),
            record: LockRecord::new(LockName::Table),
            table: AccountTable::default(),
            jitter,
        }
    }

    /// Takes the lock shared, for lookups.
    pub async fn read(&self, op: &OpHandle) -> TableReadGuard<'_> {
        self.jitter.step().await;
        let waiting = self.record.wait(op, Mode::Shared);
        let inner = self.lock.read().await;
        let holding = waiting.acquired();
        TableReadGuard {
            table: &self.table,
            _holding: holding,
            _inner: inner,
        }
    }

    /// Takes the lock exclusive, for inserts.
    pub async fn write(&self, op: &OpHandle) -> TableWriteGuard<'_> {
        self.jitter.step().await;
        let waiting = self.record.wait(op, Mode::Exclusive);
        let inner = self.lock.write().await;
        let holding = waiting.acquired();
        TableWriteGuard {
            lock: self,
            _holding: holding,
            _inner: inner,
        }
    }

    /// The map without the lock: Go's `b.accounts[id]` outside `bankLock`.
    /// Go never stops code from reaching the map unlocked, so the model does
    /// not either; what it adds is Go's runtime check, the panic of a read
    /// that overlaps an insert. This bank never calls it.
    pub fn unsynchronized(&self) -> &AccountTable {
        &self.table
    }

    /// Who holds and who waits for the table lock.
    pub fn record(&self) -> &LockRecord {
        &self.record
    }

    /// Every account, in id order: for inspectors only.
    pub fn peek_accounts(&self) -> Vec<Arc<Account>> {
        self.table.peek_accounts()
    }
}

/// The table lock held shared.
#[derive(Debug)]
pub struct TableReadGuard<'a> {
    table: &'a AccountTable,
    _holding: Holding<'a>,
    _inner: tokio::sync::RwLockReadGuard<'a, ()>,
}

impl Deref for TableReadGuard<'_> {
    type Target = AccountTable;

    fn deref(&self) -> &AccountTable {
        self.table
    }
}

/// The table lock held exclusive.
#[derive(Debug)]
pub struct TableWriteGuard<'a> {
    lock: &'a TableLock,
    _holding: Holding<'a>,
    _inner: tokio::sync::RwLockWriteGuard<'a, ()>,
}

impl Deref for TableWriteGuard<'_> {
    type Target = AccountTable;

    fn deref(&self) -> &AccountTable {
        &self.lock.table
    }
}

impl TableWriteGuard<'_> {
    /// Inserts a new account `id` with balance 0. The insert is visible as
    /// "in progress" for at least one yield. Panics if `id` exists (callers
    /// check first) or if another insert is in progress (Go: "concurrent map
    /// writes"), which the exclusive lock rules out.
    pub async fn insert(&mut self, op: &OpHandle, id: AccountId) -> Arc<Account> {
        let table = &self.lock.table;
        {
            let mut state = table.state();
            if let Some((writer, operation)) = state.writer {
                panic!("concurrent map writes: {op} and #{writer} {operation}");
            }
            assert!(
                !state.accounts.contains_key(&id),
                "{op}: account {id} inserted twice"
            );
            state.writer = Some((op.id(), op.operation()));
        }
        let in_progress = InsertInProgress(table);
        self.lock.jitter.step_at_least_once().await;
        let account = Arc::new(Account::new(id, self.lock.jitter.clone()));
        table.state().accounts.insert(id, account.clone());
        drop(in_progress);
        account
    }
}
