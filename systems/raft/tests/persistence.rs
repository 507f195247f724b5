//! Persistent state (Figure 2): what is saved, when, in which encoding, and
//! what a restarted server keeps and forgets.

mod common;

use common::Cluster;
use raft::{Config, Core, Entry, PersistentState, RequestVoteArgs};

#[test]
fn encoding_is_bincode_of_the_term_vote_log_tuple_and_round_trips() {
    let state = PersistentState {
        current_term: 7,
        voted_for: Some(2),
        log: vec![
            Entry {
                term: 1,
                command: b"one".to_vec(),
            },
            Entry {
                term: 7,
                command: vec![],
            },
        ],
    };
    let bytes = state.encode();
    let tuple = (7u64, Some(2usize), state.log.clone());
    assert_eq!(bytes, bincode::serialize(&tuple).unwrap());
    assert_eq!(PersistentState::decode(&bytes).unwrap(), state);
}

#[test]
fn an_empty_buffer_is_a_fresh_server_and_garbage_is_an_error() {
    assert_eq!(
        PersistentState::decode(&[]).unwrap(),
        PersistentState::default()
    );
    assert!(PersistentState::decode(&[0xff; 3]).is_err());
    assert!(Core::new(Config::new(0, 3), &[0xff; 3]).is_err());
}

#[test]
fn every_change_of_term_vote_or_log_is_saved_and_nothing_else_is() {
    let mut core = Core::new(Config::new(0, 3), &[]).unwrap();
    // Starting an election changes term and vote.
    core.tick(10_000, 0);
    let saved = core.take_ready().persistent_state.expect("election saved");
    let state = PersistentState::decode(&saved.to_vec()).unwrap();
    assert_eq!((state.current_term, state.voted_for), (1, Some(0)));
    // A refused vote of the same term changes nothing.
    let refused = core.handle_request_vote(&RequestVoteArgs {
        term: 1,
        candidate_id: 1,
        last_log_index: 0,
        last_log_term: 0,
    });
    assert!(!refused.vote_granted);
    assert!(core.take_ready().persistent_state.is_none());
    // Ticking without a timeout changes nothing.
    core.tick(1, 0);
    assert!(core.take_ready().persistent_state.is_none());
}

#[test]
fn leader_saves_a_proposal_before_sending_it() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.cores[0].propose(b"cmd".to_vec()).unwrap();
    let batch_delay = cluster.cores[0].config().batch_delay_ms;
    cluster.cores[0].tick(batch_delay, 0);
    let ready = cluster.cores[0].take_ready();
    let saved = PersistentState::decode(&ready.persistent_state.unwrap().to_vec()).unwrap();
    assert_eq!(saved.log.len(), 1);
    assert_eq!(
        ready.messages.len(),
        2,
        "the same Ready carries the requests"
    );
}

#[test]
fn heartbeats_are_not_saved() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.persisted = vec![Vec::new(); 3];
    for _ in 0..5 {
        cluster.heartbeat(0);
    }
    assert!(
        cluster.persisted.iter().all(|p| p.is_empty()),
        "no state changed"
    );
}

#[test]
fn restart_keeps_term_vote_and_log_and_reapplies_from_index_one() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for command in [b"a", b"b", b"c"] {
        cluster.propose(0, command);
    }
    cluster.flush(0);
    cluster.deliver_all();
    cluster.heartbeat(0);
    assert_eq!(cluster.applied[1].len(), 3);

    cluster.restart(1);
    let core = &cluster.cores[1];
    assert_eq!((core.term(), core.voted_for()), (1, Some(0)));
    assert_eq!(core.log().last_index(), 3);
    // lastApplied and commitIndex are volatile.
    assert_eq!((core.commit_index(), core.last_applied()), (0, 0));
    cluster.heartbeat(0);
    let indexes: Vec<u64> = cluster.applied[1].iter().map(|a| a.index).collect();
    assert_eq!(
        indexes,
        vec![1, 2, 3],
        "re-applied from 1 after the restart"
    );
}

#[test]
fn a_restarted_server_does_not_vote_twice_in_a_term() {
    let mut core = Core::new(Config::new(0, 3), &[]).unwrap();
    let ask = |candidate_id| RequestVoteArgs {
        term: 3,
        candidate_id,
        last_log_index: 0,
        last_log_term: 0,
    };
    assert!(core.handle_request_vote(&ask(1)).vote_granted);
    let saved = core.take_ready().persistent_state.unwrap().to_vec();
    let mut restarted = Core::new(Config::new(0, 3), &saved).unwrap();
    assert!(!restarted.handle_request_vote(&ask(2)).vote_granted);
}

#[test]
fn saved_bytes_decode_to_the_cores_state_after_appends_and_truncations() {
    // The core keeps its log pre-encoded; what it saves must still be
    // exactly bincode of (term, vote, log), including after a truncation.
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for command in [b"a", b"b", b"c"] {
        cluster.propose(0, command);
    }
    cluster.connected[0] = false;
    cluster.heartbeat(0);
    cluster.elect(1);
    cluster.propose(1, b"z");
    cluster.flush(1);
    cluster.deliver_all();
    cluster.connected[0] = true;
    cluster.heartbeat(1);
    cluster.heartbeat(1);
    assert_eq!(
        cluster.cores[0].log().last_index(),
        1,
        "0's three entries were replaced"
    );
    for peer in 0..3 {
        let expected = cluster.cores[peer].persistent_state();
        assert_eq!(cluster.persisted[peer], expected.encode(), "server {peer}");
    }
}
