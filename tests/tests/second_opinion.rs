//! The second-opinion cascade, proven with two synthetic oracles: `oracle` as the primary and
//! `oracle-second` as the second model (open_nsfw's interface: B, G, R minus a mean in raw
//! 0..=255 values, PIL's bilinear resize to 256×256 then the centre 224×224), whose expected
//! scores `oracle-second-cases.json` holds, computed with PIL itself.
//!
//! The colours the cascade tests use (see `tests/fixtures/oracle/README.md`):
//!
//! | colour | primary (oracle) | second (nsfw) | child preset with second opinion |
//! |---|---|---|---|
//! | grey 128 | Neutral 0.99 | 0.076 | allow; the second model is not run |
//! | orange-red (255, 60, 0) | Porn 0.80 | 0.463 | block: the second agrees |
//! | pink-red (255, 0, 60) | Porn 0.83 | 0.0077 | allow: the second vetoes |
//! | dark red (170, 0, 0) | Porn 0.73 | 0.076 | allow: the second vetoes |
//! | yellow | Sexy 0.95 | 0.9994 | blur: the second agrees |
//! | red | Porn 0.95 | 0.076 | block by the recall guard; the second is not run |
//! | green | Hentai 0.95 | 0.9994 | block by the recall guard; the second is not run |
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use safeframe::classifier::ClassifierOptions;
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{Frame, FrameMut, PixelFormat, Rotation, YuvColor, YuvMatrix, YuvRange};
use safeframe::manifest::{sha256_hex, ChannelOrder, ResizeRule, TensorLayout};
use safeframe::policy::{Action, ModelRole, Policy, Preset, Verdict};
use safeframe::sampler::YuvToRgb;
use safeframe::scores::{Category, LabelScores};
use safeframe::second_opinion::SecondOpinion;
use safeframe::stream::{Cadence, Mode, StreamConfig, StreamCounters, StreamFilter};
use safeframe::SafeFrameError;
use safeframe_tests::frames::{inverse, rotate_rgb8};
use safeframe_tests::{fixture, oracle_cases, oracle_classifier, second_cases, second_opinion, SecondCase};

const GREY: [u8; 3] = [128, 128, 128];
const ORANGE_RED: [u8; 3] = [255, 60, 0];
const PINK_RED: [u8; 3] = [255, 0, 60];
const DARK_RED: [u8; 3] = [170, 0, 0];
const YELLOW: [u8; 3] = [255, 255, 0];
const RED: [u8; 3] = [255, 0, 0];
const GREEN: [u8; 3] = [0, 255, 0];
const MAGENTA: [u8; 3] = [255, 0, 255];

/// The documented function of oracle-second (README.md): nsfw from the top-left mean colour.
fn documented_nsfw([_, g, b]: [f64; 3]) -> f64 {
    let logit = 10.0 * (g - b) / 255.0 - 2.5;
    1.0 / (1.0 + (-logit).exp())
}

