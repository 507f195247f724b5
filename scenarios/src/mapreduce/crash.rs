//! test-mr.sh step 7: workers of the crash app exit abruptly (33%) or stall
//! for up to 10 s (33%) at the start of every Map and Reduce call. One
//! worker runs once; three loops restart theirs a second after it ends,
//! until the coordinator has exited. The output must equal nocrash's
//! sequential output: that takes re-issuing after 10 s, and atomic renames.

use std::time::Duration;

use futures::future::join_all;
use madsim::time::sleep;
use mapreduce::apps::crash::NoCrash;
use mapreduce::{Cluster, Exit, MapReduce};
use sim::ensure;

use super::harness::{compare, reference, sorted_output, start_job, start_worker, summary, texts};

/// The script's `sleep 1` between restarts.
const RESTART_PAUSE: Duration = Duration::from_secs(1);
/// One background worker plus this many restart loops.
const RESTART_LOOPS: usize = 3;

pub async fn crash<M: MapReduce>() -> sim::Result {
    let files = texts();
    let want = reference(&NoCrash, &files);
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let once = start_worker(&cluster, 0, "crash");
    let loops = (1..=RESTART_LOOPS).map(|index| restart_loop(&cluster, index));
    let runs: usize = join_all(loops).await.into_iter().sum();
    once.wait().await;
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let got = sorted_output(&cluster).await?;
    compare("crash", &got, &want)?;
    // Each crash happens inside a Map or Reduce call and ruins that attempt,
    // so every crash must have cost one extra hand-out (checked when the
    // coordinator shows its counts).
    let crashes = cluster.processes().crashes();
    if let Some(stats) = cluster.stats() {
        let tasks = (files.len() + cluster.n_reduce()) as u64;
        ensure!(
            stats.map_issues + stats.reduce_issues >= tasks + crashes,
            "{crashes} crashed attempts but only {} hand-outs for {tasks} tasks",
            stats.map_issues + stats.reduce_issues
        );
    }
    Ok(summary(&cluster, got.len())
        .with("crashes", crashes)
        .with("loop_runs", runs))
}

/// `while [ -e $SOCKNAME -a ! -f mr-done ]; do mrworker crash.so; sleep 1; done`
async fn restart_loop<M: MapReduce>(cluster: &Cluster<M>, index: usize) -> usize {
    let mut runs = 0;
    while !cluster.coordinator_exited() {
        start_worker(cluster, index, "crash").wait().await;
        runs += 1;
        sleep(RESTART_PAUSE).await;
    }
    runs
}
