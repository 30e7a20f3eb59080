//! Choice of clock for the benchmarks.
//!
//! Criterion measures wall time. On a machine shared with other busy jobs
//! the wall clock also counts time spent waiting for a core, so with
//! `SAFEFRAME_BENCH_CLOCK=cpu` the benchmarks measure this thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) instead. Both are reported in the same units.
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::Criterion;
use std::time::Duration;

/// On-CPU time of the calling thread.
pub struct ThreadCpuTime;

static WALL: WallTime = WallTime;

fn now() -> Duration {
    cpu_time::ThreadTime::try_now()
        .map(|t| t.as_duration())
        .unwrap_or_default()
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;
    fn start(&self) -> Duration {
        now()
    }
    fn end(&self, start: Duration) -> Duration {
        now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

/// Whether `SAFEFRAME_BENCH_CLOCK=cpu` asks for CPU time.
pub fn use_cpu_clock() -> bool {
    std::env::var("SAFEFRAME_BENCH_CLOCK").is_ok_and(|v| v == "cpu")
}

/// Runs `f` with a Criterion on the chosen clock.
#[allow(dead_code)]
pub fn run(f: fn(&mut Criterion<WallTime>), g: fn(&mut Criterion<ThreadCpuTime>)) {
    run_with(f, g, |c| c, |c| c);
}

/// [`run`] with settings applied before the command line's (which override them).
pub fn run_with(
    f: fn(&mut Criterion<WallTime>),
    g: fn(&mut Criterion<ThreadCpuTime>),
    wall: fn(Criterion<WallTime>) -> Criterion<WallTime>,
    cpu: fn(Criterion<ThreadCpuTime>) -> Criterion<ThreadCpuTime>,
) {
    if use_cpu_clock() {
        let mut c = cpu(Criterion::default().with_measurement(ThreadCpuTime)).configure_from_args();
        g(&mut c);
        c.final_summary();
    } else {
        let mut c = wall(Criterion::default()).configure_from_args();
        f(&mut c);
        c.final_summary();
    }
}
