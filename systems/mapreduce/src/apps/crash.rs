//! Crash recovery apps (`mrapps/crash.go`, `mrapps/nocrash.go`).
//!
//! Both emit the same pairs; `crash` first rolls a die at the start of every
//! Map and Reduce call and may end its worker or stall it for up to 10 s,
//! which is what forces the coordinator to re-issue tasks after 10 s.
//! [`Crashing`] does the same to any application.

use std::sync::Arc;
use std::time::Duration;

use crate::app::{App, BoxFuture, Effects, PureApp};
use crate::kv::KeyValue;

/// Out of `DIE_SIDES`: below `CRASH_BELOW` the worker exits (33%), below
/// `DELAY_BELOW` it sleeps U[0, `DELAY_MAX_MS`) ms (33%), otherwise it goes on.
const DIE_SIDES: u64 = 1000;
const CRASH_BELOW: u64 = 330;
const DELAY_BELOW: u64 = 660;
const DELAY_MAX_MS: u64 = 10_000;

/// The lab's `maybeCrash()`.
pub async fn maybe_crash(effects: &dyn Effects) {
    let roll = effects.random_below(DIE_SIDES);
    if roll < CRASH_BELOW {
        // Returns only if the run's fault plan switched this crash off.
        effects.crash().await;
    } else if roll < DELAY_BELOW {
        let delay_ms = effects.random_below(DELAY_MAX_MS);
        effects.sleep(Duration::from_millis(delay_ms)).await;
    }
}

fn pairs(filename: &str, contents: &str) -> Vec<KeyValue> {
    vec![
        KeyValue::new("a", filename),
        // Byte lengths, like Go's len() on a string.
        KeyValue::new("b", filename.len().to_string()),
        KeyValue::new("c", contents.len().to_string()),
        KeyValue::new("d", "xyzzy"),
    ]
}

/// The values sorted and joined by spaces, so the output is deterministic.
fn sorted_join(values: &[String]) -> String {
    let mut sorted: Vec<&str> = values.iter().map(String::as_str).collect();
    sorted.sort_unstable();
    sorted.join(" ")
}

/// Any application made to fail like the crash app: `maybeCrash()` at the
/// start of every Map and Reduce call. The crash app is [`NoCrash`] wrapped
/// in this; `dst mr --crash` wraps the chosen application.
pub struct Crashing {
    name: &'static str,
    inner: Arc<dyn App>,
    /// Roll the die in Reduce calls too, as the crash app does.
    reduces_too: bool,
}

impl Crashing {
    pub fn new(name: &'static str, inner: Arc<dyn App>) -> Self {
        Crashing {
            name,
            inner,
            reduces_too: true,
        }
    }

    /// Crashing only at the start of Map calls. For an application with
    /// many keys: Reduce runs once per key, and a one-in-three exit per
    /// key would never let a reduce task of thousands of words finish
    /// (the crash app has four keys).
    pub fn maps_only(name: &'static str, inner: Arc<dyn App>) -> Self {
        Crashing {
            name,
            inner,
            reduces_too: false,
        }
    }

    /// The lab's crash app.
    pub fn crash_app() -> Self {
        Crashing::new("crash", Arc::new(NoCrash))
    }
}

impl App for Crashing {
    fn name(&self) -> &'static str {
        self.name
    }

    fn map<'a>(
        &'a self,
        effects: &'a dyn Effects,
        filename: &'a str,
        contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(async move {
            maybe_crash(effects).await;
            self.inner.map(effects, filename, contents).await
        })
    }

    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(async move {
            if self.reduces_too {
                maybe_crash(effects).await;
            }
            self.inner.reduce(effects, key, values).await
        })
    }
}

/// The reference for the crash test: the same output, never crashing.
pub struct NoCrash;

impl PureApp for NoCrash {
    fn name(&self) -> &'static str {
        "nocrash"
    }

    fn map(&self, filename: &str, contents: &str) -> Vec<KeyValue> {
        pairs(filename, contents)
    }

    fn reduce(&self, _key: &str, values: &[String]) -> String {
        sorted_join(values)
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::fake_effects::FakeEffects;

    fn map_once(rolls: &[u64]) -> (FakeEffects, Option<Vec<KeyValue>>) {
        let effects = FakeEffects::new(1, rolls);
        let output = Crashing::crash_app()
            .map(&effects, "pg-x.txt", "héllo")
            .now_or_never();
        (effects, output)
    }

    #[test]
    fn roll_below_330_crashes_and_emits_nothing() {
        let (effects, output) = map_once(&[329]);
        assert!(effects.crashed());
        assert!(output.is_none());
    }

    #[test]
    fn roll_below_660_sleeps_up_to_ten_seconds_then_maps() {
        let (effects, output) = map_once(&[330, 9_999]);
        assert!(!effects.crashed());
        assert_eq!(effects.slept(), [Duration::from_millis(9_999)]);
        assert_eq!(output.unwrap(), PureApp::map(&NoCrash, "pg-x.txt", "héllo"));
    }

    #[test]
    fn roll_from_660_maps_at_once() {
        let (effects, output) = map_once(&[660]);
        assert!(effects.slept().is_empty());
        let pairs = output.unwrap();
        // Lengths are in bytes, like Go's len().
        assert_eq!(pairs[1], KeyValue::new("b", "8"));
        assert_eq!(pairs[2], KeyValue::new("c", "6"));
    }

    #[test]
    fn reduce_sorts_values_and_may_crash_too() {
        let values = ["pg-b", "pg-a"].map(String::from);
        let app = Crashing::crash_app();
        let effects = FakeEffects::new(1, &[999, 0]);
        let joined = app.reduce(&effects, "a", &values).now_or_never();
        assert_eq!(joined.as_deref(), Some("pg-a pg-b"));
        assert!(app.reduce(&effects, "a", &values).now_or_never().is_none());
        assert!(effects.crashed());
    }
}
