//! `mapreduce/swarm`: the seed draws the job and the fault mix, where every
//! ported step fixes them (eight inputs, `n_reduce` 10, the crash app's
//! one-in-three exits and stalls of up to 10 s, a reliable network).
//!
//! Drawn: 1 to 16 input files, `n_reduce` 1 to 20, 1 to 8 worker restart
//! loops, the chance per Map and Reduce call that a worker exits (0–40%)
//! or stalls (0–40%, up to 0–15 s: beyond the 10 s re-issue timeout), and
//! whether RPCs between workers and coordinator are lost and delayed
//! (labrpc's unreliable network), replies reordered long, and calls to an
//! unreachable coordinator slow to fail.
//!
//! A fault phase of 10–60 s, then a liveness phase: the network heals and
//! workers restarted from then on no longer crash or stall; the job must
//! finish within 60 s more (a re-issue timeout and a stall, with room), and
//! its output must equal the sequential output.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use madsim::time::{sleep, Instant};
use mapreduce::app::{App, BoxFuture, Effects, PureApp};
use mapreduce::apps::crash::NoCrash;
use mapreduce::kv::KeyValue;
use mapreduce::testdata::File;
use mapreduce::{Cluster, Exit, MapReduce};
use sim::rand::Rng;
use sim::swarm::drew;
use sim::{ensure, net};

use super::harness::{compare, reference, sorted_output, summary, texts};

/// The environment a seed draws.
#[derive(Clone, Copy, Debug)]
struct Mix {
    files: usize,
    n_reduce: usize,
    workers: usize,
    crash_permille: u64,
    stall_permille: u64,
    stall_max: Duration,
    unreliable: bool,
    long_reordering: bool,
    long_delays: bool,
    fault_phase: Duration,
}

impl Mix {
    fn draw() -> Mix {
        let mut rng = sim::rand::chacha();
        let mix = Mix {
            files: rng.gen_range(1..=16),
            n_reduce: rng.gen_range(1..=20),
            workers: rng.gen_range(1..=8),
            crash_permille: rng.gen_range(0..=400),
            stall_permille: rng.gen_range(0..=400),
            stall_max: Duration::from_millis(rng.gen_range(0..=15_000)),
            unreliable: rng.gen_bool(0.5),
            long_reordering: rng.gen_bool(0.3),
            long_delays: rng.gen_bool(0.3),
            fault_phase: Duration::from_secs(rng.gen_range(10..=60)),
        };
        drew("files", mix.files);
        drew("n_reduce", mix.n_reduce);
        drew("workers", mix.workers);
        drew("crash_permille", mix.crash_permille);
        drew("stall_permille", mix.stall_permille);
        drew("stall_max_ms", mix.stall_max.as_millis() as u64);
        drew("unreliable", mix.unreliable);
        drew("long_reordering", mix.long_reordering);
        drew("long_delays", mix.long_delays);
        drew("fault_phase_s", mix.fault_phase.as_secs());
        mix
    }
}

/// How long the job may take once everything is healed.
const LIVENESS_BOUND: Duration = Duration::from_secs(60);
/// The script's `sleep 1` between restarts.
const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// `count` input files: this seed's eight texts, and copies of them under
/// new names when more are drawn (a task count no ported step uses).
fn inputs(count: usize) -> Vec<File> {
    let texts = texts();
    (0..count)
        .map(|i| {
            let (name, bytes) = &texts[i % texts.len()];
            match i / texts.len() {
                0 => (name.clone(), bytes.clone()),
                copy => (format!("{name}.copy{copy}"), bytes.clone()),
            }
        })
        .collect()
}

