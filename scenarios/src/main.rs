//! `dst`: list, run, sweep and investigate the scenarios (`sim::dst`), plus
//! this repository's `mr` and `bench`.

/// Why mimalloc: a simulated run allocates per task, per poll's future and
/// per message, and glibc's malloc was 12% of the bank's million-operation
/// run. The allocator cannot change a run: nothing in a trace or a decision
/// depends on an address.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    scenarios::cli::dst(scenarios::all()).main()
}
