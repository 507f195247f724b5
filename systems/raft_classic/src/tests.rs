//! Small checks of the pieces, and a three-peer cluster in the simulator.
//! The full test suite (the 19 ported tests and the swarm scenarios) is in
//! `scenarios`.

use std::time::Duration;

use madsim::time::sleep;
use raft_api::{ApplyMsg, ClientEnd, Persister, Role};
use sim::{ensure, node, Scenario, Summary};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use crate::rpc::AppendEntriesArgs;
use crate::state::State;
use crate::{Entry, PersistentState, Raft};

fn entry(term: u64) -> Entry {
    Entry {
        term,
        command: vec![term as u8],
    }
}

/// A state with a log of the given terms (index 1 first), made inside a run
/// (its election timer reads the virtual clock and the seeded generator).
fn state_with_terms(terms: &[u64]) -> State {
    let saved = PersistentState {
        current_term: terms.last().copied().unwrap_or(0),
        voted_for: None,
        log: terms.iter().map(|&t| entry(t)).collect(),
    };
    State::restore(0, 3, saved)
}

fn run(name: &'static str, body: sim::Body) {
    let scenario = Scenario::new(name, body).time_limit(Duration::from_secs(60));
    let result = sim::runner::run(&scenario, 1, &Default::default());
    assert!(result.passed(), "{}", sim::report::failure_report(&result));
}

#[test]
fn log_helpers_find_term_boundaries() {
    run("raft_classic/unit/log_helpers", || {
        Box::pin(async {
            let s = state_with_terms(&[1, 1, 2, 2, 2, 4]);
            ensure!(s.last_index() == 6 && s.last_term() == 4, "last entry");
            ensure!(s.first_index_of_term(2, 5) == 3, "term 2 starts at 3");
            ensure!(s.first_index_of_term(1, 2) == 1, "term 1 starts at 1");
            ensure!(s.last_index_of_term(2) == Some(5), "term 2 ends at 5");
            ensure!(s.last_index_of_term(3).is_none(), "no term 3");
            ensure!(s.last_index_of_term(4) == Some(6), "term 4 ends at 6");
            Ok(Summary::new())
        })
    });
}

#[test]
fn saved_state_round_trips_without_the_placeholder() {
    run("raft_classic/unit/persist", || {
        Box::pin(async {
            let mut s = state_with_terms(&[1, 2, 2]);
            s.voted_for = Some(2);
            let saved = PersistentState::decode(&s.encode()).expect("decodes");
            ensure!(saved.current_term == 2, "term");
            ensure!(saved.voted_for == Some(2), "vote");
            ensure!(saved.log == vec![entry(1), entry(2), entry(2)], "log");
            ensure!(
                PersistentState::decode(&[]).expect("empty") == PersistentState::default(),
                "an empty buffer is a fresh peer"
            );
            Ok(Summary::new())
        })
    });
}

/// Starts peer `me` of `n` on node `server{me}`; its applied entries come
/// out of the returned receiver.
async fn start_peer(
    me: usize,
    n: usize,
    persister: Persister,
) -> (Raft, UnboundedReceiver<ApplyMsg>) {
    let peers: Vec<ClientEnd> = (0..n)
        .map(|i| ClientEnd::new(format!("server{i}")))
        .collect();
    let (apply_tx, apply_rx) = unbounded_channel();
    let raft = node::spawn(&format!("server{me}"), async move {
        <Raft as raft_api::Raft>::make(peers, me, persister, apply_tx).await
    })
    .await
    .expect("the start task");
    (raft, apply_rx)
}

