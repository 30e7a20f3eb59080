//! The filter as a foreign object: load a model pack, check and filter frames and images.

use std::sync::Arc;

use safeframe::classifier::{Classifier, ClassifierOptions, ExecutionProvider as CoreProvider};
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{Frame as CoreFrame, PixelFormat as CorePixelFormat};
use safeframe::manifest::ModelPack;
use safeframe::second_opinion::SecondOpinion;
use safeframe::signing::TrustPolicy;

use crate::blocklist::Blocklist;
use crate::error::SafeFrameError;
use crate::policy::Policy;
use crate::types::{FilteredFrame, Frame, Verdict};

/// Options for loading a model.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FilterOptions {
    /// Threads ONNX Runtime uses inside one inference, 1 to 64 (default 1: predictable and
    /// battery friendly).
    #[uniffi(default = 1)]
    pub intra_threads: i32,
    /// An explicit ONNX Runtime shared library; absent: SafeFrame's usual search (on Android,
    /// `libonnxruntime.so` from the app's native library directory). Ignored on iOS, where
    /// ONNX Runtime is linked in.
    #[uniffi(default = None)]
    pub runtime_library: Option<String>,
    /// Where ONNX Runtime runs the model; absent: the CPU. NNAPI and XNNPACK exist in the
    /// official Android package, CoreML and XNNPACK in the iOS one. One the loaded runtime lacks
    /// is a `SafeFrameException.ExecutionProviderUnavailable` unless `fallback_to_cpu` is set.
    #[uniffi(default = None)]
    pub execution_provider: Option<ExecutionProvider>,
    /// Run on the CPU (with a logged warning) when the execution provider is unavailable,
    /// instead of failing (default false: a request is never silently ignored).
    #[uniffi(default = false)]
    pub fallback_to_cpu: bool,
    /// Load model packs that have no `signature.json` (model development only; a pack whose
    /// signature is present but does not verify is refused even then). Default false: only
    /// packs signed by a trusted key load.
    #[uniffi(default = false)]
    pub allow_unsigned: bool,
    /// Public keys whose signed packs load, besides SafeFrame's own (or instead of them with
    /// `replace_shipped_keys`): `ed25519:` and 64 hex digits, as in a `.pub` file.
    #[uniffi(default = [])]
    pub trusted_keys: Vec<String>,
    /// Trust only `trusted_keys`, not the keys SafeFrame ships.
    #[uniffi(default = false)]
    pub replace_shipped_keys: bool,
    /// Keys whose packs are refused even when trusted: key ids (16 hex digits, as in a
    /// `signature.json`) or public keys.
    #[uniffi(default = [])]
    pub revoked_keys: Vec<String>,
    /// Packs whose manifest version is below this (e.g. `"1.2.0"`) are refused as a rollback;
    /// applies to every pack the filter loads. Absent: no minimum.
    #[uniffi(default = None)]
    pub min_version: Option<String>,
}

/// An ONNX Runtime execution provider (where the model runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ExecutionProvider {
    /// ONNX Runtime's CPU kernels (always available).
    Cpu,
    /// XNNPACK's optimised CPU kernels (Android and iOS packages).
    Xnnpack,
    /// Android's Neural Networks API.
    Nnapi,
    /// Apple's Core ML.
    CoreMl,
}

impl From<ExecutionProvider> for CoreProvider {
    fn from(provider: ExecutionProvider) -> Self {
        match provider {
            ExecutionProvider::Cpu => Self::Cpu,
            ExecutionProvider::Xnnpack => Self::Xnnpack,
            ExecutionProvider::Nnapi => Self::Nnapi,
            ExecutionProvider::CoreMl => Self::CoreMl,
        }
    }
}

impl Default for FilterOptions {
    fn default() -> Self {
        Self {
            intra_threads: 1,
            runtime_library: None,
            execution_provider: None,
            fallback_to_cpu: false,
            allow_unsigned: false,
            trusted_keys: Vec::new(),
            replace_shipped_keys: false,
            revoked_keys: Vec::new(),
            min_version: None,
        }
    }
}

