//! test-mr.sh step 6, with MIT's `wait -n`: when the first process exits,
//! coordinator or worker, the output must already be final. The reduces of
//! keys naming "sherlock" or "tom" take 3 s, so a process that quits while
//! tasks are still running is caught with partial output.

use mapreduce::cluster::wait_any;
use mapreduce::{CoordinatorApi, MapReduce};
use sim::ensure;

use super::harness::{compare, sorted_output, start_job, start_worker, summary, texts};

pub async fn early_exit<M: MapReduce>() -> sim::Result {
    let files = texts();
    // Map emits (filename, "1"), Reduce counts: one line per input.
    let mut want: Vec<String> = files.iter().map(|(name, _)| format!("{name} 1")).collect();
    want.sort_unstable();
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let mut running = vec![coordinator];
    running.extend((1..=3).map(|index| start_worker(&cluster, index, "early_exit")));
    let (first, _) = wait_any(&mut running).await;
    let initial = sorted_output(&cluster).await?;
    for process in running {
        process.wait().await;
    }
    let last = sorted_output(&cluster).await?;
    let first_exit = format!(
        "output when pid {} ({}) exited first",
        first.pid(),
        first.node()
    );
    compare(&first_exit, &initial, &last)?;
    compare("early_exit", &last, &want)?;
    ensure!(
        cluster.coordinator().is_some_and(|c| c.done()),
        "every process exited but the job is not done"
    );
    Ok(summary(&cluster, last.len()))
}
