//! The classifier: one model on an inference engine (ONNX Runtime by default, see
//! [`crate::engine`]) that turns a frame into [`Scores`].

use std::path::PathBuf;
use std::sync::Mutex;

use crate::engine::{Engine, Model, Output};
use crate::error::{Result, SafeFrameError};
use crate::frame::Frame;
use crate::manifest::{Activation, ModelManifest, ModelPack};
use crate::sampler::Sampler;
use crate::scores::{LabelScores, Scores};
use crate::signing::TrustPolicy;

/// How much ONNX Runtime may rewrite the graph when it loads the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Optimization {
    /// No graph rewrites.
    Disabled,
    /// Redundant-node removal and constant folding.
    Basic,
    /// Basic plus node fusions.
    Extended,
    /// Everything, including layout changes (the default).
    #[default]
    All,
}

/// Where ONNX Runtime runs the model.
///
/// Whether a provider exists is decided by the ONNX Runtime library loaded at run time:
/// Microsoft's `onnxruntime-android` package has NNAPI and XNNPACK, the iOS package CoreML and
/// XNNPACK, the desktop PyPI wheel only the CPU. Asking for one the library lacks is an
/// [`SafeFrameError::ExecutionProviderUnavailable`] error unless
/// [`ClassifierOptions::fallback_to_cpu`] is set.
///
/// ```
/// use safeframe::classifier::{ClassifierOptions, ExecutionProvider};
/// let options = ClassifierOptions { execution_provider: ExecutionProvider::Nnapi, ..ClassifierOptions::default() };
/// assert_eq!(options.execution_provider.name(), "NNAPI");
/// assert!(!options.fallback_to_cpu);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionProvider {
    /// ONNX Runtime's own CPU kernels (the default; always available).
    #[default]
    Cpu,
    /// XNNPACK: optimised CPU kernels for ARM and x86 (Android and iOS packages).
    Xnnpack,
    /// Android's Neural Networks API (GPU/DSP/NPU where the device has drivers).
    Nnapi,
    /// Apple's Core ML (Neural Engine/GPU on iOS and macOS).
    CoreMl,
}

impl ExecutionProvider {
    /// The provider's short name (`CPU`, `XNNPACK`, `NNAPI`, `CoreML`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "CPU",
            Self::Xnnpack => "XNNPACK",
            Self::Nnapi => "NNAPI",
            Self::CoreMl => "CoreML",
        }
    }
}

/// Options for [`Classifier`].
///
/// ```
/// let options = safeframe::classifier::ClassifierOptions::default();
/// assert_eq!(options.intra_threads, 1);
/// assert!(!options.spinning);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifierOptions {
    /// Threads ONNX Runtime uses inside one inference (default 1: predictable, battery friendly).
    pub intra_threads: usize,
    /// Whether idle ONNX Runtime threads spin waiting for work (default off, to save battery).
    pub spinning: bool,
    /// Graph optimisation level.
    pub optimization: Optimization,
    /// An explicit ONNX Runtime library; `None` searches the usual places (see [`crate::runtime`]).
    pub runtime_library: Option<PathBuf>,
    /// Where the model runs (default: the CPU).
    pub execution_provider: ExecutionProvider,
    /// When the execution provider is unavailable, run on the CPU instead (logged as a
    /// warning) rather than failing with [`SafeFrameError::ExecutionProviderUnavailable`].
    /// Default false: a request is never silently ignored.
    pub fallback_to_cpu: bool,
    /// The inference engine (default: ONNX Runtime when this build has it, see
    /// [`crate::engine`]). The settings above that name ONNX Runtime apply to it alone; the
    /// tract engine uses `intra_threads` 1, `optimization` and the CPU.
    pub engine: Engine,
    /// Whose model packs load (default: packs signed by a key SafeFrame ships; unsigned,
    /// tampered, untrusted, revoked and rolled-back packs are refused). Checked first in
    /// [`Classifier::from_pack`], and when a [`crate::second_opinion::SecondOpinion`] is made.
    pub trust: TrustPolicy,
}

