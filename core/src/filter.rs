//! The whole chain for single images: classify, decide, redact.

use std::sync::{Arc, Mutex};

use crate::classifier::Classifier;
use crate::error::Result;
use crate::frame::{Frame, FrameMut};
use crate::known::KnownContent;
use crate::policy::{Policy, Verdict};
use crate::redactor::Redactor;
use crate::second_opinion::SecondOpinion;

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
/// let filter = Filter::new(classifier, Policy::preset(Preset::Child), OnError::FailClosed)?;
/// let mut pixels = vec![0u8; 640 * 480 * 4];
/// let verdict = filter.filter(&mut FrameMut::packed(&mut pixels, 640, 480, PixelFormat::Rgba8)?)?;
/// println!("{}", verdict.action);
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug)]
pub struct Filter {
    classifier: Arc<Classifier>,
    second: Option<Arc<SecondOpinion>>,
    policy: Policy,
    on_error: OnError,
    redactor: Mutex<Redactor>,
    known: Option<KnownContent>,
}

impl Filter {
    /// Wires a classifier and a policy together. Fails when the classifier is not a primary
    /// (five-category) model, or the policy reads a second model (use [`Filter::cascade`]).
    pub fn new(classifier: Classifier, policy: Policy, on_error: OnError) -> Result<Self> {
        Self::shared(Arc::new(classifier), policy, on_error)
    }

    /// Like [`Filter::new`], with a classifier shared with other filters or a
    /// [`StreamFilter`](crate::stream::StreamFilter) (one loaded model, several policies or
    /// blocklists).
    pub fn shared(classifier: Arc<Classifier>, policy: Policy, on_error: OnError) -> Result<Self> {
        Self::cascade(classifier, None, policy, on_error)
    }

    /// A primary classifier with an optional second opinion: the second model runs (loading on
    /// first need) only for frames whose verdict its answer could change
    /// ([`Policy::needs_second_opinion`]). The policy is checked against both models here:
    /// a rule naming a model or label that is not loaded is an error, never a rule that cannot
    /// fire.
    pub fn cascade(
        classifier: Arc<Classifier>,
        second: Option<Arc<SecondOpinion>>,
        policy: Policy,
        on_error: OnError,
    ) -> Result<Self> {
        classifier.manifest().category_indices()?;
        policy.check_models(second.as_deref().map(SecondOpinion::manifest))?;
        Ok(Self {
            classifier,
            second,
            policy,
            on_error,
            redactor: Mutex::new(Redactor::new()),
            known: None,
        })
    }

    /// Adds known-content matching: frames whose PDQ hash matches the blocklist are blocked
    /// whatever the classifier says (see [`crate::known`]).
    pub fn with_known_content(mut self, known: KnownContent) -> Self {
        self.known = Some(known);
        self
    }

    /// A filter on the same loaded models, policy and error mode, matching frames against
    /// `known` too (this filter is unchanged).
    pub fn sharing_models_with_known_content(&self, known: KnownContent) -> Self {
        Self {
            classifier: Arc::clone(&self.classifier),
            second: self.second.clone(),
            policy: self.policy.clone(),
            on_error: self.on_error,
            redactor: Mutex::new(Redactor::new()),
            known: Some(known),
        }
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

    /// The second-opinion model, if any.
    pub fn second_opinion(&self) -> Option<&Arc<SecondOpinion>> {
        self.second.as_ref()
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
    ///
    /// The second opinion, when loaded, runs only if the primary's scores leave the verdict
    /// open ([`Policy::needs_second_opinion`]); its failure is this call's error.
    pub fn check(&self, frame: &Frame<'_>) -> Result<Verdict> {
        let scores = self.classifier.classify(frame)?;
        if let Some(found) = match &self.known {
            Some(known) => known.check(frame)?,
            None => None,
        } {
            return Ok(Verdict::known(&scores, found));
        }
        match &self.second {
            Some(second) if self.policy.needs_second_opinion(&scores) => {
                let opinion = second.classify(frame)?;
                Ok(self.policy.evaluate_models(&scores, Some(second.scores(opinion))))
            }
            _ => Ok(self.policy.evaluate(&scores)),
        }
    }

    /// Classifies `frame` and applies the verdict's action to it in place.
    ///
    /// When classification fails the error is returned; with [`OnError::FailClosed`] the frame
    /// has been blocked first, so a caller that ignores the error still shows nothing. Use
    /// [`Filter::apply`] for the verdict applied in that case too.
    pub fn filter(&self, frame: &mut FrameMut<'_>) -> Result<Verdict> {
        let applied = self.apply(frame);
        match applied.error {
            Some(error) => Err(error),
            None => Ok(applied.verdict),
        }
    }

    /// Classifies `frame`, applies the verdict's action to it in place, and returns the verdict
    /// applied — also when classification failed: then the frame was blocked (failing closed)
    /// or left alone (failing open), the verdict says so, and [`Applied::error`] says why.
    ///
    /// ```no_run
    /// # use safeframe::filter::Filter;
    /// # use safeframe::frame::FrameMut;
    /// # fn show(filter: &Filter, frame: &mut FrameMut<'_>) {
    /// let applied = filter.apply(frame);
    /// if let Some(error) = &applied.error {
    ///     eprintln!("not classified ({error}); applied {}", applied.verdict.action);
    /// }
    /// # }
    /// ```
    pub fn apply(&self, frame: &mut FrameMut<'_>) -> Applied {
        let mut redactor = self.redactor.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        match self.check(&frame.as_frame()) {
            Ok(verdict) => {
                redactor.apply(verdict.action, frame);
                Applied { verdict, error: None }
            }
            Err(error) => {
                if self.on_error == OnError::FailClosed {
                    Redactor::block(frame);
                }
                log::warn!("frame not classified ({:?}): {error}", self.on_error);
                Applied {
                    verdict: self.on_error.unclassified_verdict(),
                    error: Some(error),
                }
            }
        }
    }

    /// The verdict for a frame this filter could not classify — or that a caller could not
    /// even describe: block when failing closed, allow when failing open. The foreign-language
    /// doors hand it to the caller before they check a frame, so a caller that ignores the
    /// error acts on it.
    pub fn unclassified_verdict(&self) -> Verdict {
        self.on_error.unclassified_verdict()
    }
}

/// What [`Filter::apply`] did to a frame.
#[derive(Debug)]
pub struct Applied {
    /// The verdict whose action the frame now carries.
    pub verdict: Verdict,
    /// Why the frame could not be classified, if it could not.
    pub error: Option<crate::SafeFrameError>,
}

impl OnError {
    /// The verdict for an unclassified frame: [`Verdict::fail_closed`] (block) when failing
    /// closed; the same with action allow when failing open.
    ///
    /// ```
    /// use safeframe::filter::OnError;
    /// use safeframe::policy::Action;
    /// assert_eq!(OnError::FailClosed.unclassified_verdict().action, Action::Block);
    /// assert_eq!(OnError::FailOpen.unclassified_verdict().action, Action::Allow);
    /// ```
    pub fn unclassified_verdict(self) -> Verdict {
        match self {
            Self::FailClosed => Verdict::fail_closed(),
            Self::FailOpen => Verdict {
                action: crate::policy::Action::Allow,
                ..Verdict::fail_closed()
            },
        }
    }
}
