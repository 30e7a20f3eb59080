//! The second-opinion model: a second classifier, loaded on first need, that a policy's rules
//! can consult when the primary model flags a frame (a cascade).
//!
//! Its manifest is read and checked when it is made (so a policy naming its labels is checked
//! at load time); the ONNX file is read, verified and handed to ONNX Runtime only when a frame
//! first needs it. A pack that then fails to load is an error for every frame that needs it
//! (the caller fails closed), never a silent `allow`; the failure is kept, not retried per
//! frame.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::classifier::{Classifier, ClassifierOptions};
use crate::error::{Result, SafeFrameError};
use crate::frame::Frame;
use crate::manifest::{ModelManifest, ModelPack};
use crate::policy::SecondScores;
use crate::sampler::Sampler;
use crate::scores::LabelScores;

/// Where the pack's bytes come from until it is loaded.
enum Source {
    Dir(PathBuf),
    Static {
        manifest: &'static [u8],
        signature: Option<&'static [u8]>,
        onnx: &'static [u8],
    },
    Bytes {
        manifest: Vec<u8>,
        signature: Option<Vec<u8>>,
        onnx: Vec<u8>,
    },
}

impl Source {
    /// The pack, read and checked against its manifest's sha256 now.
    fn pack(&self) -> Result<ModelPack> {
        let with = |pack: ModelPack, signature: Option<&[u8]>| match signature {
            Some(signature) => pack.with_signature(signature.to_vec()),
            None => pack,
        };
        match self {
            Self::Dir(dir) => ModelPack::from_dir(dir),
            Self::Static {
                manifest,
                signature,
                onnx,
            } => Ok(with(ModelPack::from_bytes(manifest, onnx.to_vec())?, *signature)),
            Self::Bytes {
                manifest,
                signature,
                onnx,
            } => Ok(with(
                ModelPack::from_bytes(manifest, onnx.clone())?,
                signature.as_deref(),
            )),
        }
    }
}

/// A second-opinion model, loaded lazily. Thread-safe; share it behind an `Arc`.
///
/// ```no_run
/// use safeframe::classifier::ClassifierOptions;
/// use safeframe::second_opinion::SecondOpinion;
/// let second = SecondOpinion::from_dir("models/open-nsfw-int8", &ClassifierOptions::default())?;
/// assert_eq!(second.manifest().labels, ["sfw", "nsfw"]);
/// assert!(!second.is_loaded()); // nothing is loaded until a frame needs it
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
pub struct SecondOpinion {
    manifest: ModelManifest,
    sampler: Sampler,
    source: Source,
    options: ClassifierOptions,
    loaded: OnceLock<std::result::Result<Classifier, String>>,
}

impl std::fmt::Debug for SecondOpinion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecondOpinion")
            .field("model", &self.manifest.name)
            .field("loaded", &self.is_loaded())
            .finish()
    }
}

impl SecondOpinion {
    /// A pack directory; its manifest and signature are read and checked against the options'
    /// trust policy now (an unsigned, tampered, untrusted, revoked or rolled-back pack is an
    /// error here), the model on first need.
    pub fn from_dir(dir: impl AsRef<Path>, options: &ClassifierOptions) -> Result<Self> {
        let dir = dir.as_ref();
        let (json, manifest) = crate::manifest::read_manifest(dir)?;
        let signature = crate::manifest::read_signature(dir)?;
        options.trust.check_pack(&json, &manifest, signature.as_deref())?;
        Ok(Self::with_source(manifest, Source::Dir(dir.to_path_buf()), options))
    }

    /// A pack compiled into the program (`include_bytes!`): its manifest, its signature file
    /// (`None`: unsigned) and its ONNX file; checked as [`SecondOpinion::from_dir`], loaded on
    /// first need.
    pub fn from_static(
        manifest: &'static [u8],
        signature: Option<&'static [u8]>,
        onnx: &'static [u8],
        options: &ClassifierOptions,
    ) -> Result<Self> {
        let parsed = ModelManifest::from_json(manifest)?;
        options.trust.check_pack(manifest, &parsed, signature)?;
        Ok(Self::with_source(
            parsed,
            Source::Static {
                manifest,
                signature,
                onnx,
            },
            options,
        ))
    }

    /// A pack in memory (the bytes are kept until the model is loaded on first need); checked
    /// as [`SecondOpinion::from_dir`].
    pub fn from_bytes(
        manifest: Vec<u8>,
        signature: Option<Vec<u8>>,
        onnx: Vec<u8>,
        options: &ClassifierOptions,
    ) -> Result<Self> {
        let parsed = ModelManifest::from_json(&manifest)?;
        options.trust.check_pack(&manifest, &parsed, signature.as_deref())?;
        Ok(Self::with_source(
            parsed,
            Source::Bytes {
                manifest,
                signature,
                onnx,
            },
            options,
        ))
    }

    fn with_source(manifest: ModelManifest, source: Source, options: &ClassifierOptions) -> Self {
        Self {
            sampler: Sampler::new(&manifest.input),
            manifest,
            source,
            options: options.clone(),
            loaded: OnceLock::new(),
        }
    }

    /// The manifest (labels, input, licence).
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// The labels, in output order.
    pub fn labels(&self) -> &[String] {
        &self.manifest.labels
    }

    /// The sampler that prepares this model's input.
    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    /// Whether the model has been loaded (successfully or not).
    pub fn is_loaded(&self) -> bool {
        self.loaded.get().is_some()
    }

    /// The loaded classifier, loading it on the first call.
    pub fn classifier(&self) -> Result<&Classifier> {
        let loaded = self.loaded.get_or_init(|| {
            // The pack is read again and checked as a whole (sha256, signature, version) before
            // the model is handed to the engine.
            let loaded = self
                .source
                .pack()
                .and_then(|pack| Classifier::from_pack(&pack, &self.options))
                .map_err(|e| e.to_string());
            match &loaded {
                Ok(_) => log::info!("second-opinion model {} loaded on first need", self.manifest.name),
                Err(e) => log::warn!("second-opinion model {} failed to load: {e}", self.manifest.name),
            }
            loaded
        });
        loaded.as_ref().map_err(|reason| SafeFrameError::ModelLoad {
            model: self.manifest.name.clone(),
            reason: reason.clone(),
        })
    }

    /// Runs the model on `frame` (loading it first if needed).
    pub fn classify(&self, frame: &Frame<'_>) -> Result<LabelScores> {
        self.classifier()?.classify_labels(frame)
    }

    /// Runs the model on a tensor sampled with [`SecondOpinion::sampler`].
    pub fn infer(&self, tensor: &[f32]) -> Result<LabelScores> {
        self.classifier()?.infer_labels(tensor)
    }

    /// Its scores with its labels, as a policy reads them.
    pub fn scores(&self, scores: LabelScores) -> SecondScores<'_> {
        SecondScores {
            labels: self.labels(),
            scores,
        }
    }
}
