//! insta snapshots of traces.
//!
//! A snapshot holds the compact trace (INFO and above) of the given target
//! prefix: virtual times, node names and protocol events, nothing
//! machine-specific. Accept a change only when the protocol change it shows
//! is understood. insta's own message points to `cargo insta review`, a tool
//! that is not installed with the project: on a mismatch the macro says how
//! to get it and how to accept a change without it ([`ACCEPT_HINT`]).

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
        let compact = result.trace.compact_text($prefix);
        let outcome = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            $crate::snapshot::insta::with_settings!({ description => header, omit_expression => true }, {
                $crate::snapshot::insta::assert_snapshot!($name, compact);
            });
        }));
        if let Err(panic) = outcome {
            eprintln!("{}", $crate::snapshot::ACCEPT_HINT);
            ::std::panic::resume_unwind(panic);
        }
    }};
}

/// What to do when a trace snapshot no longer matches.
pub const ACCEPT_HINT: &str = "\
the trace snapshot changed. Read the diff above: accept it only if you understand the protocol change it shows.
  to review interactively: cargo install cargo-insta --locked, then cargo insta review
  to accept without cargo-insta: rerun the failing test with INSTA_UPDATE=always in its environment
    (rewrites the .snap files in place; review them with git diff before committing)";
