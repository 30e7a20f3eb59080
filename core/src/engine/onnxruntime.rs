//! The ONNX Runtime engine: one session per model, its options (threads, spinning, graph
//! optimisation, execution provider) and the check of its declared input and output.

use ort::ep::{self, ExecutionProvider as _, ExecutionProviderDispatch};
use ort::session::builder::{GraphOptimizationLevel, SessionBuilder};
use ort::session::Session;
use ort::value::{TensorRef, ValueType};

use super::{check_shape, expected_input, mismatch, Output};
use crate::classifier::{ClassifierOptions, ExecutionProvider, Optimization};
use crate::error::{Result, SafeFrameError};
use crate::manifest::ModelManifest;

/// Whether the loaded library has this provider, and its registration; `None` for the CPU.
fn dispatch(provider: ExecutionProvider) -> std::result::Result<Option<(bool, ExecutionProviderDispatch)>, String> {
    let probe = |available: ort::Result<bool>, dispatch: ExecutionProviderDispatch| {
        available
            .map(|a| Some((a, dispatch.error_on_failure())))
            .map_err(|e| format!("cannot ask ONNX Runtime for its providers: {e}"))
    };
    match provider {
        ExecutionProvider::Cpu => Ok(None),
        ExecutionProvider::Xnnpack => probe(ep::XNNPACK::is_available(), ep::XNNPACK::default().build()),
        #[cfg(not(all(target_vendor = "apple", not(target_os = "macos"))))]
        ExecutionProvider::Nnapi => probe(ep::NNAPI::is_available(), ep::NNAPI::default().build()),
        #[cfg(all(target_vendor = "apple", not(target_os = "macos")))]
        ExecutionProvider::Nnapi => Err("NNAPI exists only on Android".to_owned()),
        ExecutionProvider::CoreMl => probe(ep::CoreML::is_available(), ep::CoreML::default().build()),
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
    let (available, dispatch) = match dispatch(provider) {
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

/// One ONNX Runtime session and the names of its input and output.
pub(crate) struct OrtModel {
    session: Session,
    input: String,
    output: String,
}

impl OrtModel {
    /// Loads ONNX Runtime (once per process, [`crate::runtime::load`]), checks the options and
    /// makes a session for `onnx`.
    pub(crate) fn load(onnx: &[u8], manifest: &ModelManifest, options: &ClassifierOptions) -> Result<Self> {
        let runtime = crate::runtime::load(options.runtime_library.as_deref())?;
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
            .commit_from_memory(onnx)
            .map_err(|e| model_error(e.to_string()))?;
        check_interface(&session, manifest)?;
        Ok(Self {
            session,
            input: manifest.input.name.clone(),
            output: manifest.output.name.clone(),
        })
    }

    /// Runs the session on `input` and copies the named output.
    pub(crate) fn run(&mut self, input: &[f32], shape: [usize; 4], output: &mut Output) -> Result<()> {
        let inference = |e: ort::Error| SafeFrameError::Inference { reason: e.to_string() };
        let tensor = TensorRef::from_array_view((shape, input)).map_err(inference)?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(inference)?;
        let value = outputs.get(&self.output).ok_or_else(|| SafeFrameError::InvalidScores {
            reason: format!("the model produced no output `{}`", self.output),
        })?;
        let (dims, values) = value
            .try_extract_tensor::<f32>()
            .map_err(|e| SafeFrameError::InvalidScores {
                reason: format!("output `{}` is not a float32 tensor: {e}", self.output),
            })?;
        output.dims.clear();
        output.dims.extend(dims.iter().copied());
        output.values.clear();
        output.values.extend_from_slice(values);
        Ok(())
    }
}

/// Compares the session's declared input and output with the manifest.
fn check_interface(session: &Session, manifest: &ModelManifest) -> Result<()> {
    let mismatch = |reason: String| mismatch(manifest, reason);
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
    check_tensor(input.dtype(), &expected_input(manifest), "input", &mismatch)?;
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
    check_shape(&dims, expected, what).map_err(mismatch)
}
