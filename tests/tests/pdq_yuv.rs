//! PDQ from a YUV frame's Y plane against PDQ of the same frame converted to RGB.
//!
//! The SDK hashes YUV frames straight from the Y plane (rescaled to full range when the frame
//! is limited range) instead of converting the frame to RGB first. This measures how far the
//! two hashes lie apart on every benign fixture image, for BT.601 limited and full range and
//! BT.709 full range (whose Y gets a chroma term to become PDQ's BT.601 luma); the issue's
//! target is ≤ 8 bits at quality ≥ 80. The Y plane is the exact luma; the RGB conversion adds
//! rounding, so the hashes of fine textures drift most.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::blocklist::{Blocklist, MatchOptions};
use safeframe::frame::{PixelFormat, YuvColor, YuvMatrix, YuvRange};
use safeframe::known::KnownContent;
use safeframe::pdq::{hash_rgb8, PixelFormat as PdqFormat};
use safeframe_tests::fixture;
use safeframe_tests::frames::TestFrame;

/// Every benign PNG/JPEG fixture at least 32 pixels on each side.
fn images() -> Vec<(String, image::RgbImage)> {
    let mut files: Vec<_> = ["images", "eval", "golden/pixels"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(fixture(dir)).unwrap().map(|e| e.unwrap().path()))
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                image::open(&p).unwrap().into_rgb8(),
            )
        })
        .filter(|(_, img)| img.width() >= 32 && img.height() >= 32)
        .collect()
}

#[test]
fn y_plane_hashes_lie_within_8_bits_of_rgb_hashes_at_quality_80_and_above() {
    let known = KnownContent::new(Blocklist::from_entries::<_, &str>([]).unwrap(), MatchOptions::default());
    let colors = [
        ("bt601-limited", YuvColor::default()),
        (
            "bt601-full",
            YuvColor {
                range: YuvRange::Full,
                matrix: YuvMatrix::Bt601,
            },
        ),
        (
            "bt709-full",
            YuvColor {
                range: YuvRange::Full,
                matrix: YuvMatrix::Bt709,
            },
        ),
    ];
    let images = images();
    for (color_name, color) in colors {
        let mut distances = Vec::new();
        let mut worst = (0u32, String::new());
        for (name, rgb) in &images {
            let (w, h) = rgb.dimensions();
            let frame = TestFrame::from_rgb(rgb.as_raw(), w, h, PixelFormat::Nv12, 2, color, 6);
            let from_y = known.hash(&frame.frame()).unwrap();
            let converted = frame.to_rgb8();
            let from_rgb = hash_rgb8(&converted, w as usize, h as usize, w as usize * 3, PdqFormat::Rgb8).unwrap();
            if from_rgb.quality < 80 {
                continue;
            }
            let d = from_y.orig.distance(&from_rgb.hash);
            if d > 8 {
                println!("  {name} {w}x{h}: {d} bits, quality {}", from_rgb.quality);
            }
            if d > worst.0 {
                worst = (d, name.clone());
            }
            distances.push(d);
        }
        distances.sort_unstable();
        let n = distances.len();
        let mean = distances.iter().sum::<u32>() as f64 / n as f64;
        let within = distances.iter().filter(|&&d| d <= 8).count();
        println!(
            "{color_name}: {n} images at quality >= 80: mean {mean:.2} bits, median {}, p95 {}, max {} ({}), {within}/{n} within 8 bits",
            distances[n / 2],
            distances[n * 95 / 100],
            worst.0,
            worst.1
        );
        assert!(n >= 150, "only {n} images at quality >= 80");
        // Measured 2026-11-23: 259/272 (95.2 %) within 8 bits for BT.601 limited range, all
        // of the misses fine tileable textures whose DCT coefficients crowd the median, where
        // the RGB path's per-channel rounding (±0.5 in luma) flips bits. Every pair stays within
        // the default match distance of 31, so a Y-plane hash still matches an RGB-made list.
        assert!(within * 100 >= n * 95, "{color_name}: only {within}/{n} within 8 bits");
        assert!(distances[n / 2] <= 1, "{color_name}: median {}", distances[n / 2]);
        assert!(worst.0 <= 31, "{color_name}: {} is {} bits apart", worst.1, worst.0);
    }
}
