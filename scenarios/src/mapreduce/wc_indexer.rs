//! test-mr.sh steps 1 and 2: word count with three workers, then the
//! indexer with two, checked the moment the foreground worker exits.

use mapreduce::apps::indexer::Indexer;
use mapreduce::apps::wc::WordCount;
use mapreduce::{Exit, MapReduce};
use sim::ensure;

use super::harness::{compare, reference, sorted_output, start_job, start_worker, summary, texts};

/// Coordinator plus three background workers; compare once the coordinator
/// has exited; every worker must then exit too.
pub async fn wc<M: MapReduce>() -> sim::Result {
    let files = texts();
    let want = reference(&WordCount, &files);
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let workers: Vec<_> = (1..=3)
        .map(|index| start_worker(&cluster, index, "wc"))
        .collect();
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator did not exit normally"
    );
    let got = sorted_output(&cluster).await?;
    compare("wc", &got, &want)?;
    for worker in workers {
        let pid = worker.pid();
        ensure!(
            worker.wait().await == Exit::Normal,
            "wc worker {pid} did not exit normally"
        );
    }
    Ok(summary(&cluster, got.len()))
}

/// Coordinator plus two workers, the second in the foreground: the output
/// is compared as soon as it exits, so no worker may exit before the job is
/// done.
pub async fn indexer<M: MapReduce>() -> sim::Result {
    let files = texts();
    let want = reference(&Indexer, &files);
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let background = start_worker(&cluster, 1, "indexer");
    let foreground = start_worker(&cluster, 2, "indexer");
    ensure!(
        foreground.wait().await == Exit::Normal,
        "the foreground worker crashed"
    );
    let got = sorted_output(&cluster).await?;
    compare("indexer", &got, &want)?;
    ensure!(
        background.wait().await == Exit::Normal,
        "the background worker crashed"
    );
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    Ok(summary(&cluster, got.len()))
}
