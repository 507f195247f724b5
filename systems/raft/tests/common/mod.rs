//! A deterministic in-memory cluster of cores for the unit tests: requests
//! wait in a queue until the test delivers them, replies go straight back to
//! the sender, and every `Ready` is processed in the order the shell would.

#![allow(dead_code)]

use std::collections::VecDeque;

use raft::{Applied, Config, Core, Event, Figure2, Outbound, PeerId, Request, Rules};

/// Cores following the rules `R` (Figure 2 unless a test swaps in a
/// variant).
pub struct Cluster<R: Rules = Figure2> {
    pub cores: Vec<Core<R>>,
    /// Requests in flight: (from, outbound).
    pub queue: VecDeque<(PeerId, Outbound)>,
    pub applied: Vec<Vec<Applied>>,
    pub persisted: Vec<Vec<u8>>,
    pub events: Vec<Vec<Event>>,
    pub connected: Vec<bool>,
    /// AppendEntries that removed or replaced entries at their receiver.
    pub truncations: usize,
}

impl Cluster {
    pub fn new(peer_count: usize) -> Cluster {
        Cluster::with_config(peer_count, |_| {})
    }
}

impl<R: Rules> Cluster<R> {
    pub fn with_config(peer_count: usize, adjust: impl Fn(&mut Config)) -> Cluster<R> {
        let cores = (0..peer_count)
            .map(|me| {
                let mut config = Config::new(me, peer_count);
                adjust(&mut config);
                Core::restore(config, &[]).unwrap()
            })
            .collect();
        Cluster {
            cores,
            queue: VecDeque::new(),
            applied: vec![Vec::new(); peer_count],
            persisted: vec![Vec::new(); peer_count],
            events: vec![Vec::new(); peer_count],
            connected: vec![true; peer_count],
            truncations: 0,
        }
    }

    /// Processes `peer`'s outputs: persist, then queue messages, record the
    /// applied entries and events.
    pub fn collect(&mut self, peer: PeerId) {
        let ready = self.cores[peer].take_ready();
        if let Some(state) = ready.persistent_state {
            self.persisted[peer] = state.to_vec();
        }
        for outbound in ready.messages {
            self.queue.push_back((peer, outbound));
        }
        self.applied[peer].extend(ready.applied);
        self.events[peer].extend(ready.events);
    }

    pub fn tick(&mut self, peer: PeerId, elapsed_ms: u64, random: u64) {
        self.cores[peer].tick(elapsed_ms, random);
        self.collect(peer);
    }

    /// Fires `peer`'s election timer at once (the longest possible timeout).
    pub fn time_out(&mut self, peer: PeerId) {
        let max = self.cores[peer].config().election_timeout_max_ms;
        self.tick(peer, max, 0);
    }

    /// Delivers one queued request and its reply; a request to or from a
    /// disconnected peer is dropped, and, as in the shell, its sender learns
    /// nothing (the next heartbeat or election retries). Returns false when
    /// the queue is empty.
    pub fn deliver_one(&mut self) -> bool {
        let Some((from, outbound)) = self.queue.pop_front() else {
            return false;
        };
        let to = outbound.to;
        if !self.connected[from] || !self.connected[to] {
            return true;
        }
        match &outbound.request {
            Request::RequestVote(args) => {
                let reply = self.cores[to].handle_request_vote(args);
                self.collect(to);
                self.cores[from].handle_request_vote_reply(to, args, &reply);
            }
            Request::AppendEntries(args) => {
                let before = self.cores[to].log().entries().len();
                let terms_before = self.log_terms(to);
                let reply = self.cores[to].handle_append_entries(args);
                let terms_after = self.log_terms(to);
                if terms_after.len() < before || terms_after[..before] != terms_before[..] {
                    self.truncations += 1;
                }
                self.collect(to);
                self.cores[from].handle_append_entries_reply(to, args, &reply);
            }
        }
        self.collect(from);
        true
    }

    pub fn deliver_all(&mut self) {
        let mut budget = 10_000;
        while self.deliver_one() {
            budget -= 1;
            assert!(budget > 0, "message storm");
        }
    }

    pub fn drop_queue(&mut self) {
        self.queue.clear();
    }

    /// Elects `peer` by timing it out and delivering everything.
    pub fn elect(&mut self, peer: PeerId) {
        self.time_out(peer);
        self.deliver_all();
        assert!(self.cores[peer].is_leader(), "peer {peer} failed to win");
    }

    /// One heartbeat round from `leader`, delivered.
    pub fn heartbeat(&mut self, leader: PeerId) {
        let interval = self.cores[leader].config().heartbeat_interval_ms;
        self.tick(leader, interval, 0);
        self.deliver_all();
    }

    /// Lets `leader`'s proposal batch go out.
    pub fn flush(&mut self, leader: PeerId) {
        let batch_delay = self.cores[leader].config().batch_delay_ms;
        self.tick(leader, batch_delay, 0);
    }

    pub fn propose(&mut self, leader: PeerId, command: &[u8]) -> (u64, u64) {
        let result = self.cores[leader].propose(command.to_vec());
        self.collect(leader);
        result.expect("proposal to the leader")
    }

    pub fn restart(&mut self, peer: PeerId) {
        let config = self.cores[peer].config().clone();
        self.cores[peer] = Core::restore(config, &self.persisted[peer]).unwrap();
        self.applied[peer].clear();
    }

    pub fn applied_commands(&self, peer: PeerId) -> Vec<Vec<u8>> {
        self.applied[peer]
            .iter()
            .map(|a| a.command.clone())
            .collect()
    }

    pub fn log_terms(&self, peer: PeerId) -> Vec<u64> {
        self.cores[peer]
            .log()
            .entries()
            .iter()
            .map(|e| e.term)
            .collect()
    }
}
