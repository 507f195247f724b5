//! test-mr.sh step 7: workers of the crash app exit abruptly (33%) or stall
//! for up to 10 s (33%) at the start of every Map and Reduce call. One
//! worker runs once; three loops restart theirs a second after it ends,
//! until the coordinator has exited. The output must equal nocrash's
//! sequential output: that takes re-issuing after 10 s, and atomic renames.

use std::time::Duration;

use futures::future::join_all;
use madsim::time::sleep;
use mapreduce::apps::crash::NoCrash;
use mapreduce::apps::wc::WordCount;
use mapreduce::PureApp;
use mapreduce::{Cluster, Exit, MapReduce};
use sim::ensure;

use mapreduce::testdata::File;

use super::harness::{
    compare, course_scale_texts, reference, sorted_output, start_job, start_worker, summary, texts,
};

/// Events a sweep of the crash step must see (see [`sim::sometimes`]): a
/// crash that never cost a task its hand-out leaves re-issuing untested.
pub const SOMETIMES: &[&str] = &[MAP_REISSUED, REDUCE_REISSUED];
/// At the course's scale only the maps crash (a sweep of 0..100 showed no
/// reduce re-issued there, as designed), so only their re-issue is due.
pub const COURSE_SCALE_SOMETIMES: &[&str] = &[MAP_REISSUED];
const MAP_REISSUED: &str = "a map task was re-issued after a crash";
const REDUCE_REISSUED: &str = "a reduce task was re-issued after a crash";

/// The script's `sleep 1` between restarts.
const RESTART_PAUSE: Duration = Duration::from_secs(1);
/// One background worker plus this many restart loops.
const RESTART_LOOPS: usize = 3;

pub async fn crash<M: MapReduce>() -> sim::Result {
    crash_on::<M>(texts(), "crash", &NoCrash).await
}

/// The same at the course's scale, with word count (its maps crashing as
/// the crash app's do) so that the output depends on every word: eight books of
/// about 80,000 words and about 22,000 distinct words. A bug that shows
/// only at size (a buffer, a bucket, a time budget per task) passes the
/// small inputs.
pub async fn crash_course_scale<M: MapReduce>() -> sim::Result {
    let files = course_scale_texts();
    let words: usize = files
        .iter()
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).split_whitespace().count())
        .sum();
    let summary = crash_on::<M>(files, "wc_crash", &WordCount).await?;
    Ok(summary.with("input_words", words))
}

/// Runs `app` (a crashing one) as step 7 does; the output must equal the
/// sequential output of `pure`, the same application without crashes.
async fn crash_on<M: MapReduce>(
    files: Vec<File>,
    app: &'static str,
    pure: &dyn PureApp,
) -> sim::Result {
    let want = reference(pure, &files);
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let once = start_worker(&cluster, 0, app);
    let loops = (1..=RESTART_LOOPS).map(|index| restart_loop(&cluster, index, app));
    let runs: usize = join_all(loops).await.into_iter().sum();
    once.wait().await;
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let got = sorted_output(&cluster).await?;
    compare(app, &got, &want)?;
    // Each crash happens inside a Map or Reduce call and ruins that attempt,
    // so every crash must have cost one extra hand-out (checked when the
    // coordinator shows its counts).
    let crashes = cluster.processes().crashes();
    if let Some(stats) = cluster.stats() {
        let crashed = crashes > 0;
        sim::sometimes::sometimes(
            MAP_REISSUED,
            crashed && stats.map_issues > files.len() as u64,
        );
        sim::sometimes::sometimes(
            REDUCE_REISSUED,
            crashed && stats.reduce_issues > cluster.n_reduce() as u64,
        );
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
async fn restart_loop<M: MapReduce>(cluster: &Cluster<M>, index: usize, app: &str) -> usize {
    let mut runs = 0;
    while !cluster.coordinator_exited() {
        start_worker(cluster, index, app).wait().await;
        runs += 1;
        sleep(RESTART_PAUSE).await;
    }
    runs
}
