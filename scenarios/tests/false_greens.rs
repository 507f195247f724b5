//! False greens a sweep must expose: a declared "sometimes" event that never
//! happens (`NEVER`, and exit 1 under `--require-sometimes`), and a scenario
//! that is deterministic within one process but not across two
//! (`--check-determinism` names the first differing trace line and where it
//! was emitted).
//!
//! Why its own binary (no libtest harness): `--check-determinism` starts the
//! program it runs in again, so the scenarios under test must exist in that
//! program. This binary is a `dst` over them (`sim::dst::Dst`) when
//! `AS_DST` is set, and the tests otherwise; each test runs it as a `dst`.

use std::process::{Command, Output};
use std::sync::OnceLock;

use sim::{Scenario, Summary};

const AS_DST: &str = "FALSE_GREENS_AS_DST";
const NEVER_FIRES: &str = "the partition caught the leader";
const ALWAYS_FIRES: &str = "the body ran";

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("falsegreen/sometimes/never_fires", || {
            Box::pin(async {
                madsim::time::sleep(std::time::Duration::from_millis(10)).await;
                sim::sometimes::hit(ALWAYS_FIRES);
                Ok(Summary::new())
            })
        })
        .sometimes(&[NEVER_FIRES, ALWAYS_FIRES]),
        Scenario::new("falsegreen/determinism/steady", || {
            Box::pin(async {
                let draw: u32 = madsim::rand::Rng::gen_range(&mut sim::rand::rng(), 0..1000);
                tracing::info!(draw, "drew from the seed");
                Ok(Summary::new())
            })
        }),
        Scenario::new("falsegreen/determinism/process_token", || {
            Box::pin(async {
                tracing::info!("started");
                madsim::time::sleep(std::time::Duration::from_millis(5)).await;
                // The nondeterminism under test: a process-wide value, the
                // same for every run of one process, different in the next.
                tracing::info!(token = process_token(), "minted a session token");
                Ok(Summary::new())
            })
        }),
    ]
}

/// A process-level value: initialised once per process from its pid.
fn process_token() -> u32 {
    static TOKEN: OnceLock<u32> = OnceLock::new();
    *TOKEN.get_or_init(std::process::id)
}

fn main() {
    if std::env::var_os(AS_DST).is_some() {
        sim::dst::Dst::new(scenarios()).main();
    }
    let tests: [(&str, fn()); 4] = [
        (
            "a_declared_event_that_never_fires_is_reported",
            a_declared_event_that_never_fires_is_reported,
        ),
        (
            "require_sometimes_fails_the_sweep",
            require_sometimes_fails_the_sweep,
        ),
        (
            "merge_adds_up_sometimes_over_shards",
            merge_adds_up_sometimes_over_shards,
        ),
        (
            "a_scenario_nondeterministic_across_processes_is_reported",
            a_scenario_nondeterministic_across_processes_is_reported,
        ),
    ];
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for (name, test) in tests {
        if filter.as_deref().is_some_and(|f| !name.contains(f)) {
            continue;
        }
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

fn dst(args: &[&str]) -> Output {
    Command::new(std::env::current_exe().expect("this binary"))
        .env(AS_DST, "1")
        .args(args)
        .output()
        .expect("the binary runs as dst")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn a_declared_event_that_never_fires_is_reported() {
    let out = dst(&["sweep", "falsegreen/sometimes/", "--seeds", "0..3"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "a warning by default: {text}");
    assert!(
        text.contains(
            "NEVER falsegreen/sometimes/never_fires: \"the partition caught the leader\" \
             never happened in 3 runs"
        ),
        "{text}"
    );
    assert!(text.contains("\"the body ran\"=3/3"), "{text}");
    assert!(
        !text.contains("NEVER falsegreen/sometimes/never_fires: \"the body ran\""),
        "{text}"
    );
}

fn require_sometimes_fails_the_sweep() {
    let out = dst(&[
        "sweep",
        "falsegreen/sometimes/",
        "--seeds",
        "0..2",
        "--require-sometimes",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let quiet = dst(&[
        "sweep",
        "falsegreen/determinism/steady",
        "--seeds",
        "0..2",
        "--require-sometimes",
    ]);
    assert_eq!(quiet.status.code(), Some(0), "{}", stdout(&quiet));
}

fn merge_adds_up_sometimes_over_shards() {
    let dir = std::env::temp_dir().join(format!("false-greens-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let mut files = Vec::new();
    for shard in ["1/2", "2/2"] {
        let file = dir.join(format!("shard{}.json", &shard[..1]));
        let path = file.to_str().expect("a UTF-8 path").to_string();
        let args = [
            "sweep",
            "falsegreen/sometimes/",
            "--seeds",
            "0..5",
            "--shard",
            shard,
            "--json",
            &path,
        ];
        assert_eq!(dst(&args).status.code(), Some(0));
        files.push(path);
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files[0]).expect("written")).expect("JSON");
    let tally = &json["sometimes"]["falsegreen/sometimes/never_fires"];
    assert_eq!(tally["runs"], 3, "{json}");
    assert_eq!(tally["events"][NEVER_FIRES], 0, "{json}");
    let mut args = vec!["merge", "--require-sometimes"];
    args.extend(files.iter().map(String::as_str));
    let out = dst(&args);
    let text = stdout(&out);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("never happened in 5 runs"), "{text}");
    assert!(text.contains("\"the body ran\"=5/5"), "{text}");
}

fn a_scenario_nondeterministic_across_processes_is_reported() {
    let out = dst(&[
        "sweep",
        "falsegreen/determinism/",
        "--seeds",
        "0..3",
        "--check-determinism",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for seed in 0..3 {
        assert!(
            text.contains(&format!(
                "NONDETERMINISTIC falsegreen/determinism/process_token seed={seed}:"
            )),
            "{text}"
        );
    }
    assert!(
        !text.contains("NONDETERMINISTIC falsegreen/determinism/steady"),
        "{text}"
    );
    assert!(text.contains("first difference at trace line 2:"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("another process:") && l.contains("minted a session token")),
        "{text}"
    );
    assert!(
        text.contains("call site: scenarios/tests/false_greens.rs:"),
        "{text}"
    );
    assert!(
        text.contains("determinism: 6 runs made again in another process, 3 differed"),
        "{text}"
    );
}
