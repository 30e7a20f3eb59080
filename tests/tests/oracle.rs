//! Blocking logic proven with the synthetic oracle model and `oracle-cases.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{Frame, FrameMut, PixelFormat};
use safeframe::manifest::sha256_hex;
use safeframe::policy::{Action, Policy, Preset};
use safeframe::redactor::Redactor;
use safeframe::SafeFrameError;
use safeframe_tests::{fixture, max_score_diff, oracle_cases, oracle_classifier, ImageSpec};

#[test]
fn every_oracle_case_scores_and_decides_as_expected_under_every_preset() {
    let cases = oracle_cases();
    let classifier = oracle_classifier("oracle");
    assert!(cases.cases.len() >= 20);
    for case in &cases.cases {
        let pixels = case.image.rgb8(case.width, case.height);
        let frame = Frame::packed(&pixels, case.width, case.height, PixelFormat::Rgb8).unwrap();
        let scores = classifier.classify(&frame).unwrap();
        let diff = max_score_diff(&scores, &case.expected_scores);
        assert!(
            diff <= cases.score_tolerance,
            "{}: scores {scores:?} differ by {diff}",
            case.name
        );
        for preset in Preset::ALL {
            let want = case.expected[preset.name()];
            let verdict = Policy::preset(preset).evaluate(&scores);
            assert_eq!(
                (verdict.action, verdict.category),
                (want.action, want.category),
                "{} under {}",
                case.name,
                preset.name()
            );
        }
    }
}

#[test]
fn presets_in_the_cases_file_are_the_built_in_presets() {
    let cases = oracle_cases();
    for preset in Preset::ALL {
        let from_file = serde_json::json!({ "rules": cases.presets[preset.name()] });
        let policy = Policy::from_json(&from_file.to_string()).unwrap();
        assert_eq!(policy.rules, Policy::preset(preset).rules, "{}", preset.name());
    }
}

#[test]
fn rgba_bgra_and_padded_frames_give_the_same_scores_as_rgb() {
    let cases = oracle_cases();
    let classifier = oracle_classifier("oracle");
    for case in cases.cases.iter().filter(|c| c.width > 2 && c.height > 2) {
        let rgb = case.image.rgb8(case.width, case.height);
        let stride = case.width as usize * 4 + 12;
        let mut bgra = vec![0x5Au8; stride * case.height as usize];
        for (i, p) in rgb.chunks(3).enumerate() {
            let (x, y) = (i % case.width as usize, i / case.width as usize);
            bgra[y * stride + x * 4..y * stride + x * 4 + 4].copy_from_slice(&[p[2], p[1], p[0], 0]);
        }
        let frame = Frame::new(&bgra, case.width, case.height, stride, PixelFormat::Bgra8).unwrap();
        let scores = classifier.classify(&frame).unwrap();
        assert!(
            max_score_diff(&scores, &case.expected_scores) <= cases.score_tolerance,
            "{}",
            case.name
        );
    }
}

#[test]
fn faulty_models_end_in_an_error_and_a_blocked_frame_never_an_allow() {
    let cases = oracle_cases();
    assert!(cases.faulty.iter().any(|c| c.expect == "error"));
    for case in &cases.faulty {
        let loaded = Classifier::from_dir(fixture("oracle").join(&case.pack), &ClassifierOptions::default());
        let classifier = match (loaded, case.expect.as_str()) {
            // A model whose interface is wrong may already be refused at load time.
            (Err(SafeFrameError::ModelInterface { .. }), "error") => continue,
            (Err(e), _) => panic!("{}: unexpected load error {e}", case.name),
            (Ok(c), _) => c,
        };
        let mut pixels = case.image.rgb8(case.width, case.height);
        let original = pixels.clone();
        let filter = Filter::new(classifier, Policy::preset(Preset::Adult), OnError::FailClosed).unwrap();
        let mut frame = FrameMut::packed(&mut pixels, case.width, case.height, PixelFormat::Rgb8).unwrap();
        let result = filter.filter(&mut frame);
        match case.expect.as_str() {
            "error" => {
                assert!(
                    matches!(result, Err(SafeFrameError::InvalidScores { .. })),
                    "{}: {result:?}",
                    case.name
                );
                assert!(pixels.iter().all(|&b| b == 0), "{}: frame not blocked", case.name);
            }
            "ok" => {
                let verdict = result.unwrap();
                let want = case.expected_scores.unwrap();
                assert!(
                    max_score_diff(&verdict.scores, &want) <= cases.score_tolerance,
                    "{}",
                    case.name
                );
                assert!(pixels == original, "{}: frame changed", case.name);
            }
            other => panic!("unknown expectation {other}"),
        }
    }
}

#[test]
fn wrong_output_shape_is_refused_when_loading() {
    let err = Classifier::from_dir(fixture("oracle/faulty-shape"), &ClassifierOptions::default()).unwrap_err();
    assert!(matches!(err, SafeFrameError::ModelInterface { .. }), "{err}");
    assert!(err.to_string().contains("shape"), "{err}");
}

#[test]
fn fail_open_leaves_the_frame_but_still_reports_the_error() {
    let classifier = oracle_classifier("faulty-nan");
    let filter = Filter::new(classifier, Policy::preset(Preset::Child), OnError::FailOpen).unwrap();
    let mut pixels = [255u8, 0, 255].repeat(16 * 16);
    let original = pixels.clone();
    let result = filter.filter(&mut FrameMut::packed(&mut pixels, 16, 16, PixelFormat::Rgb8).unwrap());
    assert!(matches!(result, Err(SafeFrameError::InvalidScores { .. })));
    assert!(pixels == original, "fail-open changed the frame");
}

