//! The project's speed targets, checked against this machine's figures at
//! the end of `dst bench` (BENCHMARKS.md says where they come from).
//! The targets about every scenario (one seed's time, sweep throughput)
//! need all four systems selected (`dst bench all`).
//!
//! Reported, never asserted: a target missed on a busy or slow machine is a
//! line that says so, not a failure. A target whose figures the bench did
//! not measure (a narrower pattern, `--no-jobs`) is left out.

use super::measured::{median, Measured};

/// The 19 tests of the original Raft suite run at least this many times
/// faster than real time, one seed of all of them.
const RAFT_SPEED_UP_MIN: f64 = 1000.0;
/// Their scenario groups (the swarm scenarios are ours, not the original's).
const RAFT_ORIGINAL_GROUPS: [&str; 2] = ["raft/4a", "raft/4b"];
/// Every scenario of the four systems, one seed, takes less wall time.
const ONE_SEED_SECONDS_MAX: f64 = 2.0;
/// The systems whose every scenario that target counts.
const SYSTEMS: [&str; 4] = ["weather", "bank", "mapreduce", "raft"];
/// The framework's time (wall time less the system's own work) over the
/// bare-madsim floor, in every system.
const FRAMEWORK_OVER_FLOOR_MAX: f64 = 3.0;
/// A sweep with two jobs has at least this much of the throughput of one.
const JOBS_SPEED_UP_MIN: f64 = 1.7;

/// What `--jobs 1` against `--jobs 2` measured.
pub(super) struct JobsFigures {
    /// Throughput with two jobs over throughput with one.
    pub(super) speed_up: f64,
    /// Every selected scenario on one seed with two jobs, per seed.
    pub(super) one_seed_two_jobs: Vec<f64>,
}

/// One line of the targets table.
pub(super) struct Target {
    pub(super) what: String,
    pub(super) measured: String,
    pub(super) wanted: String,
    pub(super) met: bool,
}

/// The targets this bench has figures for.
pub(super) fn evaluate(results: &[Measured], jobs: Option<&JobsFigures>) -> Vec<Target> {
    let mut targets = Vec::new();
    if let Some(speed_up) = raft_original_speed_up(results) {
        targets.push(Target {
            what: "the 19 original Raft tests, one seed: virtual over wall time".into(),
            measured: format!("{speed_up:.0}x"),
            wanted: format!(">= {RAFT_SPEED_UP_MIN:.0}x"),
            met: speed_up >= RAFT_SPEED_UP_MIN,
        });
    }
    let all_systems = SYSTEMS
        .iter()
        .all(|system| results.iter().any(|m| m.bench.system == *system));
    if all_systems {
        let serial: f64 = results
            .iter()
            .filter(|m| SYSTEMS.contains(&m.bench.system.as_str()))
            .map(|m| median(&m.bench.wall_per_seed))
            .sum();
        targets.push(one_seed("one after another", serial));
        if let Some(jobs) = jobs {
            targets.push(one_seed(
                "with --jobs 2, as `dst sweep` runs them",
                median(&jobs.one_seed_two_jobs),
            ));
        }
    }
    if let Some(worst) = results
        .iter()
        .map(|m| (m, m.framework_over_floor()))
        .max_by(|x, y| x.1.total_cmp(&y.1))
    {
        targets.push(Target {
            what: "the framework over the bare-madsim floor, worst system".into(),
            measured: format!("{:.2}x ({})", worst.1, worst.0.bench.system),
            wanted: format!("<= {FRAMEWORK_OVER_FLOOR_MAX:.0}x"),
            met: worst.1 <= FRAMEWORK_OVER_FLOOR_MAX,
        });
    }
    // A sweep of a few small scenarios is mostly thread start-up: the
    // throughput target is about sweeping everything.
    if let Some(jobs) = jobs.filter(|_| all_systems) {
        targets.push(Target {
            what: "sweep throughput of every scenario, --jobs 2 over --jobs 1".into(),
            measured: format!("{:.2}x", jobs.speed_up),
            wanted: format!(">= {JOBS_SPEED_UP_MIN}x"),
            met: jobs.speed_up >= JOBS_SPEED_UP_MIN,
        });
    }
    targets
}

