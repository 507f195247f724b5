//! Log replication (§5.3): proposals, commitment, conflict truncation, the
//! fast nextIndex backup, and the Figure 8 commitment rule (§5.4.2).

mod common;

use common::Cluster;
use raft::{AppendEntriesArgs, Config, Core, Entry, PersistentState, Request, Role};

fn entry(term: u64, command: &[u8]) -> Entry {
    Entry {
        term,
        command: command.to_vec(),
    }
}

fn core_with(me: usize, peer_count: usize, term: u64, log: &[(u64, &[u8])]) -> Core {
    let state = PersistentState {
        current_term: term,
        voted_for: None,
        log: log
            .iter()
            .map(|&(term, command)| entry(term, command))
            .collect(),
    };
    Core::new(Config::new(me, peer_count), &state.encode()).unwrap()
}

fn append(
    term: u64,
    prev: (u64, u64),
    entries: Vec<Entry>,
    leader_commit: u64,
) -> AppendEntriesArgs {
    AppendEntriesArgs {
        term,
        leader_id: 1,
        prev_log_index: prev.0,
        prev_log_term: prev.1,
        entries,
        leader_commit,
    }
}

#[test]
fn only_the_leader_accepts_proposals() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    assert_eq!(cluster.cores[1].propose(b"x".to_vec()), None);
    assert_eq!(cluster.cores[0].propose(b"x".to_vec()), Some((1, 1)));
    assert_eq!(cluster.cores[0].propose(b"y".to_vec()), Some((2, 1)));
}

#[test]
fn a_burst_of_proposals_travels_in_one_request_per_follower() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    for i in 0..12u8 {
        cluster.propose(0, &[i]);
    }
    assert!(cluster.queue.is_empty(), "proposals wait for the next tick");
    let batch_delay = cluster.cores[0].config().batch_delay_ms;
    assert_eq!(
        cluster.cores[0].ms_until_next_timer(),
        batch_delay,
        "...due within the batch delay"
    );
    cluster.tick(0, batch_delay - 1, 0);
    assert!(cluster.queue.is_empty());
    cluster.tick(0, 1, 0);
    assert_eq!(cluster.queue.len(), 2);
    for (_, outbound) in &cluster.queue {
        let Request::AppendEntries(args) = &outbound.request else {
            panic!("expected AppendEntries");
        };
        assert_eq!(args.entries.len(), 12);
    }
    cluster.deliver_all();
    assert_eq!(cluster.cores[0].commit_index(), 12);
    // Followers learn the commit index from the next request.
    assert_eq!(cluster.cores[1].commit_index(), 0);
    cluster.heartbeat(0);
    for peer in 0..3 {
        assert_eq!(cluster.cores[peer].commit_index(), 12);
        let indexes: Vec<u64> = cluster.applied[peer].iter().map(|a| a.index).collect();
        assert_eq!(
            indexes,
            (1..=12).collect::<Vec<_>>(),
            "applied in order, once"
        );
    }
}

#[test]
fn a_minority_cannot_commit() {
    let mut cluster = Cluster::new(5);
    cluster.elect(0);
    for peer in 2..5 {
        cluster.connected[peer] = false;
    }
    cluster.propose(0, b"lonely");
    for _ in 0..20 {
        cluster.heartbeat(0);
    }
    assert_eq!(cluster.cores[0].commit_index(), 0);
    assert_eq!(
        cluster.cores[1].log().last_index(),
        1,
        "replicated but not committed"
    );
    cluster.connected[2] = true;
    cluster.heartbeat(0);
    assert_eq!(cluster.cores[0].commit_index(), 1);
}

#[test]
fn follower_truncates_conflicting_entries_and_appends() {
    let mut core = core_with(
        0,
        3,
        2,
        &[(1, b"a"), (1, b"b"), (2, b"stale"), (2, b"stale2")],
    );
    let reply = core.handle_append_entries(&append(3, (2, 1), vec![entry(3, b"c")], 0));
    assert!(reply.success);
    let log: Vec<_> = core.log().entries().to_vec();
    assert_eq!(log, vec![entry(1, b"a"), entry(1, b"b"), entry(3, b"c")]);
    assert!(core.take_ready().persistent_state.is_some());
}

#[test]
fn a_delayed_request_never_truncates_entries_a_later_one_appended() {
    let mut core = core_with(0, 3, 1, &[]);
    let long = append(
        1,
        (0, 0),
        vec![entry(1, b"a"), entry(1, b"b"), entry(1, b"c")],
        0,
    );
    let short = append(1, (0, 0), vec![entry(1, b"a")], 0);
    assert!(core.handle_append_entries(&long).success);
    core.take_ready();
    // The older, shorter request arrives late: it matches, so nothing changes.
    assert!(core.handle_append_entries(&short).success);
    assert_eq!(core.log().last_index(), 3);
    assert!(
        core.take_ready().persistent_state.is_none(),
        "nothing changed, nothing saved"
    );
}

