//! `dst mr APP --out DIR [--workers N] [--reduce N] [--seed N] [--crash]
//! [--sequential] FILE...`
//!
//! Runs one MapReduce job over real files inside a simulation (the lab's
//! `mrcoordinator` plus `mrworker`s, or `mrsequential` with --sequential)
//! and writes its `mr-out-*` files to DIR. Every input is read and the job
//! validated before anything is written: a missing or unreadable input is a
//! usage error (exit 2) and leaves DIR untouched. Each output is written to
//! a temporary name and renamed; `mr-out*` files of an earlier run that this
//! job did not produce are removed, so `cat DIR/mr-out*` shows this job.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use mapreduce::job::{self, JobError, JobSpec};

use super::{parse_seed_arg, usage, UsageError};

#[derive(Args, Debug)]
pub struct MrArgs {
    /// Application: wc, indexer, credit, crash, nocrash, mtiming, rtiming,
    /// jobcount, early_exit.
    app: String,
    /// Directory for the mr-out-* files (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Worker processes.
    #[arg(long, default_value_t = 3)]
    workers: usize,
    /// Reduce tasks (nReduce).
    #[arg(long = "reduce", default_value_t = mapreduce::task_table::DEFAULT_N_REDUCE)]
    n_reduce: usize,
    /// Seed of the simulation (scheduling, crashes).
    #[arg(long, value_parser = parse_seed_arg, default_value_t = sim::DEFAULT_SEED)]
    seed: u64,
    /// Workers fail like the crash app (exit 33%, stall up to 10 s 33%)
    /// at the start of every task, and 10% between publishing a task's
    /// files and reporting it; a crashed worker restarts a second later.
    #[arg(long)]
    crash: bool,
    /// Run mrsequential instead: one process, all output in mr-out-0.
    #[arg(long, conflicts_with = "crash")]
    sequential: bool,
    /// credit: skip rows that are not `id,agency,year,score` (each file's
    /// count is reported) instead of refusing the job.
    #[arg(long)]
    skip_malformed: bool,
    /// Input files, one map task each; Map sees each by its file name.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

pub fn mr(args: MrArgs) -> Result<i32, UsageError> {
    check_out_dir(&args.out)?;
    let files = read_inputs(&args.files)?;
    if args.app == "credit" {
        check_credit_rows(&files, args.skip_malformed)?;
    }
    let spec = JobSpec {
        app: args.app.clone(),
        files,
        workers: args.workers,
        n_reduce: args.n_reduce,
        seed: args.seed,
        crash: args.crash,
    };
    job::validate(&spec).map_err(|error| usage(error.to_string()))?;
    let inputs = spec.files.len();
    let outcome = if args.sequential {
        job::run_sequential(spec).map(|output| {
            let files = BTreeMap::from([("mr-out-0".to_string(), output)]);
            (files, "sequential".to_string())
        })
    } else {
        job::run_real(spec).map(|output| {
            let figures = format!(
                "{} workers, {} reduce tasks, virtual={:.3}s, map_issues={}, reduce_issues={}, duplicates={}, crashes={}",
                args.workers,
                args.n_reduce,
                output.virtual_time.as_secs_f64(),
                output.map_issues,
                output.reduce_issues,
                output.duplicates,
                output.crashes
            );
            (output.files, figures)
        })
    };
    let (files, figures) = match outcome {
        Ok(done) => done,
        Err(JobError::Invalid(message)) => return Err(usage(message)),
        Err(error @ JobError::Failed(_)) => {
            eprintln!("dst mr: {error}");
            return Ok(1);
        }
    };
    if let Err(error) = write_outputs(&args.out, &files) {
        eprintln!("dst mr: cannot write to {}: {error}", args.out.display());
        return Ok(1);
    }
    println!(
        "mr {} seed={}: {inputs} inputs, {figures}; wrote {} files to {}",
        args.app,
        args.seed,
        files.len(),
        args.out.display()
    );
    Ok(0)
}

/// `--out` must be a folder, or a path where one can be made: checked
/// before the job, so that a job's result is never lost at the end.
fn check_out_dir(out: &Path) -> Result<(), UsageError> {
    if out.exists() {
        if !out.is_dir() {
            return Err(usage(format!(
                "--out {} exists and is not a folder",
                out.display()
            )));
        }
        return Ok(());
    }
    let existing = out
        .ancestors()
        .skip(1)
        .find(|a| a.as_os_str().is_empty() || a.exists());
    match existing {
        Some(a) if !a.as_os_str().is_empty() && !a.is_dir() => Err(usage(format!(
            "--out {}: {} is not a folder",
            out.display(),
            a.display()
        ))),
        _ => Ok(()),
    }
}

/// Every input, read in full before the job starts. The applications read
/// text: an input that is not UTF-8 (or holds NUL bytes) is refused, naming
/// the file and the byte; an empty one is allowed with a note.
fn read_inputs(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, UsageError> {
    paths
        .iter()
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .ok_or_else(|| {
                    usage(format!("input {} has no usable file name", path.display()))
                })?;
            if path.is_dir() {
                return Err(usage(format!("input {} is a folder", path.display())));
            }
            let bytes = fs::read(path)
                .map_err(|error| usage(format!("cannot read input {}: {error}", path.display())))?;
            check_text(path, &bytes)?;
            if bytes.is_empty() {
                eprintln!("dst mr: note: input {} is empty", path.display());
            }
            Ok((name.to_string(), bytes))
        })
        .collect()
}

