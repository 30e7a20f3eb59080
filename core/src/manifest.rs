//! Model packs: an ONNX file plus a `manifest.json` that says how to feed it.
//!
//! The manifest describes preprocessing as data (size, layout, normalisation, resize rule), so
//! the [`crate::sampler::Sampler`] needs no model-specific code, and it pins the ONNX file's
//! sha256 so that a corrupt or swapped model is refused instead of silently run.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Result, SafeFrameError};
use crate::scores::Category;
use crate::signing::{KeyId, PackVersion, TrustPolicy, MAX_SIGNATURE_BYTES, SIGNATURE_FILE};

/// The largest ONNX file SafeFrame loads (256 MiB): a guard against reading unbounded input.
pub const MAX_MODEL_BYTES: usize = 256 << 20;

/// The largest manifest SafeFrame reads (1 MiB).
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// Tensor memory order of the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TensorLayout {
    /// `[N, height, width, channels]`.
    #[serde(rename = "NHWC")]
    Nhwc,
    /// `[N, channels, height, width]`.
    #[serde(rename = "NCHW")]
    Nchw,
}

/// How the frame is resized to the model's input size.
///
/// In a manifest: `"bilinear-align-corners"`, `"pil-bilinear-256-center-crop"`, or
/// `{"fixed-then-center-crop": {"width": W, "height": H, "filter": "pil-bilinear"}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResizeRule {
    /// `tf.image.resizeBilinear(.., alignCorners = true)`: source coordinate `i·(in−1)/(out−1)`,
    /// no antialiasing, aspect ratio squashed (nsfwjs). The fused sampler's rule.
    #[serde(rename = "bilinear-align-corners")]
    BilinearAlignCorners,
    /// Resize the whole image to 256×256 with PIL's bilinear filter (whose support widens when
    /// shrinking, i.e. it antialiases), then take the centre crop of the model's input size:
    /// what Yahoo open_nsfw's reference preprocessing does.
    #[serde(rename = "pil-bilinear-256-center-crop")]
    PilBilinear256CenterCrop,
    /// The general form of [`ResizeRule::PilBilinear256CenterCrop`]: resize to a fixed
    /// `width`×`height` with `filter`, then centre-crop to the model's input size.
    #[serde(rename = "fixed-then-center-crop")]
    FixedThenCenterCrop {
        /// Width of the intermediate image.
        width: u32,
        /// Height of the intermediate image.
        height: u32,
        /// The resampling filter.
        filter: ResizeFilter,
    },
}

/// A resampling filter for [`ResizeRule::FixedThenCenterCrop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResizeFilter {
    /// PIL's `Image.BILINEAR` (a triangle filter whose support scales with the shrink factor).
    #[serde(rename = "pil-bilinear")]
    PilBilinear,
}

impl ResizeRule {
    /// The intermediate size and filter of a resize-then-crop rule, `None` for align-corners.
    pub fn fixed_then_crop(self) -> Option<(u32, u32, ResizeFilter)> {
        match self {
            Self::BilinearAlignCorners => None,
            Self::PilBilinear256CenterCrop => Some((256, 256, ResizeFilter::PilBilinear)),
            Self::FixedThenCenterCrop { width, height, filter } => Some((width, height, filter)),
        }
    }
}

/// The order of the colour channels in the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelOrder {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (Caffe models such as open_nsfw).
    Bgr,
}

/// What the model's output holds, and what SafeFrame applies to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// Probabilities already (`"softmax"` or `"probabilities"` in the manifest): checked to be
    /// a distribution, used as they are.
    Probabilities,
    /// Logits: SafeFrame applies a softmax.
    Logits,
    /// Independent logits per label: SafeFrame applies a sigmoid to each.
    Sigmoid,
}

/// The most labels a model may have.
pub const MAX_LABELS: usize = 16;

/// The model input as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    /// Name of the ONNX input.
    pub name: String,
    /// Tensor memory order.
    pub layout: TensorLayout,
    /// Input width in pixels.
    pub width: u32,
    /// Input height in pixels.
    pub height: u32,
    /// Channel order of the tensor: `"RGB"` or `"BGR"`.
    pub color: String,
    /// Pixel values (0..=255) are divided by this first: 255 gives `[0, 1]`, 1 keeps the raw
    /// 0..=255 range.
    pub pixel_divisor: f32,
    /// Per-channel mean subtracted after the division, in the tensor's channel order.
    pub mean: [f32; 3],
    /// Per-channel standard deviation divided by last, in the tensor's channel order.
    pub std: [f32; 3],
    /// The resize rule.
    pub resize: ResizeRule,
}

