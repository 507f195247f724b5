//! Deliberately wrong implementations of the assignments' APIs, for the
//! suites' own tests: each must be caught. Test code only; bank and
//! weather keep theirs next to their teeth tests (`tests/`).

pub mod mapreduce;
