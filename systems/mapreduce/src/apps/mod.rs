//! The applications of HW3, registered by name like the lab's `.so` plugins.

pub mod crash;
pub mod credit;
pub mod early_exit;
pub mod indexer;
pub mod jobcount;
pub mod timing;
pub mod wc;
pub mod words;

use std::sync::Arc;

use crate::app::App;

/// Every registered application name, in the order `test-mr.sh` uses them.
pub const NAMES: &[&str] = &[
    "wc",
    "indexer",
    "mtiming",
    "rtiming",
    "jobcount",
    "early_exit",
    "crash",
    "nocrash",
    "credit",
];

/// A fresh instance of the application called `name`: a new worker process
/// loading the plugin. `None` for an unknown name.
pub fn by_name(name: &str) -> Option<Arc<dyn App>> {
    let app: Arc<dyn App> = match name {
        "wc" => Arc::new(wc::WordCount),
        "indexer" => Arc::new(indexer::Indexer),
        "mtiming" => Arc::new(timing::MapTiming),
        "rtiming" => Arc::new(timing::ReduceTiming),
        "jobcount" => Arc::new(jobcount::JobCount::default()),
        "early_exit" => Arc::new(early_exit::EarlyExit),
        "crash" => Arc::new(crash::Crashing::crash_app()),
        // Word count whose maps crash like the crash app's: the
        // course-scale scenario's job, where the output depends on every word.
        "wc_crash" => Arc::new(crash::Crashing::maps_only(
            "wc_crash",
            Arc::new(wc::WordCount),
        )),
        "nocrash" => Arc::new(crash::NoCrash),
        "credit" => Arc::new(credit::Credit),
        _ => return None,
    };
    debug_assert_eq!(app.name(), name);
    Some(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_resolves_to_an_app_of_that_name() {
        for name in NAMES {
            let app = by_name(name).unwrap_or_else(|| panic!("{name} is not registered"));
            assert_eq!(app.name(), *name);
        }
        assert!(by_name("wc.so").is_none());
        assert!(by_name("").is_none());
    }
}