/// `case`'s expected scores in the pack's label order.
fn expected(case: &SecondCase, labels: &[String]) -> Vec<f32> {
    labels
        .iter()
        .map(|l| {
            *case
                .expected_scores
                .get(l)
                .unwrap_or_else(|| panic!("{}: no score for {l}", case.name))
        })
        .collect()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The mean colour (R, G, B, 0..=255) of the top-left 112×112 of a tensor sampled for
/// oracle-second: NHWC 224×224 holding B, G, R minus the manifest's mean.
fn top_left_mean(second: &SecondOpinion, tensor: &[f32]) -> [f64; 3] {
    let input = &second.manifest().input;
    let (width, quad) = (input.width as usize, input.width as usize / 2);
    let mut sum = [0f64; 3];
    for y in 0..quad {
        for x in 0..quad {
            let pixel = &tensor[(y * width + x) * 3..][..3];
            for (s, v) in sum.iter_mut().zip(pixel) {
                *s += f64::from(*v);
            }
        }
    }
    let bgr: [f64; 3] = std::array::from_fn(|c| sum[c] / (quad * quad) as f64 + f64::from(input.mean[c]));
    [bgr[2], bgr[1], bgr[0]]
}

/// The nsfw score of a second opinion.
fn nsfw(second: &SecondOpinion, scores: &LabelScores) -> f32 {
    let index = second.labels().iter().position(|l| l == "nsfw").unwrap();
    scores.get(index)
}

// ------------------------------------------------------------------------------------------
// (a) The pack's scores match PIL's expectations, whatever the pixel format and orientation
// ------------------------------------------------------------------------------------------

#[test]
fn the_second_pack_describes_an_open_nsfw_like_input() {
    let second = second_opinion();
    let manifest = second.manifest();
    assert_eq!(manifest.labels, ["sfw", "nsfw"]);
    assert_eq!(manifest.input.layout, TensorLayout::Nhwc);
    assert_eq!((manifest.input.width, manifest.input.height), (224, 224));
    assert_eq!(manifest.input.channel_order(), ChannelOrder::Bgr);
    assert_eq!(manifest.input.pixel_divisor, 1.0);
    assert_eq!(manifest.input.mean, [104.0, 117.0, 123.0]);
    assert_eq!(manifest.input.resize, ResizeRule::PilBilinear256CenterCrop);
    assert!(manifest.category_indices().is_err(), "not a primary model");
    assert!(!second.is_loaded(), "reading the manifest loads nothing");
}

#[test]
fn every_case_scores_like_pil_and_onnxruntime_within_the_stated_tolerance() {
    let cases = second_cases();
    let second = second_opinion();
    assert_eq!(second.labels(), cases.labels.as_slice());
    assert_eq!(cases.pack, "oracle-second");
    assert!(cases.cases.len() >= 20);
    let mut tensor = vec![0.0; second.sampler().tensor_len()];
    let (mut worst_score, mut worst_mean) = (0f32, 0f64);
    for case in &cases.cases {
        let rgb = case.image.rgb8(case.width, case.height);
        let frame = Frame::packed(&rgb, case.width, case.height, PixelFormat::Rgb8).unwrap();
        let scores = second.classify(&frame).unwrap();
        let want = expected(case, second.labels());
        let diff = max_diff(scores.values(), &want);
        assert!(
            diff <= cases.score_tolerance,
            "{}: scores {:?}, PIL gives {want:?} (|Δ| {diff})",
            case.name,
            scores.values()
        );
        // What the model saw: the top-left mean of the SDK's crop against PIL's.
        second.sampler().sample(&frame, &mut tensor).unwrap();
        let mean = top_left_mean(&second, &tensor);
        let mean_diff = mean
            .iter()
            .zip(case.top_left_mean)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            mean_diff <= cases.mean_tolerance,
            "{}: top-left mean {mean:?}, PIL gives {:?}",
            case.name,
            case.top_left_mean
        );
        // And the model is the documented function of what it saw.
        let closed = documented_nsfw(mean);
        assert!(
            (f64::from(nsfw(&second, &scores)) - closed).abs() < 1e-5,
            "{}: nsfw {:?} vs documented {closed}",
            case.name,
            scores.values()
        );
        worst_score = worst_score.max(diff);
        worst_mean = worst_mean.max(mean_diff);
    }
    eprintln!(
        "oracle-second, {} cases: largest |SDK − PIL| score {worst_score:.2e}, top-left mean {worst_mean:.2e}",
        cases.cases.len()
    );
}

/// `rgb` (tightly packed) as a `format` frame with 12 bytes of row padding.
fn padded(rgb: &[u8], width: u32, format: PixelFormat) -> (Vec<u8>, usize) {
    let bpp = format.bytes_per_pixel();
    let stride = width as usize * bpp + 12;
    let rows = rgb.len() / (width as usize * 3);
    let mut out = vec![0xA5u8; stride * rows];
    for (i, p) in rgb.chunks(3).enumerate() {
        let at = (i / width as usize) * stride + (i % width as usize) * bpp;
        let pixel: &[u8] = match format {
            PixelFormat::Rgba8 => &[p[0], p[1], p[2], 0x33],
            PixelFormat::Bgra8 => &[p[2], p[1], p[0], 0x33],
            _ => p,
        };
        out[at..at + bpp].copy_from_slice(pixel);
    }
    (out, stride)
}

#[test]
fn rgba_bgra_padded_and_rotated_frames_score_exactly_like_the_rgb_frame() {
    let cases = second_cases();
    let second = second_opinion();
    for case in &cases.cases {
        let (w, h) = (case.width, case.height);
        let rgb = case.image.rgb8(w, h);
        let reference = second
            .classify(&Frame::packed(&rgb, w, h, PixelFormat::Rgb8).unwrap())
            .unwrap();
        for format in [PixelFormat::Rgba8, PixelFormat::Bgra8, PixelFormat::Rgb8] {
            let (data, stride) = padded(&rgb, w, format);
            let scores = second
                .classify(&Frame::new(&data, w, h, stride, format).unwrap())
                .unwrap();
            assert_eq!(scores, reference, "{} as {format:?}", case.name);
        }
        // Stored turned, with the rotation that makes it upright: the same upright picture.
        for rotation in [Rotation::Deg90, Rotation::Deg180, Rotation::Deg270] {
            let (stored, sw, sh) = rotate_rgb8(&rgb, w, h, inverse(rotation));
            let (data, stride) = padded(&stored, sw, PixelFormat::Bgra8);
            let frame = Frame::new(&data, sw, sh, stride, PixelFormat::Bgra8)
                .unwrap()
                .with_rotation(rotation);
            assert_eq!(
                second.classify(&frame).unwrap(),
                reference,
                "{} at {rotation:?}",
                case.name
            );
        }
    }
}

