//! `StreamFilter`: the whole chain for live video, one frame at a time.
//!
//! ```text
//! process(frame) ─▶ cadence: classify now? ─yes─▶ Sampler ─▶ model (inline, or on the worker)
//!        │                                                       │ scores / failure
//!        ▼                                                       ▼
//!   Redactor (in place) ◀── verdict in force ◀── hysteresis ◀── Policy
//! ```
//!
//! - **Change gate** ([`ChangeGate`], on by default): each frame is compared, tile by tile,
//!   with the last classified frame. A *changed* frame is never released under an older
//!   verdict: inline it is classified at once, in background mode it is **held** redacted
//!   ([`StreamConfig::hold`]) until a verdict for it or a later frame arrives. An *unchanged*
//!   frame reuses the verdict in force, and the model rests, until that verdict is
//!   [`ChangeGate::max_age`] old in frame timestamps; while a blur or block is waiting for
//!   its `clear_after` clean classifications, until `max_age / (clear_after + 1)` old (250 ms
//!   by default), so a false alarm or a failure on a still scene clears within about
//!   `max_age`, and a scene that stays flagged is not re-checked on every frame.
//! - **Cadence**: classify every frame, every k-th frame, or when at least t of the frames'
//!   own timestamps have passed; frames in between get the verdict in force. With the gate,
//!   the cadence only spaces out the classifications of *unchanged* content (once it is
//!   `max_age` old); changed content is checked at once.
//! - **Hysteresis**: one hit enters blur/block; leaving needs N consecutive clean
//!   classifications (see [`StreamConfig::clear_after`]).
//! - **Background mode**: the calling thread only samples the frame into the small model
//!   tensor; a worker thread runs the model on the newest sample while frames keep flowing
//!   with the verdict in force (held, when they changed). Until the first verdict exists,
//!   frames are blocked.
//! - **Fail closed**: an inference error, a worker that died, or a model that could not be
//!   loaded blocks frames (and the hysteresis rule decides when they clear) unless the
//!   caller chose [`OnError::FailOpen`]. Every such event is counted and reported.
//! - **Second opinion** ([`StreamFilter::cascade`]): when the primary's scores leave the
//!   verdict open ([`Policy::needs_second_opinion`]), the second model runs on the same frame
//!   (inline: at once; background: the next frame, and every frame while the scene keeps
//!   needing it, is sampled for both models and the worker runs both). Until its answer
//!   arrives the frame gets the pending verdict ([`Policy::evaluate_pending`]): it stays
//!   redacted.
//! - **Known content**: with a blocklist ([`StreamFilter::with_known_content`]) frames are
//!   also PDQ-hashed, on the calling thread at their own cadence
//!   ([`StreamConfig::hash_cadence`]) and whenever the gate sees a change; a match blocks at once, whatever the classifier says,
//!   and holds until a later hash check finds no match (then `clear_after` applies).
//! - **Listener**: verdict changes and failures, with the counters; never pixels.
//!
//! `StreamFilter` is `Send + Sync`; calls to [`StreamFilter::process`] are serialised on an
//! internal lock. In steady state it allocates nothing per frame.

mod config;
mod events;
mod gate;
mod hysteresis;
mod worker;

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::classifier::{Classifier, ClassifierOptions};
use crate::error::{Result, SafeFrameError};
use crate::filter::OnError;
use crate::frame::FrameMut;
use crate::known::KnownContent;
use crate::policy::{Action, Policy, Verdict};
use crate::redactor::Redactor;
use crate::sampler::Sampler;
use crate::scores::{LabelScores, Scores};
use crate::second_opinion::SecondOpinion;
pub use config::{Cadence, CadenceSetting, Mode, StreamConfig, StreamSettings};
pub use events::{ChangeCause, FailureKind, StreamCounters, StreamFailure, StreamListener, VerdictChange};
pub use gate::{ChangeGate, Thumbnail, MAX_TILES};
use hysteresis::Hysteresis;
use worker::Worker;