/// The most threads one inference may use ([`ClassifierOptions::intra_threads`]).
pub const MAX_INTRA_THREADS: usize = 64;

impl ClassifierOptions {
    /// The same options with `threads` threads per inference, 1 to [`MAX_INTRA_THREADS`]; the
    /// doors pass their signed numbers here.
    ///
    /// ```
    /// use safeframe::classifier::ClassifierOptions;
    /// assert_eq!(ClassifierOptions::default().with_intra_threads(4)?.intra_threads, 4);
    /// assert!(ClassifierOptions::default().with_intra_threads(-1).is_err());
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub fn with_intra_threads(mut self, threads: i64) -> Result<Self> {
        self.intra_threads = usize::try_from(threads).unwrap_or(0);
        self.validate().map_err(|_| Self::threads_error(threads))?;
        Ok(self)
    }

    /// Checks the options: `intra_threads` is 1 to [`MAX_INTRA_THREADS`].
    pub fn validate(&self) -> Result<()> {
        if (1..=MAX_INTRA_THREADS).contains(&self.intra_threads) {
            Ok(())
        } else {
            Err(Self::threads_error(self.intra_threads))
        }
    }

    fn threads_error(threads: impl std::fmt::Display) -> SafeFrameError {
        SafeFrameError::InvalidConfig {
            field: "intra_threads".to_owned(),
            reason: format!("must be 1 to {MAX_INTRA_THREADS}, got {threads}"),
        }
    }
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        Self {
            intra_threads: 1,
            spinning: false,
            optimization: Optimization::All,
            runtime_library: None,
            execution_provider: ExecutionProvider::Cpu,
            fallback_to_cpu: false,
            engine: Engine::default(),
            trust: TrustPolicy::default(),
        }
    }
}

/// How far the model's output may stray from a probability distribution before it is rejected.
const SOFTMAX_TOLERANCE: f32 = 1e-3;

struct State {
    model: Model,
    tensor: Vec<f32>,
    output: Output,
}

/// A loaded model: runs one ONNX Runtime session (or the engine [`ClassifierOptions::engine`]
/// names) and returns [`Scores`].
///
/// Thread-safe: share it behind an `Arc`. Calls are serialised on an internal lock, because an
/// ONNX Runtime session runs one inference at a time; use one classifier per thread for
/// parallel work.
///
/// ```no_run
/// use safeframe::classifier::{Classifier, ClassifierOptions};
/// use safeframe::frame::{Frame, PixelFormat};
/// let classifier = Classifier::from_dir("models/nsfwjs-mobilenetv2-fp32", &ClassifierOptions::default())?;
/// let pixels = vec![128u8; 64 * 64 * 3];
/// let scores = classifier.classify(&Frame::packed(&pixels, 64, 64, PixelFormat::Rgb8)?)?;
/// println!("{scores:?}");
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
pub struct Classifier {
    manifest: ModelManifest,
    sampler: Sampler,
    /// Where each nsfwjs category sits in the output, for models that have them.
    indices: Option<[usize; 5]>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("model", &self.manifest.name)
            .finish()
    }
}

impl Classifier {
    /// Loads a model pack directory (see [`ModelPack::from_dir`]).
    pub fn from_dir(dir: impl AsRef<std::path::Path>, options: &ClassifierOptions) -> Result<Self> {
        Self::from_pack(&ModelPack::from_dir(dir)?, options)
    }

    /// Loads a model pack from its manifest JSON and ONNX bytes (see [`ModelPack::from_bytes`]).
    /// The pack has no signature, so it loads only when the options' trust policy allows
    /// unsigned packs; for a signed pack in memory use
    /// `Classifier::from_pack(&ModelPack::from_bytes(..)?.with_signature(..), options)`.
    pub fn from_bytes(manifest_json: &[u8], onnx: Vec<u8>, options: &ClassifierOptions) -> Result<Self> {
        Self::from_pack(&ModelPack::from_bytes(manifest_json, onnx)?, options)
    }

