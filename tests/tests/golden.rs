//! The fp32 model against nsfwjs's own scores (tests/fixtures/golden, made by
//! tests/golden-node/golden.js with nsfwjs@4.4.0 on TensorFlow.js's CPU backend).
//!
//! On ONNX Runtime always; with `--features tract` the same checks run on the pure-Rust tract
//! engine too (module `tract` below), with the same tolerances, plus the int8 packs and the
//! oracle pack on tract against ONNX Runtime.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::engine::Engine;
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

fn options(engine: Engine) -> ClassifierOptions {
    ClassifierOptions {
        engine,
        ..ClassifierOptions::default()
    }
}

#[test]
fn fp32_model_matches_nsfwjs_on_every_fixture() {
    matches_nsfwjs("nsfwjs-mobilenetv2-fp32", "nsfwjs-scores.json", Engine::OnnxRuntime);
}

#[test]
fn the_default_mobilenetv2mid_fp32_model_matches_nsfwjs_on_every_fixture() {
    matches_nsfwjs(
        "nsfwjs-mobilenetv2mid-fp32",
        "nsfwjs-mobilenetv2mid-scores.json",
        Engine::OnnxRuntime,
    );
}

#[test]
fn open_nsfw_fp32_matches_its_reference_preprocessing_on_every_fixture() {
    open_nsfw_matches_its_reference(Engine::OnnxRuntime);
}

/// The same golden checks on the pure-Rust engine (`--features tract`).
#[cfg(feature = "tract")]
mod tract {
    use super::*;
    use safeframe::classifier::Optimization;
    use safeframe::SafeFrameError;
    use safeframe_tests::{oracle_cases, OracleCases};

    #[test]
    fn fp32_model_matches_nsfwjs_on_every_fixture() {
        matches_nsfwjs("nsfwjs-mobilenetv2-fp32", "nsfwjs-scores.json", Engine::Tract);
    }

    #[test]
    fn the_default_mobilenetv2mid_fp32_model_matches_nsfwjs_on_every_fixture() {
        matches_nsfwjs(
            "nsfwjs-mobilenetv2mid-fp32",
            "nsfwjs-mobilenetv2mid-scores.json",
            Engine::Tract,
        );
    }

    #[test]
    fn open_nsfw_fp32_matches_its_reference_preprocessing_on_every_fixture() {
        open_nsfw_matches_its_reference(Engine::Tract);
    }

    /// The int8 packs' largest |Δp| from their fp32 pack (tests/int8_agreement.rs), and the
    /// top-1 agreement asked of tract's int8 with ONNX Runtime's int8.
    const INT8_MAX_ABS_DIFF: f32 = 0.10;
    const INT8_MIN_TOP1: f64 = 0.99;

