//! Does the bank suite have teeth, and is the bank deterministic?
//!
//! Teeth: the four bugs of the HW2 starter code, each in a small fixture
//! bank that is the real [`Bank`] with that one operation written the
//! starter's way, and a fifth, the lost update that the seeded yields are
//! there to expose. Each is registered through the suite
//! (`scenarios::bank::suite`) under `planted/bank/<bug>/` like any other
//! implementation of the API, and must be caught within seeds 0..100, with the failure the bug should cause (a DEADLOCK
//! whose report names the culprit, or Go's "concurrent map read and map
//! write"). The failing seed is printed.
//!
//! Determinism: for the scenarios whose outcome does not depend on the
//! interleaving, the final balances (the `final` summary hash) must be the
//! same on seeds 0..20, as the assignment demands.

use ::bank::{Bank, BankApi};
use scenarios::planted::bank::{
    Buggy, BALANCE_WITHOUT_TABLE_LOCK, DEPOSIT_AND_COMPARE_LOCKS_TWICE, DEPOSIT_NOT_ATOMIC,
    TRANSFER_SENDER_FIRST, WITHDRAW_KEEPS_LOCK,
};
use sim::{FailureKind, RunOptions, Scenario};

/// A bank and the prefix its suite is registered under.
trait Registered: BankApi {
    const PREFIX: &'static str;
}

impl Registered for Bank {
    const PREFIX: &'static str = "bank";
}

impl<const BUG: u8> Registered for Buggy<BUG> {
    const PREFIX: &'static str = match BUG {
        WITHDRAW_KEEPS_LOCK => "planted/bank/withdraw_keeps_lock",
        TRANSFER_SENDER_FIRST => "planted/bank/transfer_sender_first",
        DEPOSIT_AND_COMPARE_LOCKS_TWICE => "planted/bank/deposit_and_compare_locks_twice",
        BALANCE_WITHOUT_TABLE_LOCK => "planted/bank/balance_without_table_lock",
        DEPOSIT_NOT_ATOMIC => "planted/bank/deposit_not_atomic",
        _ => panic!("no such bug"),
    };
}

/// Scenario `name` (`bank/<test>`) of the suite for bank `B`, registered
/// under `B`'s prefix like any implementation: the real bank under `bank/`,
/// a buggy one under `planted/bank/<bug>/`.
fn scenario<B: Registered>(name: &str) -> Scenario {
    let test = name.strip_prefix("bank/").expect("a bank scenario");
    let full = format!("{}/{test}", B::PREFIX);
    scenarios::bank::suite::<B>(B::PREFIX)
        .into_iter()
        .find(|s| s.name == full)
        .unwrap_or_else(|| panic!("no scenario {full}"))
}

/// Runs scenario `name` on fixture `B` for seeds 0..100 until it fails;
/// checks the failure's kind and that its message contains `evidence`.
fn caught<B: Registered>(bug: &str, name: &str, kind: FailureKind, evidence: &[&str]) {
    let scenario = scenario::<B>(name);
    for seed in 0..100 {
        let result = sim::run(&scenario, seed, &RunOptions::default());
        let Some(failure) = result.failure() else {
            continue;
        };
        println!("{bug}: caught by {name} on seed {seed}: {failure}");
        assert_eq!(failure.kind, kind, "{bug}: wrong failure on seed {seed}");
        for e in evidence {
            assert!(
                failure.message.contains(e),
                "{bug}: seed {seed}'s report lacks {e:?}:\n{failure}"
            );
        }
        return;
    }
    panic!("{bug}: not caught by {name} on seeds 0..100");
}

#[test]
fn withdraw_keeping_its_lock_deadlocks() {
    caught::<Buggy<WITHDRAW_KEEPS_LOCK>>(
        "withdraw keeps its lock when short",
        "bank/many_deposits_and_withdraws",
        FailureKind::Deadlock,
        &["[bank]", "withdraw(", "[returned without releasing it]"],
    );
}

#[test]
fn transfer_locking_sender_first_deadlocks() {
    caught::<Buggy<TRANSFER_SENDER_FIRST>>(
        "transfer locks sender then receiver",
        "bank/few_transfers",
        FailureKind::Deadlock,
        &[
            "[bank]",
            "deadlock cycle: ",
            "transfer(1 -> 0, 1)",
            "transfer(0 -> 1, 2)",
        ],
    );
}

