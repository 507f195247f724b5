//! Crash points do what they say: armed, the first durability point a node
//! reaches crashes it right there, nothing after the point runs on it, and
//! what was not durable yet is lost; the node restarts like after any
//! crash, and keeps running past the moment madsim restarts the madsim
//! node it crashed on. Each point reached is a numbered decision: the tests
//! in `tests` replay a later point from a plan.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::time::sleep;
use sim::{crash_point, ensure, fs, node, Persister, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("sim/node/crash_point_persist", || {
            Box::pin(crash_point_persist())
        }),
        Scenario::new("sim/fs/crash_point_rename", || {
            Box::pin(crash_point_rename())
        }),
    ]
}

/// A node saves 1 and then raises a flag, crash points always firing: it
/// crashes at `persist.before` (or, planned, `persist.after`: then the
/// save is there), never raises the flag, and is down. Restarted and
/// disarmed, it saves 2 and keeps ticking for 12 s, past madsim's own
/// restart of the crashed madsim node (1 to 10 s after the crash).
pub async fn crash_point_persist() -> sim::Result {
    node::create("n");
    let persister = Persister::new();
    let ran_after = Arc::new(AtomicBool::new(false));
    crash_point::arm(1_000_000);
    {
        let (persister, ran_after) = (persister.clone(), ran_after.clone());
        // Detached: the task unwinds at the crash point.
        drop(node::spawn("n", async move {
            persister.save_raft_state(vec![1]);
            ran_after.store(true, Ordering::SeqCst);
        }));
    }
    sleep(Duration::from_millis(10)).await;
    ensure!(
        !node::is_alive("n"),
        "the crash point did not crash the node"
    );
    ensure!(
        !ran_after.load(Ordering::SeqCst),
        "code after the crash point ran"
    );
    let persisted = persister.read_raft_state();

    crash_point::disarm();
    node::restart("n");
    let ticks = Arc::new(AtomicU64::new(0));
    {
        let (persister, ticks) = (persister.clone(), ticks.clone());
        drop(node::spawn("n", async move {
            persister.save_raft_state(vec![2]);
            loop {
                sleep(Duration::from_millis(100)).await;
                ticks.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    sleep(Duration::from_secs(12)).await;
    ensure!(node::is_alive("n"), "the restarted node is down");
    ensure!(persister.read_raft_state() == vec![2], "the restart's save");
    let ticked = ticks.load(Ordering::SeqCst);
    ensure!(ticked >= 110, "the restarted node stopped: {ticked} ticks");
    Ok(Summary::new().with("persisted", persisted.len()))
}

/// A node writes a file the safe way (temporary name, sync, rename),
/// crash points always firing: it crashes at `fs.sync.before`, and the
/// unsynced temporary file is gone; planned at `fs.rename.before` instead,
/// the synced temporary file stays and the target never appears.
pub async fn crash_point_rename() -> sim::Result {
    node::create("writer");
    crash_point::arm(1_000_000);
    drop(node::spawn("writer", async {
        fs::write_atomic("out/result", b"done")
            .await
            .expect("write");
    }));
    sleep(Duration::from_millis(20)).await;
    ensure!(
        !node::is_alive("writer"),
        "the crash point did not crash the node"
    );
    let files = fs::list("out/").await.expect("list");
    ensure!(
        !files.contains(&"out/result".to_string()),
        "the file was renamed into place after the crash: {files:?}"
    );
    Ok(Summary::new().with("files_left", files.len()))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use sim::fault::FaultId;
    use sim::{RunOptions, RunResult, Scenario};

    fn run(scenario: &Scenario, plan: Option<&[u64]>) -> RunResult {
        let plan = plan.map(|seqs| {
            seqs.iter()
                .map(|&seq| FaultId {
                    kind: "crash_point".to_string(),
                    seq,
                })
                .collect::<BTreeSet<_>>()
        });
        let options = RunOptions {
            plan,
            ..RunOptions::default()
        };
        sim::run(scenario, 5, &options)
    }

    fn text(result: &RunResult) -> String {
        let lines: Vec<String> = result.trace.lines.iter().map(|l| l.to_string()).collect();
        lines.join("\n")
    }

    fn field(result: &RunResult, name: &str) -> String {
        let summary = result.outcome.as_ref().unwrap_or_else(|e| panic!("{e:?}"));
        summary.fields[name].clone()
    }

    /// Seeded, the first point (`persist.before`, crash_point#0) fires and
    /// nothing was saved; planned at crash_point#1 (`persist.after`), the
    /// save is there; planned away, the node never crashes, and the
    /// scenario's own check says so.
    #[test]
    fn persist_points_are_numbered_decisions() {
        let scenario = Scenario::new("sim/node/crash_point_persist", || {
            Box::pin(super::crash_point_persist())
        });
        let seeded = run(&scenario, None);
        assert_eq!(field(&seeded, "persisted"), "0");
        let seen = text(&seeded);
        assert!(
            seen.contains("crash at point node=n point=persist.before fault=crash_point#0"),
            "{seen}"
        );
        assert_eq!(run(&scenario, Some(&[0])).trace_hash, seeded.trace_hash);

        let after = run(&scenario, Some(&[1]));
        assert_eq!(field(&after, "persisted"), "1");
        assert!(text(&after).contains("point=persist.after fault=crash_point#1"));

        let none = run(&scenario, Some(&[]));
        let failure = none.failure().expect("never crashed");
        assert!(failure.message.contains("did not crash"), "{failure:?}");
    }

    /// `fs.sync.before` loses the unsynced temporary file; `fs.rename.before`
    /// (planned) keeps it, synced, and the target never appears.
    #[test]
    fn a_crash_between_write_and_rename() {
        let scenario = Scenario::new("sim/fs/crash_point_rename", || {
            Box::pin(super::crash_point_rename())
        });
        let seeded = run(&scenario, None);
        assert_eq!(field(&seeded, "files_left"), "0");
        assert!(text(&seeded).contains("point=fs.sync.before"));
        let before_rename = run(&scenario, Some(&[1]));
        assert_eq!(field(&before_rename, "files_left"), "1");
        assert!(text(&before_rename).contains("point=fs.rename.before"));
    }
}
