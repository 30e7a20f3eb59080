//! Frames: borrowed pixel buffers with a format, a size, strides and a few facts about them.
//!
//! A [`Frame`] only borrows the caller's pixels; nothing is copied. Every size, stride, pixel
//! stride and buffer length is checked when the frame is made, so later stages index planes
//! without any read outside them. Besides its pixels a frame carries:
//!
//! - a [`Rotation`]: the clockwise turn that makes it upright (the sampler applies it);
//! - an optional [`CropRect`]: the part that classification looks at (redaction always covers
//!   the whole frame);
//! - the caller's timestamp in nanoseconds (used by [`crate::stream`]'s cadence);
//! - for YUV formats, the [`YuvColor`] (range and matrix; BT.601 limited range by default).
//!
//! ```
//! use safeframe::frame::{CropRect, Frame, PixelFormat, Rotation};
//! let (w, h) = (6u32, 4u32);
//! let nv21 = vec![128u8; PixelFormat::Nv21.packed_len(w, h).unwrap()];
//! let frame = Frame::packed(&nv21, w, h, PixelFormat::Nv21)?
//!     .with_rotation(Rotation::Deg90)
//!     .with_crop(CropRect::new(1, 0, 4, 4))?
//!     .with_timestamp_ns(33_000_000);
//! assert_eq!(frame.upright_size(), (4, 4));
//! # Ok::<(), safeframe::SafeFrameError>(())
//! ```

mod description;
mod format;
mod layout;

pub use description::{FrameDescription, PlaneStrides};
pub use format::{CropRect, PixelFormat, Rotation, YuvColor, YuvMatrix, YuvRange};
pub(crate) use layout::PlaneLayout;
use layout::{check_size, nv_planes, three_planes};
pub use layout::{Layout, MAX_PIXELS, MAX_SIDE};

use crate::error::Result;

/// One plane of a [`PixelFormat::Yuv420888`] frame: its bytes and strides, as Android's
/// `Image.Plane` gives them.
#[derive(Debug, Clone, Copy)]
pub struct Plane<'a> {
    /// The plane's bytes, starting at its first sample.
    pub data: &'a [u8],
    /// Bytes from one row's start to the next (`Image.Plane.getRowStride()`).
    pub row_stride: usize,
    /// Bytes from one sample to the next within a row (`Image.Plane.getPixelStride()`).
    pub pixel_stride: usize,
}

/// A writable [`Plane`].
#[derive(Debug)]
pub struct PlaneMut<'a> {
    /// The plane's bytes, starting at its first sample.
    pub data: &'a mut [u8],
    /// Bytes from one row's start to the next.
    pub row_stride: usize,
    /// Bytes from one sample to the next within a row.
    pub pixel_stride: usize,
}

/// Facts about a frame besides its pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct FrameInfo {
    pub(crate) rotation: Rotation,
    pub(crate) crop: Option<CropRect>,
    pub(crate) timestamp_ns: Option<i64>,
    pub(crate) color: YuvColor,
}

