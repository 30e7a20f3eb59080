//! Kotlin, Swift and C bindings for SafeFrame (see the bindings issue).
//!
//! This crate only converts types and errors between the foreign languages and the
//! [`safeframe`] core; it holds no logic of its own.

/// The version of the SafeFrame core this library was built with.
pub fn core_version() -> &'static str {
    safeframe::VERSION
}
