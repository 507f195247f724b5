//! The system's own work, timed for `dst bench`.
//!
//! `dst bench` prices a run's events on bare madsim and divides: wall time
//! over that floor is the framework's overhead. A system that computes
//! between events (MapReduce maps and reduces real text; its test computes
//! the sequential reference) would count that computation as the
//! framework's. So code marks its own computation with [`own`], and a run
//! made with [`RunOptions::meter_own_work`](crate::RunOptions) sums the real
//! time spent inside into [`RunResult::own_work`](crate::RunResult); the
//! bench subtracts it before dividing by the floor.
//!
//! Metering never changes a run: the sum goes into the result only, never
//! into the trace or any decision, and an unmetered run (every run but the
//! bench's) pays one thread-local check per region. A metered region costs
//! two clock reads (some 40 ns together), which the bench counts as the
//! framework's: mark whole computations (a Map task, a protocol step, a
//! checker's pass), not every small function.

use std::cell::Cell;
use std::time::Duration;

/// The meter of the run on this thread.
struct Meter {
    /// Whether this run is metered (see [`begin`]).
    on: Cell<bool>,
    /// Nesting depth of [`own`] regions: only the outermost one is timed.
    depth: Cell<u32>,
    /// Real nanoseconds spent in outermost regions so far.
    nanos: Cell<u64>,
    /// How many regions were timed so far.
    timed: Cell<u64>,
}

thread_local! {
    static METER: Meter = const {
        Meter {
            on: Cell::new(false),
            depth: Cell::new(0),
            nanos: Cell::new(0),
            timed: Cell::new(0),
        }
    };
}

/// Runs `work`, the system's (or its test's) own computation, and adds its
/// real duration to the run's own work when the run is metered. `work` must
/// not block on the simulation (it cannot: it is not async).
///
/// ```
/// let words = sim::work::own(|| "a b c".split(' ').count());
/// assert_eq!(words, 3);
/// ```
pub fn own<T>(work: impl FnOnce() -> T) -> T {
    let timed = METER.with(|m| {
        let outermost = m.on.get() && m.depth.get() == 0;
        m.depth.set(m.depth.get() + 1);
        outermost
    });
    // Decrements the depth and adds the time even when `work` panics, so a
    // caught panic leaves the meter consistent.
    struct Region {
        started: Option<u64>,
    }
    impl Drop for Region {
        fn drop(&mut self) {
            let elapsed = self
                .started
                .map(|started| real_nanos().saturating_sub(started));
            let _ = METER.try_with(|m| {
                m.depth.set(m.depth.get().saturating_sub(1));
                if let Some(elapsed) = elapsed {
                    m.nanos.set(m.nanos.get() + elapsed);
                    m.timed.set(m.timed.get() + 1);
                }
            });
        }
    }
    let _region = Region {
        started: timed.then(real_nanos),
    };
    work()
}

/// Starts this thread's run: metered or not, nothing counted yet.
pub(crate) fn begin(metered: bool) {
    METER.with(|m| {
        m.on.set(metered);
        m.depth.set(0);
        m.nanos.set(0);
        m.timed.set(0);
    });
}

/// Ends this thread's run: the own work it metered (zero when unmetered).
pub(crate) fn end() -> Duration {
    METER.with(|m| {
        m.on.set(false);
        Duration::from_nanos(m.nanos.replace(0))
    })
}

/// The machine's monotonic clock in nanoseconds.
///
/// Why not `Instant::now()`: madsim replaces libc's `clock_gettime` with a
/// function of its own that answers with virtual time inside a simulation,
/// which is exactly the time this meter must not measure. Like madsim's
/// replacement does outside a simulation, this calls the real libc function
/// (found with `dlsym(RTLD_NEXT)`), which reads the clock through the vDSO
/// in some 20 ns; a raw system call, the fallback, takes several times that.
#[cfg(target_os = "linux")]
fn real_nanos() -> u64 {
    use std::sync::OnceLock;
    type ClockGettime = unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int;
    static REAL: OnceLock<Option<ClockGettime>> = OnceLock::new();
    let real = REAL.get_or_init(|| {
        // SAFETY: dlsym with a NUL-terminated name; a non-null result for
        // `clock_gettime` is libc's function of exactly this signature.
        unsafe {
            let pointer = libc::dlsym(libc::RTLD_NEXT, c"clock_gettime".as_ptr());
            (!pointer.is_null())
                .then(|| std::mem::transmute::<*mut libc::c_void, ClockGettime>(pointer))
        }
    });
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's duration.
    let status = unsafe {
        match real {
            Some(clock_gettime) => clock_gettime(libc::CLOCK_MONOTONIC, &mut now),
            None => libc::syscall(
                libc::SYS_clock_gettime,
                libc::CLOCK_MONOTONIC,
                &mut now as *mut libc::timespec,
            ) as libc::c_int,
        }
    };
    assert_eq!(status, 0, "clock_gettime(CLOCK_MONOTONIC) failed");
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Elsewhere the meter reads nothing: own work is reported as zero.
#[cfg(not(target_os = "linux"))]
fn real_nanos() -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spin() -> u64 {
        // Enough work that the clock moves, kept from being optimised away.
        (0..200_000u64).fold(0, |acc, i| std::hint::black_box(acc ^ i.wrapping_mul(31)))
    }

    #[test]
    fn unmetered_runs_count_nothing() {
        begin(false);
        own(spin);
        assert_eq!(end(), Duration::ZERO);
    }

    #[test]
    fn metered_runs_count_the_outermost_region_once() {
        begin(true);
        own(spin);
        assert!(end() > Duration::ZERO, "a metered region took no time");

        begin(true);
        own(|| own(spin));
        own(spin);
        // The inner region is inside the outer one: timing both would count
        // its time twice.
        METER.with(|m| {
            assert_eq!(m.timed.get(), 2, "timed regions");
            assert_eq!(m.depth.get(), 0);
        });
        assert!(end() > Duration::ZERO);
    }

    /// The meter reads real time, also inside a simulation, where madsim
    /// answers `clock_gettime` with virtual time.
    #[test]
    fn the_clock_is_real_inside_a_simulation() {
        let runtime = madsim::runtime::Runtime::with_seed_and_config(1, madsim::Config::default());
        let (real, virtual_time) = runtime.block_on(async {
            let (real, virtual_start) = (real_nanos(), std::time::Instant::now());
            madsim::time::sleep(Duration::from_secs(3600)).await;
            (real_nanos() - real, virtual_start.elapsed())
        });
        assert!(
            virtual_time >= Duration::from_secs(3600),
            "{virtual_time:?}"
        );
        assert!(
            real < 3_600_000_000_000,
            "an hour of virtual time passed in {real} real ns"
        );
    }

    #[test]
    fn a_panicking_region_leaves_the_meter_consistent() {
        begin(true);
        let caught = std::panic::catch_unwind(|| own(|| panic!("inside a region")));
        assert!(caught.is_err());
        METER.with(|m| assert_eq!(m.depth.get(), 0));
        own(spin);
        assert!(end() > Duration::ZERO);
    }
}