/// A (Y, U, V) sample that the SDK reads back as exactly `rgb` under `color`, searched near the
/// textbook conversion; `None` when there is none there.
fn exact_yuv(rgb: [u8; 3], color: YuvColor) -> Option<[u8; 3]> {
    let convert = YuvToRgb::new(color);
    let (kr, kb) = color.matrix.kr_kb();
    let [r, g, b] = rgb.map(f64::from);
    let luma = kr * r + (1.0 - kr - kb) * g + kb * b;
    let (cb, cr) = ((b - luma) / (2.0 * (1.0 - kb)), (r - luma) / (2.0 * (1.0 - kr)));
    let (y, chroma) = match color.range {
        YuvRange::Limited => (16.0 + luma * 219.0 / 255.0, 224.0 / 255.0),
        YuvRange::Full => (luma, 1.0),
    };
    let near = |v: f64| {
        let v = v.round() as i32;
        (v - 8..=v + 8).filter_map(|x| u8::try_from(x).ok())
    };
    for y in near(y) {
        for u in near(128.0 + cb * chroma) {
            for v in near(128.0 + cr * chroma) {
                if convert.rgb(y, u, v) == rgb {
                    return Some([y, u, v]);
                }
            }
        }
    }
    None
}

#[test]
fn solid_colours_as_nv12_and_i420_frames_upright_or_rotated_score_exactly_like_rgb() {
    let cases = second_cases();
    let second = second_opinion();
    let colors = [
        YuvColor::default(),
        YuvColor {
            range: YuvRange::Full,
            matrix: YuvMatrix::Bt709,
        },
    ];
    let (mut checked, mut colours) = (0, 0);
    for case in cases.cases.iter().filter(|c| c.image.is_solid()) {
        let rgb = case.image.pixel(0, 0, case.width, case.height);
        let reference = second
            .classify(
                &Frame::packed(
                    &case.image.rgb8(case.width, case.height),
                    case.width,
                    case.height,
                    PixelFormat::Rgb8,
                )
                .unwrap(),
            )
            .unwrap();
        let mut found = false;
        for color in colors {
            // Only where the conversion is exact is the picture the same.
            let Some([y, u, v]) = exact_yuv(rgb, color) else {
                continue;
            };
            found = true;
            for rotation in [Rotation::Deg0, Rotation::Deg90] {
                // Stored sideways for a 90° turn, so the upright picture keeps the case's size.
                let (w, h) = if rotation == Rotation::Deg90 {
                    (case.height, case.width)
                } else {
                    (case.width, case.height)
                };
                let (cw, ch) = (w.div_ceil(2) as usize, h.div_ceil(2) as usize);
                let luma = vec![y; (w * h) as usize];
                let uv = [u, v].repeat(cw * ch);
                let (us, vs) = (vec![u; cw * ch], vec![v; cw * ch]);
                let frames = [
                    Frame::nv12(w, h, &luma, w as usize, &uv, 2 * cw).unwrap(),
                    Frame::i420(w, h, &luma, w as usize, &us, cw, &vs, cw).unwrap(),
                ];
                for frame in frames {
                    let frame = frame.with_yuv_color(color).with_rotation(rotation);
                    assert_eq!(
                        second.classify(&frame).unwrap(),
                        reference,
                        "{} as {:?} {color:?} {rotation:?}",
                        case.name,
                        frame.format()
                    );
                    checked += 1;
                }
            }
        }
        colours += usize::from(found);
    }
    assert!(colours >= 10, "only {colours} solid colours have an exact YUV sample");
    assert!(checked >= 40, "only {checked} YUV frames checked");
}

// ------------------------------------------------------------------------------------------
// (b) Filter::cascade: the second model runs only when it could change the verdict
// ------------------------------------------------------------------------------------------

