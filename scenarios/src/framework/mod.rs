//! The framework's own scenarios, under `sim/`: labrpc's self-tests, the
//! shared filesystem, crash/restart with the Persister, the opt-in network
//! faults and crash points.

mod crash_points;
mod fs;
mod labrpc;
mod net_faults;
mod restart;

use sim::Scenario;

pub fn scenarios() -> Vec<Scenario> {
    let mut all = labrpc::scenarios();
    all.extend(fs::scenarios());
    all.extend(restart::scenarios());
    all.extend(net_faults::scenarios());
    all.extend(crash_points::scenarios());
    all
}
