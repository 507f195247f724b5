//! test-mr-app.sh (HW3 Task 2): the credit app on generated CSV files with
//! two workers (bg, fg). The output must equal both the sequential run and
//! the generator's own count, which does not share the app's parser.

use mapreduce::apps::credit::Credit;
use mapreduce::testdata::credit_csv;
use mapreduce::{Exit, MapReduce};
use sim::ensure;

use super::harness::{compare, reference, sorted_output, start_job, start_worker, summary};

pub async fn credit<M: MapReduce>() -> sim::Result {
    let mut rng = sim::rand::chacha();
    let data = sim::work::own(|| credit_csv::generate(&mut rng));
    let want = reference(&Credit, &data.files);
    let truth: Vec<String> = data.expected.lines().map(str::to_string).collect();
    compare("credit reference vs generator", &want, &truth)?;
    let (cluster, coordinator) = start_job::<M>(&data.files).await;
    let background = start_worker(&cluster, 1, "credit");
    let foreground = start_worker(&cluster, 2, "credit");
    ensure!(
        coordinator.wait().await == Exit::Normal,
        "the coordinator crashed"
    );
    let got = sorted_output(&cluster).await?;
    compare("credit", &got, &want)?;
    for worker in [foreground, background] {
        ensure!(
            worker.wait().await == Exit::Normal,
            "a credit worker crashed"
        );
    }
    Ok(summary(&cluster, got.len())
        .with("files", data.files.len())
        .with("malformed", data.malformed))
}