/// The primary oracle with `second`, under the child preset with a second opinion.
fn cascade(second: &Arc<SecondOpinion>, on_error: OnError) -> Filter {
    Filter::cascade(
        Arc::new(oracle_classifier("oracle")),
        Some(Arc::clone(second)),
        Policy::preset_with_second_opinion(Preset::Child),
        on_error,
    )
    .unwrap()
}

/// How a filtered RGBA frame looks afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pixels {
    Untouched,
    Blocked,
    Changed,
}

/// A solid 64×48 RGBA frame.
fn solid_rgba(rgb: [u8; 3]) -> Vec<u8> {
    [rgb[0], rgb[1], rgb[2], 200].repeat(64 * 48)
}

fn look(after: &[u8], before: &[u8]) -> Pixels {
    if after == before {
        Pixels::Untouched
    } else if after.chunks(4).all(|p| p == [0, 0, 0, 255]) {
        Pixels::Blocked
    } else {
        Pixels::Changed
    }
}

/// Filters a solid 64×48 RGBA frame; returns the result and how its pixels look after.
fn filter_solid(filter: &Filter, rgb: [u8; 3]) -> (Result<Verdict, SafeFrameError>, Pixels) {
    let before = solid_rgba(rgb);
    let mut pixels = before.clone();
    let result = filter.filter(&mut FrameMut::packed(&mut pixels, 64, 48, PixelFormat::Rgba8).unwrap());
    (result, look(&pixels, &before))
}

/// The index of the rule of `policy` with `action` whose primary condition names exactly
/// `categories`, with (`second`) or without a condition on the second model.
fn rule_index(policy: &Policy, action: Action, categories: &[Category], second: bool) -> u32 {
    let names: Vec<&str> = categories.iter().map(|c| c.name()).collect();
    let index = policy
        .rules
        .iter()
        .position(|r| {
            r.action == action
                && r.reads_second() == second
                && r.when.iter().any(|c| {
                    c.model == ModelRole::Primary && c.labels.iter().map(String::as_str).eq(names.iter().copied())
                })
        })
        .unwrap_or_else(|| panic!("no {action} rule on {names:?} (second: {second})"));
    index as u32
}

#[test]
fn the_second_model_is_not_loaded_while_the_primary_allows_every_frame() {
    let second = Arc::new(second_opinion());
    let filter = cascade(&second, OnError::FailClosed);
    let mut allowed = 0;
    // Frames on which no rule's primary part fires, even assuming the second model agrees.
    let policy = Policy::preset_with_second_opinion(Preset::Child);
    for case in oracle_cases()
        .cases
        .iter()
        .filter(|c| policy.evaluate_pending(&c.expected_scores).action == Action::Allow)
    {
        let (w, h) = (case.width, case.height);
        let before: Vec<u8> = case.image.rgb8(w, h);
        let mut pixels = before.clone();
        let verdict = filter
            .filter(&mut FrameMut::packed(&mut pixels, w, h, PixelFormat::Rgb8).unwrap())
            .unwrap();
        assert_eq!(verdict.action, Action::Allow, "{}", case.name);
        assert_eq!((verdict.rule, verdict.second), (None, None), "{}", case.name);
        assert!(pixels == before, "{}: an allowed frame changed", case.name);
        allowed += 1;
    }
    assert!(allowed >= 5, "only {allowed} allowed cases");
    assert!(
        !second.is_loaded(),
        "the second model was loaded for frames the primary allows"
    );
}

#[test]
fn a_flagged_frame_loads_the_second_model_and_its_agreement_decides_the_action() {
    let second = Arc::new(second_opinion());
    let filter = cascade(&second, OnError::FailClosed);
    let policy = filter.policy().clone();
    assert_eq!(filter_solid(&filter, GREY).0.unwrap().action, Action::Allow);
    assert!(!second.is_loaded());

    // Orange-red: the primary says porn (0.80), the second agrees (nsfw 0.463): block.
    let (verdict, pixels) = filter_solid(&filter, ORANGE_RED);
    let verdict = verdict.unwrap();
    assert!(second.is_loaded(), "a flagged frame loads the second model");
    assert_eq!(
        (verdict.action, verdict.category),
        (Action::Block, Some(Category::Porn))
    );
    assert_eq!(
        verdict.rule,
        Some(rule_index(&policy, Action::Block, &[Category::Porn], true))
    );
    let opinion = verdict.second.expect("the second opinion is in the verdict");
    assert!((nsfw(&second, &opinion) - 0.4633).abs() < 1e-3, "{opinion:?}");
    assert_eq!(pixels, Pixels::Blocked);

    // Yellow: the primary says sexy (0.95), the second agrees: blur.
    let (verdict, _) = filter_solid(&filter, YELLOW);
    let verdict = verdict.unwrap();
    assert_eq!((verdict.action, verdict.category), (Action::Blur, Some(Category::Sexy)));
    assert_eq!(
        verdict.rule,
        Some(rule_index(&policy, Action::Blur, &[Category::Sexy], true))
    );
    assert!(verdict.second.is_some());
}

