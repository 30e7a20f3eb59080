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
    agrees("nsfwjs-mobilenetv2");
}

#[test]
fn mobilenetv2mid_int8_agrees_with_fp32_on_images_not_used_for_calibration() {
    agrees("nsfwjs-mobilenetv2mid");
}

/// The benign images none of the packs was calibrated on.
fn evaluation_images() -> Vec<PathBuf> {
    let mut files = pngs(fixture("eval"));
    files.extend(pngs(fixture("golden/pixels")));
    files
}

/// Runs `pair` (agreement, |Δp|) on every image: how many agree, and the worst |Δp| with its
/// file name.
fn compare(files: &[PathBuf], mut pair: impl FnMut(&Frame<'_>) -> (bool, f32)) -> (usize, (f32, String)) {
    let (mut agree, mut worst) = (0usize, (0.0f32, String::new()));
    for file in files {
        let image = image::open(file).unwrap().into_rgb8();
        let (w, h) = image.dimensions();
        let frame = Frame::packed(image.as_raw(), w, h, PixelFormat::Rgb8).unwrap();
        let (agrees, diff) = pair(&frame);
        agree += usize::from(agrees);
        if diff > worst.0 {
            worst = (diff, file.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    (agree, worst)
}

fn agrees(model: &str) {
    let options = ClassifierOptions::default();
    let fp32 = Classifier::from_dir(model_dir(&format!("{model}-fp32")), &options).unwrap();
    let int8 = Classifier::from_dir(model_dir(&format!("{model}-int8")), &options).unwrap();
    let files = evaluation_images();
    assert!(files.len() >= 150, "{} images", files.len());
    let (agree, worst) = compare(&files, |frame| {
        let (a, b) = (fp32.classify(frame).unwrap(), int8.classify(frame).unwrap());
        (a.top() == b.top(), max_score_diff(&a, &b))
    });
    let rate = agree as f64 / files.len() as f64;
    println!(
        "{model}: int8 vs fp32 on {} images: top-1 {agree}/{} ({:.2} %), max |Δp| {:.4} ({})",
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

/// open_nsfw int8 against fp32: the `nsfw >= 0.5` decision agrees on at least 99 % of the
/// images and no probability moves by more than 0.05 (the false-alarms issue's targets). The
/// fp32 pack is installed by `./scripts/setup-models`.
#[test]
fn open_nsfw_int8_keeps_the_decision_of_fp32() {
    use safeframe::second_opinion::SecondOpinion;
    let options = ClassifierOptions::default();
    let fp32 = SecondOpinion::from_dir(model_dir("open-nsfw-fp32"), &options).unwrap();
    let int8 = SecondOpinion::from_dir(model_dir("open-nsfw-int8"), &options).unwrap();
    let nsfw = fp32.labels().iter().position(|l| l == "nsfw").unwrap();
    let files = evaluation_images();
    let (agree, worst) = compare(&files, |frame| {
        let (a, b) = (fp32.classify(frame).unwrap(), int8.classify(frame).unwrap());
        let (a, b) = (a.get(nsfw), b.get(nsfw));
        ((a >= 0.5) == (b >= 0.5), (a - b).abs())
    });
    let rate = agree as f64 / files.len() as f64;
    println!(
        "open-nsfw: int8 vs fp32 on {} images: nsfw >= 0.5 agrees on {agree} ({:.2} %), max |Δp| {:.4} ({})",
        files.len(),
        rate * 100.0,
        worst.0,
        worst.1
    );
    assert!(rate >= 0.99, "decision agreement {rate:.4} < 0.99");
    assert!(worst.0 <= 0.05, "max |Δp| {} on {} > 0.05", worst.0, worst.1);
}
