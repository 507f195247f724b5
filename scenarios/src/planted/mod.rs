//! Deliberately wrong implementations, registered like any other: the
//! suites must catch each (their teeth tests and the demos use them). The
//! systems' own crates carry no switch for them.

pub mod raft;
