//! Every planted bug, with the scenarios that must catch it and the way
//! those scenarios explore: what `dst catch` measures (how many seeds each
//! bug needs before one of its scenarios fails).
//!
//! A bug runs under its whole suite, registered for the buggy
//! implementation like any other (`raft::suite::<Variant>(...)`), because
//! that is what a user's sweep runs; seeds to catch is then "the seeds of a
//! sweep of the suite until it goes red". Adding a bug is one line in
//! [`catalogue`]: its name, its strategy, and a function returning its
//! scenarios.

use sim::Scenario;

use super::{bank, bank_swarm, mapreduce, raft, weather};

/// One planted bug under one exploration strategy.
#[derive(Clone)]
pub struct PlantedBug {
    /// `system/bug`, e.g. `raft/commit_previous_term_by_counting`.
    pub name: &'static str,
    /// How its scenarios explore (one bug may appear under several, to
    /// compare them): see [`strategy`].
    pub strategy: &'static str,
    /// The scenarios a sweep of it runs, each seed in this order.
    pub scenarios: fn() -> Vec<Scenario>,
}

impl PlantedBug {
    pub const fn new(
        name: &'static str,
        strategy: &'static str,
        scenarios: fn() -> Vec<Scenario>,
    ) -> Self {
        PlantedBug {
            name,
            strategy,
            scenarios,
        }
    }
}

/// The strategies today's suites use.
pub mod strategy {
    /// The course's tests with the seed choosing message order, delays,
    /// losses and crash instants, plus the swarm scenarios (the seed draws
    /// the fault mix).
    pub const SEEDED_FAULTS: &str = "seeded faults + swarm";
    /// Random yields at the bank's steps (`Jitter`), madsim's seeded pick
    /// among ready tasks.
    pub const RANDOM_YIELDS: &str = "random yields";
    /// Seeded station delays and silences.
    pub const SEEDED_DELAYS: &str = "seeded delays";
    /// The crash app's seeded crashes and stalls of workers.
    pub const SEEDED_CRASHES: &str = "seeded crashes";
    /// PCT at the bank's steps (`bank_api::pct`), alone: the bank swarm's
    /// `swarm/pct` scenario, whose workloads `swarm/yields` shares.
    pub const PCT: &str = "pct";
}

use strategy::*;

/// The `planted/...` scenarios of `suite` registered under `planted/<bug>`.
fn under(bug: &str, suite: fn(&str) -> Vec<Scenario>) -> Vec<Scenario> {
    suite(&format!("planted/{bug}"))
}

/// The scenarios of `suite` whose names contain one of `parts`.
fn only(suite: Vec<Scenario>, parts: &[&str]) -> Vec<Scenario> {
    suite
        .into_iter()
        .filter(|s| parts.iter().any(|p| s.name.contains(p)))
        .collect()
}

/// The bank swarm for `bank` scheduled by random yields only
/// (`swarm/yields`) or by PCT only (`swarm/pct`): the two run the same
/// drawn workloads, so their seeds to catch compare the strategies. (The
/// ported scenarios cannot catch these bugs and cost about a second a run:
/// with them, a bug random yields need 500 seeds for took over an hour.)
fn bank_by<B: bank_api::BankApi>(bug: &str, pct: bool) -> Vec<Scenario> {
    let suite = under(bug, crate::bank::suite::<B>);
    only(suite, &[if pct { "/swarm/pct" } else { "/swarm/yields" }])
}

/// The demo scenario `name` (the demos are planted bugs too), this
/// project's or the framework's.
fn demo(name: &str) -> Vec<Scenario> {
    crate::demo::scenarios()
        .into_iter()
        .chain(sim::selftest::scenarios())
        .filter(|s| s.name == name)
        .collect()
}