impl InputSpec {
    /// The nsfwjs MobileNetV2 input: `input_1`, NHWC 224×224 RGB ÷ 255, align-corners resize.
    ///
    /// ```
    /// let spec = safeframe::manifest::InputSpec::nsfwjs();
    /// assert_eq!((spec.width, spec.height), (224, 224));
    /// ```
    pub fn nsfwjs() -> Self {
        Self {
            name: "input_1".into(),
            layout: TensorLayout::Nhwc,
            width: 224,
            height: 224,
            color: "RGB".into(),
            pixel_divisor: 255.0,
            mean: [0.0; 3],
            std: [1.0; 3],
            resize: ResizeRule::BilinearAlignCorners,
        }
    }

    /// The channel order named by `color` (validated when the manifest is read).
    pub fn channel_order(&self) -> ChannelOrder {
        if self.color.eq_ignore_ascii_case("BGR") {
            ChannelOrder::Bgr
        } else {
            ChannelOrder::Rgb
        }
    }
}

/// The model output as the manifest describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Name of the ONNX output.
    pub name: String,
    /// What the output holds: `"softmax"`/`"probabilities"` (applied by the graph),
    /// `"logits"` (SafeFrame applies a softmax) or `"sigmoid"` (SafeFrame applies a sigmoid
    /// per label).
    pub activation: String,
}

impl OutputSpec {
    /// The activation named by `activation` (validated when the manifest is read).
    pub fn activation(&self) -> Activation {
        match self.activation.as_str() {
            "logits" => Activation::Logits,
            "sigmoid" => Activation::Sigmoid,
            _ => Activation::Probabilities,
        }
    }
}

/// The contents of a model pack's `manifest.json`.
///
/// ```
/// let json = r#"{"name":"m","version":"1.0.0","description":"d","model_file":"model.onnx",
///   "sha256":"00","precision":"fp32","labels":["Drawing","Hentai","Neutral","Porn","Sexy"],
///   "input":{"name":"input_1","layout":"NHWC","width":224,"height":224,"color":"RGB",
///     "pixel_divisor":255.0,"mean":[0,0,0],"std":[1,1,1],"resize":"bilinear-align-corners"},
///   "output":{"name":"dense_3","activation":"softmax"},"source":"s","license":"MIT"}"#;
/// let manifest = safeframe::manifest::ModelManifest::from_json(json.as_bytes());
/// assert!(manifest.is_err()); // "00" is not a sha256
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelManifest {
    /// Pack name, e.g. `nsfwjs-mobilenetv2-int8`.
    pub name: String,
    /// Semantic version of the pack.
    pub version: String,
    /// One sentence about the model.
    pub description: String,
    /// File name of the ONNX file inside the pack directory.
    pub model_file: String,
    /// Lowercase hex sha256 of the ONNX file.
    pub sha256: String,
    /// `fp32`, `int8`, ...
    pub precision: String,
    /// Class labels in output order, as the source names them (1..=[`MAX_LABELS`], distinct
    /// ignoring case). A primary model has exactly the five nsfwjs classes, in any order.
    pub labels: Vec<String>,
    /// The model input.
    pub input: InputSpec,
    /// The model output.
    pub output: OutputSpec,
    /// Where the weights come from.
    pub source: String,
    /// The weights' licence.
    pub license: String,
}

