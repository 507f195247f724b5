//! Who holds and who waits for each lock, for deadlock reports.
//!
//! Every operation gets an [`OpHandle`] (an id and what it is); every lock
//! keeps a [`LockRecord`] of its holders and waiters. A report walks the
//! records: the locks that have waiters, who holds them, what those holders
//! wait for in turn, and a cycle in that waits-for graph if there is one.
//! An operation that returned while still holding a lock (a leaked guard)
//! stays in the holder list, marked as such. An operation begun inside
//! another's [`OpHandle::scope`] is its nested call: awaiting it is an edge
//! of the graph too, which is how a lock taken twice shows up as a cycle.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::{AccountId, Money};

/// One call of the bank's API, with its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    CreateAccount {
        id: AccountId,
    },
    Deposit {
        id: AccountId,
        amount: Money,
    },
    Withdraw {
        id: AccountId,
        amount: Money,
    },
    Transfer {
        from: AccountId,
        to: AccountId,
        amount: Money,
        allow_overdraw: bool,
    },
    DepositAndCompare {
        id: AccountId,
        amount: Money,
        threshold: Money,
    },
    Balance {
        id: AccountId,
    },
    AccountCount,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Operation::CreateAccount { id } => write!(f, "create_account({id})"),
            Operation::Deposit { id, amount } => write!(f, "deposit({id}, {amount})"),
            Operation::Withdraw { id, amount } => write!(f, "withdraw({id}, {amount})"),
            Operation::Transfer {
                from,
                to,
                amount,
                allow_overdraw,
            } => write!(
                f,
                "transfer({from} -> {to}, {amount}{})",
                if allow_overdraw { ", overdraw" } else { "" }
            ),
            Operation::DepositAndCompare {
                id,
                amount,
                threshold,
            } => write!(f, "deposit_and_compare({id}, {amount}, {threshold})"),
            Operation::Balance { id } => write!(f, "balance({id})"),
            Operation::AccountCount => write!(f, "account_count()"),
        }
    }
}

/// Counts the operations of one bank and hands out their ids.
#[derive(Debug, Default)]
pub struct Monitor {
    begun: AtomicU64,
    finished: AtomicU64,
}

impl Monitor {
    pub fn new() -> Arc<Self> {
        Arc::new(Monitor::default())
    }

    /// Starts operation `operation`; it ends when the handle is dropped.
    pub fn begin(self: &Arc<Self>, operation: Operation) -> OpHandle {
        let id = self.begun.fetch_add(1, Ordering::Relaxed) + 1;
        let parent = POLLING.with(|p| p.borrow().last().cloned());
        OpHandle {
            info: Arc::new(OpInfo {
                id,
                operation,
                finished: AtomicBool::new(false),
                parent,
            }),
            monitor: self.clone(),
        }
    }

    /// (begun, finished) operation counts.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.begun.load(Ordering::Relaxed),
            self.finished.load(Ordering::Relaxed),
        )
    }
}

/// What the monitor knows of one operation.
#[derive(Debug)]
pub struct OpInfo {
    id: u64,
    operation: Operation,
    finished: AtomicBool,
    /// The operation that called this one, if it was begun while another
    /// was being polled (see [`OpHandle::scope`]).
    parent: Option<Arc<OpInfo>>,
}

impl fmt::Display for OpInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} {}", self.id, self.operation)
    }
}

/// An operation in progress: pass it to every lock it takes.
#[derive(Debug)]
pub struct OpHandle {
    info: Arc<OpInfo>,
    monitor: Arc<Monitor>,
}

impl OpHandle {
    pub fn id(&self) -> u64 {
        self.info.id
    }

    pub fn operation(&self) -> Operation {
        self.info.operation
    }
}

impl OpHandle {
    /// Runs `body` as this operation's body: an operation begun while `body`
    /// is being polled is recorded as its nested call (Go's same goroutine),
    /// so that a report can say "awaits its nested call".
    pub async fn scope<T>(&self, body: impl Future<Output = T>) -> T {
        let mut body = pin!(body);
        poll_fn(|cx| {
            let _polling = Polling::enter(&self.info);
            body.as_mut().poll(cx)
        })
        .await
    }
}

