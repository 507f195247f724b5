//! One system measured by `dst bench`: what its runs took, seed by seed
//! (`dst bench-one`, in a child process of its own), and its ratios to the
//! bare-madsim floor measured just before it.
//!
//! Why per seed and medians: the machines this runs on drift and hiccup (a
//! virtual machine's neighbours, a page-cache flush). A ratio of sums lets
//! one slow seed move a whole row; the median of per-seed ratios does not.
//! Why a floor per system: a floor measured minutes away from the runs it
//! prices measures another machine.

use std::collections::BTreeMap;
use std::ops::Range;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sim::{RunOptions, Scenario};

use super::floor::Floor;

/// One system's figures, passed from the child process as JSON. Every
/// `_per_seed` vector has one entry per seed: the sum over the system's
/// scenarios on that seed.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub(super) struct SystemBench {
    pub(super) system: String,
    pub(super) scenarios: usize,
    pub(super) seeds: usize,
    pub(super) failures: usize,
    pub(super) wall_per_seed: Vec<f64>,
    pub(super) virtual_per_seed: Vec<f64>,
    /// Real time in the regions the system marks as its own work
    /// (`sim::work::own`).
    pub(super) own_per_seed: Vec<f64>,
    pub(super) polls_per_seed: Vec<u64>,
    pub(super) spawns_per_seed: Vec<u64>,
    pub(super) datagrams_per_seed: Vec<u64>,
    /// Per scenario group (`raft/4a`, the first two parts of a name): wall
    /// and virtual time over all seeds.
    pub(super) groups: BTreeMap<String, GroupBench>,
    pub(super) events: u64,
    pub(super) rpcs: u64,
    pub(super) wall_total: f64,
    pub(super) peak_rss_kib: Option<u64>,
}

/// One scenario group's time, summed over its runs.
#[derive(Serialize, Deserialize, Debug, Clone, Default)]
pub(super) struct GroupBench {
    pub(super) wall: f64,
    pub(super) virtual_time: f64,
}

/// Runs every scenario of `scenarios` on every seed, metered, one run at a
/// time, and adds up each seed's figures.
pub(super) fn measure(system: String, scenarios: &[Scenario], seeds: Range<u64>) -> SystemBench {
    let options = RunOptions {
        meter_own_work: true,
        ..RunOptions::default()
    };
    let mut bench = SystemBench {
        system,
        scenarios: scenarios.len(),
        seeds: seeds.clone().count(),
        ..SystemBench::default()
    };
    let started = Instant::now();
    for seed in seeds {
        let (mut wall, mut virtual_time, mut own) = (0.0, 0.0, 0.0);
        let (mut polls, mut spawns, mut datagrams) = (0, 0, 0);
        for scenario in scenarios {
            let r = sim::run(scenario, seed, &options);
            wall += r.wall.as_secs_f64();
            virtual_time += r.virtual_time.as_secs_f64();
            own += r.own_work.as_secs_f64();
            polls += r.polls;
            spawns += r.spawns;
            datagrams += r.datagrams;
            let group = bench
                .groups
                .entry(group_of(scenario.name).to_string())
                .or_default();
            group.wall += r.wall.as_secs_f64();
            group.virtual_time += r.virtual_time.as_secs_f64();
            bench.events += r.trace.lines.len() as u64;
            bench.rpcs += r.rpcs;
            bench.failures += usize::from(!r.passed());
        }
        bench.wall_per_seed.push(wall);
        bench.virtual_per_seed.push(virtual_time);
        bench.own_per_seed.push(own);
        bench.polls_per_seed.push(polls);
        bench.spawns_per_seed.push(spawns);
        bench.datagrams_per_seed.push(datagrams);
    }
    bench.wall_total = started.elapsed().as_secs_f64();
    bench.peak_rss_kib = peak_rss_kib();
    bench
}

/// A scenario's group: `raft/4a/initial_election` is in `raft/4a`.
fn group_of(name: &str) -> &str {
    match name.match_indices('/').nth(1) {
        Some((at, _)) => &name[..at],
        None => name,
    }
}

/// The process's peak resident memory, from /proc (Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

pub(super) fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A system's figures and the floor measured just before them.
pub(super) struct Measured {
    pub(super) bench: SystemBench,
    pub(super) floor: Floor,
}

