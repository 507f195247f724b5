//! Runs that burn real time: compute is free in virtual time.
//!
//! A simulated run charges nothing for CPU work, so a Raft that does heavy
//! work per RPC, or a bank that spins, passes time limits that the course's
//! Go tests (in real time) would fail. What gives it away is real time per
//! simulated second far above what the same scenario usually costs. A sweep
//! keeps, per scenario, a histogram of that cost and its few costliest runs,
//! and flags those far above the scenario's median. Memory stays bounded
//! however many seeds a sweep runs.
//!
//! Wall time varies between machines and runs, so this is a hint printed
//! beside a sweep's result, never a verdict.

use std::collections::BTreeMap;
use std::time::Duration;

/// Flag a run whose real time per simulated second is this many times its
/// scenario's median.
pub const FACTOR: f64 = 10.0;
/// Runs cheaper than this in real time are never flagged: scheduling noise
/// on a loaded machine, and the honest spread of swarm scenarios (whose
/// seeds draw different fault mixes), make ratios of ten among runs of
/// a tenth of a second (seen in `raft/swarm/*` over 500 seeds), while code
/// that burns CPU shows in seconds.
const MIN_WALL: Duration = Duration::from_millis(500);
/// A median needs a population: scenarios with fewer runs are not judged.
const MIN_RUNS: u64 = 5;
/// The costliest runs kept per scenario.
const KEPT: usize = 3;
/// Histogram buckets: a quarter power of two each, from 1 ns per virtual
/// second up (2^64 ns is far beyond any run).
const BUCKETS: usize = 256;

/// A run flagged as costly.
#[derive(Clone, Debug, PartialEq)]
pub struct SlowRun {
    pub scenario: String,
    pub seed: u64,
    pub wall: Duration,
    /// Real nanoseconds per simulated second, this run and the median.
    pub cost: f64,
    pub median_cost: f64,
}

#[derive(Default)]
pub struct SlowRuns {
    scenarios: BTreeMap<String, Costs>,
}

struct Costs {
    runs: u64,
    histogram: Vec<u64>,
    /// (cost, seed, wall), costliest first.
    costliest: Vec<(f64, u64, Duration)>,
}

impl SlowRuns {
    pub fn add(&mut self, scenario: &str, seed: u64, wall: Duration, virtual_time: Duration) {
        // A run that simulated no time (stopped at 0) has no rate.
        if virtual_time.is_zero() {
            return;
        }
        let cost = wall.as_nanos() as f64 / virtual_time.as_secs_f64();
        let costs = self
            .scenarios
            .entry(scenario.to_string())
            .or_insert_with(|| Costs {
                runs: 0,
                histogram: vec![0; BUCKETS],
                costliest: Vec::with_capacity(KEPT + 1),
            });
        costs.runs += 1;
        costs.histogram[bucket(cost)] += 1;
        if wall >= MIN_WALL {
            costs.costliest.push((cost, seed, wall));
            costs
                .costliest
                .sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            costs.costliest.truncate(KEPT);
        }
    }

    /// The flagged runs, costliest relative to their median first.
    pub fn flagged(&self) -> Vec<SlowRun> {
        let mut flagged = Vec::new();
        for (scenario, costs) in &self.scenarios {
            if costs.runs < MIN_RUNS {
                continue;
            }
            let median_cost = bucket_floor(median_bucket(&costs.histogram, costs.runs));
            for &(cost, seed, wall) in &costs.costliest {
                if cost >= FACTOR * median_cost {
                    flagged.push(SlowRun {
                        scenario: scenario.clone(),
                        seed,
                        wall,
                        cost,
                        median_cost,
                    });
                }
            }
        }
        flagged.sort_by(|a, b| {
            (b.cost / b.median_cost)
                .total_cmp(&(a.cost / a.median_cost))
                .then_with(|| (&a.scenario, a.seed).cmp(&(&b.scenario, b.seed)))
        });
        flagged
    }
}

fn bucket(cost: f64) -> usize {
    if cost < 1.0 {
        return 0;
    }
    ((cost.log2() * 4.0) as usize).min(BUCKETS - 1)
}

/// The smallest cost of a bucket: the median is under-, never over-stated,
/// so a flagged run is at least `FACTOR` times the true median's bucket.
fn bucket_floor(bucket: usize) -> f64 {
    2f64.powf(bucket as f64 / 4.0)
}

fn median_bucket(histogram: &[u64], runs: u64) -> usize {
    let half = runs.div_ceil(2);
    let mut seen = 0;
    for (i, count) in histogram.iter().enumerate() {
        seen += count;
        if seen >= half {
            return i;
        }
    }
    unreachable!("the histogram holds every run")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_run_ten_times_its_scenarios_usual_cost_is_flagged() {
        let mut slow = SlowRuns::default();
        for seed in 0..20 {
            slow.add("bank/spin", seed, Duration::from_millis(60), SECOND);
        }
        slow.add("bank/spin", 99, Duration::from_millis(900), SECOND);
        slow.add("bank/spin", 100, Duration::from_millis(300), SECOND);
        let flagged = slow.flagged();
        assert_eq!(flagged.len(), 1, "{flagged:?}");
        assert_eq!(
            (flagged[0].scenario.as_str(), flagged[0].seed),
            ("bank/spin", 99)
        );
        assert!(flagged[0].cost / flagged[0].median_cost >= FACTOR);
    }

    #[test]
    fn cheap_runs_and_small_populations_are_never_flagged() {
        let mut slow = SlowRuns::default();
        // 400x the median, but 400 ms of real time: noise.
        for seed in 0..20 {
            slow.add("a/b", seed, Duration::from_millis(1), SECOND);
        }
        slow.add("a/b", 20, Duration::from_millis(400), SECOND);
        // Far costlier than its median, but only three runs.
        slow.add("c/d", 0, Duration::from_millis(100), SECOND);
        slow.add("c/d", 1, Duration::from_millis(100), SECOND);
        slow.add("c/d", 2, Duration::from_secs(5), SECOND);
        assert_eq!(slow.flagged(), vec![]);
    }

    #[test]
    fn the_median_bucket_is_the_middle_run() {
        let mut histogram = vec![0; BUCKETS];
        histogram[3] = 2;
        histogram[7] = 1;
        histogram[9] = 2;
        assert_eq!(median_bucket(&histogram, 5), 7);
        assert_eq!(bucket(bucket_floor(40)), 40);
    }
}
