//! HW3 MapReduce: the steps of `test-mr.sh` and `test-mr-app.sh`, each with
//! the original worker counts and timings in virtual time, on inputs
//! generated from the seed (eight `pg-*.txt` texts, or credit CSV files).
//!
//! Every step compares `sort mr-out* | grep .` with a reference and adds its
//! own check: parallelism seen, exactly one run per map task, output final at
//! the first exit, recovery from crashing workers.
//!
//! The steps test the assignment's API (`mapreduce_api::MapReduce`), not
//! this repository's code: [`suite`] registers them for any implementation
//! under a prefix, [`scenarios`] for [`mapreduce::Lab`] under `mapreduce/`,
//! and the teeth test registers planted bugs (`crate::planted::mapreduce`)
//! the same way.

mod crash;
mod credit;
mod early_exit;
mod harness;
mod job_count;
mod parallelism;
mod swarm;
#[cfg(test)]
mod teeth;
mod wc_indexer;

use std::time::Duration;

use mapreduce::MapReduce;
use sim::Scenario;

/// `timeout -k 2s 180s` around every process of the script.
const TIME_LIMIT: Duration = Duration::from_secs(180);

/// The scenarios of this repository's coordinator and worker.
pub fn scenarios() -> Vec<Scenario> {
    suite::<mapreduce::Lab>("mapreduce")
}

/// The eight steps for implementation `M`, named `<prefix>/wc` and so on.
pub fn suite<M: MapReduce>(prefix: &str) -> Vec<Scenario> {
    let steps: [(&str, sim::Body); 10] = [
        ("wc", || Box::pin(wc_indexer::wc::<M>())),
        ("indexer", || Box::pin(wc_indexer::indexer::<M>())),
        ("map_parallelism", || {
            Box::pin(parallelism::map_parallelism::<M>())
        }),
        ("reduce_parallelism", || {
            Box::pin(parallelism::reduce_parallelism::<M>())
        }),
        ("job_count", || Box::pin(job_count::job_count::<M>())),
        ("early_exit", || Box::pin(early_exit::early_exit::<M>())),
        ("crash", || Box::pin(crash::crash::<M>())),
        ("crash_course_scale", || {
            Box::pin(crash::crash_course_scale::<M>())
        }),
        ("credit", || Box::pin(credit::credit::<M>())),
        ("swarm", || Box::pin(swarm::swarm::<M>())),
    ];
    steps
        .into_iter()
        .map(|(step, body)| {
            let name = sim::intern(format!("{prefix}/{step}"));
            let scenario = Scenario::new(name, body).time_limit(TIME_LIMIT);
            match step {
                "crash" => scenario.sometimes(crash::SOMETIMES),
                "crash_course_scale" => scenario.sometimes(crash::COURSE_SCALE_SOMETIMES),
                _ => scenario,
            }
        })
        .collect()
}