fn one_seed(how: &str, seconds: f64) -> Target {
    Target {
        what: format!("every scenario of the four systems, one seed, {how}"),
        measured: format!("{seconds:.3}s"),
        wanted: format!("< {ONE_SEED_SECONDS_MAX:.0}s"),
        met: seconds < ONE_SEED_SECONDS_MAX,
    }
}

/// Virtual over wall time of the original Raft tests, over all seeds; None
/// unless both of their groups were measured.
fn raft_original_speed_up(results: &[Measured]) -> Option<f64> {
    let raft = &results.iter().find(|m| m.bench.system == "raft")?.bench;
    let (mut wall, mut virtual_time) = (0.0f64, 0.0f64);
    for group in RAFT_ORIGINAL_GROUPS {
        let figures = raft.groups.get(group)?;
        wall += figures.wall;
        virtual_time += figures.virtual_time;
    }
    Some(virtual_time / wall.max(1e-9))
}

#[cfg(test)]
mod tests {
    use super::super::floor::Floor;
    use super::super::measured::{GroupBench, SystemBench};
    use super::*;

    /// One seed of `name`: `wall_per_seed` seconds for `polls` polls.
    fn system(name: &str, wall_per_seed: f64, polls: u64) -> Measured {
        Measured {
            bench: SystemBench {
                system: name.into(),
                scenarios: 1,
                seeds: 1,
                wall_per_seed: vec![wall_per_seed],
                virtual_per_seed: vec![100.0],
                own_per_seed: vec![0.0],
                polls_per_seed: vec![polls],
                spawns_per_seed: vec![0],
                datagrams_per_seed: vec![0],
                wall_total: wall_per_seed,
                ..SystemBench::default()
            },
            floor: Floor {
                per_event: 1e-6,
                per_poll: 1e-7,
                per_spawn: 0.0,
                per_datagram: 0.0,
            },
        }
    }

    fn met(targets: &[Target], what: &str) -> bool {
        targets
            .iter()
            .find(|t| t.what.contains(what))
            .unwrap_or_else(|| panic!("no target about {what:?}"))
            .met
    }

    #[test]
    fn each_target_is_met_or_missed_by_its_figures() {
        let mut raft = system("raft", 0.15, 100_000);
        let group = |wall: f64, virtual_time: f64| GroupBench { wall, virtual_time };
        let groups = &mut raft.bench.groups;
        groups.insert("raft/4a".into(), group(0.01, 15.0));
        groups.insert("raft/4b".into(), group(0.09, 150.0));
        groups.insert("raft/swarm".into(), group(10.0, 1.0));
        let results = vec![
            system("weather", 0.05, 50_000),
            system("bank", 1.5, 1_000_000),
            system("mapreduce", 0.04, 10_000),
            raft,
        ];
        let jobs = JobsFigures {
            speed_up: 1.9,
            one_seed_two_jobs: vec![1.1, 1.3, 1.2],
        };
        let targets = evaluate(&results, Some(&jobs));
        assert_eq!(targets.len(), 5);
        // 165 s of virtual time in 0.1 s; the swarm group does not count.
        assert!(met(&targets, "Raft"));
        // 0.05 + 1.5 + 0.04 + 0.15 = 1.74 s.
        assert!(met(&targets, "one after another"));
        assert!(met(&targets, "--jobs 2, as"));
        // mapreduce: 0.04 s over 10,000 polls at 1 µs = 4x.
        assert!(!met(&targets, "framework"));
        assert!(met(&targets, "throughput"));

        let slow = JobsFigures {
            speed_up: 1.5,
            one_seed_two_jobs: vec![2.5],
        };
        let targets = evaluate(&results[..3], Some(&slow));
        assert!(
            !targets.iter().any(|t| t.what.contains("Raft")),
            "no Raft figures, no Raft target"
        );
        assert!(
            !targets
                .iter()
                .any(|t| t.what.contains("one seed") || t.what.contains("throughput")),
            "three systems cannot say how long all four take, or how all four sweep"
        );
        let targets = evaluate(&results, Some(&slow));
        assert!(!met(&targets, "throughput"));
        assert!(!met(&targets, "--jobs 2, as"));
    }
}
