//! The filter as a foreign object: load a model pack, check and filter frames and images.

use std::sync::Arc;

use safeframe::classifier::{Classifier, ClassifierOptions, ExecutionProvider as CoreProvider};
use safeframe::filter::{Filter, OnError};
use safeframe::frame::{Frame, FrameMut};

use crate::blocklist::Blocklist;
use crate::error::SafeFrameError;
use crate::policy::Policy;
use crate::types::{FilteredFrame, PixelFormat, Verdict};

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
        }
    }
}

impl FilterOptions {
    pub(crate) fn to_core(&self) -> Result<ClassifierOptions, SafeFrameError> {
        let intra_threads = usize::try_from(self.intra_threads)
            .ok()
            .filter(|n| (1..=64).contains(n))
            .ok_or_else(|| {
                SafeFrameError::invalid_argument(format!("intra_threads must be 1..=64, got {}", self.intra_threads))
            })?;
        Ok(ClassifierOptions {
            intra_threads,
            runtime_library: self.runtime_library.as_ref().map(Into::into),
            execution_provider: self.execution_provider.map_or(CoreProvider::Cpu, Into::into),
            fallback_to_cpu: self.fallback_to_cpu,
            ..ClassifierOptions::default()
        })
    }
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
/// frames without a copy, use the zero-copy paths (`DirectFrameFilter` on Android and in the
/// Swift package), which take a handle from [`SafeFrameFilter::direct_handle`].
#[derive(Debug, uniffi::Object)]
pub struct SafeFrameFilter {
    inner: Arc<Filter>,
    blocklist: Option<Arc<Blocklist>>,
}

pub(crate) fn dimension(value: i32, what: &str) -> Result<u32, SafeFrameError> {
    u32::try_from(value).map_err(|_| SafeFrameError::InvalidFrame(format!("invalid frame: {what} {value} is negative")))
}

/// A packed frame over `pixels` from the foreign API's signed sizes (negatives are errors).
pub(crate) fn packed_frame(
    pixels: &mut [u8],
    width: i32,
    height: i32,
    stride: i32,
    format: PixelFormat,
) -> Result<FrameMut<'_>, SafeFrameError> {
    Ok(FrameMut::new(
        pixels,
        dimension(width, "width")?,
        dimension(height, "height")?,
        self::stride(stride)?,
        format.into(),
    )?)
}

pub(crate) fn stride(value: i32) -> Result<usize, SafeFrameError> {
    usize::try_from(value)
        .map_err(|_| SafeFrameError::InvalidFrame(format!("invalid frame: row stride {value} is negative")))
}