impl FilterOptions {
    pub(crate) fn to_core(&self) -> Result<ClassifierOptions, SafeFrameError> {
        Ok(ClassifierOptions {
            runtime_library: self.runtime_library.as_ref().map(Into::into),
            execution_provider: self.execution_provider.map_or(CoreProvider::Cpu, Into::into),
            fallback_to_cpu: self.fallback_to_cpu,
            trust: TrustPolicy::from_text(
                &self.trusted_keys,
                self.replace_shipped_keys,
                &self.revoked_keys,
                self.min_version.as_deref(),
                self.allow_unsigned,
            )?,
            ..ClassifierOptions::default()
        }
        .with_intra_threads(self.intra_threads.into())?)
    }
}

/// A pack in memory, with its signature file's bytes if given.
fn pack_from_bytes(
    manifest_json: &[u8],
    signature: Option<Vec<u8>>,
    onnx: Vec<u8>,
) -> Result<ModelPack, SafeFrameError> {
    let pack = ModelPack::from_bytes(manifest_json, onnx)?;
    Ok(match signature {
        Some(signature) => pack.with_signature(signature),
        None => pack,
    })
}

/// The failure policy as the core knows it.
pub(crate) fn on_error(fail_open: bool) -> OnError {
    if fail_open {
        OnError::FailOpen
    } else {
        OnError::FailClosed
    }
}

/// A loaded model plus a policy: checks frames and images and redacts frames.
///
/// Thread-safe: share one filter between threads; calls run one inference at a time. Loading
/// is slow (tens of milliseconds to seconds), so keep the filter for the life of the screen or
/// service that uses it, and close it (Kotlin `close()`/`use {}`, Swift: drop the last
/// reference) when done.
///
/// Frames and images passed to these methods are copied across the boundary. For camera
/// frames without a copy, use the zero-copy overloads on this same type: `checkFrame` and
/// `filterFrameInPlace` taking direct `ByteBuffer`s (Kotlin) or buffer pointers and
/// `CVPixelBuffer`s (Swift); C calls `safeframe_check_frame` and
/// `safeframe_filter_frame_in_place`.
#[derive(Debug, uniffi::Object)]
pub struct SafeFrameFilter {
    inner: Arc<Filter>,
    blocklist: Option<Arc<Blocklist>>,
    /// This object's number in the zero-copy paths' handle table, for its whole life.
    handle: i64,
}

impl Drop for SafeFrameFilter {
    fn drop(&mut self) {
        // Closing the object closes its zero-copy paths too; an already removed handle is fine.
        let _ = crate::handles::take(self.handle);
    }
}

/// The buffers of a copied frame as the core's writable views.
pub(crate) fn plane_views(planes: &mut [Vec<u8>]) -> impl Iterator<Item = &mut [u8]> {
    planes.iter_mut().map(Vec::as_mut_slice)
}

impl SafeFrameFilter {
    /// Pairs the loaded models with `policy` (a preset picks its rules for the models loaded).
    fn new(
        classifier: Classifier,
        second: Option<SecondOpinion>,
        policy: &Policy,
        fail_open: bool,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let policy = policy.for_models(second.is_some());
        let filter = Filter::cascade(Arc::new(classifier), second.map(Arc::new), policy, on_error(fail_open))?;
        Ok(Self::wrap(filter, None))
    }

    /// The foreign object for `filter`, registered for the zero-copy paths.
    fn wrap(filter: Filter, blocklist: Option<Arc<Blocklist>>) -> Arc<Self> {
        let inner = Arc::new(filter);
        let handle = crate::handles::register(Arc::clone(&inner));
        Arc::new(Self {
            inner,
            blocklist,
            handle,
        })
    }

    /// The core filter.
    pub(crate) fn core(&self) -> &Arc<Filter> {
        &self.inner
    }

    /// A fresh matcher for this filter's blocklist, if it has one (for a stream made from it).
    pub(crate) fn known_content(&self) -> Option<safeframe::known::KnownContent> {
        self.blocklist.as_ref().map(|b| b.known_content())
    }

    fn check_decoded(filter: &Filter, image: &[u8]) -> Result<Verdict, SafeFrameError> {
        let rgba = crate::decode::decode_rgba(image)?;
        let (width, height) = rgba.dimensions();
        let frame = CoreFrame::packed(rgba.as_raw(), width, height, CorePixelFormat::Rgba8)?;
        Ok(filter.check(&frame)?.into())
    }
}

