//! The one public error type of the bindings.

use safeframe::SafeFrameError as CoreError;

/// The one error table: each row is a variant of [`SafeFrameError`] (and of [`ErrorKind`]), its
/// stable numeric code (the C ABI's `SAFEFRAME_ERROR_*`, the JNI and Swift mapping), and the
/// core errors that become it. Everything else about errors is generated from it.
macro_rules! error_table {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $code:literal <= [$($core:ident),*],
    )*) => {
        /// Everything that can go wrong when calling SafeFrame from Kotlin, Swift or C.
        ///
        /// Each case carries a message that says what is wrong and what to do about it. Kotlin
        /// sees `SafeFrameException.InvalidFrame` and so on (from the copying and the zero-copy
        /// paths alike), Swift `SafeFrameError.InvalidFrame(message:)`, C a status code
        /// (`SAFEFRAME_ERROR_INVALID_FRAME`) plus `safeframe_last_error()`.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
        #[uniffi(flat_error)]
        pub enum SafeFrameError {
            $(
                $(#[doc = $doc])*
                #[error("{0}")]
                $variant(String),
            )*
        }

        /// The kind of a [`SafeFrameError`], without its message: Kotlin's
        /// `SafeFrameException.kind`, and what the C codes stand for.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
        pub enum ErrorKind {
            $(
                $(#[doc = $doc])*
                $variant,
            )*
        }

        impl ErrorKind {
            /// Every kind with its stable numeric code, in code order.
            pub const ALL: &'static [(ErrorKind, i32)] = &[$((ErrorKind::$variant, $code)),*];

            /// The stable number of this kind (the C ABI's `SAFEFRAME_ERROR_*`; never 0, which
            /// is `SAFEFRAME_OK`).
            pub const fn code(self) -> i32 {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The kind's name, as the variant is spelled (`"InvalidFrame"`).
            pub const fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($variant),)*
                }
            }

            /// The kind with code `code`, if any.
            pub fn from_code(code: i32) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)*
                    _ => None,
                }
            }

            /// The error of this kind with `message`.
            pub fn error(self, message: String) -> SafeFrameError {
                match self {
                    $(Self::$variant => SafeFrameError::$variant(message),)*
                }
            }
        }

        impl std::fmt::Display for ErrorKind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }

        impl SafeFrameError {
            /// The kind of this error.
            pub fn kind(&self) -> ErrorKind {
                match self {
                    $(Self::$variant(_) => ErrorKind::$variant,)*
                }
            }

            /// The message.
            pub fn message(&self) -> &str {
                match self {
                    $(Self::$variant(message) => message,)*
                }
            }
        }

        impl From<&CoreError> for SafeFrameError {
            fn from(error: &CoreError) -> Self {
                let message = error.to_string();
                match error {
                    $($(CoreError::$core { .. } => Self::$variant(message),)*)*
                    // The core's error is non-exhaustive; a case added there and not mapped
                    // here yet still reaches the caller with its message.
                    _ => Self::Internal(message),
                }
            }
        }
    };
}

error_table! {
    /// An argument is out of range or malformed (a null pointer, a bad handle, a stream or
    /// filter option out of range: the message names the field).
    InvalidArgument = 1 <= [InvalidConfig],
    /// The frame's size, strides, format, planes or buffer lengths do not describe a valid image.
    InvalidFrame = 2 <= [InvalidFrame, Pdq],
    /// The frame is larger than SafeFrame accepts.
    FrameTooLarge = 3 <= [FrameTooLarge],
    /// Encoded image bytes could not be decoded (unknown format, corrupt, over the limits).
    InvalidImage = 4 <= [InvalidImage],
    /// A model pack's manifest is missing a field or has a bad value.
    InvalidManifest = 5 <= [InvalidManifest],
    /// The model file's sha256 differs from its manifest's: the pack is corrupt or was replaced.
    ChecksumMismatch = 6 <= [ChecksumMismatch],
    /// A file could not be read.
    Io = 7 <= [Io],
    /// No ONNX Runtime library was found.
    RuntimeNotFound = 8 <= [RuntimeNotFound],
    /// An ONNX Runtime library was found but cannot be used.
    RuntimeLoad = 9 <= [RuntimeLoad],
    /// ONNX Runtime rejected the model or the session options (its message is kept).
    ModelLoad = 10 <= [ModelLoad],
    /// The model does not have the inputs and outputs its manifest describes.
    ModelInterface = 11 <= [ModelInterface],
    /// Running the model failed (ONNX Runtime's message is kept).
    Inference = 12 <= [Inference, StreamWorker],
    /// The model's output is not a valid set of scores (NaN, wrong shape).
    InvalidScores = 13 <= [InvalidScores],
    /// A custom policy is malformed.
    InvalidPolicy = 14 <= [InvalidPolicy],
    /// No policy preset has this name.
    UnknownPreset = 15 <= [UnknownPreset],
    /// A bug inside SafeFrame (for example a caught panic). Please report it.
    Internal = 16 <= [],
    /// A blocklist file or buffer could not be read or is malformed (the message names the
    /// line or the damage).
    InvalidBlocklist = 17 <= [Blocklist],
    /// The requested ONNX Runtime execution provider (XNNPACK, NNAPI, CoreML) is not in the
    /// loaded ONNX Runtime library or could not be registered. Use `ExecutionProvider.CPU`, a
    /// runtime built with it, or `fallbackToCpu`.
    ExecutionProviderUnavailable = 18 <= [ExecutionProviderUnavailable],
    /// The model pack has no `signature.json` and unsigned packs are not allowed. Sign it
    /// (`safeframe models sign`) or, for model development only, set `allowUnsigned`.
    ModelUnsigned = 19 <= [ModelUnsigned],
    /// The pack's manifest or signature changed after it was signed (or its signature file is
    /// unreadable): it was tampered with.
    ModelTampered = 20 <= [ModelTampered],
    /// The pack is signed by a key that is not trusted (not shipped with SafeFrame, not in
    /// `trustedKeys`).
    ModelUntrusted = 21 <= [ModelUntrusted],
    /// The pack is signed by a key in `revokedKeys`.
    ModelKeyRevoked = 22 <= [ModelKeyRevoked],
    /// The pack's version is below `minVersion`: a rollback to an older model.
    ModelRolledBack = 23 <= [ModelRolledBack],
}

impl SafeFrameError {
    /// A stable number for this kind of error, used as the C ABI's status code.
    pub fn code(&self) -> i32 {
        self.kind().code()
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
        assert_eq!(error.kind(), ErrorKind::UnknownPreset);
        assert_eq!(error.kind().name(), "UnknownPreset");
    }

    #[test]
    fn codes_are_distinct_non_zero_and_round_trip() {
        let mut codes: Vec<i32> = ErrorKind::ALL.iter().map(|&(_, code)| code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
        assert!(codes.iter().all(|&c| c > 0));
        for &(kind, code) in ErrorKind::ALL {
            assert_eq!(kind.code(), code);
            assert_eq!(ErrorKind::from_code(code), Some(kind));
            let error = kind.error("m".to_owned());
            assert_eq!((error.kind(), error.code(), error.message()), (kind, code, "m"));
        }
        assert_eq!(ErrorKind::from_code(0), None);
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
