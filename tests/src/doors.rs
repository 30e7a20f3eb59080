//! One behaviour suite for every door.
//!
//! The same checks of the filter and the stream run on the core's `Filter`/`StreamFilter`
//! (tests/tests/behaviour.rs) and through the bindings crate's uniffi objects and C ABI
//! (bindings/tests/behaviour.rs), the way tract runs one suite natively and through its C
//! library: a door cannot drift from the core without a suite failing. A door implements
//! [`Doors`]; each `pub fn` below taking `&dyn Doors` is one behaviour.
//!
//! Frames are [`TestFrame`]s (every pixel format, with padded rows) plus [`Facts`]; scores come
//! from the synthetic oracle model, so every expected verdict is exact.

use safeframe::frame::{CropRect, FrameDescription, PixelFormat, PlaneStrides, YuvColor};
use safeframe::policy::{Action, Preset};
use safeframe::scores::Category;
use safeframe::stream::{CadenceSetting, StreamSettings};

use crate::frames::{all_formats, TestFrame};
use crate::{oracle_cases, ImageSpec};

/// What a door said about a frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The action.
    pub action: Action,
    /// The deciding category.
    pub category: Option<Category>,
    /// The porn score the verdict was made from.
    pub porn: f32,
}

/// A door's error: its kind's name (`"InvalidFrame"`) and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoorError {
    /// The kind, as the door names it.
    pub kind: String,
    /// The message.
    pub message: String,
}

/// A frame's facts besides its pixels.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts {
    /// Clockwise rotation that makes it upright.
    pub rotation_degrees: i64,
    /// The part that is classified.
    pub crop: Option<CropRect>,
    /// The frame's timestamp.
    pub timestamp_ns: Option<i64>,
}

/// Counters of a stream, as every door reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Frames processed.
    pub frames: u64,
    /// Frames classified.
    pub classified: u64,
    /// Frames that reused the verdict in force because they had not changed.
    pub reused: u64,
    /// Frames blocked.
    pub blocked: u64,
}

/// A filter behind a door.
pub trait FilterDoor {
    /// Classifies `frame` without changing it.
    fn check(&self, frame: &TestFrame, facts: &Facts) -> Result<Outcome, DoorError>;
    /// Classifies `frame` and applies the verdict to its planes. Returns the verdict the door
    /// handed back (doors that hand one back even on failure do so then too) and the error.
    fn filter(&self, frame: &mut TestFrame, facts: &Facts) -> (Option<Outcome>, Option<DoorError>);
    /// Whether the door gives the caller the frame's pixels when filtering fails (in place:
    /// yes; a copying door throws and returns no pixels at all).
    fn returns_pixels_on_error(&self) -> bool;
}

/// A stream behind a door.
pub trait StreamDoor {
    /// Processes one frame in place (or by copy and back).
    fn process(&self, frame: &mut TestFrame, facts: &Facts) -> Result<Outcome, DoorError>;
    /// The counters.
    fn counts(&self) -> Counts;
}

/// A way into SafeFrame: makes filters and streams on the oracle model pack.
pub trait Doors {
    /// The door's name, for messages.
    fn name(&self) -> &'static str;
    /// A filter with a preset policy.
    fn filter(&self, preset: Preset, fail_open: bool) -> Box<dyn FilterDoor>;
    /// A filter whose second-opinion model is corrupt, so that a frame the primary flags
    /// cannot be classified; `None` if the door cannot make one.
    fn filter_with_failing_second(&self, fail_open: bool) -> Option<Box<dyn FilterDoor>>;
    /// A stream with the child preset and these settings.
    fn stream(&self, settings: &StreamSettings) -> Result<Box<dyn StreamDoor>, DoorError>;
}

/// The core's description of `frame` with `facts` (what every door builds, one way or another).
pub fn description(frame: &TestFrame, facts: &Facts) -> safeframe::Result<FrameDescription> {
    let strides: Vec<PlaneStrides> = frame
        .strides
        .iter()
        .map(|&(row, pixel)| PlaneStrides::new(row as i64, pixel as i64))
        .collect();
    let mut d = FrameDescription::new(frame.width.into(), frame.height.into(), frame.format, &strides)?
        .with_rotation_degrees(facts.rotation_degrees)?
        .with_timestamp_ns(facts.timestamp_ns)
        .with_full_range(frame.color.range == safeframe::frame::YuvRange::Full);
    if let Some(c) = facts.crop {
        d = d.with_crop(c.x.into(), c.y.into(), c.width.into(), c.height.into())?;
    }
    Ok(d)
}

