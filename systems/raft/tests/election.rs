//! Leader election (§5.2) and the vote rules, including the election
//! restriction (§5.4.1). Each test drives cores by hand through the
//! in-memory cluster and checks roles, terms and votes.

mod common;

use common::Cluster;
use raft::{Config, Core, Entry, Event, Request, RequestVoteArgs, Role};

fn vote_args(
    term: u64,
    candidate_id: usize,
    last_log_index: u64,
    last_log_term: u64,
) -> RequestVoteArgs {
    RequestVoteArgs {
        term,
        candidate_id,
        last_log_index,
        last_log_term,
    }
}

fn core_with_log(me: usize, peer_count: usize, term: u64, log_terms: &[u64]) -> Core {
    let state = raft::PersistentState {
        current_term: term,
        voted_for: None,
        log: log_terms
            .iter()
            .map(|&term| Entry {
                term,
                command: vec![],
            })
            .collect(),
    };
    Core::new(Config::new(me, peer_count), &state.encode()).unwrap()
}

#[test]
fn election_timeout_is_drawn_from_the_random_value_within_bounds() {
    // The timeout is min + random % (max - min): the shell's random value
    // alone decides it, so two servers given different values diverge.
    let config = Config::new(0, 3);
    let (min, max) = (
        config.election_timeout_min_ms,
        config.election_timeout_max_ms,
    );
    for random in [0, 1, 137, u64::MAX] {
        let mut core = Core::new(config.clone(), &[]).unwrap();
        let timeout = min + random % (max - min);
        core.tick(timeout - 1, random);
        assert_eq!(
            core.role(),
            Role::Follower,
            "fired early for random={random}"
        );
        assert_eq!(core.ms_until_next_timer(), 1);
        core.tick(1, 12345); // a later random value must not redraw
        assert_eq!(
            core.role(),
            Role::Candidate,
            "did not fire for random={random}"
        );
        assert_eq!(core.term(), 1);
    }
}

#[test]
fn first_election_elects_the_first_to_time_out_and_it_heartbeats_at_once() {
    let mut cluster = Cluster::new(3);
    cluster.time_out(0);
    assert_eq!(cluster.cores[0].role(), Role::Candidate);
    assert_eq!(cluster.cores[0].voted_for(), Some(0));
    let requests: Vec<_> = cluster.queue.iter().map(|(_, o)| o.to).collect();
    assert_eq!(requests, vec![1, 2]);
    assert!(
        !cluster.persisted[0].is_empty(),
        "term and vote saved before asking"
    );

    // Two votes arrive one at a time; the first already makes a majority.
    assert!(cluster.deliver_one());
    assert_eq!(cluster.cores[0].role(), Role::Leader);
    assert_eq!(cluster.cores[1].voted_for(), Some(0));
    // Winning queues heartbeats to both followers straight away.
    let heartbeats = cluster
        .queue
        .iter()
        .filter(|(_, o)| matches!(&o.request, Request::AppendEntries(a) if a.entries.is_empty()))
        .count();
    assert_eq!(heartbeats, 2);
    cluster.deliver_all();
    for peer in 1..3 {
        assert_eq!(cluster.cores[peer].term(), 1);
        assert_eq!(cluster.cores[peer].leader_id(), Some(0));
        assert_eq!(cluster.cores[peer].role(), Role::Follower);
    }
    assert!(cluster.events[0].contains(&Event::BecameLeader { term: 1 }));
}

#[test]
fn leader_heartbeats_once_per_interval_and_followers_do_not_time_out() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    let interval = cluster.cores[0].config().heartbeat_interval_ms;
    let min_timeout = cluster.cores[1].config().election_timeout_min_ms;
    // Ten seconds of 10 ms ticks everywhere: exactly one heartbeat per
    // follower per interval, and no follower ever campaigns.
    let mut sent = 0;
    for _ in 0..1000 {
        for peer in 0..3 {
            cluster.tick(peer, 10, 7);
        }
        sent += cluster.queue.len();
        cluster.deliver_all();
    }
    assert_eq!(sent as u64, 2 * 10_000 / interval);
    assert!(min_timeout > interval);
    assert_eq!(cluster.cores[0].term(), 1);
    assert!(cluster.cores[0].is_leader());
}

#[test]
fn a_server_votes_at_most_once_per_term() {
    let mut core = Core::new(Config::new(0, 3), &[]).unwrap();
    let first = core.handle_request_vote(&vote_args(1, 1, 0, 0));
    assert!(first.vote_granted);
    assert_eq!(core.voted_for(), Some(1));
    let ready = core.take_ready();
    assert!(
        ready.persistent_state.is_some(),
        "the vote is persisted before the reply"
    );
    // A second candidate of the same term is refused; the first may ask again
    // (its reply may have been lost) and is granted again.
    assert!(
        !core
            .handle_request_vote(&vote_args(1, 2, 0, 0))
            .vote_granted
    );
    assert!(
        core.handle_request_vote(&vote_args(1, 1, 0, 0))
            .vote_granted
    );
    // A new term frees the vote.
    assert!(
        core.handle_request_vote(&vote_args(2, 2, 0, 0))
            .vote_granted
    );
    assert_eq!((core.term(), core.voted_for()), (2, Some(2)));
}