impl ModelManifest {
    /// Parses and validates a manifest.
    pub fn from_json(json: &[u8]) -> Result<Self> {
        if json.len() > MAX_MANIFEST_BYTES {
            return Err(SafeFrameError::manifest(
                "",
                format!("manifest is larger than {MAX_MANIFEST_BYTES} bytes"),
            ));
        }
        let mut reader = serde_json::Deserializer::from_slice(json);
        let manifest: Self = serde_path_to_error::deserialize(&mut reader).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." { String::new() } else { field };
            SafeFrameError::manifest(field, e.into_inner().to_string())
        })?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// The output position of each category, in [`Category::ALL`] order: an error unless the
    /// model's labels are exactly the five nsfwjs classes (what a primary model needs).
    pub fn category_indices(&self) -> Result<[usize; 5]> {
        if self.labels.len() != Category::ALL.len() {
            return Err(SafeFrameError::manifest(
                "labels",
                format!(
                    "a primary model needs the {} labels Drawing, Hentai, Neutral, Porn, Sexy; this one has {}",
                    Category::ALL.len(),
                    self.labels.len()
                ),
            ));
        }
        let mut indices = [usize::MAX; 5];
        for (position, label) in self.labels.iter().enumerate() {
            let category = Category::from_label(label).ok_or_else(|| {
                SafeFrameError::manifest(format!("labels[{position}]"), format!("unknown label `{label}`"))
            })?;
            let slot = &mut indices[category as usize];
            if *slot != usize::MAX {
                return Err(SafeFrameError::manifest(
                    format!("labels[{position}]"),
                    format!("label `{label}` appears twice"),
                ));
            }
            *slot = position;
        }
        if let Some(missing) = Category::ALL.iter().find(|c| indices[**c as usize] == usize::MAX) {
            return Err(SafeFrameError::manifest(
                "labels",
                format!("label `{}` is missing", missing.label()),
            ));
        }
        Ok(indices)
    }

    fn validate(&self) -> Result<()> {
        fn bad(field: &str, reason: impl Into<String>) -> SafeFrameError {
            SafeFrameError::manifest(field, reason)
        }
        if self.name.trim().is_empty() {
            return Err(bad("name", "must not be empty"));
        }
        if !is_semver(&self.version) {
            return Err(bad(
                "version",
                format!("`{}` is not a semantic version like 1.2.3", self.version),
            ));
        }
        if self.model_file.is_empty() || self.model_file.contains(['/', '\\']) || self.model_file.starts_with('.') {
            return Err(bad("model_file", "must be a plain file name inside the pack directory"));
        }
        if self.sha256.len() != 64
            || !self
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(bad("sha256", "must be 64 lowercase hex digits"));
        }
        if self.labels.is_empty() || self.labels.len() > MAX_LABELS {
            return Err(bad(
                "labels",
                format!("expected 1..={MAX_LABELS} labels, found {}", self.labels.len()),
            ));
        }
        for (position, label) in self.labels.iter().enumerate() {
            if label.trim().is_empty() {
                return Err(bad(&format!("labels[{position}]"), "must not be empty"));
            }
            if self.labels[..position].iter().any(|l| l.eq_ignore_ascii_case(label)) {
                return Err(bad(
                    &format!("labels[{position}]"),
                    format!("label `{label}` appears twice"),
                ));
            }
        }
        // A model whose labels name nsfwjs classes must name all five, once each.
        if self.labels.iter().any(|l| Category::from_label(l).is_some()) {
            self.category_indices()?;
        }
        let input = &self.input;
        if input.name.is_empty() {
            return Err(bad("input.name", "must not be empty"));
        }
        if input.width == 0 || input.height == 0 || input.width > 4096 || input.height > 4096 {
            return Err(bad("input.width", "input size must be 1..=4096 on each side"));
        }
        if input.color != "RGB" && input.color != "BGR" {
            return Err(bad(
                "input.color",
                format!("`{}` is not supported; RGB or BGR", input.color),
            ));
        }
        if let Some((width, height, _)) = input.resize.fixed_then_crop() {
            if width < input.width || height < input.height || width > 4096 || height > 4096 {
                return Err(bad(
                    "input.resize",
                    format!(
                        "the intermediate size {width}x{height} must be at least the input size {}x{} and at most 4096",
                        input.width, input.height
                    ),
                ));
            }
        }
        if !(input.pixel_divisor.is_finite() && input.pixel_divisor > 0.0) {
            return Err(bad("input.pixel_divisor", "must be a positive number"));
        }
        if input.mean.iter().any(|m| !m.is_finite()) {
            return Err(bad("input.mean", "must be finite numbers"));
        }
        if input.std.iter().any(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(bad("input.std", "must be positive numbers"));
        }
        if self.output.name.is_empty() {
            return Err(bad("output.name", "must not be empty"));
        }
        if !["softmax", "probabilities", "logits", "sigmoid"].contains(&self.output.activation.as_str()) {
            return Err(bad(
                "output.activation",
                format!(
                    "`{}` is not supported; softmax (or probabilities), logits or sigmoid",
                    self.output.activation
                ),
            ));
        }
        Ok(())
    }
}

fn is_semver(version: &str) -> bool {
    PackVersion::parse(version).is_some()
}

/// A model pack in memory: its manifest (parsed, and its exact bytes), its signature if it has
/// one, and its ONNX bytes, verified against the manifest's sha256.
///
/// Making a pack checks its integrity only; whether its signature is trusted is checked when a
/// classifier is made from it ([`ModelPack::check_trust`] with the classifier options' trust
/// policy).
#[derive(Clone)]
pub struct ModelPack {
    manifest: ModelManifest,
    manifest_json: Vec<u8>,
    signature: Option<Vec<u8>>,
    onnx: Vec<u8>,
}

