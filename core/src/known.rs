//! Known-content matching: a frame's PDQ hashes against a blocklist.
//!
//! The second detector beside the classifier. A frame whose hash (or any of its 8 dihedral
//! hashes, so rotated and mirrored copies too) lies within the matcher's distance of a
//! blocklist entry is blocked by [`crate::policy::Policy::evaluate_with_match`], whatever the
//! classifier says. Packed RGB frames hash their colour as Meta's reference does; YUV frames
//! hash their Y plane directly (rescaled to full range when limited).

use std::sync::Mutex;

use crate::blocklist::{Blocklist, MatchOptions, Matcher};
use crate::error::{Result, SafeFrameError};
use crate::frame::{Frame, PixelFormat, YuvRange};
use crate::pdq::{self, PdqHasher};
use crate::policy::KnownMatch;

/// A blocklist with its matching rule and a reusable hasher.
///
/// ```
/// use safeframe::blocklist::{Blocklist, MatchOptions};
/// use safeframe::frame::{Frame, PixelFormat};
/// use safeframe::known::KnownContent;
/// use safeframe::pdq::{PdqHasher, PixelFormat as PdqFormat};
/// let (w, h) = (64u32, 48u32);
/// let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 37) % 251) as u8).collect();
/// let hash = PdqHasher::new().hash_rgb8(&rgb, 64, 48, 64 * 3, PdqFormat::Rgb8)?.hash;
/// let list = Blocklist::from_entries([(hash, Some("example"))])?;
/// let known = KnownContent::new(list, MatchOptions { allow_low_quality: true, ..MatchOptions::default() });
/// let found = known.check(&Frame::packed(&rgb, w, h, PixelFormat::Rgb8)?)?.unwrap();
/// assert_eq!((found.distance, known.label(found)), (0, Some("example")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct KnownContent {
    list: Blocklist,
    matcher: Matcher,
    hasher: Mutex<PdqHasher>,
}

impl KnownContent {
    /// Matches against `list` with `options` (distance ≤ 31 and quality ≥ 50 by default).
    pub fn new(list: Blocklist, options: MatchOptions) -> Self {
        Self {
            list,
            matcher: Matcher::new(options),
            hasher: Mutex::new(PdqHasher::new()),
        }
    }

    /// The blocklist.
    pub fn blocklist(&self) -> &Blocklist {
        &self.list
    }

    /// The label of a match's entry, if it has one.
    pub fn label(&self, found: KnownMatch) -> Option<&str> {
        self.list.get(found.entry as usize).and_then(|e| e.label)
    }

    /// Hashes `frame` (all 8 dihedral hashes, one DCT) and returns the nearest entry within
    /// the distance, if any. Low-quality hashes are not matched unless the options allow it.
    pub fn check(&self, frame: &Frame<'_>) -> Result<Option<KnownMatch>> {
        let mut hasher = self.hasher.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let layout = frame.layout();
        let plane = layout.plane(0);
        let data = &frame.buffer(plane.buffer)[plane.offset..];
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        let dihedral = match frame.format() {
            PixelFormat::Rgba8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Rgba8)?,
            PixelFormat::Bgra8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Bgra8)?,
            PixelFormat::Rgb8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Rgb8)?,
            _ if plane.pixel_stride == 1 => {
                let full_range = frame.yuv_color().range == YuvRange::Full;
                hasher.hash_luma8_dihedral(data, w, h, plane.row_stride, full_range)?
            }
            _ => {
                return Err(SafeFrameError::invalid_frame(
                    "known-content matching needs a Y plane with pixel stride 1",
                ))
            }
        };
        Ok(self.matcher.check(&self.list, &dihedral).found().map(|m| KnownMatch {
            entry: m.entry_index as u32,
            distance: m.distance,
        }))
    }
}
