//! The safe side of the web build: filters, models, streams and PDQ over the core, with JSON in
//! and out. Nothing here decides anything: limits, trust, policies, fail-closed and the change
//! gate are the core's.

use std::sync::Arc;

use safeframe::blocklist::{Blocklist, MatchOptions, DEFAULT_MAX_DISTANCE, MIN_QUALITY};
use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::engine::Engine;
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{Frame, FrameMut, PixelFormat};
use safeframe::known::KnownContent;
use safeframe::manifest::ModelPack;
use safeframe::pdq::{PdqHasher, PixelFormat as PdqFormat};
use safeframe::policy::{Action, Policy, Verdict};
use safeframe::second_opinion::SecondOpinion;
use safeframe::signing::TrustPolicy;
use safeframe::stream::{StreamCounters, StreamFilter, StreamSettings};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::errors::WebError;

/// One model pack's files, as bytes.
#[derive(Debug, Clone, Copy)]
pub struct PackBytes<'a> {
    /// `manifest.json`.
    pub manifest: &'a [u8],
    /// `model.onnx`.
    pub model: &'a [u8],
    /// `signature.json`, if the pack has one.
    pub signature: Option<&'a [u8]>,
}

/// The options of `createFilter` and `createModel`, as JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoadOptions {
    /// A preset name or a policy JSON document (default: `child`).
    #[serde(default)]
    policy: Option<String>,
    /// Load packs without `signature.json` (model development only).
    #[serde(default)]
    allow_unsigned: bool,
    /// Pass frames that could not be classified instead of blocking them.
    #[serde(default)]
    fail_open: bool,
    /// How frames are matched against the blocklist (filters only).
    #[serde(default)]
    blocklist_options: Option<BlocklistOptions>,
}

/// `blocklistOptions`: the blocklist's matching rule ([`MatchOptions`]); every field optional,
/// the core's defaults otherwise (distance ≤ 31, quality ≥ 50, low quality not matched, all 8
/// dihedral hashes). The same fields and ranges as the bindings' `BlocklistOptions`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BlocklistOptions {
    /// Largest Hamming distance (of 256 bits) that still matches, 0 to 256.
    max_distance: Option<i64>,
    /// Hashes of lower quality (0 to 100) are low quality.
    min_quality: Option<i64>,
    /// Match low-quality hashes too.
    allow_low_quality: Option<bool>,
    /// Match rotated and mirrored copies too (all 8 dihedral hashes).
    dihedral: Option<bool>,
}

impl BlocklistOptions {
    fn to_core(&self) -> Result<MatchOptions, WebError> {
        let defaults = MatchOptions::default();
        let max_distance = self.max_distance.unwrap_or(i64::from(DEFAULT_MAX_DISTANCE));
        let max_distance = u32::try_from(max_distance).ok().filter(|&d| d <= 256).ok_or_else(|| {
            WebError::invalid_argument(format!(
                "blocklistOptions.maxDistance must be 0..=256, got {max_distance}"
            ))
        })?;
        let min_quality = self.min_quality.unwrap_or(i64::from(MIN_QUALITY));
        let min_quality = u8::try_from(min_quality).ok().filter(|&q| q <= 100).ok_or_else(|| {
            WebError::invalid_argument(format!(
                "blocklistOptions.minQuality must be 0..=100, got {min_quality}"
            ))
        })?;
        Ok(MatchOptions {
            max_distance,
            min_quality,
            allow_low_quality: self.allow_low_quality.unwrap_or(defaults.allow_low_quality),
            dihedral: self.dihedral.unwrap_or(defaults.dihedral),
        })
    }
}

/// A parsed blocklist and its matching rule, shared by a filter and the streams made from it
/// (each gets its own [`KnownContent`], so its own hasher).
#[derive(Debug, Clone)]
struct WebBlocklist {
    list: Arc<Blocklist>,
    options: MatchOptions,
}

impl WebBlocklist {
    fn known_content(&self) -> KnownContent {
        KnownContent::new(Arc::clone(&self.list), self.options)
    }
}

fn parse<'a, T: Deserialize<'a>>(json: &'a [u8], what: &str) -> Result<T, WebError> {
    if json.is_empty() {
        return serde_json::from_slice(b"{}").map_err(|e| WebError::invalid_argument(format!("{what}: {e}")));
    }
    serde_json::from_slice(json).map_err(|e| WebError::invalid_argument(format!("{what}: {e}")))
}

