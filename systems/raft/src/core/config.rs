//! A server's identity and timing.

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
