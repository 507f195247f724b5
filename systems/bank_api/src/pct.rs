//! PCT, probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
//! Nagarakatte, ASPLOS 2010), at the jitter's step points.
//!
//! Why: random yields interleave operations evenly, so a bug that needs one
//! operation to stall at one step while others run many steps (an ordering
//! of depth d) is found rarely and with no bound. PCT gives each operation a
//! seeded distinct priority, always runs the highest-priority operation that
//! waits at a step point, and at d−1 seeded change points among the first k
//! steps drops the running operation's priority below every other. Any bug
//! of depth d among n operations is then found with probability at least
//! 1/(n·k^(d−1)) per run.
//!
//! How on madsim, whose executor picks a random ready task and knows no
//! priorities: an operation is wrapped by the tester ([`Operation`], from
//! [`crate::Jitter::operation`]), which tells the scheduler which operation
//! is running; at a step point the running operation joins the set of
//! waiting operations and stays pending (waking itself, so madsim polls it
//! again) until it is the highest-priority waiting one. The start of an
//! operation is a step point too, so priorities order operations from their
//! first instruction. An operation blocked elsewhere (on a lock held by a
//! lower one) is not waiting at a step point, so the lower one runs: no
//! deadlock of the scheduler's making. Steps of tasks the tester did not
//! wrap (its own sequential setup, a bank's internal tasks) pass at once.
//!
//! Everything is drawn from the seed given (SplitMix64); the state is
//! ordered maps keyed by a counter the tester's spawn order assigns, so a
//! run replays exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

/// The PCT scheduler shared by a jitter and the operations it wraps.
#[derive(Debug)]
pub struct Pct {
    depth: u32,
    steps_bound: u64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    rng: u64,
    /// Step numbers (1-based, ascending) at which the running operation's
    /// priority drops; `d − 1` of them drawn in `1..=k`.
    change_points: Vec<u64>,
    /// How many change points have fired: the next one sets priority
    /// `depth − fired − 1`, below every initial priority (those are `≥ d`).
    fired: u32,
    steps: u64,
    next_id: u64,
    priority: BTreeMap<u64, u64>,
    /// Operations waiting at a step point, by (priority, id).
    waiting: BTreeSet<(u64, u64)>,
    /// The operation being polled, if the tester wrapped it.
    current: Option<u64>,
}

impl Pct {
    /// A scheduler for bugs of depth `depth` (≥ 1) with change points drawn
    /// among the first `steps_bound` (≥ 1) steps.
    pub fn new(seed: u64, depth: u32, steps_bound: u64) -> Pct {
        assert!(depth >= 1, "PCT depth must be at least 1");
        assert!(steps_bound >= 1, "PCT needs at least one step");
        let mut state = State {
            rng: seed,
            ..State::default()
        };
        let mut points: Vec<u64> = (1..depth)
            .map(|_| 1 + splitmix(&mut state.rng) % steps_bound)
            .collect();
        points.sort_unstable();
        state.change_points = points;
        Pct {
            depth,
            steps_bound,
            state: Mutex::new(state),
        }
    }

    /// `d`: the depth of bug this run is built to find.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// `k`: the steps among which the change points fall.
    pub fn steps_bound(&self) -> u64 {
        self.steps_bound
    }

    /// The drawn change points (step numbers), for the failure report.
    pub fn change_points(&self) -> Vec<u64> {
        self.lock().change_points.clone()
    }

