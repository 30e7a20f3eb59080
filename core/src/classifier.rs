//! The classifier: one ONNX Runtime session that turns a frame into [`Scores`].

use std::path::PathBuf;
use std::sync::Mutex;

use ort::ep::{self, ExecutionProvider as _, ExecutionProviderDispatch};
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::{TensorRef, ValueType};

use crate::error::{Result, SafeFrameError};
use crate::frame::Frame;
use crate::manifest::{Activation, ModelManifest, ModelPack, TensorLayout};
use crate::sampler::Sampler;
use crate::scores::{LabelScores, Scores};

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

    /// Whether the loaded library has this provider, and its registration; `None` for the CPU.
    fn dispatch(self) -> std::result::Result<Option<(bool, ExecutionProviderDispatch)>, String> {
        let probe = |available: ort::Result<bool>, dispatch: ExecutionProviderDispatch| {
            available
                .map(|a| Some((a, dispatch.error_on_failure())))
                .map_err(|e| format!("cannot ask ONNX Runtime for its providers: {e}"))
        };
        match self {
            Self::Cpu => Ok(None),
            Self::Xnnpack => probe(ep::XNNPACK::is_available(), ep::XNNPACK::default().build()),
            #[cfg(not(all(target_vendor = "apple", not(target_os = "macos"))))]
            Self::Nnapi => probe(ep::NNAPI::is_available(), ep::NNAPI::default().build()),
            #[cfg(all(target_vendor = "apple", not(target_os = "macos")))]
            Self::Nnapi => Err("NNAPI exists only on Android".to_owned()),
            Self::CoreMl => probe(ep::CoreML::is_available(), ep::CoreML::default().build()),
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
        }
    }
}

/// Registers the requested execution provider, or explains why it cannot be (running on the
/// CPU instead only when the options allow it).
fn with_provider(builder: SessionBuilder, options: &ClassifierOptions) -> Result<SessionBuilder> {
    let provider = options.execution_provider;
    let unavailable = |reason: String| SafeFrameError::ExecutionProviderUnavailable {
        provider: provider.name().to_owned(),
        reason,
    };
    let fallback = |builder: SessionBuilder, error: SafeFrameError| {
        if options.fallback_to_cpu {
            log::warn!("{error}; running on the CPU (fallback_to_cpu)");
            Ok(builder)
        } else {
            Err(error)
        }
    };
    let (available, dispatch) = match provider.dispatch() {
        Ok(None) => return Ok(builder),
        Ok(Some(probe)) => probe,
        Err(reason) => return fallback(builder, unavailable(reason)),
    };
    if !available {
        return fallback(
            builder,
            unavailable("the loaded ONNX Runtime library was built without it".to_owned()),
        );
    }
    match builder.with_execution_providers([dispatch]) {
        Ok(builder) => {
            log::info!("execution provider {} registered", provider.name());
            Ok(builder)
        }
        Err(e) => {
            let error = unavailable(format!("registering it failed: {e}"));
            fallback(e.recover(), error)
        }
    }
}

/// How far the model's output may stray from a probability distribution before it is rejected.
const SOFTMAX_TOLERANCE: f32 = 1e-3;

struct State {
    session: Session,
    tensor: Vec<f32>,
}

