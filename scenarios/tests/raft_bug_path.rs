//! The investigation path on a real protocol bug: `demo/raft/stale_commit`,
//! TestFigure84B on a Raft whose leader commits an entry of an older term by
//! counting its replicas (the paper's Figure 8), with only config.go's own
//! checks on (see `scenarios::raft::stale_commit_demo`).
//!
//! Checks: a sweep over seeds 0..50 finds a failing seed; shrink drops
//! crashes and isolations that do not matter and the shrunk plan replays to
//! the same failure; bisect, with the "committed entries survive" probe,
//! names an instant strictly before the test noticed; the timeline draws the
//! run with the failure and the crashes.

use std::time::Duration;

use sim::dst::investigate;
use sim::{RunOptions, Scenario};

fn scenario() -> Scenario {
    scenarios::select("demo/raft/stale_commit").remove(0)
}

#[test]
fn sweep_shrink_bisect_and_draw_a_stale_commit() {
    let s = scenario();
    let failing = (0..50)
        .map(|seed| sim::run(&s, seed, &RunOptions::default()))
        .find(|r| !r.passed())
        .expect("the planted bug must fail within seeds 0..50");
    let failure = failing.failure().expect("failed").clone();
    println!("failing seed: {} :: {}", failing.seed, failure.message);
    assert!(
        failure.message.contains("apply error") || failure.message.contains("committed values"),
        "config.go's own checks notice the bug: {}",
        failure.message
    );
    let before = failing.faults.len();
    assert!(before > 10, "figure8 crashes servers many times: {before}");
    assert!(failing.faults.iter().any(|f| f.id.kind == "crash"));

    // (b) Shrink: fewer faults, same failure.
    let shrunk = investigate::shrink(&s, &failing, |_, _| {}).expect("shrinks");
    let kept = shrunk.plan.faults.len();
    println!(
        "shrink: {before} → {kept} faults in {} replays",
        shrunk.replays
    );
    assert!(kept < before, "shrink removed nothing: {before} → {kept}");
    let plan = shrunk.plan.fault_set();
    let replay = investigate::run_with_plan(&s, failing.seed, &plan);
    assert_eq!(
        replay.failure().map(|f| f.signature()),
        Some(failure.signature()),
        "the shrunk plan fails the same way"
    );
    assert_eq!(
        replay.faults.len(),
        kept,
        "exactly the planned faults happen"
    );

    // (c) Bisect: the probe fails strictly before the applier noticed.
    let found =
        investigate::bisect(&s, &replay, Some(&plan), Duration::from_micros(100)).expect("bisects");
    println!(
        "bisect: inconsistent at {:?}, noticed at {:?} ({} replays)",
        found.instant, found.noticed, found.replays
    );
    assert!(
        found.instant < found.noticed,
        "bisect must name an instant before the test noticed: {:?} vs {:?}",
        found.instant,
        found.noticed
    );
    assert_eq!(found.probes.len(), 1, "{:?}", found.probes);
    let (name, message) = &found.probes[0];
    println!("probe {name}: {message}");
    assert!(name.contains("committed entries survive"), "{name}");
    assert!(
        !found.at_instant.failed(),
        "at that instant the test itself has not failed yet"
    );

    // (d) The timeline draws it: the failure and the crashes.
    let model = sim::dst::timeline::Model::of(&replay);
    let failure = model.failure.as_ref().expect("the failure is marked");
    assert!(
        failure.message.contains("apply error"),
        "{}",
        failure.message
    );
    assert!(
        model.outages.iter().any(|o| o.what == "crashed"),
        "crashes are drawn as bands"
    );
    let html = sim::dst::timeline::render(&replay);
    assert!(html.contains("demo/raft/stale_commit"));
    assert!(html.contains(r#"id="failure-text""#) && html.contains("apply error"));
}