#[test]
fn follower_commit_is_capped_by_the_last_entry_the_request_vouched_for() {
    // The follower holds a stale suffix; the leader's commit index covers
    // indexes the request did not carry, which may differ from ours.
    let mut core = core_with(0, 3, 2, &[(1, b"a"), (2, b"x"), (2, b"y")]);
    let reply = core.handle_append_entries(&append(3, (1, 1), vec![], 3));
    assert!(reply.success);
    assert_eq!(core.commit_index(), 1);
    assert_eq!(core.take_ready().applied.len(), 1);
    // The commit index never decreases, even if a request says less.
    core.handle_append_entries(&append(3, (0, 0), vec![], 0));
    assert_eq!(core.commit_index(), 1);
}

#[test]
fn mismatch_reports_a_short_log() {
    let mut core = core_with(0, 3, 1, &[(1, b"a")]);
    let reply = core.handle_append_entries(&append(1, (5, 1), vec![], 0));
    assert!(!reply.success);
    assert_eq!(reply.conflict_term, None);
    assert_eq!(reply.conflict_index, 2);
}

#[test]
fn mismatch_reports_the_conflicting_term_and_its_first_index() {
    let mut core = core_with(0, 3, 3, &[(1, b"a"), (2, b"b"), (2, b"c"), (2, b"d")]);
    let reply = core.handle_append_entries(&append(4, (4, 3), vec![], 0));
    assert!(!reply.success);
    assert_eq!(reply.conflict_term, Some(2));
    assert_eq!(reply.conflict_index, 2);
}

#[test]
fn a_stale_leader_is_refused_with_the_current_term() {
    let mut core = core_with(0, 3, 5, &[]);
    let reply = core.handle_append_entries(&append(4, (0, 0), vec![entry(4, b"z")], 0));
    assert!(!reply.success);
    assert_eq!(reply.term, 5);
    assert_eq!(core.log().last_index(), 0);
}

/// Builds a Figure 7-like divergence: leader 0 has terms `leader_log`,
/// follower 1 has `follower_log`, and the leader has just failed to reach 1
/// (so it probes first); returns the number of AppendEntries needed to
/// bring 1 in line.
fn rounds_to_repair(leader_log: &[u64], follower_log: &[u64]) -> usize {
    let leader_term = *leader_log.iter().max().unwrap();
    let follower_term = follower_log.iter().copied().max().unwrap_or(0);
    let term = leader_term.max(follower_term) + 1;
    let mut cluster = Cluster::new(3);
    let log = |terms: &[u64]| {
        terms
            .iter()
            .map(|&t| entry(t, &[t as u8]))
            .collect::<Vec<_>>()
    };
    let states = [
        PersistentState {
            current_term: term - 1,
            voted_for: None,
            log: log(leader_log),
        },
        PersistentState {
            current_term: follower_term,
            voted_for: None,
            log: log(follower_log),
        },
        PersistentState {
            current_term: term - 1,
            voted_for: None,
            log: log(leader_log),
        },
    ];
    for (peer, state) in states.iter().enumerate() {
        cluster.persisted[peer] = state.encode();
        cluster.restart(peer);
    }
    cluster.connected[1] = false;
    cluster.elect(0);
    cluster.connected[1] = true;
    cluster.tick(0, 1000, 0);
    cluster.queue.retain(|(_, o)| o.to == 1);
    let mut rounds = 0;
    while cluster.deliver_one() {
        rounds += 1;
    }
    assert_eq!(
        cluster.log_terms(1),
        leader_log.to_vec(),
        "follower repaired"
    );
    rounds
}

#[test]
fn fast_backup_skips_a_whole_term_per_round_trip() {
    // The follower's divergent suffix spans terms 2 and 3, which the leader
    // never saw: each mismatch skips one whole term (two mismatches), the
    // third probe matches, one request carries the entries — 4 round trips
    // where backing up one entry at a time would take 9.
    let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let follower = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3];
    assert_eq!(rounds_to_repair(&leader, &follower), 4);
}

#[test]
fn fast_backup_jumps_to_the_leaders_last_entry_of_the_conflicting_term() {
    // Too short (next = 8), then a term-4 mismatch: the leader has term 4
    // too, so it resumes right after its last term-4 entry (next = 6), which
    // matches; then the entries.
    let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let follower = [1, 1, 1, 4, 4, 4, 4];
    assert_eq!(rounds_to_repair(&leader, &follower), 4);
}

#[test]
fn fast_backup_handles_a_short_follower_log() {
    // Too short: resume at the follower's end, which matches; then entries.
    let leader = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    let follower = [1, 1, 1, 4];
    assert_eq!(rounds_to_repair(&leader, &follower), 3);
}

