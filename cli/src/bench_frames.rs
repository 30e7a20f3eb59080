//! Frame-format timings for `safeframe bench --format F --size WxH`: the sampler, blur and
//! block on a synthetic frame of any supported format. `bench.rs` calls [`synthetic_frame`]
//! and [`measure`]; [`run`] is a stand-alone `bench-frames` command for this branch.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use safeframe::frame::{Frame, FrameMut, PixelFormat};
use safeframe::manifest::InputSpec;
use safeframe::redactor::Redactor;
use safeframe::sampler::Sampler;
use safeframe::SafeFrameError;
use serde_json::json;

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

/// Arguments of `safeframe bench-frames`.
#[derive(Debug, Args)]
pub struct BenchFramesArgs {
    /// Pixel format: nv12, nv21, i420, rgba, bgra, rgb.
    #[arg(long, default_value = "nv21")]
    pub format: String,
    /// Frame size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080")]
    pub size: String,
    /// Timed iterations per measurement.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `bench-frames` with the nsfwjs input size (224×224, ÷255).
pub fn run(args: &BenchFramesArgs) -> Result<ExitCode, String> {
    let format = parse_format(&args.format)
        .ok_or_else(|| format!("--format {}: use nv12, nv21, i420, rgba, bgra or rgb", args.format))?;
    let (width, height) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| format!("--size {}: expected WIDTHxHEIGHT", args.size))?;
    let spec = InputSpec::nsfwjs();
    let t = measure(&Sampler::new(&spec), format, width, height, args.iterations.max(1)).map_err(|e| e.to_string())?;
    if args.json {
        println!(
            "{}",
            json!({
                "frame": format!("{width}x{height} {}", format.name()),
                "preprocess_ms": t.preprocess.median_ms,
                "preprocess_p95_ms": t.preprocess.p95_ms,
                "blur_ms": t.blur.median_ms,
                "blur_p95_ms": t.blur.p95_ms,
                "block_ms": t.block.median_ms,
                "block_p95_ms": t.block.p95_ms,
            })
        );
    } else {
        println!("{width}x{height} {}, {} iterations", format.name(), args.iterations);
        println!("              median      p95");
        for (name, t) in [("preprocess", t.preprocess), ("blur", t.blur), ("block", t.block)] {
            println!("{name:<10}  {:>7.3} ms {:>7.3} ms", t.median_ms, t.p95_ms);
        }
    }
    Ok(ExitCode::SUCCESS)
}