thread_local! {
    /// The operations being polled right now, innermost last. A simulation
    /// polls one task at a time on one thread, so this is exact.
    static POLLING: RefCell<Vec<Arc<OpInfo>>> = const { RefCell::new(Vec::new()) };
}

/// Marks an operation as being polled until dropped (unwinding included).
struct Polling;

impl Polling {
    fn enter(op: &Arc<OpInfo>) -> Polling {
        POLLING.with(|p| p.borrow_mut().push(op.clone()));
        Polling
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.with(|p| p.borrow_mut().pop());
    }
}

impl fmt::Display for OpHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.info.fmt(f)
    }
}

impl Drop for OpHandle {
    fn drop(&mut self) {
        self.info.finished.store(true, Ordering::Relaxed);
        self.monitor.finished.fetch_add(1, Ordering::Relaxed);
    }
}

/// Which lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LockName {
    /// The table lock (Go's `bankLock`).
    Table,
    /// An account's lock.
    Account(AccountId),
}

impl fmt::Display for LockName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LockName::Table => f.write_str("the table lock"),
            LockName::Account(id) => write!(f, "account {id}"),
        }
    }
}

/// How a lock is held or wanted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Shared,
    Exclusive,
}

/// One operation's place in a lock's record.
#[derive(Debug)]
struct Entry {
    /// Arrival order: when it started waiting, or, once it holds the lock,
    /// when it acquired it.
    seq: u64,
    op: Arc<OpInfo>,
    mode: Mode,
    held: bool,
}

/// Holders and waiters in slots: every wait, acquisition and release is
/// O(1) on the slot its token carries, whatever the order locks are
/// released in (a shared lock can have thousands of holders). Reports,
/// which are rare, sort the entries back into arrival order.
#[derive(Debug, Default)]
struct LockState {
    slots: Vec<Option<Entry>>,
    free: Vec<usize>,
    next_seq: u64,
}

impl LockState {
    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    fn add(&mut self, entry: Entry) -> usize {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        }
    }

    fn remove(&mut self, slot: usize) {
        let entry = self.slots[slot].take();
        assert!(entry.is_some(), "a lock record lost an entry");
        self.free.push(slot);
    }

    /// The holders (`held`) or the waiters, in arrival order.
    fn listed(&self, held: bool) -> Vec<(Arc<OpInfo>, Mode)> {
        let mut listed: Vec<&Entry> = self
            .slots
            .iter()
            .flatten()
            .filter(|e| e.held == held)
            .collect();
        listed.sort_by_key(|e| e.seq);
        listed.into_iter().map(|e| (e.op.clone(), e.mode)).collect()
    }
}

/// The holders and waiters of one lock.
#[derive(Debug)]
pub struct LockRecord {
    name: LockName,
    state: Mutex<LockState>,
}

impl LockRecord {
    pub fn new(name: LockName) -> Self {
        LockRecord {
            name,
            state: Mutex::new(LockState::default()),
        }
    }

    pub fn name(&self) -> LockName {
        self.name
    }

    fn state(&self) -> MutexGuard<'_, LockState> {
        // A panic while the record is locked cannot leave it inconsistent
        // (each update is one slot write): ignore poisoning.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records that `op` starts waiting; the returned token becomes a
    /// [`Holding`] once the lock is acquired, and withdraws the wait if it is
    /// dropped before (a cancelled acquisition).
    pub fn wait(&self, op: &OpHandle, mode: Mode) -> Waiting<'_> {
        let mut state = self.state();
        let seq = state.seq();
        let slot = state.add(Entry {
            seq,
            op: op.info.clone(),
            mode,
            held: false,
        });
        Waiting {
            record: self,
            slot,
            acquired: false,
        }
    }

    fn snapshot(&self) -> LockSnapshot {
        let state = self.state();
        LockSnapshot {
            name: self.name,
            holders: state.listed(true),
            waiters: state.listed(false),
        }
    }
}

/// An operation waiting for a lock.
#[must_use = "dropping it withdraws the wait"]
#[derive(Debug)]
pub struct Waiting<'a> {
    record: &'a LockRecord,
    slot: usize,
    acquired: bool,
}

