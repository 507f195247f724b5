//! Randomized schedules against the pure core, and the Figure 3 checker
//! they run under: shared by this crate's schedule test and by the
//! scenarios crate's test that the checker catches planted variants (which
//! lives there, with the variants, so that this crate holds none).

#![allow(dead_code)]

use std::collections::BTreeMap;

use crate::common::Cluster;
use raft::{Config, Role, Rules};

/// xorshift64*: enough randomness for schedules, no dependency, seedable.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Safety properties of Figure 3, checked from outside the cores.
#[derive(Default)]
pub struct SafetyChecker {
    /// term → the server that led it (Election Safety).
    leaders: BTreeMap<u64, usize>,
    /// index → command applied there by anyone (State Machine Safety).
    applied: BTreeMap<u64, Vec<u8>>,
}

impl SafetyChecker {
    pub fn check<R: Rules>(&mut self, cluster: &Cluster<R>) -> Result<(), String> {
        self.check_state_machine_safety(cluster)?;
        self.check_election_safety_and_leader_completeness(cluster)?;
        check_log_matching(cluster)
    }

    /// §5.4.3: no two servers apply different commands at one index.
    fn check_state_machine_safety<R: Rules>(&mut self, cluster: &Cluster<R>) -> Result<(), String> {
        for (peer, applied) in cluster.applied.iter().enumerate() {
            for entry in applied {
                let seen = self
                    .applied
                    .entry(entry.index)
                    .or_insert(entry.command.clone());
                if *seen != entry.command {
                    return Err(format!(
                        "server {peer} applied a different command at {}",
                        entry.index
                    ));
                }
            }
        }
        Ok(())
    }

    /// §5.2: at most one leader per term. §5.4: a leader's log holds every
    /// entry committed before its election (checked when first seen leading,
    /// against everything applied so far).
    fn check_election_safety_and_leader_completeness<R: Rules>(
        &mut self,
        cluster: &Cluster<R>,
    ) -> Result<(), String> {
        for (peer, core) in cluster.cores.iter().enumerate() {
            if core.role() != Role::Leader {
                continue;
            }
            match self.leaders.insert(core.term(), peer) {
                Some(other) if other != peer => {
                    return Err(format!(
                        "term {} has leaders {other} and {peer}",
                        core.term()
                    ));
                }
                Some(_) => continue,
                None => {}
            }
            for (&index, command) in &self.applied {
                let held = core.log().entries().get(index as usize - 1);
                if held.map(|e| &e.command) != Some(command) {
                    return Err(format!(
                        "leader {peer} of term {} lacks committed index {index}",
                        core.term()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// §5.3: if two logs hold an entry with the same index and term, the logs
/// are identical up to that index.
fn check_log_matching<R: Rules>(cluster: &Cluster<R>) -> Result<(), String> {
    for a in 0..cluster.cores.len() {
        for b in a + 1..cluster.cores.len() {
            let (log_a, log_b) = (
                cluster.cores[a].log().entries(),
                cluster.cores[b].log().entries(),
            );
            let common = log_a.len().min(log_b.len());
            // Find the last index with equal terms; everything before it must match.
            if let Some(last) = (0..common).rev().find(|&i| log_a[i].term == log_b[i].term) {
                if log_a[..=last] != log_b[..=last] {
                    return Err(format!(
                        "logs of {a} and {b} agree at {} but differ before",
                        last + 1
                    ));
                }
            }
        }
    }
    Ok(())
}

/// What a schedule exercised, so the test can prove its faults fired.
#[derive(Default, Debug)]
pub struct Coverage {
    pub leader_terms: usize,
    pub committed: usize,
    pub conflicts_truncated: usize,
}

/// Runs one random schedule of cores following the rules `R`; returns the
/// first safety violation.
pub fn run_schedule<R: Rules>(
    seed: u64,
    peer_count: usize,
    steps: usize,
    adjust: impl Fn(&mut Config),
) -> Result<Coverage, String> {
    let mut rng = Rng::new(seed);
    let mut cluster = Cluster::<R>::with_config(peer_count, adjust);
    let mut checker = SafetyChecker::default();
    let mut next_command = 0u32;
    for _ in 0..steps {
        match rng.below(100) {
            0..=44 => {
                // Deliver a random in-flight request (reordering).
                if !cluster.queue.is_empty() {
                    let at = rng.below(cluster.queue.len() as u64) as usize;
                    let message = cluster.queue.remove(at).unwrap();
                    if rng.below(10) == 0 {
                        cluster.queue.push_back(message.clone()); // duplicate later
                    }
                    cluster.queue.push_front(message);
                    cluster.deliver_one();
                }
            }
            45..=54 => {
                // Lose a request (or its reply): as in the shell, the
                // sender learns nothing and retries on its next heartbeat.
                if !cluster.queue.is_empty() {
                    let at = rng.below(cluster.queue.len() as u64) as usize;
                    cluster.queue.remove(at);
                }
            }
            55..=79 => {
                let peer = rng.below(peer_count as u64) as usize;
                let elapsed = rng.below(300);
                let random = rng.next();
                cluster.tick(peer, elapsed, random);
            }
            80..=92 => {
                if let Some(leader) = (0..peer_count).find(|&p| cluster.cores[p].is_leader()) {
                    next_command += 1;
                    cluster.propose(leader, &next_command.to_be_bytes());
                }
            }
            93..=95 => {
                let peer = rng.below(peer_count as u64) as usize;
                cluster.restart(peer);
                cluster.queue.retain(|(from, _)| *from != peer);
            }
            _ => {
                let peer = rng.below(peer_count as u64) as usize;
                cluster.connected[peer] = !cluster.connected[peer];
            }
        }
        checker.check(&cluster)?;
    }
    heal_and_commit(&mut cluster, &mut checker, &mut rng)?;
    Ok(Coverage {
        leader_terms: checker.leaders.len(),
        committed: checker.applied.len(),
        conflicts_truncated: cluster.truncations,
    })
}

/// Liveness once faults stop: within 20 s of reliable delivery and 10 ms
/// ticks a leader commits a fresh command everywhere.
fn heal_and_commit<R: Rules>(
    cluster: &mut Cluster<R>,
    checker: &mut SafetyChecker,
    rng: &mut Rng,
) -> Result<(), String> {
    let peer_count = cluster.cores.len();
    cluster.connected = vec![true; peer_count];
    let marker = b"final".to_vec();
    let mut proposed_in_term = None;
    for _ in 0..2000 {
        for peer in 0..peer_count {
            let random = rng.next();
            cluster.tick(peer, 10, random);
        }
        cluster.deliver_all();
        checker.check(cluster)?;
        // Propose again under each new leader: a deposed leader's entry may
        // be overwritten, and liveness is about some proposal committing.
        if let Some(leader) = (0..peer_count).find(|&p| cluster.cores[p].is_leader()) {
            let term = cluster.cores[leader].term();
            if proposed_in_term != Some(term) {
                cluster.propose(leader, &marker);
                proposed_in_term = Some(term);
            }
        }
        let done = cluster
            .applied
            .iter()
            .all(|a| a.last().map(|e| &e.command) == Some(&marker));
        if done {
            return Ok(());
        }
    }
    Err("no progress within 20 s after healing".to_string())
}
