//! Frame-format timings for `safeframe bench --format F --size WxH`: the sampler, blur and
//! block on a synthetic frame of any supported format (`bench.rs` calls [`synthetic_frame`]
//! and [`measure`]).

use std::time::{Duration, Instant};

use safeframe::frame::{Frame, FrameMut, PixelFormat};
use safeframe::redactor::Redactor;
use safeframe::sampler::Sampler;
use safeframe::SafeFrameError;

/// The formats `--format` accepts, by CLI name.
pub const FORMATS: [PixelFormat; 6] = [
    PixelFormat::Nv12,
    PixelFormat::Nv21,
    PixelFormat::I420,
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
    PixelFormat::Rgb8,
];

/// The format named `name` (`nv12`, `nv21`, `i420`, `rgba`, `bgra`, `rgb`).
pub fn parse_format(name: &str) -> Option<PixelFormat> {
    FORMATS.into_iter().find(|f| f.name() == name)
}

/// A deterministic tightly packed frame of `format` with gradients and noise (no image
/// content), `format.packed_len(width, height)` bytes.
pub fn synthetic_frame(format: PixelFormat, width: u32, height: u32) -> Vec<u8> {
    let len = format.packed_len(width, height).unwrap_or(0);
    let mut state = 0x2545_f491_u32;
    let row = (len / height.max(1) as usize).max(1);
    (0..len)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let gradient = ((i % row) * 200 / row + (i / row) * 50 / height.max(1) as usize) as u32;
            (gradient + (state & 15)).min(255) as u8
        })
        .collect()
}

/// Median and 95th percentile of one measurement, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// Median.
    pub median_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
}

/// Sampler, blur and block timings for one format and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameTimings {
    /// Sampling the frame into the model tensor.
    pub preprocess: Timing,
    /// Blurring the frame in place.
    pub blur: Timing,
    /// Blocking the frame in place.
    pub block: Timing,
}

fn timing(mut samples: Vec<Duration>) -> Timing {
    samples.sort();
    let at = |q: f64| {
        samples
            .get(((samples.len().max(1) - 1) as f64 * q).round() as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Timing {
        median_ms: at(0.5),
        p95_ms: at(0.95),
    }
}

fn time(iterations: usize, mut f: impl FnMut() -> Result<(), SafeFrameError>) -> Result<Timing, SafeFrameError> {
    for _ in 0..iterations.div_ceil(10) {
        f()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        f()?;
        samples.push(start.elapsed());
    }
    Ok(timing(samples))
}

/// Times `sampler` (the model's), blur and block on a synthetic `format` frame, `iterations`
/// times each, on the calling thread.
pub fn measure(
    sampler: &Sampler,
    format: PixelFormat,
    width: u32,
    height: u32,
    iterations: usize,
) -> Result<FrameTimings, SafeFrameError> {
    let mut pixels = synthetic_frame(format, width, height);
    let mut tensor = vec![0.0f32; sampler.tensor_len()];
    let preprocess = {
        let frame = Frame::packed(&pixels, width, height, format)?;
        time(iterations, || sampler.sample(&frame, &mut tensor))?
    };
    let mut redactor = Redactor::new();
    let blur = time(iterations, || {
        redactor.blur(&mut FrameMut::packed(&mut pixels, width, height, format)?);
        Ok(())
    })?;
    let block = time(iterations, || {
        Redactor::block(&mut FrameMut::packed(&mut pixels, width, height, format)?);
        Ok(())
    })?;
    Ok(FrameTimings {
        preprocess,
        blur,
        block,
    })
}
