//! `StreamFilter`: cadence, hysteresis, background mode, fault injection, listener, oracle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use safeframe::blocklist::{Blocklist, MatchOptions};
use safeframe::filter::OnError;
use safeframe::frame::{FrameMut, PixelFormat, PlaneMut, YuvColor};
use safeframe::known::KnownContent;
use safeframe::manifest::InputSpec;
use safeframe::policy::{Action, Policy, Preset, Verdict};
use safeframe::sampler::Sampler;
use safeframe::scores::{Category, Scores};
use safeframe::stream::{
    Cadence, ChangeCause, ChangeGate, FailureKind, FrameModel, Mode, StreamConfig, StreamFailure, StreamFilter,
    StreamListener, VerdictChange,
};
use safeframe::{Result, SafeFrameError};
use safeframe_tests::frames::TestFrame;
use safeframe_tests::{oracle_cases, oracle_classifier};

/// What the scripted model answers on one call.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Clean,
    Porn,
    Sexy,
    Fail,
    Panic,
}

/// A model that answers from a script (the last step repeats) and counts its calls.
struct Scripted {
    sampler: Sampler,
    steps: Vec<Step>,
    calls: AtomicUsize,
}

impl Scripted {
    fn new(steps: &[Step]) -> Arc<Self> {
        let spec = InputSpec {
            width: 8,
            height: 8,
            ..InputSpec::nsfwjs()
        };
        Arc::new(Self {
            sampler: Sampler::new(&spec),
            steps: steps.to_vec(),
            calls: AtomicUsize::new(0),
        })
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl FrameModel for Scripted {
    fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    fn infer(&self, _tensor: &[f32]) -> Result<Scores> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        match self
            .steps
            .get(call)
            .or(self.steps.last())
            .copied()
            .unwrap_or(Step::Clean)
        {
            Step::Clean => Ok(Scores::new([0.0, 0.0, 1.0, 0.0, 0.0])),
            Step::Porn => Ok(Scores::new([0.0, 0.0, 0.1, 0.9, 0.0])),
            Step::Sexy => Ok(Scores::new([0.0, 0.0, 0.5, 0.0, 0.5])),
            Step::Fail => Err(SafeFrameError::Inference {
                reason: format!("injected failure on call {call}"),
            }),
            Step::Panic => panic!("injected panic on call {call}"),
        }
    }
}

/// Records every event.
#[derive(Default)]
struct Recorder {
    changes: Mutex<Vec<VerdictChange>>,
    failures: Mutex<Vec<(u64, FailureKind, String)>>,
}

impl StreamListener for Recorder {
    fn on_verdict_change(&self, change: &VerdictChange) {
        self.changes.lock().unwrap().push(*change);
    }

