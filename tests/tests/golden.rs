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

fn golden(file: &str) -> Golden {
    let text = std::fs::read_to_string(fixture(&format!("golden/{file}"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn fp32_model_matches_nsfwjs_on_every_fixture() {
    matches_nsfwjs("nsfwjs-mobilenetv2-fp32", "nsfwjs-scores.json");
}

#[test]
fn the_default_mobilenetv2mid_fp32_model_matches_nsfwjs_on_every_fixture() {
    matches_nsfwjs("nsfwjs-mobilenetv2mid-fp32", "nsfwjs-mobilenetv2mid-scores.json");
}

fn matches_nsfwjs(pack: &str, scores: &str) {
    let golden = golden(scores);
    assert_eq!(golden.labels, ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
    assert!(golden.images.len() >= 40, "only {} golden images", golden.images.len());
    let classifier = Classifier::from_dir(model_dir(pack), &ClassifierOptions::default()).unwrap();
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
    println!(
        "{pack}: max |Δp| {} on {} ({} images)",
        worst.0,
        worst.1,
        golden.images.len()
    );
}

/// open_nsfw's fp32 pack against the scores its own package computes (PIL resize + centre crop,
/// without the JPEG round trip, which SafeFrame does not do; see
/// `models/build/open_nsfw_reference.py`): max |Δp| 1e-3 on every golden fixture.
#[test]
fn open_nsfw_fp32_matches_its_reference_preprocessing_on_every_fixture() {
    #[derive(Deserialize)]
    struct Reference {
        labels: Vec<String>,
        images: Vec<ReferenceImage>,
    }
    #[derive(Deserialize)]
    struct ReferenceImage {
        file: String,
        scores: Vec<f32>,
    }
    let text = std::fs::read_to_string(fixture("golden/open-nsfw-scores.json")).unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    assert_eq!(reference.labels, ["sfw", "nsfw"]);
    assert!(reference.images.len() >= 40);
    let second =
        safeframe::second_opinion::SecondOpinion::from_dir(model_dir("open-nsfw-fp32"), &ClassifierOptions::default())
            .unwrap();
    let mut worst = (0.0f32, String::new());
    for image in &reference.images {
        let pixels = image::open(fixture("golden").join(&image.file)).unwrap().into_rgb8();
        let (w, h) = pixels.dimensions();
        let frame = Frame::packed(pixels.as_raw(), w, h, PixelFormat::Rgb8).unwrap();
        let ours = second.classify(&frame).unwrap();
        for (i, theirs) in image.scores.iter().enumerate() {
            let diff = (ours.get(i) - theirs).abs();
            assert!(
                diff <= 1e-3,
                "{}: |Δp| {diff} (ours {ours:?}, reference {:?})",
                image.file,
                image.scores
            );
            if diff > worst.0 {
                worst = (diff, image.file.clone());
            }
        }
    }
    println!(
        "open-nsfw-fp32: max |Δp| {} on {} ({} images)",
        worst.0,
        worst.1,
        reference.images.len()
    );
}
