//! The inference engine seam: load a model's ONNX bytes with the classifier's options, run one
//! input tensor (`[1, H, W, 3]` or `[1, 3, H, W]`, float32), get the output values back.
//!
//! [`Classifier`](crate::classifier::Classifier) and, through it,
//! [`SecondOpinion`](crate::second_opinion::SecondOpinion) run on one of two engines, each
//! behind a cargo feature of this crate:
//!
//! | [`Engine`] | feature | file | for |
//! |---|---|---|---|
//! | [`Engine::OnnxRuntime`] | `onnxruntime` (default) | `onnxruntime.rs` | native apps: fastest, execution providers; the library is loaded at run time ([`crate::runtime`]) |
//! | [`Engine::Tract`] | `tract` | `tract.rs` | WebAssembly and wherever ONNX Runtime cannot go: pure Rust, model from bytes, one thread, no filesystem |
//!
//! Everything around the engine is shared: the pack checks (sha256, manifest), the sampler, the
//! check of the model's input and output against its manifest (same messages), the output's
//! activation and the check that it is a probability distribution. ONNX Runtime's own settings
//! (library search, execution providers, telemetry, spinning threads) stay in its file and in
//! [`crate::runtime`]; built without the `onnxruntime` feature, the crate has no ONNX Runtime
//! code at all.

#[cfg(feature = "onnxruntime")]
mod onnxruntime;
#[cfg(feature = "tract")]
mod tract;

use crate::classifier::ClassifierOptions;
use crate::error::{Result, SafeFrameError};
use crate::manifest::{ModelManifest, TensorLayout};

/// Which inference engine runs a model ([`ClassifierOptions::engine`]).
///
/// Both variants always exist; asking for one that this build of the crate lacks (see
/// [`Engine::is_available`]) is a [`SafeFrameError::ModelLoad`] error that names the feature to
/// switch on.
///
/// ```
/// use safeframe::engine::Engine;
/// assert_eq!(Engine::Tract.name(), "tract");
/// // The default is ONNX Runtime whenever it is built in.
/// assert_eq!(Engine::default() == Engine::OnnxRuntime, Engine::OnnxRuntime.is_available());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Engine {
    /// ONNX Runtime, loaded at run time (feature `onnxruntime`, on by default).
    OnnxRuntime,
    /// tract, a pure-Rust ONNX engine (feature `tract`): builds for `wasm32-unknown-unknown`,
    /// runs on one thread on the CPU, about 3× slower than ONNX Runtime natively (see
    /// docs/performance.md).
    Tract,
}

impl Default for Engine {
    /// ONNX Runtime when it is built in, else tract.
    fn default() -> Self {
        if cfg!(feature = "onnxruntime") || !cfg!(feature = "tract") {
            Self::OnnxRuntime
        } else {
            Self::Tract
        }
    }
}

impl Engine {
    /// The engine's name (`onnxruntime`, `tract`), as the cargo feature that builds it in.
    pub fn name(self) -> &'static str {
        match self {
            Self::OnnxRuntime => "onnxruntime",
            Self::Tract => "tract",
        }
    }

    /// Whether this build of the crate has the engine (its cargo feature was on).
    pub fn is_available(self) -> bool {
        match self {
            Self::OnnxRuntime => cfg!(feature = "onnxruntime"),
            Self::Tract => cfg!(feature = "tract"),
        }
    }

    /// Every engine this build has, the default first.
    pub fn available() -> Vec<Engine> {
        let mut engines = vec![Self::default()];
        engines.extend(
            [Self::OnnxRuntime, Self::Tract]
                .into_iter()
                .filter(|e| e.is_available()),
        );
        engines.dedup();
        engines.retain(|e| e.is_available());
        engines
    }
}

/// The model's output, reused from run to run: its shape and its values.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// The output tensor's shape.
    pub dims: Vec<i64>,
    /// Its values, in order.
    pub values: Vec<f32>,
}