    /// Loads a verified model pack on the engine the options name, once it passes the options'
    /// trust policy ([`ModelPack::check_trust`]).
    pub fn from_pack(pack: &ModelPack, options: &ClassifierOptions) -> Result<Self> {
        pack.check_trust(&options.trust)?;
        let manifest = pack.manifest().clone();
        let model = Model::load(pack.onnx(), &manifest, options)?;
        let sampler = Sampler::new(&manifest.input);
        let tensor = vec![0.0; sampler.tensor_len()];
        log::info!(
            "loaded model {} {} ({}) on {}",
            manifest.name,
            manifest.version,
            manifest.precision,
            options.engine.name()
        );
        Ok(Self {
            indices: manifest.category_indices().ok(),
            sampler,
            manifest,
            state: Mutex::new(State {
                model,
                tensor,
                output: Output::default(),
            }),
        })
    }

    /// The model's manifest.
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// The sampler that prepares this model's input.
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// Samples `frame` into the model's input and runs the model: the five category scores of
    /// a primary (nsfwjs-class) model. A model with other labels is an
    /// [`SafeFrameError::InvalidManifest`] error here: use [`Classifier::classify_labels`].
    pub fn classify(&self, frame: &Frame<'_>) -> Result<Scores> {
        let indices = self.category_indices()?;
        Ok(scores_by_category(&self.classify_labels(frame)?, &indices))
    }

    /// Samples `frame` into the model's input and runs the model: one probability per label
    /// of the manifest, in its order. Works for any model.
    pub fn classify_labels(&self, frame: &Frame<'_>) -> Result<LabelScores> {
        let mut state = self.lock();
        let State { model, tensor, output } = &mut *state;
        self.sampler.sample(frame, tensor)?;
        self.run(model, tensor, output)
    }

    /// Runs the model on an input tensor that is already sampled (length
    /// [`Sampler::tensor_len`]), e.g. by a caller that samples on another thread; returns the
    /// category scores, as [`Classifier::classify`] does.
    pub fn classify_tensor(&self, tensor: &[f32]) -> Result<Scores> {
        let indices = self.category_indices()?;
        Ok(scores_by_category(&self.infer_labels(tensor)?, &indices))
    }

    /// [`Classifier::classify_tensor`] for any model: one probability per label.
    pub fn infer_labels(&self, tensor: &[f32]) -> Result<LabelScores> {
        if tensor.len() != self.sampler.tensor_len() {
            return Err(SafeFrameError::Inference {
                reason: format!(
                    "input tensor has {} values, the model needs {}",
                    tensor.len(),
                    self.sampler.tensor_len()
                ),
            });
        }
        let mut state = self.lock();
        let State { model, output, .. } = &mut *state;
        self.run(model, tensor, output)
    }

