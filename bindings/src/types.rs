//! Plain data that crosses the boundary: mirrors of the core's types, converted both ways.
//!
//! The core stays free of uniffi; these types carry the uniffi derives and convert with `From`.

use safeframe::frame::{FrameDescription, PixelFormat as CorePixelFormat, PlaneStrides};
use safeframe::policy::{Action as CoreAction, Preset as CorePreset, Verdict as CoreVerdict};
use safeframe::scores::{Category as CoreCategory, Scores as CoreScores};

use crate::error::SafeFrameError;

/// How a frame's pixels are laid out: the planes it has and what each sample holds.
///
/// Its number in the C ABI (`SAFEFRAME_FORMAT_*`) and over JNI is the core's
/// [`safeframe::frame::PixelFormat::code`]; [`pixel_format_code`] gives it to Kotlin and Swift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PixelFormat {
    /// One plane, 4 bytes per pixel: red, green, blue, alpha (Android `Bitmap.Config.ARGB_8888`
    /// in memory).
    Rgba8,
    /// One plane, 4 bytes per pixel: blue, green, red, alpha (iOS `kCVPixelFormatType_32BGRA`).
    Bgra8,
    /// One plane, 3 bytes per pixel: red, green, blue.
    Rgb8,
    /// Two planes: Y, then interleaved U, V pairs (iOS `420YpCbCr8BiPlanar*`, most decoders).
    Nv12,
    /// Two planes: Y, then interleaved V, U pairs (Android camera `NV21`).
    Nv21,
    /// Three planes: Y, U, V (`yuv420p`).
    I420,
    /// Three planes, Y, U, V, each with its own row and pixel stride (Android `YUV_420_888`:
    /// CameraX `ImageProxy.planes`, `android.media.Image.planes`).
    Yuv420888,
}

impl From<PixelFormat> for CorePixelFormat {
    fn from(format: PixelFormat) -> Self {
        match format {
            PixelFormat::Rgba8 => Self::Rgba8,
            PixelFormat::Bgra8 => Self::Bgra8,
            PixelFormat::Rgb8 => Self::Rgb8,
            PixelFormat::Nv12 => Self::Nv12,
            PixelFormat::Nv21 => Self::Nv21,
            PixelFormat::I420 => Self::I420,
            PixelFormat::Yuv420888 => Self::Yuv420888,
        }
    }
}

/// The number the C ABI and JNI use for `format` (the core's one table).
#[uniffi::export]
pub fn pixel_format_code(format: PixelFormat) -> i32 {
    CorePixelFormat::from(format).code()
}

/// Where one plane's samples lie in its buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct FramePlane {
    /// Bytes from the start of one row to the start of the next (Android `rowStride`, iOS
    /// `bytesPerRowOfPlane`).
    pub row_stride: i32,
    /// Bytes from one sample to the next within a row (Android `pixelStride`); 0: the format's
    /// own (4 for RGBA8, 2 for an NV12 chroma pair, …). Only `YUV_420_888` lets it vary.
    #[uniffi(default = 0)]
    pub pixel_stride: i32,
}

/// A rectangle of a frame in the buffer's own (unrotated) pixel coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct CropRect {
    /// Left column.
    pub x: i32,
    /// Top row.
    pub y: i32,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// A description of a frame — size, format, one [`FramePlane`] per plane, rotation, crop,
/// timestamp — whose bytes are passed beside it: one buffer per plane, in the format's plane
/// order (packed RGB: the pixels; NV12/NV21: Y, then the chroma pairs; I420 and YUV_420_888:
/// Y, U, V), or one buffer holding every plane one after another.
///
/// ```kotlin
/// val frame = Frame(width = 640, height = 480, format = PixelFormat.RGBA8,
///                   planes = listOf(FramePlane(rowStride = 640 * 4)))
/// ```
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Frame {
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// The pixel format.
    pub format: PixelFormat,
    /// One entry per plane, in the format's plane order.
    pub planes: Vec<FramePlane>,
    /// The clockwise turn, 0, 90, 180 or 270 degrees, that makes the image upright (CameraX
    /// `imageInfo.rotationDegrees`); the model looks at the upright image.
    #[uniffi(default = 0)]
    pub rotation_degrees: i32,
    /// Classify only this part of the frame (redaction still covers all of it); absent: all.
    #[uniffi(default = None)]
    pub crop: Option<CropRect>,
    /// The frame's timestamp in nanoseconds (streams' cadence and change gate use it).
    #[uniffi(default = None)]
    pub timestamp_ns: Option<i64>,
    /// YUV samples span 0–255 (JPEG, some screen captures) rather than the video range 16–235.
    #[uniffi(default = false)]
    pub full_range: bool,
}

impl Frame {
    /// The core's checked description of this frame.
    pub(crate) fn description(&self) -> Result<FrameDescription, SafeFrameError> {
        let planes: Vec<PlaneStrides> = self
            .planes
            .iter()
            .map(|p| PlaneStrides::new(p.row_stride.into(), p.pixel_stride.into()))
            .collect();
        let mut description =
            FrameDescription::new(self.width.into(), self.height.into(), self.format.into(), &planes)?
                .with_rotation_degrees(self.rotation_degrees.into())?
                .with_timestamp_ns(self.timestamp_ns)
                .with_full_range(self.full_range);
        if let Some(c) = self.crop {
            description = description.with_crop(c.x.into(), c.y.into(), c.width.into(), c.height.into())?;
        }
        Ok(description)
    }
}

