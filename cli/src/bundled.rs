//! The model packs the CLI knows by name: most are compiled into the binary, so `safeframe`
//! works from any directory; the large fp32 open_nsfw pack is installed beside the sources
//! by `./scripts/setup-models` and read from there.

use std::path::PathBuf;

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::manifest::{ModelManifest, ModelPack};
use safeframe::second_opinion::SecondOpinion;
use safeframe::signing::{KeyId, TrustPolicy};

use crate::CliError;

/// Where a named pack's ONNX file is.
enum Onnx {
    /// Embedded with `include_bytes!`.
    Embedded(&'static [u8]),
    /// In `models/<name>/` of this source tree, installed by `./scripts/setup-models` (the file
    /// is larger than the repository takes).
    Installed,
}

/// A model pack known by name.
pub struct BundledModel {
    /// The pack's name (also its directory under `models/`).
    pub name: &'static str,
    manifest: &'static [u8],
    /// The pack's `signature.json` (every bundled pack is signed: the build fails without it).
    signature: &'static [u8],
    onnx: Onnx,
}

macro_rules! bundled {
    ($name:literal) => {
        BundledModel {
            name: $name,
            manifest: include_bytes!(concat!("../../models/", $name, "/manifest.json")),
            signature: include_bytes!(concat!("../../models/", $name, "/signature.json")),
            onnx: Onnx::Embedded(include_bytes!(concat!("../../models/", $name, "/model.onnx"))),
        }
    };
    ($name:literal, installed) => {
        BundledModel {
            name: $name,
            manifest: include_bytes!(concat!("../../models/", $name, "/manifest.json")),
            signature: include_bytes!(concat!("../../models/", $name, "/signature.json")),
            onnx: Onnx::Installed,
        }
    };
}

/// Every pack known by name.
pub const BUNDLED: &[BundledModel] = &[
    bundled!("nsfwjs-mobilenetv2mid-fp32"),
    bundled!("nsfwjs-mobilenetv2mid-int8"),
    bundled!("nsfwjs-mobilenetv2-fp32"),
    bundled!("nsfwjs-mobilenetv2-int8"),
    bundled!("open-nsfw-int8"),
    bundled!("open-nsfw-fp32", installed),
];

/// The primary model used when `--model` is not given.
pub const DEFAULT_MODEL: &str = "nsfwjs-mobilenetv2mid-fp32";

/// The second opinion used when neither `--model` nor `--second-model` is given.
pub const DEFAULT_SECOND_MODEL: &str = "open-nsfw-int8";

impl BundledModel {
    /// The pack, checked against its manifest's sha256 (its signature is checked when a
    /// classifier is made from it).
    pub fn pack(&self) -> Result<ModelPack, CliError> {
        Ok(match self.onnx {
            Onnx::Embedded(onnx) => {
                ModelPack::from_bytes(self.manifest, onnx.to_vec())?.with_signature(self.signature.to_vec())
            }
            Onnx::Installed => ModelPack::from_dir(self.installed_dir())?,
        })
    }

    /// The manifest and signature checked against `trust` (the model file is not read): the
    /// manifest and the id of the key that signed it.
    pub fn check_trust(&self, trust: &TrustPolicy) -> Result<(ModelManifest, Option<KeyId>), CliError> {
        let manifest = self.manifest()?;
        let key = trust.check_pack(self.manifest, &manifest, Some(self.signature))?;
        Ok((manifest, key))
    }

    /// The parsed manifest.
    pub fn manifest(&self) -> Result<ModelManifest, CliError> {
        Ok(ModelManifest::from_json(self.manifest)?)
    }

    /// Size of the ONNX file in bytes (`None`: an installed pack that is not installed).
    pub fn onnx_len(&self) -> Option<u64> {
        match self.onnx {
            Onnx::Embedded(onnx) => Some(onnx.len() as u64),
            Onnx::Installed => std::fs::metadata(self.installed_dir().join("model.onnx"))
                .ok()
                .map(|m| m.len()),
        }
    }

    fn installed_dir(&self) -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models")).join(self.name)
    }

    fn second_opinion(&self, options: &ClassifierOptions) -> Result<SecondOpinion, CliError> {
        Ok(match self.onnx {
            Onnx::Embedded(onnx) => SecondOpinion::from_static(self.manifest, Some(self.signature), onnx, options)?,
            Onnx::Installed => SecondOpinion::from_dir(self.installed_dir(), options)?,
        })
    }
}

fn unknown(flag: &str, name: &str) -> CliError {
    let names: Vec<&str> = BUNDLED.iter().map(|m| m.name).collect();
    CliError::Usage(format!(
        "{flag} {name}: neither a bundled model ({}) nor a model-pack directory",
        names.join(", ")
    ))
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
    Err(unknown("--model", name))
}

/// Prepares the second opinion named by `--second-model` (a bundled name, a directory or
/// `none`). Without the flag: the default second opinion when `--model` is not given either,
/// none when it is (`--model X` alone means one model). Nothing is loaded until a frame needs
/// it.
pub fn second(
    model: Option<&str>,
    second: Option<&str>,
    options: &ClassifierOptions,
) -> Result<Option<SecondOpinion>, CliError> {
    let name = match (model, second) {
        (_, Some("none")) | (Some(_), None) => return Ok(None),
        (None, None) => DEFAULT_SECOND_MODEL,
        (_, Some(name)) => name,
    };
    if let Some(bundled) = BUNDLED.iter().find(|m| m.name == name) {
        return bundled.second_opinion(options).map(Some);
    }
    let dir = std::path::Path::new(name);
    if dir.is_dir() {
        return Ok(Some(SecondOpinion::from_dir(dir, options)?));
    }
    Err(unknown("--second-model", name))
}