#[uniffi::export]
impl SafeFrameFilter {
    /// Loads the model pack in directory `pack_dir` (`manifest.json` + the ONNX file it names)
    /// and pairs it with `policy`.
    ///
    /// With `fail_open` false (the default choice) a frame that cannot be classified is
    /// blocked by `filterFrame` and the zero-copy paths before the error is reported; with
    /// `fail_open` true it is left as it is. Either way the error is reported.
    #[uniffi::constructor]
    pub fn from_directory(
        pack_dir: String,
        policy: Arc<Policy>,
        fail_open: bool,
        options: FilterOptions,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let classifier = Classifier::from_dir(&pack_dir, &options.to_core()?)?;
        Self::new(classifier, None, &policy, fail_open)
    }

    /// Loads a model pack from its manifest JSON, ONNX bytes and `signature.json` bytes (for
    /// packs shipped inside an app's assets or bundle). The ONNX bytes must match the
    /// manifest's sha256 and the signature must be trusted (`options`); without a signature
    /// the pack loads only with `allow_unsigned`.
    #[uniffi::constructor(default(signature = None))]
    pub fn from_bytes(
        manifest_json: Vec<u8>,
        onnx: Vec<u8>,
        policy: Arc<Policy>,
        fail_open: bool,
        options: FilterOptions,
        signature: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let pack = pack_from_bytes(&manifest_json, signature, onnx)?;
        let classifier = Classifier::from_pack(&pack, &options.to_core()?)?;
        Self::new(classifier, None, &policy, fail_open)
    }

    /// Like `fromDirectory`, with a second-opinion model from the pack in `second_pack_dir`
    /// (e.g. `open-nsfw-int8`): a cascade that runs the second model only on frames whose
    /// verdict its answer could change, so the policy's rules can require both models to agree.
    ///
    /// The second pack's manifest is read now (a missing or malformed pack is an error here);
    /// its model is loaded on the first frame that needs it, and a failure then is that frame's
    /// error (blocked first unless `fail_open`). A preset `policy` uses its two-model rules; a
    /// custom policy may name the second model's labels (`{"model":"second",...}`), and naming
    /// a label it lacks is an `InvalidPolicy` error. `options` apply to both models.
    #[uniffi::constructor]
    pub fn with_second_opinion(
        pack_dir: String,
        second_pack_dir: String,
        policy: Arc<Policy>,
        fail_open: bool,
        options: FilterOptions,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let options = options.to_core()?;
        let second = SecondOpinion::from_dir(&second_pack_dir, &options)?;
        let classifier = Classifier::from_dir(&pack_dir, &options)?;
        Self::new(classifier, Some(second), &policy, fail_open)
    }

