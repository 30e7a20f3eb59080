//! Frame geometry and its checks: the size limits, where each plane lies, and the validated
//! [`Layout`] every frame view carries. The views ([`Frame`](super::Frame),
//! [`FrameMut`](super::FrameMut)) only borrow bytes over a layout checked here.

use super::PixelFormat;
use crate::error::{Result, SafeFrameError};

/// The largest width or height SafeFrame accepts, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// The largest number of pixels (width × height) SafeFrame accepts: 100 megapixels.
pub const MAX_PIXELS: u64 = 100_000_000;

/// Where one plane of samples lies inside one of the frame's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PlaneLayout {
    /// Index of the buffer (0..3) that holds the plane.
    pub(crate) buffer: usize,
    /// Byte offset of the first sample in that buffer.
    pub(crate) offset: usize,
    /// Bytes from one row's start to the next row's start.
    pub(crate) row_stride: usize,
    /// Bytes from one sample's start to the next sample's start within a row.
    pub(crate) pixel_stride: usize,
    /// Samples per row.
    pub(crate) width: usize,
    /// Rows.
    pub(crate) height: usize,
    /// Bytes at each sample that belong to this plane (4 for RGBA, 2 for an interleaved chroma
    /// pair, 1 for a Y, U or V sample).
    pub(crate) sample_bytes: usize,
}

impl PlaneLayout {
    /// Byte index of sample `(x, y)` in the plane's buffer. Both must be inside the plane.
    #[inline(always)]
    pub(crate) fn index(&self, x: usize, y: usize) -> usize {
        self.offset + y * self.row_stride + x * self.pixel_stride
    }

    /// Bytes of one row from its first sample to the end of its last one.
    pub(crate) fn row_span(&self) -> usize {
        (self.width - 1) * self.pixel_stride + self.sample_bytes
    }

    /// Checks the plane against a buffer of `len` bytes; `name` names it in the error.
    fn check(&self, len: usize, name: &str) -> Result<()> {
        let bad = |reason: String| Err(SafeFrameError::invalid_frame(format!("{name} plane: {reason}")));
        if self.pixel_stride < self.sample_bytes {
            return bad(format!(
                "pixel stride {} is smaller than a sample of {} bytes",
                self.pixel_stride, self.sample_bytes
            ));
        }
        let span = (self.width - 1)
            .checked_mul(self.pixel_stride)
            .and_then(|n| n.checked_add(self.sample_bytes))
            .ok_or_else(|| SafeFrameError::invalid_frame(format!("{name} plane: pixel stride overflows")))?;
        if self.row_stride < span {
            return bad(format!(
                "row stride {} is smaller than one row of {} samples ({span} bytes)",
                self.row_stride, self.width
            ));
        }
        let needed = (self.height - 1)
            .checked_mul(self.row_stride)
            .and_then(|n| n.checked_add(span))
            .and_then(|n| n.checked_add(self.offset))
            .ok_or_else(|| SafeFrameError::invalid_frame(format!("{name} plane: row stride overflows")))?;
        if len < needed {
            return bad(format!(
                "buffer of {len} bytes is too small for {}x{} samples with row stride {} and pixel stride {} starting at byte {} (needs {needed})",
                self.width, self.height, self.row_stride, self.pixel_stride, self.offset
            ));
        }
        Ok(())
    }
}

/// The validated geometry of a frame: size, format and where each plane lies.
///
/// Planes by format: packed RGB has one (the pixels); NV12 and NV21 have two (Y, then the
/// interleaved chroma pairs); I420 and YUV_420_888 have three (Y, U, V).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    width: u32,
    height: u32,
    format: PixelFormat,
    planes: [PlaneLayout; 3],
}

pub(super) fn check_size(width: u32, height: u32) -> Result<()> {
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
    Ok(())
}