#[test]
fn leader_never_commits_an_old_term_entry_by_counting_replicas() {
    // Figure 8 (c): leader 0 of term 4 holds an entry of term 2 that it now
    // replicates to a majority. Counting must not commit it: only an entry
    // of term 4 on a majority commits, and index 2 with it.
    let mut cluster = Cluster::new(5);
    let old = PersistentState {
        current_term: 3,
        voted_for: None,
        log: vec![entry(1, b"1"), entry(2, b"2")],
    };
    cluster.persisted[0] = old.encode();
    cluster.restart(0);
    for peer in [1, 2, 3, 4] {
        let log = if peer == 1 {
            old.log.clone()
        } else {
            vec![entry(1, b"1")]
        };
        cluster.persisted[peer] = PersistentState {
            current_term: 3,
            voted_for: None,
            log,
        }
        .encode();
        cluster.restart(peer);
    }
    cluster.connected[3] = false;
    cluster.connected[4] = false;
    cluster.elect(0);
    assert_eq!(cluster.cores[0].term(), 4);
    cluster.heartbeat(0);
    assert_eq!(
        cluster.log_terms(2),
        vec![1, 2],
        "term-2 entry now on 0, 1, 2"
    );
    assert_eq!(
        cluster.cores[0].commit_index(),
        0,
        "but not committed by counting"
    );

    cluster.propose(0, b"4");
    cluster.flush(0);
    cluster.deliver_all();
    assert_eq!(
        cluster.cores[0].commit_index(),
        3,
        "term-4 entry commits both"
    );
}

#[test]
fn out_of_order_success_replies_never_move_match_index_back() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.propose(0, b"a");
    cluster.flush(0);
    let first: Vec<_> = cluster.queue.drain(..).collect();
    cluster.propose(0, b"b");
    cluster.flush(0);
    // Deliver the second round first, then the first round's replies.
    cluster.deliver_all();
    assert_eq!(cluster.cores[0].commit_index(), 2);
    cluster.queue.extend(first);
    cluster.deliver_all();
    assert_eq!(cluster.cores[0].commit_index(), 2);
    cluster.propose(0, b"c");
    cluster.flush(0);
    for (_, outbound) in &cluster.queue {
        let Request::AppendEntries(args) = &outbound.request else {
            panic!()
        };
        assert_eq!(args.prev_log_index, 2, "nextIndex stayed at 3");
        assert_eq!(args.entries.len(), 1);
    }
}

#[test]
fn a_deposed_leaders_uncommitted_entries_are_replaced() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.propose(0, b"committed");
    cluster.flush(0);
    cluster.deliver_all();
    cluster.heartbeat(0);
    cluster.connected[0] = false;
    cluster.propose(0, b"lost1");
    cluster.propose(0, b"lost2");
    cluster.heartbeat(0);
    cluster.elect(1);
    cluster.propose(1, b"new");
    cluster.flush(1);
    cluster.deliver_all();
    cluster.connected[0] = true;
    cluster.heartbeat(1);
    cluster.heartbeat(1);
    assert_eq!(cluster.cores[0].role(), Role::Follower);
    let commands: Vec<_> = cluster.cores[0]
        .log()
        .entries()
        .iter()
        .map(|e| e.command.clone())
        .collect();
    assert_eq!(commands, vec![b"committed".to_vec(), b"new".to_vec()]);
    assert_eq!(cluster.applied_commands(0), commands);
}

#[test]
fn an_unreachable_follower_gets_entries_once_then_only_probes() {
    let mut cluster = Cluster::new(3);
    cluster.elect(0);
    cluster.connected[2] = false;
    for i in 0..20u8 {
        cluster.propose(0, &[i]);
    }
    let mut entries_sent_to_2 = Vec::new();
    for _ in 0..10 {
        let interval = cluster.cores[0].config().heartbeat_interval_ms;
        cluster.tick(0, interval, 0);
        for (_, outbound) in &cluster.queue {
            if let (2, Request::AppendEntries(args)) = (outbound.to, &outbound.request) {
                entries_sent_to_2.push(args.entries.len());
            }
        }
        cluster.deliver_all();
    }
    // The first attempt carries the backlog and fails; probes follow.
    assert_eq!(entries_sent_to_2, [20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        cluster.cores[0].commit_index(),
        20,
        "1 and the leader commit"
    );

    // Back online: the next probe matches nothing (2's log is empty), the
    // leader backs up, and the entries follow without waiting a heartbeat.
    cluster.connected[2] = true;
    cluster.heartbeat(0);
    assert_eq!(cluster.cores[2].log().last_index(), 20);
    assert_eq!(cluster.cores[2].commit_index(), 20);
}