/// What a [`StreamFilter`] needs from a model: how to sample frames for it, and inference on a
/// sampled tensor. [`Classifier`] implements it; tests implement it to inject faults.
pub trait FrameModel: Send + Sync {
    /// The sampler that prepares this model's input.
    fn sampler(&self) -> &Sampler;
    /// Runs the model on a tensor of [`Sampler::tensor_len`] values.
    fn infer(&self, tensor: &[f32]) -> Result<Scores>;
}

impl FrameModel for Classifier {
    fn sampler(&self) -> &Sampler {
        Classifier::sampler(self)
    }

    fn infer(&self, tensor: &[f32]) -> Result<Scores> {
        self.classify_tensor(tensor)
    }
}

/// One classification: the primary scores and, if it ran, the second opinion.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Classified {
    scores: Scores,
    second: Option<LabelScores>,
    /// The second model's answer could change the verdict but the frame was not sampled for it.
    second_pending: bool,
}

impl Classified {
    /// Runs the second model on `tensor` (the same frame sampled for it) when the policy says
    /// its answer could change the verdict; without a tensor the second opinion is pending.
    pub(crate) fn cascade(
        scores: Scores,
        second: Option<&SecondOpinion>,
        policy: &Policy,
        tensor: Option<&[f32]>,
    ) -> Result<Self> {
        let plain = Self {
            scores,
            second: None,
            second_pending: false,
        };
        match second {
            Some(model) if policy.needs_second_opinion(&scores) => match tensor {
                Some(tensor) => Ok(Self {
                    second: Some(model.infer(tensor)?),
                    ..plain
                }),
                None => Ok(Self {
                    second_pending: true,
                    ..plain
                }),
            },
            _ => Ok(plain),
        }
    }

