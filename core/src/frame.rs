//! Frames: borrowed pixel buffers with a format, a size and a row stride.
//!
//! A [`Frame`] only borrows the caller's pixels; nothing is copied. Every size, stride and
//! buffer length is checked when the frame is made, so later stages can index without checks
//! failing at run time.

use crate::error::{Result, SafeFrameError};

/// The largest width or height SafeFrame accepts, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// The largest number of pixels (width × height) SafeFrame accepts: 100 megapixels.
pub const MAX_PIXELS: u64 = 100_000_000;

/// How the pixels of a frame are laid out in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelFormat {
    /// 4 bytes per pixel: red, green, blue, alpha.
    Rgba8,
    /// 4 bytes per pixel: blue, green, red, alpha (Android `Bitmap`, iOS `kCVPixelFormatType_32BGRA`).
    Bgra8,
    /// 3 bytes per pixel: red, green, blue.
    Rgb8,
}

impl PixelFormat {
    /// Bytes one pixel takes.
    pub const fn bytes_per_pixel(self) -> usize {
        match self {
            Self::Rgba8 | Self::Bgra8 => 4,
            Self::Rgb8 => 3,
        }
    }

    /// Byte offsets of red, green and blue within one pixel.
    pub(crate) const fn rgb_offsets(self) -> [usize; 3] {
        match self {
            Self::Rgba8 | Self::Rgb8 => [0, 1, 2],
            Self::Bgra8 => [2, 1, 0],
        }
    }

    /// Byte offset of alpha within one pixel, if the format has one.
    pub(crate) const fn alpha_offset(self) -> Option<usize> {
        match self {
            Self::Rgba8 | Self::Bgra8 => Some(3),
            Self::Rgb8 => None,
        }
    }
}

/// The validated geometry of a packed frame: size, stride and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    width: u32,
    height: u32,
    stride: usize,
    format: PixelFormat,
}

impl Layout {
    /// Checks a frame's geometry against a buffer of `len` bytes.
    ///
    /// `stride` is the distance in bytes between the starts of two rows; it must be at least
    /// `width × bytes per pixel`. The last row needs no padding after it.
    pub fn new(width: u32, height: u32, stride: usize, format: PixelFormat, len: usize) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(SafeFrameError::invalid_frame(format!(
                "size {width}x{height}: width and height must be at least 1"
            )));
        }
        let pixels = u64::from(width) * u64::from(height);
        if width > MAX_SIDE || height > MAX_SIDE || pixels > MAX_PIXELS {
            return Err(SafeFrameError::FrameTooLarge {
                width,
                height,
                max_side: MAX_SIDE,
                max_pixels: MAX_PIXELS,
            });
        }
        let row_bytes = width as usize * format.bytes_per_pixel();
        if stride < row_bytes {
            return Err(SafeFrameError::invalid_frame(format!(
                "row stride {stride} is smaller than one row of {width} {format:?} pixels ({row_bytes} bytes)"
            )));
        }
        let needed = (height as usize - 1)
            .checked_mul(stride)
            .and_then(|n| n.checked_add(row_bytes))
            .ok_or_else(|| SafeFrameError::invalid_frame(format!("row stride {stride} overflows")))?;
        if len < needed {
            return Err(SafeFrameError::invalid_frame(format!(
                "buffer of {len} bytes is too small for {width}x{height} {format:?} with stride {stride} (needs {needed})"
            )));
        }
        Ok(Self {
            width,
            height,
            stride,
            format,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from the start of one row to the start of the next.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Bytes of pixel data in one row (without padding).
    pub fn row_bytes(&self) -> usize {
        self.width as usize * self.format.bytes_per_pixel()
    }

    /// Byte range of row `y` (pixels only, no padding). `y` must be below the height.
    pub(crate) fn row_range(&self, y: usize) -> std::ops::Range<usize> {
        let start = y * self.stride;
        start..start + self.row_bytes()
    }
}

/// A read-only view of caller-owned pixels.
///
/// ```
/// use safeframe::frame::{Frame, PixelFormat};
/// let pixels = vec![255u8; 4 * 3 * 2];
/// let frame = Frame::new(&pixels, 3, 2, 12, PixelFormat::Rgba8)?;
/// assert_eq!((frame.width(), frame.height()), (3, 2));
/// assert!(Frame::new(&pixels, 4, 2, 12, PixelFormat::Rgba8).is_err()); // stride too small
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    data: &'a [u8],
    layout: Layout,
}

