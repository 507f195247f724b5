//! `dst`: list, run, sweep and investigate the scenarios.

fn main() {
    std::process::exit(scenarios::cli::main());
}
