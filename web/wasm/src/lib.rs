//! SafeFrame in WebAssembly: the core (decoder, sampler, classifier on the tract engine, policy,
//! redaction, streams, PDQ, known-content blocklists) behind plain C-style exports, for
//! `web/js/safeframe.js`.
//!
//! This crate only converts: bytes and JSON in, JSON out. Every rule (limits, trust, policy,
//! fail-closed, the change gate) is the core's. Modules:
//!
//! | file | what |
//! |---|---|
//! | `api.rs` | the safe functions: filters, models, streams, PDQ, blocklists; JSON in and out |
//! | `errors.rs` | the error kinds and codes (the bindings' table) and the error JSON |
//! | `handles.rs` | numbered handles for the objects JavaScript holds |
//! | `exports.rs` | the `extern "C"` exports: raw pointers to slices, results to a buffer |
//!
//! Calling convention (see `exports.rs`): JavaScript copies its bytes into memory from
//! `sf_alloc`, calls an export, and reads the JSON the call left in the result buffer
//! (`sf_result_ptr`, `sf_result_len`). An export returns a number ≥ 0 on success (a handle,
//! or 0) and the negated error code on failure, the result buffer then holding
//! `{"kind", "code", "message"}`. Nothing panics across the boundary.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod api;
pub mod errors;
mod exports;
mod handles;
