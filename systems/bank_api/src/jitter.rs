//! Seeded scheduling jitter: where a real bank would be preempted or wait
//! for memory, ours yields to the executor a seeded number of times.
//!
//! Why yields and not sleeps: a yield puts the task back in the ready queue,
//! where madsim's executor picks the next task at random (a seeded choice)
//! and advances virtual time by 50-100 ns per poll, which is the scale of an
//! in-memory bank. A madsim sleep costs at least 1 ms of virtual time and a
//! timer event, far too slow for a million operations.
//!
//! How dense the preemption points are is the caller's choice: by default
//! every step yields `0..=max_yields` times (uniform). A *sparse* jitter
//! ([`Jitter::sparse`]) makes a step a preemption point only one time in
//! `one_in`, and then yields `1..=max_yields` times: for suites with
//! thousands of operations ready at once, where madsim's random pick among
//! them already interleaves whole operations and a yield costs a poll.
//!
//! A third strategy is PCT ([`Jitter::pct`], module [`crate::pct`]): no
//! random yields, but seeded operation priorities with `d − 1` priority
//! change points, for ordering bugs random yields rarely reach. It needs the
//! tester to wrap each operation it spawns in [`Jitter::operation`] (a
//! no-op under the other strategies).
//!
//! The generator is SplitMix64 over an atomic counter: cheap, lock-free,
//! deterministic as long as the calls happen in a deterministic order (they
//! do on a single-threaded simulator, the only place a jitter is shared).
//! The caller supplies the seed, drawn from the run's seed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::pct::{Operation, Pct};

/// How many times each step of an operation yields: uniform in
/// `0..=max_yields`, drawn from a seeded generator.
#[derive(Debug)]
pub struct Jitter {
    state: AtomicU64,
    max_yields: u32,
    /// A step is a preemption point one time in `one_in` (1: always drawn
    /// uniformly in `0..=max_yields`, see the module docs).
    one_in: u32,
    yields: AtomicU64,
    /// Set under the PCT strategy: then steps wait for their priority and
    /// never take random yields.
    pct: Option<Arc<Pct>>,
}

impl Jitter {
    /// Jitter seeded with `seed`; each step yields `0..=max_yields` times.
    pub fn new(seed: u64, max_yields: u32) -> Self {
        assert!(max_yields <= 64, "max_yields {max_yields} is not a latency");
        Jitter {
            state: AtomicU64::new(seed),
            max_yields,
            one_in: 1,
            yields: AtomicU64::new(0),
            pct: None,
        }
    }

    /// PCT seeded with `seed`, for bugs of depth `depth` with change points
    /// among the first `steps_bound` steps (see [`crate::pct`]).
    pub fn pct(seed: u64, depth: u32, steps_bound: u64) -> Self {
        Jitter {
            pct: Some(Arc::new(Pct::new(seed, depth, steps_bound))),
            ..Jitter::new(seed, 0)
        }
    }

    /// The PCT scheduler, if this jitter is one.
    pub fn pct_scheduler(&self) -> Option<&Pct> {
        self.pct.as_deref()
    }

    /// Wraps one operation the tester spawns, so that PCT can schedule it
    /// (its priority is drawn now, in spawn order). Under random yields the
    /// wrapper only polls `operation`.
    pub fn operation<F: Future>(&self, operation: F) -> Operation<F> {
        Operation::new(operation, self.pct.clone())
    }

    /// The strategy and its parameters, as a summary or report names them:
    /// `random max_yields=3 one_in=8` or `pct d=3 k=400`.
    pub fn strategy(&self) -> String {
        match &self.pct {
            Some(pct) => format!("pct d={} k={}", pct.depth(), pct.steps_bound()),
            None => format!(
                "random max_yields={} one_in={}",
                self.max_yields, self.one_in
            ),
        }
    }

    /// Sparse jitter seeded with `seed`: a step yields `1..=max_yields`
    /// times with probability `1/one_in`, else not at all.
    pub fn sparse(seed: u64, max_yields: u32, one_in: u32) -> Self {
        assert!(one_in >= 1, "one_in must be at least 1");
        Jitter {
            one_in,
            ..Jitter::new(seed, max_yields)
        }
    }

    /// No yields at all: every step completes at once.
    pub fn none() -> Self {
        Jitter::new(0, 0)
    }

    /// The largest number of yields of one step.
    pub fn max_yields(&self) -> u32 {
        self.max_yields
    }

    /// How many yields all steps took so far.
    pub fn yields(&self) -> u64 {
        self.yields.load(Ordering::Relaxed)
    }

