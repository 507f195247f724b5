//! `run_real`, the library side of `dst mr`: the distributed job, with and
//! without injected worker crashes, gives exactly the sequential output, and
//! a malformed request is refused before anything runs.

use mapreduce::apps::{credit::Credit, indexer::Indexer, wc::WordCount};
use mapreduce::job::{run_real, run_sequential, validate, JobError, JobSpec};
use mapreduce::output::{decode_input, sorted_lines};
use mapreduce::sequential_pure;
use mapreduce::testdata::{corpus, File};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn spec(app: &str, files: Vec<File>, seed: u64, crash: bool) -> JobSpec {
    JobSpec {
        app: app.to_string(),
        files,
        workers: 3,
        n_reduce: 10,
        seed,
        crash,
    }
}

fn reference(app: &dyn mapreduce::PureApp, files: &[File]) -> Vec<String> {
    let inputs: Vec<(String, String)> = files
        .iter()
        .map(|(name, bytes)| (name.clone(), decode_input(bytes)))
        .collect();
    let output = sequential_pure(app, &inputs);
    sorted_lines([output.as_str()])
        .into_iter()
        .map(String::from)
        .collect()
}

fn distributed(spec: JobSpec) -> Vec<String> {
    run_distributed(spec).0
}

/// The sorted output lines and how many completion reports were duplicates.
fn run_distributed(spec: JobSpec) -> (Vec<String>, u64) {
    let output = run_real(spec).expect("the job finishes");
    let texts: Vec<String> = output
        .files
        .values()
        .map(|bytes| decode_input(bytes))
        .collect();
    let lines = sorted_lines(texts.iter().map(String::as_str))
        .into_iter()
        .map(String::from)
        .collect();
    (lines, output.duplicates)
}

/// Word count and indexer on generated corpora, several seeds, with and
/// without crashing workers. Sometimes a stalled worker finishes a task
/// that was re-issued and finished already: the output must not change, and
/// across the seeds that must have happened at least once, or the test did
/// not exercise it.
#[test]
fn distributed_equals_sequential_with_and_without_crashes() {
    let mut duplicates = 0;
    for seed in 0..6 {
        let files = corpus::generate(&mut ChaCha8Rng::seed_from_u64(seed));
        let want_wc = reference(&WordCount, &files);
        let want_indexer = reference(&Indexer, &files);
        for crash in [false, true] {
            let (got, wc_duplicates) = run_distributed(spec("wc", files.clone(), seed, crash));
            assert!(got == want_wc, "wc seed {seed} crash {crash}");
            let (got, indexer_duplicates) =
                run_distributed(spec("indexer", files.clone(), seed, crash));
            assert!(got == want_indexer, "indexer seed {seed} crash {crash}");
            duplicates += wc_duplicates + indexer_duplicates;
        }
    }
    assert!(duplicates > 0, "no task was ever finished twice");
}

/// `run_sequential` is mrsequential: one `mr-out-0` with every key.
#[test]
fn sequential_matches_the_pure_reference() {
    let files = corpus::generate(&mut ChaCha8Rng::seed_from_u64(9));
    let output = run_sequential(spec("wc", files.clone(), 1, false)).unwrap();
    let text = decode_input(&output);
    let got: Vec<&str> = sorted_lines([text.as_str()]);
    assert_eq!(got, reference(&WordCount, &files));
}

#[test]
fn malformed_requests_are_refused() {
    let file = |name: &str| (name.to_string(), b"x".to_vec());
    let cases = [
        spec("wc.so", vec![file("a.txt")], 1, false),
        spec("wc", vec![file("a.txt"), file("a.txt")], 1, false),
        spec("wc", vec![file("mr-out-0")], 1, false),
        spec("wc", vec![file("dir/a.txt")], 1, false),
        JobSpec {
            workers: 0,
            ..spec("wc", vec![file("a.txt")], 1, false)
        },
        JobSpec {
            n_reduce: 0,
            ..spec("wc", vec![file("a.txt")], 1, false)
        },
    ];
    for case in cases {
        let refused = validate(&case).err();
        assert!(
            matches!(refused, Some(JobError::Invalid(_))),
            "{case:?} accepted"
        );
        assert!(matches!(run_real(case), Err(JobError::Invalid(_))));
    }
}

/// The course data, when this checkout sits next to it: the credit job on
/// data_{1..4}.csv gives gt.txt exactly, crashes or not.
#[test]
fn credit_on_course_data_gives_ground_truth() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/credit-score");
    let Ok(expected) = std::fs::read_to_string(dir.join("gt.txt")) else {
        eprintln!("skipped: no course data at {}", dir.display());
        return;
    };
    let files: Vec<File> = (1..=4)
        .map(|index| {
            let name = format!("data_{index}.csv");
            let bytes = std::fs::read(dir.join(&name)).expect("course csv readable");
            (name, bytes)
        })
        .collect();
    let want: Vec<&str> = expected.lines().collect();
    assert_eq!(reference(&Credit, &files), want);
    for crash in [false, true] {
        assert_eq!(
            distributed(spec("credit", files.clone(), 2, crash)),
            want,
            "crash {crash}"
        );
    }
}
