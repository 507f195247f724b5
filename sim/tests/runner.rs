//! The runner's own guarantees: every way a run can go wrong becomes a failed
//! outcome with the right kind, and a seed replays exactly.

use std::time::Duration;

use madsim::time::sleep;
use sim::rand::Rng;
use sim::{bail, node, FailureKind, RunOptions, Scenario, Summary};

fn run(name: &'static str, body: sim::Body) -> sim::RunResult {
    sim::run(
        &Scenario::new(name, body).time_limit(Duration::from_secs(10)),
        3,
        &RunOptions::default(),
    )
}

#[test]
fn a_passing_run_reports_its_summary() {
    let r = run("t/runner/pass", || {
        Box::pin(async { Ok(Summary::new().with("answer", 42)) })
    });
    assert!(r.passed());
    assert_eq!(r.outcome.unwrap().fields["answer"], "42");
}

#[test]
fn a_failed_check_is_a_check_failure_at_its_virtual_time() {
    let r = run("t/runner/check", || {
        Box::pin(async {
            sleep(Duration::from_millis(1500)).await;
            bail!("value {} is wrong", 7)
        })
    });
    let f = r.failure().expect("must fail");
    assert_eq!(f.kind, FailureKind::Check);
    assert_eq!(f.message, "value 7 is wrong");
    assert!(
        r.virtual_time >= Duration::from_millis(1500),
        "{:?}",
        r.virtual_time
    );
    let report = sim::report::failure_report(&r);
    assert!(report.contains("seed:     3"), "{report}");
    assert!(
        report.contains("SEED=3 cargo test -p scenarios"),
        "{report}"
    );
    assert!(
        report.contains("cargo run --release -- run t/runner/check --seed 3 --trace"),
        "{report}"
    );
}

#[test]
fn a_panic_in_a_node_fails_the_run_with_its_message() {
    let r = run("t/runner/node_panic", || {
        Box::pin(async {
            node::create("n1");
            node::spawn("n1", async {
                sleep(Duration::from_millis(20)).await;
                panic!("invariant broken in n1");
            });
            sleep(Duration::from_secs(1)).await;
            Ok(Summary::new())
        })
    });
    let f = r.failure().expect("must fail");
    assert_eq!(f.kind, FailureKind::Panic);
    assert!(
        f.message.starts_with("invariant broken in n1"),
        "{}",
        f.message
    );
    assert!(r.virtual_time >= Duration::from_millis(20) && r.virtual_time < Duration::from_secs(1));
}

#[test]
fn all_tasks_blocked_is_a_deadlock_explained_by_the_inspectors() {
    let r = run("t/runner/deadlock", || {
        Box::pin(async {
            sim::inspect::inspector("locks", || "task A waits for lock 1".to_string());
            let (_tx, rx) = futures::channel::oneshot::channel::<()>();
            let _ = rx.await; // the sender is alive but nobody will send
            Ok(Summary::new())
        })
    });
    let f = r.failure().expect("must fail");
    assert_eq!(f.kind, FailureKind::Deadlock);
    assert!(f.to_string().starts_with("DEADLOCK: "), "{f}");
    assert!(
        f.message.contains("task A waits for lock 1"),
        "{}",
        f.message
    );
}

#[test]
fn the_virtual_time_limit_fails_the_run() {
    let r = run("t/runner/slow", || {
        Box::pin(async {
            sleep(Duration::from_secs(60)).await;
            Ok(Summary::new())
        })
    });
    assert_eq!(r.failure().expect("must fail").kind, FailureKind::TimeLimit);
}

#[test]
fn a_livelock_is_stopped_by_the_wall_clock_guard() {
    let scenario = Scenario::new("t/runner/livelock", || {
        Box::pin(async {
            node::create("spinner");
            // Two tasks that keep waking each other: virtual time never moves.
            node::spawn("spinner", async {
                loop {
                    tokio::task::yield_now().await;
                }
            });
            loop {
                tokio::task::yield_now().await;
            }
        })
    });
    let options = RunOptions {
        wall_limit: Duration::from_millis(300),
        ..RunOptions::default()
    };
    let r = sim::run(&scenario, 1, &options);
    assert_eq!(r.failure().expect("must fail").kind, FailureKind::WallClock);
}

fn chatty() -> sim::BodyFuture {
    Box::pin(async {
        for i in 0..3 {
            let name = format!("n{i}");
            node::create(&name);
            node::spawn(&name, async move {
                for _ in 0..5 {
                    let ms = sim::rand::rng().gen_range(1..50);
                    sleep(Duration::from_millis(ms)).await;
                    tracing::info!(target: "test", i, ms, "tick");
                }
            });
        }
        sleep(Duration::from_secs(1)).await;
        Ok(Summary::new())
    })
}

