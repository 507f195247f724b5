//! HW3 MapReduce: the steps of `test-mr.sh` and `test-mr-app.sh`, each with
//! the original worker counts and timings in virtual time, on inputs
//! generated from the seed (eight `pg-*.txt` texts, or credit CSV files).
//!
//! Every step compares `sort mr-out* | grep .` with a reference and adds its
//! own check: parallelism seen, exactly one run per map task, output final at
//! the first exit, recovery from crashing workers.

mod crash;
mod credit;
mod early_exit;
mod harness;
mod job_count;
mod parallelism;
#[cfg(test)]
mod teeth;
mod wc_indexer;

use std::time::Duration;

use mapreduce::JobConfig;
use sim::Scenario;

/// `timeout -k 2s 180s` around every process of the script.
const TIME_LIMIT: Duration = Duration::from_secs(180);

pub fn scenarios() -> Vec<Scenario> {
    let steps: [(&'static str, sim::Body); 8] = [
        ("mapreduce/wc", || {
            Box::pin(wc_indexer::wc(JobConfig::default()))
        }),
        ("mapreduce/indexer", || {
            Box::pin(wc_indexer::indexer(JobConfig::default()))
        }),
        ("mapreduce/map_parallelism", || {
            Box::pin(parallelism::map_parallelism(JobConfig::default()))
        }),
        ("mapreduce/reduce_parallelism", || {
            Box::pin(parallelism::reduce_parallelism(JobConfig::default()))
        }),
        ("mapreduce/job_count", || {
            Box::pin(job_count::job_count(JobConfig::default()))
        }),
        ("mapreduce/early_exit", || {
            Box::pin(early_exit::early_exit(JobConfig::default()))
        }),
        ("mapreduce/crash", || {
            Box::pin(crash::crash(JobConfig::default()))
        }),
        ("mapreduce/credit", || {
            Box::pin(credit::credit(JobConfig::default()))
        }),
    ];
    steps
        .into_iter()
        .map(|(name, body)| Scenario::new(name, body).time_limit(TIME_LIMIT))
        .collect()
}