/// A model loaded by one engine, ready to run (one inference at a time: `run` takes `&mut`).
pub(crate) enum Model {
    #[cfg(feature = "onnxruntime")]
    OnnxRuntime(onnxruntime::OrtModel),
    #[cfg(feature = "tract")]
    Tract(tract::TractModel),
}

impl Model {
    /// Loads `onnx` on the engine the options name, and checks its one input and its output
    /// against the manifest ([`SafeFrameError::ModelInterface`] when they differ).
    pub(crate) fn load(onnx: &[u8], manifest: &ModelManifest, options: &ClassifierOptions) -> Result<Self> {
        match options.engine {
            #[cfg(feature = "onnxruntime")]
            Engine::OnnxRuntime => onnxruntime::OrtModel::load(onnx, manifest, options).map(Self::OnnxRuntime),
            #[cfg(feature = "tract")]
            Engine::Tract => tract::TractModel::load(onnx, manifest, options).map(Self::Tract),
            #[allow(unreachable_patterns)] // reachable only when a feature is off
            engine => {
                let _ = onnx;
                Err(SafeFrameError::ModelLoad {
                    model: manifest.name.clone(),
                    reason: format!(
                        "this build of safeframe has no {} engine; build it with the cargo feature `{}`",
                        engine.name(),
                        engine.name()
                    ),
                })
            }
        }
    }

    /// Runs the model on `input` of `shape` (the sampler's tensor) and writes its output.
    pub(crate) fn run(&mut self, input: &[f32], shape: [usize; 4], output: &mut Output) -> Result<()> {
        let _ = (input, shape, &output); // unused when no engine is built in
        match *self {
            #[cfg(feature = "onnxruntime")]
            Self::OnnxRuntime(ref mut model) => model.run(input, shape, output),
            #[cfg(feature = "tract")]
            Self::Tract(ref mut model) => model.run(input, shape, output),
        }
    }
}

/// The input shape a manifest promises, batch `-1` (any).
pub(crate) fn expected_input(manifest: &ModelManifest) -> [i64; 4] {
    let (h, w) = (i64::from(manifest.input.height), i64::from(manifest.input.width));
    match manifest.input.layout {
        TensorLayout::Nhwc => [-1, h, w, 3],
        TensorLayout::Nchw => [-1, 3, h, w],
    }
}

/// The error for a model whose interface differs from its manifest.
pub(crate) fn mismatch(manifest: &ModelManifest, reason: String) -> SafeFrameError {
    SafeFrameError::ModelInterface {
        model: manifest.name.clone(),
        reason,
    }
}

/// Checks a declared tensor shape (`-1`: unknown or symbolic) against the expected one, where a
/// leading `-1` accepts any batch and a declared batch of 1.
pub(crate) fn check_shape(dims: &[i64], expected: &[i64], what: &str) -> std::result::Result<(), String> {
    let fits = dims.len() == expected.len()
        && dims
            .iter()
            .zip(expected)
            .enumerate()
            .all(|(i, (&d, &e))| d == e || d < 0 || (i == 0 && e < 0 && d == 1));
    if fits {
        Ok(())
    } else {
        Err(format!(
            "the {what} has shape {dims:?}, expected {expected:?} (-1: any batch)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_any_batch_and_unknown_dims_but_not_other_sizes() {
        let expected = [-1, 224, 224, 3];
        assert!(check_shape(&[-1, 224, 224, 3], &expected, "input").is_ok());
        assert!(check_shape(&[1, 224, 224, 3], &expected, "input").is_ok());
        assert!(check_shape(&[-1, -1, -1, 3], &expected, "input").is_ok());
        assert!(check_shape(&[1, 3, 224, 224], &expected, "input").is_err());
        assert!(check_shape(&[224, 224, 3], &expected, "input").is_err());
    }

    #[test]
    fn lists_the_default_engine_first_and_only_engines_built_in() {
        let engines = Engine::available();
        assert_eq!(engines.first(), Some(&Engine::default()).filter(|e| e.is_available()));
        assert!(engines.iter().all(|e| e.is_available()));
        assert_eq!(engines.contains(&Engine::Tract), cfg!(feature = "tract"));
    }
}
