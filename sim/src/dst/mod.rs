//! The `dst` tools as a library (cargo feature `dst`, on by default): a
//! project hands in its scenarios and gets the whole `dst` command (list,
//! run, sweep, merge, shrink, bisect, timeline) and the whole cargo-test
//! harness (`SEED`, `SEEDS`, the double run that compares trace hashes, its
//! seed corpus, demos that must fail).
//!
//! A binary, in full (`src/main.rs`), where `my_system::scenarios()`
//! returns your `Vec<sim::Scenario>`:
//!
//! ```text
//! fn main() {
//!     sim::dst::main(my_system::scenarios())
//! }
//! ```
//!
//! A test target (`harness = false` in Cargo.toml), in full:
//!
//! ```text
//! fn main() {
//!     sim::dst::test_main(my_system::scenarios())
//! }
//! ```
//!
//! Commands that belong to one project are added with
//! [`Dst::commands`]; the lines `dst` prints name the calling crate's
//! package, binary and test target, so that they work when pasted.

pub mod cli;
pub mod harness;
pub mod investigate;
mod registry;
pub mod timeline;

pub use cli::{usage, Dst, UsageError};
pub use harness::{test_main, Harness};

use crate::Scenario;

/// The whole `dst` command over `scenarios`: parses the arguments, runs,
/// and exits with `dst`'s status (0 passed, 1 failed, 2 bad usage).
pub fn main(scenarios: Vec<Scenario>) -> ! {
    Dst::new(scenarios).main()
}
