//! Randomness, only from the run's seed.
//!
//! Never `rand::thread_rng()` or `OsRng` inside a simulation: they would make
//! a run depend on something other than its seed.

use rand::SeedableRng;
pub use rand::{Rng, RngCore};
pub use rand_chacha::ChaCha8Rng;

/// madsim's seeded generator for the current run.
pub fn rng() -> madsim::rand::GlobalRng {
    madsim::rand::thread_rng()
}

/// An independent ChaCha generator seeded from the run's generator: for code
/// that needs its own stream (e.g. generating test inputs) so that drawing
/// from it does not shift the scheduler's choices.
pub fn chacha() -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(rng().gen())
}