impl<'a> Waiting<'a> {
    /// The lock was acquired: the waiter becomes a holder.
    pub fn acquired(mut self) -> Holding<'a> {
        let mut state = self.record.state();
        let seq = state.seq();
        let entry = state.slots[self.slot]
            .as_mut()
            .expect("a lock record lost a waiter");
        entry.held = true;
        entry.seq = seq;
        drop(state);
        self.acquired = true;
        Holding {
            record: self.record,
            slot: self.slot,
        }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if !self.acquired {
            self.record.state().remove(self.slot);
        }
    }
}

/// An operation holding a lock; dropping it records the release.
#[derive(Debug)]
pub struct Holding<'a> {
    record: &'a LockRecord,
    slot: usize,
}

impl Drop for Holding<'_> {
    fn drop(&mut self) {
        self.record.state().remove(self.slot);
    }
}

struct LockSnapshot {
    name: LockName,
    holders: Vec<(Arc<OpInfo>, Mode)>,
    waiters: Vec<(Arc<OpInfo>, Mode)>,
}

/// Waiters listed per lock in a report; the rest are counted.
const WAITERS_SHOWN: usize = 6;
/// Locks listed per section of a report; the rest are counted.
const LOCKS_SHOWN: usize = 40;

/// Why one operation cannot go on before another does.
#[derive(Clone, Copy)]
enum Blocked {
    /// It waits for a lock the other holds.
    Lock(LockName),
    /// It awaits the other, its own nested call.
    Call,
}

/// The waits-for graph of the operations seen in the lock records.
struct Graph {
    ops: BTreeMap<u64, Arc<OpInfo>>,
    /// op -> the lock it waits for.
    waits_for: BTreeMap<u64, LockName>,
    /// op -> the ops it cannot go on before, and why.
    edges: BTreeMap<u64, Vec<(u64, Blocked)>>,
}

impl Graph {
    fn new(snapshots: &[LockSnapshot]) -> Self {
        let mut graph = Graph {
            ops: BTreeMap::new(),
            waits_for: BTreeMap::new(),
            edges: BTreeMap::new(),
        };
        for s in snapshots {
            for (op, _) in s.holders.iter().chain(&s.waiters) {
                graph.ops.insert(op.id, op.clone());
            }
            for (op, _) in &s.waiters {
                graph.waits_for.insert(op.id, s.name);
                for (holder, _) in &s.holders {
                    graph.edge(op.id, holder.id, Blocked::Lock(s.name));
                }
            }
        }
        let nested: Vec<(u64, u64)> = graph
            .ops
            .values()
            .filter_map(|op| op.parent.as_ref().map(|p| (p.id, op.id)))
            .collect();
        for (parent, child) in nested {
            graph.edge(parent, child, Blocked::Call);
        }
        graph
    }

    fn edge(&mut self, from: u64, to: u64, why: Blocked) {
        self.edges.entry(from).or_default().push((to, why));
    }

    /// What a holder is doing, as a bracketed note.
    fn status(&self, op: &OpInfo) -> String {
        if op.finished.load(Ordering::Relaxed) {
            return " [returned without releasing it]".to_string();
        }
        if let Some(lock) = self.waits_for.get(&op.id) {
            return format!(" [waits for {lock}]");
        }
        let mut calls = self.edges.get(&op.id).into_iter().flatten();
        if let Some((child, _)) = calls.find(|(_, why)| matches!(why, Blocked::Call)) {
            let child = &self.ops[child];
            return match self.waits_for.get(&child.id) {
                Some(lock) => format!(" [awaits its nested call {child}, which waits for {lock}]"),
                None => format!(" [awaits its nested call {child}]"),
            };
        }
        " [not waiting for a lock: running, or blocked on something else]".to_string()
    }

