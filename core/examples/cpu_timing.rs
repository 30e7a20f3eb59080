//! Sampler and redaction timings in CPU time of the calling thread (Linux), which, unlike
//! wall-clock time, is not inflated when other processes share the cores; and the sampler's
//! fastest single call in wall time, its cost when nothing else disturbs the core and caches.
//!
//! `cargo run --release -p safeframe --example cpu_timing [-- WIDTHxHEIGHT]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::frame::{Frame, FrameMut, PixelFormat};
use safeframe::manifest::InputSpec;
use safeframe::redactor::Redactor;
use safeframe::sampler::Sampler;

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first field).
fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// Median CPU milliseconds of `f` over `rounds` rounds of `per_round` calls.
fn cpu_ms(rounds: usize, per_round: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = thread_cpu_ns();
            for _ in 0..per_round {
                f();
            }
            (thread_cpu_ns() - start) as f64 / per_round as f64 / 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Fastest wall-clock milliseconds of one call of `f` over `calls` calls.
fn fastest_ms(calls: usize, mut f: impl FnMut()) -> f64 {
    f();
    (0..calls)
        .map(|_| {
            let start = std::time::Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let size = std::env::args().nth(1).unwrap_or_else(|| "1920x1080".into());
    let (w, h) = size.split_once('x').unwrap();
    let (w, h): (u32, u32) = (w.parse().unwrap(), h.parse().unwrap());
    let spec = InputSpec::nsfwjs();
    let sampler = Sampler::new(&spec);
    let mut tensor = vec![0.0f32; sampler.tensor_len()];
    let mut redactor = Redactor::new();
    println!("{w}x{h}, CPU time per call (median of 9 rounds); sampler's fastest of 600 calls (wall)");
    for format in [
        PixelFormat::Rgba8,
        PixelFormat::Bgra8,
        PixelFormat::Rgb8,
        PixelFormat::Nv12,
        PixelFormat::Nv21,
        PixelFormat::I420,
    ] {
        let mut bytes: Vec<u8> = (0..format.packed_len(w, h).unwrap())
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
            .collect();
        let (sample, fastest) = {
            let frame = Frame::packed(&bytes, w, h, format).unwrap();
            (
                cpu_ms(9, 100, || sampler.sample(&frame, &mut tensor).unwrap()),
                fastest_ms(600, || sampler.sample(&frame, &mut tensor).unwrap()),
            )
        };
        let blur = cpu_ms(9, 30, || {
            redactor.blur(&mut FrameMut::packed(&mut bytes, w, h, format).unwrap())
        });
        let block = cpu_ms(9, 200, || {
            Redactor::block(&mut FrameMut::packed(&mut bytes, w, h, format).unwrap())
        });
        println!(
            "{:>5}: sample {sample:7.3} ms (fastest {fastest:.3})   blur {blur:7.3} ms   block {block:7.3} ms",
            format.name()
        );
    }
}
