//! The fp32 model against nsfwjs's own scores (tests/fixtures/golden, made by
//! tests/golden-node/golden.js with nsfwjs@4.4.0 on TensorFlow.js's CPU backend).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::frame::{Frame, PixelFormat};
use safeframe::scores::Scores;
use safeframe_tests::{fixture, max_score_diff, model_dir};
use serde::Deserialize;

/// The largest difference allowed between SafeFrame's fp32 scores and nsfwjs's.
const TOLERANCE: f32 = 1e-4;

#[derive(Deserialize)]
struct Golden {
    labels: Vec<String>,
    images: Vec<GoldenImage>,
}

#[derive(Deserialize)]
struct GoldenImage {
    file: String,
    width: u32,
    height: u32,
    scores: [f32; 5],
}

fn golden() -> Golden {
    let text = std::fs::read_to_string(fixture("golden/nsfwjs-scores.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn fp32_model_matches_nsfwjs_on_every_fixture() {
    let golden = golden();
    assert_eq!(golden.labels, ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
    assert!(golden.images.len() >= 40, "only {} golden images", golden.images.len());
    let classifier = Classifier::from_dir(model_dir("nsfwjs-mobilenetv2-fp32"), &ClassifierOptions::default()).unwrap();
    let mut worst = (0.0f32, String::new());
    for image in &golden.images {
        let pixels = image::open(fixture("golden").join(&image.file)).unwrap().into_rgb8();
        assert_eq!(pixels.dimensions(), (image.width, image.height), "{}", image.file);
        let frame = Frame::packed(pixels.as_raw(), image.width, image.height, PixelFormat::Rgb8).unwrap();
        let ours = classifier.classify(&frame).unwrap();
        let theirs = Scores::new(image.scores);
        let diff = max_score_diff(&ours, &theirs);
        assert!(
            diff <= TOLERANCE,
            "{}: |Δp| {diff} (ours {ours:?}, nsfwjs {theirs:?})",
            image.file
        );
        assert_eq!(ours.top(), theirs.top(), "{}: top-1 differs", image.file);
        if diff > worst.0 {
            worst = (diff, image.file.clone());
        }
    }
    println!("max |Δp| {} on {} ({} images)", worst.0, worst.1, golden.images.len());
}
