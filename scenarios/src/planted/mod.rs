//! Deliberately wrong implementations of the assignments' APIs, registered
//! like any other: the suites must catch each (their teeth tests and the
//! demos use them, and `dst catch` counts the seeds each takes to be
//! caught, from [`catalogue`]). The systems' own crates carry no switch for
//! them: they live here, in the scenarios crate, and no system names them.

pub mod bank;
pub mod bank_swarm;
pub mod catalogue;
pub mod mapreduce;
pub mod raft;
pub mod weather;

pub use catalogue::{catalogue, PlantedBug};
