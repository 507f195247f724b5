//! The safety properties of Figure 3 of the extended Raft paper, checked
//! continuously from outside the system, on the [`raft_api::PeerState`]
//! views each server shows (under its own lock) as it passes through its
//! states: a violation panics at that virtual instant, failing the run
//! there. A Raft that shows no views is not checked here (config.go's own
//! checks still run).
//!
//! One function per property. Logs are followed as chains of prefix hashes
//! (hash of index i covers entries 1..=i), so comparing two whole prefixes
//! costs one comparison and each step costs only the entries it changed.

use std::collections::BTreeMap;
use std::sync::Mutex;

use raft_api::{LogIndex, Term};

use super::views::Seen;

type PeerId = usize;

/// One log entry as the checker sees it: its term and the hash of the
/// whole prefix it ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Link {
    term: Term,
    prefix: u64,
}

#[derive(Clone, Copy, Debug)]
struct Committed {
    prefix: u64,
    term: Term,
}

#[derive(Default)]
struct State {
    /// Election Safety: the leader of each term.
    leaders: BTreeMap<Term, PeerId>,
    /// Each server's log as a chain, `chains[s][i - 1]` for index i.
    chains: BTreeMap<PeerId, Vec<Link>>,
    /// Log Matching: the prefix every (index, term) pair ever stood for.
    prefix_of: BTreeMap<(LogIndex, Term), u64>,
    /// The committed log so far, as servers learned of it: each index's
    /// prefix hash, and the term of the first server seen committing it (at
    /// least the term in which it was really committed).
    committed: Vec<Committed>,
    /// Leader Completeness: (term, committed entries already checked) of
    /// each server while leading; append-only makes re-checking needless.
    complete_upto: BTreeMap<PeerId, (Term, usize)>,
    /// Leader Append-Only: (term, last index) of each server while leading.
    leading: BTreeMap<PeerId, (Term, LogIndex)>,
}

/// Shared by all servers of a run (and all their incarnations).
#[derive(Default)]
pub struct Invariants {
    state: Mutex<State>,
}

