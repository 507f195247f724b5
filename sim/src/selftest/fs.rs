//! The shared filesystem under crashes.

use std::time::Duration;

use madsim::time::sleep;
use sim::rand::Rng;
use sim::{ensure, fs, node, Scenario, Summary};

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new("sim/fs/atomic_rename_under_crash", || {
            Box::pin(atomic_rename_under_crash())
        }),
        Scenario::new("sim/fs/unsynced_writes_lost", || {
            Box::pin(unsynced_writes_lost())
        }),
    ]
}

/// The content of output file `i`: its length and bytes depend on `i`, so a
/// partial or mixed-up file is recognisable.
fn content(i: u64) -> Vec<u8> {
    let len = 100 + (i as usize * 37) % 900;
    (0..len).map(|j| (i as usize * 31 + j) as u8).collect()
}

/// A writer publishes files with write-temp, sync, rename while the harness
/// crashes and restarts it at seeded moments. Readers must only ever see
/// whole files, and every crash must leave at worst an orphaned temp file.
async fn atomic_rename_under_crash() -> sim::Result {
    node::create("writer");
    node::create("reader");
    let mut crashes = 0;
    let mut torn_temps = 0;
    let mut next = 0u64;
    for _round in 0..20 {
        let start = next;
        node::spawn("writer", async move {
            for i in start.. {
                let temp = format!("tmp/out-{i}");
                let mut f = fs::create(&temp).await.unwrap();
                let data = content(i);
                // Write in pieces so that a crash can land mid-file.
                for chunk in data.chunks(64) {
                    f.write_all(chunk).await.unwrap();
                }
                f.sync_all().await.unwrap();
                fs::rename(&temp, &format!("out/{i}")).await.unwrap();
            }
        });
        let delay_ms = sim::rand::rng().gen_range(1..200);
        sleep(Duration::from_millis(delay_ms)).await;
        node::crash("writer");
        crashes += 1;
        // Readers run on another node after the crash: what they see is what
        // survived.
        let (published, temps) = node::spawn("reader", async {
            let published = fs::list("out/").await.unwrap();
            for name in &published {
                let i: u64 = name["out/".len()..].parse().unwrap();
                let data = fs::read(name).await.unwrap();
                assert!(data == content(i), "{name} is torn: {} bytes", data.len());
            }
            (published.len() as u64, fs::list("tmp/").await.unwrap())
        })
        .await
        .unwrap();
        torn_temps += temps.len();
        for t in temps {
            // A never-synced temp file vanishes with its writer; one that
            // survived was synced whole, so it is complete.
            let i: u64 = t["tmp/out-".len()..].parse().unwrap();
            let data = node::spawn("reader", {
                let t = t.clone();
                async move { fs::read(&t).await.unwrap() }
            })
            .await
            .unwrap();
            ensure!(data == content(i), "surviving temp file {t} is partial");
        }
        next = published;
        node::restart("writer");
        ensure!(node::is_alive("writer"), "writer did not restart");
    }
    ensure!(next > 0, "the writer never published a file");
    Ok(Summary::new()
        .with("crashes", crashes)
        .with("published", next)
        .with("orphan_temps", torn_temps))
}

/// What a crash keeps: synced data. What it loses: the rest.
async fn unsynced_writes_lost() -> sim::Result {
    node::create("disk");
    node::create("observer");
    node::spawn("disk", async {
        let mut a = fs::create("a").await.unwrap();
        a.write_all(b"durable").await.unwrap();
        a.sync_all().await.unwrap();

        let mut b = fs::create("b").await.unwrap();
        b.write_all(b"volatile").await.unwrap();

        let mut c = fs::create("c").await.unwrap();
        c.write_all(b"first").await.unwrap();
        c.sync_all().await.unwrap();
        c.write_all(b"+second").await.unwrap();

        let mut d = fs::create("d.tmp").await.unwrap();
        d.write_all(b"renamed but never synced").await.unwrap();
        fs::rename("d.tmp", "d").await.unwrap();
    })
    .await
    .unwrap();
    // Before the crash every node sees every write.
    let before = node::spawn("observer", async {
        (fs::read("b").await.unwrap(), fs::read("c").await.unwrap())
    })
    .await
    .unwrap();
    ensure!(
        before.0 == b"volatile",
        "unsynced write not visible before crash"
    );
    ensure!(
        before.1 == b"first+second",
        "append not visible before crash"
    );

    node::crash("disk");
    let after = node::spawn("observer", async {
        let a = fs::read("a").await;
        let b = fs::read("b").await;
        let c = fs::read("c").await;
        let d = fs::read("d").await;
        (a, b, c, d)
    })
    .await
    .unwrap();
    ensure!(
        after.0.as_deref().ok() == Some(&b"durable"[..]),
        "synced file changed: {:?}",
        after.0
    );
    ensure!(
        after.1.as_ref().map_err(|e| e.kind()) == Err(std::io::ErrorKind::NotFound),
        "never-synced file survived the crash: {:?}",
        after.1
    );
    ensure!(
        after.2.as_deref().ok() == Some(&b"first"[..]),
        "c kept its unsynced tail: {:?}",
        after.2
    );
    ensure!(
        after.3.is_err(),
        "rename without sync kept its data: {:?}",
        after.3
    );

    // Bad input is an error value, never a panic.
    let errors = node::spawn("observer", async {
        vec![
            fs::read("").await.map(|_| ()),
            fs::read("a/../b").await.map(|_| ()),
            fs::create("x//y").await.map(|_| ()),
            fs::remove("missing").await,
            fs::rename("missing", "other").await,
        ]
    })
    .await
    .unwrap();
    for e in &errors {
        ensure!(e.is_err(), "bad path or missing file accepted: {errors:?}");
    }
    Ok(Summary::new())
}
