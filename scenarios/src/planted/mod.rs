//! Deliberately wrong implementations of the assignments' APIs, registered
//! like any other: the suites must catch each (their teeth tests and the
//! demos use them). The systems' own crates carry no switch for them. The
//! Raft variants are library code (`demo/raft/stale_commit` and
//! `tests/raft_schedule_teeth.rs` use them), and so are the bank's swarm
//! bugs ([`bank::swarm_bugs`], for seeds-to-catch benches); the rest is
//! test code only;
//! bank and weather keep theirs next to their teeth tests (`tests/`).

pub mod bank;
#[cfg(test)]
pub mod mapreduce;
pub mod raft;
