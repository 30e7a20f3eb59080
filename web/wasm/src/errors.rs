//! Errors as JavaScript sees them: `{kind, code, message}`, with the kinds and codes of the
//! bindings' one error table (`bindings/src/error.rs`, `error_table!`), so a web caller and a C,
//! Kotlin or Swift caller read the same numbers.

use safeframe::SafeFrameError as CoreError;
use serde::Serialize;

/// An error handed to JavaScript.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebError {
    /// The kind's name, as the bindings spell it (`"InvalidImage"`).
    pub kind: &'static str,
    /// The kind's stable number (the C ABI's `SAFEFRAME_ERROR_*`).
    pub code: i32,
    /// The core's message.
    pub message: String,
}

impl WebError {
    /// An argument from JavaScript is out of range or malformed (`InvalidArgument`, code 1).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self {
            kind: "InvalidArgument",
            code: 1,
            message: message.into(),
        }
    }

    /// A bug in this crate (`Internal`, code 16).
    pub fn internal(message: impl Into<String>) -> Self {
        Self {
            kind: "Internal",
            code: 16,
            message: message.into(),
        }
    }
}

impl From<&CoreError> for WebError {
    fn from(error: &CoreError) -> Self {
        let (kind, code) = kind_of(error);
        Self {
            kind,
            code,
            message: error.to_string(),
        }
    }
}

impl From<CoreError> for WebError {
    fn from(error: CoreError) -> Self {
        Self::from(&error)
    }
}

/// Every kind this crate reports and its code: the rows of `bindings/src/error.rs`'s
/// `error_table!` (the bindings crate cannot be a dependency here: it pulls uniffi and ONNX
/// Runtime in). `sf_version` hands the table to JavaScript, and web/tests/api.test.mjs checks it
/// row by row against the C header's `SAFEFRAME_ERROR_*` that the bindings generate.
pub const KINDS: [(&str, i32); 23] = [
    ("InvalidArgument", 1),
    ("InvalidFrame", 2),
    ("FrameTooLarge", 3),
    ("InvalidImage", 4),
    ("InvalidManifest", 5),
    ("ChecksumMismatch", 6),
    ("Io", 7),
    ("RuntimeNotFound", 8),
    ("RuntimeLoad", 9),
    ("ModelLoad", 10),
    ("ModelInterface", 11),
    ("Inference", 12),
    ("InvalidScores", 13),
    ("InvalidPolicy", 14),
    ("UnknownPreset", 15),
    ("Internal", 16),
    ("InvalidBlocklist", 17),
    ("ExecutionProviderUnavailable", 18),
    ("ModelUnsigned", 19),
    ("ModelTampered", 20),
    ("ModelUntrusted", 21),
    ("ModelKeyRevoked", 22),
    ("ModelRolledBack", 23),
];

/// The kind and code (a row of [`KINDS`]) that a core error maps to, as the bindings map it.
pub fn kind_of(error: &CoreError) -> (&'static str, i32) {
    use CoreError as E;
    match error {
        E::InvalidConfig { .. } => ("InvalidArgument", 1),
        E::InvalidFrame { .. } | E::Pdq(_) => ("InvalidFrame", 2),
        E::FrameTooLarge { .. } => ("FrameTooLarge", 3),
        E::InvalidImage { .. } => ("InvalidImage", 4),
        E::InvalidManifest { .. } => ("InvalidManifest", 5),
        E::ChecksumMismatch { .. } => ("ChecksumMismatch", 6),
        E::Io { .. } => ("Io", 7),
        E::RuntimeNotFound { .. } => ("RuntimeNotFound", 8),
        E::RuntimeLoad { .. } => ("RuntimeLoad", 9),
        E::ModelLoad { .. } => ("ModelLoad", 10),
        E::ModelInterface { .. } => ("ModelInterface", 11),
        E::Inference { .. } | E::StreamWorker { .. } => ("Inference", 12),
        E::InvalidScores { .. } => ("InvalidScores", 13),
        E::InvalidPolicy { .. } => ("InvalidPolicy", 14),
        E::UnknownPreset(_) => ("UnknownPreset", 15),
        E::Blocklist(_) => ("InvalidBlocklist", 17),
        E::ExecutionProviderUnavailable { .. } => ("ExecutionProviderUnavailable", 18),
        E::ModelUnsigned { .. } => ("ModelUnsigned", 19),
        E::ModelTampered { .. } => ("ModelTampered", 20),
        E::ModelUntrusted { .. } => ("ModelUntrusted", 21),
        E::ModelKeyRevoked { .. } => ("ModelKeyRevoked", 22),
        E::ModelRolledBack { .. } => ("ModelRolledBack", 23),
        // The core's error is non-exhaustive: a case added there and not mapped here yet still
        // reaches the caller with its message.
        _ => ("Internal", 16),
    }
}