    fn on_failure(&self, failure: &StreamFailure<'_>) {
        self.failures
            .lock()
            .unwrap()
            .push((failure.frame_index, failure.kind, failure.error.to_string()));
    }
}

/// A small grey NV21 frame buffer.
fn nv21_frame() -> Vec<u8> {
    vec![128u8; PixelFormat::Nv21.packed_len(16, 8).unwrap()]
}

/// Runs `n` frames (timestamps `index × step_ms`) and returns the action of each.
fn run(filter: &StreamFilter, n: usize, step_ms: i64) -> Vec<Action> {
    (0..n)
        .map(|i| {
            let mut data = nv21_frame();
            let mut frame = FrameMut::packed(&mut data, 16, 8, PixelFormat::Nv21)
                .unwrap()
                .with_timestamp_ns(i as i64 * step_ms * 1_000_000);
            filter.process(&mut frame).action
        })
        .collect()
}

fn config(cadence: Cadence, clear_after: u32) -> StreamConfig {
    StreamConfig {
        policy: Policy::preset(Preset::Child),
        cadence,
        clear_after,
        mode: Mode::Inline,
        on_error: OnError::FailClosed,
        hash_cadence: Cadence::EveryFrame,
        // The cadence alone: these tests classify identical frames on purpose.
        change_gate: None,
        hold: Action::Blur,
    }
}

use Action::{Allow, Block, Blur};
use Step::{Clean, Fail, Panic, Porn, Sexy};

#[test]
fn hysteresis_enters_on_one_hit_and_leaves_after_n_clean_classifications() {
    let model = Scripted::new(&[Clean, Porn, Clean, Clean, Sexy, Clean, Clean, Clean, Clean]);
    let filter = StreamFilter::new(model.clone(), config(Cadence::EveryFrame, 3)).unwrap();
    let actions = run(&filter, 10, 33);
    // Frames 2-3 are clean, but the blur hit on frame 4 starts the clean run again: 5, 6, 7.
    assert_eq!(
        actions,
        [Allow, Block, Block, Block, Block, Block, Block, Allow, Allow, Allow]
    );
    assert_eq!(model.calls(), 10);
    let counters = filter.counters();
    assert_eq!((counters.frames, counters.classified, counters.blocked), (10, 10, 6));
}

#[test]
fn every_kth_frame_cadence_reuses_the_verdict_in_between() {
    let model = Scripted::new(&[Clean, Porn, Clean, Clean]);
    let filter = StreamFilter::new(model.clone(), config(Cadence::EveryNth(3), 2)).unwrap();
    let actions = run(&filter, 12, 33);
    // Classified at frames 0, 3, 6, 9: clean, porn, clean, clean (two clean leave block).
    assert_eq!(
        actions,
        [Allow, Allow, Allow, Block, Block, Block, Block, Block, Block, Allow, Allow, Allow]
    );
    assert_eq!(model.calls(), 4);
    assert_eq!(filter.counters().classified, 4);
}

#[test]
fn min_interval_cadence_follows_the_frames_own_timestamps() {
    let model = Scripted::new(&[Clean]);
    let filter = StreamFilter::new(
        model.clone(),
        config(Cadence::MinInterval(Duration::from_millis(100)), 1),
    )
    .unwrap();
    // 30 frames 33 ms apart span 957 ms: classified at 0, 132, 264, ..., i.e. every 4th frame.
    run(&filter, 30, 33);
    assert_eq!(model.calls(), 8);
    // A clock that goes backwards starts the interval again.
    let mut data = nv21_frame();
    let mut frame = FrameMut::packed(&mut data, 16, 8, PixelFormat::Nv21)
        .unwrap()
        .with_timestamp_ns(0);
    filter.process(&mut frame);
    assert_eq!(model.calls(), 9);
}

#[test]
fn an_inference_error_on_frame_k_blocks_from_frame_k_and_is_counted_and_reported() {
    let model = Scripted::new(&[Clean, Clean, Fail, Clean, Clean, Clean]);
    let recorder = Arc::new(Recorder::default());
    let filter = StreamFilter::new(model, config(Cadence::EveryFrame, 2))
        .unwrap()
        .with_listener(recorder.clone());
    let actions = run(&filter, 6, 33);
    assert_eq!(actions, [Allow, Allow, Block, Block, Allow, Allow]);
    let counters = filter.counters();
    assert_eq!((counters.errors, counters.blocked, counters.classified), (1, 2, 5));
    let failures = recorder.failures.lock().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!((failures[0].0, failures[0].1), (2, FailureKind::Inference));
    assert!(failures[0].2.contains("injected failure"));
    let changes = recorder.changes.lock().unwrap();
    let seen: Vec<(u64, Option<Action>, Action)> = changes
        .iter()
        .map(|c| (c.frame_index, c.previous, c.verdict.action))
        .collect();
    assert_eq!(
        seen,
        [(0, None, Allow), (2, Some(Allow), Block), (4, Some(Block), Allow)]
    );
}

#[test]
fn a_panicking_model_in_inline_mode_blocks_the_frame_instead_of_unwinding() {
    let model = Scripted::new(&[Clean, Panic, Clean]);
    let filter = StreamFilter::new(model, config(Cadence::EveryFrame, 1)).unwrap();
    assert_eq!(run(&filter, 3, 33), [Allow, Block, Allow]);
    assert_eq!(filter.counters().errors, 1);
}

#[test]
fn fail_open_passes_frames_on_errors_but_still_counts_them() {
    let model = Scripted::new(&[Fail, Clean, Fail, Porn, Clean]);
    let mut config = config(Cadence::EveryFrame, 1);
    config.on_error = OnError::FailOpen;
    let filter = StreamFilter::new(model, config).unwrap();
    assert_eq!(run(&filter, 5, 33), [Allow, Allow, Allow, Block, Allow]);
    assert_eq!(filter.counters().errors, 2);
}

#[test]
fn blur_verdicts_blur_and_escalate_to_block() {
    let model = Scripted::new(&[Sexy, Porn, Sexy, Clean]);
    let filter = StreamFilter::new(model, config(Cadence::EveryFrame, 1)).unwrap();
    assert_eq!(run(&filter, 4, 33), [Blur, Block, Block, Allow]);
    assert_eq!(filter.counters().blurred, 1);
}

#[test]
fn a_missing_model_blocks_every_frame_and_is_reported_once() {
    let recorder = Arc::new(Recorder::default());
    let filter = StreamFilter::from_dir(
        safeframe_tests::fixture("oracle/no-such-pack"),
        &Default::default(),
        StreamConfig::default(),
    )
    .unwrap()
    .with_listener(recorder.clone());
    assert!(filter.unavailable_reason().is_some());
    assert!(run(&filter, 5, 33).iter().all(|&a| a == Block));
    let failures = recorder.failures.lock().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1, FailureKind::ModelUnavailable);
    assert_eq!(filter.counters().errors, 1);
    assert_eq!(filter.counters().blocked, 5);
}

