//! The int8 pack against the fp32 pack on benign images that were not used for calibration:
//! `tests/fixtures/eval/` (224×224, already resized with the model's own rule) and the golden
//! fixtures' pixels.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::frame::{Frame, PixelFormat};
use safeframe_tests::{fixture, max_score_diff, model_dir};

/// Lowest top-1 agreement accepted (fraction of images): the quantization issue's target.
const MIN_TOP1_AGREEMENT: f64 = 0.99;
/// Largest |Δp| accepted on any class of any image: the quantization issue's target (the
/// shipped pack measures 0.0675, see models/MODEL_CARD.md).
const MAX_ABS_DIFF: f32 = 0.10;

fn pngs(dir: PathBuf) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    files.sort();
    files
}

#[test]
fn int8_agrees_with_fp32_on_images_not_used_for_calibration() {
    let options = ClassifierOptions::default();
    let fp32 = Classifier::from_dir(model_dir("nsfwjs-mobilenetv2-fp32"), &options).unwrap();
    let int8 = Classifier::from_dir(model_dir("nsfwjs-mobilenetv2-int8"), &options).unwrap();
    let mut files = pngs(fixture("eval"));
    files.extend(pngs(fixture("golden/pixels")));
    assert!(files.len() >= 150, "{} images", files.len());
    let (mut agree, mut worst) = (0usize, (0.0f32, String::new()));
    for file in &files {
        let image = image::open(file).unwrap().into_rgb8();
        let (w, h) = image.dimensions();
        let frame = Frame::packed(image.as_raw(), w, h, PixelFormat::Rgb8).unwrap();
        let (a, b) = (fp32.classify(&frame).unwrap(), int8.classify(&frame).unwrap());
        if a.top() == b.top() {
            agree += 1;
        }
        let diff = max_score_diff(&a, &b);
        if diff > worst.0 {
            worst = (diff, file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    let rate = agree as f64 / files.len() as f64;
    println!(
        "int8 vs fp32 on {} images: top-1 {agree}/{} ({:.2} %), max |Δp| {:.4} ({})",
        files.len(),
        files.len(),
        rate * 100.0,
        worst.0,
        worst.1
    );
    assert!(
        rate >= MIN_TOP1_AGREEMENT,
        "top-1 agreement {rate:.4} < {MIN_TOP1_AGREEMENT}"
    );
    assert!(
        worst.0 <= MAX_ABS_DIFF,
        "max |Δp| {} on {} > {MAX_ABS_DIFF}",
        worst.0,
        worst.1
    );
}
