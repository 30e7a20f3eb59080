//! What a frame's bytes mean: pixel format, orientation, crop and YUV colour description.

use crate::error::{Result, SafeFrameError};

/// How the pixels of a frame are laid out in memory.
///
/// The packed RGB formats keep every pixel's channels together in one plane. The YUV formats
/// are 4:2:0: a full-resolution luma (Y) plane and two chroma planes (U = Cb, V = Cr) of
/// `ceil(width / 2) × ceil(height / 2)` samples, each chroma sample shared by a 2×2 block of
/// luma samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// 4 bytes per pixel: red, green, blue, alpha.
    Rgba8,
    /// 4 bytes per pixel: blue, green, red, alpha (Android `Bitmap`, iOS `kCVPixelFormatType_32BGRA`).
    Bgra8,
    /// 3 bytes per pixel: red, green, blue.
    Rgb8,
    /// Y plane, then one plane of interleaved U, V pairs (iOS
    /// `kCVPixelFormatType_420YpCbCr8BiPlanar*`, most hardware decoders).
    Nv12,
    /// Y plane, then one plane of interleaved V, U pairs (Android camera `NV21`).
    Nv21,
    /// Y plane, then a U plane, then a V plane (`yuv420p`, `I420`).
    I420,
    /// Android `YUV_420_888`: three planes, each with its own row stride and pixel stride
    /// (the pixel stride of the chroma planes is 1 or 2 on real devices).
    Yuv420888,
}

impl PixelFormat {
    /// Every format, in the order of their numeric [`code`](Self::code)s: the one table the
    /// C header's `SAFEFRAME_FORMAT_*` constants, JNI and the Kotlin and Swift doors share.
    pub const ALL: [Self; 7] = [
        Self::Rgba8,
        Self::Bgra8,
        Self::Rgb8,
        Self::Nv12,
        Self::Nv21,
        Self::I420,
        Self::Yuv420888,
    ];

    /// The format's stable number across the foreign-language doors (its index in [`Self::ALL`]).
    ///
    /// ```
    /// use safeframe::frame::PixelFormat;
    /// assert_eq!(PixelFormat::Nv21.code(), 4);
    /// assert_eq!(PixelFormat::from_code(4)?, PixelFormat::Nv21);
    /// assert!(PixelFormat::from_code(7).is_err());
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The format with number `code`; an unknown number is an `InvalidFrame` error.
    pub fn from_code(code: i64) -> Result<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or_else(|| {
                SafeFrameError::invalid_frame(format!(
                    "unknown pixel format code {code}: use 0 (RGBA8) to {} (YUV_420_888)",
                    Self::ALL.len() - 1
                ))
            })
    }

    /// Planes the format has: 1 for packed RGB, 2 for NV12 and NV21 (Y, then interleaved
    /// chroma), 3 for I420 and YUV_420_888 (Y, U, V).
    pub const fn plane_count(self) -> usize {
        match self {
            Self::Rgba8 | Self::Bgra8 | Self::Rgb8 => 1,
            Self::Nv12 | Self::Nv21 => 2,
            Self::I420 | Self::Yuv420888 => 3,
        }
    }

    /// Bytes one pixel takes in a packed RGB format; for the YUV formats, the bytes of one luma
    /// sample (1).
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Rgba8 | Self::Bgra8 => 4,
            Self::Rgb8 => 3,
            Self::Nv12 | Self::Nv21 | Self::I420 | Self::Yuv420888 => 1,
        }
    }

    /// Whether this is one of the 4:2:0 YUV formats.
    pub const fn is_yuv(self) -> bool {
        matches!(self, Self::Nv12 | Self::Nv21 | Self::I420 | Self::Yuv420888)
    }

    /// Byte offsets of red, green and blue within one pixel of a packed RGB format.
    pub(crate) const fn rgb_offsets(self) -> [usize; 3] {
        match self {
            Self::Bgra8 => [2, 1, 0],
            _ => [0, 1, 2],
        }
    }

    /// Byte offset of alpha within one pixel, if the format has one.
    pub(crate) const fn alpha_offset(self) -> Option<usize> {
        match self {
            Self::Rgba8 | Self::Bgra8 => Some(3),
            _ => None,
        }
    }

    /// The short lowercase name used by the CLI (`"nv21"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Rgba8 => "rgba",
            Self::Bgra8 => "bgra",
            Self::Rgb8 => "rgb",
            Self::Nv12 => "nv12",
            Self::Nv21 => "nv21",
            Self::I420 => "i420",
            Self::Yuv420888 => "yuv_420_888",
        }
    }

    /// Bytes of a tightly packed frame of this format (no row padding; the chroma planes of
    /// the YUV formats follow the Y plane directly), or `None` for [`PixelFormat::Yuv420888`],
    /// which has no single-buffer form, and for a size whose byte count does not fit in `usize`.
    ///
    /// ```
    /// use safeframe::frame::PixelFormat;
    /// assert_eq!(PixelFormat::Nv21.packed_len(4, 2), Some(4 * 2 + 4 * 1));
    /// assert_eq!(PixelFormat::I420.packed_len(3, 3), Some(9 + 2 * 2 * 2));
    /// assert_eq!(PixelFormat::Rgba8.packed_len(2, 2), Some(16));
    /// ```
    pub const fn packed_len(self, width: u32, height: u32) -> Option<usize> {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        // Every step is checked: a size too large to count is `None`, never a wrapped length.
        let Some(pixels) = w.checked_mul(h) else { return None };
        match self {
            Self::Rgba8 | Self::Bgra8 | Self::Rgb8 => pixels.checked_mul(self.bytes_per_pixel()),
            Self::Nv12 | Self::Nv21 | Self::I420 => match cw.checked_mul(ch) {
                Some(chroma) if chroma <= usize::MAX / 2 => pixels.checked_add(2 * chroma),
                _ => None,
            },
            Self::Yuv420888 => None,
        }
    }
}

