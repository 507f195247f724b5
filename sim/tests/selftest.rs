//! The framework's self-tests (`sim::selftest`) under the framework's own
//! cargo-test harness: `cargo test -p sim` runs them, `SEED=n` and
//! `SEEDS=a..b` as for any suite; the corpus is the repository's
//! `seeds/sim.seeds`.

fn main() {
    sim::dst::Harness::new(sim::selftest::scenarios())
        .corpus(concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds"))
        .main()
}
