//! State inspectors and consistency probes that a system or scenario
//! registers for the run in progress.
//!
//! - An *inspector* renders some state as text: printed by `dst run --until T
//!   --dump`, and attached to a DEADLOCK report (e.g. which operations wait
//!   for which lock).
//! - A *probe* is a global consistency predicate over all nodes' state
//!   (e.g. "no two servers committed different entries at one index"):
//!   `dst bisect` evaluates it at chosen virtual instants.
//!
//! Both are kept per run thread and must not need the runtime: they read
//! shared state the scenario keeps in `Arc`s.

use std::cell::RefCell;

type Inspector = Box<dyn Fn() -> String>;
type Probe = Box<dyn Fn() -> Result<(), String>>;

thread_local! {
    static INSPECTORS: RefCell<Vec<(String, Inspector)>> = RefCell::new(Vec::new());
    static PROBES: RefCell<Vec<(String, Probe)>> = RefCell::new(Vec::new());
}

/// Registers an inspector named `name` for the current run.
pub fn inspector(name: &str, f: impl Fn() -> String + 'static) {
    INSPECTORS.with(|i| i.borrow_mut().push((name.to_string(), Box::new(f))));
}

/// Registers a consistency probe named `name` for the current run.
pub fn probe(name: &str, f: impl Fn() -> Result<(), String> + 'static) {
    PROBES.with(|p| p.borrow_mut().push((name.to_string(), Box::new(f))));
}

/// Every inspector's rendering, in registration order.
pub fn dump() -> Vec<(String, String)> {
    INSPECTORS.with(|i| i.borrow().iter().map(|(n, f)| (n.clone(), f())).collect())
}

/// The probes that fail now, with their messages.
pub fn failing_probes() -> Vec<(String, String)> {
    PROBES.with(|p| {
        p.borrow()
            .iter()
            .filter_map(|(n, f)| f().err().map(|e| (n.clone(), e)))
            .collect()
    })
}

/// Whether any probe is registered.
pub fn has_probes() -> bool {
    PROBES.with(|p| !p.borrow().is_empty())
}

pub(crate) fn clear() {
    INSPECTORS.with(|i| i.borrow_mut().clear());
    PROBES.with(|p| p.borrow_mut().clear());
}
