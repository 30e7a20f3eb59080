//! `safeframe bench`: per-frame preprocessing, inference and total time on a synthetic frame
//! of any supported format, and the in-place blur and block of that frame.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Args;
use safeframe::frame::Frame;
use serde_json::json;

use crate::{bench_frames, CliError, ModelArgs};

/// Arguments of `safeframe bench`.
#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
    /// Frame size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080")]
    size: String,
    /// Pixel format of the synthetic frame: rgba, bgra, rgb, nv12, nv21, i420.
    #[arg(long, default_value = "rgba")]
    format: String,
    /// Timed iterations per measurement.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
}

struct Stats {
    median_ms: f64,
    p95_ms: f64,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    Stats {
        median_ms: at(0.5),
        p95_ms: at(0.95),
    }
}

fn time<T>(iterations: usize, mut f: impl FnMut() -> Result<T, CliError>) -> Result<Stats, CliError> {
    for _ in 0..iterations.div_ceil(10) {
        f()?;
    }
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(f()?);
        samples.push(start.elapsed());
    }
    Ok(stats(samples))
}

/// Runs the benchmark; every figure comes from the same run.
pub fn run(args: &BenchArgs) -> Result<ExitCode, CliError> {
    let (width, height) = args
        .size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)))
        .ok_or_else(|| CliError::Usage(format!("--size {}: expected WIDTHxHEIGHT", args.size)))?;
    let format = bench_frames::parse_format(&args.format).ok_or_else(|| {
        CliError::Usage(format!(
            "--format {}: use rgba, bgra, rgb, nv12, nv21 or i420",
            args.format
        ))
    })?;
    if args.iterations == 0 {
        return Err(CliError::Usage("--iterations must be at least 1".into()));
    }
    let filter = args.model.filter()?;
    let classifier = filter.classifier();
    let pixels = bench_frames::synthetic_frame(format, width, height);
    let frame = Frame::packed(&pixels, width, height, format)?;
    let mut tensor = vec![0.0f32; classifier.sampler().tensor_len()];
    classifier.sampler().sample(&frame, &mut tensor)?;

    // Each iteration runs the pipeline as a frame meets it: sample the frame, run the model,
    // apply the policy. The stages are timed inside the same iteration, so `inference` is the
    // model call as the pipeline sees it and `total / inference` is exactly the share SafeFrame
    // adds around it. The model alone in a tight loop (warm caches) is reported beside it.
    let policy = filter.policy();
    let warmup = args.iterations.div_ceil(10);
    let (mut pre, mut inf, mut total) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..warmup + args.iterations {
        let start = Instant::now();
        classifier.sampler().sample(&frame, &mut tensor)?;
        let sampled = Instant::now();
        let scores = classifier.classify_tensor(&tensor)?;
        let inferred = Instant::now();
        std::hint::black_box(policy.evaluate(&scores));
        let done = Instant::now();
        if i >= warmup {
            pre.push(sampled - start);
            inf.push(inferred - sampled);
            total.push(done - start);
        }
    }
    let warm = time(args.iterations.div_ceil(2), || Ok(classifier.classify_tensor(&tensor)?))?;
    // Redaction in place, in the frame's own format (what a blocked or blurred frame costs).
    let redaction = bench_frames::measure(classifier.sampler(), format, width, height, args.iterations)?;
    let (pre, inf, total) = (stats(pre), stats(inf), stats(total));
    let per_round = args.iterations;
    let rounds = 1;
    let ratio = total.median_ms / inf.median_ms;
    let manifest = classifier.manifest();
    if args.json {
        println!(
            "{}",
            json!({
                "model": manifest.name,
                "frame": format!("{width}x{height} {}", format.name()),
                "threads": args.model.threads,
                "iterations": per_round * rounds,
                "preprocess_ms": pre.median_ms,
                "preprocess_p95_ms": pre.p95_ms,
                "inference_ms": inf.median_ms,
                "inference_p95_ms": inf.p95_ms,
                "total_ms": total.median_ms,
                "total_p95_ms": total.p95_ms,
                "inference_warm_loop_ms": warm.median_ms,
                "ratio": ratio,
                "blur_ms": redaction.blur.median_ms,
                "blur_p95_ms": redaction.blur.p95_ms,
                "block_ms": redaction.block.median_ms,
                "block_p95_ms": redaction.block.p95_ms,
            })
        );
    } else {
        println!(
            "model {} ({}), {width}x{height} {} frame, {} thread(s), {} iterations",
            manifest.name,
            manifest.precision,
            format.name(),
            args.model.threads,
            per_round * rounds
        );
        println!("              median      p95");
        println!("preprocess  {:>7.3} ms {:>7.3} ms", pre.median_ms, pre.p95_ms);
        println!("inference   {:>7.3} ms {:>7.3} ms", inf.median_ms, inf.p95_ms);
        println!("total       {:>7.3} ms {:>7.3} ms", total.median_ms, total.p95_ms);
        println!(
            "blur        {:>7.3} ms {:>7.3} ms",
            redaction.blur.median_ms, redaction.blur.p95_ms
        );
        println!(
            "block       {:>7.3} ms {:>7.3} ms",
            redaction.block.median_ms, redaction.block.p95_ms
        );
        println!("total / inference = {ratio:.3}");
        println!("(the model alone in a tight loop: {:.3} ms median)", warm.median_ms);
    }
    Ok(ExitCode::SUCCESS)
}
