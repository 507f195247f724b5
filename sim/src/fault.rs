//! Fault points: every place where the simulation may inject a fault asks
//! here, so that a run can report which faults fired (coverage), record them
//! as a plan, replay a plan, and switch individual faults off (shrinking).
//!
//! A fault is named by its kind and its sequence number within that kind
//! (`drop_reply#17`: the 18th time a reply could have been dropped and was).
//! A fault point still draws its decision from the seeded RNG and passes it
//! in, so replaying a plan consumes the same random numbers as the recorded
//! run: with unchanged code a plan replays the recorded run exactly, and
//! after a code change it still injects the same faults at the same points.
//!
//! Fault points today: `drop_request`, `drop_reply`, `long_reorder` (RPC),
//! `crash` (node::crash), `isolate`, `cut_link`, `partition` (net); opt-in
//! (a scenario turns them on): `duplicate_request`, `reorder_request`,
//! `slow_node`, `one_way_partition` (net) and `crash_point` (crash points).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// One fault: its kind and its sequence number within that kind.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FaultId {
    pub kind: String,
    pub seq: u64,
}

impl std::fmt::Display for FaultId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}#{}", self.kind, self.seq)
    }
}

/// A fault that fired during a run, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    pub id: FaultId,
    /// Virtual time in microseconds.
    pub at_us: u64,
}

/// How the run's fault points decide.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// As the seed says.
    #[default]
    Seeded,
    /// Exactly these faults happen, and no others.
    Plan(BTreeSet<FaultId>),
}

#[derive(Default)]
struct FaultState {
    mode: Mode,
    /// Fault points reached per kind, fired or not: a fault's sequence
    /// number is its point's, so the numbering does not depend on which
    /// faults fired and a plan can switch any of them on or off.
    next_seq: BTreeMap<&'static str, u64>,
    fired: Vec<Fired>,
}

thread_local! {
    static STATE: RefCell<FaultState> = RefCell::new(FaultState::default());
}

/// Every kind of fault point, as plans and coverage name them.
pub const KINDS: [&str; 12] = [
    "drop_request",
    "drop_reply",
    "long_reorder",
    "crash",
    "isolate",
    "cut_link",
    "partition",
    "duplicate_request",
    "reorder_request",
    "slow_node",
    "one_way_partition",
    "crash_point",
];

/// Decides one fault point: whether the fault `kind` happens, given the
/// seeded decision `fires`.
pub fn decide(kind: &'static str, fires: bool) -> bool {
    inject(kind, fires).is_some()
}

/// Like [`decide`], naming the fault that happens, so that the trace line
/// that shows it can carry the same name as plans and `dst shrink` do.
pub fn inject(kind: &'static str, fires: bool) -> Option<FaultId> {
    debug_assert!(KINDS.contains(&kind), "unknown fault kind {kind:?}");
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let slot = s.next_seq.entry(kind).or_insert(0);
        let seq = *slot;
        *slot += 1;
        let happens = match &s.mode {
            Mode::Seeded => fires,
            Mode::Plan(on) => on.contains(&FaultId {
                kind: kind.to_string(),
                seq,
            }),
        };
        if !happens {
            return None;
        }
        let at_us = madsim::time::TimeHandle::try_current()
            .map(|t| t.elapsed().as_micros() as u64)
            .unwrap_or_default();
        let id = FaultId {
            kind: kind.to_string(),
            seq,
        };
        s.fired.push(Fired {
            id: id.clone(),
            at_us,
        });
        Some(id)
    })
}

/// Resets the thread's fault state for a new run.
pub(crate) fn begin(mode: Mode) {
    STATE.with(|s| {
        *s.borrow_mut() = FaultState {
            mode,
            ..FaultState::default()
        }
    });
}

/// The faults that fired, and the points reached per kind.
pub(crate) fn end() -> (Vec<Fired>, BTreeMap<String, u64>) {
    STATE.with(|s| {
        let s = std::mem::take(&mut *s.borrow_mut());
        let reached = s
            .next_seq
            .into_iter()
            .map(|(k, n)| (k.to_string(), n))
            .collect();
        (s.fired, reached)
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

/// A recorded fault plan: the scenario, the seed (for everything that is not
/// a fault: scheduling, timeouts, workload) and the faults that happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub scenario: String,
    pub seed: u64,
    /// The faults that happen, numbered by fault point.
    pub faults: Vec<Fired>,
    /// The failure signature of the recorded run, if it failed.
    pub signature: Option<String>,
}

impl Plan {
    /// The set of faults the plan injects.
    pub fn fault_set(&self) -> BTreeSet<FaultId> {
        self.faults.iter().map(|f| f.id.clone()).collect()
    }

    /// Reads a plan file, with an error naming the file and the problem: a
    /// fault of a kind no fault point has (a typo) is malformed, not a
    /// fault point that "no longer exists".
    pub fn load(path: &std::path::Path) -> Result<Plan, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read plan {}: {e}", path.display()))?;
        let plan: Plan = serde_json::from_str(&text)
            .map_err(|e| format!("malformed plan {}: {e}", path.display()))?;
        if let Some(bad) = plan
            .faults
            .iter()
            .find(|f| !KINDS.contains(&f.id.kind.as_str()))
        {
            return Err(format!(
                "malformed plan {}: unknown fault kind {:?} in {} (known kinds: {})",
                path.display(),
                bad.id.kind,
                bad.id,
                KINDS.join(", ")
            ));
        }
        Ok(plan)
    }

    /// Writes the plan through a temporary file and a rename, so that a
    /// failed write never leaves a partial plan.
    pub fn save(&self, path: &std::path::Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self).expect("plans serialize") + "\n";
        let temp = path.with_extension("partial");
        std::fs::write(&temp, text)
            .and_then(|()| std::fs::rename(&temp, path))
            .map_err(|e| {
                let _ = std::fs::remove_file(&temp);
                format!("cannot write plan {}: {e}", path.display())
            })
    }
}

/// Whether a run reached every fault a plan asks for: a plan "applies" to
/// the code under test when each planned fault point still exists.
pub fn plan_applies(plan: &BTreeSet<FaultId>, reached: &BTreeMap<String, u64>) -> bool {
    plan.iter()
        .all(|id| reached.get(&id.kind).is_some_and(|&n| id.seq < n))
}

/// The virtual time of a fired fault.
pub fn at(f: &Fired) -> Duration {
    Duration::from_micros(f.at_us)
}