    /// Like `fromBytes`, with a second-opinion model from its manifest JSON, ONNX bytes and
    /// signature (its signature is checked now; the model is kept in memory until a frame first
    /// needs it and checked against the manifest's sha256 then). Otherwise as
    /// `withSecondOpinion`.
    #[uniffi::constructor(default(signature = None, second_signature = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn from_bytes_with_second_opinion(
        manifest_json: Vec<u8>,
        onnx: Vec<u8>,
        second_manifest_json: Vec<u8>,
        second_onnx: Vec<u8>,
        policy: Arc<Policy>,
        fail_open: bool,
        options: FilterOptions,
        signature: Option<Vec<u8>>,
        second_signature: Option<Vec<u8>>,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let options = options.to_core()?;
        let second = SecondOpinion::from_bytes(second_manifest_json, second_signature, second_onnx, &options)?;
        let pack = pack_from_bytes(&manifest_json, signature, onnx)?;
        let classifier = Classifier::from_pack(&pack, &options)?;
        Self::new(classifier, Some(second), &policy, fail_open)
    }

    /// The model's name from its manifest.
    pub fn model_name(&self) -> String {
        self.inner.classifier().manifest().name.clone()
    }

    /// The model's version from its manifest.
    pub fn model_version(&self) -> String {
        self.inner.classifier().manifest().version.clone()
    }

    /// The second-opinion model's name from its manifest; absent without a second opinion.
    pub fn second_opinion_name(&self) -> Option<String> {
        self.inner.second_opinion().map(|s| s.manifest().name.clone())
    }

    /// The second-opinion model's labels, in the order of `Verdict.secondScores`; absent
    /// without a second opinion.
    pub fn second_opinion_labels(&self) -> Option<Vec<String>> {
        self.inner.second_opinion().map(|s| s.labels().to_vec())
    }

    /// The policy's JSON: the rules in force (for a preset, those for the models loaded).
    pub fn policy_json(&self) -> String {
        self.inner.policy().to_json()
    }

    /// Classifies a frame (copied across the boundary) and returns the verdict, without
    /// changing any pixel. `planes`: one buffer per plane of `frame.format`, or one holding
    /// every plane one after another. For camera frames without the copy, use the zero-copy
    /// overloads (Kotlin: direct `ByteBuffer`s; Swift: buffer pointers or a `CVPixelBuffer`).
    pub fn check_frame(&self, frame: Frame, planes: Vec<Vec<u8>>) -> Result<Verdict, SafeFrameError> {
        let views: Vec<&[u8]> = planes.iter().map(Vec::as_slice).collect();
        let frame = frame.description()?.frame(&views)?;
        Ok(self.inner.check(&frame)?.into())
    }

    /// Classifies a frame (copied in and back out) and returns its planes with the verdict's
    /// action applied (blurred or blocked), plus the verdict.
    ///
    /// When the frame cannot be classified this throws; do not show the frame then (SafeFrame
    /// fails closed). The zero-copy `filterFrameInPlace` overloads block the frame in place
    /// first (failing closed) before they report the error; C and Swift also hand back the
    /// verdict applied.
    pub fn filter_frame(&self, frame: Frame, mut planes: Vec<Vec<u8>>) -> Result<FilteredFrame, SafeFrameError> {
        let description = frame.description()?;
        let mut frame = description.frame_mut(plane_views(&mut planes))?;
        let verdict = self.inner.filter(&mut frame)?.into();
        Ok(FilteredFrame { verdict, planes })
    }

    /// Decodes an encoded image (PNG, JPEG, GIF, BMP, WebP; EXIF orientation applied) and
    /// classifies it. Blocks the calling thread for the decode and one inference; from a UI
    /// thread use `checkEncodedImageAsync`.
    pub fn check_encoded_image(&self, image: Vec<u8>) -> Result<Verdict, SafeFrameError> {
        Self::check_decoded(&self.inner, &image)
    }

    /// `checkEncodedImage` off the caller's thread: a Kotlin `suspend` function, a Swift
    /// `async` one. The work runs on a small pool of SafeFrame's own threads.
    pub async fn check_encoded_image_async(&self, image: Vec<u8>) -> Result<Verdict, SafeFrameError> {
        let filter = Arc::clone(&self.inner);
        blocking::unblock(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Self::check_decoded(&filter, &image)))
                .unwrap_or_else(|payload| Err(SafeFrameError::from_panic(payload.as_ref())))
        })
        .await
    }

    /// A filter on the same loaded models and policy that also matches frames against
    /// `blocklist` (PDQ hashes of known content): a match is blocked with category `Known`,
    /// whatever the classifier says. This filter is unchanged; streams made from the new one
    /// use the list too.
    pub fn with_blocklist(&self, blocklist: Arc<Blocklist>) -> Arc<Self> {
        let filter = self.inner.sharing_models_with_known_content(blocklist.known_content());
        Self::wrap(filter, Some(blocklist))
    }

    /// This filter's number for the zero-copy paths (JNI, the C ABI's
    /// `safeframe_filter_from_handle`): the same for the object's whole life, and unknown
    /// (an `InvalidArgument` error) once the object is closed.
    pub fn direct_handle(&self) -> i64 {
        self.handle
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::types::{Action, Category, FramePlane, PixelFormat, Preset};

    /// A packed frame of `format` without row padding.
    pub(crate) fn packed(width: i32, height: i32, format: PixelFormat) -> Frame {
        let bpp = match format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 => 4,
            _ => 3,
        };
        Frame {
            width,
            height,
            format,
            planes: vec![FramePlane {
                row_stride: width * bpp,
                pixel_stride: 0,
            }],
            rotation_degrees: 0,
            crop: None,
            timestamp_ns: None,
            full_range: false,
        }
    }

    /// A packed RGB8 frame.
    pub(crate) fn rgb(width: i32, height: i32) -> Frame {
        packed(width, height, PixelFormat::Rgb8)
    }

    const ORACLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/oracle/oracle");

    /// A fail-closed filter on the oracle test pack with the child preset.
    pub(crate) fn oracle() -> Arc<SafeFrameFilter> {
        SafeFrameFilter::from_directory(
            ORACLE.to_owned(),
            Policy::preset(Preset::Child),
            false,
            FilterOptions::default(),
        )
        .unwrap()
    }

    /// Rule 0 never fires (the oracle's hentai tops out at 0.95); rule 1 blocks when the primary
    /// scores porn >= 0.3 and the second model porn >= 0.9.
    pub(crate) const TWO_MODEL_POLICY: &str = r#"{"name":"two-models","rules":[
        {"categories":["hentai"],"threshold":0.99,"action":"blur"},
        {"when":[{"model":"primary","labels":["porn"],"threshold":0.3},
                 {"model":"second","labels":["porn"],"threshold":0.9}],"action":"block"}]}"#;

    /// The oracle pack as both the primary and the second-opinion model, with
    /// [`TWO_MODEL_POLICY`].
    pub(crate) fn oracle_cascade() -> Arc<SafeFrameFilter> {
        SafeFrameFilter::with_second_opinion(
            ORACLE.to_owned(),
            ORACLE.to_owned(),
            Policy::from_json(TWO_MODEL_POLICY.to_owned()).unwrap(),
            false,
            FilterOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn a_second_opinion_decides_what_the_primary_flags() {
        let filter = oracle_cascade();
        assert_eq!(filter.second_opinion_name().as_deref(), Some("oracle"));
        // Dark red: the primary says porn 0.73 (>= 0.3), the second model the same, short of 0.9.
        let dark_red: Vec<u8> = [170u8, 0, 0].repeat(8 * 6);
        let v = filter.check_frame(rgb(8, 6), vec![dark_red]).unwrap();
        assert_eq!((v.action, v.rule), (Action::Allow, None));
        let second = v.second_scores.expect("the second model ran");
        assert!((second[3] - 0.729).abs() < 0.01, "{second:?}");
        // Red: porn 0.95 from both: blocked by rule 1, with the second model's scores.
        let red: Vec<u8> = [255u8, 0, 0].repeat(8 * 6);
        let v = filter.check_frame(rgb(8, 6), vec![red]).unwrap();
        assert_eq!(
            (v.action, v.category, v.rule),
            (Action::Block, Some(Category::Porn), Some(1))
        );
        let second = v.second_scores.unwrap();
        assert_eq!(second.len(), 5);
        assert!((second[3] - 0.9503).abs() < 1e-3, "{second:?}");
        // Grey: the primary flags nothing, so the second model does not run.
        let grey: Vec<u8> = [128u8; 3].repeat(8 * 6);
        let v = filter.check_frame(rgb(8, 6), vec![grey]).unwrap();
        assert_eq!((v.action, v.second_scores), (Action::Allow, None));
        // A blocklist keeps the second opinion.
        let hash = format!("{}\n", "f".repeat(64)).into_bytes();
        let list = crate::blocklist::Blocklist::from_bytes(hash, crate::BlocklistOptions::default()).unwrap();
        assert_eq!(
            filter.with_blocklist(list).second_opinion_name().as_deref(),
            Some("oracle")
        );
    }

    #[test]
    fn a_policy_naming_a_second_model_needs_one_and_a_missing_pack_is_an_error() {
        let policy = || Policy::from_json(TWO_MODEL_POLICY.to_owned()).unwrap();
        let err =
            SafeFrameFilter::from_directory(ORACLE.to_owned(), policy(), false, FilterOptions::default()).unwrap_err();
        assert!(
            matches!(&err, SafeFrameError::InvalidPolicy(m) if m.contains("rules[1].when[1].model")),
            "{err}"
        );
        let err = SafeFrameFilter::with_second_opinion(
            ORACLE.to_owned(),
            "/nonexistent/second".to_owned(),
            policy(),
            false,
            FilterOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, SafeFrameError::Io(m) if m.contains("/nonexistent/second")),
            "{err}"
        );
        // A label the second model lacks.
        let json = TWO_MODEL_POLICY.replace(
            r#""model":"second","labels":["porn"]"#,
            r#""model":"second","labels":["nsfw"]"#,
        );
        let err = SafeFrameFilter::with_second_opinion(
            ORACLE.to_owned(),
            ORACLE.to_owned(),
            Policy::from_json(json).unwrap(),
            false,
            FilterOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, SafeFrameError::InvalidPolicy(_)), "{err}");
    }

    #[test]
    fn presets_pick_their_rules_for_the_models_loaded() {
        let single = oracle();
        assert!(!single.policy_json().contains("second"));
        assert_eq!(single.second_opinion_labels(), None);
        let cascade = SafeFrameFilter::with_second_opinion(
            ORACLE.to_owned(),
            ORACLE.to_owned(),
            Policy::preset(Preset::Child),
            false,
            FilterOptions::default(),
        );
        // The oracle has no `nsfw` label: the child preset's two-model rules are refused, by name.
        assert!(
            matches!(&cascade, Err(SafeFrameError::InvalidPolicy(m)) if m.contains("nsfw")),
            "{cascade:?}"
        );
        assert_eq!(
            Policy::preset_for_models(Preset::Child, true).to_json(),
            safeframe::policy::Policy::preset_with_second_opinion(safeframe::policy::Preset::Child).to_json()
        );
        let err = SafeFrameFilter::from_directory(
            ORACLE.to_owned(),
            Policy::preset_for_models(Preset::Teen, true),
            false,
            FilterOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(err, SafeFrameError::InvalidPolicy(_)), "{err}");
    }

    #[test]
    fn a_second_opinion_from_bytes_loads_on_first_need() {
        let manifest = std::fs::read(format!("{ORACLE}/manifest.json")).unwrap();
        let signature = std::fs::read(format!("{ORACLE}/signature.json")).unwrap();
        let onnx = std::fs::read(format!("{ORACLE}/model.onnx")).unwrap();
        let filter = SafeFrameFilter::from_bytes_with_second_opinion(
            manifest.clone(),
            onnx.clone(),
            manifest.clone(),
            onnx.clone(),
            Policy::from_json(TWO_MODEL_POLICY.to_owned()).unwrap(),
            false,
            FilterOptions::default(),
            Some(signature.clone()),
            Some(signature.clone()),
        )
        .unwrap();
        let red: Vec<u8> = [255u8, 0, 0].repeat(8 * 6);
        assert_eq!(filter.check_frame(rgb(8, 6), vec![red.clone()]).unwrap().rule, Some(1));
        // A corrupt second model is found when a frame first needs it: that frame's error.
        let mut tampered = onnx.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let filter = SafeFrameFilter::from_bytes_with_second_opinion(
            manifest.clone(),
            onnx.clone(),
            manifest.clone(),
            tampered,
            Policy::from_json(TWO_MODEL_POLICY.to_owned()).unwrap(),
            false,
            FilterOptions::default(),
            Some(signature.clone()),
            Some(signature.clone()),
        )
        .unwrap();
        assert!(filter.check_frame(rgb(8, 6), vec![red]).is_err());
        // Without their signatures the packs are unsigned: refused unless allowed.
        let unsigned = |options: FilterOptions| {
            SafeFrameFilter::from_bytes(
                manifest.clone(),
                onnx.clone(),
                Policy::preset(Preset::Child),
                false,
                options,
                None,
            )
        };
        assert!(matches!(
            unsigned(FilterOptions::default()),
            Err(SafeFrameError::ModelUnsigned(_))
        ));
        unsigned(FilterOptions {
            allow_unsigned: true,
            ..FilterOptions::default()
        })
        .unwrap();
    }

    #[test]
    fn checks_and_filters_copied_frames() {
        let filter = oracle();
        let red: Vec<u8> = [255u8, 0, 0].repeat(8 * 6);
        let verdict = filter.check_frame(rgb(8, 6), vec![red.clone()]).unwrap();
        assert_eq!(verdict.action, Action::Block);
        let filtered = filter.filter_frame(rgb(8, 6), vec![red]).unwrap();
        assert_eq!(filtered.verdict, verdict);
        assert!(filtered.planes[0].iter().all(|&b| b == 0));
        assert!(matches!(
            filter.check_frame(rgb(-1, 6), vec![vec![0; 10]]),
            Err(SafeFrameError::InvalidFrame(_))
        ));
    }

    #[test]
    fn a_direct_handle_lasts_as_long_as_its_object() {
        let filter = oracle();
        let handle = filter.direct_handle();
        assert!(handle > 0);
        assert_eq!(filter.direct_handle(), handle, "one number for the object's life");
        assert!(Arc::ptr_eq(&crate::handles::get(handle).unwrap(), &filter.inner));
        let other = filter.with_blocklist(
            crate::blocklist::Blocklist::from_bytes(
                format!("{}\n", "f".repeat(64)).into_bytes(),
                crate::BlocklistOptions::default(),
            )
            .unwrap(),
        );
        assert_ne!(other.direct_handle(), handle);
        drop(filter);
        assert!(matches!(
            crate::handles::get(handle),
            Err(SafeFrameError::InvalidArgument(_))
        ));
        assert!(crate::handles::get(other.direct_handle()).is_ok());
    }

    #[test]
    fn every_format_goes_through_the_copying_path_with_one_verdict() {
        let filter = oracle();
        // An 8x6 frame of one colour in each format: the same verdict for all.
        let (w, h) = (8usize, 6usize);
        let (cw, ch) = (w / 2, h / 2);
        let red_yuv = [81u8, 90, 240]; // BT.601 limited range for (255, 0, 0)
        let frame = |format, planes: Vec<(i32, i32)>| Frame {
            planes: planes
                .into_iter()
                .map(|(row_stride, pixel_stride)| FramePlane {
                    row_stride,
                    pixel_stride,
                })
                .collect(),
            ..packed(8, 6, format)
        };
        let rgb_verdict = filter
            .check_frame(rgb(8, 6), vec![[255u8, 0, 0].repeat(w * h)])
            .unwrap();
        assert_eq!(rgb_verdict.action, Action::Block);
        let y = vec![red_yuv[0]; w * h];
        let vu: Vec<u8> = [red_yuv[2], red_yuv[1]].repeat(cw * ch);
        let nv21 = filter
            .check_frame(frame(PixelFormat::Nv21, vec![(8, 1), (8, 2)]), vec![y.clone(), vu])
            .unwrap();
        // YUV_420_888 with Android-style interleaved chroma (pixel stride 2), one buffer each.
        let u: Vec<u8> = [red_yuv[1], 0].repeat(cw * ch)[..cw * ch * 2 - 1].to_vec();
        let v: Vec<u8> = [red_yuv[2], 0].repeat(cw * ch)[..cw * ch * 2 - 1].to_vec();
        let yuv = filter
            .check_frame(
                frame(PixelFormat::Yuv420888, vec![(8, 1), (8, 2), (8, 2)]),
                vec![y.clone(), u, v],
            )
            .unwrap();
        let i420_bytes: Vec<u8> = [y, vec![red_yuv[1]; cw * ch], vec![red_yuv[2]; cw * ch]].concat();
        let i420 = filter
            .check_frame(frame(PixelFormat::I420, vec![(8, 1), (4, 1), (4, 1)]), vec![i420_bytes])
            .unwrap();
        for verdict in [&nv21, &yuv, &i420] {
            assert_eq!(
                (verdict.action, verdict.category),
                (rgb_verdict.action, rgb_verdict.category)
            );
            assert!(
                (verdict.scores.porn - rgb_verdict.scores.porn).abs() < 0.02,
                "{verdict:?}"
            );
        }
        // Filtering a YUV frame blocks it in its own format.
        let filtered = filter
            .filter_frame(
                frame(PixelFormat::Nv21, vec![(8, 1), (8, 2)]),
                vec![vec![81; 48], [240, 90].repeat(12)],
            )
            .unwrap();
        assert_eq!(filtered.verdict.action, Action::Block);
        assert_eq!(filtered.planes.len(), 2);
        // The wrong number of buffers is an InvalidFrame naming the format.
        let err = filter
            .check_frame(frame(PixelFormat::Nv21, vec![(8, 1), (8, 2)]), vec![vec![0; 48]; 3])
            .unwrap_err();
        assert!(
            matches!(&err, SafeFrameError::InvalidFrame(m) if m.contains("nv21")),
            "{err}"
        );
    }

    #[test]
    fn bad_options_are_invalid_arguments() {
        for threads in [0, -3, 65] {
            let options = FilterOptions {
                intra_threads: threads,
                ..FilterOptions::default()
            };
            assert!(matches!(options.to_core(), Err(SafeFrameError::InvalidArgument(_))));
        }
        for options in [
            FilterOptions {
                trusted_keys: vec!["ed25519:12".to_owned()],
                ..FilterOptions::default()
            },
            FilterOptions {
                revoked_keys: vec!["nope".to_owned()],
                ..FilterOptions::default()
            },
            FilterOptions {
                min_version: Some("1.2".to_owned()),
                ..FilterOptions::default()
            },
            FilterOptions {
                replace_shipped_keys: true,
                ..FilterOptions::default()
            },
        ] {
            assert!(
                matches!(options.to_core(), Err(SafeFrameError::InvalidArgument(_))),
                "{options:?}"
            );
        }
    }
}
