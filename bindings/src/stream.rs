//! The stream filter as a foreign object: cadence, hysteresis, fail-closed, a listener.
//!
//! Thin: [`StreamOptions`] converts to the core's `StreamConfig`, the records mirror the core's
//! `VerdictChange` / `StreamFailure` / `StreamCounters`, and [`ListenerBridge`] forwards the
//! core's listener calls to a foreign [`StreamListener`], catching a foreign exception (which
//! uniffi turns into a panic) so that it never breaks the stream.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use safeframe::policy::Action as CoreAction;
use safeframe::stream::{
    CadenceSetting, ChangeCause as CoreCause, FailureKind as CoreKind, StreamConfig, StreamCounters as CoreCounters,
    StreamFailure, StreamFilter, StreamListener as CoreListener, StreamSettings, VerdictChange as CoreChange,
};

use crate::error::{ErrorKind, SafeFrameError};
use crate::filter::{plane_views, SafeFrameFilter};
use crate::types::{Action, FilteredFrame, Frame, Verdict};

/// When a stream classifies frames (or hashes them against a blocklist); frames in between
/// get the verdict in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StreamCadence {
    /// Every frame.
    EveryFrame,
    /// Frames 0, k, 2k, … of the stream (`k` ≥ 1).
    EveryNth { k: i32 },
    /// A frame whose timestamp is at least `millis` after the last classified frame's (the
    /// first frame always). Frames without a timestamp use the time since the stream was made.
    MinIntervalMs { millis: i64 },
}

impl From<StreamCadence> for CadenceSetting {
    fn from(cadence: StreamCadence) -> Self {
        match cadence {
            StreamCadence::EveryFrame => Self::EveryFrame,
            StreamCadence::EveryNth { k } => Self::EveryNth(k.into()),
            StreamCadence::MinIntervalMs { millis } => Self::MinIntervalMs(millis),
        }
    }
}

/// How a [`SafeFrameStream`] behaves. Every field has a default: `StreamOptions()` in Kotlin,
/// `StreamOptions()` in Swift.
///
/// The change gate (on by default) compares each frame, tile by tile, with the last classified
/// one: a changed frame is classified at once whatever the cadence (in background mode it is
/// held redacted, see `hold`, until its verdict arrives); an unchanged frame reuses the verdict
/// in force, and the model rests, until that verdict is `max_age_ms` old in frame timestamps
/// (`max_age_ms / (clear_after + 1)` while a blur or block waits to clear).
/// Bad values are refused when the stream is made, as `InvalidArgument` naming the field
/// (`change_gate.threshold`, `change_gate.tiles`, `change_gate.max_age`, `hold`).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StreamOptions {
    /// When to classify; absent: every frame.
    #[uniffi(default = None)]
    pub cadence: Option<StreamCadence>,
    /// Consecutive clean (allow or warn) classifications needed to leave blur or block
    /// (default 3, at least 1): one hit enters, N clean ones leave, no flicker.
    #[uniffi(default = 3)]
    pub clear_after: i32,
    /// Run inference on a worker thread, on the newest sample, while frames keep flowing with
    /// the verdict in force (default false: inference on the calling thread). Until the first
    /// verdict exists, frames are blocked.
    #[uniffi(default = false)]
    pub background: bool,
    /// Pass frames the model could not classify instead of blocking them (default false:
    /// fail closed). Failures are counted and reported either way.
    #[uniffi(default = false)]
    pub fail_open: bool,
    /// When frames are hashed against the filter's blocklist, if it has one; absent: every
    /// frame. Hashing runs on the calling thread (a few ms per 1080p frame on a desktop core);
    /// phones may prefer `MinIntervalMs(200)`.
    #[uniffi(default = None)]
    pub hash_cadence: Option<StreamCadence>,
    /// Classify changed frames at once and let unchanged ones reuse the verdict in force
    /// (default true). False: classify on the cadence alone (frames in between get the verdict
    /// in force even when their content changed); the other `change_*` fields and
    /// `max_age_ms` are then ignored.
    #[uniffi(default = true)]
    pub change_gate: bool,
    /// The largest tile difference, 0 to 1, that still counts as unchanged (default 0.10,
    /// about 15 levels of 255; 0 counts every difference as a change).
    #[uniffi(default = 0.10)]
    pub change_threshold: f32,
    /// Tiles per side of the grid frames are compared on (default 4; 1 to 16).
    #[uniffi(default = 4)]
    pub change_tiles: i32,
    /// The longest, in milliseconds of frame timestamps, an unchanged scene reuses a verdict
    /// (default 1000; more than 0). Then a classification is due at the cadence's next frame.
    #[uniffi(default = 1000)]
    pub max_age_ms: i64,
    /// What a changed frame gets while its verdict is pending in background mode: `Blur` or
    /// `Block`; absent: `Blur`. A stricter verdict in force wins.
    #[uniffi(default = None)]
    pub hold: Option<Action>,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self {
            cadence: None,
            clear_after: 3,
            background: false,
            fail_open: false,
            hash_cadence: None,
            change_gate: true,
            change_threshold: 0.10,
            change_tiles: 4,
            max_age_ms: 1000,
            hold: None,
        }
    }
}

