//! test-mr.sh steps 3 and 4: two workers must run map tasks, and reduce
//! tasks, at the same time. The apps see each other through marker files
//! (`mr-worker-<phase>-<pid>`) whose owners are alive.

use mapreduce::{Exit, MapReduce};
use sim::{ensure, Summary};

use super::harness::{sorted_output, start_job, start_worker, summary, texts};

/// mtiming: exactly two `times-` lines (both workers mapped) and a
/// `parallel-<pid> ... 2` line (one saw the other mapping).
pub async fn map_parallelism<M: MapReduce>() -> sim::Result {
    let files = texts();
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let workers = [
        start_worker(&cluster, 1, "mtiming"),
        start_worker(&cluster, 2, "mtiming"),
    ];
    let pids: Vec<u64> = workers.iter().map(|worker| worker.pid()).collect();
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let lines = sorted_output(&cluster).await?;
    let times: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("times-"))
        .collect();
    ensure!(
        times.len() == 2,
        "map workers ran in parallel? {} times- lines: {times:?}",
        times.len()
    );
    for pid in &pids {
        let key = format!("times-{pid} ");
        ensure!(
            times.iter().any(|line| line.starts_with(&key)),
            "worker {pid} ran no map task"
        );
    }
    let parallel = lines
        .iter()
        .any(|line| line.starts_with("parallel") && line.contains(" 2"));
    ensure!(parallel, "map workers did not run in parallel: {lines:?}");
    for worker in workers {
        ensure!(
            worker.wait().await == Exit::Normal,
            "an mtiming worker crashed"
        );
    }
    Ok(summary(&cluster, lines.len()))
}

/// rtiming: at least two of the keys a..j were reduced while another worker
/// was reducing too (`^[a-z] 2`).
pub async fn reduce_parallelism<M: MapReduce>() -> sim::Result {
    let files = texts();
    let (cluster, coordinator) = start_job::<M>(&files).await;
    let workers = [
        start_worker(&cluster, 1, "rtiming"),
        start_worker(&cluster, 2, "rtiming"),
    ];
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let lines = sorted_output(&cluster).await?;
    let keys: Vec<&str> = lines
        .iter()
        .filter_map(|line| line.split(' ').next())
        .collect();
    ensure!(
        keys == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        "rtiming keys: {lines:?}"
    );
    let parallel = lines
        .iter()
        .filter(|line| {
            let bytes = line.as_bytes();
            bytes.len() >= 3 && bytes[0].is_ascii_lowercase() && &bytes[1..3] == b" 2"
        })
        .count();
    ensure!(
        parallel >= 2,
        "too few parallel reduces: {parallel} ({lines:?})"
    );
    for worker in workers {
        ensure!(
            worker.wait().await == Exit::Normal,
            "an rtiming worker crashed"
        );
    }
    let summary: Summary = summary(&cluster, lines.len());
    Ok(summary.with("parallel_reduces", parallel))
}
