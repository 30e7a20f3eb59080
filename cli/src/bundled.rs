//! The model packs compiled into the binary, so `safeframe` works from any directory.

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::manifest::{ModelManifest, ModelPack};

use crate::CliError;

/// A model pack embedded with `include_bytes!`.
pub struct BundledModel {
    /// The pack's name (also its directory under `models/`).
    pub name: &'static str,
    manifest: &'static [u8],
    onnx: &'static [u8],
}

macro_rules! bundled {
    ($name:literal) => {
        BundledModel {
            name: $name,
            manifest: include_bytes!(concat!("../../models/", $name, "/manifest.json")),
            onnx: include_bytes!(concat!("../../models/", $name, "/model.onnx")),
        }
    };
}

/// Every bundled pack.
pub const BUNDLED: &[BundledModel] = &[bundled!("nsfwjs-mobilenetv2-fp32"), bundled!("nsfwjs-mobilenetv2-int8")];

/// The model used when `--model` is not given.
pub const DEFAULT_MODEL: &str = "nsfwjs-mobilenetv2-fp32";

impl BundledModel {
    /// The verified pack.
    pub fn pack(&self) -> Result<ModelPack, CliError> {
        Ok(ModelPack::from_bytes(self.manifest, self.onnx.to_vec())?)
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> Result<ModelManifest, CliError> {
        Ok(ModelManifest::from_json(self.manifest)?)
    }

    /// Size of the ONNX file in bytes.
    pub fn onnx_len(&self) -> usize {
        self.onnx.len()
    }
}

/// Loads `--model`: a bundled pack's name, or a model-pack directory.
pub fn load(model: Option<&str>, options: &ClassifierOptions) -> Result<Classifier, CliError> {
    let name = model.unwrap_or(DEFAULT_MODEL);
    if let Some(bundled) = BUNDLED.iter().find(|m| m.name == name) {
        return Ok(Classifier::from_pack(&bundled.pack()?, options)?);
    }
    let dir = std::path::Path::new(name);
    if dir.is_dir() {
        return Ok(Classifier::from_dir(dir, options)?);
    }
    let names: Vec<&str> = BUNDLED.iter().map(|m| m.name).collect();
    Err(CliError::Usage(format!(
        "--model {name}: neither a bundled model ({}) nor a model-pack directory",
        names.join(", ")
    )))
}
