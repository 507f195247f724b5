//! Turning a failing seed into an understood bug: shrinking its faults and
//! bisecting the instant its consistency probe first fails. Library code, so
//! that tests drive the same logic as `dst shrink` and `dst bisect`.

use std::collections::BTreeSet;
use std::time::Duration;

use sim::fault::{FaultId, Plan};
use sim::{RunOptions, RunResult, Scenario};

/// Runs `scenario` on `seed` with exactly the faults in `plan`.
pub fn run_with_plan(scenario: &Scenario, seed: u64, plan: &BTreeSet<FaultId>) -> RunResult {
    let options = RunOptions {
        plan: Some(plan.clone()),
        ..RunOptions::default()
    };
    sim::run(scenario, seed, &options)
}

/// What shrinking found.
pub struct Shrunk {
    pub plan: Plan,
    pub original_faults: usize,
    pub replays: usize,
}

/// Delta debugging (Zeller's ddmin) over the faults of a failing run: keeps
/// removing sets of faults while the run still fails with the same
/// signature, then single faults until none can go. `progress` is told of
/// every replay.
pub fn shrink(
    scenario: &Scenario,
    failing: &RunResult,
    mut progress: impl FnMut(usize, usize),
) -> Result<Shrunk, String> {
    let signature = failing.failure().map(|f| f.signature()).ok_or_else(|| {
        format!(
            "{} passes on seed {}: nothing to shrink",
            scenario.name, failing.seed
        )
    })?;
    let seed = failing.seed;
    let mut replays = 0;
    let mut still_fails = |faults: &[FaultId]| -> bool {
        replays += 1;
        let set: BTreeSet<FaultId> = faults.iter().cloned().collect();
        let r = run_with_plan(scenario, seed, &set);
        progress(replays, faults.len());
        r.failure().is_some_and(|f| f.signature() == signature)
    };
    let original: Vec<FaultId> = failing.faults.iter().map(|f| f.id.clone()).collect();
    if !still_fails(&original) {
        return Err(format!(
            "replaying the recorded faults of seed {seed} does not reproduce the failure; \
             the failure may depend on something other than the injected faults"
        ));
    }
    let mut faults = original.clone();
    if !faults.is_empty() && still_fails(&[]) {
        faults.clear();
    }
    let mut chunks = 2;
    while faults.len() >= 2 {
        let size = faults.len().div_ceil(chunks);
        let mut reduced = false;
        for start in (0..faults.len()).step_by(size) {
            let complement: Vec<FaultId> = faults[..start]
                .iter()
                .chain(faults[(start + size).min(faults.len())..].iter())
                .cloned()
                .collect();
            if still_fails(&complement) {
                faults = complement;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if chunks >= faults.len() {
                break;
            }
            chunks = (chunks * 2).min(faults.len());
        }
    }
    // 1-minimal: no single fault can go.
    let mut i = 0;
    while i < faults.len() {
        let mut without = faults.clone();
        without.remove(i);
        if still_fails(&without) {
            faults = without;
        } else {
            i += 1;
        }
    }
    // Replay the minimal plan once more for the faults' times in *that* run:
    // with the other faults gone, the schedule (and so every time) shifts.
    let kept: BTreeSet<FaultId> = faults.into_iter().collect();
    let fired = run_with_plan(scenario, seed, &kept).faults;
    replays += 1;
    assert_eq!(fired.len(), kept.len(), "a plan injects exactly its faults");
    Ok(Shrunk {
        plan: Plan {
            scenario: scenario.name.to_string(),
            seed,
            faults: fired,
            signature: Some(signature),
        },
        original_faults: original.len(),
        replays,
    })
}

/// What bisecting found.
pub struct Bisected {
    /// The earliest instant (to `resolution`) at which the run is bad.
    pub instant: Duration,
    /// When the scenario itself noticed the failure.
    pub noticed: Duration,
    /// The probes failing at `instant` (empty if the first bad state is the
    /// test's own failure).
    pub probes: Vec<(String, String)>,
    /// The run stopped at `instant`.
    pub at_instant: RunResult,
    pub replays: usize,
}

/// Binary-searches, by replaying the same seed (and plan) stopped at
/// different virtual instants, the earliest instant at which the scenario's
/// consistency probes fail (or the run has failed).
pub fn bisect(
    scenario: &Scenario,
    failing: &RunResult,
    plan: Option<&BTreeSet<FaultId>>,
    resolution: Duration,
) -> Result<Bisected, String> {
    if !failing.failed() {
        return Err(format!(
            "{} passes on seed {}: nothing to bisect",
            scenario.name, failing.seed
        ));
    }
    let stopped = |t: Duration| {
        let options = RunOptions {
            until: Some(t),
            plan: plan.cloned(),
            ..RunOptions::default()
        };
        sim::run(scenario, failing.seed, &options)
    };
    let bad = |r: &RunResult| r.failed() || !r.failing_probes.is_empty();
    let noticed = failing.virtual_time;
    let probe_check = stopped(Duration::ZERO);
    if !probe_check.has_probes {
        return Err(format!(
            "{} registers no consistency probe (sim::inspect::probe); bisect needs one",
            scenario.name
        ));
    }
    let mut replays = 1;
    let (mut lo, mut hi) = (Duration::ZERO, noticed);
    let mut at_hi = None;
    while hi.saturating_sub(lo) > resolution {
        let mid = lo + (hi - lo) / 2;
        let r = stopped(mid);
        replays += 1;
        if bad(&r) {
            hi = mid;
            at_hi = Some(r);
        } else {
            lo = mid;
        }
    }
    let at_instant = match at_hi {
        Some(r) => r,
        None => {
            replays += 1;
            stopped(hi)
        }
    };
    Ok(Bisected {
        instant: hi,
        noticed,
        probes: at_instant.failing_probes.clone(),
        at_instant,
        replays,
    })
}