pub async fn swarm<M: MapReduce>() -> sim::Result {
    let mix = Mix::draw();
    tracing::info!(target: "mapreduce::swarm", ?mix, "drawn mix");
    let files = inputs(mix.files);
    let want = reference(&NoCrash, &files);
    let cluster = Cluster::<M>::new(mix.n_reduce);
    cluster
        .put_inputs(&files)
        .await
        .expect("inputs fit the shared filesystem");
    net::set_reliable(!mix.unreliable);
    net::set_long_reordering(mix.long_reordering);
    net::set_long_delays(mix.long_delays);
    let names = files.iter().map(|(name, _)| name.clone()).collect();
    let coordinator = cluster.start_coordinator(names);
    let inspected = cluster.clone();
    sim::inspect::inspector("mapreduce/tasks", move || inspected.describe());

    let healed = Arc::new(AtomicBool::new(false));
    let faulty: Arc<dyn App> = Arc::new(Faulty {
        crash_permille: mix.crash_permille,
        stall_permille: mix.stall_permille,
        stall_max: mix.stall_max,
    });
    let loops =
        (0..mix.workers).map(|index| restart_loop(&cluster, index, faulty.clone(), healed.clone()));
    let heal = async {
        sleep(mix.fault_phase).await;
        tracing::info!(target: "mapreduce::swarm", "liveness phase: healing everything");
        net::set_reliable(true);
        net::set_long_reordering(false);
        net::set_long_delays(false);
        healed.store(true, Ordering::SeqCst);
        Instant::now()
    };
    let (runs, healed_at) = futures::join!(join_all(loops), heal);
    let runs: usize = runs.into_iter().sum();
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let took = Instant::now().saturating_duration_since(healed_at);
    ensure!(
        took <= LIVENESS_BOUND,
        "liveness: the job ended {took:?} after healing (bound {LIVENESS_BOUND:?})"
    );
    let got = sorted_output(&cluster).await?;
    compare("swarm", &got, &want)?;
    Ok(summary(&cluster, got.len())
        .with("crashes", cluster.processes().crashes())
        .with("loop_runs", runs)
        .with("n_reduce", mix.n_reduce)
        .with("files", mix.files))
}

/// Restarts a worker on `worker-<index>` until the coordinator exits; once
/// `healed`, the restarted workers no longer fail.
async fn restart_loop<M: MapReduce>(
    cluster: &Cluster<M>,
    index: usize,
    faulty: Arc<dyn App>,
    healed: Arc<AtomicBool>,
) -> usize {
    let node = format!("worker-{index}");
    let mut runs = 0;
    while !cluster.coordinator_exited() {
        let app: Arc<dyn App> = if healed.load(Ordering::SeqCst) {
            Arc::new(Faulty::healthy())
        } else {
            faulty.clone()
        };
        cluster.start_worker(&node, app).wait().await;
        runs += 1;
        sleep(RESTART_PAUSE).await;
    }
    runs
}

/// The crash app's pairs with drawn rates of exits and stalls at the start
/// of every Map and Reduce call (the lab's `maybeCrash`, parameterised).
struct Faulty {
    crash_permille: u64,
    stall_permille: u64,
    stall_max: Duration,
}

impl Faulty {
    fn healthy() -> Faulty {
        Faulty {
            crash_permille: 0,
            stall_permille: 0,
            stall_max: Duration::ZERO,
        }
    }

    async fn maybe_fail(&self, effects: &dyn Effects) {
        if self.crash_permille == 0 && self.stall_permille == 0 {
            return;
        }
        let roll = effects.random_below(1000);
        if roll < self.crash_permille {
            effects.crash().await;
        } else if roll < self.crash_permille + self.stall_permille {
            let max_ms = self.stall_max.as_millis() as u64;
            let ms = effects.random_below(max_ms.max(1));
            effects.sleep(Duration::from_millis(ms)).await;
        }
    }
}

impl App for Faulty {
    fn name(&self) -> &'static str {
        "swarm"
    }

    fn map<'a>(
        &'a self,
        effects: &'a dyn Effects,
        filename: &'a str,
        contents: &'a str,
    ) -> BoxFuture<'a, Vec<KeyValue>> {
        Box::pin(async move {
            self.maybe_fail(effects).await;
            PureApp::map(&NoCrash, filename, contents)
        })
    }

    fn reduce<'a>(
        &'a self,
        effects: &'a dyn Effects,
        key: &'a str,
        values: &'a [String],
    ) -> BoxFuture<'a, String> {
        Box::pin(async move {
            self.maybe_fail(effects).await;
            PureApp::reduce(&NoCrash, key, values)
        })
    }
}
