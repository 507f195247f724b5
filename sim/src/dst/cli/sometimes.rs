//! How a sweep or a merge reports "sometimes" events ([`sim::sometimes`]):
//! one line per scenario with the runs in which each declared event
//! happened, then a line starting `NEVER` for each event that happened in
//! none of its runs.
//!
//! Why a warning by default and not a failure: a short sweep (a few seeds,
//! one shard of many) can miss a rare event without anything being wrong,
//! and a nightly job must not go red for it; the `NEVER` line is there to
//! be grepped. `--require-sometimes` makes it fail (exit 1), for the sweeps
//! that are long enough to promise every event, and for the merged report
//! of all shards.

use std::collections::BTreeMap;

use super::summary::{runs, SometimesTally};

/// The printed lines: coverage per scenario, then the `NEVER`s.
pub fn lines(tallies: &BTreeMap<String, SometimesTally>) -> Vec<String> {
    let mut covered = Vec::new();
    let mut never = Vec::new();
    for (scenario, tally) in tallies {
        let parts: Vec<String> = tally
            .events
            .iter()
            .map(|(event, n)| format!("{event:?}={n}/{}", tally.runs))
            .collect();
        covered.push(format!(
            "sometimes {scenario} (runs in which each event happened): {}",
            parts.join(" ")
        ));
        for (event, _) in tally.events.iter().filter(|(_, &n)| n == 0) {
            never.push(format!(
                "NEVER {scenario}: {event:?} never happened in {}: its passes never saw it",
                runs(tally.runs)
            ));
        }
    }
    covered.extend(never);
    covered
}

/// How many (scenario, event) pairs never happened.
pub fn never_count(tallies: &BTreeMap<String, SometimesTally>) -> usize {
    tallies
        .values()
        .map(|t| t.events.values().filter(|&&n| n == 0).count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dst::cli::summary::Tally;

    #[test]
    fn an_event_that_never_happened_is_named_loudly() {
        let mut tally = Tally::default();
        let declared = ["leader changed", "nothing happened"];
        let hit = BTreeMap::from([("leader changed".to_string(), 2)]);
        tally.add_sometimes("x/y/z", &declared, &hit);
        tally.add_sometimes("x/y/z", &declared, &BTreeMap::new());
        tally.add_sometimes("x/y/quiet", &[], &hit);
        assert_eq!(
            lines(&tally.sometimes),
            vec![
                "sometimes x/y/z (runs in which each event happened): \
                 \"leader changed\"=1/2 \"nothing happened\"=0/2",
                "NEVER x/y/z: \"nothing happened\" never happened in 2 runs: its passes never saw it",
            ]
        );
        assert_eq!(never_count(&tally.sometimes), 1);
    }
}