#[test]
fn follower_reports_the_conflicting_term_and_where_it_starts() {
    run("raft_classic/unit/fast_backup", || {
        Box::pin(async {
            node::create("server0");
            // A lone peer of a three-peer cluster: it never wins an election.
            let persister = Persister::new();
            let saved = PersistentState {
                current_term: 3,
                voted_for: None,
                log: vec![entry(1), entry(2), entry(2), entry(3)],
            };
            persister.save_raft_state(
                bincode::serialize(&(saved.current_term, saved.voted_for, &saved.log)).unwrap(),
            );
            let (raft, _apply) = start_peer(0, 3, persister.clone()).await;
            let append = |prev_log_index, prev_log_term, entries: Vec<Entry>| AppendEntriesArgs {
                term: 5,
                leader_id: 1,
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit: 0,
            };
            // Too short: try after my last entry.
            let reply = raft.handle_append_entries(append(7, 5, vec![]));
            ensure!(!reply.success && reply.term == 5, "rejected in term 5");
            ensure!(
                reply.conflict_term.is_none() && reply.conflict_index == 5,
                "{reply:?}"
            );
            // Index 3 holds term 2, which starts at index 2.
            let reply = raft.handle_append_entries(append(3, 4, vec![]));
            ensure!(
                reply.conflict_term == Some(2) && reply.conflict_index == 2,
                "{reply:?}"
            );
            // A match at 2 replaces the conflicting suffix.
            let reply = raft.handle_append_entries(append(2, 2, vec![entry(4), entry(5)]));
            ensure!(reply.success, "{reply:?}");
            let saved = PersistentState::decode(&persister.read_raft_state()).unwrap();
            ensure!(
                saved.log == vec![entry(1), entry(2), entry(4), entry(5)],
                "log after append: {:?}",
                saved.log
            );
            ensure!(saved.current_term == 5, "the new term was saved");
            // A delayed, shorter request that matches cuts nothing.
            let reply = raft.handle_append_entries(append(2, 2, vec![entry(4)]));
            ensure!(reply.success, "{reply:?}");
            let saved = PersistentState::decode(&persister.read_raft_state()).unwrap();
            ensure!(saved.log.len() == 4, "kept the longer log");
            raft.kill();
            Ok(Summary::new())
        })
    });
}

#[test]
fn three_peers_elect_commit_and_replay_after_restart() {
    run("raft_classic/unit/cluster", || {
        Box::pin(async {
            let n = 3;
            for i in 0..n {
                node::create(&format!("server{i}"));
            }
            let persisters: Vec<Persister> = (0..n).map(|_| Persister::new()).collect();
            let mut rafts = Vec::new();
            let mut appliers = Vec::new();
            for (i, persister) in persisters.iter().enumerate() {
                let (raft, apply_rx) = start_peer(i, n, persister.clone()).await;
                rafts.push(raft);
                appliers.push(apply_rx);
            }
            sleep(Duration::from_secs(2)).await;
            let leaders: Vec<usize> = (0..n).filter(|&i| rafts[i].state().1).collect();
            ensure!(leaders.len() == 1, "one leader, got {leaders:?}");
            let leader = leaders[0];
            ensure!(rafts[leader].lock().role == Role::Leader, "role");
            for command in 1..=3u8 {
                let (index, _, ok) = rafts[leader].start(vec![command]);
                ensure!(ok && index == command as u64, "start {command}: {index}");
            }
            let (_, _, ok) = rafts[(leader + 1) % n].start(vec![9]);
            ensure!(!ok, "a follower refuses start");
            sleep(Duration::from_secs(1)).await;
            for (i, apply_rx) in appliers.iter_mut().enumerate() {
                for command in 1..=3u8 {
                    let message = apply_rx.try_recv().expect("applied");
                    ensure!(
                        message.command_valid
                            && message.command_index == command as u64
                            && message.command == vec![command],
                        "server {i} applied {message:?}"
                    );
                }
            }
            // Restart a follower: it applies from index 1 again.
            let follower = (leader + 1) % n;
            rafts[follower].kill();
            node::crash(&format!("server{follower}"));
            node::restart(&format!("server{follower}"));
            let (raft, mut apply_rx) = start_peer(follower, n, persisters[follower].clone()).await;
            sleep(Duration::from_secs(1)).await;
            for command in 1..=3u8 {
                let message = apply_rx.try_recv().expect("applied again");
                ensure!(
                    message.command_index == command as u64,
                    "replay {message:?}"
                );
            }
            raft.kill();
            for raft in &rafts {
                raft.kill();
            }
            Ok(Summary::new())
        })
    });
}