/// The clockwise rotation that makes a frame upright, as CameraX's
/// `ImageInfo.rotationDegrees` gives it.
///
/// The sampler reads the frame as if it had been turned this way; redaction does not care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rotation {
    /// Already upright.
    #[default]
    Deg0,
    /// Turn 90° clockwise to make it upright.
    Deg90,
    /// Turn 180°.
    Deg180,
    /// Turn 270° clockwise (90° counter-clockwise).
    Deg270,
}

impl Rotation {
    /// The rotation for `degrees` (0, 90, 180 or 270; also -90, 360 and other multiples of 90).
    ///
    /// ```
    /// use safeframe::frame::Rotation;
    /// assert_eq!(Rotation::from_degrees(-90)?, Rotation::Deg270);
    /// assert!(Rotation::from_degrees(45).is_err());
    /// # Ok::<(), safeframe::SafeFrameError>(())
    /// ```
    pub fn from_degrees(degrees: i32) -> Result<Self> {
        match degrees.rem_euclid(360) {
            0 => Ok(Self::Deg0),
            90 => Ok(Self::Deg90),
            180 => Ok(Self::Deg180),
            270 => Ok(Self::Deg270),
            _ => Err(SafeFrameError::invalid_frame(format!(
                "rotation of {degrees} degrees: use 0, 90, 180 or 270"
            ))),
        }
    }

    /// The rotation in degrees (0, 90, 180 or 270).
    pub const fn degrees(self) -> u32 {
        match self {
            Self::Deg0 => 0,
            Self::Deg90 => 90,
            Self::Deg180 => 180,
            Self::Deg270 => 270,
        }
    }

    /// Whether the upright image has width and height swapped.
    pub const fn swaps_sides(self) -> bool {
        matches!(self, Self::Deg90 | Self::Deg270)
    }
}

/// A rectangle of the frame, in the buffer's own (unrotated) pixel coordinates, like CameraX's
/// `ImageProxy.cropRect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CropRect {
    /// Left column.
    pub x: u32,
    /// Top row.
    pub y: u32,
    /// Width in pixels (at least 1).
    pub width: u32,
    /// Height in pixels (at least 1).
    pub height: u32,
}

impl CropRect {
    /// A rectangle from its left, top, width and height.
    pub const fn new(x: u32, y: u32, width: u32, height: u32) -> Self {
        Self { x, y, width, height }
    }

    /// Checks that the rectangle is not empty and lies inside a `width`×`height` frame.
    pub(crate) fn check(&self, width: u32, height: u32) -> Result<()> {
        let right = u64::from(self.x) + u64::from(self.width);
        let bottom = u64::from(self.y) + u64::from(self.height);
        if self.width == 0 || self.height == 0 || right > u64::from(width) || bottom > u64::from(height) {
            return Err(SafeFrameError::invalid_frame(format!(
                "crop {}x{} at ({}, {}) must be non-empty and inside the {width}x{height} frame",
                self.width, self.height, self.x, self.y
            )));
        }
        Ok(())
    }
}

/// The range of YUV sample values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum YuvRange {
    /// "Video" or "TV" range: Y in 16..=235, U and V in 16..=240 (cameras and video; the
    /// default).
    #[default]
    Limited,
    /// "Full" or "PC" range: Y, U and V in 0..=255 (JPEG, some screen captures).
    Full,
}

/// The matrix that turns YUV into RGB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum YuvMatrix {
    /// ITU-R BT.601 (standard definition video, most phone cameras; the default).
    #[default]
    Bt601,
    /// ITU-R BT.709 (HD video).
    Bt709,
}

impl YuvMatrix {
    /// The luma weights of red and blue, `(Kr, Kb)`.
    pub const fn kr_kb(self) -> (f64, f64) {
        match self {
            Self::Bt601 => (0.299, 0.114),
            Self::Bt709 => (0.2126, 0.0722),
        }
    }
}

/// How a frame's YUV samples are to be read as colour. Ignored for the RGB formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct YuvColor {
    /// The sample range.
    pub range: YuvRange,
    /// The matrix.
    pub matrix: YuvMatrix,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_degrees_round_trip() {
        for r in [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270] {
            assert_eq!(Rotation::from_degrees(r.degrees() as i32).unwrap(), r);
        }
        assert_eq!(Rotation::from_degrees(450).unwrap(), Rotation::Deg90);
        assert!(Rotation::from_degrees(1).is_err());
        assert!(Rotation::from_degrees(-1).is_err());
    }

    #[test]
    fn packed_len_of_a_size_too_large_to_count_is_none_not_an_overflow() {
        for format in [
            PixelFormat::Rgba8,
            PixelFormat::Rgb8,
            PixelFormat::Nv12,
            PixelFormat::I420,
        ] {
            assert_eq!(format.packed_len(u32::MAX, u32::MAX), None, "{format:?}");
        }
        let side = u32::MAX as usize;
        assert_eq!(PixelFormat::Rgb8.packed_len(u32::MAX, 1), Some(3 * side));
        assert_eq!(
            PixelFormat::Nv21.packed_len(u32::MAX, 1),
            Some(side + 2 * side.div_ceil(2))
        );
    }

    #[test]
    fn crop_must_fit() {
        assert!(CropRect::new(0, 0, 4, 4).check(4, 4).is_ok());
        assert!(CropRect::new(1, 0, 4, 4).check(4, 4).is_err());
        assert!(CropRect::new(0, 0, 0, 4).check(4, 4).is_err());
        assert!(CropRect::new(u32::MAX, 0, 2, 1).check(4, 4).is_err());
    }
}