impl StreamOptions {
    /// The core's configuration: every check is the core's ([`StreamSettings::to_config`]).
    fn to_core(&self, filter: &SafeFrameFilter) -> Result<StreamConfig, SafeFrameError> {
        let settings = StreamSettings {
            cadence: self.cadence.map_or(CadenceSetting::EveryFrame, Into::into),
            clear_after: self.clear_after.into(),
            background: self.background,
            fail_open: self.fail_open,
            hash_cadence: self.hash_cadence.map_or(CadenceSetting::EveryFrame, Into::into),
            change_gate: self.change_gate,
            change_threshold: self.change_threshold,
            change_tiles: self.change_tiles.into(),
            max_age_ms: self.max_age_ms,
            hold: self.hold.map_or(StreamSettings::default().hold, CoreAction::from),
        };
        Ok(settings.to_config(filter.core().policy().clone())?)
    }
}

/// Counters of a stream since it was made. Never pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, uniffi::Record)]
pub struct StreamCounters {
    /// Frames processed.
    pub frames: i64,
    /// Classifications whose scores were used.
    pub classified: i64,
    /// Frames blurred.
    pub blurred: i64,
    /// Frames blocked (by verdict, failure or warm-up).
    pub blocked: i64,
    /// Failures: inference errors, a dead worker, a missing model, a frame that could not be
    /// hashed.
    pub errors: i64,
    /// Background samples replaced by a newer one before the worker took them.
    pub samples_dropped: i64,
    /// Frames hashed against the blocklist.
    pub hashed: i64,
    /// Hash checks that matched a blocklist entry.
    pub known_matches: i64,
    /// Runs of the second-opinion model (0 without one).
    #[uniffi(default = 0)]
    pub second_opinions: i64,
    /// Frames released redacted (held, or blocked during background warm-up) while the verdict
    /// for their changed content was pending.
    #[uniffi(default = 0)]
    pub held: i64,
    /// Frames that reused the verdict in force because they did not change (the model did not
    /// run for them).
    #[uniffi(default = 0)]
    pub reused: i64,
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl From<CoreCounters> for StreamCounters {
    fn from(c: CoreCounters) -> Self {
        Self {
            frames: count(c.frames),
            classified: count(c.classified),
            blurred: count(c.blurred),
            blocked: count(c.blocked),
            errors: count(c.errors),
            samples_dropped: count(c.samples_dropped),
            hashed: count(c.hashed),
            known_matches: count(c.known_matches),
            second_opinions: count(c.second_opinions),
            held: count(c.held),
            reused: count(c.reused),
        }
    }
}

/// Why the verdict in force changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ChangeCause {
    /// A classification (or, on the first frames in background mode, its absence).
    Classification,
    /// A failure while failing closed (or open).
    Failure,
    /// A blocklist match.
    KnownContent,
    /// A changed frame held redacted until its verdict arrives (background mode).
    Held,
}

impl From<CoreCause> for ChangeCause {
    fn from(cause: CoreCause) -> Self {
        match cause {
            CoreCause::Classification => Self::Classification,
            CoreCause::Failure => Self::Failure,
            CoreCause::KnownContent => Self::KnownContent,
            CoreCause::Held => Self::Held,
        }
    }
}

