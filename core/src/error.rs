//! The one error type of the `safeframe` crate.

use std::path::PathBuf;

/// Everything that can go wrong in SafeFrame, with a message that tells the caller what to do.
///
/// Bad input is always reported through this type: SafeFrame never panics on input it is given.
/// The enum is `#[non_exhaustive]` so that later releases can add cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SafeFrameError {
    /// The frame's width, height, stride or buffer do not describe a valid image.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// What is wrong, with the numbers involved.
        reason: String,
    },
    /// The frame is larger than SafeFrame accepts (see [`crate::frame::MAX_SIDE`] and
    /// [`crate::frame::MAX_PIXELS`]).
    #[error(
        "frame of {width}x{height} is too large: at most {max_side} pixels per side and {max_pixels} pixels in all"
    )]
    FrameTooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
        /// The largest side accepted.
        max_side: u32,
        /// The largest pixel count accepted.
        max_pixels: u64,
    },
    /// Encoded image bytes could not be decoded: unknown format, corrupt or truncated data, or
    /// over the decoder's memory limit (see [`crate::decode`]).
    #[error("invalid image: {reason}")]
    InvalidImage {
        /// What is wrong, in the decoder's words.
        reason: String,
    },
    /// A model pack's manifest is missing a field or has a bad value.
    #[error("model manifest: field `{field}`: {reason}")]
    InvalidManifest {
        /// The JSON field at fault (dotted path), or empty when the JSON itself is broken.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The ONNX bytes do not have the sha256 that the manifest promises: the file is corrupt or
    /// was replaced.
    #[error(
        "model `{model}`: sha256 of the ONNX file is {actual}, the manifest requires {expected}; refusing to load it"
    )]
    ChecksumMismatch {
        /// The model's name from its manifest.
        model: String,
        /// The sha256 in the manifest.
        expected: String,
        /// The sha256 of the bytes given.
        actual: String,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// No ONNX Runtime library was found in any of the places SafeFrame looks.
    #[error("ONNX Runtime library not found; looked in: {}. Run ./scripts/setup-ort, set ORT_DYLIB_PATH, or pass the library path explicitly", display_paths(.searched))]
    RuntimeNotFound {
        /// Every place that was tried, in order.
        searched: Vec<PathBuf>,
    },
    /// A library was found but could not be used as ONNX Runtime (wrong version, not ONNX
    /// Runtime, or a broken file).
    #[error("cannot use ONNX Runtime library {path}: {reason} (looked in: {})", display_paths(.searched))]
    RuntimeLoad {
        /// The library that failed.
        path: PathBuf,
        /// Why it failed.
        reason: String,
        /// Every place that was tried, in order.
        searched: Vec<PathBuf>,
    },
    /// ONNX Runtime rejected the model or the session options.
    #[error("cannot load model `{model}`: {reason}")]
    ModelLoad {
        /// The model's name from its manifest.
        model: String,
        /// ONNX Runtime's message.
        reason: String,
    },
    /// The ONNX graph does not have the inputs and outputs its manifest describes.
    #[error("model `{model}` does not match its manifest: {reason}")]
    ModelInterface {
        /// The model's name from its manifest.
        model: String,
        /// The difference found.
        reason: String,
    },
    /// Running the model failed.
    #[error("inference failed: {reason}")]
    Inference {
        /// ONNX Runtime's message.
        reason: String,
    },
    /// The model produced output that cannot be scores: wrong shape, NaN, out of range.
    #[error("model output rejected: {reason}")]
    InvalidScores {
        /// What is wrong with the output.
        reason: String,
    },
    /// A policy is malformed.
    #[error("policy: field `{field}`: {reason}")]
    InvalidPolicy {
        /// The JSON field at fault (e.g. `rules[2].threshold`), or empty for the whole document.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// PDQ hashing was given a bad buffer or size.
    #[error(transparent)]
    Pdq(#[from] crate::pdq::PdqError),
    /// A blocklist could not be read or is malformed.
    #[error(transparent)]
    Blocklist(#[from] crate::blocklist::BlocklistError),
    /// A stream filter's configuration is not usable.
    #[error("stream configuration: `{field}`: {reason}")]
    InvalidConfig {
        /// The setting at fault.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The background inference worker of a stream filter stopped or could not start; frames
    /// are blocked (unless failing open) until the filter is made again.
    #[error("stream inference worker: {reason}; frames are blocked until the filter is rebuilt")]
    StreamWorker {
        /// What happened.
        reason: String,
    },
    /// The execution provider asked for is not in the loaded ONNX Runtime library, or could
    /// not be registered for this model. Nothing falls back to the CPU silently; see
    /// [`crate::classifier::ClassifierOptions::fallback_to_cpu`].
    #[error("execution provider {provider} is not available: {reason}; use the CPU provider, an ONNX Runtime build that includes {provider}, or allow the CPU fallback")]
    ExecutionProviderUnavailable {
        /// The provider's name (`XNNPACK`, `NNAPI`, `CoreML`).
        provider: String,
        /// Why.
        reason: String,
    },
    /// No preset has this name.
    #[error("unknown policy preset `{0}`; the presets are child, teen and adult")]
    UnknownPreset(String),
    /// The model pack has no signature file (`signature.json`) and unsigned packs are not
    /// allowed (see [`crate::signing::TrustPolicy`]).
    #[error("model `{model}` is unsigned (no signature.json in its pack); refusing to load it. Sign it with `safeframe models sign`, or set allow_unsigned (`--allow-unsigned`) for model development only")]
    ModelUnsigned {
        /// The model's name from its manifest.
        model: String,
    },
    /// The pack's manifest or signature was changed after it was signed (or the signature file
    /// is unreadable): the pack was tampered with.
    #[error(
        "model `{model}` was tampered with: {reason}; refusing to load it. Use the pack as its publisher signed it"
    )]
    ModelTampered {
        /// The model's name from its manifest.
        model: String,
        /// What does not verify.
        reason: String,
    },
    /// The pack is signed by a key that is not trusted.
    #[error("model `{model}` is signed by key {key_id}, which is not trusted; refusing to load it. Trust that key (pin its public key) only if you know whose it is")]
    ModelUntrusted {
        /// The model's name from its manifest.
        model: String,
        /// The key id in its signature file.
        key_id: String,
    },
    /// The pack is signed by a key the app revoked.
    #[error("model `{model}` is signed by key {key_id}, which is revoked; refusing to load it. Get the pack re-signed with a current key")]
    ModelKeyRevoked {
        /// The model's name from its manifest.
        model: String,
        /// The revoked key's id.
        key_id: String,
    },
    /// The pack's version is below the app's minimum: a rollback to an older model.
    #[error("model `{model}` version {version} is below the minimum {minimum}; refusing to load an older pack")]
    ModelRolledBack {
        /// The model's name from its manifest.
        model: String,
        /// The pack's version.
        version: String,
        /// The minimum version accepted.
        minimum: String,
    },
}

/// Shorthand for results whose error is [`SafeFrameError`].
pub type Result<T, E = SafeFrameError> = std::result::Result<T, E>;

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "nowhere".to_owned();
    }
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl SafeFrameError {
    pub(crate) fn invalid_frame(reason: impl Into<String>) -> Self {
        Self::InvalidFrame { reason: reason.into() }
    }

    pub(crate) fn manifest(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidManifest {
            field: field.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn policy(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::InvalidPolicy {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
