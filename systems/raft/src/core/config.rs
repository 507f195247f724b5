//! A server's identity and timing, and the deliberately wrong protocol
//! variants the scenario suite's self-test switches on.

use super::messages::PeerId;

/// Timing and identity of one server. Times are in milliseconds of whatever
/// clock the shell feeds to [`Core::tick`](super::Core::tick).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub me: PeerId,
    pub peer_count: usize,
    /// The tester allows at most 10 heartbeats per second per peer.
    pub heartbeat_interval_ms: u64,
    /// Election timeouts are drawn uniformly from `[min, max)`. Several
    /// heartbeat intervals above the heartbeat so that a few lost heartbeats
    /// do not depose a live leader, and low enough that a split vote or two
    /// still elects a leader well within the tester's 5 s.
    pub election_timeout_min_ms: u64,
    pub election_timeout_max_ms: u64,
    /// How long a proposal may wait for others to share its AppendEntries.
    /// Proposals arrive a few milliseconds apart under load; sending each
    /// alone multiplies requests and follower log writes.
    pub batch_delay_ms: u64,
    /// A deliberate protocol bug, for the scenario suite's self-test only
    /// ("does the suite catch a broken Raft?"). Always `None` otherwise.
    pub injected_bug: Option<InjectedBug>,
}

impl Config {
    pub fn new(me: PeerId, peer_count: usize) -> Config {
        assert!(
            peer_count >= 1 && me < peer_count,
            "me={me} outside {peer_count} peers"
        );
        Config {
            me,
            peer_count,
            heartbeat_interval_ms: 100,
            election_timeout_min_ms: 300,
            election_timeout_max_ms: 600,
            batch_delay_ms: 10,
            injected_bug: None,
        }
    }

    pub(super) fn assert_valid(&self) {
        assert!(self.peer_count >= 1 && self.me < self.peer_count);
        assert!(self.heartbeat_interval_ms > 0);
        assert!(self.election_timeout_min_ms > self.heartbeat_interval_ms);
        assert!(self.election_timeout_max_ms > self.election_timeout_min_ms);
        assert!(self.batch_delay_ms < self.heartbeat_interval_ms);
    }
}

/// Known-wrong protocol variants that the scenario suite must catch. They
/// are plain runtime switches (no cargo feature) so that the self-test runs
/// in an ordinary `cargo test`; nothing but that test sets one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InjectedBug {
    /// The leader commits any entry stored on a majority, including entries
    /// of older terms: the unsafe rule that Figure 8 of the paper refutes.
    CommitPreviousTermByCounting,
    /// A follower appends after `prev_log_index` without first deleting the
    /// conflicting entries that follow it (Figure 2, AppendEntries step 3).
    KeepConflictingEntries,
}