#[test]
fn the_second_models_veto_allows_a_frame_the_primary_alone_would_block() {
    let second = Arc::new(second_opinion());
    let filter = cascade(&second, OnError::FailClosed);
    let single = Policy::preset(Preset::Child);
    for colour in [PINK_RED, DARK_RED] {
        let (verdict, pixels) = filter_solid(&filter, colour);
        let verdict = verdict.unwrap();
        // The primary alone blocks it as porn …
        assert_eq!(single.evaluate(&verdict.scores).action, Action::Block, "{colour:?}");
        assert!(
            verdict.scores.get(Category::Porn) < 0.90,
            "{colour:?} must be below the recall guard"
        );
        // … the second says it is fine, and that decides.
        let opinion = verdict.second.expect("the second model ran");
        assert!(nsfw(&second, &opinion) < 0.1, "{colour:?}: {opinion:?}");
        assert_eq!(
            (verdict.action, verdict.category, verdict.rule),
            (Action::Allow, None, None)
        );
        assert_eq!(pixels, Pixels::Untouched, "{colour:?}");
    }
    assert!(second.is_loaded());
}

#[test]
fn the_recall_guard_blocks_whatever_the_second_says_without_running_it() {
    let second = Arc::new(second_opinion());
    let filter = cascade(&second, OnError::FailClosed);
    let policy = filter.policy().clone();
    for (colour, category) in [(RED, Category::Porn), (GREEN, Category::Hentai)] {
        let (verdict, pixels) = filter_solid(&filter, colour);
        let verdict = verdict.unwrap();
        assert!(verdict.scores.get(category) >= 0.90, "{colour:?}: {:?}", verdict.scores);
        assert_eq!((verdict.action, verdict.category), (Action::Block, Some(category)));
        assert_eq!(
            verdict.rule,
            Some(rule_index(&policy, Action::Block, &[category], false))
        );
        assert_eq!(verdict.second, None, "the guard needs no second opinion");
        assert_eq!(pixels, Pixels::Blocked);
    }
    assert!(!second.is_loaded(), "guarded frames do not load the second model");
    // What the second would have said about red: fine (a veto), which the guard overrides.
    let pixels = solid_rgba(RED);
    let frame = Frame::packed(&pixels, 64, 48, PixelFormat::Rgba8).unwrap();
    let opinion = second.classify(&frame).unwrap();
    assert!(nsfw(&second, &opinion) < 0.1, "{opinion:?}");
    let scores = oracle_classifier("oracle").classify(&frame).unwrap();
    let verdict = policy.evaluate_models(&scores, Some(second.scores(opinion)));
    assert_eq!(
        (verdict.action, verdict.category),
        (Action::Block, Some(Category::Porn))
    );
}

// ------------------------------------------------------------------------------------------
// (c) A second model that fails: the frames that need it fail closed
// ------------------------------------------------------------------------------------------

/// A copy of oracle-second in a temporary directory whose manifest promises another sha256:
/// its manifest reads, its model never loads. Removed on drop.
struct WrongSha256Pack(PathBuf);

impl WrongSha256Pack {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("safeframe-second-wrong-sha-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let source = fixture("oracle/oracle-second");
        let onnx = std::fs::read(source.join("model.onnx")).unwrap();
        let manifest = std::fs::read_to_string(source.join("manifest.json")).unwrap();
        let manifest = manifest.replace(&sha256_hex(&onnx), &sha256_hex(b"some other model"));
        assert!(manifest.contains(&sha256_hex(b"some other model")));
        std::fs::write(dir.join("manifest.json"), manifest).unwrap();
        std::fs::write(dir.join("model.onnx"), onnx).unwrap();
        // Signed as it is (by a throwaway key the test trusts): the pack is authentic, its model
        // file is not what the manifest promises.
        safeframe_tests::sign_pack(&dir, &safeframe_tests::throwaway_signer(1));
        Self(dir)
    }

    fn second(&self) -> Arc<SecondOpinion> {
        let options = safeframe_tests::options_trusting(&safeframe_tests::throwaway_signer(1));
        Arc::new(SecondOpinion::from_dir(&self.0, &options).unwrap())
    }
}

