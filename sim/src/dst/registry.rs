//! The scenarios of this process's `dst` or test harness, set once by its
//! `main` ([`super::Dst`], [`super::Harness`]): every command and every
//! budget reads the same list.

use std::sync::RwLock;

use crate::Scenario;

static REGISTRY: RwLock<Vec<Scenario>> = RwLock::new(Vec::new());

/// Makes `scenarios` this process's registry. Names must be unique: a
/// name registered twice would make a printed replay line ambiguous.
pub fn set(scenarios: Vec<Scenario>) {
    let mut names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("scenario {:?} is registered twice", w[0]);
    }
    *REGISTRY
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = scenarios;
}

/// Every registered scenario, in registration order.
pub fn all() -> Vec<Scenario> {
    REGISTRY
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// The scenarios `pattern` selects (see [`crate::select`]), or an error
/// naming the pattern.
pub fn find(pattern: &str) -> Result<Vec<Scenario>, String> {
    crate::select::select(&all(), pattern)
}
