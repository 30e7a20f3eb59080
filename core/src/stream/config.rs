//! How a [`StreamFilter`](super::StreamFilter) behaves: its configuration, and the signed
//! settings the foreign-language doors pass, checked here once.

use std::time::Duration;

use super::ChangeGate;
use crate::error::{Result, SafeFrameError};
use crate::filter::OnError;
use crate::policy::{Action, Policy, Preset};

/// When frames are classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    /// Every frame.
    EveryFrame,
    /// Frames 0, k, 2k, … of the stream (k ≥ 1).
    EveryNth(u32),
    /// A frame whose timestamp is at least this long after the last classified frame's (the
    /// first frame always). Frames without a timestamp use the time since the filter was made.
    MinInterval(Duration),
}

/// Where inference runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// On the thread that calls [`StreamFilter::process`](super::StreamFilter::process): every classified frame gets its own
    /// verdict (the default).
    #[default]
    Inline,
    /// On a worker thread, on the newest sample; frames never wait for the model.
    Background,
}

/// How a [`StreamFilter`](super::StreamFilter) behaves.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamConfig {
    /// The policy that turns scores into verdicts (default: the `child` preset).
    pub policy: Policy,
    /// When to classify (default: every frame).
    pub cadence: Cadence,
    /// Consecutive clean (allow or warn) classifications needed to leave blur or block
    /// (default 3, at least 1).
    pub clear_after: u32,
    /// Inline or background inference.
    pub mode: Mode,
    /// Fail closed (the default) or open when the model fails.
    pub on_error: OnError,
    /// When frames are PDQ-hashed against the blocklist, if the filter has one (default:
    /// every frame; a frame the change gate sees as changed is hashed too). Hashing runs on
    /// the calling thread: about 2–3 ms for a 1080p frame on a desktop core, less from a YUV
    /// frame's Y plane; a phone may prefer `Cadence::MinInterval` of 100–250 ms.
    pub hash_cadence: Cadence,
    /// The change gate (default: on, [`ChangeGate::default`]). `None` classifies on the
    /// cadence alone: frames between classifications then get the verdict in force even when
    /// their content changed.
    pub change_gate: Option<ChangeGate>,
    /// What a changed frame gets while its verdict is pending in background mode:
    /// [`Action::Blur`] (the default) or [`Action::Block`]. A stricter verdict in force wins.
    pub hold: Action,
}

impl Default for StreamConfig {
    fn default() -> Self {
        Self {
            policy: Policy::preset(Preset::Child),
            cadence: Cadence::EveryFrame,
            clear_after: 3,
            mode: Mode::Inline,
            on_error: OnError::FailClosed,
            hash_cadence: Cadence::EveryFrame,
            change_gate: Some(ChangeGate::default()),
            hold: Action::Blur,
        }
    }
}

impl StreamConfig {
    /// Checks the configuration; the error ([`SafeFrameError::InvalidConfig`]) names the first
    /// bad field. Every [`StreamFilter`](super::StreamFilter) constructor calls it.
    ///
    /// ```
    /// use safeframe::stream::{Cadence, StreamConfig};
    /// assert!(StreamConfig::default().validate().is_ok());
    /// let bad = StreamConfig { cadence: Cadence::EveryNth(0), ..StreamConfig::default() };
    /// assert!(bad.validate().unwrap_err().to_string().contains("cadence"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, reason: &str| {
            Err(SafeFrameError::InvalidConfig {
                field: field.to_owned(),
                reason: reason.to_owned(),
            })
        };
        if self.clear_after == 0 {
            return bad("clear_after", "must be at least 1");
        }
        if let Cadence::EveryNth(0) = self.cadence {
            return bad("cadence", "every k-th frame needs k >= 1");
        }
        if let Cadence::EveryNth(0) = self.hash_cadence {
            return bad("hash_cadence", "every k-th frame needs k >= 1");
        }
        if !matches!(self.hold, Action::Blur | Action::Block) {
            return bad("hold", "must be blur or block");
        }
        match &self.change_gate {
            Some(gate) => gate.validate(),
            None => Ok(()),
        }
    }
}

/// When to classify, as the doors spell it: plain signed numbers, checked by
/// [`StreamSettings::to_config`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CadenceSetting {
    /// Every frame.
    #[default]
    EveryFrame,
    /// Frames 0, k, 2k, … (k ≥ 1).
    EveryNth(i64),
    /// A frame at least this many milliseconds of frame timestamps after the last one (≥ 0).
    MinIntervalMs(i64),
}

impl CadenceSetting {
    /// The cadence, or an [`SafeFrameError::InvalidConfig`] naming `field`.
    pub fn to_cadence(self, field: &str) -> Result<Cadence> {
        let bad = |reason: String| SafeFrameError::InvalidConfig {
            field: field.to_owned(),
            reason,
        };
        match self {
            Self::EveryFrame => Ok(Cadence::EveryFrame),
            Self::EveryNth(k) => u32::try_from(k)
                .ok()
                .filter(|&k| k >= 1)
                .map(Cadence::EveryNth)
                .ok_or_else(|| bad(format!("every k-th frame needs 1 <= k <= {}, got {k}", u32::MAX))),
            Self::MinIntervalMs(ms) => u64::try_from(ms)
                .map(|ms| Cadence::MinInterval(Duration::from_millis(ms)))
                .map_err(|_| bad(format!("interval {ms} ms is negative"))),
        }
    }
}

