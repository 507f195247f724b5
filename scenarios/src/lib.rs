//! The named scenarios: the ported test suites of every system, plus the
//! framework's own (`sim::selftest`). One registry, shared by `cargo test`
//! and this repository's `dst` (the tools themselves are `sim::dst`).

#[cfg(not(madsim))]
compile_error!(
    "the scenarios must run simulated: build with `--cfg madsim` (set in .cargo/config.toml). \
     A RUSTFLAGS environment variable replaces those flags and madsim then silently runs on \
     tokio: `unset RUSTFLAGS`."
);

pub mod bank;
pub mod cli;
pub mod demo;
pub mod mapreduce;
pub mod planted;
pub mod raft;
pub mod weather;

use sim::Scenario;

/// Every scenario, in a stable order. Names are unique.
pub fn all() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(bank::scenarios());
    all.extend(sim::selftest::scenarios());
    all.extend(demo::scenarios());
    all.extend(mapreduce::scenarios());
    all.extend(raft::scenarios());
    all.extend(weather::scenarios());
    let mut names: Vec<&str> = all.iter().map(|s| s.name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("scenario {:?} is registered twice", w[0]);
    }
    all
}

/// The scenarios `pattern` selects (see [`sim::select`]: a full name
/// selects exactly that scenario, `raft/` a path, `name*` a prefix, `all`
/// every scenario but the demos), or an error naming the pattern.
pub fn find(pattern: &str) -> Result<Vec<Scenario>, String> {
    sim::select::select(&all(), pattern)
}

/// Like [`find`], with no scenario for a pattern that selects none.
pub fn select(pattern: &str) -> Vec<Scenario> {
    find(pattern).unwrap_or_default()
}