impl Invariants {
    pub fn new() -> Invariants {
        Invariants::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A violation panics while holding the lock; later readers (reports)
        // still want the data.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Invariants {
    /// Follows `server`'s new state (its log changed from `changed_from`)
    /// and checks every property; Err names the first one broken.
    pub fn observe(&self, server: &Seen, changed_from: Option<LogIndex>) -> Result<(), String> {
        let mut state = self.lock();
        follow_log(&mut state, server, changed_from);
        check_all(&mut state, server, changed_from)
    }
}

fn check_all(state: &mut State, core: &Seen, changed_from: Option<LogIndex>) -> Result<(), String> {
    log_matching(state, core, changed_from)?;
    election_safety(state, core)?;
    leader_append_only(state, core, changed_from)?;
    state_machine_safety(state, core)?;
    leader_completeness(state, core)
}

/// Brings the server's chain up to date with its log, from the first
/// index that changed.
fn follow_log(state: &mut State, core: &Seen, changed_from: Option<LogIndex>) {
    let chain = state.chains.entry(core.me).or_default();
    let Some(from) = changed_from else { return };
    chain.truncate((from - 1) as usize);
    let mut prefix = chain.last().map_or(0, |link| link.prefix);
    for entry in &core.log[chain.len()..] {
        prefix = chain_hash(prefix, entry.term, &entry.command);
        chain.push(Link {
            term: entry.term,
            prefix,
        });
    }
}

/// §5.3 Log Matching: if two logs contain an entry with the same index and
/// term, the logs are identical in all entries up through that index. Checked
/// in its strong form, across servers and across time: an (index, term) pair
/// always ends the same prefix.
fn log_matching(state: &mut State, core: &Seen, from: Option<LogIndex>) -> Result<(), String> {
    let Some(from) = from else { return Ok(()) };
    let chain = &state.chains[&core.me];
    for index in from..=chain.len() as LogIndex {
        let link = chain[(index - 1) as usize];
        let seen = *state
            .prefix_of
            .entry((index, link.term))
            .or_insert(link.prefix);
        if seen != link.prefix {
            return Err(format!(
                "Log Matching (§5.3): server {} holds index {index} term {} over a prefix that \
                 differs from another log's entry with the same index and term",
                core.me, link.term
            ));
        }
    }
    Ok(())
}

/// §5.2 Election Safety: at most one leader can be elected in a given term.
fn election_safety(state: &mut State, core: &Seen) -> Result<(), String> {
    if !core.is_leader() {
        return Ok(());
    }
    let leader = *state.leaders.entry(core.term).or_insert(core.me);
    if leader != core.me {
        return Err(format!(
            "Election Safety (§5.2): term {} has two leaders, {leader} and {}",
            core.term, core.me
        ));
    }
    Ok(())
}

/// §5.3 Leader Append-Only: a leader never overwrites or deletes entries in
/// its log; it only appends.
fn leader_append_only(
    state: &mut State,
    core: &Seen,
    from: Option<LogIndex>,
) -> Result<(), String> {
    if !core.is_leader() {
        state.leading.remove(&core.me);
        return Ok(());
    }
    let last_index = core.last_index();
    if let (Some(&(term, last_seen)), Some(from)) = (state.leading.get(&core.me), from) {
        if term == core.term && from <= last_seen {
            return Err(format!(
                "Leader Append-Only (§5.3): leader {} of term {term} changed index {from} of a \
                 log that ended at {last_seen}",
                core.me
            ));
        }
    }
    state.leading.insert(core.me, (core.term, last_index));
    Ok(())
}

/// §5.4.3 State Machine Safety: if a server has applied a log entry at a
/// given index, no other server ever applies a different entry there.
/// Checked one level down, on commitment (a server applies only what it
/// committed; config.go's applier checks the applied commands themselves):
/// every server's committed prefix agrees with the committed log known so
/// far.
fn state_machine_safety(state: &mut State, core: &Seen) -> Result<(), String> {
    let commit_index = core.commit_index as usize;
    let chain = &state.chains[&core.me];
    // A server that lost entries it had committed (a follower that
    // truncated them) shows a commit index past the end of its log.
    if commit_index > chain.len() {
        return Err(format!(
            "State Machine Safety (§5.4.3): server {} has committed index {commit_index}, but \
             its log ends at {}: committed entries were deleted",
            core.me,
            chain.len()
        ));
    }
    let shared = commit_index.min(state.committed.len());
    if shared > 0 && chain[shared - 1].prefix != state.committed[shared - 1].prefix {
        return Err(format!(
            "State Machine Safety (§5.4.3): server {} committed index {shared} over a log that \
             differs from what was committed before",
            core.me
        ));
    }
    for link in &chain[shared..commit_index] {
        state.committed.push(Committed {
            prefix: link.prefix,
            term: core.term,
        });
    }
    Ok(())
}

/// §5.4 Leader Completeness: if an entry is committed in a given term, it is
/// present in the logs of the leaders of all higher terms. Checked at every
/// step of every leader, against the entries first seen committed by a
/// server of a lower term (a deposed leader that has not heard of its
/// successor rightly lacks what the successor committed).
fn leader_completeness(state: &mut State, core: &Seen) -> Result<(), String> {
    if !core.is_leader() {
        state.complete_upto.remove(&core.me);
        return Ok(());
    }
    let term = core.term;
    let checked = match state.complete_upto.get(&core.me) {
        Some(&(seen_term, checked)) if seen_term == term => checked,
        _ => 0,
    };
    let committed = &state.committed;
    let must_hold = (checked..committed.len())
        .rev()
        .find(|&i| committed[i].term < term);
    state.complete_upto.insert(core.me, (term, committed.len()));
    let Some(position) = must_hold else {
        return Ok(());
    };
    let chain = &state.chains[&core.me];
    if chain.get(position).map(|link| link.prefix) != Some(committed[position].prefix) {
        return Err(format!(
            "Leader Completeness (§5.4): leader {} of term {term} lacks entries committed in \
             earlier terms, up to index {} (its log ends at {})",
            core.me,
            position + 1,
            chain.len()
        ));
    }
    Ok(())
}

/// FNV-1a over the previous prefix hash, the term and the command.
fn chain_hash(prefix: u64, term: Term, command: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |byte: u8| {
        hash ^= byte as u64;
        hash = hash.wrapping_mul(PRIME);
    };
    prefix.to_le_bytes().into_iter().for_each(&mut eat);
    term.to_le_bytes().into_iter().for_each(&mut eat);
    (command.len() as u64)
        .to_le_bytes()
        .into_iter()
        .for_each(&mut eat);
    command.iter().copied().for_each(&mut eat);
    hash
}