/// What to do with a frame, from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Action {
    /// Show the frame as it is.
    Allow,
    /// Show the frame, and warn the user.
    Warn,
    /// Obscure the frame so its content is unrecognisable.
    Blur,
    /// Replace the frame with a solid fill.
    Block,
}

impl From<CoreAction> for Action {
    fn from(action: CoreAction) -> Self {
        match action {
            CoreAction::Allow => Self::Allow,
            CoreAction::Warn => Self::Warn,
            CoreAction::Blur => Self::Blur,
            CoreAction::Block => Self::Block,
        }
    }
}

impl From<Action> for CoreAction {
    fn from(action: Action) -> Self {
        match action {
            Action::Allow => Self::Allow,
            Action::Warn => Self::Warn,
            Action::Blur => Self::Blur,
            Action::Block => Self::Block,
        }
    }
}

/// A content category the classifier scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Category {
    /// Drawings and illustrations that are safe.
    Drawing,
    /// Drawn or animated pornography.
    Hentai,
    /// Ordinary safe images.
    Neutral,
    /// Pornographic photos.
    Porn,
    /// Sexually suggestive but not explicit photos.
    Sexy,
    /// Matched a known-content blocklist (not a classifier score).
    Known,
}

impl From<CoreCategory> for Category {
    fn from(category: CoreCategory) -> Self {
        match category {
            CoreCategory::Drawing => Self::Drawing,
            CoreCategory::Hentai => Self::Hentai,
            CoreCategory::Neutral => Self::Neutral,
            CoreCategory::Porn => Self::Porn,
            CoreCategory::Sexy => Self::Sexy,
            CoreCategory::Known => Self::Known,
        }
    }
}

/// The built-in policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Preset {
    /// The default: blocks explicit content, blurs suggestive content.
    Child,
    /// Higher thresholds; warns on borderline content.
    Teen,
    /// Only warns, on confident explicit content.
    Adult,
}

impl From<Preset> for CorePreset {
    fn from(preset: Preset) -> Self {
        match preset {
            Preset::Child => Self::Child,
            Preset::Teen => Self::Teen,
            Preset::Adult => Self::Adult,
        }
    }
}

/// One probability per category, summing to 1.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct Scores {
    /// Drawing.
    pub drawing: f32,
    /// Hentai.
    pub hentai: f32,
    /// Neutral.
    pub neutral: f32,
    /// Porn.
    pub porn: f32,
    /// Sexy.
    pub sexy: f32,
}

impl From<CoreScores> for Scores {
    fn from(s: CoreScores) -> Self {
        Self {
            drawing: s.drawing,
            hentai: s.hentai,
            neutral: s.neutral,
            porn: s.porn,
            sexy: s.sexy,
        }
    }
}

impl From<Scores> for CoreScores {
    fn from(s: Scores) -> Self {
        Self::new([s.drawing, s.hentai, s.neutral, s.porn, s.sexy])
    }
}

/// The outcome of classifying one frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Verdict {
    /// What to do with the frame.
    pub action: Action,
    /// The category that decided it; absent when the action is allow.
    pub category: Option<Category>,
    /// The scores the verdict was made from.
    pub scores: Scores,
    /// The blocklist entry that decided the verdict, if any (then the action is block and the
    /// category [`Category::Known`]).
    #[uniffi(default = None)]
    pub known: Option<KnownMatch>,
    /// The 0-based index, in the policy's rules (`Policy.toJson()`), of the rule that decided
    /// the verdict; absent when the frame is allowed, failed closed or matched a blocklist.
    #[uniffi(default = None)]
    pub rule: Option<u32>,
    /// The second-opinion model's probabilities, in the order of its labels
    /// (`SafeFrameFilter.secondOpinionLabels()`), when it ran for this verdict; absent when the
    /// filter has no second opinion or the primary's scores left nothing for it to decide.
    #[uniffi(default = None)]
    pub second_scores: Option<Vec<f32>>,
}

/// A blocklist entry a frame's PDQ hash matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct KnownMatch {
    /// 0-based index of the entry in its blocklist.
    pub entry: u32,
    /// Hamming distance between the entry and the nearest of the frame's dihedral hashes.
    pub distance: u32,
}

impl From<CoreVerdict> for Verdict {
    fn from(v: CoreVerdict) -> Self {
        Self {
            action: v.action.into(),
            category: v.category.map(Category::from),
            scores: v.scores.into(),
            known: v.known.map(|m| KnownMatch {
                entry: m.entry,
                distance: m.distance,
            }),
            rule: v.rule,
            second_scores: v.second.map(|s| s.values().to_vec()),
        }
    }
}

/// A frame after filtering (a copy): its planes with the verdict's action applied, and the
/// verdict.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FilteredFrame {
    /// The verdict.
    pub verdict: Verdict,
    /// The planes, as they came in (blurred or blocked when the verdict says so).
    pub planes: Vec<Vec<u8>>,
}
