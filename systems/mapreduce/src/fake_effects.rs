//! An in-memory [`Effects`] for unit tests of the applications: sleeps return
//! at once (and are recorded), random numbers come from a script, a crash is
//! recorded and then never completes.

use std::collections::BTreeMap;
use std::io;
use std::sync::Mutex;
use std::time::Duration;

use crate::app::{BoxFuture, Effects};

#[derive(Default)]
pub struct FakeEffects {
    pub pid: u64,
    pub alive: Vec<u64>,
    pub rolls: Mutex<Vec<u64>>,
    pub slept: Mutex<Vec<Duration>>,
    pub crashed: Mutex<bool>,
    pub files: Mutex<BTreeMap<String, Vec<u8>>>,
}

impl FakeEffects {
    /// A fake for process `pid` whose random draws are `rolls`, in order.
    pub fn new(pid: u64, rolls: &[u64]) -> Self {
        let mut rolls = rolls.to_vec();
        rolls.reverse();
        FakeEffects {
            pid,
            alive: vec![pid],
            rolls: Mutex::new(rolls),
            ..Default::default()
        }
    }

    pub fn slept(&self) -> Vec<Duration> {
        self.slept.lock().unwrap().clone()
    }

    pub fn crashed(&self) -> bool {
        *self.crashed.lock().unwrap()
    }

    pub fn file_names(&self) -> Vec<String> {
        self.files.lock().unwrap().keys().cloned().collect()
    }
}

impl Effects for FakeEffects {
    fn pid(&self) -> u64 {
        self.pid
    }

    fn now_secs(&self) -> f64 {
        self.slept()
            .iter()
            .map(Duration::as_secs_f64)
            .fold(0.0, |total, secs| total + secs)
    }

    fn random_below(&self, bound: u64) -> u64 {
        let roll = self.rolls.lock().unwrap().pop().expect("a scripted roll");
        assert!(roll < bound, "scripted roll {roll} is not below {bound}");
        roll
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'_, ()> {
        self.slept.lock().unwrap().push(duration);
        Box::pin(std::future::ready(()))
    }

    fn crash(&self) -> BoxFuture<'_, ()> {
        *self.crashed.lock().unwrap() = true;
        Box::pin(std::future::pending())
    }

    fn is_alive(&self, pid: u64) -> bool {
        self.alive.contains(&pid)
    }

    fn write_file<'a>(&'a self, name: &'a str, data: &'a [u8]) -> BoxFuture<'a, io::Result<()>> {
        self.files
            .lock()
            .unwrap()
            .insert(name.to_string(), data.to_vec());
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove_file<'a>(&'a self, name: &'a str) -> BoxFuture<'a, io::Result<()>> {
        let removed = self.files.lock().unwrap().remove(name);
        let result = removed
            .map(|_| ())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, name.to_string()));
        Box::pin(std::future::ready(result))
    }

    fn list_files(&self) -> BoxFuture<'_, io::Result<Vec<String>>> {
        Box::pin(std::future::ready(Ok(self.file_names())))
    }
}
