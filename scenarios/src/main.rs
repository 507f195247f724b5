//! `dst`: list, run, sweep and investigate the scenarios.

/// Why mimalloc: a simulated run allocates per task, per poll's future and
/// per message, and glibc's malloc was 12% of the bank's million-operation
/// run. The allocator cannot change a run: nothing in a trace or a decision
/// depends on an address.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // Rust ignores SIGPIPE, so `dst list | head` ended in a "Broken pipe"
    // panic; a command-line tool should stop quietly when its reader does.
    // SAFETY: called first thing, before any other thread exists; restores
    // the default disposition of one signal.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let redirection = scenarios::cli::stderr_filter::install();
    // A panic outside the runs still prints (into the filter) before it
    // unwinds to here; catching it lets `finish` forward it before exiting.
    let code = std::panic::catch_unwind(scenarios::cli::main).unwrap_or(101);
    if let Some(redirection) = redirection {
        redirection.finish();
    }
    std::process::exit(code);
}
