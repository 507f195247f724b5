//! The framework's own scenarios, under `sim/`: labrpc's self-tests, the
//! shared filesystem, crash/restart with the Persister, and raw madsim
//! Endpoint traffic under the fault verbs.

mod endpoint;
mod fs;
mod labrpc;
mod restart;

use sim::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    let mut all = labrpc::scenarios();
    all.extend(fs::scenarios());
    all.extend(restart::scenarios());
    all.extend(endpoint::scenarios());
    all
}
