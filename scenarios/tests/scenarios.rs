//! Every scenario of the registry as its own test, through the crate's
//! harness (see `scenarios::harness` for `SEED`, `SEEDS` and the corpus).

fn main() {
    scenarios::harness::test_main(scenarios::all());
}