    /// A cycle, rendered, if there is one.
    fn cycle(&self) -> Option<String> {
        // Depth-first with an explicit stack; `path` is the current chain.
        let mut done: BTreeSet<u64> = BTreeSet::new();
        for &start in self.edges.keys() {
            if done.contains(&start) {
                continue;
            }
            let mut path: Vec<u64> = vec![start];
            let mut next: Vec<usize> = vec![0];
            while let Some(&top) = path.last() {
                let successors = self.edges.get(&top).map_or(&[][..], |e| e.as_slice());
                let i = *next.last().expect("next has one entry per path entry");
                if i == successors.len() {
                    done.insert(top);
                    path.pop();
                    next.pop();
                    continue;
                }
                *next.last_mut().expect("non-empty") += 1;
                let (successor, _) = successors[i];
                if let Some(at) = path.iter().position(|&p| p == successor) {
                    return Some(self.render_cycle(&path[at..]));
                }
                if !done.contains(&successor) {
                    path.push(successor);
                    next.push(0);
                }
            }
        }
        None
    }

    fn render_cycle(&self, cycle: &[u64]) -> String {
        let steps: Vec<String> = cycle
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let next = cycle[(i + 1) % cycle.len()];
                let (_, why) = self.edges[id]
                    .iter()
                    .find(|(to, _)| *to == next)
                    .expect("a cycle follows edges");
                match why {
                    Blocked::Lock(lock) => {
                        format!("{} waits for {lock} held by #{next}", self.ops[id])
                    }
                    Blocked::Call => format!("{} awaits its nested call #{next}", self.ops[id]),
                }
            })
            .collect();
        steps.join("; ")
    }
}

/// Renders the monitor's counts and the given locks: the locks with
/// waiters (holder, what the holder itself waits for, who waits), a
/// deadlock cycle if the waits-for graph has one, and the other held locks.
pub fn render<'a>(monitor: &Monitor, records: impl IntoIterator<Item = &'a LockRecord>) -> String {
    let snapshots: Vec<LockSnapshot> = records.into_iter().map(LockRecord::snapshot).collect();
    let graph = Graph::new(&snapshots);
    let (begun, finished) = monitor.counts();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "operations: {begun} begun, {finished} finished, {} in flight",
        begun - finished
    );
    let contended: Vec<&LockSnapshot> =
        snapshots.iter().filter(|s| !s.waiters.is_empty()).collect();
    if !contended.is_empty() {
        let _ = writeln!(out, "locks with waiters ({}):", contended.len());
    }
    for s in contended.iter().take(LOCKS_SHOWN) {
        let holders = holders_text(&s.holders, &graph);
        let _ = writeln!(out, "  {}: held by {holders}", s.name);
        let _ = writeln!(out, "    waiting: {}", waiters_text(&s.waiters));
    }
    if contended.len() > LOCKS_SHOWN {
        let _ = writeln!(out, "  ... and {} more", contended.len() - LOCKS_SHOWN);
    }
    if let Some(cycle) = graph.cycle() {
        let _ = writeln!(out, "deadlock cycle: {cycle}");
    }
    let quiet: Vec<&LockSnapshot> = snapshots
        .iter()
        .filter(|s| s.waiters.is_empty() && !s.holders.is_empty())
        .collect();
    if !quiet.is_empty() {
        let _ = writeln!(out, "other held locks ({}):", quiet.len());
    }
    for s in quiet.iter().take(LOCKS_SHOWN) {
        let _ = writeln!(out, "  {}: {}", s.name, holders_text(&s.holders, &graph));
    }
    if quiet.len() > LOCKS_SHOWN {
        let _ = writeln!(out, "  ... and {} more", quiet.len() - LOCKS_SHOWN);
    }
    out
}

fn mode_text(mode: Mode) -> &'static str {
    match mode {
        Mode::Shared => " (shared)",
        Mode::Exclusive => "",
    }
}

