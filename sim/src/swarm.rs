//! The parameters a swarm scenario drew from its seed (TigerBeetle's VOPR
//! prints them all): a scenario calls [`drew`] for each one, the runner
//! hands them back in [`crate::RunResult::drawn`], a failure report prints
//! them next to the seed, and a sweep shows the range of each one it
//! covered, so that "500 seeds passed" says over which workloads and
//! schedules.
//!
//! Why a separate record and not only the summary line: a failing run has
//! no summary, and the parameters matter most there. Why not in the trace:
//! recording a parameter must not change a trace hash (a scenario may start
//! recording what it already drew).

use std::cell::RefCell;
use std::fmt;

/// One drawn value: a number (a count, a rate, a duration in units the
/// name says) or a word (a strategy, a kind).
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Number(f64),
    Word(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Value::Number(n) => write!(f, "{n:.3}"),
            Value::Word(w) => f.write_str(w),
        }
    }
}

macro_rules! number_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Value {
                Value::Number(n as f64)
            }
        }
    )*};
}
number_from!(u8, u16, u32, u64, usize, i32, i64, f64);

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Word(b.to_string())
    }
}

impl From<&str> for Value {
    fn from(w: &str) -> Value {
        Value::Word(w.to_string())
    }
}

impl From<String> for Value {
    fn from(w: String) -> Value {
        Value::Word(w)
    }
}

thread_local! {
    static DRAWN: RefCell<Vec<(&'static str, Value)>> = const { RefCell::new(Vec::new()) };
}

/// Records that this run drew `value` for parameter `name`. A name drawn
/// twice keeps its last value (a scenario that redraws says what it used).
pub fn drew(name: &'static str, value: impl Into<Value>) {
    let value = value.into();
    DRAWN.with(|d| {
        let mut d = d.borrow_mut();
        match d.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => d.push((name, value)),
        }
    });
}

/// The parameters recorded so far in this run, in the order first drawn.
pub fn drawn() -> Vec<(&'static str, Value)> {
    DRAWN.with(|d| d.borrow().clone())
}

pub(crate) fn begin() {
    DRAWN.with(|d| d.borrow_mut().clear());
}

pub(crate) fn end() -> Vec<(&'static str, Value)> {
    DRAWN.with(|d| std::mem::take(&mut *d.borrow_mut()))
}

/// `name=value name=value`, as a failure report prints them.
pub fn describe(drawn: &[(&'static str, Value)]) -> String {
    let parts: Vec<String> = drawn.iter().map(|(n, v)| format!("{n}={v}")).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_in_order_and_keeps_the_last_value() {
        begin();
        drew("workers", 7u64);
        drew("strategy", "pct");
        drew("crash_rate", 0.25);
        drew("workers", 3u64);
        assert_eq!(describe(&end()), "workers=3 strategy=pct crash_rate=0.250");
        assert!(end().is_empty(), "end takes the record");
    }
}