#[test]
fn deposit_and_compare_locking_twice_deadlocks() {
    caught::<Buggy<DEPOSIT_AND_COMPARE_LOCKS_TWICE>>(
        "deposit_and_compare locks twice",
        "bank/deposit_and_compare",
        FailureKind::Deadlock,
        &["[bank]", "deadlock cycle: ", "awaits its nested call #"],
    );
}

#[test]
fn balance_without_table_lock_races_with_creates() {
    caught::<Buggy<BALANCE_WITHOUT_TABLE_LOCK>>(
        "balance reads the table without the table lock",
        "bank/hidden_bonus",
        FailureKind::Panic,
        &[
            "concurrent map read and map write",
            "balance(",
            "create_account(",
        ],
    );
}

#[test]
fn deposit_dropping_its_lock_between_read_and_write_loses_updates() {
    // Both million-operation scenarios run with sparse preemption points
    // (one step in 8): this is what shows that sparse is still enough.
    for name in ["bank/many_deposits_and_withdraws", "bank/hidden_bonus"] {
        caught::<Buggy<DEPOSIT_NOT_ATOMIC>>(
            "deposit is not atomic",
            name,
            FailureKind::Check,
            &["Final balances do not match!"],
        );
    }
}

/// The scenarios whose final balances do not depend on the interleaving.
const ORDER_INDEPENDENT: [&str; 5] = [
    "bank/create_account_basic",
    "bank/create_account_many",
    "bank/few_transfers",
    "bank/many_transfers",
    "bank/deposit_and_compare",
];

#[test]
fn final_state_is_the_same_on_every_seed() {
    for name in ORDER_INDEPENDENT {
        let scenario = scenario::<Bank>(name);
        let mut finals = Vec::new();
        for seed in 0..20 {
            let result = sim::run(&scenario, seed, &RunOptions::default());
            let summary = match &result.outcome {
                Ok(summary) => summary,
                Err(failure) => panic!("{name} failed on seed {seed}: {failure}"),
            };
            finals.push((seed, summary.fields["final"].clone()));
        }
        let (first_seed, first) = &finals[0];
        for (seed, hash) in &finals {
            assert_eq!(
                hash, first,
                "{name}: final balances differ between seeds {first_seed} and {seed}"
            );
        }
        println!("{name}: final={first} on seeds 0..20");
    }
}

/// How many of seeds 0..100 catch each bug (slow in debug: run with
/// `cargo test --release -p scenarios --test bank_teeth -- --ignored`).
#[test]
#[ignore]
fn catch_rates() {
    fn rate<B: Registered>(bug: &str, name: &str) {
        let scenario = scenario::<B>(name);
        let failing: Vec<u64> = (0..100)
            .filter(|&seed| !sim::run(&scenario, seed, &RunOptions::default()).passed())
            .collect();
        println!("{bug}: {name} fails on {}/100 seeds", failing.len());
    }
    rate::<Buggy<WITHDRAW_KEEPS_LOCK>>("withdraw keeps lock", "bank/many_deposits_and_withdraws");
    rate::<Buggy<WITHDRAW_KEEPS_LOCK>>("withdraw keeps lock", "bank/hidden_bonus");
    rate::<Buggy<TRANSFER_SENDER_FIRST>>("sender first", "bank/few_transfers");
    rate::<Buggy<TRANSFER_SENDER_FIRST>>("sender first", "bank/many_transfers");
    rate::<Buggy<TRANSFER_SENDER_FIRST>>("sender first", "bank/hidden_bonus");
    rate::<Buggy<DEPOSIT_AND_COMPARE_LOCKS_TWICE>>("locks twice", "bank/deposit_and_compare");
    rate::<Buggy<BALANCE_WITHOUT_TABLE_LOCK>>("unlocked table read", "bank/hidden_bonus");
    rate::<Buggy<BALANCE_WITHOUT_TABLE_LOCK>>(
        "unlocked table read",
        "bank/many_deposits_and_withdraws",
    );
    rate::<Buggy<DEPOSIT_NOT_ATOMIC>>("deposit not atomic", "bank/many_deposits_and_withdraws");
    rate::<Buggy<DEPOSIT_NOT_ATOMIC>>("deposit not atomic", "bank/hidden_bonus");
}
