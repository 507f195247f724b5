//! The random-schedule checker of `systems/raft/tests` has teeth: each
//! planted Raft variant (`scenarios::planted::raft`: the real core with one
//! rule of Figure 2 replaced) is caught, as a safety violation or as one of
//! the core's own assertions, within the first 300 seeds. It lives here,
//! with the variants, so that the raft crate holds no planted mistake.

#[path = "../../systems/raft/tests/common/mod.rs"]
mod common;
#[path = "../../systems/raft/tests/schedules/mod.rs"]
mod schedules;

use raft::Rules;
use scenarios::planted::raft::{CountAnyTerm, KeepSuffix};

/// The first seed whose schedule, on cores following `R`, breaks a
/// property or trips an assertion.
fn first_caught<R: Rules>() -> Option<u64> {
    (0..300).find(|&seed| {
        let peer_count = [3, 5][seed as usize % 2];
        let run = std::panic::catch_unwind(|| {
            schedules::run_schedule::<R>(seed, peer_count, 3000, |_| {})
        });
        if let Ok(Err(violation)) = &run {
            eprintln!("{} seed {seed}: {violation}", std::any::type_name::<R>());
        }
        !matches!(run, Ok(Ok(_)))
    })
}

#[test]
fn random_schedules_catch_commit_by_counting() {
    let caught = first_caught::<CountAnyTerm>();
    eprintln!("caught at seed {caught:?}");
    assert!(
        caught.is_some(),
        "counting old-term replicas escaped 300 seeds"
    );
}

#[test]
fn random_schedules_catch_kept_conflicting_entries() {
    let caught = first_caught::<KeepSuffix>();
    eprintln!("caught at seed {caught:?}");
    assert!(
        caught.is_some(),
        "keeping conflicting entries escaped 300 seeds"
    );
}
