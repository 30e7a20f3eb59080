//! What a [`StreamFilter`](super::StreamFilter) reports: counters, verdict changes and
//! failures (never pixels), and the listener that receives them.

use serde::Serialize;

use crate::error::SafeFrameError;
use crate::policy::{Action, Verdict};

/// Counters of a stream since its filter was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StreamCounters {
    /// Frames given to [`StreamFilter::process`](super::StreamFilter::process).
    pub frames: u64,
    /// Runs of the primary model that gave scores, counted when the filter takes them: inline,
    /// one per classified frame; in background mode, one per worker run whose result the
    /// filter collected (a result replaced by a newer one before it was collected, or still
    /// running when the filter is dropped, is not counted). Failed runs count in `errors`.
    pub classified: u64,
    /// Runs of the second-opinion model.
    pub second_opinions: u64,
    /// Frames released redacted (held, or blocked during background warm-up) while the
    /// verdict for their changed content was pending.
    pub held: u64,
    /// Frames that reused the verdict in force because they did not change (the model did
    /// not run for them), not counting held frames.
    pub reused: u64,
    /// Frames blurred.
    pub blurred: u64,
    /// Frames blocked (by verdict, failure or warm-up).
    pub blocked: u64,
    /// Failures: inference errors, a dead worker, a missing model.
    pub errors: u64,
    /// Background samples replaced by a newer one before the worker took them.
    pub samples_dropped: u64,
    /// Frames PDQ-hashed against the blocklist.
    pub hashed: u64,
    /// Hash checks that matched a blocklist entry.
    pub known_matches: u64,
}

/// Why the verdict in force changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeCause {
    /// A classification (or, on the first frames in background mode, its absence).
    Classification,
    /// A failure while failing closed (or open).
    Failure,
    /// A blocklist match.
    KnownContent,
    /// A changed frame held redacted until its verdict arrives (background mode); the change
    /// that ends the hold is caused by the classification that arrived.
    Held,
}

/// A change of the action applied to frames, reported to the [`StreamListener`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VerdictChange {
    /// Index of the first frame (0-based) the new verdict applies to.
    pub frame_index: u64,
    /// That frame's timestamp, if it had one.
    pub timestamp_ns: Option<i64>,
    /// The action applied to the frame before, `None` for the stream's first frame.
    pub previous: Option<Action>,
    /// The verdict now applied.
    pub verdict: Verdict,
    /// What caused the change.
    pub cause: ChangeCause,
    /// The counters after this frame.
    pub counters: StreamCounters,
}

/// What failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The frame could not be sampled or the model returned an error or bad scores.
    Inference,
    /// The background worker thread stopped.
    WorkerStopped,
    /// No model could be loaded.
    ModelUnavailable,
    /// A frame could not be hashed for known-content matching.
    KnownContent,
}

/// A failure, reported to the [`StreamListener`]; the frames it affects are blocked unless
/// the filter fails open.
#[derive(Debug, Clone, Copy)]
pub struct StreamFailure<'a> {
    /// Index of the frame being processed when the failure was seen.
    pub frame_index: u64,
    /// What failed.
    pub kind: FailureKind,
    /// The error.
    pub error: &'a SafeFrameError,
    /// The counters, with this failure counted.
    pub counters: StreamCounters,
}

/// Receives verdict changes and failures. Called on the thread that runs
/// [`StreamFilter::process`](super::StreamFilter::process), while the filter is locked: keep it short, and do not call back
/// into the filter.
pub trait StreamListener: Send + Sync {
    /// The action applied to frames changed.
    fn on_verdict_change(&self, _change: &VerdictChange) {}
    /// Something failed.
    fn on_failure(&self, _failure: &StreamFailure<'_>) {}
}
