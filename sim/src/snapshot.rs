//! insta snapshots of traces.
//!
//! A snapshot holds the compact trace (INFO and above) of the given target
//! prefix: virtual times, node names and protocol events, nothing
//! machine-specific. Review changes with `cargo insta review`, and accept one
//! only when the protocol change it shows is understood.

pub use insta;

/// Snapshots the compact trace of a run for targets starting with `$prefix`:
/// `sim::assert_trace_snapshot!("name", &result, "raft")`.
#[macro_export]
macro_rules! assert_trace_snapshot {
    ($name:expr, $result:expr, $prefix:expr) => {{
        let result: &$crate::RunResult = $result;
        let header = format!(
            "scenario {} seed {} (compact trace of {}*)",
            result.scenario, result.seed, $prefix
        );
        $crate::snapshot::insta::with_settings!({ description => header, omit_expression => true }, {
            $crate::snapshot::insta::assert_snapshot!($name, result.trace.compact_text($prefix));
        });
    }};
}
