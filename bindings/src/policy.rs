//! Policies as a foreign object: presets and custom JSON.

use std::sync::Arc;

use safeframe::policy::{Policy as CorePolicy, Preset as CorePreset};

use crate::error::SafeFrameError;
use crate::types::{Preset, Scores, Verdict};

/// A policy: rules that turn scores into a verdict. Immutable; share it freely between threads.
///
/// Make one from a preset (`Policy.preset(Preset.CHILD)` in Kotlin) or from JSON in the form
/// `toJson()` prints: `{"rules":[{"categories":["porn"],"threshold":0.4,"action":"block"}]}`,
/// or, for rules that also read a second-opinion model, `{"rules":[{"when":[{"model":"primary",
/// "labels":["porn"],"threshold":0.4},{"model":"second","labels":["nsfw"],"threshold":0.2}],
/// "action":"block"}]}`.
///
/// A preset made with `preset` or `fromPresetName` fits the models of the filter it is given
/// to: a filter with a second opinion (`SafeFrameFilter.withSecondOpinion`) uses the preset's
/// two-model rules (`presetForModels(preset, true)`), any other filter its one-model rules
/// (what `toJson()` and `evaluate()` show). `filter.policyJson()` shows the rules in force.
#[derive(Debug, uniffi::Object)]
pub struct Policy {
    inner: CorePolicy,
    /// The preset this policy was made from by `preset`/`fromPresetName`, whose rules a filter
    /// picks for the models it loads.
    preset: Option<CorePreset>,
}

impl Policy {
    /// The core policy for a filter with (or without) a second-opinion model.
    pub(crate) fn for_models(&self, second_opinion: bool) -> CorePolicy {
        match self.preset {
            Some(preset) => CorePolicy::preset_for(preset, second_opinion),
            None => self.inner.clone(),
        }
    }

    fn from_preset(preset: CorePreset) -> Arc<Self> {
        Arc::new(Self {
            inner: CorePolicy::preset(preset),
            preset: Some(preset),
        })
    }
}

#[uniffi::export]
impl Policy {
    /// A built-in preset, fitting the models of the filter it is given to (see [`Policy`]).
    #[uniffi::constructor]
    pub fn preset(preset: Preset) -> Arc<Self> {
        Self::from_preset(preset.into())
    }

    /// A built-in preset by name (`child`, `teen`, `adult`), fitting the models of the filter
    /// it is given to (see [`Policy`]).
    #[uniffi::constructor]
    pub fn from_preset_name(name: String) -> Result<Arc<Self>, SafeFrameError> {
        Ok(Self::from_preset(CorePreset::from_name(&name)?))
    }

    /// A built-in preset's rules for exactly these models: with `second_opinion` true its
    /// two-model rules (they need a filter with a second opinion; elsewhere they are an
    /// `InvalidPolicy` error), else its one-model rules. Fixed: unlike `preset`, the rules do not
    /// change with the filter. Useful to print (`toJson()`) and adapt a preset.
    #[uniffi::constructor]
    pub fn preset_for_models(preset: Preset, second_opinion: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: CorePolicy::preset_for(preset.into(), second_opinion),
            preset: None,
        })
    }

    /// A custom policy from JSON; a malformed document is an `InvalidPolicy` error naming the
    /// field at fault.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, SafeFrameError> {
        Ok(Arc::new(Self {
            inner: CorePolicy::from_json(&json)?,
            preset: None,
        }))
    }

    /// The policy's name (the preset's name for presets), if it has one.
    pub fn name(&self) -> Option<String> {
        self.inner.name.clone()
    }

    /// The policy as JSON, in the form `fromJson` reads.
    pub fn to_json(&self) -> String {
        self.inner.to_json()
    }

    /// The verdict this policy gives for the primary model's `scores` alone (rules that read
    /// the second model do not fire without its scores).
    pub fn evaluate(&self, scores: Scores) -> Verdict {
        self.inner.evaluate(&scores.into()).into()
    }
}
