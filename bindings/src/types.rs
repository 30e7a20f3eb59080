//! Plain data that crosses the boundary: mirrors of the core's types, converted both ways.
//!
//! The core stays free of uniffi; these types carry the uniffi derives and convert with `From`.

use safeframe::frame::PixelFormat as CorePixelFormat;
use safeframe::policy::{Action as CoreAction, Preset as CorePreset, Verdict as CoreVerdict};
use safeframe::scores::{Category as CoreCategory, Scores as CoreScores};

/// How the pixels of a packed frame are laid out in memory.
///
/// Phase 2 of the bindings adds the camera formats (NV12, NV21, I420 and Android's
/// `YUV_420_888`) once the core supports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum PixelFormat {
    /// 4 bytes per pixel: red, green, blue, alpha (Android `Bitmap.Config.ARGB_8888` in memory).
    Rgba8,
    /// 4 bytes per pixel: blue, green, red, alpha (iOS `kCVPixelFormatType_32BGRA`).
    Bgra8,
    /// 3 bytes per pixel: red, green, blue.
    Rgb8,
}

impl From<PixelFormat> for CorePixelFormat {
    fn from(format: PixelFormat) -> Self {
        match format {
            PixelFormat::Rgba8 => Self::Rgba8,
            PixelFormat::Bgra8 => Self::Bgra8,
            PixelFormat::Rgb8 => Self::Rgb8,
        }
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

/// A frame after filtering: its pixels with the verdict's action applied, and the verdict.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FilteredFrame {
    /// The verdict.
    pub verdict: Verdict,
    /// The pixels, in the layout they came in (blurred or blocked when the verdict says so).
    pub pixels: Vec<u8>,
}