fn options(allow_unsigned: bool) -> ClassifierOptions {
    let trust = if allow_unsigned {
        TrustPolicy::default().allowing_unsigned()
    } else {
        TrustPolicy::default()
    };
    ClassifierOptions {
        engine: Engine::Tract,
        trust,
        ..ClassifierOptions::default()
    }
}

fn model_pack(pack: PackBytes<'_>) -> Result<ModelPack, WebError> {
    let loaded = ModelPack::from_bytes(pack.manifest, pack.model.to_vec())?;
    Ok(match pack.signature {
        Some(signature) => loaded.with_signature(signature.to_vec()),
        None => loaded,
    })
}

/// A [`Filter`] (classifier, optional second opinion, policy, redactor, optional blocklist)
/// made from pack bytes.
pub struct WebFilter {
    filter: Filter,
    blocklist: Option<WebBlocklist>,
}

/// A model on its own: raw scores per label, for any pack (golden checks, second-opinion packs).
pub struct WebModel {
    classifier: Classifier,
}

/// An inline [`StreamFilter`] on a filter's models (and blocklist).
pub struct WebStream {
    stream: StreamFilter,
    blocklist: Option<Arc<Blocklist>>,
}

/// `createFilter`: the primary pack, an optional second-opinion pack, an optional blocklist
/// (text or binary form, parsed by [`Blocklist::from_bytes`] as `safeframe scan --blocklist`
/// reads its file; empty means none) and the options JSON.
pub fn create_filter(
    options_json: &[u8],
    pack: PackBytes<'_>,
    second: Option<PackBytes<'_>>,
    blocklist: &[u8],
) -> Result<WebFilter, WebError> {
    let load: LoadOptions = parse(options_json, "filter options")?;
    // The options are checked even without a list, so a mistake in them never goes unnoticed.
    let match_options = load.blocklist_options.unwrap_or_default().to_core()?;
    let blocklist = if blocklist.is_empty() {
        None
    } else {
        let list = Blocklist::from_bytes(blocklist).map_err(safeframe::SafeFrameError::from)?;
        Some(WebBlocklist {
            list: Arc::new(list),
            options: match_options,
        })
    };
    let options = options(load.allow_unsigned);
    let classifier = Classifier::from_pack(&model_pack(pack)?, &options)?;
    let second = match second {
        Some(pack) => Some(Arc::new(SecondOpinion::from_bytes(
            pack.manifest.to_vec(),
            pack.signature.map(<[u8]>::to_vec),
            pack.model.to_vec(),
            &options,
        )?)),
        None => None,
    };
    let policy = Policy::from_source(load.policy.as_deref().unwrap_or("child"), second.is_some())?;
    let on_error = if load.fail_open {
        OnError::FailOpen
    } else {
        OnError::FailClosed
    };
    let filter = Filter::cascade(Arc::new(classifier), second, policy, on_error)?;
    let filter = match &blocklist {
        Some(blocklist) => filter.with_known_content(blocklist.known_content()),
        None => filter,
    };
    Ok(WebFilter { filter, blocklist })
}

/// `createModel`: one pack, loaded on its own.
pub fn create_model(options_json: &[u8], pack: PackBytes<'_>) -> Result<WebModel, WebError> {
    let load: LoadOptions = parse(options_json, "model options")?;
    if load.policy.is_some() || load.fail_open || load.blocklist_options.is_some() {
        return Err(WebError::invalid_argument(
            "a model has no policy, failOpen or blocklist; use createFilter",
        ));
    }
    let classifier = Classifier::from_pack(&model_pack(pack)?, &options(load.allow_unsigned))?;
    Ok(WebModel { classifier })
}

/// RGBA pixels, packed (`width * 4` bytes a row).
fn rgba(data: &[u8], width: u32, height: u32) -> Result<Frame<'_>, WebError> {
    Ok(Frame::packed(data, width, height, PixelFormat::Rgba8)?)
}

fn rgba_mut(data: &mut [u8], width: u32, height: u32) -> Result<FrameMut<'_>, WebError> {
    Ok(FrameMut::packed(data, width, height, PixelFormat::Rgba8)?)
}

/// A decoded image as packed RGB (alpha dropped, as the CLI does), turned upright by its EXIF
/// orientation.
fn decode_rgb(bytes: &[u8]) -> Result<(Vec<u8>, u32, u32), WebError> {
    let image = safeframe::decode::decode_image(bytes, true)?.into_rgb8();
    let (width, height) = image.dimensions();
    Ok((image.into_raw(), width, height))
}

