//! `StreamFilter::process` end to end on a 1080p NV21 frame, and the change gate alone on
//! 1080p frames of several formats (criterion;
//! `cargo bench -p safeframe --bench stream`). Needs the ONNX Runtime library (as the tests
//! do). Uses the oracle pack from `tests/fixtures`, and `models/nsfwjs-mobilenetv2-fp32` (or
//! the pack directory in `SAFEFRAME_BENCH_PACK`) when present.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::frame::{Frame, Plane};
use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::stream::{Cadence, ChangeGate, FrameModel, StreamConfig, StreamFilter, Thumbnail};

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
        for (label, cadence, change_gate) in [
            ("classify-every-frame", Cadence::EveryFrame, None),
            ("reuse-verdict", Cadence::EveryNth(u32::MAX), None),
            // Unchanged frames with the change gate on: the gate's reading and comparison plus
            // the reuse (the timestamps stay within the maximum age).
            ("gate-unchanged", Cadence::EveryFrame, Some(ChangeGate::default())),
        ] {
            let config = StreamConfig {
                cadence,
                change_gate,
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

/// The change gate alone on a 1080p frame in several formats: reading the thumbnail and
/// comparing it with the reference (target: at most 0.1 ms).
fn gate(c: &mut Criterion) {
    let (w, h) = (1920u32, 1080u32);
    let gate = ChangeGate::default();
    let mut group = c.benchmark_group("change-gate-1080p");
    let noise = |len: usize| -> Vec<u8> { (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect() };
    for format in [PixelFormat::Rgba8, PixelFormat::Nv21, PixelFormat::I420] {
        let data = noise(format.packed_len(w, h).unwrap());
        let frame = Frame::packed(&data, w, h, format).unwrap();
        let mut reference = Thumbnail::new();
        reference.read(&frame, &gate);
        let mut current = Thumbnail::new();
        group.bench_function(format.name(), |b| {
            b.iter(|| {
                current.read(&frame, &gate);
                current.difference(&reference, gate.tiles)
            })
        });
    }
    // Android YUV_420_888 with interleaved chroma (pixel stride 2), as cameras deliver it.
    let (y, uv) = (noise((w * h) as usize), noise((w * h / 2) as usize));
    let plane = |data, row_stride, pixel_stride| Plane {
        data,
        row_stride,
        pixel_stride,
    };
    let frame = Frame::yuv420_888(
        w,
        h,
        plane(&y, w as usize, 1),
        plane(&uv, w as usize, 2),
        plane(&uv[1..], w as usize, 2),
    )
    .unwrap();
    let (mut reference, mut current) = (Thumbnail::new(), Thumbnail::new());
    reference.read(&frame, &gate);
    group.bench_function("yuv_420_888", |b| {
        b.iter(|| {
            current.read(&frame, &gate);
            current.difference(&reference, gate.tiles)
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(3));
    targets = process, gate
}
criterion_main!(benches);
