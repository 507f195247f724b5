//! The investigation path on a small planted bug, independent of any system:
//! `demo/rpc/lossy_counter`, a counter server that is not idempotent and a
//! client that retries until it gets a reply (see scenarios/src/demo.rs).
//!
//! Checks: a sweep finds a failing seed; shrink keeps exactly the dropped
//! replies that matter (one suffices) and drops the rest; the shrunk plan
//! replays to the same failure; bisect names an instant well before the test
//! noticed; a plan that no longer applies is recognised; the timeline draws
//! the run.

use std::time::Duration;

use sim::dst::investigate;
use sim::fault::{plan_applies, FaultId};
use sim::{RunOptions, Scenario};

fn scenario() -> Scenario {
    scenarios::select("demo/rpc/lossy_counter").remove(0)
}

fn first_failing_seed(s: &Scenario) -> sim::RunResult {
    (0..50)
        .map(|seed| sim::run(s, seed, &RunOptions::default()))
        .find(|r| !r.passed())
        .expect("the planted bug must fail within seeds 0..50")
}

#[test]
fn shrink_then_bisect_a_planted_bug() {
    let s = scenario();
    let failing = first_failing_seed(&s);
    println!("failing seed: {}", failing.seed);
    let before = failing.faults.len();
    assert!(
        before > 3,
        "an unreliable run injects many faults, got {before}"
    );

    let shrunk = investigate::shrink(&s, &failing, |_, _| {}).expect("shrinks");
    let kept = &shrunk.plan.faults;
    println!(
        "shrink: {before} → {} faults in {} replays",
        kept.len(),
        shrunk.replays
    );
    assert_eq!(kept.len(), 1, "one dropped reply is enough: {kept:?}");
    assert_eq!(
        kept[0].id.kind, "drop_reply",
        "only a lost reply causes a double apply"
    );

    // The minimal plan replays to the same failure.
    let replay = investigate::run_with_plan(&s, failing.seed, &shrunk.plan.fault_set());
    let signature = replay.failure().map(|f| f.signature());
    assert_eq!(signature, shrunk.plan.signature);
    assert_eq!(replay.faults.len(), 1, "exactly the planned fault happens");

    // Bisect: the probe fails right after the lost reply, long before the
    // test's own check at 20 s.
    let plan = shrunk.plan.fault_set();
    let found =
        investigate::bisect(&s, &replay, Some(&plan), Duration::from_millis(1)).expect("bisects");
    let fault_at = sim::fault::at(&replay.faults[0]);
    assert_eq!(
        replay.faults, shrunk.plan.faults,
        "the plan records its faults' replay times"
    );
    println!(
        "bisect: inconsistent at {:?}, fault at {fault_at:?}, noticed at {:?}",
        found.instant, found.noticed
    );
    assert!(found.noticed >= Duration::from_secs(20));
    assert!(
        found.instant >= fault_at,
        "cannot be inconsistent before the fault"
    );
    assert!(
        found.instant < fault_at + Duration::from_millis(200),
        "the retry follows within ~100 ms"
    );
    assert_eq!(found.probes.len(), 1, "{:?}", found.probes);

    // The timeline draws the run, with the failure marked.
    let model = sim::dst::timeline::Model::of(&replay);
    assert!(
        model.rpcs.iter().any(|r| r.outcome == "reply dropped"),
        "the dropped reply is drawn"
    );
    let failure = model.failure.as_ref().expect("the failure is marked");
    assert!(failure.message.contains("counter is"));
    let html = sim::dst::timeline::render(&replay);
    assert!(html.contains("demo/rpc/lossy_counter"));
    assert!(
        html.contains(r#"id="failure-text""#) && html.contains("counter is"),
        "the failure is a banner on the page"
    );
}

#[test]
fn a_plan_that_names_unreached_fault_points_does_not_apply() {
    let s = scenario();
    let r = sim::run(&s, 3, &RunOptions::default());
    let mut plan: std::collections::BTreeSet<FaultId> =
        r.faults.iter().map(|f| f.id.clone()).collect();
    assert!(plan_applies(&plan, &r.fault_points));
    plan.insert(FaultId {
        kind: "drop_reply".into(),
        seq: 1_000_000,
    });
    assert!(!plan_applies(&plan, &r.fault_points));
    plan.insert(FaultId {
        kind: "no_such_kind".into(),
        seq: 0,
    });
    assert!(!plan_applies(&plan, &r.fault_points));
}

#[test]
fn a_recorded_plan_replays_the_seeded_run_exactly() {
    let s = scenario();
    let seeded = sim::run(&s, 5, &RunOptions::default());
    let plan = seeded.faults.iter().map(|f| f.id.clone()).collect();
    let replayed = investigate::run_with_plan(&s, 5, &plan);
    assert_eq!(seeded.trace_hash, replayed.trace_hash);
}