/// Processes frames until `done` holds or 10 s pass; returns the actions.
fn run_until(filter: &StreamFilter, done: impl Fn(&StreamFilter, Action) -> bool) -> Vec<Action> {
    let start = Instant::now();
    let mut actions = Vec::new();
    // A generous bound for a saturated machine; nothing here asserts on time.
    while start.elapsed() < Duration::from_secs(120) {
        let action = run(filter, 1, 33)[0];
        actions.push(action);
        if done(filter, action) {
            return actions;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!(
        "condition not reached; actions {actions:?}, counters {:?}",
        filter.counters()
    );
}

fn background() -> StreamConfig {
    StreamConfig {
        mode: Mode::Background,
        ..config(Cadence::EveryFrame, 1)
    }
}

#[test]
fn background_mode_blocks_until_the_first_verdict_then_follows_the_worker() {
    let model = Scripted::new(&[Clean]);
    let filter = StreamFilter::new(model.clone(), background()).unwrap();
    let actions = run_until(&filter, |_, action| action == Allow);
    assert_eq!(actions[0], Block, "the first frame can have no verdict yet");
    assert!(actions[..actions.len() - 1].iter().all(|&a| a == Block));
    assert!(model.calls() >= 1);
    // Frames keep flowing without waiting for the model.
    assert!(run(&filter, 20, 33).iter().all(|&a| a == Allow));
}

#[test]
fn a_worker_that_dies_blocks_frames_and_is_counted_and_reported() {
    let model = Scripted::new(&[Clean, Panic]);
    let recorder = Arc::new(Recorder::default());
    let filter = StreamFilter::new(model, background())
        .unwrap()
        .with_listener(recorder.clone());
    // The clean verdict made before the panic is taken before the death is reported (in the
    // same frame at the latest), so the order does not depend on the threads' timing.
    let actions = run_until(&filter, |filter, _| filter.counters().errors >= 1);
    assert_eq!(actions.last(), Some(&Block));
    assert_eq!(filter.counters().classified, 1);
    // Every later frame stays blocked: nothing can clear a dead worker.
    assert!(run(&filter, 20, 33).iter().all(|&a| a == Block));
    assert_eq!(filter.counters().errors, 1);
    let failures = recorder.failures.lock().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1, FailureKind::WorkerStopped);
}

#[test]
fn an_inference_error_in_background_mode_blocks_until_clean_verdicts_return() {
    let model = Scripted::new(&[Clean, Fail, Clean]);
    let filter = StreamFilter::new(model, background()).unwrap();
    let actions = run_until(&filter, |filter, action| {
        filter.counters().errors == 1 && action == Allow
    });
    assert!(actions.contains(&Block));
    assert_eq!(filter.counters().errors, 1);
}

#[test]
fn oracle_flagged_frames_are_redacted_in_place_and_allowed_frames_are_untouched() {
    let cases = oracle_cases();
    let classifier = oracle_classifier("oracle");
    let filter = StreamFilter::with_classifier(classifier, config(Cadence::EveryFrame, 1)).unwrap();
    let mut checked = 0;
    for case in cases.cases.iter().filter(|c| c.width % 4 == 0 && c.height % 4 == 0) {
        let rgb = case.image.rgb8(case.width, case.height);
        let mut frame = TestFrame::from_rgb(
            &rgb,
            case.width,
            case.height,
            PixelFormat::Nv21,
            0,
            YuvColor::default(),
            6,
        );
        let before = frame.clone();
        let verdict = filter.process(&mut frame.frame_mut());
        let want = case.expected["child"];
        assert_eq!(
            (verdict.action, verdict.category),
            (want.action, want.category),
            "{}",
            case.name
        );
        let masks = before.sample_masks();
        for (p, ((after, was), mask)) in frame.planes.iter().zip(&before.planes).zip(&masks).enumerate() {
            for (i, ((&a, &b), &sample)) in after.iter().zip(was).zip(mask).enumerate() {
                if !sample || matches!(verdict.action, Allow | Action::Warn) {
                    assert_eq!(a, b, "{}: plane {p} byte {i} changed", case.name);
                } else if verdict.action == Block {
                    assert_eq!(a, if p == 0 { 16 } else { 128 }, "{}: plane {p} byte {i}", case.name);
                }
            }
        }
        // Clear the verdict for the next case.
        let mut grey = vec![128u8; PixelFormat::Nv21.packed_len(8, 8).unwrap()];
        filter.process(&mut FrameMut::packed(&mut grey, 8, 8, PixelFormat::Nv21).unwrap());
        checked += 1;
    }
    assert!(checked >= 10);
}

/// A fixture photo as an NV12 frame (BT.601 limited range, 8 bytes of row padding).
fn photo_nv12(name: &str, rotate: bool) -> TestFrame {
    let mut rgb = image::open(safeframe_tests::fixture("images").join(name))
        .unwrap()
        .into_rgb8();
    if rotate {
        rgb = image::imageops::rotate90(&rgb);
    }
    let (w, h) = rgb.dimensions();
    TestFrame::from_rgb(rgb.as_raw(), w, h, PixelFormat::Nv12, 2, YuvColor::default(), 8)
}

/// A blocklist holding `frame`'s own hash, labelled.
fn known_content_of(frame: &TestFrame) -> KnownContent {
    let hash = KnownContent::new(Blocklist::from_entries::<_, &str>([]).unwrap(), MatchOptions::default())
        .hash(&frame.frame())
        .unwrap();
    assert!(hash.quality >= 50, "fixture quality {}", hash.quality);
    let list = Blocklist::from_entries([(hash.orig, Some("listed-photo"))]).unwrap();
    KnownContent::new(list, MatchOptions::default())
}

/// Runs the frames through `filter` and returns each verdict.
fn run_frames(filter: &StreamFilter, frames: &mut [&mut TestFrame]) -> Vec<Verdict> {
    frames
        .iter_mut()
        .enumerate()
        .map(|(i, f)| filter.process(&mut f.frame_mut().with_timestamp_ns(i as i64 * 33_000_000)))
        .collect()
}

#[test]
fn a_listed_frame_is_blocked_as_known_whatever_the_classifier_says_and_a_rotated_copy_too() {
    let mut listed = photo_nv12("photo-chelsea-cat.png", false);
    let mut rotated = photo_nv12("photo-chelsea-cat.png", true);
    let mut other = photo_nv12("photo-rocket.png", false);
    let known = known_content_of(&listed);
    let recorder = Arc::new(Recorder::default());
    // The model always says clean; only the blocklist can block.
    let filter = StreamFilter::new(Scripted::new(&[Clean]), config(Cadence::EveryFrame, 2))
        .unwrap()
        .with_known_content(known)
        .with_listener(recorder.clone());
    let mut other2 = other.clone();
    let mut other3 = other.clone();
    let mut other4 = other.clone();
    let mut other5 = other.clone();
    let mut other6 = other.clone();
    let verdicts = run_frames(
        &filter,
        &mut [
            &mut other,
            &mut other2,
            &mut listed,
            &mut rotated,
            &mut other3,
            &mut other4,
            &mut other5,
            &mut other6,
        ],
    );
    let actions: Vec<Action> = verdicts.iter().map(|v| v.action).collect();
    use Action::{Allow, Block};
    // Frames 2 and 3 match (3 through a dihedral hash); the block holds until frame 4's hash
    // check finds no match, then needs 2 clean classifications (frames 5 and 6).
    assert_eq!(actions, [Allow, Allow, Block, Block, Block, Block, Allow, Allow]);
    for v in &verdicts[2..4] {
        assert_eq!(v.category, Some(Category::Known));
        let found = v.known.unwrap();
        assert_eq!(found.entry, 0);
        assert_eq!(filter.known_content().unwrap().label(found), Some("listed-photo"));
    }
    assert_eq!(verdicts[2].known.unwrap().distance, 0);
    assert!(verdicts[3].known.unwrap().distance <= 31);
    let counters = filter.counters();
    assert_eq!((counters.hashed, counters.known_matches, counters.blocked), (8, 2, 4));
    assert_eq!(counters.errors, 0);
    let changes = recorder.changes.lock().unwrap();
    let entered = changes.iter().find(|c| c.frame_index == 2).unwrap();
    assert_eq!(entered.cause, ChangeCause::KnownContent);
    // The listed frame was blocked in place: NV12 still, every Y byte in the picture black.
    assert!(listed.planes[0]
        .iter()
        .enumerate()
        .all(|(i, &y)| i % listed.strides[0].0 >= listed.width as usize || y == 16));
}

#[test]
fn known_content_is_hashed_at_its_own_cadence() {
    let listed = photo_nv12("photo-chelsea-cat.png", false);
    let other = photo_nv12("photo-rocket.png", false);
    let config = StreamConfig {
        hash_cadence: Cadence::EveryNth(3),
        ..config(Cadence::EveryFrame, 1)
    };
    let filter = StreamFilter::new(Scripted::new(&[Clean]), config)
        .unwrap()
        .with_known_content(known_content_of(&listed));
    let mut frames: Vec<TestFrame> = [&other, &listed, &listed, &listed, &other, &other, &other, &other]
        .into_iter()
        .cloned()
        .collect();
    let mut refs: Vec<&mut TestFrame> = frames.iter_mut().collect();
    let actions: Vec<Action> = run_frames(&filter, &mut refs).iter().map(|v| v.action).collect();
    use Action::{Allow, Block};
    // Hashed: frames 0, 3, 6. The listed frames 1 and 2 pass unhashed; frame 3 is caught and
    // held until frame 6's check; one clean classification (frame 7) then clears it.
    assert_eq!(actions, [Allow, Allow, Allow, Block, Block, Block, Block, Allow]);
    let counters = filter.counters();
    assert_eq!(
        (counters.hashed, counters.known_matches, counters.classified),
        (3, 1, 8)
    );
}

#[test]
fn with_the_change_gate_a_cut_makes_a_hash_check_due_at_once() {
    let listed = photo_nv12("photo-chelsea-cat.png", false);
    let other = photo_nv12("photo-rocket.png", false);
    let config = StreamConfig {
        hash_cadence: Cadence::EveryNth(100),
        change_gate: Some(ChangeGate::default()),
        ..config(Cadence::EveryFrame, 1)
    };
    let filter = StreamFilter::new(Scripted::new(&[Clean]), config)
        .unwrap()
        .with_known_content(known_content_of(&listed));
    // Frames 33 ms apart: two of the other photo, two of the listed one, then the other again
    // until frame 20.
    let order = [&other, &other, &listed, &listed]
        .into_iter()
        .chain(std::iter::repeat_n(&other, 17));
    let mut frames: Vec<TestFrame> = order.cloned().collect();
    let mut refs: Vec<&mut TestFrame> = frames.iter_mut().collect();
    let actions: Vec<Action> = run_frames(&filter, &mut refs).iter().map(|v| v.action).collect();
    use Action::{Allow, Block};
    // Hashed: frame 0 (cadence, and the first frame), 2 (the cut to the listed photo: caught on
    // that very frame) and 4 (the cut back, which releases the hold). Frames 1 and 3 did not
    // change: not hashed. Frame 4's classification ran before its hash check, under the hold.
    // While the block waits for its one clean classification, the unchanged frames rest until
    // the verdict is max_age / (clear_after + 1) = 500 ms old: frame 20 (660 ms, frame 4 was
    // at 132 ms) is classified and clears it.
    let mut expected = vec![Allow, Allow, Block, Block];
    expected.extend([Block; 16]);
    expected.push(Allow);
    assert_eq!(actions, expected);
    let counters = filter.counters();
    assert_eq!(
        (
            counters.hashed,
            counters.known_matches,
            counters.classified,
            counters.reused
        ),
        (3, 1, 4, 17)
    );
}

#[test]
fn with_the_change_gate_a_redaction_on_a_still_scene_is_rechecked_a_few_times_a_second() {
    let still = photo_nv12("photo-rocket.png", false);
    let gated = |steps: &[Step]| {
        let config = StreamConfig {
            change_gate: Some(ChangeGate::default()),
            ..config(Cadence::EveryFrame, 3)
        };
        let model = Scripted::new(steps);
        (StreamFilter::new(model.clone(), config).unwrap(), model)
    };
    // 60 frames at 30 fps (timestamps 33 ms apart) of one still picture.
    let run = |filter: &StreamFilter| {
        let mut frames: Vec<TestFrame> = std::iter::repeat_n(&still, 60).cloned().collect();
        let mut refs: Vec<&mut TestFrame> = frames.iter_mut().collect();
        run_frames(filter, &mut refs)
            .iter()
            .map(|v| v.action)
            .collect::<Vec<_>>()
    };
    // A false alarm on frame 0, then clean: while the blur waits for its 3 clean
    // classifications, the unchanged frames rest until the verdict is max_age / (3 + 1) =
    // 250 ms old, so frames 8, 16 and 24 (264, 528, 792 ms) are classified and the third
    // clears it, within max_age; then the scene rests for max_age (frame 55 is next).
    let (filter, model) = gated(&[Step::Sexy, Step::Clean]);
    let actions = run(&filter);
    assert_eq!(
        actions.iter().position(|&a| a == Action::Allow),
        Some(24),
        "{actions:?}"
    );
    assert!(actions[..24].iter().all(|&a| a == Action::Blur), "{actions:?}");
    assert!(actions[24..].iter().all(|&a| a == Action::Allow), "{actions:?}");
    assert_eq!((model.calls(), filter.counters().classified), (5, 5));
    // A still scene that stays flagged is re-checked every 250 ms of frame time (frames 0, 8,
    // …, 56), not on every frame, and stays blocked throughout.
    let (filter, model) = gated(&[Step::Porn]);
    assert!(run(&filter).iter().all(|&a| a == Action::Block));
    assert_eq!((model.calls(), filter.counters().reused), (8, 52));
}

#[test]
fn a_frame_that_cannot_be_hashed_fails_closed_and_is_counted() {
    let listed = photo_nv12("photo-chelsea-cat.png", false);
    let recorder = Arc::new(Recorder::default());
    let filter = StreamFilter::new(Scripted::new(&[Clean]), config(Cadence::EveryFrame, 1))
        .unwrap()
        .with_known_content(known_content_of(&listed))
        .with_listener(recorder.clone());
    // A YUV_420_888 frame whose Y samples are 2 bytes apart: PDQ needs a packed Y plane.
    let (w, h) = (8usize, 4usize);
    let mut y = vec![100u8; w * 2 * h];
    let mut u = vec![128u8; 4 * 2];
    let mut v = vec![128u8; 4 * 2];
    let plane = |data, row_stride, pixel_stride| PlaneMut {
        data,
        row_stride,
        pixel_stride,
    };
    let mut frame = FrameMut::yuv420_888(
        w as u32,
        h as u32,
        plane(&mut y, w * 2, 2),
        plane(&mut u, 4, 1),
        plane(&mut v, 4, 1),
    )
    .unwrap();
    assert_eq!(filter.process(&mut frame).action, Action::Block);
    let counters = filter.counters();
    assert_eq!((counters.errors, counters.hashed), (1, 1));
    assert_eq!(recorder.failures.lock().unwrap()[0].1, FailureKind::KnownContent);
}