impl Measured {
    /// Bare madsim's time for each seed's polls and spawns.
    fn floor_per_seed(&self) -> Vec<f64> {
        let b = &self.bench;
        (0..b.seeds)
            .map(|i| self.floor.events(b.polls_per_seed[i], b.spawns_per_seed[i]))
            .collect()
    }

    /// The median over seeds of `time(seed) / floor(seed)`.
    fn median_ratio(&self, time: impl Fn(usize) -> f64, floor: &[f64]) -> f64 {
        let ratios: Vec<f64> = floor
            .iter()
            .enumerate()
            .map(|(i, f)| time(i) / f.max(1e-12))
            .collect();
        median(&ratios)
    }

    /// The median seed's floor.
    pub(super) fn floor_seconds(&self) -> f64 {
        median(&self.floor_per_seed())
    }

    /// Wall time over the floor, the system's own work included.
    pub(super) fn wall_over_floor(&self) -> f64 {
        self.median_ratio(|i| self.bench.wall_per_seed[i], &self.floor_per_seed())
    }

    /// Wall time over the strict floor (see `floor.rs`).
    pub(super) fn wall_over_strict_floor(&self) -> f64 {
        let b = &self.bench;
        let strict: Vec<f64> = (0..b.seeds)
            .map(|i| {
                self.floor.strict_events(
                    b.polls_per_seed[i],
                    b.spawns_per_seed[i],
                    b.datagrams_per_seed[i],
                )
            })
            .collect();
        self.median_ratio(|i| b.wall_per_seed[i], &strict)
    }

    /// What the framework and madsim took of a seed: its wall time less the
    /// system's own work.
    fn framework_seconds(&self, seed: usize) -> f64 {
        (self.bench.wall_per_seed[seed] - self.bench.own_per_seed[seed]).max(0.0)
    }

    /// The framework's time over the floor: the framework's overhead.
    pub(super) fn framework_over_floor(&self) -> f64 {
        self.median_ratio(|i| self.framework_seconds(i), &self.floor_per_seed())
    }

    /// The median seed's framework time.
    pub(super) fn framework_seconds_median(&self) -> f64 {
        let seconds: Vec<f64> = (0..self.bench.seeds)
            .map(|i| self.framework_seconds(i))
            .collect();
        median(&seconds)
    }

    /// The system's own work's share of all its wall time.
    pub(super) fn own_share(&self) -> f64 {
        let own: f64 = self.bench.own_per_seed.iter().sum();
        own / self.bench.wall_per_seed.iter().sum::<f64>().max(1e-12)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn floor() -> Floor {
        Floor {
            per_event: 1e-6,
            per_poll: 1e-7,
            per_spawn: 0.0,
            per_datagram: 1e-6,
        }
    }

    #[test]
    fn groups_are_the_first_two_parts_of_a_name() {
        assert_eq!(group_of("raft/4a/initial_election"), "raft/4a");
        assert_eq!(group_of("sim/fs/x"), "sim/fs");
        assert_eq!(group_of("demo"), "demo");
    }

    /// One seed slowed down fivefold by the machine moves a ratio of sums
    /// by half; it does not move the median of per-seed ratios.
    #[test]
    fn ratios_are_medians_over_seeds_and_own_work_is_left_out() {
        let bench = SystemBench {
            seeds: 3,
            wall_per_seed: vec![0.002, 0.002, 0.010],
            own_per_seed: vec![0.001, 0.001, 0.005],
            polls_per_seed: vec![1000, 1000, 1000],
            spawns_per_seed: vec![0, 0, 0],
            datagrams_per_seed: vec![1000, 1000, 1000],
            ..SystemBench::default()
        };
        let m = Measured {
            bench,
            floor: floor(),
        };
        assert_eq!(m.floor_seconds(), 0.001);
        assert!((m.wall_over_floor() - 2.0).abs() < 1e-9);
        assert!((m.framework_over_floor() - 1.0).abs() < 1e-9);
        assert!((m.framework_seconds_median() - 0.001).abs() < 1e-9);
        // Strict: 1000 x 0.1 µs + 1000 x 1 µs = 1.1 ms per seed.
        assert!((m.wall_over_strict_floor() - 0.002 / 0.0011).abs() < 1e-9);
        assert!((m.own_share() - 0.5).abs() < 1e-9);
    }
}