/// A change of the action applied to a stream's frames.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VerdictChange {
    /// Index (0-based) of the first frame the new verdict applies to.
    pub frame_index: i64,
    /// That frame's timestamp, if it had one.
    pub timestamp_nanos: Option<i64>,
    /// The action applied to the frame before; absent for the stream's first frame.
    pub previous: Option<Action>,
    /// The verdict now applied.
    pub verdict: Verdict,
    /// What caused the change.
    pub cause: ChangeCause,
    /// The counters after this frame.
    pub counters: StreamCounters,
}

impl From<&CoreChange> for VerdictChange {
    fn from(c: &CoreChange) -> Self {
        Self {
            frame_index: count(c.frame_index),
            timestamp_nanos: c.timestamp_ns,
            previous: c.previous.map(Action::from),
            verdict: c.verdict.into(),
            cause: c.cause.into(),
            counters: c.counters.into(),
        }
    }
}

/// What failed in a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FailureKind {
    /// The frame could not be sampled, or the model returned an error or bad scores.
    Inference,
    /// The background worker thread stopped.
    WorkerStopped,
    /// No model could be loaded.
    ModelUnavailable,
    /// A frame could not be hashed for blocklist matching.
    KnownContent,
}

impl From<CoreKind> for FailureKind {
    fn from(kind: CoreKind) -> Self {
        match kind {
            CoreKind::Inference => Self::Inference,
            CoreKind::WorkerStopped => Self::WorkerStopped,
            CoreKind::ModelUnavailable => Self::ModelUnavailable,
            CoreKind::KnownContent => Self::KnownContent,
        }
    }
}

/// A failure in a stream; the frames it affects are blocked unless the stream fails open.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct StreamFailureInfo {
    /// Index of the frame being processed when the failure was seen.
    pub frame_index: i64,
    /// What failed.
    pub kind: FailureKind,
    /// The error, as `SafeFrameException` would carry it (its case name, a colon, the text).
    pub message: String,
    /// The error's kind (the case of `SafeFrameException` / `SafeFrameError` it would be).
    pub error_kind: ErrorKind,
    /// The counters, with this failure counted.
    pub counters: StreamCounters,
}

/// Receives a stream's verdict changes and failures (never pixels).
///
/// **Threading:** called synchronously on the thread that calls
/// `SafeFrameStream.processFrame` or `processFrameInPlace`, during that call and while
/// the stream is locked — also in background mode (the worker's results are picked up by the
/// next frame's call). Keep it short (post to your UI thread), and never call back into the
/// same stream from it (that would deadlock). An exception thrown by the listener is caught and
/// logged; it does not reach the stream or the caller.
///
/// ```kotlin
/// val listener = object : StreamListener {
///     override fun onVerdictChange(change: VerdictChange) { log("frame ${change.frameIndex}: ${change.verdict.action}") }
///     override fun onFailure(failure: StreamFailureInfo) { log(failure.message) }
/// }
/// ```
#[uniffi::export(with_foreign)]
pub trait StreamListener: Send + Sync {
    /// The action applied to frames changed.
    fn on_verdict_change(&self, change: VerdictChange);
    /// Something failed (the frames it affects are blocked unless the stream fails open).
    fn on_failure(&self, failure: StreamFailureInfo);
}

/// Forwards the core's listener calls to a foreign listener, containing its exceptions.
struct ListenerBridge(Arc<dyn StreamListener>);

impl ListenerBridge {
    fn call(&self, what: &str, body: impl FnOnce()) {
        if catch_unwind(AssertUnwindSafe(body)).is_err() {
            log::warn!("the stream listener's {what} threw; ignored");
        }
    }
}

impl CoreListener for ListenerBridge {
    fn on_verdict_change(&self, change: &CoreChange) {
        let change = VerdictChange::from(change);
        self.call("onVerdictChange", || self.0.on_verdict_change(change));
    }