impl WebFilter {
    /// The verdict JSON of a check, or of the unclassified verdict with its error.
    fn verdict_json(&self, checked: safeframe::Result<Verdict>) -> Value {
        match checked {
            Ok(verdict) => verdict_value(&verdict, self.second_labels(), self.list(), None),
            Err(error) => verdict_value(
                &self.filter.unclassified_verdict(),
                None,
                None,
                Some(&WebError::from(&error)),
            ),
        }
    }

    fn second_labels(&self) -> Option<&[String]> {
        self.filter.second_opinion().map(|s| s.labels())
    }

    fn list(&self) -> Option<&Blocklist> {
        self.blocklist.as_ref().map(|b| &*b.list)
    }

    /// `classifyEncoded`: decode (a bad image is an error), then check.
    pub fn classify_encoded(&self, bytes: &[u8]) -> Result<Value, WebError> {
        let (rgb, width, height) = decode_rgb(bytes)?;
        let frame = Frame::packed(&rgb, width, height, PixelFormat::Rgb8)?;
        Ok(self.verdict_json(self.filter.check(&frame)))
    }

    /// `classifyPixels`: check RGBA pixels (a bad layout is an error), without touching them.
    pub fn classify_rgba(&self, data: &[u8], width: u32, height: u32) -> Result<Value, WebError> {
        let frame = rgba(data, width, height)?;
        Ok(self.verdict_json(self.filter.check(&frame)))
    }

    /// `filterPixels`: [`Filter::apply`] on RGBA pixels in place (blocked first when failing
    /// closed).
    pub fn filter_rgba(&self, data: &mut [u8], width: u32, height: u32) -> Result<Value, WebError> {
        let mut frame = rgba_mut(data, width, height)?;
        let applied = self.filter.apply(&mut frame);
        let error = applied.error.as_ref().map(WebError::from);
        let labels = if error.is_none() { self.second_labels() } else { None };
        Ok(verdict_value(&applied.verdict, labels, self.list(), error.as_ref()))
    }

    /// `createStream`: an inline stream on this filter's models and policy.
    pub fn create_stream(&self, options_json: &[u8]) -> Result<WebStream, WebError> {
        let options: StreamOptions = parse(options_json, "stream options")?;
        let defaults = StreamSettings::default();
        let hold = match options.hold.as_deref() {
            None => defaults.hold,
            Some("blur") => Action::Blur,
            Some("block") => Action::Block,
            Some(other) => {
                return Err(WebError::invalid_argument(format!(
                    "stream option hold: `{other}`; use \"blur\" or \"block\""
                )))
            }
        };
        let settings = StreamSettings {
            fail_open: self.filter.on_error() == OnError::FailOpen,
            change_threshold: options.change_threshold.unwrap_or(defaults.change_threshold),
            change_tiles: options.tiles.unwrap_or(defaults.change_tiles),
            max_age_ms: options.max_age_ms.unwrap_or(defaults.max_age_ms),
            hold,
            ..defaults
        };
        let config = settings.to_config(self.filter.policy().clone())?;
        let model: Arc<dyn safeframe::stream::FrameModel> = self.filter.shared_classifier().clone();
        let stream = StreamFilter::cascade(model, self.filter.second_opinion().cloned(), config)?;
        // Streams match the filter's blocklist too, as the bindings' streams do.
        let stream = match &self.blocklist {
            Some(blocklist) => stream.with_known_content(blocklist.known_content()),
            None => stream,
        };
        Ok(WebStream {
            stream,
            blocklist: self.blocklist.as_ref().map(|b| Arc::clone(&b.list)),
        })
    }
}

/// The options of `createStream`, as JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StreamOptions {
    change_threshold: Option<f32>,
    tiles: Option<i64>,
    max_age_ms: Option<i64>,
    hold: Option<String>,
}

impl WebModel {
    /// The labels, in output order.
    pub fn labels(&self) -> Value {
        json!(self.classifier.manifest().labels)
    }

    fn scores(&self, frame: &Frame<'_>) -> Result<Value, WebError> {
        let scores = self.classifier.classify_labels(frame)?;
        Ok(json!({ "labels": self.classifier.manifest().labels, "scores": scores.values() }))
    }

    /// Raw scores of encoded image bytes.
    pub fn classify_encoded(&self, bytes: &[u8]) -> Result<Value, WebError> {
        let (rgb, width, height) = decode_rgb(bytes)?;
        self.scores(&Frame::packed(&rgb, width, height, PixelFormat::Rgb8)?)
    }