impl Layout {
    /// Checks a single-buffer frame's geometry against a buffer of `len` bytes.
    ///
    /// `stride` is the distance in bytes between the starts of two rows; for packed RGB it must
    /// be at least `width × bytes per pixel`. For NV12 and NV21 the chroma plane follows the
    /// `height` rows of Y, its stride `stride` rounded up to even (so that a packed frame of odd
    /// width has chroma rows of `2 × ceil(width / 2)` bytes, as ffmpeg writes them); for I420 the U plane follows the Y rows and
    /// the V plane follows U, both with stride `ceil(stride / 2)` (`yuv420p` as ffmpeg writes
    /// it). The last row needs no padding after it. [`PixelFormat::Yuv420888`] has no
    /// single-buffer form: use [`Frame::yuv420_888`](super::Frame::yuv420_888).
    pub fn new(width: u32, height: u32, stride: usize, format: PixelFormat, len: usize) -> Result<Self> {
        check_size(width, height)?;
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let plane = |buffer, offset, row_stride, pixel_stride, width, height, sample_bytes| PlaneLayout {
            buffer,
            offset,
            row_stride,
            pixel_stride,
            width,
            height,
            sample_bytes,
        };
        let overflow = || SafeFrameError::invalid_frame(format!("row stride {stride} overflows"));
        let y_size = stride.checked_mul(h).ok_or_else(overflow)?;
        let planes = match format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
                let bpp = format.bytes_per_pixel();
                let row_bytes = w * bpp;
                if stride < row_bytes {
                    return Err(SafeFrameError::invalid_frame(format!(
                        "row stride {stride} is smaller than one row of {width} {format:?} pixels ({row_bytes} bytes)"
                    )));
                }
                [plane(0, 0, stride, bpp, w, h, bpp), PlaneLayout::default(), PlaneLayout::default()]
            }
            PixelFormat::Nv12 | PixelFormat::Nv21 => [
                plane(0, 0, stride, 1, w, h, 1),
                plane(0, y_size, stride.checked_next_multiple_of(2).ok_or_else(overflow)?, 2, cw, ch, 2),
                PlaneLayout::default(),
            ],
            PixelFormat::I420 => {
                let c_stride = stride.div_ceil(2);
                let u_size = c_stride.checked_mul(ch).ok_or_else(overflow)?;
                let v_offset = y_size.checked_add(u_size).ok_or_else(overflow)?;
                [
                    plane(0, 0, stride, 1, w, h, 1),
                    plane(0, y_size, c_stride, 1, cw, ch, 1),
                    plane(0, v_offset, c_stride, 1, cw, ch, 1),
                ]
            }
            PixelFormat::Yuv420888 => {
                return Err(SafeFrameError::invalid_frame(
                    "YUV_420_888 frames have three planes with their own strides: build them with Frame::yuv420_888 or FrameMut::yuv420_888",
                ))
            }
        };
        let layout = Self {
            width,
            height,
            format,
            planes,
        };
        layout.check(&[len, len, len])?;
        Ok(layout)
    }

    /// A layout from explicit planes, checked against the buffers' lengths.
    pub(super) fn from_planes(
        width: u32,
        height: u32,
        format: PixelFormat,
        planes: [PlaneLayout; 3],
        lens: [usize; 3],
    ) -> Result<Self> {
        check_size(width, height)?;
        let layout = Self {
            width,
            height,
            format,
            planes,
        };
        layout.check(&lens)?;
        Ok(layout)
    }

    fn check(&self, lens: &[usize; 3]) -> Result<()> {
        let names: &[&str] = match self.format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => &["pixel"],
            PixelFormat::Nv12 => &["Y", "UV"],
            PixelFormat::Nv21 => &["Y", "VU"],
            _ => &["Y", "U", "V"],
        };
        for (plane, name) in self.planes.iter().zip(names) {
            plane.check(lens[plane.buffer], name)?;
        }
        Ok(())
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Bytes from the start of one row of the first plane (the pixels, or Y) to the next.
    pub fn stride(&self) -> usize {
        self.planes[0].row_stride
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// Bytes of pixel data in one row of the first plane (without padding).
    pub fn row_bytes(&self) -> usize {
        self.planes[0].row_span()
    }

    /// Number of planes the format has (1, 2 or 3).
    pub fn plane_count(&self) -> usize {
        self.format.plane_count()
    }

    pub(crate) fn plane(&self, index: usize) -> &PlaneLayout {
        &self.planes[index]
    }
}

pub(super) fn nv_planes(width: u32, height: u32, y_stride: usize, uv_stride: usize) -> [PlaneLayout; 3] {
    let (w, h) = (width as usize, height as usize);
    [
        PlaneLayout {
            buffer: 0,
            offset: 0,
            row_stride: y_stride,
            pixel_stride: 1,
            width: w,
            height: h,
            sample_bytes: 1,
        },
        PlaneLayout {
            buffer: 1,
            offset: 0,
            row_stride: uv_stride,
            pixel_stride: 2,
            width: w.div_ceil(2),
            height: h.div_ceil(2),
            sample_bytes: 2,
        },
        PlaneLayout::default(),
    ]
}

pub(super) fn three_planes(width: u32, height: u32, strides: [(usize, usize); 3]) -> [PlaneLayout; 3] {
    let (w, h) = (width as usize, height as usize);
    let mut planes = [PlaneLayout::default(); 3];
    for (i, (plane, (row_stride, pixel_stride))) in planes.iter_mut().zip(strides).enumerate() {
        let (pw, ph) = if i == 0 { (w, h) } else { (w.div_ceil(2), h.div_ceil(2)) };
        *plane = PlaneLayout {
            buffer: i,
            offset: 0,
            row_stride,
            pixel_stride,
            width: pw,
            height: ph,
            sample_bytes: 1,
        };
    }
    planes
}
