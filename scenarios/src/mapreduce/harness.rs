//! What every step does: generate the inputs, start the coordinator, read
//! and compare the output, summarize the job.

use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use mapreduce::app::{App, PureApp};
use mapreduce::output::{decode_input, sorted_lines};
use mapreduce::testdata::{corpus, File};
use mapreduce::{Cluster, MapReduce, Process};
use sim::{bail, work, Summary};

/// The script's `sleep 1` after starting the coordinator.
const COORDINATOR_HEAD_START: Duration = Duration::from_secs(1);

/// The eight `pg-*.txt` files of this seed.
pub fn texts() -> Vec<File> {
    let mut rng = sim::rand::chacha();
    work::own(|| corpus::generate(&mut rng))
}

/// Inputs at the course's scale (`corpus::Shape::course_scale`).
pub fn course_scale_texts() -> Vec<File> {
    let mut rng = sim::rand::chacha();
    work::own(|| {
        let shape = corpus::Shape::course_scale(&mut rng);
        corpus::generate_shaped(&mut rng, &shape)
    })
}

/// A registered application (`mrworker <app>.so`).
pub fn app(name: &str) -> Arc<dyn App> {
    mapreduce::apps::by_name(name).unwrap_or_else(|| panic!("no app named {name}"))
}

/// `mrsequential <app> <inputs>`, sorted: the reference lines.
pub fn reference(app: &dyn PureApp, files: &[File]) -> Vec<String> {
    work::own(|| reference_lines(app, files))
}

fn reference_lines(app: &dyn PureApp, files: &[File]) -> Vec<String> {
    let inputs: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), decode_input(bytes)))
        .collect();
    let output = mapreduce::sequential_pure(app, &inputs);
    owned(sorted_lines([output.as_str()]))
}

/// `MakeCoordinator(files, 10)`, as `mrcoordinator.go` calls it.
const N_REDUCE: usize = 10;

/// Put the inputs in place, start `mrcoordinator` on them and give it the
/// script's one-second head start.
pub async fn start_job<M: MapReduce>(files: &[File]) -> (Cluster<M>, Process) {
    let cluster = Cluster::<M>::new(N_REDUCE);
    cluster
        .put_inputs(files)
        .await
        .expect("inputs fit the shared filesystem");
    let names = files.iter().map(|(name, _)| name.clone()).collect();
    let coordinator = cluster.start_coordinator(names);
    let inspected = cluster.clone();
    sim::inspect::inspector("mapreduce/tasks", move || inspected.describe());
    sleep(COORDINATOR_HEAD_START).await;
    (cluster, coordinator)
}

/// `mrworker <app>` on `worker-<index>`.
pub fn start_worker<M: MapReduce>(cluster: &Cluster<M>, index: usize, app_name: &str) -> Process {
    cluster.start_worker(&format!("worker-{index}"), app(app_name))
}

/// `sort mr-out* | grep .`
pub async fn sorted_output<M: MapReduce>(cluster: &Cluster<M>) -> sim::Result<Vec<String>> {
    let outputs = match cluster.outputs().await {
        Ok(outputs) => outputs,
        Err(error) => bail!("cannot read the output files: {error}"),
    };
    Ok(work::own(|| {
        owned(sorted_lines(outputs.iter().map(|(_, text)| text.as_str())))
    }))
}

/// The script's `cmp`, with the first differing line in the message.
pub fn compare(what: &str, got: &[String], want: &[String]) -> sim::Result<()> {
    if work::own(|| got == want) {
        return Ok(());
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let show = |lines: &[String]| {
        lines
            .get(at)
            .map_or("<end>".to_string(), |l| format!("{l:?}"))
    };
    bail!(
        "{what}: output differs from the reference at sorted line {} ({} lines, want {}): got {}, want {}",
        at + 1,
        got.len(),
        want.len(),
        show(got),
        show(want)
    )
}

/// The job's figures for the result line (the hand-out counts only from a
/// coordinator that shows them).
pub fn summary<M: MapReduce>(cluster: &Cluster<M>, output_lines: usize) -> Summary {
    let mut summary = Summary::new();
    if let Some(stats) = cluster.stats() {
        summary = summary
            .with("map_issues", stats.map_issues)
            .with("reduce_issues", stats.reduce_issues)
            .with("duplicates", stats.duplicates);
    }
    summary
        .with("processes", cluster.processes().started())
        .with("lines", output_lines)
}

fn owned(lines: Vec<&str>) -> Vec<String> {
    lines.into_iter().map(str::to_string).collect()
}
