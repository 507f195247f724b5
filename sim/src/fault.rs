//! Fault points: every place where the simulation may inject a fault asks
//! here, so that a run can report which faults fired (coverage) and a replay
//! can switch individual faults off (shrinking).
//!
//! A fault point draws its decision from the seeded RNG as usual and passes it
//! in; the decision is then counted and, if the active mask says so,
//! suppressed. The draw happens either way, so suppressing one fault does not
//! shift the random stream of everything after it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// One fault that fired: its kind and its sequence number within that kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FaultId {
    pub kind: String,
    pub seq: u64,
}

/// A fault that fired during a run, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fired {
    pub id: FaultId,
    pub at: Duration,
}

#[derive(Default)]
struct FaultState {
    next_seq: BTreeMap<String, u64>,
    fired: Vec<Fired>,
    suppressed: BTreeSet<FaultId>,
    suppressed_hits: u64,
}

thread_local! {
    static STATE: RefCell<FaultState> = RefCell::new(FaultState::default());
}

/// Decides one fault point: returns whether the fault `kind` happens, given
/// the seeded decision `fires`.
pub fn decide(kind: &str, fires: bool) -> bool {
    if !fires {
        return false;
    }
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let seq = s.next_seq.entry(kind.to_string()).or_insert(0);
        let id = FaultId {
            kind: kind.to_string(),
            seq: *seq,
        };
        *seq += 1;
        if s.suppressed.contains(&id) {
            s.suppressed_hits += 1;
            return false;
        }
        let at = madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed())
            .unwrap_or_default();
        s.fired.push(Fired { id, at });
        true
    })
}

/// Resets the thread's fault state for a new run with the given suppressions.
pub(crate) fn begin(suppressed: BTreeSet<FaultId>) {
    STATE.with(|s| {
        *s.borrow_mut() = FaultState {
            suppressed,
            ..FaultState::default()
        }
    });
}

/// What the run's fault points did: the faults that fired, and how many
/// suppressed faults were reached.
pub(crate) fn end() -> (Vec<Fired>, u64) {
    STATE.with(|s| {
        let s = std::mem::take(&mut *s.borrow_mut());
        (s.fired, s.suppressed_hits)
    })
}

/// Counts of fired faults per kind.
pub fn coverage(fired: &[Fired]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for f in fired {
        *counts.entry(f.id.kind.clone()).or_insert(0) += 1;
    }
    counts
}