impl Drop for WrongSha256Pack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_second_model_that_fails_to_load_blocks_each_flagged_frame_and_reports_the_error() {
    let pack = WrongSha256Pack::new("filter");
    let second = pack.second();
    let filter = cascade(&second, OnError::FailClosed);
    // Frames that do not need the second opinion are unaffected.
    let (result, pixels) = filter_solid(&filter, GREY);
    assert_eq!((result.unwrap().action, pixels), (Action::Allow, Pixels::Untouched));
    assert!(!second.is_loaded());
    for _ in 0..2 {
        // The failure is kept: every flagged frame fails the same way.
        let (result, pixels) = filter_solid(&filter, PINK_RED);
        match result {
            Err(SafeFrameError::ModelLoad { model, reason }) => {
                assert_eq!(model, "oracle-second");
                assert!(reason.contains("sha256"), "{reason}");
            }
            other => panic!("expected a model load error, got {other:?}"),
        }
        assert_eq!(
            pixels,
            Pixels::Blocked,
            "a frame whose second opinion failed must be blocked"
        );
        assert!(second.is_loaded());
    }
    // The recall guard needs no second opinion: blocked, without an error.
    let (result, pixels) = filter_solid(&filter, RED);
    assert_eq!(result.unwrap().action, Action::Block);
    assert_eq!(pixels, Pixels::Blocked);
    // Failing open leaves the flagged frame as it is, and still reports the error.
    let open = cascade(&second, OnError::FailOpen);
    let (result, pixels) = filter_solid(&open, PINK_RED);
    assert!(matches!(result, Err(SafeFrameError::ModelLoad { .. })), "{result:?}");
    assert_eq!(pixels, Pixels::Untouched);
}

#[test]
fn a_second_model_whose_output_is_nan_fails_closed() {
    // faulty-nan has the primary's labels; a policy that asks it about `neutral` frames runs
    // it on every frame the primary calls neutral, and it answers NaN on magenta.
    let policy = Policy::from_json(
        r#"{"rules":[{"when":[{"model":"primary","labels":["neutral"],"threshold":0.5},
                              {"model":"second","labels":["Neutral"],"threshold":0.5}],"action":"warn"}]}"#,
    )
    .unwrap();
    let second =
        Arc::new(SecondOpinion::from_dir(fixture("oracle/faulty-nan"), &ClassifierOptions::default()).unwrap());
    let filter = Filter::cascade(
        Arc::new(oracle_classifier("oracle")),
        Some(Arc::clone(&second)),
        policy,
        OnError::FailClosed,
    )
    .unwrap();
    let (result, pixels) = filter_solid(&filter, GREY);
    let verdict = result.unwrap();
    assert_eq!(verdict.action, Action::Warn);
    assert!(verdict.second.is_some());
    assert_eq!(pixels, Pixels::Untouched);
    let (result, pixels) = filter_solid(&filter, MAGENTA);
    assert!(
        matches!(result, Err(SafeFrameError::InvalidScores { .. })),
        "{result:?}"
    );
    assert_eq!(pixels, Pixels::Blocked);
}

// ------------------------------------------------------------------------------------------
// (d) StreamFilter::cascade, inline and background
// ------------------------------------------------------------------------------------------

fn stream(second: &Arc<SecondOpinion>, mode: Mode) -> StreamFilter {
    let config = StreamConfig {
        policy: Policy::preset_with_second_opinion(Preset::Child),
        cadence: Cadence::EveryFrame,
        clear_after: 1,
        mode,
        on_error: OnError::FailClosed,
        hash_cadence: Cadence::EveryFrame,
        // The cadence alone: these tests classify identical frames on purpose.
        change_gate: None,
        hold: Action::Blur,
    };
    StreamFilter::cascade(Arc::new(oracle_classifier("oracle")), Some(Arc::clone(second)), config).unwrap()
}

/// Processes one solid 64×48 RGBA frame; returns the verdict and how its pixels look after.
fn process(filter: &StreamFilter, rgb: [u8; 3]) -> (Verdict, Pixels) {
    let before = solid_rgba(rgb);
    let mut pixels = before.clone();
    let verdict = filter.process(&mut FrameMut::packed(&mut pixels, 64, 48, PixelFormat::Rgba8).unwrap());
    (verdict, look(&pixels, &before))
}

