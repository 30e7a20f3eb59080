//! SafeFrame: an on-device safety filter.
//!
//! A frame flows one way through small stages, each a module with plain types at its edges:
//!
//! ```text
//! Frame ─▶ Sampler ─▶ Classifier ─▶ Scores ─▶ Policy ─▶ Verdict ─▶ Redactor (in place)
//!                                        │          ▲
//!                                        └─(cascade: only when it could change the verdict)
//!                                           SecondOpinion ─▶ LabelScores
//! ```
//!
//! [`filter::Filter`] wires the stages together for single images, [`stream::StreamFilter`]
//! for live video (cadence, hysteresis, background inference, fail-closed). Nothing in this crate uses
//! the network, writes frames anywhere, or logs pixel data. It fails closed: a model that cannot
//! be loaded is an error, never a silent "allow".
#![deny(unsafe_code)]
// Where a module allows `unsafe`: every unsafe operation inside an `unsafe fn` in its own block,
// and every block with a `// SAFETY:` comment that says why it is sound.
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod blocklist;
pub mod classifier;
#[cfg(feature = "decode")]
pub mod decode;
pub mod engine;
pub mod error;
pub mod filter;
pub mod frame;
pub mod known;
pub mod manifest;
pub mod pdq;
pub mod policy;
pub mod redactor;
#[cfg(feature = "onnxruntime")]
pub mod runtime;
pub mod sampler;
pub mod scores;
pub mod second_opinion;
pub mod signing;
pub mod stream;

pub use error::{Result, SafeFrameError};

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
