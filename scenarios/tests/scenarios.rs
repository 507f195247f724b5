//! Every scenario of this repository's `dst` as its own test, through the
//! framework's harness (`sim::dst::Harness`: `SEED`, `SEEDS`, the double run
//! and the corpus in `seeds/`). The framework's self-tests are among them
//! (they also run alone in `cargo test -p sim`): every `SEED=…` line this
//! `dst` prints names this target.

fn main() {
    sim::dst::Harness::new(scenarios::all())
        .corpus(concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds"))
        .dst("cargo run --release --")
        .main()
}