    fn next_u64(&self) -> u64 {
        // SplitMix64 (Steele, Lea, Flood 2014). A load and a store rather
        // than `fetch_add`: a run is one thread, where the two are the same
        // sequence, and a locked add per step was measurable over a million
        // operations.
        let state = self.state.load(Ordering::Relaxed);
        let mut z = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.state.store(z, Ordering::Relaxed);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// How often a step is a preemption point: one time in this many.
    pub fn one_in(&self) -> u32 {
        self.one_in
    }

    /// A seeded draw in `0..=max_yields`.
    fn draw(&self) -> u32 {
        if self.max_yields == 0 {
            return 0;
        }
        let z = self.next_u64();
        if self.one_in == 1 {
            return remainder(z, u64::from(self.max_yields) + 1) as u32;
        }
        let one_in = u64::from(self.one_in);
        if remainder(z, one_in) != 0 {
            return 0;
        }
        1 + remainder(quotient(z, one_in), u64::from(self.max_yields)) as u32
    }

    /// One step of an operation: yields `0..=max_yields` times.
    ///
    /// The draw is taken here, not at the first poll: every caller awaits
    /// the step at once, so the draws come in the same order either way.
    pub fn step(&self) -> Yields {
        if let Some(pct) = &self.pct {
            return Yields::pct(pct);
        }
        let n = self.draw();
        self.yields_taken(n)
    }

    /// A step that takes at least one yield (a write that others could
    /// observe half-done), unless the jitter is [`Jitter::none`].
    pub fn step_at_least_once(&self) -> Yields {
        if let Some(pct) = &self.pct {
            return Yields::pct(pct);
        }
        let n = self.draw().max(self.max_yields.min(1));
        self.yields_taken(n)
    }

    fn yields_taken(&self, n: u32) -> Yields {
        if n > 0 {
            let yields = self.yields.load(Ordering::Relaxed);
            self.yields.store(yields + u64::from(n), Ordering::Relaxed);
        }
        Yields {
            remaining: n,
            waiting: None,
        }
    }
}

/// The future of one step: pending `remaining` times, waking itself each
/// time, so that each time the executor may run other tasks first.
///
/// Why not an async fn: a step is awaited four or five times per operation,
/// a million operations per run, and most steps do not yield at all. An
/// async fn's state machine, nested in every operation's future, cost more
/// than the draw it wrapped.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Yields {
    remaining: u32,
    /// Under PCT: the operation waiting at this step point.
    waiting: Option<(Arc<Pct>, u64)>,
}

impl Yields {
    fn pct(pct: &Arc<Pct>) -> Yields {
        Yields {
            remaining: 0,
            waiting: pct.step().map(|id| (pct.clone(), id)),
        }
    }
}

impl Drop for Yields {
    fn drop(&mut self) {
        if let Some((pct, id)) = &self.waiting {
            pct.abandon(*id);
        }
    }
}

impl Future for Yields {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((pct, id)) = &self.waiting {
            if !pct.try_release(*id) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            self.waiting = None;
            return Poll::Ready(());
        }
        if self.remaining == 0 {
            return Poll::Ready(());
        }
        self.remaining -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// `z % divisor`, exactly. A draw is taken at every step of every
/// operation, and a 64-bit division by a divisor known only at run time was
/// a twentieth of the bank's million-operation run; the divisors are small
/// (up to 4 yields, one step in 8), so these take a mask or a division by a
/// constant, which the compiler turns into a multiplication.
fn remainder(z: u64, divisor: u64) -> u64 {
    match divisor {
        1 => 0,
        2 => z & 1,
        3 => z % 3,
        4 => z & 3,
        8 => z & 7,
        _ => z % divisor,
    }
}

/// `z / divisor`, exactly (see [`remainder`]).
fn quotient(z: u64, divisor: u64) -> u64 {
    match divisor {
        1 => z,
        2 => z >> 1,
        3 => z / 3,
        4 => z >> 2,
        8 => z >> 3,
        _ => z / divisor,
    }
}

/// Gives the executor one chance to run another task.
pub fn yield_now() -> Yields {
    Yields {
        remaining: 1,
        waiting: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_and_bounded() {
        let a = Jitter::new(7, 3);
        let b = Jitter::new(7, 3);
        let da: Vec<u32> = (0..100).map(|_| a.draw()).collect();
        let db: Vec<u32> = (0..100).map(|_| b.draw()).collect();
        assert_eq!(da, db);
        assert!(da.iter().all(|&d| d <= 3));
        assert!(
            (0..=3).all(|v| da.contains(&v)),
            "every count occurs: {da:?}"
        );
        let c = Jitter::new(8, 3);
        let dc: Vec<u32> = (0..100).map(|_| c.draw()).collect();
        assert_ne!(da, dc);
    }

    #[test]
    fn sparse_draws_are_rare_and_never_zero_when_drawn() {
        let j = Jitter::sparse(7, 3, 4);
        let draws: Vec<u32> = (0..4000).map(|_| j.draw()).collect();
        let preempted = draws.iter().filter(|&&d| d > 0).count();
        assert!((800..1200).contains(&preempted), "{preempted} of 4000");
        assert!(draws.iter().all(|&d| d <= 3));
        assert!((1..=3).all(|v| draws.contains(&v)));
        // one_in = 1 is the dense jitter, draw for draw.
        let (a, b) = (Jitter::sparse(9, 3, 1), Jitter::new(9, 3));
        assert!((0..100).all(|_| a.draw() == b.draw()));
    }

    /// The fast paths are the plain operators, value for value.
    #[test]
    fn remainder_and_quotient_are_the_operators() {
        let j = Jitter::new(11, 0);
        let values = (0..2000)
            .map(|_| j.next_u64())
            .chain([0, 1, 7, 8, u64::MAX, u64::MAX - 1]);
        for z in values {
            for divisor in 1..=70 {
                assert_eq!(remainder(z, divisor), z % divisor, "{z} % {divisor}");
                assert_eq!(quotient(z, divisor), z / divisor, "{z} / {divisor}");
            }
        }
    }

    #[test]
    fn none_never_yields() {
        let j = Jitter::none();
        assert!((0..100).all(|_| j.draw() == 0));
    }
}