/// A `format` frame of `spec`, `width`×`height`, padded rows.
pub fn frame_of(
    spec: &ImageSpec,
    width: u32,
    height: u32,
    format: PixelFormat,
    chroma_pixel_stride: usize,
) -> TestFrame {
    let rgb = spec.rgb8(width, height);
    TestFrame::from_rgb(&rgb, width, height, format, chroma_pixel_stride, YuvColor::default(), 3)
}

fn solid(rgb: [u8; 3]) -> ImageSpec {
    ImageSpec::Solid { rgb }
}

fn rgb_frame(rgb: [u8; 3]) -> TestFrame {
    frame_of(&solid(rgb), 16, 12, PixelFormat::Rgb8, 0)
}

/// The policy of [`Doors::filter_with_failing_second`]: rule 1 blocks when the primary scores
/// porn ≥ 0.3 and the second model porn ≥ 0.9 (so red, porn 0.95, needs the second model;
/// grey does not).
pub const TWO_MODEL_POLICY: &str = r#"{"name":"two-models","rules":[
    {"categories":["hentai"],"threshold":0.99,"action":"blur"},
    {"when":[{"model":"primary","labels":["porn"],"threshold":0.3},
             {"model":"second","labels":["porn"],"threshold":0.9}],"action":"block"}]}"#;

/// The oracle pack with a corrupt ONNX model: its manifest and signature intact (so the pack's
/// signature verifies when it is made) and its model's last byte flipped (so the sha256 check
/// fails when the model is first needed).
pub struct CorruptModelPack {
    /// `manifest.json`, as signed.
    pub manifest: Vec<u8>,
    /// `signature.json`, untouched.
    pub signature: Vec<u8>,
    /// `model.onnx` with its last byte flipped.
    pub onnx: Vec<u8>,
}

/// The oracle pack with a corrupt model (see [`CorruptModelPack`]).
pub fn oracle_pack_with_corrupt_model() -> CorruptModelPack {
    let dir = crate::fixture("oracle/oracle");
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap_or_default();
    let signature = std::fs::read(dir.join("signature.json")).unwrap_or_default();
    let mut onnx = std::fs::read(dir.join("model.onnx")).unwrap_or_default();
    if let Some(last) = onnx.last_mut() {
        *last ^= 1;
    }
    CorruptModelPack {
        manifest,
        signature,
        onnx,
    }
}

const RED: [u8; 3] = [255, 0, 0];
const GREY: [u8; 3] = [128, 128, 128];

/// Every oracle case gets the verdict `oracle-cases.json` expects under the child preset.
pub fn oracle_cases_decide_as_expected(doors: &dyn Doors) {
    let filter = doors.filter(Preset::Child, false);
    for case in oracle_cases().cases {
        let frame = frame_of(&case.image, case.width, case.height, PixelFormat::Rgb8, 0);
        let got = filter.check(&frame, &Facts::default()).unwrap();
        let want = case.expected["child"];
        assert_eq!(
            (got.action, got.category),
            (want.action, want.category),
            "{}: {}",
            doors.name(),
            case.name
        );
    }
}

/// Every pixel format gives the verdict of the same picture in RGB.
pub fn every_format_gives_the_rgb_verdict(doors: &dyn Doors) {
    let filter = doors.filter(Preset::Child, false);
    for rgb in [RED, GREY, [200, 150, 120]] {
        let reference = filter.check(&rgb_frame(rgb), &Facts::default()).unwrap();
        for (format, chroma_pixel_stride) in all_formats() {
            let frame = frame_of(&solid(rgb), 16, 12, format, chroma_pixel_stride);
            let got = filter.check(&frame, &Facts::default()).unwrap();
            assert_eq!(
                (got.action, got.category),
                (reference.action, reference.category),
                "{}: {format:?} (chroma pixel stride {chroma_pixel_stride}) of {rgb:?}",
                doors.name()
            );
            assert!((got.porn - reference.porn).abs() < 0.03, "{}: {format:?}", doors.name());
        }
    }
}

