//! Sampler and redaction per pixel format (criterion; `cargo bench -p safeframe --bench frames`;
//! add `--features test-hooks` for the scalar reference's timings beside the fast path's).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::measurement::Measurement;
use criterion::{BatchSize, BenchmarkId, Criterion};

#[path = "support/clock.rs"]
mod clock;
use safeframe::frame::{Frame, FrameMut, PixelFormat, Plane, Rotation};
use safeframe::manifest::InputSpec;
use safeframe::redactor::Redactor;
use safeframe::sampler::Sampler;

const FORMATS: [PixelFormat; 6] = [
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
    PixelFormat::Rgb8,
    PixelFormat::Nv12,
    PixelFormat::Nv21,
    PixelFormat::I420,
];

fn spec() -> InputSpec {
    InputSpec::nsfwjs()
}

/// Deterministic bytes for a packed frame of `format` (content does not change the timing);
/// for `YUV_420_888`, the bytes of an NV21 frame.
fn frame_bytes(format: PixelFormat, width: u32, height: u32) -> Vec<u8> {
    let len = format
        .packed_len(width, height)
        .or(PixelFormat::Nv21.packed_len(width, height))
        .unwrap();
    let mut state = 0x2545_f491_u32;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 13) as u8
        })
        .collect()
}

/// An Android-style `YUV_420_888` frame (chroma pixel stride 2, U and V interleaved in one
/// buffer as NV21 underneath) over NV21 bytes.
fn yuv420_888(nv21: &[u8], w: u32, h: u32) -> Frame<'_> {
    let (y, vu) = nv21.split_at((w * h) as usize);
    let plane = |data, pixel_stride| Plane {
        data,
        row_stride: w as usize,
        pixel_stride,
    };
    Frame::yuv420_888(w, h, plane(y, 1), plane(&vu[1..], 2), plane(vu, 2)).unwrap()
}

fn sampler<M: Measurement>(c: &mut Criterion<M>) {
    let sampler = Sampler::new(&spec());
    let mut tensor = vec![0.0f32; sampler.tensor_len()];
    // `<format>/<size>`: the dispatched fast path; `<format>-scalar/<size>`: the scalar
    // reference, measured right after it so that the ratio holds on a busy machine.
    let mut group = c.benchmark_group("sampler");
    for (name, w, h) in [("720p", 1280u32, 720u32), ("1080p", 1920, 1080), ("4k", 3840, 2160)] {
        for format in FORMATS.into_iter().chain([PixelFormat::Yuv420888]) {
            let bytes = frame_bytes(format, w, h);
            let frame = if format == PixelFormat::Yuv420888 {
                yuv420_888(&bytes, w, h)
            } else {
                Frame::packed(&bytes, w, h, format).unwrap()
            };
            group.bench_function(BenchmarkId::new(format.name(), name), |b| {
                b.iter(|| sampler.sample(&frame, &mut tensor).unwrap())
            });
            // The scalar reference is a test hook (`--features test-hooks`).
            #[cfg(feature = "test-hooks")]
            group.bench_function(BenchmarkId::new(format!("{}-scalar", format.name()), name), |b| {
                b.iter(|| sampler.sample_scalar(&frame, &mut tensor).unwrap())
            });
        }
    }
    // Rotation costs nothing extra: the same four reads per output pixel.
    let bytes = frame_bytes(PixelFormat::Nv21, 1920, 1080);
    let frame = Frame::packed(&bytes, 1920, 1080, PixelFormat::Nv21)
        .unwrap()
        .with_rotation(Rotation::Deg90);
    group.bench_function(BenchmarkId::new("nv21-rot90", "1080p"), |b| {
        b.iter(|| sampler.sample(&frame, &mut tensor).unwrap())
    });
    group.finish();
}

/// The sampler on a frame that is not in any CPU cache, as a camera frame written by the
/// image processor is not: before each call, reading 64 MiB (twice the last-level cache here)
/// evicts it. Only the call is timed.
fn sampler_cold<M: Measurement>(c: &mut Criterion<M>) {
    let sampler = Sampler::new(&spec());
    let mut tensor = vec![0.0f32; sampler.tensor_len()];
    let evict: Vec<u8> = (0..64usize << 20).map(|i| i as u8).collect();
    let flush = || {
        let sum = evict.iter().step_by(64).fold(0u8, |sum, &b| sum.wrapping_add(b));
        std::hint::black_box(sum);
    };
    let mut group = c.benchmark_group("sampler-cold");
    group
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(100))
        .measurement_time(std::time::Duration::from_millis(300));
    let (w, h) = (1920u32, 1080u32);
    for format in [
        PixelFormat::Rgba8,
        PixelFormat::Nv21,
        PixelFormat::I420,
        PixelFormat::Yuv420888,
    ] {
        let bytes = frame_bytes(format, w, h);
        let frame = if format == PixelFormat::Yuv420888 {
            yuv420_888(&bytes, w, h)
        } else {
            Frame::packed(&bytes, w, h, format).unwrap()
        };
        group.bench_function(BenchmarkId::new(format.name(), "1080p"), |b| {
            b.iter_batched(
                flush,
                |()| sampler.sample(&frame, &mut tensor).unwrap(),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
}

fn redaction<M: Measurement>(c: &mut Criterion<M>) {
    let (w, h) = (1920u32, 1080u32);
    let mut group = c.benchmark_group("redact-1080p");
    let mut redactor = Redactor::new();
    for format in FORMATS {
        let mut bytes = frame_bytes(format, w, h);
        group.bench_function(BenchmarkId::new("blur", format.name()), |b| {
            b.iter(|| redactor.blur(&mut FrameMut::packed(&mut bytes, w, h, format).unwrap()))
        });
        group.bench_function(BenchmarkId::new("block", format.name()), |b| {
            b.iter(|| Redactor::block(&mut FrameMut::packed(&mut bytes, w, h, format).unwrap()))
        });
    }
    group.finish();
}

fn all<M: Measurement>(c: &mut Criterion<M>) {
    sampler(c);
    sampler_cold(c);
    redaction(c);
}

/// Wall time by default; `SAFEFRAME_BENCH_CLOCK=cpu` measures the thread's CPU time instead.
fn main() {
    clock::run_with(all, all, configure, configure);
}

fn configure<M: Measurement>(c: Criterion<M>) -> Criterion<M> {
    c.sample_size(30)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}