    fn verdict(&self, policy: &Policy, second: Option<&SecondOpinion>) -> Verdict {
        match (second, self.second) {
            _ if self.second_pending => policy.evaluate_pending(&self.scores),
            (Some(model), Some(opinion)) => policy.evaluate_models(&self.scores, Some(model.scores(opinion))),
            _ => policy.evaluate(&self.scores),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    frames: AtomicU64,
    classified: AtomicU64,
    second_opinions: AtomicU64,
    held: AtomicU64,
    reused: AtomicU64,
    blurred: AtomicU64,
    blocked: AtomicU64,
    errors: AtomicU64,
    samples_dropped: AtomicU64,
    hashed: AtomicU64,
    known_matches: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> StreamCounters {
        StreamCounters {
            frames: self.frames.load(Ordering::Relaxed),
            classified: self.classified.load(Ordering::Relaxed),
            second_opinions: self.second_opinions.load(Ordering::Relaxed),
            held: self.held.load(Ordering::Relaxed),
            reused: self.reused.load(Ordering::Relaxed),
            blurred: self.blurred.load(Ordering::Relaxed),
            blocked: self.blocked.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            samples_dropped: self.samples_dropped.load(Ordering::Relaxed),
            hashed: self.hashed.load(Ordering::Relaxed),
            known_matches: self.known_matches.load(Ordering::Relaxed),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The change gate's and the cadence's answer for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Look {
    /// The frame differs from the last classified frame: classify it now.
    Changed,
    /// Unchanged (or no gate), but a classification is due by the cadence and age.
    Classify,
    /// Unchanged: reuse the verdict in force.
    Reuse,
    /// No gate, and the cadence says not yet.
    Wait,
}

/// Whether at least `span` passed from `last` to `now` (frame timestamps in nanoseconds); true
/// when nothing was classified yet, and when the clock went backwards (the span starts again).
fn elapsed_at_least(last: Option<i64>, now: i64, span: Duration) -> bool {
    let span = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
    match last {
        None => true,
        Some(last) => now < last || now.saturating_sub(last) >= span,
    }
}

/// State that changes with every frame.
#[derive(Debug)]
struct State {
    next_index: u64,
    last_classified_ns: Option<i64>,
    last_hashed_ns: Option<i64>,
    hysteresis: Hysteresis,
    tensor: Vec<f32>,
    /// The frame sampled for the second model (empty without one).
    second_tensor: Vec<f32>,
    /// A classification left the second opinion pending: sample the next frame for both.
    second_due: bool,
    /// The last classification needed the second opinion (pending or given): frames handed to
    /// the worker are sampled for both models while it does, so a scene that keeps needing it
    /// gets it on every classification, not on every other one with a pending verdict between.
    second_wanted: bool,
    /// The thumbnail of the frame being processed, and of the last classified frame (the
    /// change gate's reference; its source is empty until a frame was classified).
    thumbnail: Thumbnail,
    reference: Thumbnail,
    /// Number of samples handed to the worker; each one's number identifies its outcome.
    submitted: u64,
    /// The number of the sample of a changed frame whose verdict has not arrived yet (a
    /// later sample's verdict counts too): frames are held until it has.
    awaiting: Option<u64>,
    redactor: Redactor,
    last_action: Option<Action>,
    outcome_seen: u64,
    worker_reported: bool,
    unavailable_reported: bool,
}

/// Filters a stream of frames in place: classifies on a cadence, keeps a verdict with
/// hysteresis, redacts, fails closed. See the [module documentation](self).
///
/// ```no_run
/// use safeframe::classifier::{Classifier, ClassifierOptions};
/// use safeframe::frame::{FrameMut, PixelFormat};
/// use safeframe::stream::{StreamConfig, StreamFilter};
/// let classifier = Classifier::from_dir("models/nsfwjs-mobilenetv2-fp32", &ClassifierOptions::default())?;
/// let filter = StreamFilter::with_classifier(classifier, StreamConfig::default())?;
/// let mut nv21 = vec![16u8; PixelFormat::Nv21.packed_len(1280, 720).unwrap()];
/// let mut frame = FrameMut::packed(&mut nv21, 1280, 720, PixelFormat::Nv21)?.with_timestamp_ns(0);
/// let verdict = filter.process(&mut frame);
/// println!("{} ({:?})", verdict.action, filter.counters());
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
pub struct StreamFilter {
    model: Option<Arc<dyn FrameModel>>,
    second: Option<Arc<SecondOpinion>>,
    unavailable: Option<SafeFrameError>,
    config: StreamConfig,
    listener: Option<Arc<dyn StreamListener>>,
    known: Option<KnownContent>,
    worker: Option<Worker>,
    counters: Counters,
    /// When the filter was made: the clock of frames without a timestamp. `None` where the
    /// platform has no clock (wasm32-unknown-unknown, whose `Instant::now` panics): frames
    /// there need a timestamp (the web build always passes one), else they count as time 0.
    started: Option<Instant>,
    state: Mutex<State>,
}

impl std::fmt::Debug for StreamFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamFilter")
            .field("config", &self.config)
            .field("available", &self.model.is_some())
            .field("counters", &self.counters.snapshot())
            .finish()
    }
}

impl StreamFilter {
    /// A filter around any [`FrameModel`]. Fails only on a bad configuration or when the
    /// background thread cannot be started.
    pub fn new(model: Arc<dyn FrameModel>, config: StreamConfig) -> Result<Self> {
        Self::cascade(model, None, config)
    }

    /// A filter around a primary model with an optional second opinion (see the module
    /// documentation). The policy is checked against the second model's labels here. Fails
    /// only on a bad configuration or when the background thread cannot be started.
    pub fn cascade(
        model: Arc<dyn FrameModel>,
        second: Option<Arc<SecondOpinion>>,
        config: StreamConfig,
    ) -> Result<Self> {
        config.validate()?;
        config
            .policy
            .check_models(second.as_deref().map(SecondOpinion::manifest))?;
        let tensor_len = model.sampler().tensor_len();
        let worker = match config.mode {
            Mode::Background => Some(Worker::start(
                Arc::clone(&model),
                second.clone(),
                config.policy.clone(),
                tensor_len,
            )?),
            Mode::Inline => None,
        };
        let mut filter = Self::build(Some(model), None, config, worker, tensor_len);
        if let Some(second) = &second {
            let state = filter.state.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
            state.second_tensor = vec![0.0; second.sampler().tensor_len()];
        }
        filter.second = second;
        Ok(filter)
    }

    /// A filter around a loaded [`Classifier`].
    pub fn with_classifier(classifier: Classifier, config: StreamConfig) -> Result<Self> {
        Self::new(Arc::new(classifier), config)
    }

    /// Loads a model pack for a filter. If the model cannot be loaded the filter still works:
    /// it blocks every frame (or, failing open, passes them) and reports the load error as a
    /// [`FailureKind::ModelUnavailable`] failure; [`StreamFilter::unavailable_reason`] tells
    /// why. Fails only on a bad configuration.
    pub fn from_dir(dir: impl AsRef<Path>, options: &ClassifierOptions, config: StreamConfig) -> Result<Self> {
        match Classifier::from_dir(dir, options) {
            Ok(classifier) => Self::with_classifier(classifier, config),
            Err(error) => Self::unavailable(error, config),
        }
    }

    /// A filter without a model, because loading it failed with `error`: see
    /// [`StreamFilter::from_dir`].
    pub fn unavailable(error: SafeFrameError, config: StreamConfig) -> Result<Self> {
        config.validate()?;
        log::warn!("stream filter has no model: {error}");
        Ok(Self::build(None, Some(error), config, None, 0))
    }

    fn build(
        model: Option<Arc<dyn FrameModel>>,
        unavailable: Option<SafeFrameError>,
        config: StreamConfig,
        worker: Option<Worker>,
        tensor_len: usize,
    ) -> Self {
        let hysteresis = Hysteresis::new(config.clear_after, config.on_error == OnError::FailOpen);
        Self {
            model,
            second: None,
            unavailable,
            listener: None,
            known: None,
            worker,
            counters: Counters::default(),
            started: (!cfg!(all(target_arch = "wasm32", target_os = "unknown"))).then(Instant::now),
            state: Mutex::new(State {
                next_index: 0,
                last_classified_ns: None,
                last_hashed_ns: None,
                hysteresis,
                tensor: vec![0.0; tensor_len],
                second_tensor: Vec::new(),
                second_due: false,
                second_wanted: false,
                thumbnail: Thumbnail::new(),
                reference: Thumbnail::new(),
                submitted: 0,
                awaiting: None,
                redactor: Redactor::new(),
                last_action: None,
                outcome_seen: 0,
                worker_reported: false,
                unavailable_reported: false,
            }),
            config,
        }
    }

    /// The filter with a listener for verdict changes and failures.
    pub fn with_listener(mut self, listener: Arc<dyn StreamListener>) -> Self {
        self.listener = Some(listener);
        self
    }

    /// The filter with a blocklist: frames are also PDQ-hashed at
    /// [`StreamConfig::hash_cadence`] and a match blocks them (category `known`).
    pub fn with_known_content(mut self, known: KnownContent) -> Self {
        self.known = Some(known);
        self
    }

    /// The blocklist matcher, if the filter has one.
    pub fn known_content(&self) -> Option<&KnownContent> {
        self.known.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &StreamConfig {
        &self.config
    }

    /// Why the filter has no model, if it has none.
    pub fn unavailable_reason(&self) -> Option<&SafeFrameError> {
        self.unavailable.as_ref()
    }

    /// The counters so far.
    pub fn counters(&self) -> StreamCounters {
        self.counters.snapshot()
    }

    /// Processes one frame: classifies it if it changed or the cadence says so, and applies
    /// the verdict in force to it in place (blur or block). Returns that verdict (in
    /// background mode, a changed frame whose verdict is pending gets [`StreamConfig::hold`]
    /// with no category and zero scores, unless the verdict in force is stricter).
    ///
    /// Never fails: anything that goes wrong is counted, reported to the listener, and blocks
    /// the frame unless the filter fails open.
    pub fn process(&self, frame: &mut FrameMut<'_>) -> Verdict {
        let mut state = self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let state = &mut *state;
        let index = state.next_index;
        state.next_index += 1;
        bump(&self.counters.frames);
        let now = self.timestamp(frame);

        let mut changed = false;
        let mut reused = false;
        match (&self.model, &self.worker) {
            (None, _) => {
                if !state.unavailable_reported {
                    state.unavailable_reported = true;
                    let error = self.unavailable.as_ref();
                    let fallback = SafeFrameError::StreamWorker {
                        reason: "no model".into(),
                    };
                    self.fail(state, index, FailureKind::ModelUnavailable, error.unwrap_or(&fallback));
                }
            }
            (Some(model), worker) => {
                if let Some(worker) = worker {
                    self.collect(state, worker, index);
                }
                let look = self.look(state, frame, index, now);
                changed = look == Look::Changed;
                // A pending second opinion is resolved on the next frame, whatever the cadence.
                if look == Look::Reuse && !state.second_due {
                    reused = true;
                } else if look != Look::Wait || state.second_due {
                    state.last_classified_ns = Some(now);
                    if self.config.change_gate.is_some() {
                        std::mem::swap(&mut state.thumbnail, &mut state.reference);
                    }
                    let sampled = model.sampler().sample(&frame.as_frame(), &mut state.tensor);
                    match (sampled, worker) {
                        (Err(error), _) => self.fail(state, index, FailureKind::Inference, &error),
                        (Ok(()), Some(worker)) => {
                            if self.submit(state, worker, index, frame) && changed {
                                state.awaiting = Some(state.submitted);
                            }
                        }
                        (Ok(()), None) => {
                            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
                                self.classify_inline(model.as_ref(), state, frame)
                            }))
                            .unwrap_or_else(|_| {
                                Err(SafeFrameError::Inference {
                                    reason: "the model panicked".into(),
                                })
                            });
                            self.outcome(state, index, outcome);
                        }
                    }
                }
            }
        }

        if let Some(known) = &self.known {
            let timestamp = frame.timestamp_ns();
            let due = self.due(self.config.hash_cadence, index, &mut state.last_hashed_ns, timestamp);
            if due || changed {
                self.check_known(state, known, index, frame);
            }
        }

        // Before the first verdict (background warm-up) frames are blocked.
        let in_force = state.hysteresis.current().unwrap_or(Verdict::fail_closed());
        let held = state.awaiting.is_some();
        let verdict = if held && self.config.hold > in_force.action {
            Verdict {
                action: self.config.hold,
                ..Verdict::fail_closed()
            }
        } else {
            in_force
        };
        // A frame is counted once: held while a verdict is pending, else reused if unchanged.
        if held {
            bump(&self.counters.held);
        } else if reused {
            bump(&self.counters.reused);
        }
        match verdict.action {
            Action::Blur => bump(&self.counters.blurred),
            Action::Block => bump(&self.counters.blocked),
            Action::Allow | Action::Warn => {}
        }
        state.redactor.apply(verdict.action, frame);
        if state.last_action != Some(verdict.action) {
            let cause = if verdict.known.is_some() {
                ChangeCause::KnownContent
            } else if held && verdict != in_force {
                ChangeCause::Held
            } else if state.hysteresis.current().is_some() && verdict == Verdict::fail_closed() {
                ChangeCause::Failure
            } else {
                ChangeCause::Classification
            };
            if let Some(listener) = &self.listener {
                listener.on_verdict_change(&VerdictChange {
                    frame_index: index,
                    timestamp_ns: frame.timestamp_ns(),
                    previous: state.last_action,
                    verdict,
                    cause,
                    counters: self.counters.snapshot(),
                });
            }
            state.last_action = Some(verdict.action);
        }
        verdict
    }

    /// The frame's timestamp, or without one the time since the filter was made.
    fn timestamp(&self, frame: &FrameMut<'_>) -> i64 {
        frame.timestamp_ns().unwrap_or_else(|| self.clock_ns())
    }

    /// Nanoseconds since the filter was made (0 where the platform has no clock).
    fn clock_ns(&self) -> i64 {
        self.started.map_or(0, |started| {
            i64::try_from(started.elapsed().as_nanos()).unwrap_or(i64::MAX)
        })
    }

    /// What to do with the model for this frame: the change gate's answer, then the cadence's.
    fn look(&self, state: &mut State, frame: &FrameMut<'_>, index: u64, now: i64) -> Look {
        let cadence_due = match self.config.cadence {
            Cadence::EveryFrame => true,
            Cadence::EveryNth(k) => index.is_multiple_of(u64::from(k.max(1))),
            Cadence::MinInterval(interval) => elapsed_at_least(state.last_classified_ns, now, interval),
        };
        let Some(gate) = &self.config.change_gate else {
            return if cadence_due { Look::Classify } else { Look::Wait };
        };
        state.thumbnail.read(&frame.as_frame(), gate);
        if state.thumbnail.difference(&state.reference, gate.tiles) > gate.threshold {
            Look::Changed
        } else if cadence_due && elapsed_at_least(state.last_classified_ns, now, self.recheck_after(state, gate)) {
            Look::Classify
        } else {
            Look::Reuse
        }
    }

    /// How long unchanged content reuses the verdict in force: `max_age`, or while a blur or
    /// block waits for its `clear_after` clean classifications, `max_age / (clear_after + 1)`,
    /// so a false alarm on a still scene clears within about `max_age` while a scene that stays
    /// flagged is re-checked a few times a second rather than on every frame.
    fn recheck_after(&self, state: &State, gate: &ChangeGate) -> Duration {
        if state.hysteresis.leaving() {
            gate.max_age / self.config.clear_after.saturating_add(1)
        } else {
            gate.max_age
        }
    }

    /// Runs the primary model on the sampled tensor and, when its scores leave the verdict
    /// open, the second model on the same frame.
    fn classify_inline(&self, model: &dyn FrameModel, state: &mut State, frame: &FrameMut<'_>) -> Result<Classified> {
        let scores = model.infer(&state.tensor)?;
        let second = self.second.as_deref();
        let tensor = match second {
            Some(second) if self.config.policy.needs_second_opinion(&scores) => {
                second.sampler().sample(&frame.as_frame(), &mut state.second_tensor)?;
                Some(&state.second_tensor[..])
            }
            _ => None,
        };
        Classified::cascade(scores, second, &self.config.policy, tensor)
    }

    /// Hands the sampled frame to the worker, sampled for the second model too while the
    /// classifications need a second opinion. Returns whether the worker got it (as sample
    /// number `state.submitted`).
    fn submit(&self, state: &mut State, worker: &Worker, index: u64, frame: &FrameMut<'_>) -> bool {
        if worker.is_dead() {
            return false;
        }
        let mut second_tensor = None;
        if let (Some(second), true) = (&self.second, state.second_wanted) {
            match second.sampler().sample(&frame.as_frame(), &mut state.second_tensor) {
                Ok(()) => second_tensor = Some(&mut state.second_tensor),
                Err(error) => {
                    self.fail(state, index, FailureKind::Inference, &error);
                    return false;
                }
            }
        }
        state.submitted += 1;
        if worker.submit(&mut state.tensor, second_tensor, state.submitted) {
            bump(&self.counters.samples_dropped);
        }
        true
    }

    /// Whether frame `index` (with `timestamp`) is due by `cadence`; `last_ns` is the time of
    /// the last frame that was, updated when this one is.
    fn due(&self, cadence: Cadence, index: u64, last_ns: &mut Option<i64>, timestamp: Option<i64>) -> bool {
        match cadence {
            Cadence::EveryFrame => true,
            Cadence::EveryNth(k) => index.is_multiple_of(u64::from(k.max(1))),
            Cadence::MinInterval(interval) => {
                let now = timestamp.unwrap_or_else(|| self.clock_ns());
                let due = elapsed_at_least(*last_ns, now, interval);
                if due {
                    *last_ns = Some(now);
                }
                due
            }
        }
    }

    /// Hashes the frame and matches it against the blocklist; a match blocks (and holds).
    fn check_known(&self, state: &mut State, known: &KnownContent, index: u64, frame: &FrameMut<'_>) {
        bump(&self.counters.hashed);
        match known.check(&frame.as_frame()) {
            Ok(Some(found)) => {
                bump(&self.counters.known_matches);
                let scores = state.hysteresis.current().map(|v| v.scores).unwrap_or_default();
                state.hysteresis.known(Some(Verdict::known(&scores, found)));
            }
            Ok(None) => state.hysteresis.known(None),
            Err(error) => self.fail(state, index, FailureKind::KnownContent, &error),
        }
    }

    /// Takes the worker's newest outcome, and notices a worker that died.
    ///
    /// Whether the worker is dead is read *before* its outcome is taken: a worker that died
    /// has left every outcome it produced in the slot, so a verdict made before the death is
    /// always taken first and the failure comes after it, in the same frame, whatever the
    /// threads' timing.
    fn collect(&self, state: &mut State, worker: &Worker, index: u64) {
        let dead = worker.is_dead();
        if let Some((sample, outcome)) = worker.take_outcome(state.outcome_seen) {
            state.outcome_seen = sample;
            // The verdict for the held frame's sample, or a later one, has arrived.
            if state.awaiting.is_some_and(|awaiting| sample >= awaiting) {
                state.awaiting = None;
            }
            self.outcome(state, index, outcome);
        }
        if !state.worker_reported && dead {
            state.worker_reported = true;
            let error = SafeFrameError::StreamWorker {
                reason: "the inference thread stopped (the model panicked)".into(),
            };
            self.fail(state, index, FailureKind::WorkerStopped, &error);
        }
    }

    fn outcome(&self, state: &mut State, index: u64, outcome: Result<Classified>) {
        match outcome {
            Ok(classified) => {
                bump(&self.counters.classified);
                if classified.second.is_some() {
                    bump(&self.counters.second_opinions);
                }
                state.second_due = classified.second_pending;
                state.second_wanted = classified.second_pending || classified.second.is_some();
                let verdict = classified.verdict(&self.config.policy, self.second.as_deref());
                state.hysteresis.classified(verdict);
            }
            Err(error) => self.fail(state, index, FailureKind::Inference, &error),
        }
    }

    fn fail(&self, state: &mut State, index: u64, kind: FailureKind, error: &SafeFrameError) {
        bump(&self.counters.errors);
        state.hysteresis.failed();
        log::warn!("frame {index}: {kind:?}: {error}");
        if let Some(listener) = &self.listener {
            listener.on_failure(&StreamFailure {
                frame_index: index,
                kind,
                error,
                counters: self.counters.snapshot(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn stream_filter_is_send_and_sync() {
        assert_send_sync::<StreamFilter>();
    }

    #[test]
    fn bad_configurations_are_refused() {
        let config = StreamConfig {
            clear_after: 0,
            ..StreamConfig::default()
        };
        let err = StreamFilter::unavailable(SafeFrameError::UnknownPreset("x".into()), config).unwrap_err();
        assert!(err.to_string().contains("clear_after"), "{err}");
        let config = StreamConfig {
            cadence: Cadence::EveryNth(0),
            ..StreamConfig::default()
        };
        assert!(StreamFilter::unavailable(SafeFrameError::UnknownPreset("x".into()), config).is_err());
    }
}