#[test]
fn a_seed_replays_exactly_and_another_seed_differs() {
    let s = Scenario::new("t/runner/chatty", chatty);
    let a = sim::run(&s, 11, &RunOptions::default());
    let b = sim::run(&s, 11, &RunOptions::default());
    let c = sim::run(&s, 12, &RunOptions::default());
    let ticks: Vec<_> = a
        .trace
        .lines
        .iter()
        .filter(|l| l.target == "test")
        .collect();
    assert_eq!(ticks.len(), 15, "3 nodes x 5 ticks");
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.trace.first_difference(&b.trace), None);
    assert_ne!(a.trace_hash, c.trace_hash);
    let line = ticks[0].to_string();
    assert!(
        line.contains(" n") && line.contains("INFO  test tick i="),
        "{line}"
    );
}

#[test]
fn until_stops_the_run_and_dumps_state() {
    let scenario = Scenario::new("t/runner/until", || {
        Box::pin(async {
            let counter = std::rc::Rc::new(std::cell::Cell::new(0));
            let seen = counter.clone();
            sim::inspect::inspector("counter", move || format!("value={}", seen.get()));
            let probe = counter.clone();
            sim::inspect::probe("small", move || {
                if probe.get() <= 3 {
                    Ok(())
                } else {
                    Err(format!("{} > 3", probe.get()))
                }
            });
            loop {
                sleep(Duration::from_secs(1)).await;
                counter.set(counter.get() + 1);
            }
        })
    });
    let options = RunOptions {
        until: Some(Duration::from_millis(5500)),
        ..RunOptions::default()
    };
    let r = sim::run(&scenario, 1, &options);
    // Cut short: neither a pass nor a fail.
    assert_eq!(r.verdict(), sim::Verdict::Stopped);
    assert!(!r.passed() && !r.failed());
    assert_eq!(r.stopped_at, Some(Duration::from_millis(5500)));
    assert_eq!(r.dump, vec![("counter".to_string(), "value=5".to_string())]);
    assert_eq!(
        r.failing_probes,
        vec![("small".to_string(), "5 > 3".to_string())]
    );
}

/// Counts drops of the values the leftover tasks below hold.
static DROPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

struct CountsDrop;

impl Drop for CountsDrop {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// madsim never drops a task still pending when its runtime goes (a leak of
/// everything the task holds, per run); the runner drops the tasks of every
/// node, and the harness's background tasks, when the body ends.
#[test]
fn a_run_drops_the_tasks_left_when_its_body_ends() {
    let before = DROPPED.load(std::sync::atomic::Ordering::SeqCst);
    let r = run("t/runner/leftovers", || {
        Box::pin(async {
            node::create("server");
            for _ in 0..3 {
                node::spawn("server", async {
                    let _held = CountsDrop;
                    loop {
                        sleep(Duration::from_secs(1)).await;
                    }
                });
            }
            node::spawn_background(async {
                let _held = CountsDrop;
                std::future::pending::<()>().await;
            });
            sleep(Duration::from_millis(10)).await;
            Ok(Summary::new())
        })
    });
    assert!(r.passed(), "{:?}", r.failure());
    let dropped = DROPPED.load(std::sync::atomic::Ordering::SeqCst) - before;
    assert_eq!(dropped, 4, "the three server tasks and the background task");
    // The executor's work as `dst bench` counts it, teardown excluded: the
    // harness's task and the four above; each polled at least once, and
    // the harness again after its sleep.
    assert_eq!(r.spawns, 5);
    assert!(r.polls >= 6, "{} polls", r.polls);
}

/// Nodes that compute between sleeps, marking the computation as their own
/// work (`sim::work::own`).
fn computing() -> sim::BodyFuture {
    Box::pin(async {
        for i in 0..2 {
            let name = format!("c{i}");
            node::create(&name);
            node::spawn(&name, async move {
                for round in 0..3u64 {
                    sleep(Duration::from_millis(10)).await;
                    let sum = sim::work::own(|| {
                        (0..300_000u64).fold(round, |acc, x| std::hint::black_box(acc ^ x))
                    });
                    tracing::info!(target: "test", i, sum, "computed");
                }
            });
        }
        sleep(Duration::from_secs(1)).await;
        Ok(Summary::new())
    })
}

#[test]
fn metering_own_work_times_the_marked_regions_and_changes_nothing_else() {
    let s = Scenario::new("t/runner/computing", computing);
    let plain = sim::run(&s, 5, &RunOptions::default());
    let metered = sim::run(
        &s,
        5,
        &RunOptions {
            meter_own_work: true,
            ..RunOptions::default()
        },
    );
    assert!(plain.passed() && metered.passed());
    assert_eq!(
        plain.own_work,
        Duration::ZERO,
        "unmetered runs count nothing"
    );
    assert!(
        metered.own_work > Duration::ZERO,
        "six regions took no time"
    );
    assert!(
        metered.own_work <= metered.wall,
        "own work {:?} exceeds the run's wall time {:?}",
        metered.own_work,
        metered.wall
    );
    assert_eq!(plain.trace_hash, metered.trace_hash);
    assert_eq!(plain.virtual_time, metered.virtual_time);
    assert_eq!(plain.polls, metered.polls);
}
