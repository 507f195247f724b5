//! Swarm testing (TigerBeetle's VOPR style): the seed draws the fault mix
//! and its intensities, so a sweep over seeds explores many different
//! environments instead of one fixed one. Each run has
//!
//! 1. a safety phase (10–20 s virtual): the drawn faults (message loss, long
//!    reordering, isolations, majority/minority partitions, one-way link
//!    cuts, crashes with a drawn restart delay; and the opt-in kinds beyond
//!    labrpc's: duplicated and reordered requests, one-way partitions of a
//!    group, slow nodes, crashes at crash points) while clients call `start`
//!    concurrently, with the Figure 3 invariants checked at every step and
//!    the consistency probe checked at the end;
//! 2. a liveness phase: everything healed (network reliable, no reordering,
//!    every server restarted and connected), the cluster must elect a leader
//!    and commit a new command on every server within config.go's `one`
//!    bound (10 s of offers, 2 s to agree).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use madsim::time::{sleep, Instant};
use raft_api::Raft;
use sim::rand::Rng;
use sim::swarm::drew;
use sim::{ensure, net, Summary};

use super::config::{make_config, rand_int, Command, Config};

/// Events a sweep of the swarm must see (see [`sim::sometimes`]): a swarm
/// whose partitions never cost a leader its place, or whose crashes never
/// hit one, checked the invariants through nothing that matters.
const MIXED_SOMETIMES: &[&str] = &[LEADER_CHANGED_IN_PARTITION, LEADER_CRASHED];
const PARTITIONS_SOMETIMES: &[&str] = &[LEADER_CHANGED_IN_PARTITION];
const LEADER_CHANGED_IN_PARTITION: &str = "a new leader was elected while the network was split";
const LEADER_CRASHED: &str = "a leader crashed";

