//! The tract engine: a pure-Rust ONNX engine for builds without ONNX Runtime (WebAssembly).
//!
//! The model is read from bytes (no filesystem), typed for a batch of one, optimised, and run
//! on the calling thread (tract here has no thread pool: `intra_threads` above 1 is ignored).
//! Only the CPU exists: another execution provider is
//! [`SafeFrameError::ExecutionProviderUnavailable`] unless `fallback_to_cpu` is set, as with
//! ONNX Runtime. ONNX Runtime's own settings (`runtime_library`, `spinning`) do not apply.
//!
//! Operators: every pack SafeFrame ships loads, fp32 and int8 (QDQ: `QuantizeLinear` /
//! `DequantizeLinear` around float `Conv`/`Gemm`/`MatMul`); the ONNX files' intermediate
//! `value_info` is ignored because the int8 packs declare a symbolic batch there that tract
//! cannot unify with the batch of one.

use tract_onnx::prelude::{
    tvec, DatumType, Framework, InferenceFact, InferenceModelExt, IntoRunnable, Tensor, TypedModel, TypedSimplePlan,
    TypedSimpleState,
};
use tract_onnx::tract_hir::infer::Factoid;

use super::{check_shape, expected_input, mismatch, Output};
use crate::classifier::{ClassifierOptions, ExecutionProvider, Optimization};
use crate::error::{Result, SafeFrameError};
use crate::manifest::ModelManifest;

/// A typed, optimised tract plan and its state, reused from run to run.
pub(crate) struct TractModel {
    state: TypedSimpleState,
}

impl TractModel {
    /// Reads `onnx`, checks its interface against the manifest, types it for a batch of one
    /// and makes it runnable.
    pub(crate) fn load(onnx: &[u8], manifest: &ModelManifest, options: &ClassifierOptions) -> Result<Self> {
        options.validate()?;
        check_provider(options)?;
        if options.intra_threads > 1 {
            log::debug!(
                "the tract engine runs on one thread; intra_threads {} ignored",
                options.intra_threads
            );
        }
        let model_error = |e: tract_onnx::prelude::TractError| SafeFrameError::ModelLoad {
            model: manifest.name.clone(),
            reason: format!("{e:#}"),
        };
        let mut model = tract_onnx::onnx()
            .with_ignore_value_info(true)
            .model_for_read(&mut &onnx[..])
            .map_err(model_error)?;
        check_input(&model, manifest)?;
        model
            .select_outputs_by_name([manifest.output.name.as_str()])
            .map_err(|_| mismatch(manifest, format!("no output named `{}`", manifest.output.name)))?;
        let batch_of_one = expected_input(manifest).map(|d| d.max(1) as usize);
        model
            .set_input_fact(0, InferenceFact::dt_shape(DatumType::F32, batch_of_one))
            .map_err(model_error)?;
        let typed = model.into_typed().map_err(model_error)?;
        let typed = match options.optimization {
            Optimization::Disabled => typed,
            Optimization::Basic | Optimization::Extended => typed.into_decluttered().map_err(model_error)?,
            Optimization::All => typed.into_optimized().map_err(model_error)?,
        };
        check_output(&typed, manifest)?;
        let plan: std::sync::Arc<TypedSimplePlan> = typed.into_runnable().map_err(model_error)?;
        let state = plan.spawn().map_err(model_error)?;
        Ok(Self { state })
    }

    /// Runs the plan on `input` and copies its one output.
    pub(crate) fn run(&mut self, input: &[f32], shape: [usize; 4], output: &mut Output) -> Result<()> {
        let inference = |e: tract_onnx::prelude::TractError| SafeFrameError::Inference {
            reason: format!("{e:#}"),
        };
        let tensor = Tensor::from_shape(&shape, input).map_err(inference)?;
        let outputs = self.state.run(tvec![tensor.into()]).map_err(inference)?;
        let value = outputs.first().ok_or_else(|| SafeFrameError::InvalidScores {
            reason: "the model produced no output".to_owned(),
        })?;
        let not_f32 = |e: tract_onnx::prelude::TractError| SafeFrameError::InvalidScores {
            reason: format!("the output is not a float32 tensor: {e}"),
        };
        let view = value.try_as_plain_ram().map_err(not_f32)?;
        let values = view.as_slice::<f32>().map_err(not_f32)?;
        output.dims.clear();
        output.dims.extend(value.shape().iter().map(|&d| d as i64));
        output.values.clear();
        output.values.extend_from_slice(values);
        Ok(())
    }
}

/// tract runs on the CPU only: any other provider is refused, or falls back when allowed.
fn check_provider(options: &ClassifierOptions) -> Result<()> {
    if options.execution_provider == ExecutionProvider::Cpu {
        return Ok(());
    }
    let error = SafeFrameError::ExecutionProviderUnavailable {
        provider: options.execution_provider.name().to_owned(),
        reason: "the tract engine runs only on the CPU".to_owned(),
    };
    if options.fallback_to_cpu {
        log::warn!("{error}; running on the CPU (fallback_to_cpu)");
        Ok(())
    } else {
        Err(error)
    }
}

/// The model has exactly one input, named as in the manifest, float32 (where declared), of the
/// manifest's shape (where declared).
fn check_input(model: &tract_onnx::prelude::InferenceModel, manifest: &ModelManifest) -> Result<()> {
    let mismatch = |reason: String| mismatch(manifest, reason);
    let inputs = model.input_outlets().map_err(|e| mismatch(e.to_string()))?;
    let named = inputs
        .iter()
        .find(|o| model.node(o.node).name == manifest.input.name)
        .ok_or_else(|| mismatch(format!("no input named `{}`", manifest.input.name)))?;
    if inputs.len() != 1 {
        return Err(mismatch(format!(
            "the model has {} inputs; SafeFrame feeds exactly one",
            inputs.len()
        )));
    }
    let fact = model.outlet_fact(*named).map_err(|e| mismatch(e.to_string()))?;
    if let Some(dt) = fact.datum_type.concretize().filter(|dt| *dt != DatumType::F32) {
        return Err(mismatch(format!("the input is {dt:?}, expected float32")));
    }
    if fact.shape.rank().concretize().is_some() {
        let dims: Vec<i64> = fact
            .shape
            .dims()
            .map(|d| d.concretize().and_then(|d| d.to_i64().ok()).unwrap_or(-1))
            .collect();
        check_shape(&dims, &expected_input(manifest), "input").map_err(mismatch)?;
    }
    Ok(())
}

/// The one output is float32 with one value per label.
fn check_output(model: &TypedModel, manifest: &ModelManifest) -> Result<()> {
    let mismatch = |reason: String| mismatch(manifest, reason);
    let fact = model.output_fact(0).map_err(|e| mismatch(e.to_string()))?;
    if fact.datum_type != DatumType::F32 {
        return Err(mismatch(format!(
            "the output is {:?}, expected float32",
            fact.datum_type
        )));
    }
    let dims: Vec<i64> = fact.shape.iter().map(|d| d.to_i64().unwrap_or(-1)).collect();
    check_shape(&dims, &[-1, manifest.labels.len() as i64], "output").map_err(mismatch)
}