    /// Raw scores of RGBA pixels.
    pub fn classify_rgba(&self, data: &[u8], width: u32, height: u32) -> Result<Value, WebError> {
        self.scores(&rgba(data, width, height)?)
    }
}

impl WebStream {
    /// `stream.process`: one RGBA frame at `timestamp_ms`, redacted in place.
    pub fn process(&self, data: &mut [u8], width: u32, height: u32, timestamp_ms: f64) -> Result<Value, WebError> {
        if !(0.0..=9.0e12).contains(&timestamp_ms) {
            return Err(WebError::invalid_argument(format!(
                "timestamp {timestamp_ms} ms: give a finite number of milliseconds >= 0"
            )));
        }
        let timestamp_ns = (timestamp_ms * 1e6).round() as i64;
        let mut frame = rgba_mut(data, width, height)?.with_timestamp_ns(timestamp_ns);
        let before = self.stream.counters();
        let verdict = self.stream.process(&mut frame);
        let after = self.stream.counters();
        Ok(json!({
            "verdict": verdict_value(&verdict, None, self.blocklist.as_deref(), None),
            "classified": after.classified > before.classified,
            "reused": after.reused > before.reused,
        }))
    }

    /// `stream.counters()`.
    pub fn counters(&self) -> Value {
        counters_value(&self.stream.counters())
    }
}

fn counters_value(counters: &StreamCounters) -> Value {
    serde_json::to_value(counters).unwrap_or(Value::Null)
}

/// A verdict as JavaScript sees it: action, category, scores, rule, match (the core's `{entry,
/// distance}` and the entry's `label`, null when it has none); the second model's scores by
/// label when it ran; the error when the frame was not classified.
fn verdict_value(
    verdict: &Verdict,
    second_labels: Option<&[String]>,
    list: Option<&Blocklist>,
    error: Option<&WebError>,
) -> Value {
    let mut value = serde_json::to_value(verdict).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.entry("rule").or_insert(Value::Null);
        if let (Some(found), Some(Value::Object(matched))) = (verdict.known, map.get_mut("match")) {
            let label = list.and_then(|l| l.get(found.entry as usize)).and_then(|e| e.label);
            matched.insert("label".to_owned(), json!(label));
        }
        if let (Some(second), Some(labels)) = (&verdict.second, second_labels) {
            let by_label: serde_json::Map<String, Value> = labels
                .iter()
                .zip(second.values())
                .map(|(label, score)| (label.clone(), json!(score)))
                .collect();
            map.insert("second".to_owned(), Value::Object(by_label));
        }
        if let Some(error) = error {
            map.insert("error".to_owned(), json!(error));
        }
    }
    value
}

/// The PDQ hash of `rgb` pixels of `format`.
fn pdq(pixels: &[u8], width: u32, height: u32, format: PdqFormat, bpp: usize) -> Result<Value, WebError> {
    let w = usize::try_from(width).map_err(|_| WebError::invalid_argument("width"))?;
    let h = usize::try_from(height).map_err(|_| WebError::invalid_argument("height"))?;
    let result = PdqHasher::new()
        .hash_rgb8(pixels, w, h, w.saturating_mul(bpp), format)
        .map_err(|e| WebError::from(safeframe::SafeFrameError::from(e)))?;
    Ok(json!({ "hash": result.hash.to_hex(), "quality": result.quality }))
}

/// `pdqHash(imageData)`: the PDQ hash of packed RGBA pixels (alpha ignored). The frame limits
/// apply as everywhere.
pub fn pdq_rgba(data: &[u8], width: u32, height: u32) -> Result<Value, WebError> {
    rgba(data, width, height)?;
    pdq(data, width, height, PdqFormat::Rgba8, 4)
}

/// `pdqHash(bytes)`: the PDQ hash of an encoded image, decoded as `safeframe hash` decodes it.
pub fn pdq_encoded(bytes: &[u8]) -> Result<Value, WebError> {
    let (rgb, width, height) = decode_rgb(bytes)?;
    pdq(&rgb, width, height, PdqFormat::Rgb8, 3)
}

/// The crate's version and the engine, for `sf.version`.
pub fn version() -> Value {
    let errors: Vec<Value> = crate::errors::KINDS
        .iter()
        .map(|(kind, code)| json!({ "kind": kind, "code": code }))
        .collect();
    json!({ "version": safeframe::VERSION, "engine": Engine::Tract.name(), "errors": errors })
}

/// Serialises a value for the result buffer.
pub fn to_bytes(value: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}
