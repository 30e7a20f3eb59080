//! Policies as a foreign object: presets and custom JSON.

use std::sync::Arc;

use safeframe::policy::Policy as CorePolicy;

use crate::error::SafeFrameError;
use crate::types::{Preset, Scores, Verdict};

/// A policy: rules that turn scores into a verdict. Immutable; share it freely between threads.
///
/// Make one from a preset (`Policy.preset(Preset.CHILD)` in Kotlin) or from JSON in the form
/// `toJson()` prints: `{"rules":[{"categories":["porn"],"threshold":0.4,"action":"block"}]}`.
#[derive(Debug, uniffi::Object)]
pub struct Policy {
    inner: CorePolicy,
}

impl Policy {
    pub(crate) fn core(&self) -> &CorePolicy {
        &self.inner
    }
}

#[uniffi::export]
impl Policy {
    /// A built-in preset.
    #[uniffi::constructor]
    pub fn preset(preset: Preset) -> Arc<Self> {
        Arc::new(Self {
            inner: CorePolicy::preset(preset.into()),
        })
    }

    /// A built-in preset by name (`child`, `teen`, `adult`).
    #[uniffi::constructor]
    pub fn from_preset_name(name: String) -> Result<Arc<Self>, SafeFrameError> {
        let preset = safeframe::policy::Preset::from_name(&name)?;
        Ok(Arc::new(Self {
            inner: CorePolicy::preset(preset),
        }))
    }

    /// A custom policy from JSON; a malformed document is an `InvalidPolicy` error naming the
    /// field at fault.
    #[uniffi::constructor]
    pub fn from_json(json: String) -> Result<Arc<Self>, SafeFrameError> {
        Ok(Arc::new(Self {
            inner: CorePolicy::from_json(&json)?,
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

    /// The verdict this policy gives for `scores`.
    pub fn evaluate(&self, scores: Scores) -> Verdict {
        self.inner.evaluate(&scores.into()).into()
    }
}
