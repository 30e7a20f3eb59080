//! ONNX Runtime against the pure-Rust tract engine, same machine, same run: model load time and
//! time per classification (the model run on a sampled tensor) for each model pack, one thread,
//! runs interleaved (ORT, tract, ORT, …) so that a busy machine slows both alike.
//!
//! Times are the calling thread's CPU time (`/proc/thread-self/schedstat`), which other
//! processes sharing the cores do not inflate, and wall time beside it.
//!
//! `cargo run --release -p safeframe --features tract --example engines [-- ROUNDS [PACK…]]`
//! (default 30 rounds over the fp32 and int8 nsfwjs packs; ONNX Runtime from ./scripts/setup-ort).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::Instant;

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::engine::Engine;

/// Nanoseconds this thread has run on a CPU (`/proc/thread-self/schedstat`, first field).
fn thread_cpu_ns() -> u64 {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    text.split_whitespace().next().unwrap().parse().unwrap()
}

/// Thread CPU and wall milliseconds of one call.
fn time<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (cpu, wall) = (thread_cpu_ns(), Instant::now());
    let out = f();
    let cpu_ms = (thread_cpu_ns() - cpu) as f64 / 1e6;
    (out, cpu_ms, wall.elapsed().as_secs_f64() * 1e3)
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

struct Run {
    classifier: Classifier,
    load_ms: f64,
    cpu: Vec<f64>,
    wall: Vec<f64>,
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().map_or(30, |r| r.parse().unwrap());
    let mut packs: Vec<String> = args.collect();
    if packs.is_empty() {
        packs = [
            "nsfwjs-mobilenetv2mid-fp32",
            "nsfwjs-mobilenetv2mid-int8",
            "nsfwjs-mobilenetv2-fp32",
            "nsfwjs-mobilenetv2-int8",
        ]
        .map(String::from)
        .to_vec();
    }
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models");
    println!("{rounds} runs per engine, 1 thread; milliseconds: thread CPU median / p95 (wall median)");
    println!(
        "{:<28} {:>10} {:>22} {:>22} {:>8} {:>9}",
        "pack", "load ms", "ORT", "tract", "ratio", "max |Δp|"
    );
    for pack in &packs {
        let mut runs: Vec<Run> = [Engine::OnnxRuntime, Engine::Tract]
            .into_iter()
            .map(|engine| {
                let options = ClassifierOptions {
                    engine,
                    ..ClassifierOptions::default()
                };
                let (classifier, _, load_ms) = time(|| Classifier::from_dir(models.join(pack), &options).unwrap());
                Run {
                    classifier,
                    load_ms,
                    cpu: Vec::new(),
                    wall: Vec::new(),
                }
            })
            .collect();
        // A fixed pseudo-random tensor in [0, 1], as the sampler would produce.
        let len = runs[0].classifier.sampler().tensor_len();
        let tensor: Vec<f32> = (0..len as u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32)
            .collect();
        let mut outputs = Vec::new();
        for run in &runs {
            outputs.push(run.classifier.infer_labels(&tensor).unwrap()); // warm-up
        }
        let diff = outputs[0]
            .values()
            .iter()
            .zip(outputs[1].values())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        for _ in 0..rounds {
            for run in &mut runs {
                let (_, cpu, wall) = time(|| run.classifier.infer_labels(&tensor).unwrap());
                run.cpu.push(cpu);
                run.wall.push(wall);
            }
        }
        let cell = |run: &mut Run| {
            let (median, p95) = (percentile(&mut run.cpu, 0.5), percentile(&mut run.cpu, 0.95));
            (
                median,
                format!("{median:.1} / {p95:.1} ({:.1})", percentile(&mut run.wall, 0.5)),
            )
        };
        let (ort, ort_text) = cell(&mut runs[0]);
        let (tract, tract_text) = cell(&mut runs[1]);
        println!(
            "{pack:<28} {:>10} {ort_text:>22} {tract_text:>22} {:>7.2}× {diff:>9.1e}",
            format!("{:.0}/{:.0}", runs[0].load_ms, runs[1].load_ms),
            tract / ort
        );
    }
}