#[test]
fn a_changed_onnx_file_is_refused_by_its_sha256() {
    let dir = fixture("oracle/oracle");
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    let mut onnx = std::fs::read(dir.join("model.onnx")).unwrap();
    let last = onnx.len() - 1;
    onnx[last] ^= 1;
    let err = Classifier::from_bytes(&manifest, onnx, &ClassifierOptions::default()).unwrap_err();
    assert!(matches!(err, SafeFrameError::ChecksumMismatch { .. }), "{err}");
}

#[test]
fn a_corrupt_model_with_a_matching_sha256_is_a_load_error() {
    let garbage = b"this is not an ONNX protobuf".to_vec();
    let manifest = std::fs::read_to_string(fixture("oracle/oracle/manifest.json")).unwrap();
    let real_sha = sha256_hex(&std::fs::read(fixture("oracle/oracle/model.onnx")).unwrap());
    let manifest = manifest.replace(&real_sha, &sha256_hex(&garbage));
    // The edited manifest is signed by a throwaway key the test trusts: the pack is authentic,
    // its model is not ONNX.
    let signer = safeframe_tests::throwaway_signer(2);
    let signature = signer
        .sign(manifest.as_bytes(), &sha256_hex(&garbage))
        .unwrap()
        .to_json();
    let pack = safeframe::manifest::ModelPack::from_bytes(manifest.as_bytes(), garbage)
        .unwrap()
        .with_signature(signature.into_bytes());
    let err = Classifier::from_pack(&pack, &safeframe_tests::options_trusting(&signer)).unwrap_err();
    assert!(matches!(err, SafeFrameError::ModelLoad { .. }), "{err}");
}

#[test]
fn a_missing_model_is_an_io_error() {
    let err = Classifier::from_dir(fixture("oracle/no-such-pack"), &ClassifierOptions::default()).unwrap_err();
    assert!(matches!(err, SafeFrameError::Io { .. }), "{err}");
}

#[test]
fn filter_blocks_blurs_and_allows_exactly_as_the_verdict_says() {
    let cases = oracle_cases();
    let filter = Filter::new(
        oracle_classifier("oracle"),
        Policy::preset(Preset::Child),
        OnError::FailClosed,
    )
    .unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for case in cases.cases.iter().filter(|c| c.width >= 8 && c.height >= 8) {
        let (w, h) = (case.width, case.height);
        let stride = w as usize * 4 + 8;
        let mut pixels = vec![0xC3u8; stride * h as usize];
        for y in 0..h {
            for x in 0..w {
                let [r, g, b] = case.image.pixel(x, y, w, h);
                let at = y as usize * stride + x as usize * 4;
                pixels[at..at + 4].copy_from_slice(&[r, g, b, 77]);
            }
        }
        let original = pixels.clone();
        let verdict = filter
            .filter(&mut FrameMut::new(&mut pixels, w, h, stride, PixelFormat::Rgba8).unwrap())
            .unwrap();
        assert_eq!(verdict.action, case.expected["child"].action, "{}", case.name);
        seen.insert(verdict.action);
        // Padding is never touched, whatever the action.
        for y in 0..h as usize {
            assert_eq!(
                pixels[y * stride + w as usize * 4..(y + 1) * stride],
                original[y * stride + w as usize * 4..(y + 1) * stride]
            );
        }
        let mut expected = original.clone();
        match verdict.action {
            Action::Allow | Action::Warn => {}
            Action::Block => {
                Redactor::block(&mut FrameMut::new(&mut expected, w, h, stride, PixelFormat::Rgba8).unwrap())
            }
            Action::Blur => {
                Redactor::new().blur(&mut FrameMut::new(&mut expected, w, h, stride, PixelFormat::Rgba8).unwrap())
            }
        }
        assert!(
            pixels == expected,
            "{}: {:?} changed the wrong pixels",
            case.name,
            verdict.action
        );
        if verdict.action == Action::Block {
            for y in 0..h as usize {
                let row = &pixels[y * stride..y * stride + w as usize * 4];
                assert!(row.chunks(4).all(|p| p == [0, 0, 0, 255]));
            }
        }
        if verdict.action == Action::Blur {
            // A solid frame blurs to itself; any other frame changes.
            let solid = matches!(case.image, ImageSpec::Solid { .. });
            assert!(solid || pixels != original, "{}: blur changed nothing", case.name);
        }
    }
    assert!(seen.contains(&Action::Allow) && seen.contains(&Action::Blur) && seen.contains(&Action::Block));
}

#[test]
fn the_classifier_is_shareable_across_threads() {
    let classifier = std::sync::Arc::new(oracle_classifier("oracle"));
    let case = oracle_cases().cases.remove(0);
    let pixels = std::sync::Arc::new(case.image.rgb8(case.width, case.height));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (classifier, pixels) = (classifier.clone(), pixels.clone());
            std::thread::spawn(move || {
                let frame = Frame::packed(&pixels, case.width, case.height, PixelFormat::Rgb8).unwrap();
                classifier.classify(&frame).unwrap()
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}
