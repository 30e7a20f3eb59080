//! `StreamFilter::process` end to end on a 1080p NV21 frame (criterion;
//! `cargo bench -p safeframe --bench stream`). Needs the ONNX Runtime library (as the tests
//! do). Uses the oracle pack from `tests/fixtures`, and `models/nsfwjs-mobilenetv2-fp32` (or
//! the pack directory in `SAFEFRAME_BENCH_PACK`) when present.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::stream::{Cadence, FrameModel, StreamConfig, StreamFilter};

fn packs() -> Vec<(String, PathBuf)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut packs = vec![("oracle".to_owned(), root.join("tests/fixtures/oracle/oracle"))];
    let real = std::env::var_os("SAFEFRAME_BENCH_PACK")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("models/nsfwjs-mobilenetv2-fp32"));
    if real.join("manifest.json").exists() {
        packs.push(("nsfwjs-fp32".to_owned(), real));
    }
    packs
}

fn process(c: &mut Criterion) {
    let (w, h) = (1920u32, 1080u32);
    // A grey frame: allowed, so nothing is redacted and process() time is the pipeline's.
    let mut data = vec![128u8; PixelFormat::Nv21.packed_len(w, h).unwrap()];
    data[..(w * h) as usize].fill(126);
    let mut group = c.benchmark_group("stream-1080p-nv21");
    for (name, dir) in packs() {
        let classifier = Arc::new(Classifier::from_dir(&dir, &ClassifierOptions::default()).unwrap());
        let mut tensor = vec![0.0f32; classifier.sampler().tensor_len()];
        group.bench_function(BenchmarkId::new("raw-inference", &name), |b| {
            b.iter(|| classifier.infer(&tensor).unwrap())
        });
        for (label, cadence) in [
            ("classify-every-frame", Cadence::EveryFrame),
            ("reuse-verdict", Cadence::EveryNth(u32::MAX)),
        ] {
            let config = StreamConfig {
                cadence,
                ..StreamConfig::default()
            };
            let filter = StreamFilter::new(classifier.clone(), config).unwrap();
            let mut frame_index = 0i64;
            group.bench_function(BenchmarkId::new(label, &name), |b| {
                b.iter(|| {
                    frame_index += 1;
                    let mut frame = FrameMut::packed(&mut data, w, h, PixelFormat::Nv21)
                        .unwrap()
                        .with_timestamp_ns(frame_index);
                    filter.process(&mut frame)
                })
            });
        }
        tensor.fill(0.5);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(3));
    targets = process
}
criterion_main!(benches);