/// A flagged frame is blocked in place in its own format; an allowed one is left untouched.
pub fn filtering_redacts_in_place_in_the_frames_own_format(doors: &dyn Doors) {
    let filter = doors.filter(Preset::Child, false);
    for (format, chroma_pixel_stride) in all_formats() {
        let mut red = frame_of(&solid(RED), 16, 12, format, chroma_pixel_stride);
        let (verdict, error) = filter.filter(&mut red, &Facts::default());
        assert_eq!(error, None, "{}: {format:?}", doors.name());
        assert_eq!(
            verdict.map(|v| v.action),
            Some(Action::Block),
            "{}: {format:?}",
            doors.name()
        );
        let rgb = red.to_rgb8();
        assert!(rgb.iter().all(|&b| b < 8), "{}: {format:?} not blocked", doors.name());
        let mut grey = frame_of(&solid(GREY), 16, 12, format, chroma_pixel_stride);
        let before = grey.planes.clone();
        let (verdict, error) = filter.filter(&mut grey, &Facts::default());
        assert_eq!((verdict.map(|v| v.action), error), (Some(Action::Allow), None));
        assert_eq!(
            grey.planes,
            before,
            "{}: {format:?} allowed frame changed",
            doors.name()
        );
    }
}

/// The crop decides what the model sees; rotation and crop are checked like the frame.
pub fn crop_and_rotation_reach_the_model(doors: &dyn Doors) {
    let filter = doors.filter(Preset::Child, false);
    // Left half red, right half grey.
    let (w, h) = (16u32, 12u32);
    let rgb: Vec<u8> = (0..w * h)
        .flat_map(|i| if i % w < w / 2 { RED } else { GREY })
        .collect();
    for (format, chroma_pixel_stride) in [(PixelFormat::Rgb8, 0), (PixelFormat::Nv21, 0)] {
        let frame = TestFrame::from_rgb(&rgb, w, h, format, chroma_pixel_stride, YuvColor::default(), 2);
        let at = |x, rotation_degrees| Facts {
            crop: Some(CropRect::new(x, 0, w / 2, h)),
            rotation_degrees,
            timestamp_ns: None,
        };
        for rotation in [0, 90, 270] {
            let left = filter.check(&frame, &at(0, rotation)).unwrap();
            let right = filter.check(&frame, &at(w / 2, rotation)).unwrap();
            assert_eq!(
                (left.action, right.action),
                (Action::Block, Action::Allow),
                "{}: {format:?}",
                doors.name()
            );
        }
        let bad = [
            Facts {
                rotation_degrees: 45,
                ..Facts::default()
            },
            Facts {
                crop: Some(CropRect::new(w / 2 + 1, 0, w / 2, h)),
                ..Facts::default()
            },
        ];
        for facts in bad {
            let error = filter.check(&frame, &facts).unwrap_err();
            assert_eq!(error.kind, "InvalidFrame", "{}: {facts:?}: {error:?}", doors.name());
        }
    }
}

/// A frame that does not fit its description is an `InvalidFrame`; a door that hands back a
/// verdict then hands back the unclassified one (block when failing closed).
pub fn a_bad_frame_is_an_invalid_frame_and_fails_closed(doors: &dyn Doors) {
    for fail_open in [false, true] {
        let filter = doors.filter(Preset::Child, fail_open);
        let mut short = rgb_frame(RED);
        short.planes[0].truncate(10);
        let (verdict, error) = filter.filter(&mut short, &Facts::default());
        let error = error.expect("a short buffer is an error");
        assert_eq!(error.kind, "InvalidFrame", "{}: {error:?}", doors.name());
        assert!(error.message.contains("too small"), "{}: {error:?}", doors.name());
        if let Some(verdict) = verdict {
            let want = if fail_open { Action::Allow } else { Action::Block };
            assert_eq!(verdict.action, want, "{}", doors.name());
        }
        let mut wrong_planes = frame_of(&solid(RED), 16, 12, PixelFormat::Nv12, 0);
        wrong_planes.strides.push((16, 1));
        assert_eq!(
            filter.check(&wrong_planes, &Facts::default()).unwrap_err().kind,
            "InvalidFrame",
            "{}",
            doors.name()
        );
    }
}

/// A frame the models cannot classify is blocked (failing closed) or passed (failing open),
/// and the error still reaches the caller.
pub fn a_model_failure_fails_closed_or_open_as_chosen(doors: &dyn Doors) {
    for fail_open in [false, true] {
        let Some(filter) = doors.filter_with_failing_second(fail_open) else {
            return;
        };
        // Grey needs no second opinion: classified as usual.
        let grey = filter.check(&rgb_frame(GREY), &Facts::default()).unwrap();
        assert_eq!(grey.action, Action::Allow);
        let mut red = rgb_frame(RED);
        let before = red.planes.clone();
        let (verdict, error) = filter.filter(&mut red, &Facts::default());
        assert!(error.is_some(), "{}: the corrupt second model must fail", doors.name());
        let want = if fail_open { Action::Allow } else { Action::Block };
        if let Some(verdict) = verdict {
            assert_eq!(verdict.action, want, "{}", doors.name());
        }
        if filter.returns_pixels_on_error() {
            if fail_open {
                assert_eq!(red.planes, before, "{}: failing open changed the frame", doors.name());
            } else {
                assert!(red.to_rgb8().iter().all(|&b| b < 8), "{}: not blocked", doors.name());
            }
        }
    }
}

