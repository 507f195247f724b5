//! Seeded scheduling jitter: where a real bank would be preempted or wait
//! for memory, ours yields to the executor a seeded number of times.
//!
//! Why yields and not sleeps: a yield puts the task back in the ready queue,
//! where madsim's executor picks the next task at random (a seeded choice)
//! and advances virtual time by 50-100 ns per poll, which is the scale of an
//! in-memory bank. A madsim sleep costs at least 1 ms of virtual time and a
//! timer event, far too slow for a million operations.
//!
//! The generator is SplitMix64 over an atomic counter: cheap, lock-free,
//! deterministic as long as the calls happen in a deterministic order (they
//! do on a single-threaded simulator). The caller supplies the seed, drawn
//! from the run's seed.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

/// How many times each step of an operation yields: uniform in
/// `0..=max_yields`, drawn from a seeded generator.
#[derive(Debug)]
pub struct Jitter {
    state: AtomicU64,
    max_yields: u32,
    yields: AtomicU64,
}

impl Jitter {
    /// Jitter seeded with `seed`; each step yields `0..=max_yields` times.
    pub fn new(seed: u64, max_yields: u32) -> Self {
        assert!(max_yields <= 64, "max_yields {max_yields} is not a latency");
        Jitter {
            state: AtomicU64::new(seed),
            max_yields,
            yields: AtomicU64::new(0),
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
        // SplitMix64 (Steele, Lea, Flood 2014).
        let mut z = self
            .state
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A seeded draw in `0..=max_yields`.
    fn draw(&self) -> u32 {
        if self.max_yields == 0 {
            return 0;
        }
        (self.next_u64() % (u64::from(self.max_yields) + 1)) as u32
    }

    /// One step of an operation: yields `0..=max_yields` times.
    pub async fn step(&self) {
        let n = self.draw();
        self.yield_times(n).await;
    }

    /// A step that takes at least one yield (a write that others could
    /// observe half-done), unless the jitter is [`Jitter::none`].
    pub async fn step_at_least_once(&self) {
        let n = self.draw().max(self.max_yields.min(1));
        self.yield_times(n).await;
    }

    async fn yield_times(&self, n: u32) {
        if n == 0 {
            return;
        }
        self.yields.fetch_add(u64::from(n), Ordering::Relaxed);
        for _ in 0..n {
            yield_now().await;
        }
    }
}

/// Gives the executor one chance to run another task.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`]: pending once, after waking itself.
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
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
    fn none_never_yields() {
        let j = Jitter::none();
        assert!((0..100).all(|_| j.draw() == 0));
    }
}
