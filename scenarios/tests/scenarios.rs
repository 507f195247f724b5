//! Every scenario of this repository as its own test, through the
//! framework's harness (`sim::dst::Harness`: `SEED`, `SEEDS`, the double run
//! and the corpus in `seeds/`). The framework's self-tests run in
//! `cargo test -p sim`.

fn main() {
    let ours = scenarios::all()
        .into_iter()
        .filter(|s| !s.name.starts_with("sim/") && s.name != "demo/rpc/lossy_counter")
        .collect();
    sim::dst::Harness::new(ours)
        .corpus(concat!(env!("CARGO_MANIFEST_DIR"), "/../seeds"))
        .dst("cargo run --release --")
        .main()
}