    /// Steps taken by wrapped operations so far.
    pub fn steps(&self) -> u64 {
        self.lock().steps
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A run is one thread; a poisoned lock means a panic mid-step, and
        // the run is failing anyway: keep the state readable for reports.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new operation with a seeded priority, waiting at its start.
    fn register(&self) -> u64 {
        let mut s = self.lock();
        let id = s.next_id;
        s.next_id += 1;
        let priority = u64::from(self.depth) + (splitmix(&mut s.rng) >> 16);
        s.priority.insert(id, priority);
        s.waiting.insert((priority, id));
        id
    }

    /// One step of the running operation: counts it, fires a change point
    /// if this is one, and makes the operation wait. `None` when no wrapped
    /// operation is running (the step passes at once).
    pub(crate) fn step(&self) -> Option<u64> {
        let mut s = self.lock();
        let id = s.current?;
        s.steps += 1;
        let steps = s.steps;
        while s.change_points.get(s.fired as usize) == Some(&steps) {
            s.fired += 1;
            let lowered = u64::from(self.depth - s.fired);
            s.priority.insert(id, lowered);
        }
        let priority = s.priority[&id];
        s.waiting.insert((priority, id));
        Some(id)
    }

    /// Whether `id` may leave its step point now: it is the
    /// highest-priority waiting operation. If so it leaves the waiting set.
    pub(crate) fn try_release(&self, id: u64) -> bool {
        let mut s = self.lock();
        let Some(&(priority, top)) = s.waiting.last() else {
            return true;
        };
        if top != id {
            return false;
        }
        s.waiting.remove(&(priority, top));
        true
    }

    /// `id` stops waiting without running (its future was dropped).
    pub(crate) fn abandon(&self, id: u64) {
        let mut s = self.lock();
        if let Some(&priority) = s.priority.get(&id) {
            s.waiting.remove(&(priority, id));
        }
    }

    fn enter(&self, id: u64) -> Option<u64> {
        self.lock().current.replace(id)
    }

    fn leave(&self, previous: Option<u64>) {
        self.lock().current = previous;
    }

    fn finish(&self, id: u64) {
        let mut s = self.lock();
        if let Some(priority) = s.priority.remove(&id) {
            s.waiting.remove(&(priority, id));
        }
    }
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One operation as the tester spawns it: under PCT it waits at its start
/// until it has the highest priority, and tells the scheduler it is running
/// whenever it is polled. Under random yields it is the operation itself.
#[must_use = "futures do nothing unless awaited"]
pub struct Operation<F> {
    inner: Pin<Box<F>>,
    pct: Option<(Arc<Pct>, u64)>,
    started: bool,
}

impl<F: Future> Operation<F> {
    pub(crate) fn new(inner: F, pct: Option<Arc<Pct>>) -> Self {
        let pct = pct.map(|pct| {
            let id = pct.register();
            (pct, id)
        });
        Operation {
            inner: Box::pin(inner),
            pct,
            started: false,
        }
    }
}

impl<F: Future> Future for Operation<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let Some((pct, id)) = &this.pct else {
            return this.inner.as_mut().poll(cx);
        };
        if !this.started {
            if !pct.try_release(*id) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            this.started = true;
        }
        let previous = pct.enter(*id);
        let result = this.inner.as_mut().poll(cx);
        pct.leave(previous);
        if result.is_ready() {
            pct.finish(*id);
        }
        result
    }
}

impl<F> Drop for Operation<F> {
    fn drop(&mut self) {
        if let Some((pct, id)) = &self.pct {
            pct.finish(*id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_points_are_seeded_sorted_and_bounded() {
        let a = Pct::new(5, 4, 100);
        assert_eq!(a.change_points(), Pct::new(5, 4, 100).change_points());
        assert_ne!(a.change_points(), Pct::new(6, 4, 100).change_points());
        let points = a.change_points();
        assert_eq!(points.len(), 3);
        assert!(points.windows(2).all(|w| w[0] <= w[1]));
        assert!(points.iter().all(|&p| (1..=100).contains(&p)));
        assert!(Pct::new(5, 1, 100).change_points().is_empty());
    }

    #[test]
    fn the_highest_waiting_priority_runs_first() {
        let pct = Pct::new(1, 1, 10);
        let ids: Vec<u64> = (0..5).map(|_| pct.register()).collect();
        let mut order = Vec::new();
        while order.len() < ids.len() {
            let next = ids
                .iter()
                .copied()
                .find(|&id| !order.contains(&id) && pct.try_release(id))
                .expect("exactly one waiting operation may run");
            order.push(next);
        }
        let priority = |id: u64| pct.lock().priority[&id];
        assert!(order.windows(2).all(|w| priority(w[0]) > priority(w[1])));
    }

    #[test]
    fn a_change_point_drops_the_running_operation_below_every_other() {
        // depth 2, k 1: the first step is the change point.
        let pct = Pct::new(3, 2, 1);
        let (first, second) = (pct.register(), pct.register());
        let top = [first, second]
            .into_iter()
            .find(|&id| pct.try_release(id))
            .expect("one of the two starts");
        pct.enter(top);
        assert_eq!(pct.step(), Some(top));
        let other = if top == first { second } else { first };
        assert!(!pct.try_release(top), "lowered: the other goes first");
        assert!(pct.try_release(other));
        assert!(pct.try_release(top));
    }

    #[test]
    fn steps_outside_an_operation_pass() {
        let pct = Pct::new(1, 3, 10);
        assert_eq!(pct.step(), None);
        assert_eq!(pct.steps(), 0);
    }
}
