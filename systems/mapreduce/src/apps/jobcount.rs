//! Job count (`mrapps/jobcount.go`): every Map call leaves a file behind, and
//! Reduce counts those files, so the output says how many Map calls ran.
//! With no failures and maps shorter than the 10 s re-issue timeout it must
//! equal the number of input files.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::app::{App, BoxFuture, Effects};
use crate::kv::KeyValue;

const MARKER_PREFIX: &str = "mr-worker-jobcount";
/// A Map takes 2000 + U[0, 3000) ms: long enough to overlap, short of 10 s.
const MAP_BASE_MS: u64 = 2000;
const MAP_JITTER_MS: u64 = 3000;

#[derive(Default)]
pub struct JobCount {
    /// Go's package-level `count`. One shared counter is enough to keep the
    /// marker names unique, since they also carry the pid.
    invocations: AtomicU64,
}

impl App for JobCount {
    fn name(&self) -> &'static str {
        "jobcount"
    }

    fn map<'a>(
        &'a self,
        effects: &'a dyn Effects,
        _filename: &'a str,
        _contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(async move {
            let invocation = self.invocations.fetch_add(1, Ordering::Relaxed);
            let marker = format!("{MARKER_PREFIX}-{}-{invocation}", effects.pid());
            effects
                .write_file(&marker, b"x")
                .await
                .unwrap_or_else(|error| panic!("jobcount: cannot create {marker}: {error}"));
            let pause_ms = MAP_BASE_MS + effects.random_below(MAP_JITTER_MS);
            effects.sleep(Duration::from_millis(pause_ms)).await;
            vec![KeyValue::new("a", "x")]
        })
    }

    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        _key: &'a str,
        _values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(async move {
            let names = effects
                .list_files()
                .await
                .unwrap_or_else(|error| panic!("jobcount: cannot list files: {error}"));
            let invocations = names
                .iter()
                .filter(|name| name.starts_with(MARKER_PREFIX))
                .count();
            invocations.to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::fake_effects::FakeEffects;

    /// Each map leaves a distinct marker and takes 2..5 s; reduce counts them.
    #[test]
    fn reduce_counts_one_marker_per_map_call() {
        let app = JobCount::default();
        let effects = FakeEffects::new(5, &[0, 2_999, 1_000]);
        for _ in 0..3 {
            let pairs = app.map(&effects, "f", "").now_or_never().unwrap();
            assert_eq!(pairs, [KeyValue::new("a", "x")]);
        }
        let expected = [2_000, 4_999, 3_000].map(Duration::from_millis);
        assert_eq!(effects.slept(), expected);
        effects
            .files
            .lock()
            .unwrap()
            .insert("mr-0-0".into(), Vec::new());
        let count = app.reduce(&effects, "a", &[]).now_or_never();
        assert_eq!(count.as_deref(), Some("3"));
    }
}