#[test]
fn inline_stream_decides_a_cut_by_the_second_opinion_on_the_cut_frame_itself() {
    for (colour, action, pixels_after) in [
        (ORANGE_RED, Action::Block, Pixels::Blocked),
        (PINK_RED, Action::Allow, Pixels::Untouched),
    ] {
        let second = Arc::new(second_opinion());
        let filter = stream(&second, Mode::Inline);
        for _ in 0..4 {
            let (verdict, pixels) = process(&filter, GREY);
            assert_eq!(
                (verdict.action, verdict.second, pixels),
                (Action::Allow, None, Pixels::Untouched)
            );
        }
        assert!(!second.is_loaded());
        assert_eq!(filter.counters().second_opinions, 0);
        // The cut: inline, the second model runs on the cut frame itself, and on every
        // classified frame of the flagged scene.
        for i in 1..=5 {
            let (verdict, pixels) = process(&filter, colour);
            assert_eq!(verdict.action, action, "{colour:?} frame {i} after the cut");
            assert!(verdict.second.is_some(), "{colour:?} frame {i}: {verdict:?}");
            assert_eq!(pixels, pixels_after, "{colour:?} frame {i}");
            assert_eq!(filter.counters().second_opinions, i);
        }
        // Back to grey: allowed at once (clear_after 1), and no more second opinions.
        assert_eq!(process(&filter, GREY).0.action, Action::Allow);
        let counters = filter.counters();
        assert_eq!(
            (counters.classified, counters.second_opinions, counters.errors),
            (10, 5, 0)
        );
    }
}

