//! The one public error type of the bindings.

use safeframe::SafeFrameError as CoreError;

/// Everything that can go wrong when calling SafeFrame from Kotlin, Swift or C.
///
/// Each case carries a message that says what is wrong and what to do about it. Kotlin sees
/// `SafeFrameException.InvalidFrame` and so on, Swift `SafeFrameError.InvalidFrame(message:)`,
/// C a status code plus `safeframe_last_error()`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum SafeFrameError {
    /// The frame's size, stride, format or buffer length do not describe a valid image.
    #[error("{0}")]
    InvalidFrame(String),
    /// The frame is larger than SafeFrame accepts.
    #[error("{0}")]
    FrameTooLarge(String),
    /// Encoded image bytes could not be decoded (unknown format, corrupt, over the limits).
    #[error("{0}")]
    InvalidImage(String),
    /// A model pack's manifest is missing a field or has a bad value.
    #[error("{0}")]
    InvalidManifest(String),
    /// The model file's sha256 differs from its manifest's: the pack is corrupt or was replaced.
    #[error("{0}")]
    ChecksumMismatch(String),
    /// A file could not be read.
    #[error("{0}")]
    Io(String),
    /// No ONNX Runtime library was found.
    #[error("{0}")]
    RuntimeNotFound(String),
    /// An ONNX Runtime library was found but cannot be used.
    #[error("{0}")]
    RuntimeLoad(String),
    /// ONNX Runtime rejected the model or the session options.
    #[error("{0}")]
    ModelLoad(String),
    /// The model does not have the inputs and outputs its manifest describes.
    #[error("{0}")]
    ModelInterface(String),
    /// Running the model failed.
    #[error("{0}")]
    Inference(String),
    /// The model's output is not a valid set of scores (NaN, wrong shape).
    #[error("{0}")]
    InvalidScores(String),
    /// A custom policy is malformed.
    #[error("{0}")]
    InvalidPolicy(String),
    /// No policy preset has this name.
    #[error("{0}")]
    UnknownPreset(String),
    /// An argument is out of range or malformed (a null pointer, a negative size, a bad handle).
    #[error("{0}")]
    InvalidArgument(String),
    /// A bug inside SafeFrame (for example a caught panic). Please report it.
    #[error("{0}")]
    Internal(String),
    /// A blocklist file or buffer could not be read or is malformed (the message names the
    /// line or the damage).
    #[error("{0}")]
    InvalidBlocklist(String),
    /// The requested ONNX Runtime execution provider (XNNPACK, NNAPI, CoreML) is not in the
    /// loaded ONNX Runtime library or could not be registered. Use `ExecutionProvider.CPU`, a
    /// runtime built with it, or `fallbackToCpu`.
    #[error("{0}")]
    ExecutionProviderUnavailable(String),
}

impl SafeFrameError {
    /// A stable number for this kind of error, used as the C ABI's status code.
    pub(crate) fn code(&self) -> i32 {
        use crate::c_api as c;
        match self {
            Self::InvalidArgument(_) => c::SAFEFRAME_ERROR_INVALID_ARGUMENT,
            Self::InvalidFrame(_) => c::SAFEFRAME_ERROR_INVALID_FRAME,
            Self::FrameTooLarge(_) => c::SAFEFRAME_ERROR_FRAME_TOO_LARGE,
            Self::InvalidImage(_) => c::SAFEFRAME_ERROR_INVALID_IMAGE,
            Self::InvalidManifest(_) => c::SAFEFRAME_ERROR_INVALID_MANIFEST,
            Self::ChecksumMismatch(_) => c::SAFEFRAME_ERROR_CHECKSUM_MISMATCH,
            Self::Io(_) => c::SAFEFRAME_ERROR_IO,
            Self::RuntimeNotFound(_) => c::SAFEFRAME_ERROR_RUNTIME_NOT_FOUND,
            Self::RuntimeLoad(_) => c::SAFEFRAME_ERROR_RUNTIME_LOAD,
            Self::ModelLoad(_) => c::SAFEFRAME_ERROR_MODEL_LOAD,
            Self::ModelInterface(_) => c::SAFEFRAME_ERROR_MODEL_INTERFACE,
            Self::Inference(_) => c::SAFEFRAME_ERROR_INFERENCE,
            Self::InvalidScores(_) => c::SAFEFRAME_ERROR_INVALID_SCORES,
            Self::InvalidPolicy(_) => c::SAFEFRAME_ERROR_INVALID_POLICY,
            Self::UnknownPreset(_) => c::SAFEFRAME_ERROR_UNKNOWN_PRESET,
            Self::Internal(_) => c::SAFEFRAME_ERROR_INTERNAL,
            Self::InvalidBlocklist(_) => c::SAFEFRAME_ERROR_INVALID_BLOCKLIST,
            Self::ExecutionProviderUnavailable(_) => c::SAFEFRAME_ERROR_EXECUTION_PROVIDER_UNAVAILABLE,
        }
    }