/// The swarm scenarios for the implementation `R`, named under the suite's
/// prefix, with their "sometimes" events.
pub fn scenarios<R: Raft>() -> Vec<(&'static str, sim::Body, &'static [&'static str])> {
    vec![
        (
            "swarm/mixed_faults",
            || Box::pin(swarm::<R>(Kinds::Mixed)),
            MIXED_SOMETIMES,
        ),
        (
            "swarm/partitions",
            || Box::pin(swarm::<R>(Kinds::Partitions)),
            PARTITIONS_SOMETIMES,
        ),
    ]
}

#[derive(Clone, Copy, Debug)]
enum Kinds {
    /// Every fault kind is on or off at the seed's choice.
    Mixed,
    /// Network faults only, with partitions always on.
    Partitions,
}

/// The environment a seed draws.
#[derive(Debug)]
struct Mix {
    servers: usize,
    safety_phase: Duration,
    /// Time between two fault decisions.
    step: Duration,
    loss: bool,
    long_reordering: bool,
    partitions: bool,
    /// Whether partition shapes include one-way link cuts.
    one_way: bool,
    /// Chance per step (per mille) of a new partition shape.
    partition_permille: u32,
    crashes: bool,
    /// Chance per step (per mille) of crashing a running server.
    crash_permille: u32,
    restart_delay: Duration,
    clients: usize,
    client_interval: Duration,
    /// Requests delivered twice, the copy late (`sim::net::set_duplicates`).
    duplicates: bool,
    /// Requests held back so that later ones overtake them.
    request_reordering: bool,
    /// Whether partition shapes include a group cut off one way.
    one_way_groups: bool,
    /// Chance per step (per mille) of slowing a server down or speeding
    /// one up; zero: no slow nodes.
    slow_permille: u32,
    /// The most a slow server's messages are held up.
    slow_most: Duration,
    /// Crashes at durability points (`sim::crash_point`): the chance per
    /// point reached, in parts per million; zero: unarmed.
    crash_point_per_million: u32,
}

impl Mix {
    fn draw(kinds: Kinds) -> Mix {
        let mut rng = sim::rand::chacha();
        let mixed = matches!(kinds, Kinds::Mixed);
        Mix {
            servers: if rng.gen_bool(0.5) { 3 } else { 5 },
            safety_phase: Duration::from_millis(rng.gen_range(10_000..=20_000)),
            step: Duration::from_millis(rng.gen_range(50..=700)),
            loss: rng.gen_bool(0.5),
            long_reordering: rng.gen_bool(0.3),
            partitions: !mixed || rng.gen_bool(0.5),
            one_way: rng.gen_bool(0.5),
            partition_permille: rng.gen_range(50..=500),
            crashes: mixed && rng.gen_bool(0.5),
            crash_permille: rng.gen_range(20..=300),
            restart_delay: Duration::from_millis(rng.gen_range(0..=3000)),
            clients: rng.gen_range(1..=4),
            client_interval: Duration::from_millis(rng.gen_range(5..=200)),
            // Drawn last, so the draws above are those of the swarm before
            // these kinds existed: a seed that draws none of them runs as
            // it did then.
            duplicates: rng.gen_bool(0.35),
            request_reordering: rng.gen_bool(0.35),
            one_way_groups: rng.gen_bool(0.35),
            slow_permille: if rng.gen_bool(0.35) {
                rng.gen_range(20..=300)
            } else {
                0
            },
            slow_most: Duration::from_millis(rng.gen_range(20..=500)),
            crash_point_per_million: if mixed && rng.gen_bool(0.35) {
                rng.gen_range(500..=20_000)
            } else {
                0
            },
        }
    }
}

impl Mix {
    /// Names every drawn parameter for failure reports and sweep coverage
    /// (draws nothing, so the trace is unchanged).
    fn record(&self) {
        drew("servers", self.servers);
        drew("safety_phase_ms", self.safety_phase.as_millis() as u64);
        drew("step_ms", self.step.as_millis() as u64);
        drew("loss", self.loss);
        drew("long_reordering", self.long_reordering);
        drew("partitions", self.partitions);
        drew("one_way", self.one_way);
        drew("partition_permille", self.partition_permille);
        drew("crashes", self.crashes);
        drew("crash_permille", self.crash_permille);
        drew("restart_delay_ms", self.restart_delay.as_millis() as u64);
        drew("clients", self.clients);
        drew(
            "client_interval_ms",
            self.client_interval.as_millis() as u64,
        );
        drew("duplicates", self.duplicates);
        drew("request_reordering", self.request_reordering);
        drew("one_way_groups", self.one_way_groups);
        drew("slow_permille", self.slow_permille);
        drew("slow_most_ms", self.slow_most.as_millis() as u64);
        drew("crash_point_per_million", self.crash_point_per_million);
    }
}

async fn swarm<R: Raft>(kinds: Kinds) -> sim::Result<Summary> {
    let mix = Mix::draw(kinds);
    mix.record();
    tracing::info!(target: "raft::swarm", ?kinds, ?mix, "drawn fault mix");
    let n = mix.servers;
    let cfg = make_config::<R>(n, mix.loss).await;
    cfg.begin("swarm: safety phase");
    cfg.set_long_reordering(mix.long_reordering);
    set_opt_in_faults(&mix, true);

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..mix.clients)
        .map(|_| {
            let (cfg, stop, interval) = (cfg.clone(), stop.clone(), mix.client_interval);
            madsim::task::spawn(async move { client::<R>(cfg, stop, interval).await })
        })
        .collect();

    let names: Vec<String> = (0..n).map(|i| format!("server{i}")).collect();
    let mut restart_at: Vec<Option<Instant>> = vec![None; n];
    let started = Instant::now();
    // The highest leader term when the current split began (None: whole).
    let mut split_at_term: Option<u64> = None;
    while started.elapsed() < mix.safety_phase {
        let mut rng = sim::rand::chacha();
        if mix.partitions && rng.gen_range(0..1000) < mix.partition_permille {
            let whole = new_partition_shape(&cfg, &names, &mix, &mut rng);
            split_at_term = (!whole).then(|| split_at_term.unwrap_or(leader_term(&cfg)));
        }
        if let Some(term) = split_at_term {
            sim::sometimes::sometimes(LEADER_CHANGED_IN_PARTITION, leader_term(&cfg) > term);
        }
        if mix.slow_permille > 0 && rng.gen_range(0..1000) < mix.slow_permille {
            let name = &names[rng.gen_range(0..n)];
            if rng.gen_bool(0.5) {
                net::slow_down(name, mix.slow_most);
            } else {
                net::speed_up(name);
            }
        }
        if mix.crashes && rng.gen_range(0..1000) < mix.crash_permille {
            let i = rng.gen_range(0..n);
            if let Some(raft) = cfg.raft(i) {
                sim::sometimes::sometimes(LEADER_CRASHED, raft.state().1);
                cfg.crash1(i);
                restart_at[i] = Some(Instant::now() + mix.restart_delay);
            }
        }
        for (i, at) in restart_at.iter_mut().enumerate() {
            // Crashed at a crash point: restarted like any other crash.
            if at.is_none() && cfg.raft(i).is_none() {
                *at = Some(Instant::now() + mix.restart_delay);
            }
            if at.is_some_and(|at| at <= Instant::now()) {
                *at = None;
                cfg.start1(i).await;
                cfg.connect(i);
            }
        }
        sleep(mix.step).await;
    }
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        let _ = client.await;
    }
    cfg.check_probe()
        .map_err(|e| sim::Failure::check(format!("after the safety phase: {e}")))?;

    // Liveness: heal everything; a leader must emerge and commit.
    tracing::info!(target: "raft::swarm", "liveness phase: healing everything");
    net::heal();
    cfg.set_unreliable(false);
    cfg.set_long_reordering(false);
    set_opt_in_faults(&mix, false);
    for i in 0..n {
        if cfg.raft(i).is_none() {
            cfg.start1(i).await;
        }
        cfg.connect(i);
    }
    let healed = Instant::now();
    cfg.one(Command::Int(rand_int()), n, true).await?;
    let took = healed.elapsed();
    ensure!(
        took <= Duration::from_secs(12),
        "liveness: committing on all servers took {took:?} after healing"
    );
    cfg.check_probe()
        .map_err(|e| sim::Failure::check(format!("after the liveness phase: {e}")))?;
    Ok(cfg
        .end()
        .with("servers", n)
        .with("liveness_ms", took.as_millis() as u64))
}

