//! Early exit (`mrapps/early_exit.go`): some reduces are slow, so a worker
//! that quits while the job is still running is caught with partial output.

use std::time::Duration;

use crate::app::{App, BoxFuture, Effects};
use crate::kv::KeyValue;

const SLOW_REDUCE: Duration = Duration::from_secs(3);

pub struct EarlyExit;

impl App for EarlyExit {
    fn name(&self) -> &'static str {
        "early_exit"
    }

    /// One pair per input: `(filename, "1")`.
    fn map<'a>(
        &'a self,
        _effects: &'a dyn Effects,
        filename: &'a str,
        _contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(std::future::ready(vec![KeyValue::new(filename, "1")]))
    }

    /// Sleeps 3 s for keys naming "sherlock" or "tom", then counts.
    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(async move {
            if key.contains("sherlock") || key.contains("tom") {
                effects.sleep(SLOW_REDUCE).await;
            }
            values.len().to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;
    use crate::fake_effects::FakeEffects;

    #[test]
    fn slow_keys_sleep_three_seconds_others_do_not() {
        let effects = FakeEffects::new(1, &[]);
        let ones = ["1", "1"].map(String::from);
        let fast = EarlyExit
            .reduce(&effects, "pg-grimm.txt", &ones)
            .now_or_never();
        assert_eq!(fast.as_deref(), Some("2"));
        assert!(effects.slept().is_empty());
        for slow in ["pg-sherlock_holmes.txt", "pg-tom_sawyer.txt"] {
            EarlyExit.reduce(&effects, slow, &ones).now_or_never();
        }
        assert_eq!(effects.slept(), [SLOW_REDUCE, SLOW_REDUCE]);
    }
}
