//! The whole chain for single images: classify, decide, redact.

use std::sync::{Arc, Mutex};

use crate::classifier::Classifier;
use crate::error::Result;
use crate::frame::{Frame, FrameMut};
use crate::known::KnownContent;
use crate::policy::{Policy, Verdict};
use crate::redactor::Redactor;

/// What [`Filter::filter`] does when a frame cannot be classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Block the frame, then report the error (the default).
    #[default]
    FailClosed,
    /// Leave the frame as it is and report the error. Only for callers that have their own
    /// fallback; never the default.
    FailOpen,
}

/// Classifier + policy + redactor: checks frames and redacts them in place.
///
/// ```no_run
/// use safeframe::classifier::{Classifier, ClassifierOptions};
/// use safeframe::filter::{Filter, OnError};
/// use safeframe::frame::{FrameMut, PixelFormat};
/// use safeframe::policy::{Policy, Preset};
/// let classifier = Classifier::from_dir("models/nsfwjs-mobilenetv2-fp32", &ClassifierOptions::default())?;
/// let filter = Filter::new(classifier, Policy::preset(Preset::Child), OnError::FailClosed);
/// let mut pixels = vec![0u8; 640 * 480 * 4];
/// let verdict = filter.filter(&mut FrameMut::packed(&mut pixels, 640, 480, PixelFormat::Rgba8)?)?;
/// println!("{}", verdict.action);
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug)]
pub struct Filter {
    classifier: Arc<Classifier>,
    policy: Policy,
    on_error: OnError,
    redactor: Mutex<Redactor>,
    known: Option<KnownContent>,
}

impl Filter {
    /// Wires a classifier and a policy together.
    pub fn new(classifier: Classifier, policy: Policy, on_error: OnError) -> Self {
        Self::shared(Arc::new(classifier), policy, on_error)
    }

    /// Like [`Filter::new`], with a classifier shared with other filters or a
    /// [`StreamFilter`](crate::stream::StreamFilter) (one loaded model, several policies or
    /// blocklists).
    pub fn shared(classifier: Arc<Classifier>, policy: Policy, on_error: OnError) -> Self {
        Self {
            classifier,
            policy,
            on_error,
            redactor: Mutex::new(Redactor::new()),
            known: None,
        }
    }

    /// Adds known-content matching: frames whose PDQ hash matches the blocklist are blocked
    /// whatever the classifier says (see [`crate::known`]).
    pub fn with_known_content(mut self, known: KnownContent) -> Self {
        self.known = Some(known);
        self
    }

    /// The known-content matcher, if any.
    pub fn known_content(&self) -> Option<&KnownContent> {
        self.known.as_ref()
    }

    /// The classifier.
    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// The classifier, shareable: e.g. `StreamFilter::new(filter.shared_classifier().clone(), …)`
    /// runs a stream on the same loaded model.
    pub fn shared_classifier(&self) -> &Arc<Classifier> {
        &self.classifier
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// What [`Filter::filter`] does with a frame it cannot classify.
    pub fn on_error(&self) -> OnError {
        self.on_error
    }

    /// Classifies `frame` and returns the policy's verdict, without touching the pixels.
    pub fn check(&self, frame: &Frame<'_>) -> Result<Verdict> {
        let scores = self.classifier.classify(frame)?;
        let known = match &self.known {
            Some(known) => known.check(frame)?,
            None => None,
        };
        Ok(self.policy.evaluate_with_match(&scores, known))
    }

    /// Classifies `frame` and applies the verdict's action to it in place.
    ///
    /// When classification fails the error is returned; with [`OnError::FailClosed`] the frame
    /// has been blocked first, so a caller that ignores the error still shows nothing.
    pub fn filter(&self, frame: &mut FrameMut<'_>) -> Result<Verdict> {
        let mut redactor = self.redactor.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match self.check(&frame.as_frame()) {
            Ok(verdict) => {
                redactor.apply(verdict.action, frame);
                Ok(verdict)
            }
            Err(error) => {
                if self.on_error == OnError::FailClosed {
                    Redactor::block(frame);
                }
                log::warn!("frame not classified ({:?}): {error}", self.on_error);
                Err(error)
            }
        }
    }
}