impl<'a> Frame<'a> {
    /// Wraps `data` as a frame of `width`×`height` pixels, `stride` bytes per row.
    pub fn new(data: &'a [u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<Self> {
        let layout = Layout::new(width, height, stride, format, data.len())?;
        Ok(Self { data, layout })
    }

    /// Wraps tightly packed pixels (stride = width × bytes per pixel).
    pub fn packed(data: &'a [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self> {
        Self::new(data, width, height, width as usize * format.bytes_per_pixel(), format)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.layout.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.layout.height
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.layout.format
    }

    /// The validated geometry.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The pixels of row `y` (no padding). `y` must be below the height.
    pub(crate) fn row(&self, y: usize) -> &'a [u8] {
        &self.data[self.layout.row_range(y)]
    }
}

/// A writable view of caller-owned pixels, for redaction in place.
///
/// ```
/// use safeframe::frame::{FrameMut, PixelFormat};
/// let mut pixels = vec![7u8; 3 * 2 * 2];
/// let frame = FrameMut::packed(&mut pixels, 2, 2, PixelFormat::Rgb8)?;
/// assert_eq!(frame.as_frame().width(), 2);
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug)]
pub struct FrameMut<'a> {
    data: &'a mut [u8],
    layout: Layout,
}

impl<'a> FrameMut<'a> {
    /// Wraps `data` as a writable frame; the same checks as [`Frame::new`].
    pub fn new(data: &'a mut [u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<Self> {
        let layout = Layout::new(width, height, stride, format, data.len())?;
        Ok(Self { data, layout })
    }

    /// Wraps tightly packed writable pixels.
    pub fn packed(data: &'a mut [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self> {
        Self::new(data, width, height, width as usize * format.bytes_per_pixel(), format)
    }

    /// A read-only view of the same pixels.
    pub fn as_frame(&self) -> Frame<'_> {
        Frame {
            data: self.data,
            layout: self.layout,
        }
    }

    /// The validated geometry.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The pixels of row `y` (no padding). `y` must be below the height.
    pub(crate) fn row(&self, y: usize) -> &[u8] {
        &self.data[self.layout.row_range(y)]
    }

    /// The writable pixels of row `y` (no padding). `y` must be below the height.
    pub(crate) fn row_mut(&mut self, y: usize) -> &mut [u8] {
        let range = self.layout.row_range(y);
        &mut self.data[range]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_zero_sizes() {
        assert!(matches!(
            Frame::packed(&[], 0, 1, PixelFormat::Rgb8),
            Err(SafeFrameError::InvalidFrame { .. })
        ));
    }

    #[test]
    fn rejects_frames_over_the_limits() {
        let err = Frame::new(&[], MAX_SIDE + 1, 1, usize::MAX, PixelFormat::Rgb8).unwrap_err();
        assert!(matches!(err, SafeFrameError::FrameTooLarge { .. }));
        let err = Frame::new(&[], MAX_SIDE, MAX_SIDE, usize::MAX, PixelFormat::Rgb8).unwrap_err();
        assert!(matches!(err, SafeFrameError::FrameTooLarge { .. }));
    }

    #[test]
    fn rejects_short_buffers_and_strides() {
        let data = vec![0u8; 24];
        assert!(Frame::packed(&data, 4, 2, PixelFormat::Rgb8).is_ok());
        assert!(Frame::new(&data, 4, 2, 11, PixelFormat::Rgb8).is_err());
        assert!(Frame::new(&data, 4, 2, 12, PixelFormat::Rgb8).is_ok());
        assert!(Frame::new(&data, 4, 2, 13, PixelFormat::Rgb8).is_err());
    }

    #[test]
    fn huge_stride_overflow_is_an_error_not_a_panic() {
        let err = Frame::new(&[0; 16], 1, 3, usize::MAX / 2 + 1, PixelFormat::Rgba8).unwrap_err();
        assert!(matches!(err, SafeFrameError::InvalidFrame { .. }));
    }

    #[test]
    fn last_row_needs_no_padding() {
        let data = vec![1u8; 10 + 6];
        let frame = Frame::new(&data, 2, 2, 10, PixelFormat::Rgb8).unwrap();
        assert_eq!(frame.row(1).len(), 6);
    }
}
