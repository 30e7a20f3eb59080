//! Known-content matching: a frame's PDQ hashes against a blocklist.
//!
//! The second detector beside the classifier. A frame whose hash (or any of its 8 dihedral
//! hashes, so rotated and mirrored copies too) lies within the matcher's distance of a
//! blocklist entry is blocked by [`crate::policy::Policy::evaluate_with_match`], whatever the
//! classifier says. Packed RGB frames hash their colour as Meta's reference does; YUV frames
//! hash their Y plane directly (rescaled to full range when limited).

use std::sync::{Arc, Mutex};

use crate::blocklist::{Blocklist, MatchOptions, Matcher};
use crate::error::{Result, SafeFrameError};
use crate::frame::{Frame, PixelFormat, YuvColor, YuvMatrix, YuvRange};
use crate::pdq::{self, PdqDihedral, PdqHasher};
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
    list: Arc<Blocklist>,
    matcher: Matcher,
    hasher: Mutex<PdqHasher>,
}

impl KnownContent {
    /// Matches against `list` with `options` (distance ≤ 31 and quality ≥ 50 by default).
    /// The list can be shared (`Arc<Blocklist>`), e.g. with a listener that looks labels up.
    pub fn new(list: impl Into<Arc<Blocklist>>, options: MatchOptions) -> Self {
        Self {
            list: list.into(),
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

    /// The matching options.
    pub fn options(&self) -> MatchOptions {
        self.matcher.options
    }

    /// The frame's PDQ hash, its 8 dihedral hashes (one DCT) and quality, as matching sees
    /// them: packed RGB frames are hashed from their colour as Meta's reference does, YUV
    /// frames from the Y plane alone (rescaled to full range when the frame is limited range).
    /// The whole frame is hashed (not the crop), as stored: the dihedral hashes cover rotation.
    pub fn hash(&self, frame: &Frame<'_>) -> Result<PdqDihedral> {
        let mut hasher = self.hasher.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let layout = frame.layout();
        let plane = layout.plane(0);
        let data = &frame.buffer(plane.buffer)[plane.offset..];
        let (w, h) = (frame.width() as usize, frame.height() as usize);
        Ok(match frame.format() {
            PixelFormat::Rgba8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Rgba8)?,
            PixelFormat::Bgra8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Bgra8)?,
            PixelFormat::Rgb8 => hasher.hash_rgb8_dihedral(data, w, h, plane.row_stride, pdq::PixelFormat::Rgb8)?,
            format if plane.pixel_stride == 1 => {
                let color = frame.yuv_color();
                let full_range = color.range == YuvRange::Full;
                if color.matrix == YuvMatrix::Bt601 {
                    // The Y plane is already PDQ's luma (BT.601 weights).
                    hasher.hash_luma8_dihedral(data, w, h, plane.row_stride, full_range)?
                } else {
                    let chroma = |index: usize, extra: usize| {
                        let p = layout.plane(index);
                        pdq::ChromaPlane {
                            data: frame.buffer(p.buffer).get(p.offset + extra..).unwrap_or(&[]),
                            row_stride: p.row_stride,
                            pixel_stride: p.pixel_stride,
                        }
                    };
                    let (u, v) = match format {
                        PixelFormat::Nv12 => (chroma(1, 0), chroma(1, 1)),
                        PixelFormat::Nv21 => (chroma(1, 1), chroma(1, 0)),
                        _ => (chroma(1, 0), chroma(2, 0)),
                    };
                    let weights = bt601_luma_chroma_weights(color);
                    hasher.hash_yuv420_dihedral(data, w, h, plane.row_stride, u, v, full_range, weights)?
                }
            }
            _ => {
                return Err(SafeFrameError::invalid_frame(
                    "known-content matching needs a Y plane with pixel stride 1",
                ))
            }
        })
    }

    /// Hashes `frame` ([`KnownContent::hash`]) and returns the nearest entry within the
    /// distance, if any. Low-quality hashes are not matched unless the options allow it.
    pub fn check(&self, frame: &Frame<'_>) -> Result<Option<KnownMatch>> {
        let dihedral = self.hash(frame)?;
        Ok(self.matcher.check(&self.list, &dihedral).found().map(|m| KnownMatch {
            entry: m.entry_index as u32,
            distance: m.distance,
        }))
    }
}

/// The weights of `U − 128` and `V − 128` that turn a frame's (full-range) Y into PDQ's luma
/// `0.299 R + 0.587 G + 0.114 B` of the frame's RGB (zero for BT.601, whose Y is that luma).
fn bt601_luma_chroma_weights(color: YuvColor) -> [f32; 2] {
    let (kr, kb) = color.matrix.kr_kb();
    let kg = 1.0 - kr - kb;
    let c = match color.range {
        YuvRange::Limited => 255.0 / 224.0,
        YuvRange::Full => 1.0,
    };
    let (r_v, g_u, g_v, b_u) = (
        c * 2.0 * (1.0 - kr),
        c * 2.0 * (1.0 - kb) * kb / kg,
        c * 2.0 * (1.0 - kr) * kr / kg,
        c * 2.0 * (1.0 - kb),
    );
    let (wr, wg, wb) = (f64::from(0.299f32), f64::from(0.587f32), f64::from(0.114f32));
    [(wb * b_u - wg * g_u) as f32, (wr * r_v - wg * g_v) as f32]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bt601_needs_no_chroma_term_and_bt709_does() {
        let [u, v] = bt601_luma_chroma_weights(YuvColor::default());
        assert!(u.abs() < 1e-6 && v.abs() < 1e-6, "{u} {v}");
        let bt709 = YuvColor {
            range: YuvRange::Full,
            matrix: YuvMatrix::Bt709,
        };
        let [u, v] = bt601_luma_chroma_weights(bt709);
        assert!((u - 0.1016).abs() < 1e-3 && (v - 0.1961).abs() < 1e-3, "{u} {v}");
    }
}