    /// Every int8 pack SafeFrame ships (QuantizeLinear/DequantizeLinear around float ops) loads
    /// on tract, stays within the int8 |Δp| budget of its fp32 pack, and picks the same top
    /// class as on ONNX Runtime. The engines do not compute int8 alike (ONNX Runtime fuses the
    /// QDQ pairs into integer kernels), so their int8 scores differ by a few hundredths; the
    /// numbers are printed.
    #[test]
    fn every_int8_pack_runs_on_tract_within_the_int8_targets() {
        let golden = golden("nsfwjs-scores.json");
        for model in ["nsfwjs-mobilenetv2", "nsfwjs-mobilenetv2mid", "open-nsfw"] {
            let load = |precision: &str, engine: Engine| {
                Classifier::from_dir(model_dir(&format!("{model}-{precision}")), &options(engine))
                    .unwrap_or_else(|e| panic!("{model}-{precision} on {}: {e}", engine.name()))
            };
            let fp32 = load("fp32", Engine::OnnxRuntime);
            let ort = load("int8", Engine::OnnxRuntime);
            let tract = load("int8", Engine::Tract);
            let (mut vs_fp32, mut vs_ort, mut ort_vs_fp32) = ((0.0f32, 0usize), (0.0f32, 0usize), (0.0f32, 0usize));
            for image in &golden.images {
                let pixels = image::open(fixture("golden").join(&image.file)).unwrap().into_rgb8();
                let frame = Frame::packed(pixels.as_raw(), image.width, image.height, PixelFormat::Rgb8).unwrap();
                let [ours, reference, ort_int8] =
                    [&tract, &fp32, &ort].map(|classifier| classifier.classify_labels(&frame).unwrap());
                for (a, b, tally) in [
                    (&ours, &reference, &mut vs_fp32),
                    (&ours, &ort_int8, &mut vs_ort),
                    (&ort_int8, &reference, &mut ort_vs_fp32),
                ] {
                    tally.0 = tally.0.max(max_diff(a.values(), b.values()));
                    tally.1 += usize::from(argmax(a.values()) == argmax(b.values()));
                }
            }
            let n = golden.images.len();
            println!(
                "{model}-int8 on tract: vs fp32 max |Δp| {:.4}, top-1 {}/{n}; vs int8 on ONNX Runtime max |Δp| {:.4}, \
                 top-1 {}/{n} (int8 on ONNX Runtime vs fp32: max |Δp| {:.4}, top-1 {}/{n})",
                vs_fp32.0, vs_fp32.1, vs_ort.0, vs_ort.1, ort_vs_fp32.0, ort_vs_fp32.1
            );
            assert!(
                vs_fp32.0 <= INT8_MAX_ABS_DIFF,
                "{model}-int8 on tract: |Δp| {}",
                vs_fp32.0
            );
            assert!(
                vs_ort.1 as f64 >= INT8_MIN_TOP1 * n as f64,
                "{model}-int8: top-1 on tract and ONNX Runtime agree on {}/{n}",
                vs_ort.1
            );
        }
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    fn argmax(values: &[f32]) -> usize {
        (0..values.len()).fold(0, |best, i| if values[i] > values[best] { i } else { best })
    }

    /// The synthetic oracle pack (the browser tests' model) scores every oracle case on tract
    /// as the cases file says, and its faulty packs end in the same errors as on ONNX Runtime
    /// (refused at load, or output rejected), never in scores.
    ///
    /// The faulty packs load without graph optimisation: `faulty-nan` makes its NaN as
    /// `log(0) · 0`, and tract's optimiser folds `x · 0` to 0 (as IEEE arithmetic would not),
    /// so optimised it never outputs NaN. What is tested is that a NaN the engine returns is
    /// refused, which is the same code for both engines.
    #[test]
    fn oracle_packs_score_every_case_on_tract_as_expected() {
        let OracleCases {
            cases,
            score_tolerance,
            faulty,
            ..
        } = oracle_cases();
        let tract = Classifier::from_dir(fixture("oracle").join("oracle"), &options(Engine::Tract)).unwrap();
        for case in &cases {
            let pixels = case.image.rgb8(case.width, case.height);
            let frame = Frame::packed(&pixels, case.width, case.height, PixelFormat::Rgb8).unwrap();
            let scores = tract.classify(&frame).unwrap();
            let diff = max_score_diff(&scores, &case.expected_scores);
            assert!(diff <= score_tolerance, "{}: {scores:?} differs by {diff}", case.name);
        }
        for case in &faulty {
            let unoptimised = ClassifierOptions {
                optimization: Optimization::Disabled,
                ..options(Engine::Tract)
            };
            let loaded = Classifier::from_dir(fixture("oracle").join(&case.pack), &unoptimised);
            let pixels = case.image.rgb8(case.width, case.height);
            let frame = Frame::packed(&pixels, case.width, case.height, PixelFormat::Rgb8).unwrap();
            match (loaded.map(|c| c.classify(&frame)), case.expect.as_str()) {
                (Err(SafeFrameError::ModelInterface { .. }), "error") => {}
                (Ok(Err(SafeFrameError::InvalidScores { .. })), "error") => {}
                (Ok(Ok(scores)), "ok") => {
                    let want = case.expected_scores.unwrap();
                    let diff = max_score_diff(&scores, &want);
                    assert!(diff <= score_tolerance, "{}: {scores:?} differs by {diff}", case.name);
                }
                (other, expect) => panic!("{}: expected {expect}, got {other:?}", case.name),
            }
        }
    }
}

fn matches_nsfwjs(pack: &str, scores: &str, engine: Engine) {
    let golden = golden(scores);
    assert_eq!(golden.labels, ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
    assert!(golden.images.len() >= 40, "only {} golden images", golden.images.len());
    let classifier = Classifier::from_dir(model_dir(pack), &options(engine)).unwrap();
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
        "{pack} on {}: max |Δp| {} on {} ({} images)",
        engine.name(),
        worst.0,
        worst.1,
        golden.images.len()
    );
}

/// open_nsfw's fp32 pack against the scores its own package computes (PIL resize + centre crop,
/// without the JPEG round trip, which SafeFrame does not do; see
/// `models/build/open_nsfw_reference.py`): max |Δp| 1e-3 on every golden fixture.
fn open_nsfw_matches_its_reference(engine: Engine) {
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
        safeframe::second_opinion::SecondOpinion::from_dir(model_dir("open-nsfw-fp32"), &options(engine)).unwrap();
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
        "open-nsfw-fp32 on {}: max |Δp| {} on {} ({} images)",
        engine.name(),
        worst.0,
        worst.1,
        reference.images.len()
    );
}
