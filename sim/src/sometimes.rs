//! "Sometimes" events: things a scenario must see happen on some seeds, or
//! its passes prove less than they claim (stateright's `sometimes`).
//!
//! Why: a sweep that is all green because the partition never caught the
//! leader, or no worker ever crashed holding a task, is a false green. A
//! scenario declares its events up front ([`crate::Scenario::sometimes`]),
//! so that an event with no hit at all can still be named; its checker code
//! calls [`hit`] (or [`sometimes`]) when one happens. A run records how many
//! times each event happened ([`crate::RunResult::sometimes`]), and a sweep
//! reports every declared event that never happened in any of its runs.
//!
//! Hits change nothing in the run: no randomness, no trace line, so a
//! declaration never moves a trace hash.

use std::cell::RefCell;
use std::collections::BTreeMap;

thread_local! {
    /// This thread's run's hits, per event (None outside a run).
    static HITS: RefCell<Option<BTreeMap<&'static str, u64>>> = const { RefCell::new(None) };
}

/// Records that `event` happened in this run. Outside a run, does nothing.
pub fn hit(event: &'static str) {
    HITS.with(|h| {
        if let Some(hits) = h.borrow_mut().as_mut() {
            *hits.entry(event).or_insert(0) += 1;
        }
    });
}

/// Records `event` if `condition` holds; returns `condition`, so that it
/// reads inline: `if sometimes("...", a != b) { ... }`.
pub fn sometimes(event: &'static str, condition: bool) -> bool {
    if condition {
        hit(event);
    }
    condition
}

/// Starts counting for a new run on this thread.
pub(crate) fn begin() {
    HITS.with(|h| *h.borrow_mut() = Some(BTreeMap::new()));
}

/// The run's hits per event, and stops counting.
pub(crate) fn end() -> BTreeMap<String, u64> {
    HITS.with(|h| h.borrow_mut().take())
        .unwrap_or_default()
        .into_iter()
        .map(|(event, n)| (event.to_string(), n))
        .collect()
}

/// The events of `declared` that no run of `hits` saw: what a sweep must
/// report loudly.
pub fn never<'a>(declared: &[&'a str], hits: &BTreeMap<String, u64>) -> Vec<&'a str> {
    declared
        .iter()
        .copied()
        .filter(|event| hits.get(*event).is_none_or(|&n| n == 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_count_only_inside_a_run() {
        hit("outside");
        begin();
        hit("a");
        assert!(sometimes("a", true));
        assert!(!sometimes("b", false));
        let hits = end();
        assert_eq!(hits, BTreeMap::from([("a".to_string(), 2)]));
        hit("after");
        begin();
        assert!(end().is_empty(), "a new run starts from nothing");
    }

    #[test]
    fn never_names_the_declared_events_without_a_hit() {
        let hits = BTreeMap::from([("a".to_string(), 3), ("c".to_string(), 0)]);
        assert_eq!(never(&["a", "b", "c"], &hits), vec!["b", "c"]);
        assert!(never(&["a"], &hits).is_empty());
    }
}
