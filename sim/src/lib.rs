//! `sim`: deterministic simulation testing on madsim.
//!
//! The framework knows no system. It gives a test:
//!
//! - **Runs** ([`runner::run`]): one scenario on one seed in a fresh thread and
//!   runtime; a panic anywhere, a deadlock ("no events, all tasks will block
//!   forever"), the virtual-time limit or the real-time guard become a failed
//!   [`RunResult`] with its seed.
//! - **Scenarios** ([`Scenario`]): `system/group/name`, a virtual-time limit and
//!   an async body returning [`Result<Summary>`]; fail with [`bail!`],
//!   [`ensure!`] or a panic.
//! - **Nodes** ([`node`]): `create`, `spawn`, `crash`, `restart`, `is_alive`,
//!   and `spawn_background` for harness tasks that may outlive the body; a
//!   run drops every node's leftover tasks when its body ends.
//! - **Network** ([`net`]): fault verbs `isolate`/`rejoin` (6.824 config's
//!   disconnect/connect), `disable_link`/`enable_link`, `partition`/`heal`,
//!   `set_reliable`, `set_long_reordering`, `set_long_delays`; opt-in
//!   faults beyond labrpc's: `set_duplicates`, `set_request_reordering`,
//!   `slow_down`/`speed_up`, `partition_one_way`; counters `rpc_count`,
//!   `total_rpcs`, `total_bytes`.
//! - **Crash points** ([`crash_point`]): durability points (Persister saves,
//!   fs sync and rename, or a system's own) that, once a scenario arms
//!   them, crash the node right there as seeded decisions.
//! - **RPC** ([`rpc`]): labrpc semantics; [`rpc::Server`] with typed methods,
//!   [`rpc::ClientEnd::call`] with bincode messages.
//! - **Persister** ([`Persister`]): 6.824's, with `copy` for restarts, and
//!   `save_raft_state_pieces` to save shared pieces instead of a copy.
//! - **Shared filesystem** ([`fs`]): create/write/sync/read/rename/remove/list,
//!   crash loses unsynced writes, rename is atomic.
//! - **Randomness and time**: [`rand::rng`] (madsim's seeded generator, or a
//!   ChaCha generator seeded from it) and madsim's virtual [`time`].
//! - **Traces** ([`trace`]): every `tracing` event of a run, one stable line each
//!   (virtual time, node, level, target, message, fields) and a 64-bit hash.
//! - **Inspectors and probes** ([`inspect`]): state dumps and global
//!   consistency predicates a scenario registers.
//! - **Faults** ([`fault`]): every injected fault passes [`fault::decide`], for
//!   coverage and shrinking.
//! - **Sometimes events** ([`sometimes`]): events a scenario declares and
//!   must see on some seeds; a sweep names each one that never happened.
//! - **Reports** ([`report`]): result lines, failure reports with replay commands.
//! - **Selection** ([`select`]): which scenarios a pattern names; a full
//!   name selects exactly one.
//! - **Seeds** ([`seeds`]): `SEED`, `SEEDS=a..b`, and the corpus in `seeds/`.
//! - **The tools** ([`dst`], cargo feature `dst`, on by default): the whole
//!   `dst` command and cargo-test harness over your own scenarios.
//! - **Self-tests** ([`selftest`]): the framework's own scenarios.
//! - **Own work** ([`work`]): a system marks its computation between events
//!   with [`work::own`], so that `dst bench` can tell it from the framework's
//!   overhead.
//!
//! A scenario, in full:
//!
//! ```
//! use sim::{ensure, rpc, Scenario, Summary};
//!
//! fn echo() -> sim::BodyFuture {
//!     Box::pin(async {
//!         sim::node::create("server");
//!         sim::node::create("client");
//!         sim::node::spawn("server", async {
//!             rpc::Server::new()
//!                 .add("Echo.Say", |word: String| async move { word })
//!                 .start()
//!                 .await
//!                 .unwrap();
//!         })
//!         .await
//!         .unwrap();
//!         let reply = sim::node::spawn("client", async {
//!             rpc::ClientEnd::new("server").call::<_, String>("Echo.Say", &"hi".to_string()).await
//!         })
//!         .await
//!         .unwrap();
//!         ensure!(reply.as_deref() == Ok("hi"), "echo said {reply:?}");
//!         Ok(Summary::new().with("calls", 1))
//!     })
//! }
//!
//! let scenario = Scenario::new("doc/rpc/echo", echo);
//! let result = sim::runner::run(&scenario, 7, &Default::default());
//! assert!(result.passed(), "{}", sim::report::failure_report(&result));
//! ```

#[cfg(not(madsim))]
compile_error!(
    "sim must be built with `--cfg madsim` (set in .cargo/config.toml). A RUSTFLAGS \
     environment variable replaces those flags: unset it."
);

// The moved tool modules (`dst`) and the self-tests name the crate `sim`,
// as code outside it does.
extern crate self as sim;

pub mod budget;
mod clogs;
pub mod crash_point;
#[cfg(feature = "dst")]
pub mod dst;
pub mod endpoint_trace;
pub mod fault;
pub mod fs;
pub mod inspect;
pub mod net;
pub mod node;
mod persister;
pub mod rand;
pub mod report;
pub mod rpc;
pub mod runner;
mod scenario;
pub mod seeds;
pub mod select;
pub mod selftest;
pub mod snapshot;
pub mod sometimes;
pub mod swarm;
pub mod trace;
pub mod work;

pub use crash_point::crash_point;
pub use madsim::{task, time};
pub use persister::Persister;
pub use runner::{run, RunOptions, RunResult, Verdict};
pub use scenario::{
    intern, Body, BodyFuture, Failure, FailureKind, Result, Scenario, SuiteBudget, Summary,
    DEFAULT_SEED, DEFAULT_TIME_LIMIT,
};