impl SafeFrameFilter {
    fn new(classifier: Classifier, policy: &Policy, fail_open: bool) -> Arc<Self> {
        Arc::new(Self {
            inner: Arc::new(Filter::new(classifier, policy.core().clone(), on_error(fail_open))),
            blocklist: None,
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
        let frame = Frame::packed(rgba.as_raw(), width, height, safeframe::frame::PixelFormat::Rgba8)?;
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
        Ok(Self::new(classifier, &policy, fail_open))
    }

    /// Loads a model pack from its manifest JSON and ONNX bytes (for packs shipped inside an
    /// app's assets or bundle). The ONNX bytes must match the manifest's sha256.
    #[uniffi::constructor]
    pub fn from_bytes(
        manifest_json: Vec<u8>,
        onnx: Vec<u8>,
        policy: Arc<Policy>,
        fail_open: bool,
        options: FilterOptions,
    ) -> Result<Arc<Self>, SafeFrameError> {
        let classifier = Classifier::from_bytes(&manifest_json, onnx, &options.to_core()?)?;
        Ok(Self::new(classifier, &policy, fail_open))
    }

    /// The model's name from its manifest.
    pub fn model_name(&self) -> String {
        self.inner.classifier().manifest().name.clone()
    }

    /// The model's version from its manifest.
    pub fn model_version(&self) -> String {
        self.inner.classifier().manifest().version.clone()
    }

    /// The policy's JSON.
    pub fn policy_json(&self) -> String {
        self.inner.policy().to_json()
    }

    /// Classifies a packed frame and returns the verdict, without changing any pixel.
    ///
    /// `stride` is the distance in bytes between the starts of two rows (at least
    /// `width × bytes per pixel`); the last row needs no padding.
    pub fn check_frame(
        &self,
        pixels: Vec<u8>,
        width: i32,
        height: i32,
        stride: i32,
        format: PixelFormat,
    ) -> Result<Verdict, SafeFrameError> {
        let frame = Frame::new(
            &pixels,
            dimension(width, "width")?,
            dimension(height, "height")?,
            self::stride(stride)?,
            format.into(),
        )?;
        Ok(self.inner.check(&frame)?.into())
    }

    /// Classifies a packed frame and returns its pixels with the verdict's action applied
    /// (blurred or blocked), plus the verdict.
    ///
    /// When the frame cannot be classified this throws; do not show the frame then (SafeFrame
    /// fails closed).
    pub fn filter_frame(
        &self,
        mut pixels: Vec<u8>,
        width: i32,
        height: i32,
        stride: i32,
        format: PixelFormat,
    ) -> Result<FilteredFrame, SafeFrameError> {
        let mut frame = packed_frame(&mut pixels, width, height, stride, format)?;
        let verdict = self.inner.filter(&mut frame)?.into();
        Ok(FilteredFrame { verdict, pixels })
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

    /// A filter on the same loaded model and policy that also matches frames against
    /// `blocklist` (PDQ hashes of known content): a match is blocked with category `Known`,
    /// whatever the classifier says. This filter is unchanged; streams made from the new one
    /// use the list too.
    pub fn with_blocklist(&self, blocklist: Arc<Blocklist>) -> Arc<Self> {
        let filter = Filter::shared(
            Arc::clone(self.inner.shared_classifier()),
            self.inner.policy().clone(),
            self.inner.on_error(),
        )
        .with_known_content(blocklist.known_content());
        Arc::new(Self {
            inner: Arc::new(filter),
            blocklist: Some(blocklist),
        })
    }

    /// A new numbered handle to this filter for the zero-copy paths: Android's
    /// `DirectFrameFilter` (JNI) and the C ABI's `safeframe_filter_from_handle`. The handle
    /// keeps the model loaded until it is released; those wrappers release it when closed.
    pub fn direct_handle(&self) -> i64 {
        crate::handles::register(Arc::clone(&self.inner))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::types::{Action, Preset};

    /// A fail-closed filter on the oracle test pack with the child preset.
    pub(crate) fn oracle() -> Arc<SafeFrameFilter> {
        let pack = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/oracle/oracle");
        SafeFrameFilter::from_directory(
            pack.to_owned(),
            Policy::preset(Preset::Child),
            false,
            FilterOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn checks_and_filters_copied_frames() {
        let filter = oracle();
        let red: Vec<u8> = [255u8, 0, 0].repeat(8 * 6);
        let verdict = filter.check_frame(red.clone(), 8, 6, 24, PixelFormat::Rgb8).unwrap();
        assert_eq!(verdict.action, Action::Block);
        let filtered = filter.filter_frame(red, 8, 6, 24, PixelFormat::Rgb8).unwrap();
        assert_eq!(filtered.verdict, verdict);
        assert!(filtered.pixels.iter().all(|&b| b == 0));
        assert!(matches!(
            filter.check_frame(vec![0; 10], -1, 6, 24, PixelFormat::Rgb8),
            Err(SafeFrameError::InvalidFrame(_))
        ));
    }

    #[test]
    fn direct_handles_share_the_filter_until_taken() {
        let filter = oracle();
        let handle = filter.direct_handle();
        assert!(handle > 0);
        assert!(Arc::ptr_eq(&crate::handles::get(handle).unwrap(), &filter.inner));
        assert!(crate::handles::take(handle).is_ok());
        assert!(matches!(
            crate::handles::get(handle),
            Err(SafeFrameError::InvalidArgument(_))
        ));
        assert!(crate::handles::take(handle).is_err());
        assert_ne!(filter.direct_handle(), handle, "handles are never reused");
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
    }
}
