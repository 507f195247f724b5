//! What a MapReduce application is, and what the worker lends it while it runs.
//!
//! The Go lab loads `Map` and `Reduce` from a plugin. Most applications (wc,
//! indexer, credit, nocrash) are pure functions and implement [`PureApp`];
//! the test applications of `test-mr.sh` sleep, crash their process, draw
//! random numbers and look at files. Those implement [`App`] directly and do
//! all of that through [`Effects`], which the worker provides: in the
//! simulation the effects act on virtual time, the simulated node and the
//! shared simulated filesystem, so the applications stay deterministic.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use crate::kv::KeyValue;

/// A boxed future, so that [`App`] and [`Effects`] can be trait objects
/// (applications are looked up by name at run time, like Go plugins).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The side effects an application may request from the worker running it.
pub trait Effects: Send + Sync {
    /// The running worker's identity, the lab's `os.Getpid()`. A restarted
    /// worker is a new process and gets a new pid.
    fn pid(&self) -> u64;
    /// Seconds since the start of the run (virtual time in the simulation),
    /// the lab's `time.Now()` as used by mtiming's timestamps.
    fn now_secs(&self) -> f64;
    /// A uniformly random number in `0..bound` (the lab's `crypto/rand` and
    /// `math/rand`), drawn from the run's seeded generator.
    fn random_below(&self, bound: u64) -> u64;
    /// Suspend this Map or Reduce call for `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()>;
    /// End this worker process abruptly, the lab's `os.Exit(1)`: the future
    /// never completes, so nothing after it runs. It completes only when the
    /// run's fault plan (replay, shrinking) switched this crash off; the
    /// application then carries on as if it had not decided to crash.
    fn crash(&self) -> BoxFuture<'_, ()>;
    /// Whether the worker with this pid is still running, the lab's
    /// `kill(pid, 0)`.
    fn is_alive(&self, pid: u64) -> bool;
    /// Create or replace a file in the job's shared directory.
    fn write_file<'a>(&'a self, name: &'a str, data: &'a [u8]) -> BoxFuture<'a, io::Result<()>>;
    /// Remove a file from the job's shared directory.
    fn remove_file<'a>(&'a self, name: &'a str) -> BoxFuture<'a, io::Result<()>>;
    /// The names of the files in the job's shared directory, sorted.
    fn list_files(&self) -> BoxFuture<'_, io::Result<Vec<String>>>;
}

/// A MapReduce application, as the worker calls it.
pub trait App: Send + Sync {
    /// The name it is registered under (`wc`, `crash`, ...).
    fn name(&self) -> &'static str;
    /// Map one input split: `filename` is the input's name, `contents` its text.
    fn map<'a>(
        &'a self,
        effects: &'a dyn Effects,
        filename: &'a str,
        contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>>;
    /// Reduce all values emitted for `key`, in the order the maps emitted them.
    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String>;
    /// The application as plain functions, if it is one: the worker then
    /// runs a whole Map or a whole Reduce task as one computation, with no
    /// future per key.
    fn as_pure(&self) -> Option<&dyn PureApp> {
        None
    }
}

/// An application whose Map and Reduce are plain functions of their input.
pub trait PureApp: Send + Sync {
    fn name(&self) -> &'static str;
    fn map(&self, filename: &str, contents: &str) -> Vec<KeyValue>;
    fn reduce(&self, key: &str, values: &[String]) -> String;
}

impl<T: PureApp> App for T {
    fn name(&self) -> &'static str {
        PureApp::name(self)
    }

    fn map<'a>(
        &'a self,
        _effects: &'a dyn Effects,
        filename: &'a str,
        contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(std::future::ready(PureApp::map(self, filename, contents)))
    }

    fn reduce<'a>(
        &'a self,
        _effects: &'a dyn Effects,
        key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(std::future::ready(PureApp::reduce(self, key, values)))
    }

    fn as_pure(&self) -> Option<&dyn PureApp> {
        Some(self)
    }
}