impl std::fmt::Debug for ModelPack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelPack")
            .field("manifest", &self.manifest)
            .field("signed", &self.signature.is_some())
            .field("onnx_bytes", &self.onnx.len())
            .finish()
    }
}

impl ModelPack {
    /// Builds a pack from a manifest's JSON and the ONNX bytes, refusing bytes whose sha256
    /// differs from the manifest. The pack has no signature; add its signature file's bytes
    /// with [`ModelPack::with_signature`].
    pub fn from_bytes(manifest_json: &[u8], onnx: Vec<u8>) -> Result<Self> {
        let manifest = ModelManifest::from_json(manifest_json)?;
        if onnx.len() > MAX_MODEL_BYTES {
            return Err(SafeFrameError::manifest(
                "model_file",
                format!("ONNX file of {} bytes is larger than {MAX_MODEL_BYTES}", onnx.len()),
            ));
        }
        let actual = sha256_hex(&onnx);
        if actual != manifest.sha256 {
            return Err(SafeFrameError::ChecksumMismatch {
                model: manifest.name.clone(),
                expected: manifest.sha256.clone(),
                actual,
            });
        }
        Ok(Self {
            manifest,
            manifest_json: manifest_json.to_vec(),
            signature: None,
            onnx,
        })
    }

    /// The same pack with `signature`, the bytes of its signature file
    /// ([`crate::signing::SIGNATURE_FILE`]); they are checked by [`ModelPack::check_trust`].
    pub fn with_signature(mut self, signature: Vec<u8>) -> Self {
        self.signature = Some(signature);
        self
    }

    /// Reads `manifest.json`, the ONNX file it names and `signature.json` (if there is one)
    /// from a pack directory.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let (manifest_json, manifest) = read_manifest(dir)?;
        let signature = read_signature(dir)?;
        let onnx = read_limited(&dir.join(&manifest.model_file), MAX_MODEL_BYTES)?;
        let pack = Self::from_bytes(&manifest_json, onnx)?;
        Ok(match signature {
            Some(signature) => pack.with_signature(signature),
            None => pack,
        })
    }

    /// Checks the pack against `trust` (signature, then version; see
    /// [`TrustPolicy::check_pack`]): the id of the key that signed it, or `None` for an
    /// unsigned pack that `trust` allows.
    pub fn check_trust(&self, trust: &TrustPolicy) -> Result<Option<KeyId>> {
        trust.check_pack(&self.manifest_json, &self.manifest, self.signature.as_deref())
    }

    /// The manifest's exact bytes (what the signature covers).
    pub fn manifest_json(&self) -> &[u8] {
        &self.manifest_json
    }

    /// The signature file's bytes, if the pack has one.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// The manifest.
    pub fn manifest(&self) -> &ModelManifest {
        &self.manifest
    }

    /// The verified ONNX bytes.
    pub fn onnx(&self) -> &[u8] {
        &self.onnx
    }
}

/// Reads and parses a pack directory's `manifest.json`: its exact bytes and what they say.
pub fn read_manifest(dir: &Path) -> Result<(Vec<u8>, ModelManifest)> {
    let json = read_limited(&dir.join("manifest.json"), MAX_MANIFEST_BYTES)?;
    let manifest = ModelManifest::from_json(&json)?;
    Ok((json, manifest))
}