/// Processes `rgb` frames until `done` holds for the last one, at most `MAX_FRAMES` frames
/// (a generous bound that only a hung worker reaches; nothing here depends on timing).
fn process_until(filter: &StreamFilter, rgb: [u8; 3], mut each: impl FnMut(Verdict, Pixels) -> bool) {
    const MAX_FRAMES: usize = 20_000;
    for _ in 0..MAX_FRAMES {
        let (verdict, pixels) = process(filter, rgb);
        if each(verdict, pixels) {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    panic!(
        "condition not reached after {MAX_FRAMES} frames; counters {:?}",
        filter.counters()
    );
}

/// Background mode, a cut from grey to `colour`: frames keep the old verdict until the
/// primary's outcome on the new scene arrives, are redacted (the pending verdict) from then
/// until the second opinion arrives, and then follow it, on every later classification too.
fn background_cut(colour: [u8; 3], final_action: Action, final_pixels: Pixels) {
    let second = Arc::new(second_opinion());
    let filter = stream(&second, Mode::Background);
    // Warm-up: blocked until the first classification, then allowed.
    process_until(&filter, GREY, |verdict, pixels| {
        if verdict.action == Action::Block {
            assert_eq!(pixels, Pixels::Blocked);
        }
        verdict.action == Action::Allow
    });
    assert!(!second.is_loaded());
    assert_eq!(filter.counters().second_opinions, 0);

    // The cut. Phase 1: the old verdict (allow, no second opinion) until the primary's
    // outcome on the new scene arrives; phase 2: redacted until the second opinion arrives.
    let mut old = 0;
    let mut pending = 0;
    let mut last = None;
    process_until(&filter, colour, |verdict, pixels| {
        if verdict.second.is_some() {
            last = Some((verdict, pixels));
            return true;
        }
        if verdict.action == Action::Allow {
            assert_eq!(
                pending, 0,
                "{colour:?}: allowed again after the primary flagged the scene"
            );
            assert_eq!(pixels, Pixels::Untouched);
            old += 1;
        } else {
            assert_eq!(verdict.action, Action::Block, "{colour:?}: {verdict:?}");
            assert_eq!(pixels, Pixels::Blocked, "{colour:?}: a pending frame was shown");
            pending += 1;
        }
        false
    });
    let (verdict, pixels) = last.unwrap();
    assert!(
        pending >= 1,
        "{colour:?}: the first outcome on the new scene cannot have a second opinion"
    );
    assert_eq!(verdict.action, final_action, "{colour:?}: {verdict:?}");
    assert_eq!(pixels, final_pixels, "{colour:?}");
    assert!(second.is_loaded());
    let at_final: StreamCounters = filter.counters();
    assert!(at_final.second_opinions >= 1);
    assert_eq!(at_final.errors, 0);

    // Every later classification runs the second model again and keeps its verdict.
    process_until(&filter, colour, |verdict, pixels| {
        assert_eq!(
            (verdict.action, pixels),
            (final_action, final_pixels),
            "{colour:?} after the second opinion: {verdict:?}"
        );
        filter.counters().classified >= at_final.classified + 5
    });
    let counters = filter.counters();
    assert_eq!(
        counters.second_opinions - at_final.second_opinions,
        counters.classified - at_final.classified,
        "{colour:?}: a classification of the flagged scene without a second opinion; {counters:?}"
    );
    eprintln!("{colour:?}: {old} frames with the old verdict, {pending} pending; {counters:?}");
}

#[test]
fn background_stream_redacts_a_cut_until_the_second_opinion_agrees_then_blocks() {
    background_cut(ORANGE_RED, Action::Block, Pixels::Blocked);
}

#[test]
fn background_stream_redacts_a_cut_until_the_second_opinion_vetoes_then_allows() {
    background_cut(PINK_RED, Action::Allow, Pixels::Untouched);
}

// ------------------------------------------------------------------------------------------
// (e) A policy is checked against the models that feed it
// ------------------------------------------------------------------------------------------

/// The JSON field of the first condition of `policy` on the second model.
fn first_second_condition(policy: &Policy) -> String {
    for (i, rule) in policy.rules.iter().enumerate() {
        if let Some(j) = rule.when.iter().position(|c| c.model == ModelRole::Second) {
            return format!("rules[{i}].when[{j}]");
        }
    }
    panic!("the policy does not read the second model")
}

fn assert_invalid_policy(result: Result<impl std::fmt::Debug, SafeFrameError>, want_field: &str, want_reason: &str) {
    match result {
        Err(SafeFrameError::InvalidPolicy { field, reason }) => {
            assert_eq!(field, want_field, "{reason}");
            assert!(reason.contains(want_reason), "{reason}");
        }
        other => panic!("expected an invalid policy error on {want_field}, got {other:?}"),
    }
}

#[test]
fn a_policy_that_reads_a_second_model_is_refused_without_one() {
    let policy = Policy::preset_with_second_opinion(Preset::Child);
    let field = format!("{}.model", first_second_condition(&policy));
    let reason = "no second model is loaded";
    assert_invalid_policy(
        Filter::new(oracle_classifier("oracle"), policy.clone(), OnError::FailClosed),
        &field,
        reason,
    );
    assert_invalid_policy(
        Filter::cascade(
            Arc::new(oracle_classifier("oracle")),
            None,
            policy.clone(),
            OnError::FailClosed,
        ),
        &field,
        reason,
    );
    let config = StreamConfig {
        policy,
        ..StreamConfig::default()
    };
    assert_invalid_policy(
        StreamFilter::new(Arc::new(oracle_classifier("oracle")), config.clone()),
        &field,
        reason,
    );
    for mode in [Mode::Inline, Mode::Background] {
        let config = StreamConfig { mode, ..config.clone() };
        assert_invalid_policy(
            StreamFilter::cascade(Arc::new(oracle_classifier("oracle")), None, config),
            &field,
            reason,
        );
    }
}

#[test]
fn a_policy_naming_a_label_the_second_model_lacks_is_refused() {
    let policy = Policy::from_json(
        r#"{"rules":[{"when":[{"model":"primary","labels":["porn"],"threshold":0.4},
                              {"model":"second","labels":["nsfw","porn"],"threshold":0.2}],"action":"block"}]}"#,
    )
    .unwrap();
    let second = Arc::new(second_opinion());
    assert_invalid_policy(
        Filter::cascade(
            Arc::new(oracle_classifier("oracle")),
            Some(Arc::clone(&second)),
            policy.clone(),
            OnError::FailClosed,
        ),
        "rules[0].when[1].labels[1]",
        "sfw, nsfw",
    );
    let config = StreamConfig {
        policy,
        mode: Mode::Background,
        ..StreamConfig::default()
    };
    assert_invalid_policy(
        StreamFilter::cascade(Arc::new(oracle_classifier("oracle")), Some(Arc::clone(&second)), config),
        "rules[0].when[1].labels[1]",
        "sfw, nsfw",
    );
    assert!(!second.is_loaded(), "checking a policy loads no model");
    // Labels are matched ignoring case.
    let upper = Policy::from_json(
        r#"{"rules":[{"when":[{"model":"primary","labels":["porn"],"threshold":0.4},
                              {"model":"second","labels":["NSFW"],"threshold":0.2}],"action":"block"}]}"#,
    )
    .unwrap();
    let filter = Filter::cascade(
        Arc::new(oracle_classifier("oracle")),
        Some(second),
        upper,
        OnError::FailClosed,
    )
    .unwrap();
    assert_eq!(filter_solid(&filter, ORANGE_RED).0.unwrap().action, Action::Block);
}