/// A stream's settings as Kotlin, Swift, C and the CLI pass them: plain numbers, any of which
/// may be out of range. [`StreamSettings::to_config`] checks every one, naming the field, so
/// no door repeats a rule. The defaults are [`StreamConfig::default`]'s.
///
/// ```
/// use safeframe::policy::{Policy, Preset};
/// use safeframe::stream::{CadenceSetting, StreamConfig, StreamSettings};
/// let config = StreamSettings::default().to_config(Policy::preset(Preset::Child))?;
/// assert_eq!(config, StreamConfig::default());
/// let bad = StreamSettings { cadence: CadenceSetting::EveryNth(0), ..StreamSettings::default() };
/// assert!(bad.to_config(Policy::preset(Preset::Child)).unwrap_err().to_string().contains("cadence"));
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StreamSettings {
    /// When to classify.
    pub cadence: CadenceSetting,
    /// Consecutive clean classifications needed to leave blur or block (≥ 1).
    pub clear_after: i64,
    /// Inference on a worker thread instead of the calling one.
    pub background: bool,
    /// Pass frames that could not be classified instead of blocking them.
    pub fail_open: bool,
    /// When frames are hashed against the blocklist.
    pub hash_cadence: CadenceSetting,
    /// Whether the change gate is on (the other `change_*` fields and `max_age_ms` are
    /// ignored when it is off).
    pub change_gate: bool,
    /// The gate's threshold, 0 to 1.
    pub change_threshold: f32,
    /// The gate's tiles per side, 1 to [`MAX_TILES`](super::MAX_TILES).
    pub change_tiles: i64,
    /// The longest an unchanged scene reuses a verdict, in milliseconds of frame timestamps (> 0).
    pub max_age_ms: i64,
    /// What a changed frame gets while its verdict is pending: blur or block.
    pub hold: Action,
}

impl Default for StreamSettings {
    fn default() -> Self {
        let config = StreamConfig::default();
        let gate = ChangeGate::default();
        Self {
            cadence: CadenceSetting::EveryFrame,
            clear_after: i64::from(config.clear_after),
            background: config.mode == Mode::Background,
            fail_open: config.on_error == OnError::FailOpen,
            hash_cadence: CadenceSetting::EveryFrame,
            change_gate: config.change_gate.is_some(),
            change_threshold: gate.threshold,
            change_tiles: i64::from(gate.tiles),
            max_age_ms: i64::try_from(gate.max_age.as_millis()).unwrap_or(i64::MAX),
            hold: config.hold,
        }
    }
}

impl StreamSettings {
    /// The configuration these settings describe with `policy`, checked
    /// ([`StreamConfig::validate`]); the error names the first bad field.
    pub fn to_config(&self, policy: Policy) -> Result<StreamConfig> {
        let clear_after = u32::try_from(self.clear_after).map_err(|_| SafeFrameError::InvalidConfig {
            field: "clear_after".to_owned(),
            reason: format!("must be 1 to {}, got {}", u32::MAX, self.clear_after),
        })?;
        let config = StreamConfig {
            policy,
            cadence: self.cadence.to_cadence("cadence")?,
            clear_after,
            mode: if self.background {
                Mode::Background
            } else {
                Mode::Inline
            },
            on_error: if self.fail_open {
                OnError::FailOpen
            } else {
                OnError::FailClosed
            },
            hash_cadence: self.hash_cadence.to_cadence("hash_cadence")?,
            change_gate: self.change_gate.then(|| ChangeGate {
                threshold: self.change_threshold,
                // Out-of-range numbers become values `validate` refuses, naming the field.
                tiles: u32::try_from(self.change_tiles).unwrap_or(0),
                max_age: Duration::from_millis(u64::try_from(self.max_age_ms).unwrap_or(0)),
            }),
            hold: self.hold,
        };
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(settings: StreamSettings) -> String {
        match settings.to_config(Policy::preset(Preset::Child)) {
            Err(SafeFrameError::InvalidConfig { field, .. }) => field,
            other => panic!("expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_setting_is_refused_by_name() {
        let d = StreamSettings::default();
        let cases = [
            (StreamSettings { clear_after: 0, ..d }, "clear_after"),
            (StreamSettings { clear_after: -1, ..d }, "clear_after"),
            (
                StreamSettings {
                    cadence: CadenceSetting::EveryNth(0),
                    ..d
                },
                "cadence",
            ),
            (
                StreamSettings {
                    cadence: CadenceSetting::EveryNth(-2),
                    ..d
                },
                "cadence",
            ),
            (
                StreamSettings {
                    cadence: CadenceSetting::MinIntervalMs(-1),
                    ..d
                },
                "cadence",
            ),
            (
                StreamSettings {
                    hash_cadence: CadenceSetting::EveryNth(0),
                    ..d
                },
                "hash_cadence",
            ),
            (
                StreamSettings {
                    change_threshold: 1.5,
                    ..d
                },
                "change_gate.threshold",
            ),
            (StreamSettings { change_tiles: -1, ..d }, "change_gate.tiles"),
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
            assert_eq!(field_of(settings), field, "{settings:?}");
        }
    }

    #[test]
    fn good_settings_become_the_config_they_say() {
        let settings = StreamSettings {
            cadence: CadenceSetting::MinIntervalMs(250),
            hash_cadence: CadenceSetting::EveryNth(3),
            clear_after: 5,
            background: true,
            fail_open: true,
            change_gate: false,
            change_tiles: 99, // ignored with the gate off
            hold: Action::Block,
            ..StreamSettings::default()
        };
        let config = settings.to_config(Policy::preset(Preset::Teen)).unwrap();
        assert_eq!(config.cadence, Cadence::MinInterval(Duration::from_millis(250)));
        assert_eq!(config.hash_cadence, Cadence::EveryNth(3));
        assert_eq!(
            (config.clear_after, config.mode, config.on_error),
            (5, Mode::Background, OnError::FailOpen)
        );
        assert_eq!((config.change_gate, config.hold), (None, Action::Block));
        assert_eq!(config.policy, Policy::preset(Preset::Teen));
    }
}