/// Reads a pack directory's signature file ([`SIGNATURE_FILE`]); `None` when there is none.
pub fn read_signature(dir: &Path) -> Result<Option<Vec<u8>>> {
    use std::io::Read;
    let path = dir.join(SIGNATURE_FILE);
    let file = match std::fs::File::open(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(SafeFrameError::Io { path, source }),
        Ok(file) => file,
    };
    // One byte past the limit is enough for the signature check to refuse it as tampered.
    let mut bytes = Vec::new();
    file.take(MAX_SIGNATURE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| SafeFrameError::Io { path, source })?;
    Ok(Some(bytes))
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn read_limited(path: &Path, limit: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let io_err = |source| SafeFrameError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io_err)?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1).read_to_end(&mut bytes).map_err(io_err)?;
    if bytes.len() > limit {
        return Err(SafeFrameError::manifest(
            "",
            format!("{} is larger than {limit} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_json(sha: &str) -> String {
        format!(
            r#"{{"name":"m","version":"1.0.0","description":"d","model_file":"model.onnx",
            "sha256":"{sha}","precision":"fp32","labels":["Drawing","Hentai","Neutral","Porn","Sexy"],
            "input":{{"name":"input_1","layout":"NHWC","width":224,"height":224,"color":"RGB",
              "pixel_divisor":255.0,"mean":[0,0,0],"std":[1,1,1],"resize":"bilinear-align-corners"}},
            "output":{{"name":"dense_3","activation":"softmax"}},"source":"s","license":"MIT"}}"#
        )
    }

    #[test]
    fn accepts_bytes_with_the_promised_sha256() {
        let onnx = b"not really onnx".to_vec();
        let pack = ModelPack::from_bytes(manifest_json(&sha256_hex(&onnx)).as_bytes(), onnx).unwrap();
        assert_eq!(pack.manifest().category_indices().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn refuses_bytes_with_another_sha256() {
        let err = ModelPack::from_bytes(manifest_json(&sha256_hex(b"x")).as_bytes(), b"y".to_vec()).unwrap_err();
        assert!(matches!(err, SafeFrameError::ChecksumMismatch { .. }));
    }

    #[test]
    fn names_the_bad_field() {
        let json = manifest_json(&sha256_hex(b"x")).replace("\"RGB\"", "\"YUV\"");
        match ModelManifest::from_json(json.as_bytes()).unwrap_err() {
            SafeFrameError::InvalidManifest { field, .. } => assert_eq!(field, "input.color"),
            other => panic!("unexpected {other:?}"),
        }
        for (from, to, field) in [
            ("\"bilinear-align-corners\"", "\"nearest\"", "input.resize"),
            ("\"NHWC\"", "\"NWHC\"", "input.layout"),
            ("\"softmax\"", "\"relu\"", "output.activation"),
            (
                "\"bilinear-align-corners\"",
                r#"{"fixed-then-center-crop":{"width":256,"height":256,"filter":"lanczos"}}"#,
                "input.resize.fixed-then-center-crop.filter",
            ),
            (
                "\"bilinear-align-corners\"",
                r#"{"fixed-then-center-crop":{"width":200,"height":256,"filter":"pil-bilinear"}}"#,
                "input.resize",
            ),
        ] {
            let json = manifest_json(&sha256_hex(b"x")).replace(from, to);
            match ModelManifest::from_json(json.as_bytes()).unwrap_err() {
                SafeFrameError::InvalidManifest { field: got, .. } => assert_eq!(got, field, "{to}"),
                other => panic!("unexpected {other:?}"),
            }
        }
        let json = manifest_json(&sha256_hex(b"x")).replace("\"Porn\"", "\"Pron\"");
        match ModelManifest::from_json(json.as_bytes()).unwrap_err() {
            SafeFrameError::InvalidManifest { field, .. } => assert_eq!(field, "labels[3]"),
            other => panic!("unexpected {other:?}"),
        }
        let json = manifest_json(&sha256_hex(b"x")).replace("model.onnx", "../model.onnx");
        assert!(ModelManifest::from_json(json.as_bytes()).is_err());
    }

    #[test]
    fn describes_other_classifiers_input_and_output() {
        let json = manifest_json(&sha256_hex(b"x"))
            .replace(r#""Drawing","Hentai","Neutral","Porn","Sexy""#, r#""sfw","nsfw""#)
            .replace("\"RGB\"", "\"BGR\"")
            .replace("\"bilinear-align-corners\"", "\"pil-bilinear-256-center-crop\"")
            .replace("\"softmax\"", "\"logits\"");
        let manifest = ModelManifest::from_json(json.as_bytes()).unwrap();
        assert_eq!(manifest.input.channel_order(), ChannelOrder::Bgr);
        assert_eq!(manifest.output.activation(), Activation::Logits);
        assert_eq!(
            manifest.input.resize.fixed_then_crop(),
            Some((256, 256, ResizeFilter::PilBilinear))
        );
        // Not a primary model: it lacks the nsfwjs classes.
        assert!(manifest.category_indices().is_err());
        // Labels that name nsfwjs classes must name all five.
        let json = manifest_json(&sha256_hex(b"x")).replace(r#""Neutral","Porn","Sexy""#, r#""Porn""#);
        assert!(ModelManifest::from_json(json.as_bytes()).is_err());
    }

    #[test]
    fn missing_directory_is_an_io_error() {
        let err = ModelPack::from_dir("/nonexistent/safeframe-pack").unwrap_err();
        assert!(matches!(err, SafeFrameError::Io { .. }));
    }
}