/// Every planted bug, in a stable order.
pub fn catalogue() -> Vec<PlantedBug> {
    use crate::bank::suite as bank_suite;
    use crate::mapreduce::suite as mr_suite;
    use crate::raft::suite as raft_suite;
    use crate::weather::aggregator_suite as weather_suite;
    vec![
        // Raft: one rule of Figure 2 replaced, or a shell that misbehaves.
        PlantedBug::new(
            "raft/commit_previous_term_by_counting",
            SEEDED_FAULTS,
            || {
                under(
                    "raft/commit_previous_term_by_counting",
                    raft_suite::<raft::CommitPreviousTermByCounting>,
                )
            },
        ),
        PlantedBug::new("raft/keep_conflicting_entries", SEEDED_FAULTS, || {
            under(
                "raft/keep_conflicting_entries",
                raft_suite::<raft::KeepConflictingEntries>,
            )
        }),
        PlantedBug::new("raft/misnumbered_non_command", SEEDED_FAULTS, || {
            under(
                "raft/misnumbered_non_command",
                raft_suite::<raft::MisnumberedNonCommand>,
            )
        }),
        // These two need the faults beyond labrpc's: a stale request
        // delivered late (duplicates, request reordering), a crash point
        // between a state change and its save.
        PlantedBug::new("raft/truncate_on_any_append", SEEDED_FAULTS, || {
            under(
                "raft/truncate_on_any_append",
                raft_suite::<raft::TruncateOnAnyAppend>,
            )
        }),
        PlantedBug::new("raft/write_behind", SEEDED_FAULTS, || {
            under("raft/write_behind", raft_suite::<raft::WriteBehind>)
        }),
        PlantedBug::new("raft/stale_commit_demo", SEEDED_FAULTS, || {
            demo("demo/raft/stale_commit")
        }),
        PlantedBug::new("rpc/lossy_counter_demo", SEEDED_FAULTS, || {
            demo("demo/rpc/lossy_counter")
        }),
        // MapReduce: a coordinator or a worker with one mistake.
        PlantedBug::new("mapreduce/never_reissue", SEEDED_CRASHES, || {
            under(
                "mapreduce/never_reissue",
                mr_suite::<mapreduce::NeverReissue>,
            )
        }),
        PlantedBug::new("mapreduce/reissue_too_early", SEEDED_CRASHES, || {
            under(
                "mapreduce/reissue_too_early",
                mr_suite::<mapreduce::ReissueTooEarly>,
            )
        }),
        PlantedBug::new("mapreduce/done_when_all_issued", SEEDED_CRASHES, || {
            under(
                "mapreduce/done_when_all_issued",
                mr_suite::<mapreduce::DoneWhenAllIssued>,
            )
        }),
        PlantedBug::new("mapreduce/in_place_writes", SEEDED_CRASHES, || {
            under(
                "mapreduce/in_place_writes",
                mr_suite::<mapreduce::InPlaceWrites>,
            )
        }),
        PlantedBug::new("mapreduce/partition_by_file", SEEDED_CRASHES, || {
            under(
                "mapreduce/partition_by_file",
                mr_suite::<mapreduce::PartitionByFile>,
            )
        }),
        PlantedBug::new("mapreduce/exit_when_idle", SEEDED_CRASHES, || {
            under(
                "mapreduce/exit_when_idle",
                mr_suite::<mapreduce::ExitWhenIdle>,
            )
        }),
        PlantedBug::new("mapreduce/bounded_buckets", SEEDED_CRASHES, || {
            under(
                "mapreduce/bounded_buckets",
                mr_suite::<mapreduce::BoundedBuckets>,
            )
        }),
        PlantedBug::new("mapreduce/ten_buckets", SEEDED_CRASHES, || {
            under("mapreduce/ten_buckets", mr_suite::<mapreduce::TenBuckets>)
        }),
        // Bank: the HW2 starter's four bugs and a lost update.
        PlantedBug::new("bank/withdraw_keeps_lock", RANDOM_YIELDS, || {
            under(
                "bank/withdraw_keeps_lock",
                bank_suite::<bank::Buggy<{ bank::WITHDRAW_KEEPS_LOCK }>>,
            )
        }),
        PlantedBug::new("bank/transfer_sender_first", RANDOM_YIELDS, || {
            under(
                "bank/transfer_sender_first",
                bank_suite::<bank::Buggy<{ bank::TRANSFER_SENDER_FIRST }>>,
            )
        }),
        PlantedBug::new(
            "bank/deposit_and_compare_locks_twice",
            RANDOM_YIELDS,
            || {
                under(
                    "bank/deposit_and_compare_locks_twice",
                    bank_suite::<bank::Buggy<{ bank::DEPOSIT_AND_COMPARE_LOCKS_TWICE }>>,
                )
            },
        ),
        PlantedBug::new("bank/balance_without_table_lock", RANDOM_YIELDS, || {
            under(
                "bank/balance_without_table_lock",
                bank_suite::<bank::Buggy<{ bank::BALANCE_WITHOUT_TABLE_LOCK }>>,
            )
        }),
        PlantedBug::new("bank/deposit_not_atomic", RANDOM_YIELDS, || {
            under(
                "bank/deposit_not_atomic",
                bank_suite::<bank::Buggy<{ bank::DEPOSIT_NOT_ATOMIC }>>,
            )
        }),
        // Bank swarm: a value no ported test uses, and ordering bugs,
        // each under random yields and under PCT.
        PlantedBug::new("bank/overdraw_ignored", RANDOM_YIELDS, || {
            bank_by::<bank_swarm::OverdrawIgnored>("bank/overdraw_ignored", false)
        }),
        PlantedBug::new("bank/overdraw_ignored", PCT, || {
            bank_by::<bank_swarm::OverdrawIgnored>("bank/overdraw_ignored", true)
        }),
        PlantedBug::new("bank/withdraw_writes_stale", RANDOM_YIELDS, || {
            bank_by::<bank_swarm::WithdrawWritesStale>("bank/withdraw_writes_stale", false)
        }),
        PlantedBug::new("bank/withdraw_writes_stale", PCT, || {
            bank_by::<bank_swarm::WithdrawWritesStale>("bank/withdraw_writes_stale", true)
        }),
        PlantedBug::new("bank/transfer_checks_then_acts", RANDOM_YIELDS, || {
            bank_by::<bank_swarm::TransferChecksThenActs>("bank/transfer_checks_then_acts", false)
        }),
        PlantedBug::new("bank/transfer_checks_then_acts", PCT, || {
            bank_by::<bank_swarm::TransferChecksThenActs>("bank/transfer_checks_then_acts", true)
        }),
        // An ordering bug of the kind PCT is for: a whole operation run
        // inside one stall of a deposit.
        PlantedBug::new("bank/deposit_trusts_quiet_account", RANDOM_YIELDS, || {
            bank_by::<bank_swarm::DepositTrustsQuietAccount>(
                "bank/deposit_trusts_quiet_account",
                false,
            )
        }),
        PlantedBug::new("bank/deposit_trusts_quiet_account", PCT, || {
            bank_by::<bank_swarm::DepositTrustsQuietAccount>(
                "bank/deposit_trusts_quiet_account",
                true,
            )
        }),
        // Weather: aggregators that break one rule of the assignment.
        PlantedBug::new("weather/late_into_next", SEEDED_DELAYS, || {
            under(
                "weather/late_into_next",
                weather_suite::<weather::LateIntoNext>,
            )
        }),
        PlantedBug::new("weather/waits_for_all", SEEDED_DELAYS, || {
            under(
                "weather/waits_for_all",
                weather_suite::<weather::WaitsForAll>,
            )
        }),
        PlantedBug::new("weather/ignores_quit", SEEDED_DELAYS, || {
            under(
                "weather/ignores_quit",
                weather_suite::<weather::IgnoresQuit>,
            )
        }),
        PlantedBug::new("weather/leaks_calls", SEEDED_DELAYS, || {
            under("weather/leaks_calls", weather_suite::<weather::LeaksCalls>)
        }),
        PlantedBug::new("weather/drifts", SEEDED_DELAYS, || {
            under("weather/drifts", weather_suite::<weather::Drifts>)
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bug_has_scenarios_and_a_unique_name_per_strategy() {
        let bugs = catalogue();
        let mut keys: Vec<(&str, &str)> = bugs.iter().map(|b| (b.name, b.strategy)).collect();
        keys.sort_unstable();
        let before = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), before, "a bug listed twice under one strategy");
        for bug in &bugs {
            assert!(
                !(bug.scenarios)().is_empty(),
                "{} has no scenario",
                bug.name
            );
        }
    }
}
