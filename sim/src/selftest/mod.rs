//! The framework's own scenarios: labrpc's self-tests, the shared
//! filesystem, crash/restart with the Persister, the opt-in network faults
//! and crash points, raw madsim Endpoint traffic under the fault verbs (all
//! under `sim/`), and the
//! framework's demo with a planted bug (`demo/rpc/lossy_counter`).
//! `cargo test -p sim` runs them (`sim/tests/selftest.rs`); a project's
//! `dst` may list them beside its own (this repository's does).

mod crash_points;
mod demo;
mod endpoint;
mod fs;
mod labrpc;
mod net_faults;
mod restart;

use crate::Scenario;

/// Every self-test scenario, the demo included.
pub fn scenarios() -> Vec<Scenario> {
    let mut all = labrpc::scenarios();
    all.extend(fs::scenarios());
    all.extend(restart::scenarios());
    all.extend(net_faults::scenarios());
    all.extend(crash_points::scenarios());
    all.extend(endpoint::scenarios());
    all.extend(demo::scenarios());
    all
}
