//! PDQ hashing speed on the 1920x1080 gradient-noise vector image.
//!
//! The PNG is decoded once outside the timing, like the reference timing
//! (its ~5 ms covers pre-resize, luma, filter, DCT and bits).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use criterion::measurement::Measurement;
use criterion::Criterion;
use safeframe::pdq::{PdqHasher, PixelFormat};
use std::hint::black_box;

#[path = "support/clock.rs"]
mod clock;

fn load() -> (Vec<u8>, usize, usize) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/pdq-vectors/synthetic-gradient-noise-1920x1080.png"
    );
    let img = image::open(path).expect("vector PNG").to_rgb8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w as usize, h as usize)
}

fn bench<M: Measurement>(c: &mut Criterion<M>) {
    let (rgb, w, h) = load();
    let bgra: Vec<u8> = rgb.chunks(3).flat_map(|p| [p[2], p[1], p[0], 255]).collect();
    // Limited-range BT.601 Y plane of the same frame.
    let y: Vec<u8> = rgb
        .chunks(3)
        .map(|p| {
            let l = 0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2]);
            (16.0 + l * 219.0 / 255.0).round() as u8
        })
        .collect();
    let mut hasher = PdqHasher::new();
    let mut g = c.benchmark_group("pdq_1920x1080");
    g.bench_function("rgb8_hash", |b| {
        b.iter(|| hasher.hash_rgb8(black_box(&rgb), w, h, w * 3, PixelFormat::Rgb8))
    });
    g.bench_function("rgb8_dihedral", |b| {
        b.iter(|| hasher.hash_rgb8_dihedral(black_box(&rgb), w, h, w * 3, PixelFormat::Rgb8))
    });
    g.bench_function("bgra8_hash", |b| {
        b.iter(|| hasher.hash_rgb8(black_box(&bgra), w, h, w * 4, PixelFormat::Bgra8))
    });
    g.bench_function("y_plane_hash", |b| {
        b.iter(|| hasher.hash_luma8(black_box(&y), w, h, w, false))
    });
    g.bench_function("y_plane_dihedral", |b| {
        b.iter(|| hasher.hash_luma8_dihedral(black_box(&y), w, h, w, false))
    });
    g.finish();
}

fn all<M: Measurement>(c: &mut Criterion<M>) {
    bench(c);
}

fn main() {
    clock::run(all, all);
}