    fn category_indices(&self) -> Result<[usize; 5]> {
        match self.indices {
            Some(indices) => Ok(indices),
            None => self.manifest.category_indices(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves no broken invariant: the tensor is rewritten by
        // every call, so a poisoned lock is safe to reuse.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn run(&self, model: &mut Model, tensor: &[f32], output: &mut Output) -> Result<LabelScores> {
        model.run(tensor, self.sampler.tensor_shape(), output)?;
        let (dims, values) = (&output.dims, output.values.as_slice());
        if values.len() != self.manifest.labels.len() || dims.last().copied() != Some(self.manifest.labels.len() as i64)
        {
            return Err(SafeFrameError::InvalidScores {
                reason: format!("output shape {dims:?}, expected [1, {}]", self.manifest.labels.len()),
            });
        }
        probabilities_from_output(values, self.manifest.output.activation())
    }
}

/// Orders a primary model's probabilities by [`Category::ALL`].
fn scores_by_category(scores: &LabelScores, indices: &[usize; 5]) -> Scores {
    Scores::new(indices.map(|index| scores.get(index)))
}

/// Turns raw output into probabilities by the manifest's activation and checks them: every
/// value finite and in `[0, 1]`, summing to 1 unless they are independent sigmoids. Allocates
/// nothing (it runs on every frame).
fn probabilities_from_output(values: &[f32], activation: Activation) -> Result<LabelScores> {
    if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
        return Err(SafeFrameError::InvalidScores {
            reason: format!("output contains {bad}"),
        });
    }
    let mut buffer = [0.0f32; crate::manifest::MAX_LABELS];
    let out = buffer
        .get_mut(..values.len())
        .ok_or_else(|| SafeFrameError::InvalidScores {
            reason: format!(
                "output has {} values; at most {} labels",
                values.len(),
                crate::manifest::MAX_LABELS
            ),
        })?;
    match activation {
        Activation::Probabilities => {
            let sum: f32 = values.iter().sum();
            if values
                .iter()
                .any(|v| !(-SOFTMAX_TOLERANCE..=1.0 + SOFTMAX_TOLERANCE).contains(v))
                || (sum - 1.0).abs() > SOFTMAX_TOLERANCE
            {
                return Err(SafeFrameError::InvalidScores {
                    reason: format!("output {values:?} is not a probability distribution (sum {sum})"),
                });
            }
            for (o, v) in out.iter_mut().zip(values) {
                *o = v.clamp(0.0, 1.0);
            }
        }
        Activation::Logits => {
            let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            for (o, v) in out.iter_mut().zip(values) {
                *o = (v - max).exp();
            }
            let total: f32 = out.iter().sum();
            out.iter_mut().for_each(|o| *o /= total);
        }
        Activation::Sigmoid => {
            for (o, v) in out.iter_mut().zip(values) {
                *o = 1.0 / (1.0 + (-v).exp());
            }
        }
    }
    LabelScores::new(out).ok_or_else(|| SafeFrameError::InvalidScores {
        reason: "too many output values".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probabilities(values: &[f32]) -> Result<LabelScores> {
        probabilities_from_output(values, Activation::Probabilities)
    }

    #[test]
    fn rejects_nan_and_non_distributions() {
        assert!(probabilities(&[0.2, 0.2, 0.2, 0.2, 0.2]).is_ok());
        assert!(probabilities(&[f32::NAN, 0.2, 0.2, 0.2, 0.2]).is_err());
        assert!(probabilities(&[0.9, 0.9, 0.0, 0.0, 0.0]).is_err());
        assert!(probabilities(&[1.5, -0.5, 0.0, 0.0, 0.0]).is_err());
        assert!(probabilities_from_output(&[f32::INFINITY, 0.0], Activation::Logits).is_err());
    }

    #[test]
    fn orders_scores_by_manifest_labels() {
        let scores = probabilities(&[0.1, 0.2, 0.3, 0.4, 0.0]).unwrap();
        assert_eq!(
            scores_by_category(&scores, &[4, 3, 2, 1, 0]).to_array(),
            [0.0, 0.4, 0.3, 0.2, 0.1]
        );
    }

    #[test]
    fn applies_softmax_to_logits_and_sigmoid_per_label() {
        let soft = probabilities_from_output(&[0.0, 2.0f32.ln()], Activation::Logits).unwrap();
        assert!((soft.get(0) - 1.0 / 3.0).abs() < 1e-6 && (soft.get(1) - 2.0 / 3.0).abs() < 1e-6);
        let sig = probabilities_from_output(&[0.0, 0.0, 100.0], Activation::Sigmoid).unwrap();
        assert_eq!(sig.values(), &[0.5, 0.5, 1.0]);
    }
}
