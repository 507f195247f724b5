//! Scenarios: a named, seeded test body with a virtual-time limit.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// What a scenario body returns.
pub type Result<T = Summary> = std::result::Result<T, Failure>;

/// The future of a scenario body. Not `Send`: it runs as madsim's main task.
pub type BodyFuture = Pin<Box<dyn Future<Output = Result<Summary>>>>;

/// A scenario body: a plain function, so a scenario is plain data.
pub type Body = fn() -> BodyFuture;

/// The default virtual-time limit of a scenario.
pub const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(120);

/// The fixed seed that `cargo test` uses when neither `SEED` nor `SEEDS` is set.
pub const DEFAULT_SEED: u64 = 1;

/// A named scenario. Names are `system/group/name`: lowercase, `_` inside words.
#[derive(Clone)]
pub struct Scenario {
    pub name: &'static str,
    pub time_limit: Duration,
    pub default_seed: u64,
    pub body: Body,
    /// A planted bug: the scenario exists to fail (a demo for the tools, a
    /// check that a suite has teeth). `all` leaves it out, and the test
    /// harness requires it to fail on some seed.
    pub must_fail: bool,
    /// The suite this scenario counts towards, and that suite's virtual-time
    /// budget per seed (see [`crate::budget`]).
    pub suite_budget: Option<SuiteBudget>,
    /// Events that must happen on some seeds ([`crate::sometimes`]): a
    /// sweep in which one never happened says so.
    pub sometimes: &'static [&'static str],
}

/// A whole suite's virtual-time limit per seed: the course fails a Raft
/// whose tests together take more than 600 s, whatever each one takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuiteBudget {
    /// The suite's name (a registration prefix, `raft`).
    pub suite: &'static str,
    /// The most the suite's scenarios may take together, on one seed.
    pub total: Duration,
}

impl Scenario {
    /// A scenario with the default time limit and seed.
    ///
    /// Panics on a malformed name: names are written once, in code, and a bad
    /// one is a programming error caught by the first test run.
    pub fn new(name: &'static str, body: Body) -> Self {
        assert!(
            valid_name(name),
            "malformed scenario name {name:?}: want system/group/name in [a-z0-9_]"
        );
        Scenario {
            name,
            time_limit: DEFAULT_TIME_LIMIT,
            default_seed: DEFAULT_SEED,
            body,
            must_fail: false,
            suite_budget: None,
            sometimes: &[],
        }
    }

    /// Declares the "sometimes" events this scenario's checks record with
    /// [`crate::sometimes::hit`] (see [`Scenario::sometimes`]).
    pub fn sometimes(mut self, events: &'static [&'static str]) -> Self {
        assert!(
            events.iter().all(|e| !e.is_empty()),
            "{}: an empty sometimes event name",
            self.name
        );
        self.sometimes = events;
        self
    }

    /// Counts this scenario towards `suite`'s budget of `total` virtual
    /// time per seed.
    pub fn suite_budget(mut self, suite: &'static str, total: Duration) -> Self {
        assert!(
            !total.is_zero(),
            "{}: a zero suite budget can never pass",
            self.name
        );
        self.suite_budget = Some(SuiteBudget { suite, total });
        self
    }

    /// Marks a scenario with a planted bug (see [`Scenario::must_fail`]).
    pub fn must_fail(mut self) -> Self {
        self.must_fail = true;
        self
    }

    /// Sets the virtual-time limit (the original test's real-time limit).
    pub fn time_limit(mut self, limit: Duration) -> Self {
        assert!(
            !limit.is_zero(),
            "{}: a zero time limit can never pass",
            self.name
        );
        self.time_limit = limit;
        self
    }

    /// The system part of the name (`raft` in `raft/4a/initial_election`).
    pub fn system(&self) -> &'static str {
        self.name.split('/').next().unwrap_or(self.name)
    }
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("name", &self.name)
            .field("time_limit", &self.time_limit)
            .finish()
    }
}

/// A scenario name made at run time (a suite registered under a prefix the
/// caller chose, `myraft/4a/initial_election`), as the `&'static str` a
/// [`Scenario`] holds. Each distinct name is leaked once: a process
/// registers a bounded set of scenarios, however often it asks.
pub fn intern(name: String) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::Mutex;
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.get(name.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.insert(leaked);
    leaked
}