/// The first few of `list`, then how many more.
fn first_few(list: impl ExactSizeIterator<Item = String>) -> String {
    let total = list.len();
    let shown: Vec<String> = list.take(WAITERS_SHOWN).collect();
    match total - shown.len() {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}

fn holders_text(holders: &[(Arc<OpInfo>, Mode)], graph: &Graph) -> String {
    if holders.is_empty() {
        return "nobody (being handed over)".to_string();
    }
    first_few(
        holders
            .iter()
            .map(|(op, mode)| format!("{op}{}{}", mode_text(*mode), graph.status(op))),
    )
}

fn waiters_text(waiters: &[(Arc<OpInfo>, Mode)]) -> String {
    first_few(waiters.iter().map(|(op, mode)| {
        let caller = op
            .parent
            .as_ref()
            .map_or(String::new(), |p| format!(" (called by #{})", p.id));
        format!("{op}{}{caller}", mode_text(*mode))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_follow_wait_acquire_release() {
        let monitor = Monitor::new();
        let a = monitor.begin(Operation::Deposit { id: 1, amount: 5 });
        let b = monitor.begin(Operation::Withdraw { id: 1, amount: 3 });
        let record = LockRecord::new(LockName::Account(1));
        let held = record.wait(&a, Mode::Exclusive).acquired();
        let waiting = record.wait(&b, Mode::Exclusive);
        let text = render(&monitor, [&record]);
        assert!(
            text.contains("account 1: held by #1 deposit(1, 5)"),
            "{text}"
        );
        assert!(text.contains("waiting: #2 withdraw(1, 3)"), "{text}");
        drop(held);
        let _held = waiting.acquired();
        let text = render(&monitor, [&record]);
        assert!(
            text.contains("other held locks (1):\n  account 1: #2 withdraw(1, 3)"),
            "{text}"
        );
    }

    #[test]
    fn opposite_lock_orders_form_a_cycle() {
        let monitor = Monitor::new();
        let t1 = monitor.begin(Operation::Transfer {
            from: 0,
            to: 1,
            amount: 2,
            allow_overdraw: false,
        });
        let t2 = monitor.begin(Operation::Transfer {
            from: 1,
            to: 0,
            amount: 1,
            allow_overdraw: false,
        });
        let zero = LockRecord::new(LockName::Account(0));
        let one = LockRecord::new(LockName::Account(1));
        let _h1 = zero.wait(&t1, Mode::Exclusive).acquired();
        let _h2 = one.wait(&t2, Mode::Exclusive).acquired();
        let _w1 = one.wait(&t1, Mode::Exclusive);
        let _w2 = zero.wait(&t2, Mode::Exclusive);
        let text = render(&monitor, [&zero, &one]);
        assert!(text.contains("deadlock cycle: #1 transfer(0 -> 1, 2) waits for account 1 held by #2; #2 transfer(1 -> 0, 1) waits for account 0 held by #1"), "{text}");
    }

    #[test]
    fn a_lock_taken_again_by_a_nested_call_is_a_cycle() {
        let monitor = Monitor::new();
        let record = LockRecord::new(LockName::Account(0));
        let outer = monitor.begin(Operation::DepositAndCompare {
            id: 0,
            amount: 100,
            threshold: 500,
        });
        let _held = record.wait(&outer, Mode::Exclusive).acquired();
        let begin_inner =
            outer.scope(async { monitor.begin(Operation::Deposit { id: 0, amount: 100 }) });
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(inner) = pin!(begin_inner).poll(&mut cx) else {
            panic!("the body never awaits");
        };
        let outside = monitor.begin(Operation::Balance { id: 0 });
        let _waiting = record.wait(&inner, Mode::Exclusive);
        let _also = record.wait(&outside, Mode::Exclusive);
        let text = render(&monitor, [&record]);
        assert!(text.contains("held by #1 deposit_and_compare(0, 100, 500) [awaits its nested call #2 deposit(0, 100), which waits for account 0]"), "{text}");
        assert!(
            text.contains("waiting: #2 deposit(0, 100) (called by #1), #3 balance(0)\n"),
            "{text}"
        );
        assert!(text.contains("deadlock cycle: #1 deposit_and_compare(0, 100, 500) awaits its nested call #2; #2 deposit(0, 100) waits for account 0 held by #1"), "{text}");
    }

    #[test]
    fn leaked_guard_is_reported() {
        let monitor = Monitor::new();
        let record = LockRecord::new(LockName::Account(3));
        {
            let op = monitor.begin(Operation::Withdraw { id: 3, amount: 9 });
            std::mem::forget(record.wait(&op, Mode::Exclusive).acquired());
        }
        let text = render(&monitor, [&record]);
        assert!(
            text.contains("#1 withdraw(3, 9) [returned without releasing it]"),
            "{text}"
        );
        assert!(text.contains("1 begun, 1 finished, 0 in flight"), "{text}");
    }
}
