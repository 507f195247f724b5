//! test-mr.sh step 5: each map task runs exactly once when nothing fails.
//! Maps take 2..5 s, under the 10 s re-issue timeout, so a re-execution is
//! a coordinator that re-issues too eagerly.

use mapreduce::{Exit, MapReduce};
use sim::ensure;

use super::harness::{compare, sorted_output, start_job, start_worker, summary, texts};

/// Workers (bg, fg), then (bg, fg) again, the way the script runs them;
/// the output `a N` must say N == 8.
pub async fn job_count<M: MapReduce>() -> sim::Result {
    let files = texts();
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let first = start_worker(&cluster, 1, "jobcount");
    let second = start_worker(&cluster, 2, "jobcount");
    ensure!(
        second.wait().await == Exit::Normal,
        "a jobcount worker crashed"
    );
    let third = start_worker(&cluster, 3, "jobcount");
    let fourth = start_worker(&cluster, 4, "jobcount");
    ensure!(
        fourth.wait().await == Exit::Normal,
        "a jobcount worker crashed"
    );
    let got = sorted_output(&cluster).await?;
    compare("jobcount", &got, &[format!("a {}", files.len())])?;
    for process in [first, third, coordinator] {
        ensure!(
            process.wait().await == Exit::Normal,
            "a jobcount process crashed"
        );
    }
    // The jobcount line above counts map calls that reached the output;
    // a coordinator that shows its counts is also held to one issue each.
    if let Some(stats) = cluster.stats() {
        let map_issues = stats.map_issues;
        ensure!(
            map_issues == files.len() as u64,
            "{map_issues} map issues for {} files",
            files.len()
        );
    }
    Ok(summary(&cluster, got.len()))
}