fn valid_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && !p.starts_with('_')
                && !p.ends_with('_')
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        })
}

/// The fields every result line has (see `report::result_line`).
pub const RESERVED_KEYS: [&str; 7] = [
    "seed", "virtual", "wall", "events", "rpcs", "bytes", "trace",
];

/// Figures a passing run reports beside the framework's own (the original
/// tests' "Passed" line: peers, RPCs, commands, ...). Ordered by key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub fields: BTreeMap<String, String>,
}

impl Summary {
    pub fn new() -> Self {
        Summary::default()
    }

    /// Adds a field; a key must be one word so that result lines stay
    /// parseable, and not one of the framework's own fields
    /// ([`RESERVED_KEYS`]), so that no key appears twice in a line.
    pub fn with(mut self, key: &str, value: impl fmt::Display) -> Self {
        assert!(
            !key.is_empty() && !key.contains(char::is_whitespace) && !key.contains('='),
            "summary key {key:?} must be one word"
        );
        assert!(
            !RESERVED_KEYS.contains(&key),
            "summary key {key:?} is one of the result line's own fields {RESERVED_KEYS:?}: name it after what it counts"
        );
        self.fields.insert(key.to_string(), value.to_string());
        self
    }
}

/// Why a run failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FailureKind {
    /// A check in the scenario failed (a returned error).
    Check,
    /// Something panicked: an assertion in a node, the tester or the system.
    Panic,
    /// Every task was blocked and no timer was pending.
    Deadlock,
    /// The scenario's virtual-time limit ran out.
    TimeLimit,
    /// The run's real-time guard fired (livelock: virtual time stopped).
    WallClock,
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FailureKind::Check => "CHECK",
            FailureKind::Panic => "PANIC",
            FailureKind::Deadlock => "DEADLOCK",
            FailureKind::TimeLimit => "TIME LIMIT",
            FailureKind::WallClock => "WALL CLOCK",
        })
    }
}

/// A failed check, with its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

impl Failure {
    pub fn check(message: impl Into<String>) -> Self {
        Failure {
            kind: FailureKind::Check,
            message: message.into(),
        }
    }

    /// The message with every run of digits replaced by `N`, so that failures
    /// that differ only in indexes, terms or times group together.
    pub fn signature(&self) -> String {
        let mut out = format!("{}: ", self.kind);
        let mut in_number = false;
        for c in self.message.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('N');
                }
                in_number = true;
            } else {
                in_number = false;
                out.push(c);
            }
        }
        out
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FailureKind::Check | FailureKind::Panic => f.write_str(&self.message),
            kind => write!(f, "{kind}: {}", self.message),
        }
    }
}

impl std::error::Error for Failure {}

/// Returns early from a scenario with a failed check.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return ::std::result::Result::Err($crate::Failure::check(format!($($arg)*)))
    };
}

/// Fails the scenario with the message unless the condition holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::bail!($($arg)*);
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interned_name_is_leaked_once() {
        let a = intern("myraft/4a/initial_election".to_string());
        let b = intern("myraft/4a/initial_election".to_string());
        assert_eq!(a, "myraft/4a/initial_election");
        assert!(std::ptr::eq(a, b), "the second intern leaked a copy");
    }

    #[test]
    fn names() {
        assert!(valid_name("raft/4a/initial_election"));
        assert!(valid_name("sim/labrpc/basic"));
        assert!(!valid_name("raft"));
        assert!(!valid_name("Raft/4a/x"));
        assert!(!valid_name("raft//x"));
        assert!(!valid_name("raft/4a/_x"));
        assert!(!valid_name("raft/4a/x-y"));
    }

    #[test]
    fn signature_masks_numbers() {
        let a = Failure::check("server 3 applied index 17 but expected 16");
        let b = Failure::check("server 1 applied index 2 but expected 1");
        assert_eq!(a.signature(), b.signature());
        assert_eq!(
            a.signature(),
            "CHECK: server N applied index N but expected N"
        );
        assert_ne!(
            a.signature(),
            Failure::check("term 3 has 2 (>1) leaders").signature()
        );
    }
}