#[test]
fn a_stale_candidate_is_refused_and_told_the_current_term() {
    let mut core = core_with_log(0, 3, 5, &[]);
    let reply = core.handle_request_vote(&vote_args(4, 1, 0, 0));
    assert!(!reply.vote_granted);
    assert_eq!(reply.term, 5);
    assert_eq!(core.voted_for(), None);
}

#[test]
fn election_restriction_refuses_candidates_with_less_up_to_date_logs() {
    // Our log: terms [1, 1, 3]; last term 3 at index 3.
    let cases = [
        // (candidate last index, last term, granted)
        (5, 2, false), // longer but older last term
        (2, 3, false), // same last term, shorter
        (3, 3, true),  // identical
        (4, 3, true),  // same last term, longer
        (1, 4, true),  // newer last term wins regardless of length
    ];
    for (last_index, last_term, granted) in cases {
        let mut core = core_with_log(0, 3, 3, &[1, 1, 3]);
        let reply = core.handle_request_vote(&vote_args(4, 1, last_index, last_term));
        assert_eq!(
            reply.vote_granted, granted,
            "candidate log {last_index}@{last_term}"
        );
        // The higher term is adopted either way, and a refusal keeps the vote.
        assert_eq!(core.term(), 4);
        assert_eq!(core.voted_for(), granted.then_some(1));
    }
}

#[test]
fn refusing_a_vote_does_not_reset_the_election_timer_but_granting_does() {
    let mut refused = core_with_log(0, 3, 1, &[1]);
    let mut granted = core_with_log(0, 3, 1, &[1]);
    // Random value 0: the timeout is exactly the minimum.
    let min = refused.config().election_timeout_min_ms;
    refused.tick(min - 10, 0);
    granted.tick(min - 10, 0);
    let stale_candidate = vote_args(2, 1, 0, 0);
    let fit_candidate = vote_args(2, 1, 1, 1);
    assert!(!refused.handle_request_vote(&stale_candidate).vote_granted);
    assert!(granted.handle_request_vote(&fit_candidate).vote_granted);
    // The refusing server keeps its elapsed time and fires on schedule...
    refused.tick(10, 0);
    assert_eq!(refused.role(), Role::Candidate);
    // ...while the granting one starts over.
    granted.tick(10, 0);
    assert_eq!(granted.role(), Role::Follower);
    assert_eq!(granted.ms_until_next_timer(), min - 10);
}

#[test]
fn a_split_vote_times_out_into_a_new_term() {
    let mut cluster = Cluster::new(3);
    cluster.time_out(0);
    cluster.time_out(1);
    cluster.connected[2] = false;
    cluster.deliver_all();
    // Each voted for itself; with 2 cut off, nobody has a majority.
    assert_eq!(cluster.cores[0].role(), Role::Candidate);
    assert_eq!(cluster.cores[1].role(), Role::Candidate);
    cluster.connected[2] = true;
    cluster.time_out(0);
    assert_eq!(cluster.cores[0].term(), 2);
    cluster.deliver_all();
    assert!(cluster.cores[0].is_leader());
    assert_eq!(cluster.cores[1].role(), Role::Follower);
    assert_eq!(cluster.cores[1].term(), 2);
}

#[test]
fn a_candidate_concedes_to_a_leader_of_its_term() {
    let mut cluster = Cluster::new(3);
    // 0 and 2 both campaign in term 1; 1 hears 0 first.
    cluster.time_out(0);
    cluster.time_out(2);
    assert!(cluster.deliver_one());
    assert!(cluster.cores[0].is_leader());
    assert_eq!(cluster.cores[2].role(), Role::Candidate);
    // 2's requests are refused (everyone voted), then 0's heartbeat arrives.
    cluster.deliver_all();
    assert_eq!(cluster.cores[2].role(), Role::Follower);
    assert_eq!(cluster.cores[2].term(), 1);
    assert_eq!(
        cluster.cores[2].voted_for(),
        Some(2),
        "conceding keeps the vote"
    );
    assert_eq!(cluster.cores[2].leader_id(), Some(0));
    assert!(cluster.events[2].contains(&Event::SteppedDown { term: 1 }));
}

#[test]
fn a_leader_steps_down_on_a_higher_term() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.connected[0] = false;
    cluster.elect(1);
    assert_eq!(cluster.cores[1].term(), 2);
    assert!(
        cluster.cores[0].is_leader(),
        "the cut-off leader does not know yet"
    );
    cluster.connected[0] = true;
    // Its next heartbeat is answered with term 2.
    cluster.heartbeat(0);
    assert_eq!(cluster.cores[0].role(), Role::Follower);
    assert_eq!(cluster.cores[0].term(), 2);
    assert!(cluster.events[0].contains(&Event::SteppedDown { term: 2 }));
    cluster.heartbeat(1);
    assert_eq!(cluster.cores[0].leader_id(), Some(1));
}

#[test]
fn a_single_server_elects_itself_and_commits_alone() {
    let mut cluster = Cluster::new(1);
    cluster.time_out(0);
    assert!(cluster.cores[0].is_leader());
    assert!(cluster.queue.is_empty());
    let (index, term) = cluster.propose(0, b"x");
    assert_eq!((index, term), (1, 1));
    assert_eq!(cluster.cores[0].commit_index(), 1);
    assert_eq!(cluster.applied_commands(0), vec![b"x".to_vec()]);
}
