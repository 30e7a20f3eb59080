//! Kotlin, Swift and C bindings for SafeFrame.
//!
//! This crate is thin: it converts types and errors between the foreign languages and the
//! [`safeframe`] core and holds no filtering logic of its own. It has three doors:
//!
//! - **uniffi** exports ([`SafeFrameFilter`], [`Policy`] and plain records): the idiomatic
//!   Kotlin (`dev.safeframe`) and Swift (`SafeFrame`) APIs. Pixels cross by copy.
//! - **the C ABI** ([`c_api`], header `bindings/include/safeframe.h`): opaque handles and
//!   in-place processing of caller-owned frames, for C and for Swift's zero-copy path.
//! - **JNI** (`jni_api`, not on Apple platforms): Android's zero-copy path over direct
//!   `ByteBuffer`s.
//!
//! Every entry point catches panics: a bug here becomes an error in the caller's language,
//! never an unwind into foreign code. The library is built with `panic = "unwind"` for that.
// Every unsafe operation in its own block, each block with a `// SAFETY:` comment that says
// why it is sound (raw buffers cross this crate's C ABI and JNI doors).
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

uniffi::setup_scaffolding!("safeframe");

mod blocklist;
pub mod c_api;
mod decode;
mod error;
mod filter;
mod handles;
#[cfg(not(target_vendor = "apple"))]
mod jni_api;
mod policy;
mod stream;
mod types;

pub use blocklist::{Blocklist, BlocklistOptions};
pub use error::{ErrorKind, SafeFrameError};
pub use filter::{ExecutionProvider, FilterOptions, SafeFrameFilter};
pub use policy::Policy;
pub use stream::{
    ChangeCause, FailureKind, SafeFrameStream, StreamCadence, StreamCounters, StreamFailureInfo, StreamListener,
    StreamOptions, VerdictChange,
};
pub use types::{
    pixel_format_code, Action, Category, CropRect, FilteredFrame, Frame, FramePlane, PixelFormat, Preset, Scores,
    Verdict,
};

/// The version of SafeFrame this library was built from.
#[uniffi::export]
pub fn version() -> String {
    safeframe::VERSION.to_owned()
}

/// The names of the built-in policy presets (`child`, `teen`, `adult`).
#[uniffi::export]
pub fn preset_names() -> Vec<String> {
    safeframe::policy::Preset::ALL
        .iter()
        .map(|p| p.name().to_owned())
        .collect()
}

/// The error kind with C status code `code` (`SAFEFRAME_ERROR_*`), if any: how the Swift
/// package turns a C status into a `SafeFrameError` without a second table.
#[uniffi::export]
pub fn error_kind_from_code(code: i32) -> Option<ErrorKind> {
    ErrorKind::from_code(code)
}

/// The C status code (`SAFEFRAME_ERROR_*`) of an error kind.
#[uniffi::export]
pub fn error_kind_code(kind: ErrorKind) -> i32 {
    kind.code()
}