    /// The case's name (`"InvalidFrame"`), as the JNI path reports it.
    #[cfg_attr(target_vendor = "apple", allow(dead_code))]
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InvalidFrame(_) => "InvalidFrame",
            Self::FrameTooLarge(_) => "FrameTooLarge",
            Self::InvalidImage(_) => "InvalidImage",
            Self::InvalidManifest(_) => "InvalidManifest",
            Self::ChecksumMismatch(_) => "ChecksumMismatch",
            Self::Io(_) => "Io",
            Self::RuntimeNotFound(_) => "RuntimeNotFound",
            Self::RuntimeLoad(_) => "RuntimeLoad",
            Self::ModelLoad(_) => "ModelLoad",
            Self::ModelInterface(_) => "ModelInterface",
            Self::Inference(_) => "Inference",
            Self::InvalidScores(_) => "InvalidScores",
            Self::InvalidPolicy(_) => "InvalidPolicy",
            Self::UnknownPreset(_) => "UnknownPreset",
            Self::Internal(_) => "Internal",
            Self::InvalidBlocklist(_) => "InvalidBlocklist",
            Self::ExecutionProviderUnavailable(_) => "ExecutionProviderUnavailable",
        }
    }

    /// The error for a panic caught at the boundary.
    pub(crate) fn from_panic(payload: &(dyn std::any::Any + Send)) -> Self {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".to_owned());
        Self::Internal(format!(
            "internal error in SafeFrame (a caught panic: {detail}); please report it"
        ))
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }
}

impl From<CoreError> for SafeFrameError {
    fn from(error: CoreError) -> Self {
        Self::from(&error)
    }
}

impl From<&CoreError> for SafeFrameError {
    fn from(error: &CoreError) -> Self {
        let message = error.to_string();
        match error {
            CoreError::InvalidFrame { .. } => Self::InvalidFrame(message),
            CoreError::FrameTooLarge { .. } => Self::FrameTooLarge(message),
            CoreError::InvalidManifest { .. } => Self::InvalidManifest(message),
            CoreError::ChecksumMismatch { .. } => Self::ChecksumMismatch(message),
            CoreError::Io { .. } => Self::Io(message),
            CoreError::RuntimeNotFound { .. } => Self::RuntimeNotFound(message),
            CoreError::RuntimeLoad { .. } => Self::RuntimeLoad(message),
            CoreError::ModelLoad { .. } => Self::ModelLoad(message),
            CoreError::ModelInterface { .. } => Self::ModelInterface(message),
            CoreError::Inference { .. } => Self::Inference(message),
            CoreError::InvalidScores { .. } => Self::InvalidScores(message),
            CoreError::InvalidPolicy { .. } => Self::InvalidPolicy(message),
            CoreError::UnknownPreset(_) => Self::UnknownPreset(message),
            CoreError::Blocklist(_) => Self::InvalidBlocklist(message),
            CoreError::Pdq(_) => Self::InvalidFrame(message),
            CoreError::InvalidConfig { .. } => Self::InvalidArgument(message),
            CoreError::StreamWorker { .. } => Self::Inference(message),
            CoreError::ExecutionProviderUnavailable { .. } => Self::ExecutionProviderUnavailable(message),
            // The core's error is non-exhaustive; a case added there and not mapped here yet
            // still reaches the caller with its message.
            _ => Self::Internal(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_keep_their_message_and_kind() {
        let core = safeframe::policy::Preset::from_name("toddler").unwrap_err();
        let text = core.to_string();
        let error = SafeFrameError::from(core);
        assert_eq!(error, SafeFrameError::UnknownPreset(text.clone()));
        assert_eq!(error.to_string(), text);
        assert_eq!(error.kind(), "UnknownPreset");
    }

    #[test]
    fn codes_are_distinct_and_non_zero() {
        let all = [
            SafeFrameError::InvalidArgument(String::new()),
            SafeFrameError::InvalidFrame(String::new()),
            SafeFrameError::FrameTooLarge(String::new()),
            SafeFrameError::InvalidImage(String::new()),
            SafeFrameError::InvalidManifest(String::new()),
            SafeFrameError::ChecksumMismatch(String::new()),
            SafeFrameError::Io(String::new()),
            SafeFrameError::RuntimeNotFound(String::new()),
            SafeFrameError::RuntimeLoad(String::new()),
            SafeFrameError::ModelLoad(String::new()),
            SafeFrameError::ModelInterface(String::new()),
            SafeFrameError::Inference(String::new()),
            SafeFrameError::InvalidScores(String::new()),
            SafeFrameError::InvalidPolicy(String::new()),
            SafeFrameError::UnknownPreset(String::new()),
            SafeFrameError::Internal(String::new()),
            SafeFrameError::InvalidBlocklist(String::new()),
            SafeFrameError::ExecutionProviderUnavailable(String::new()),
        ];
        let mut codes: Vec<i32> = all.iter().map(SafeFrameError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert!(codes.iter().all(|&c| c > 0));
    }

    #[test]
    fn panic_payloads_become_internal_errors() {
        let payload = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
        let error = SafeFrameError::from_panic(payload.as_ref());
        assert!(
            matches!(&error, SafeFrameError::Internal(m) if m.contains("boom")),
            "{error}"
        );
    }
}
