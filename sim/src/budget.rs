//! Suite budgets: a limit on what a whole suite takes on one seed.
//!
//! The course fails a Raft whose tests together take more than 600 s, and
//! any test over 120 s. A scenario's own time limit is the second rule; this
//! is the first, in virtual time, for any suite whose scenarios carry a
//! [`SuiteBudget`]. Runs and sweeps add each run's virtual time to its
//! (suite, seed); once every scenario of the suite has run on that seed, the
//! total is judged. A selection that holds only part of a suite judges
//! nothing for it: a partial total says nothing about the whole.
//!
//! Memory: a (suite, seed) is dropped as soon as it is judged, so a sweep
//! that runs seed by seed holds only the seeds in flight.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::scenario::{Scenario, SuiteBudget};

/// One suite on one seed, judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteTotal {
    pub suite: &'static str,
    pub seed: u64,
    pub total: Duration,
    pub budget: Duration,
}

impl SuiteTotal {
    pub fn over(&self) -> bool {
        self.total > self.budget
    }
}

/// Adds up runs per (suite, seed) and judges each complete one.
#[derive(Debug, Default)]
pub struct Budgets {
    /// suite -> (its scenario count, its budget), for suites the selection
    /// holds whole.
    whole: BTreeMap<&'static str, (usize, Duration)>,
    /// (suite, seed) -> (runs so far, virtual time so far).
    open: BTreeMap<(&'static str, u64), (usize, Duration)>,
    summaries: BTreeMap<&'static str, SuiteSummary>,
}

/// How many over-budget seeds a summary names (it counts them all).
const NAMED_OVER: usize = 20;

impl Budgets {
    /// For a run of `selected` out of `registry`: the suites whose every
    /// scenario is selected are judged.
    pub fn new(selected: &[Scenario], registry: &[Scenario]) -> Self {
        let members = |scenarios: &[Scenario]| {
            let mut count: BTreeMap<&'static str, (usize, Duration)> = BTreeMap::new();
            for s in scenarios {
                if let Some(SuiteBudget { suite, total }) = s.suite_budget {
                    let entry = count.entry(suite).or_insert((0, total));
                    assert_eq!(
                        entry.1, total,
                        "suite {suite} has two budgets ({:?} and {total:?})",
                        entry.1
                    );
                    entry.0 += 1;
                }
            }
            count
        };
        let in_registry = members(registry);
        let whole = members(selected)
            .into_iter()
            .filter(|(suite, (count, _))| in_registry.get(suite).map(|(all, _)| all) == Some(count))
            .collect();
        Budgets {
            whole,
            open: BTreeMap::new(),
            summaries: BTreeMap::new(),
        }
    }

    /// Adds one run; returns the suite's total if this run completed it.
    pub fn add(
        &mut self,
        scenario: &Scenario,
        seed: u64,
        virtual_time: Duration,
    ) -> Option<SuiteTotal> {
        let suite = scenario.suite_budget?.suite;
        let &(members, budget) = self.whole.get(suite)?;
        let entry = self
            .open
            .entry((suite, seed))
            .or_insert((0, Duration::ZERO));
        entry.0 += 1;
        entry.1 += virtual_time;
        assert!(
            entry.0 <= members,
            "{suite} seed {seed}: more runs than scenarios"
        );
        if entry.0 < members {
            return None;
        }
        let (_, total) = self.open.remove(&(suite, seed)).expect("just updated");
        let judged = SuiteTotal {
            suite,
            seed,
            total,
            budget,
        };
        self.record(&judged);
        Some(judged)
    }

    fn record(&mut self, t: &SuiteTotal) {
        let s = self
            .summaries
            .entry(t.suite)
            .or_insert_with(|| SuiteSummary {
                suite: t.suite,
                budget: t.budget,
                seeds: 0,
                worst: t.clone(),
                over_count: 0,
                over: Vec::new(),
            });
        s.seeds += 1;
        if t.total > s.worst.total || (t.total == s.worst.total && t.seed < s.worst.seed) {
            s.worst = t.clone();
        }
        if t.over() {
            s.over_count += 1;
            s.over.push(t.seed);
            s.over.sort_unstable();
            s.over.truncate(NAMED_OVER);
        }
    }

    /// Per suite judged: seeds judged, the costliest seed, and the seeds
    /// over budget (the smallest few named, all counted).
    pub fn summary(&self) -> Vec<SuiteSummary> {
        self.summaries.values().cloned().collect()
    }
}

/// What a sweep says about one suite's budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteSummary {
    pub suite: &'static str,
    pub budget: Duration,
    pub seeds: u64,
    pub worst: SuiteTotal,
    pub over_count: u64,
    /// The smallest over-budget seeds, at most a few.
    pub over: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> crate::BodyFuture {
        Box::pin(async { Ok(crate::Summary::new()) })
    }

    fn suite() -> Vec<Scenario> {
        ["s/a", "s/b", "s/c"]
            .into_iter()
            .map(|n| Scenario::new(n, body).suite_budget("s", Duration::from_secs(10)))
            .chain([Scenario::new("other/x", body)])
            .collect()
    }

    #[test]
    fn a_suite_is_judged_once_every_scenario_ran_on_the_seed() {
        let all = suite();
        let mut budgets = Budgets::new(&all, &all);
        let secs = Duration::from_secs;
        assert_eq!(budgets.add(&all[0], 1, secs(4)), None);
        assert_eq!(budgets.add(&all[3], 1, secs(99)), None, "not in the suite");
        assert_eq!(budgets.add(&all[0], 2, secs(1)), None);
        assert_eq!(budgets.add(&all[1], 1, secs(4)), None);
        let over = budgets.add(&all[2], 1, secs(3)).expect("seed 1 complete");
        assert_eq!((over.total, over.over()), (secs(11), true));
        budgets.add(&all[1], 2, secs(1));
        let within = budgets.add(&all[2], 2, secs(1)).expect("seed 2 complete");
        assert!(!within.over());
        let summary = budgets.summary();
        assert_eq!(summary.len(), 1);
        assert_eq!((summary[0].seeds, summary[0].worst.seed), (2, 1));
        assert_eq!(summary[0].over, vec![1]);
    }

    #[test]
    fn part_of_a_suite_is_never_judged() {
        let all = suite();
        let mut budgets = Budgets::new(&all[..2], &all);
        assert_eq!(budgets.add(&all[0], 1, Duration::from_secs(50)), None);
        assert_eq!(budgets.add(&all[1], 1, Duration::from_secs(50)), None);
        assert!(budgets.summary().is_empty());
    }
}