/// A loaded model: runs one ONNX Runtime session and returns [`Scores`].
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
    pub fn from_bytes(manifest_json: &[u8], onnx: Vec<u8>, options: &ClassifierOptions) -> Result<Self> {
        Self::from_pack(&ModelPack::from_bytes(manifest_json, onnx)?, options)
    }

    /// Loads a verified model pack.
    pub fn from_pack(pack: &ModelPack, options: &ClassifierOptions) -> Result<Self> {
        let runtime = crate::runtime::load(options.runtime_library.as_deref())?;
        let manifest = pack.manifest().clone();
        let model_error = |reason: String| SafeFrameError::ModelLoad {
            model: manifest.name.clone(),
            reason,
        };
        options.validate()?;
        let level = match options.optimization {
            Optimization::Disabled => GraphOptimizationLevel::Disable,
            Optimization::Basic => GraphOptimizationLevel::Level1,
            Optimization::Extended => GraphOptimizationLevel::Level2,
            Optimization::All => GraphOptimizationLevel::All,
        };
        let builder_error = |e: ort::Error<ort::session::builder::SessionBuilder>| model_error(e.to_string());
        let session = Session::builder(&runtime.environment)
            .map_err(|e| model_error(e.to_string()))?
            .with_intra_threads(options.intra_threads)
            .map_err(builder_error)?
            .with_inter_threads(1)
            .map_err(builder_error)?
            .with_intra_op_spinning(options.spinning)
            .map_err(builder_error)?
            .with_inter_op_spinning(options.spinning)
            .map_err(builder_error)?
            .with_optimization_level(level)
            .map_err(builder_error)?;
        let session = with_provider(session, options)?
            .commit_from_memory(pack.onnx())
            .map_err(|e| model_error(e.to_string()))?;
        check_interface(&session, &manifest)?;
        let sampler = Sampler::new(&manifest.input);
        let tensor = vec![0.0; sampler.tensor_len()];
        log::info!(
            "loaded model {} {} ({})",
            manifest.name,
            manifest.version,
            manifest.precision
        );
        Ok(Self {
            indices: manifest.category_indices().ok(),
            sampler,
            manifest,
            state: Mutex::new(State { session, tensor }),
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
        let State { session, tensor } = &mut *state;
        self.sampler.sample(frame, tensor)?;
        self.run(session, tensor)
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
        self.run(&mut state.session, tensor)
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

    fn run(&self, session: &mut Session, tensor: &[f32]) -> Result<LabelScores> {
        let inference = |e: ort::Error| SafeFrameError::Inference { reason: e.to_string() };
        let input = TensorRef::from_array_view((self.sampler.tensor_shape(), tensor)).map_err(inference)?;
        let outputs = session
            .run(ort::inputs![self.manifest.input.name.as_str() => input])
            .map_err(inference)?;
        let output = outputs
            .get(&self.manifest.output.name)
            .ok_or_else(|| SafeFrameError::InvalidScores {
                reason: format!("the model produced no output `{}`", self.manifest.output.name),
            })?;
        let (shape, values) = output
            .try_extract_tensor::<f32>()
            .map_err(|e| SafeFrameError::InvalidScores {
                reason: format!("output `{}` is not a float32 tensor: {e}", self.manifest.output.name),
            })?;
        let dims: Vec<i64> = shape.iter().copied().collect();
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

/// Compares the session's declared input and output with the manifest.
fn check_interface(session: &Session, manifest: &ModelManifest) -> Result<()> {
    let mismatch = |reason: String| SafeFrameError::ModelInterface {
        model: manifest.name.clone(),
        reason,
    };
    let input = session
        .inputs()
        .iter()
        .find(|i| i.name() == manifest.input.name)
        .ok_or_else(|| mismatch(format!("no input named `{}`", manifest.input.name)))?;
    if session.inputs().len() != 1 {
        return Err(mismatch(format!(
            "the model has {} inputs; SafeFrame feeds exactly one",
            session.inputs().len()
        )));
    }
    let (h, w) = (i64::from(manifest.input.height), i64::from(manifest.input.width));
    let expected = match manifest.input.layout {
        TensorLayout::Nhwc => [-1, h, w, 3],
        TensorLayout::Nchw => [-1, 3, h, w],
    };
    check_tensor(input.dtype(), &expected, "input", &mismatch)?;
    let output = session
        .outputs()
        .iter()
        .find(|o| o.name() == manifest.output.name)
        .ok_or_else(|| mismatch(format!("no output named `{}`", manifest.output.name)))?;
    check_tensor(output.dtype(), &[-1, manifest.labels.len() as i64], "output", &mismatch)
}

fn check_tensor(
    dtype: &ValueType,
    expected: &[i64],
    what: &str,
    mismatch: &dyn Fn(String) -> SafeFrameError,
) -> Result<()> {
    let ValueType::Tensor { ty, shape, .. } = dtype else {
        return Err(mismatch(format!("the {what} is not a tensor")));
    };
    if *ty != ort::value::TensorElementType::Float32 {
        return Err(mismatch(format!("the {what} is {ty:?}, expected float32")));
    }
    let dims: Vec<i64> = shape.iter().copied().collect();
    let fits = dims.len() == expected.len()
        && dims
            .iter()
            .zip(expected)
            .enumerate()
            .all(|(i, (&d, &e))| d == e || d < 0 || (i == 0 && e < 0 && d == 1));
    if !fits {
        return Err(mismatch(format!(
            "the {what} has shape {dims:?}, expected {expected:?} (-1: any batch)"
        )));
    }
    Ok(())
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