fn stream_actions(stream: &dyn StreamDoor, colours: &[[u8; 3]]) -> Vec<Action> {
    colours
        .iter()
        .enumerate()
        .map(|(i, &rgb)| {
            let facts = Facts {
                timestamp_ns: Some(i as i64 * 33_000_000),
                ..Facts::default()
            };
            stream.process(&mut rgb_frame(rgb), &facts).unwrap().action
        })
        .collect()
}

/// One hit enters block; `clear_after` clean classifications leave it; a cadence reuses the
/// verdict in force between classifications.
pub fn streams_hold_verdicts_with_hysteresis_and_cadence(doors: &dyn Doors) {
    let settings = StreamSettings {
        change_gate: false,
        ..StreamSettings::default()
    };
    let stream = doors.stream(&settings).unwrap();
    let actions = stream_actions(stream.as_ref(), &[GREY, RED, GREY, GREY, GREY, GREY]);
    use Action::{Allow, Block};
    assert_eq!(actions, [Allow, Block, Block, Block, Allow, Allow], "{}", doors.name());
    let counts = stream.counts();
    assert_eq!(
        (counts.frames, counts.classified, counts.blocked),
        (6, 6, 3),
        "{}",
        doors.name()
    );

    let every_third = StreamSettings {
        cadence: CadenceSetting::EveryNth(3),
        ..settings
    };
    let stream = doors.stream(&every_third).unwrap();
    let actions = stream_actions(stream.as_ref(), &[RED, GREY, GREY, GREY, GREY, GREY, GREY]);
    assert_eq!(
        actions,
        [Block; 7],
        "{}: frames between classifications keep the verdict",
        doors.name()
    );
    assert_eq!(stream.counts().classified, 3, "{}", doors.name());
}

/// With the change gate, a cut is classified on its own frame whatever the cadence, and
/// unchanged frames reuse the verdict.
pub fn a_cut_is_classified_at_once_and_still_frames_rest(doors: &dyn Doors) {
    let settings = StreamSettings {
        cadence: CadenceSetting::EveryNth(10),
        ..StreamSettings::default()
    };
    let stream = doors.stream(&settings).unwrap();
    let actions = stream_actions(stream.as_ref(), &[GREY, GREY, GREY, RED, RED]);
    use Action::{Allow, Block};
    assert_eq!(actions, [Allow, Allow, Allow, Block, Block], "{}", doors.name());
    let counts = stream.counts();
    assert_eq!(
        (counts.frames, counts.classified, counts.reused),
        (5, 2, 3),
        "{}",
        doors.name()
    );
}

/// Bad stream settings are refused when the stream is made, naming the field.
pub fn bad_stream_settings_are_refused_by_name(doors: &dyn Doors) {
    let d = StreamSettings::default();
    let cases = [
        (StreamSettings { clear_after: 0, ..d }, "clear_after"),
        (
            StreamSettings {
                cadence: CadenceSetting::EveryNth(0),
                ..d
            },
            "cadence",
        ),
        (
            StreamSettings {
                hash_cadence: CadenceSetting::MinIntervalMs(-1),
                ..d
            },
            "hash_cadence",
        ),
        (StreamSettings { change_tiles: 17, ..d }, "change_gate.tiles"),
        (StreamSettings { max_age_ms: 0, ..d }, "change_gate.max_age"),
        (
            StreamSettings {
                hold: Action::Warn,
                ..d
            },
            "hold",
        ),
    ];
    for (settings, field) in cases {
        let error = doors.stream(&settings).err().expect("refused");
        assert!(
            error.message.contains(field),
            "{}: {error:?} lacks {field}",
            doors.name()
        );
    }
}

/// Every behaviour above, in order.
pub fn run_all(doors: &dyn Doors) {
    oracle_cases_decide_as_expected(doors);
    every_format_gives_the_rgb_verdict(doors);
    filtering_redacts_in_place_in_the_frames_own_format(doors);
    crop_and_rotation_reach_the_model(doors);
    a_bad_frame_is_an_invalid_frame_and_fails_closed(doors);
    a_model_failure_fails_closed_or_open_as_chosen(doors);
    streams_hold_verdicts_with_hysteresis_and_cadence(doors);
    a_cut_is_classified_at_once_and_still_frames_rest(doors);
    bad_stream_settings_are_refused_by_name(doors);
}