macro_rules! frame_info_methods {
    () => {
        /// The frame with `rotation`: the clockwise turn that makes it upright.
        pub fn with_rotation(mut self, rotation: Rotation) -> Self {
            self.info.rotation = rotation;
            self
        }

        /// The frame with a crop rectangle (buffer coordinates) that classification looks at.
        /// Fails when the rectangle is empty or not inside the frame.
        pub fn with_crop(mut self, crop: CropRect) -> Result<Self> {
            crop.check(self.layout.width(), self.layout.height())?;
            self.info.crop = Some(crop);
            Ok(self)
        }

        /// The frame with the caller's timestamp in nanoseconds (any epoch; only differences
        /// between frames of one stream are used).
        pub fn with_timestamp_ns(mut self, timestamp_ns: i64) -> Self {
            self.info.timestamp_ns = Some(timestamp_ns);
            self
        }

        /// The frame with its YUV range and matrix (ignored for RGB formats).
        pub fn with_yuv_color(mut self, color: YuvColor) -> Self {
            self.info.color = color;
            self
        }

        /// Width in pixels.
        pub fn width(&self) -> u32 {
            self.layout.width()
        }

        /// Height in pixels.
        pub fn height(&self) -> u32 {
            self.layout.height()
        }

        /// The pixel format.
        pub fn format(&self) -> PixelFormat {
            self.layout.format()
        }

        /// The validated geometry.
        pub fn layout(&self) -> &Layout {
            &self.layout
        }

        /// The clockwise rotation that makes the frame upright.
        pub fn rotation(&self) -> Rotation {
            self.info.rotation
        }

        /// The crop rectangle, if any.
        pub fn crop(&self) -> Option<CropRect> {
            self.info.crop
        }

        /// The caller's timestamp in nanoseconds, if given.
        pub fn timestamp_ns(&self) -> Option<i64> {
            self.info.timestamp_ns
        }

        /// The YUV range and matrix.
        pub fn yuv_color(&self) -> YuvColor {
            self.info.color
        }

        /// The crop rectangle, or the whole frame.
        pub fn region(&self) -> CropRect {
            self.info
                .crop
                .unwrap_or(CropRect::new(0, 0, self.layout.width(), self.layout.height()))
        }

        /// Width and height of the region classification sees, after rotation.
        pub fn upright_size(&self) -> (u32, u32) {
            let region = self.region();
            if self.info.rotation.swaps_sides() {
                (region.height, region.width)
            } else {
                (region.width, region.height)
            }
        }
    };
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
    buffers: [&'a [u8]; 3],
    layout: Layout,
    info: FrameInfo,
}

impl<'a> Frame<'a> {
    /// Wraps `data` as a single-buffer frame of `width`×`height` pixels, `stride` bytes per row
    /// (see [`Layout::new`] for where the YUV chroma planes are).
    pub fn new(data: &'a [u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<Self> {
        let layout = Layout::new(width, height, stride, format, data.len())?;
        Ok(Self {
            buffers: [data; 3],
            layout,
            info: FrameInfo::default(),
        })
    }

    /// Wraps a tightly packed single-buffer frame (stride = width × bytes per pixel; for YUV
    /// the planes follow each other without padding, as [`PixelFormat::packed_len`] counts).
    pub fn packed(data: &'a [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self> {
        Self::new(data, width, height, width as usize * format.bytes_per_pixel(), format)
    }

    /// An NV12 frame from its Y plane and its interleaved UV plane, each with its row stride.
    pub fn nv12(width: u32, height: u32, y: &'a [u8], y_stride: usize, uv: &'a [u8], uv_stride: usize) -> Result<Self> {
        Self::from_planes(
            width,
            height,
            PixelFormat::Nv12,
            [y, uv, &[]],
            nv_planes(width, height, y_stride, uv_stride),
        )
    }

    /// An NV21 frame from its Y plane and its interleaved VU plane, each with its row stride.
    pub fn nv21(width: u32, height: u32, y: &'a [u8], y_stride: usize, vu: &'a [u8], vu_stride: usize) -> Result<Self> {
        Self::from_planes(
            width,
            height,
            PixelFormat::Nv21,
            [y, vu, &[]],
            nv_planes(width, height, y_stride, vu_stride),
        )
    }

    /// An I420 frame from its three planes, each with its row stride.
    #[allow(clippy::too_many_arguments)]
    pub fn i420(
        width: u32,
        height: u32,
        y: &'a [u8],
        y_stride: usize,
        u: &'a [u8],
        u_stride: usize,
        v: &'a [u8],
        v_stride: usize,
    ) -> Result<Self> {
        let planes = three_planes(width, height, [(y_stride, 1), (u_stride, 1), (v_stride, 1)]);
        Self::from_planes(width, height, PixelFormat::I420, [y, u, v], planes)
    }

    /// An Android `YUV_420_888` frame from its three planes. The U and V planes may overlap in
    /// memory (as they do when the camera delivers NV21 underneath): only reads happen here.
    pub fn yuv420_888(width: u32, height: u32, y: Plane<'a>, u: Plane<'a>, v: Plane<'a>) -> Result<Self> {
        let planes = three_planes(
            width,
            height,
            [
                (y.row_stride, y.pixel_stride),
                (u.row_stride, u.pixel_stride),
                (v.row_stride, v.pixel_stride),
            ],
        );
        Self::from_planes(width, height, PixelFormat::Yuv420888, [y.data, u.data, v.data], planes)
    }

    fn from_planes(
        width: u32,
        height: u32,
        format: PixelFormat,
        buffers: [&'a [u8]; 3],
        planes: [PlaneLayout; 3],
    ) -> Result<Self> {
        let lens = [buffers[0].len(), buffers[1].len(), buffers[2].len()];
        let layout = Layout::from_planes(width, height, format, planes, lens)?;
        Ok(Self {
            buffers,
            layout,
            info: FrameInfo::default(),
        })
    }

    frame_info_methods!();

    /// The bytes of buffer `index` (0..3).
    pub(crate) fn buffer(&self, index: usize) -> &'a [u8] {
        self.buffers[index]
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
    buffers: [&'a mut [u8]; 3],
    layout: Layout,
    info: FrameInfo,
}

impl<'a> FrameMut<'a> {
    /// Wraps `data` as a writable single-buffer frame; the same checks as [`Frame::new`].
    pub fn new(data: &'a mut [u8], width: u32, height: u32, stride: usize, format: PixelFormat) -> Result<Self> {
        let layout = Layout::new(width, height, stride, format, data.len())?;
        Ok(Self {
            buffers: [data, &mut [], &mut []],
            layout,
            info: FrameInfo::default(),
        })
    }

    /// Wraps a tightly packed writable single-buffer frame (see [`Frame::packed`]).
    pub fn packed(data: &'a mut [u8], width: u32, height: u32, format: PixelFormat) -> Result<Self> {
        Self::new(data, width, height, width as usize * format.bytes_per_pixel(), format)
    }

    /// A writable NV12 frame from its Y plane and its interleaved UV plane.
    pub fn nv12(
        width: u32,
        height: u32,
        y: &'a mut [u8],
        y_stride: usize,
        uv: &'a mut [u8],
        uv_stride: usize,
    ) -> Result<Self> {
        Self::from_planes(
            width,
            height,
            PixelFormat::Nv12,
            [y, uv, &mut []],
            nv_planes(width, height, y_stride, uv_stride),
        )
    }

    /// A writable NV21 frame from its Y plane and its interleaved VU plane.
    pub fn nv21(
        width: u32,
        height: u32,
        y: &'a mut [u8],
        y_stride: usize,
        vu: &'a mut [u8],
        vu_stride: usize,
    ) -> Result<Self> {
        Self::from_planes(
            width,
            height,
            PixelFormat::Nv21,
            [y, vu, &mut []],
            nv_planes(width, height, y_stride, vu_stride),
        )
    }

    /// A writable I420 frame from its three planes.
    #[allow(clippy::too_many_arguments)]
    pub fn i420(
        width: u32,
        height: u32,
        y: &'a mut [u8],
        y_stride: usize,
        u: &'a mut [u8],
        u_stride: usize,
        v: &'a mut [u8],
        v_stride: usize,
    ) -> Result<Self> {
        let planes = three_planes(width, height, [(y_stride, 1), (u_stride, 1), (v_stride, 1)]);
        Self::from_planes(width, height, PixelFormat::I420, [y, u, v], planes)
    }

    /// A writable `YUV_420_888` frame from three separate planes. (When a camera's U and V
    /// planes overlap in memory, describe the frame as NV12 or NV21 instead.)
    pub fn yuv420_888(width: u32, height: u32, y: PlaneMut<'a>, u: PlaneMut<'a>, v: PlaneMut<'a>) -> Result<Self> {
        let planes = three_planes(
            width,
            height,
            [
                (y.row_stride, y.pixel_stride),
                (u.row_stride, u.pixel_stride),
                (v.row_stride, v.pixel_stride),
            ],
        );
        Self::from_planes(width, height, PixelFormat::Yuv420888, [y.data, u.data, v.data], planes)
    }

    fn from_planes(
        width: u32,
        height: u32,
        format: PixelFormat,
        buffers: [&'a mut [u8]; 3],
        planes: [PlaneLayout; 3],
    ) -> Result<Self> {
        let lens = [buffers[0].len(), buffers[1].len(), buffers[2].len()];
        let layout = Layout::from_planes(width, height, format, planes, lens)?;
        Ok(Self {
            buffers,
            layout,
            info: FrameInfo::default(),
        })
    }

    frame_info_methods!();

    /// A read-only view of the same pixels.
    pub fn as_frame(&self) -> Frame<'_> {
        let [a, b, c] = &self.buffers;
        Frame {
            buffers: [a, b, c],
            layout: self.layout,
            info: self.info,
        }
    }

    /// The writable bytes of buffer `index` (0..3).
    pub(crate) fn buffer_mut(&mut self, index: usize) -> &mut [u8] {
        self.buffers[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::SafeFrameError;

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
        for format in [PixelFormat::Nv12, PixelFormat::I420] {
            let err = Frame::new(&[0; 16], 1, 3, usize::MAX / 2 + 1, format).unwrap_err();
            assert!(matches!(err, SafeFrameError::InvalidFrame { .. }));
        }
        // One row: the Y plane's size fits, rounding the chroma stride up to even must not.
        for format in [PixelFormat::Nv12, PixelFormat::Nv21] {
            let err = Frame::new(&[0; 16], 1, 1, usize::MAX, format).unwrap_err();
            assert!(matches!(err, SafeFrameError::InvalidFrame { .. }), "{err}");
        }
        let plane = |data, row_stride, pixel_stride| Plane {
            data,
            row_stride,
            pixel_stride,
        };
        let err = Frame::yuv420_888(
            3,
            3,
            plane(&[0; 9], 3, 1),
            plane(&[0; 4], 2, usize::MAX),
            plane(&[0; 4], 2, 1),
        )
        .unwrap_err();
        assert!(err.to_string().contains("U plane"), "{err}");
    }

    #[test]
    fn last_row_needs_no_padding() {
        let data = vec![1u8; 10 + 6];
        assert!(Frame::new(&data, 2, 2, 10, PixelFormat::Rgb8).is_ok());
        assert!(Frame::new(&data[..15], 2, 2, 10, PixelFormat::Rgb8).is_err());
    }

    #[test]
    fn packed_yuv_lengths_are_exact() {
        for (w, h) in [(1u32, 1u32), (2, 2), (5, 3), (6, 7), (1920, 1080)] {
            for format in [PixelFormat::Nv12, PixelFormat::Nv21, PixelFormat::I420] {
                let len = format.packed_len(w, h).unwrap();
                let data = vec![0u8; len];
                assert!(Frame::packed(&data, w, h, format).is_ok(), "{format:?} {w}x{h}");
                assert!(
                    Frame::packed(&data[..len - 1], w, h, format).is_err(),
                    "{format:?} {w}x{h} one byte short"
                );
            }
        }
        assert!(Frame::packed(&[0; 64], 4, 4, PixelFormat::Yuv420888).is_err());
    }

    #[test]
    fn nv_planes_check_their_own_strides() {
        let y = vec![0u8; 5 * 4];
        let uv = vec![0u8; 6 * 2];
        assert!(Frame::nv21(5, 4, &y, 5, &uv, 6).is_ok());
        let err = Frame::nv21(5, 4, &y, 5, &uv, 5).unwrap_err();
        assert!(err.to_string().contains("VU plane"), "{err}");
        assert!(Frame::nv12(5, 4, &y, 5, &uv[..11], 6).is_err());
        assert!(Frame::nv12(5, 4, &y[..19], 5, &uv, 6).is_err());
    }

    #[test]
    fn yuv420_888_accepts_android_style_chroma_planes() {
        // 4x4, chroma pixel stride 2, row stride 8; the last chroma row ends at its last sample.
        let y = vec![0u8; 16];
        // V first, U one byte later in the same memory (NV21 underneath).
        let chroma = [0u8; 8 + 4];
        let plane = |data, row_stride, pixel_stride| Plane {
            data,
            row_stride,
            pixel_stride,
        };
        let (v, u) = (&chroma[..11], &chroma[1..]);
        assert!(Frame::yuv420_888(4, 4, plane(&y, 4, 1), plane(u, 8, 2), plane(v, 8, 2)).is_ok());
        assert!(Frame::yuv420_888(4, 4, plane(&y, 4, 1), plane(&u[..10], 8, 2), plane(v, 8, 2)).is_err());
        assert!(Frame::yuv420_888(4, 4, plane(&y, 4, 1), plane(u, 8, 0), plane(v, 8, 2)).is_err());
        assert!(Frame::yuv420_888(4, 4, plane(&y, 4, 1), plane(u, 2, 2), plane(v, 8, 2)).is_err());
    }

    #[test]
    fn crop_and_rotation_give_the_upright_size() {
        let data = vec![0u8; 10 * 6 * 3];
        let frame = Frame::packed(&data, 10, 6, PixelFormat::Rgb8).unwrap();
        assert_eq!(frame.upright_size(), (10, 6));
        let rotated = frame.with_rotation(Rotation::Deg270);
        assert_eq!(rotated.upright_size(), (6, 10));
        let cropped = rotated.with_crop(CropRect::new(2, 1, 3, 4)).unwrap();
        assert_eq!(cropped.upright_size(), (4, 3));
        assert!(frame.with_crop(CropRect::new(8, 0, 3, 1)).is_err());
    }
}