/// Turns the drawn opt-in kinds on for the safety phase, or everything
/// off for the liveness phase. Kinds not drawn are never touched, so a seed
/// that draws none of them has the trace it had before they existed.
fn set_opt_in_faults(mix: &Mix, on: bool) {
    if mix.duplicates {
        net::set_duplicates(on);
    }
    if mix.request_reordering {
        net::set_request_reordering(on);
    }
    if mix.slow_permille > 0 && !on {
        net::speed_up_all();
    }
    if mix.crash_point_per_million > 0 {
        if on {
            sim::crash_point::arm(mix.crash_point_per_million);
        } else {
            sim::crash_point::disarm();
        }
    }
}

/// The highest term in which a running server believes it leads (0: none).
fn leader_term<R: Raft>(cfg: &Config<R>) -> u64 {
    (0..cfg.n())
        .filter_map(|i| cfg.raft(i))
        .map(|raft| raft.state())
        .filter(|&(_, leader)| leader)
        .map(|(term, _)| term)
        .max()
        .unwrap_or(0)
}

/// One of: isolate a server, a majority/minority split, one-way cuts (if
/// drawn), a group cut off one way (if drawn), or heal; true if it healed.
fn new_partition_shape<R: Raft>(
    cfg: &Config<R>,
    names: &[String],
    mix: &Mix,
    rng: &mut impl Rng,
) -> bool {
    let n = names.len();
    // i32, as before the one-way groups existed: the type decides which
    // random numbers `gen_range` draws, and so every seed's shapes.
    let shapes: i32 = if mix.one_way { 4 } else { 3 };
    let shapes = shapes + i32::from(mix.one_way_groups);
    let shape = rng.gen_range(0..shapes);
    match shape {
        0 => cfg.disconnect(rng.gen_range(0..n)),
        1 => {
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.gen_range(0..=i));
            }
            let cut = rng.gen_range(1..=n / 2);
            let minority: Vec<&str> = order[..cut].iter().map(|&i| names[i].as_str()).collect();
            let majority: Vec<&str> = order[cut..].iter().map(|&i| names[i].as_str()).collect();
            net::partition(&[&minority, &majority]);
        }
        2 => heal(cfg, n),
        3 if mix.one_way || !mix.one_way_groups => {
            for _ in 0..rng.gen_range(1..=n) {
                let from = rng.gen_range(0..n);
                let to = rng.gen_range(0..n);
                if from != to {
                    net::disable_link(&names[from], &names[to]);
                }
            }
        }
        _ => {
            // A random group that the others can call (and get answers
            // from) but that can call none of them.
            let cut = rng.gen_range(1..n);
            let mut order: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                order.swap(i, rng.gen_range(0..=i));
            }
            let mute: Vec<&str> = order[..cut].iter().map(|&i| names[i].as_str()).collect();
            let rest: Vec<&str> = order[cut..].iter().map(|&i| names[i].as_str()).collect();
            net::partition_one_way(&mute, &rest);
        }
    }
    shape == 2
}

/// Removes every partition and reconnects every server (the config's
/// connected flags follow).
fn heal<R: Raft>(cfg: &Config<R>, n: usize) {
    net::heal();
    for i in 0..n {
        cfg.connect(i);
    }
}

/// Offers commands to random servers until told to stop.
async fn client<R: Raft>(cfg: Config<R>, stop: Arc<AtomicBool>, interval: Duration) {
    while !stop.load(Ordering::SeqCst) {
        let i = sim::rand::rng().gen_range(0..cfg.n());
        if let Some(raft) = cfg.raft(i) {
            raft.start(Command::Int(rand_int()).encode());
        }
        sleep(interval).await;
    }
}