fn check_text(path: &Path, bytes: &[u8]) -> Result<(), UsageError> {
    if let Err(error) = std::str::from_utf8(bytes) {
        return Err(usage(format!(
            "input {} is not UTF-8 text (byte {} is invalid); the applications read text",
            path.display(),
            error.valid_up_to()
        )));
    }
    if let Some(at) = bytes.iter().position(|&b| b == 0) {
        return Err(usage(format!(
            "input {} is binary (a NUL byte at {at}); the applications read text",
            path.display()
        )));
    }
    Ok(())
}

/// Rows the credit application cannot read would silently change its
/// answer: refuse them, naming each file's first bad line, unless the user
/// asks to skip them (then say how many were skipped).
fn check_credit_rows(files: &[(String, Vec<u8>)], skip: bool) -> Result<(), UsageError> {
    let mut problems = Vec::new();
    for (name, bytes) in files {
        let text = std::str::from_utf8(bytes).expect("checked by read_inputs");
        let scan = mapreduce::apps::credit::scan(text);
        if let Some(first) = scan.malformed.first() {
            problems.push(format!(
                "{name}: {} malformed row(s), the first at line {}: {}",
                scan.malformed.len(),
                first.line,
                first.reason
            ));
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if skip {
        for problem in &problems {
            eprintln!("dst mr: skipping {problem}");
        }
        return Ok(());
    }
    Err(usage(format!(
        "credit inputs have rows it cannot read (expected `{}`; --skip-malformed skips them):\n  {}",
        mapreduce::apps::credit::HEADER,
        problems.join("\n  ")
    )))
}

/// Write each output under a temporary name, sync it, rename it into place,
/// then drop the `mr-out*` files this job did not produce.
fn write_outputs(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    for (name, bytes) in files {
        let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let mut file = fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, dir.join(name))?;
    }
    for entry in fs::read_dir(dir)? {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with(mapreduce::files::OUTPUT_PREFIX) && !files.contains_key(name) {
            fs::remove_file(dir.join(name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(out: &Path, files: Vec<PathBuf>) -> MrArgs {
        MrArgs {
            app: "wc".into(),
            out: out.to_path_buf(),
            workers: 2,
            n_reduce: 3,
            seed: 1,
            crash: false,
            sequential: false,
            skip_malformed: false,
            files,
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dst-mr-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// One missing input among good ones: a usage error naming it, and the
    /// output directory is never created.
    #[test]
    fn missing_input_is_a_usage_error_and_writes_nothing() {
        let dir = scratch("missing");
        let good = dir.join("a.txt");
        fs::write(&good, "some words").unwrap();
        let out = dir.join("out");
        let error = mr(args(&out, vec![good, dir.join("absent.txt")])).unwrap_err();
        assert!(error.0.contains("absent.txt"), "{}", error.0);
        assert!(!out.exists());
        fs::remove_dir_all(&dir).unwrap();
    }

    /// Inputs that would silently change the answer, or a result that could
    /// not be written, are refused before the job runs (exit 2).
    #[test]
    fn bad_inputs_and_outputs_are_refused_up_front() {
        let dir = scratch("bad");
        let text = dir.join("a.txt");
        fs::write(&text, "some words").unwrap();
        let binary = dir.join("b.bin");
        fs::write(&binary, [0x66, 0xff, 0xfe]).unwrap();
        let error = mr(args(&dir.join("out"), vec![text.clone(), binary])).unwrap_err();
        assert!(
            error.0.contains("b.bin") && error.0.contains("UTF-8"),
            "{}",
            error.0
        );
        let nul = dir.join("c.txt");
        fs::write(&nul, b"a\0b").unwrap();
        let error = mr(args(&dir.join("out"), vec![nul])).unwrap_err();
        assert!(error.0.contains("NUL"), "{}", error.0);
        let error = mr(args(&text, vec![text.clone()])).unwrap_err();
        assert!(error.0.contains("not a folder"), "{}", error.0);

        let csv = dir.join("data.csv");
        fs::write(
            &csv,
            "User ID,Agency,Year,Credit Score\n1,A,2023,500\n2,B,20x3,500\n",
        )
        .unwrap();
        let mut credit = args(&dir.join("credit"), vec![csv.clone()]);
        credit.app = "credit".into();
        let error = mr(credit).unwrap_err();
        assert!(
            error.0.contains("data.csv") && error.0.contains("line 3"),
            "{}",
            error.0
        );
        assert!(!dir.join("credit").exists(), "nothing written");
        let mut skipping = args(&dir.join("credit"), vec![csv]);
        skipping.app = "credit".into();
        skipping.skip_malformed = true;
        assert_eq!(mr(skipping).unwrap(), 0);
        fs::remove_dir_all(&dir).unwrap();
    }

    /// A run writes one file per reduce task and replaces the mr-out files
    /// of an earlier, larger run.
    #[test]
    fn outputs_replace_an_earlier_run() {
        let dir = scratch("replace");
        let input = dir.join("a.txt");
        fs::write(&input, "b a b").unwrap();
        let out = dir.join("out");
        fs::create_dir_all(&out).unwrap();
        fs::write(out.join("mr-out-7"), "stale 1\n").unwrap();
        fs::write(out.join("notes.txt"), "kept").unwrap();
        assert_eq!(mr(args(&out, vec![input])).unwrap(), 0);
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["mr-out-0", "mr-out-1", "mr-out-2", "notes.txt"]);
        let mut lines: Vec<String> = (0..3)
            .flat_map(|i| {
                let text = fs::read_to_string(out.join(format!("mr-out-{i}"))).unwrap();
                text.lines().map(String::from).collect::<Vec<_>>()
            })
            .collect();
        lines.sort();
        assert_eq!(lines, ["a 1", "b 2"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