    fn on_failure(&self, failure: &StreamFailure<'_>) {
        let error = SafeFrameError::from(failure.error);
        let info = StreamFailureInfo {
            frame_index: count(failure.frame_index),
            kind: failure.kind.into(),
            message: format!("{}: {error}", error.kind()),
            error_kind: error.kind(),
            counters: failure.counters.into(),
        };
        self.call("onFailure", || self.0.on_failure(info));
    }
}

/// A stream filter for live video: classifies frames on a cadence, keeps the verdict with
/// hysteresis, redacts frames, fails closed, reports changes to a [`StreamListener`].
///
/// Made from a [`SafeFrameFilter`], whose loaded models (its second opinion too), policy and
/// blocklist it shares (the filter may be closed afterwards; the stream keeps the models alive). Thread-safe; frames are
/// processed one at a time in call order. `processFrame` copies the frame across the boundary;
/// for camera frames use the zero-copy `processFrameInPlace` overloads on this same type
/// (Kotlin: direct `ByteBuffer`s; Swift: buffer pointers or a `CVPixelBuffer`; C:
/// `safeframe_stream_process_frame_in_place`).
///
/// ```kotlin
/// SafeFrameStream(filter, StreamOptions(cadence = StreamCadence.EveryNth(3)), listener).use { stream ->
///     val frame = Frame(width, height, PixelFormat.RGBA8, listOf(FramePlane(width * 4)), timestampNs = nanos)
///     val out = stream.processFrame(frame, listOf(rgba))
///     show(out.planes[0])   // blurred or blocked when out.verdict says so
/// }
/// ```
#[derive(Debug, uniffi::Object)]
pub struct SafeFrameStream {
    inner: Arc<StreamFilter>,
    /// This object's number in the zero-copy paths' handle table, for its whole life.
    handle: i64,
}

impl Drop for SafeFrameStream {
    fn drop(&mut self) {
        // Closing the object closes its zero-copy paths too; an already removed handle is fine.
        let _ = crate::handles::STREAMS.take(self.handle);
    }
}

#[uniffi::export]
impl SafeFrameStream {
    /// A stream on `filter`'s models and policy with `options`, reporting to `listener` if
    /// given. With a second opinion the stream runs it as the filter does, on the frames it
    /// classifies whose verdict its answer could change (counted in `secondOpinions`).
    #[uniffi::constructor(default(listener = None))]
    pub fn new(
        filter: Arc<SafeFrameFilter>,
        options: StreamOptions,
        listener: Option<Arc<dyn StreamListener>>,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let config = options.to_core(&filter)?;
        let model = Arc::clone(filter.core().shared_classifier());
        let second = filter.core().second_opinion().cloned();
        let mut stream = StreamFilter::cascade(model, second, config)?;
        if let Some(known) = filter.known_content() {
            stream = stream.with_known_content(known);
        }
        if let Some(listener) = listener {
            stream = stream.with_listener(Arc::new(ListenerBridge(listener)));
        }
        let inner = Arc::new(stream);
        let handle = crate::handles::STREAMS.register(Arc::clone(&inner));
        Ok(Arc::new(Self { inner, handle }))
    }

    /// Processes one frame (copied in, copied back out): classifies it if the cadence and the
    /// change gate say so and returns its planes with the verdict in force applied (blurred or
    /// blocked), plus that verdict. `frame.timestampNs` drives `MinIntervalMs` cadences and the
    /// gate's `maxAgeMs`. For camera frames without the copy use the zero-copy
    /// `processFrameInPlace` overloads.
    ///
    /// Never fails on a model error: the stream counts it, tells the listener and blocks the
    /// frame (unless it fails open). Throws only for a malformed frame.
    pub fn process_frame(&self, frame: Frame, mut planes: Vec<Vec<u8>>) -> Result<FilteredFrame, SafeFrameError> {
        let description = frame.description()?;
        let mut frame = description.frame_mut(plane_views(&mut planes))?;
        let verdict = self.inner.process(&mut frame).into();
        Ok(FilteredFrame { verdict, planes })
    }

    /// The counters so far.
    pub fn counters(&self) -> StreamCounters {
        self.inner.counters().into()
    }

