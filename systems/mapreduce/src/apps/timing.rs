//! Parallelism probes (`mrapps/mtiming.go`, `mrapps/rtiming.go`).
//!
//! Each probed call drops a marker file `mr-worker-<phase>-<pid>`, counts the
//! markers whose worker is still alive, holds its marker for 1 s and removes
//! it. Two workers running the same phase at once see each other.

use std::time::Duration;

use crate::app::{App, BoxFuture, Effects};
use crate::kv::KeyValue;

const HOLD: Duration = Duration::from_secs(1);

/// The lab's `nparallel(phase)`: how many live workers are in `phase` now,
/// this one included.
pub async fn nparallel(effects: &dyn Effects, phase: &str) -> usize {
    let prefix = format!("mr-worker-{phase}-");
    let marker = format!("{prefix}{}", effects.pid());
    effects
        .write_file(&marker, b"x")
        .await
        .unwrap_or_else(|error| panic!("nparallel: cannot create {marker}: {error}"));
    let names = effects
        .list_files()
        .await
        .unwrap_or_else(|error| panic!("nparallel: cannot list files: {error}"));
    let running = names
        .iter()
        .filter_map(|name| name.strip_prefix(&prefix)?.parse::<u64>().ok())
        .filter(|pid| effects.is_alive(*pid))
        .count();
    // Our own marker is there and we are alive.
    assert!(
        running >= 1,
        "nparallel did not see its own marker {marker}"
    );
    effects.sleep(HOLD).await;
    effects
        .remove_file(&marker)
        .await
        .unwrap_or_else(|error| panic!("nparallel: cannot remove {marker}: {error}"));
    running
}

/// Values sorted and joined by spaces.
fn sorted_join(values: &[String]) -> String {
    let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.join(" ")
}

/// Map emits `times-<pid>` (when it started, `%.1f` seconds) and
/// `parallel-<pid>` (how many workers were mapping with it).
pub struct MapTiming;

impl App for MapTiming {
    fn name(&self) -> &'static str {
        "mtiming"
    }

    fn map<'a>(
        &'a self,
        effects: &'a dyn Effects,
        _filename: &'a str,
        _contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(async move {
            let started = effects.now_secs();
            let pid = effects.pid();
            let parallel = nparallel(effects, "map").await;
            vec![
                KeyValue::new(format!("times-{pid}"), format!("{started:.1}")),
                KeyValue::new(format!("parallel-{pid}"), parallel.to_string()),
            ]
        })
    }

    fn reduce<'a>(
        &'a self,
        _effects: &'a dyn Effects,
        _key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(std::future::ready(sorted_join(values)))
    }
}

/// Map emits the keys `a`..=`j`; each Reduce reports how many workers were
/// reducing with it.
pub struct ReduceTiming;

impl App for ReduceTiming {
    fn name(&self) -> &'static str {
        "rtiming"
    }

    fn map<'a>(
        &'a self,
        _effects: &'a dyn Effects,
        _filename: &'a str,
        _contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        let pairs = ('a'..='j').map(|key| KeyValue::new(key, "1")).collect();
        Box::pin(std::future::ready(pairs))
    }

    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        _key: &'a str,
        _values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(async move { nparallel(effects, "reduce").await.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::fake_effects::FakeEffects;

    /// Markers of live workers count, markers of dead ones do not, and the
    /// probe removes its own marker after holding it for 1 s.
    #[test]
    fn nparallel_counts_live_markers_only() {
        let mut effects = FakeEffects::new(7, &[]);
        effects.alive = vec![7, 8];
        for pid in [8, 9] {
            let marker = format!("mr-worker-map-{pid}");
            effects.files.lock().unwrap().insert(marker, b"x".to_vec());
        }
        let seen = nparallel(&effects, "map").now_or_never().unwrap();
        assert_eq!(seen, 2);
        assert_eq!(effects.slept(), [HOLD]);
        assert_eq!(effects.file_names(), ["mr-worker-map-8", "mr-worker-map-9"]);
    }

    #[test]
    fn mtiming_emits_times_and_parallel_for_its_pid() {
        let effects = FakeEffects::new(42, &[]);
        let pairs = MapTiming.map(&effects, "f", "").now_or_never().unwrap();
        assert_eq!(
            pairs,
            [
                KeyValue::new("times-42", "0.0"),
                KeyValue::new("parallel-42", "1")
            ]
        );
        let values = ["2", "1", "2"].map(String::from);
        let joined = MapTiming
            .reduce(&effects, "parallel-42", &values)
            .now_or_never();
        assert_eq!(joined.as_deref(), Some("1 2 2"));
    }

    #[test]
    fn rtiming_maps_a_to_j_and_reduces_to_the_parallelism() {
        let effects = FakeEffects::new(3, &[]);
        let pairs = ReduceTiming.map(&effects, "f", "").now_or_never().unwrap();
        let keys: String = pairs.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, "abcdefghij");
        let reduced = ReduceTiming.reduce(&effects, "a", &[]).now_or_never();
        assert_eq!(reduced.as_deref(), Some("1"));
    }
}