    /// This stream's number for the zero-copy paths (JNI, the C ABI's
    /// `safeframe_stream_from_handle`): the same for the object's whole life, and unknown (an
    /// `InvalidArgument` error) once the object is closed.
    pub fn direct_handle(&self) -> i64 {
        self.handle
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::tests::{oracle as filter, rgb};

    /// A packed RGB8 frame at `timestamp_ns`.
    fn rgb_at(width: i32, height: i32, timestamp_ns: Option<i64>) -> Frame {
        Frame {
            timestamp_ns,
            ..rgb(width, height)
        }
    }
    use crate::types::Category;
    use std::sync::Mutex;

    struct Recorder(Mutex<Vec<VerdictChange>>);

    impl StreamListener for Recorder {
        fn on_verdict_change(&self, change: VerdictChange) {
            self.0.lock().unwrap().push(change);
        }
        fn on_failure(&self, _failure: StreamFailureInfo) {}
    }

    struct Thrower;

    impl StreamListener for Thrower {
        fn on_verdict_change(&self, _change: VerdictChange) {
            panic!("listener bug");
        }
        fn on_failure(&self, _failure: StreamFailureInfo) {}
    }

    fn frame(rgb: [u8; 3]) -> Vec<u8> {
        rgb.repeat(8 * 6)
    }

    /// A 64×48 RGB frame: grey, with the top-left quadrant (what the oracle scores) in `top_left`.
    fn quadrant_frame(top_left: [u8; 3]) -> Vec<u8> {
        let (w, h) = (64, 48);
        (0..w * h)
            .flat_map(|i| {
                if i % w < w / 2 && i / w < h / 2 {
                    top_left
                } else {
                    [128; 3]
                }
            })
            .collect()
    }

    /// The frame timestamps of a 30 fps stream.
    fn at_30fps(i: usize) -> Option<i64> {
        Some(i as i64 * 1_000_000_000 / 30)
    }

    #[test]
    fn reports_changes_with_hysteresis_and_counts() {
        let recorder = Arc::new(Recorder(Mutex::new(Vec::new())));
        let options = StreamOptions {
            clear_after: 2,
            // The test counts classifications of repeated grey frames: the change gate would
            // let them reuse the verdict in force instead.
            change_gate: false,
            ..StreamOptions::default()
        };
        let stream = SafeFrameStream::new(filter(), options, Some(recorder.clone())).unwrap();
        let grey = frame([128, 128, 128]);
        let red = frame([255, 0, 0]);
        let mut actions = Vec::new();
        for (i, pixels) in [&grey, &red, &grey, &grey, &grey].into_iter().enumerate() {
            let out = stream
                .process_frame(rgb_at(8, 6, Some(i as i64 * 1000)), vec![pixels.clone()])
                .unwrap();
            actions.push(out.verdict.action);
        }
        use Action::*;
        assert_eq!(actions, [Allow, Block, Block, Allow, Allow]);
        let changes = recorder.0.lock().unwrap();
        let seen: Vec<_> = changes
            .iter()
            .map(|c| (c.frame_index, c.previous, c.verdict.action))
            .collect();
        assert_eq!(
            seen,
            [(0, None, Allow), (1, Some(Allow), Block), (3, Some(Block), Allow)]
        );
        assert_eq!(changes[1].timestamp_nanos, Some(1000));
        assert_eq!(stream.counters().frames, 5);
        assert_eq!(stream.counters().blocked, 2);
    }

    #[test]
    fn a_stream_from_a_cascade_runs_and_counts_the_second_opinion() {
        let stream =
            SafeFrameStream::new(crate::filter::tests::oracle_cascade(), StreamOptions::default(), None).unwrap();
        let process = |rgb| {
            stream
                .process_frame(rgb_at(8, 6, None), vec![frame(rgb)])
                .unwrap()
                .verdict
        };
        let grey = process([128, 128, 128]);
        assert_eq!((grey.action, grey.second_scores), (Action::Allow, None));
        assert_eq!(stream.counters().second_opinions, 0);
        let red = process([255, 0, 0]);
        assert_eq!((red.action, red.rule), (Action::Block, Some(1)));
        assert!(red.second_scores.is_some());
        let dark_red = process([170, 0, 0]);
        assert_eq!(dark_red.action, Action::Block, "hysteresis holds the block");
        let counters = stream.counters();
        assert_eq!((counters.frames, counters.second_opinions), (3, 2));
    }

    #[test]
    fn a_throwing_listener_does_not_break_the_stream() {
        let stream = SafeFrameStream::new(filter(), StreamOptions::default(), Some(Arc::new(Thrower))).unwrap();
        let out = stream
            .process_frame(rgb_at(8, 6, None), vec![frame([255, 0, 0])])
            .unwrap();
        assert_eq!(out.verdict.action, Action::Block);
        assert!(out.planes[0].iter().all(|&b| b == 0));
        assert_eq!(stream.counters().frames, 1);
    }

    #[test]
    fn default_options_are_the_cores_defaults() {
        let filter = filter();
        let config = StreamOptions::default().to_core(&filter).unwrap();
        let core = StreamConfig {
            policy: filter.core().policy().clone(),
            ..StreamConfig::default()
        };
        assert_eq!(config, core);
    }

    #[test]
    fn bad_change_gate_options_are_invalid_arguments_naming_the_field() {
        /// Sets one bad value.
        type Spoil = fn(&mut StreamOptions);
        let bad: [(&str, Spoil); 10] = [
            ("change_gate.threshold", |o| o.change_threshold = -0.1),
            ("change_gate.threshold", |o| o.change_threshold = 1.5),
            ("change_gate.threshold", |o| o.change_threshold = f32::NAN),
            ("change_gate.tiles", |o| o.change_tiles = 0),
            ("change_gate.tiles", |o| o.change_tiles = -4),
            ("change_gate.tiles", |o| o.change_tiles = 17),
            ("change_gate.max_age", |o| o.max_age_ms = 0),
            ("change_gate.max_age", |o| o.max_age_ms = -1000),
            ("hold", |o| o.hold = Some(Action::Allow)),
            ("hold", |o| o.hold = Some(Action::Warn)),
        ];
        for (field, spoil) in bad {
            let mut options = StreamOptions::default();
            spoil(&mut options);
            match SafeFrameStream::new(filter(), options.clone(), None) {
                Err(SafeFrameError::InvalidArgument(message)) => {
                    assert!(message.contains(&format!("`{field}`")), "{options:?}: {message}")
                }
                other => panic!("{options:?}: {other:?}"),
            }
        }
        // Without the gate its settings are not used, so not checked.
        let off = StreamOptions {
            change_gate: false,
            change_tiles: 0,
            ..StreamOptions::default()
        };
        assert!(SafeFrameStream::new(filter(), off, None).is_ok());
    }

    #[test]
    fn a_static_scene_rests_the_model_and_counts_reused_frames() {
        let stream = SafeFrameStream::new(filter(), StreamOptions::default(), None).unwrap();
        let grey = quadrant_frame([128; 3]);
        for i in 0..60 {
            let out = stream
                .process_frame(rgb_at(64, 48, at_30fps(i)), vec![grey.clone()])
                .unwrap();
            assert_eq!(out.verdict.action, Action::Allow, "frame {i}");
        }
        let c = stream.counters();
        // Two seconds of one scene: classified on frame 0 and on frame 30, when the verdict in
        // force is 1 s old.
        assert_eq!(c.classified, 2, "{c:?}");
        assert_eq!(c.reused, c.frames - c.classified, "{c:?}");
        assert_eq!((c.frames, c.held), (60, 0));
    }

    #[test]
    fn a_cut_is_classified_and_redacted_on_its_own_frame_whatever_the_cadence() {
        let options = StreamOptions {
            cadence: Some(StreamCadence::EveryNth { k: 10 }),
            ..StreamOptions::default()
        };
        let stream = SafeFrameStream::new(filter(), options, None).unwrap();
        let grey = quadrant_frame([128; 3]);
        for i in 0..5 {
            let out = stream
                .process_frame(rgb_at(64, 48, at_30fps(i)), vec![grey.clone()])
                .unwrap();
            assert_eq!(out.verdict.action, Action::Allow, "frame {i}");
        }
        // Frame 5 is not on the cadence (0, 10, …), but it changed: classified now, blocked.
        let out = stream
            .process_frame(rgb_at(64, 48, at_30fps(5)), vec![quadrant_frame([255, 0, 0])])
            .unwrap();
        assert_eq!(
            (out.verdict.action, out.verdict.category),
            (Action::Block, Some(Category::Porn))
        );
        assert!(out.planes[0].iter().all(|&b| b == 0), "the cut was released unredacted");
        let c = stream.counters();
        assert_eq!((c.frames, c.classified, c.reused, c.blocked), (6, 2, 4, 1));
    }

    #[test]
    fn without_the_gate_frames_between_classifications_get_the_verdict_in_force() {
        let options = StreamOptions {
            cadence: Some(StreamCadence::EveryNth { k: 10 }),
            change_gate: false,
            ..StreamOptions::default()
        };
        let stream = SafeFrameStream::new(filter(), options, None).unwrap();
        let grey = quadrant_frame([128; 3]);
        let red = quadrant_frame([255, 0, 0]);
        let mut actions = Vec::new();
        for i in 0..12 {
            let pixels = if i < 5 { grey.clone() } else { red.clone() };
            let out = stream
                .process_frame(rgb_at(64, 48, at_30fps(i)), vec![pixels.clone()])
                .unwrap();
            if out.verdict.action == Action::Allow {
                assert_eq!(out.planes[0], pixels, "frame {i}");
            }
            actions.push(out.verdict.action);
        }
        use Action::*;
        // Classified on frames 0 and 10 only, as before the gate existed.
        assert_eq!(actions, [[Allow; 10].as_slice(), &[Block; 2]].concat());
        let c = stream.counters();
        assert_eq!((c.frames, c.classified, c.reused, c.held), (12, 2, 0, 0));
    }

    #[test]
    fn a_changed_frame_is_held_as_chosen_while_its_background_verdict_is_pending() {
        for (hold, want) in [(None, Action::Blur), (Some(Action::Block), Action::Block)] {
            let options = StreamOptions {
                background: true,
                hold,
                ..StreamOptions::default()
            };
            let stream = SafeFrameStream::new(filter(), options, None).unwrap();
            let grey = quadrant_frame([128; 3]);
            // Warm up until the worker's verdict for the grey scene is in force.
            let mut i = 0;
            while stream
                .process_frame(rgb_at(64, 48, at_30fps(i)), vec![grey.clone()])
                .unwrap()
                .verdict
                .action
                != Action::Allow
            {
                assert!(i < 500, "no verdict from the worker");
                std::thread::sleep(std::time::Duration::from_millis(10));
                i += 1;
            }
            // A cut to a blue quadrant (allowed content): held until its own verdict arrives.
            let held_before = stream.counters().held;
            let out = stream
                .process_frame(rgb_at(64, 48, at_30fps(i + 1)), vec![quadrant_frame([0, 0, 255])])
                .unwrap();
            assert_eq!(out.verdict.action, want, "hold {hold:?}");
            assert_eq!(stream.counters().held, held_before + 1);
        }
    }

    #[test]
    fn bad_options_are_invalid_arguments() {
        let bad = [
            StreamOptions {
                clear_after: 0,
                ..StreamOptions::default()
            },
            StreamOptions {
                cadence: Some(StreamCadence::EveryNth { k: 0 }),
                ..StreamOptions::default()
            },
            StreamOptions {
                hash_cadence: Some(StreamCadence::MinIntervalMs { millis: -1 }),
                ..StreamOptions::default()
            },
        ];
        for (options, field) in bad.into_iter().zip(["clear_after", "cadence", "hash_cadence"]) {
            let result = SafeFrameStream::new(filter(), options, None);
            assert!(
                matches!(&result, Err(SafeFrameError::InvalidArgument(m)) if m.contains(field)),
                "{result:?}"
            );
        }
        // The foreign defaults are the core's.
        let defaults = StreamOptions::default().to_core(&filter()).unwrap();
        assert_eq!(
            defaults,
            StreamConfig {
                policy: filter().core().policy().clone(),
                ..StreamConfig::default()
            }
        );
    }
}
