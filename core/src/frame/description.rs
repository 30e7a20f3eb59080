//! A frame as the foreign-language doors describe it: plain signed numbers, checked here once.
//!
//! Kotlin, Swift, C, JNI and the CLI all describe a frame the same way — size, [`PixelFormat`],
//! one [`PlaneStrides`] per plane, rotation, crop, timestamp, range — and pass its bytes
//! separately, one buffer per plane or one buffer holding every plane one after another. Every
//! rule about such a description (signs, limits, plane counts, the pixel strides a format
//! fixes, rotation, crop) lives in this module, so no door repeats it.
//!
//! ```
//! use safeframe::frame::{FrameDescription, PixelFormat, PlaneStrides};
//! // A 4x2 NV21 frame in one buffer: 8 bytes of Y, then 4 bytes of interleaved VU.
//! let description = FrameDescription::new(
//!     4,
//!     2,
//!     PixelFormat::Nv21,
//!     &[PlaneStrides::new(4, 1), PlaneStrides::new(4, 2)],
//! )?
//! .with_rotation_degrees(90)?;
//! let bytes = vec![128u8; 12];
//! let frame = description.frame(&[&bytes])?;
//! assert_eq!(frame.upright_size(), (2, 4));
//! // A pixel stride the format does not have is refused, by plane.
//! assert!(FrameDescription::new(4, 2, PixelFormat::Nv21, &[PlaneStrides::new(4, 2), PlaneStrides::new(4, 2)]).is_err());
//! # Ok::<(), safeframe::SafeFrameError>(())
//! ```

use super::{check_size, CropRect, Frame, FrameInfo, FrameMut, Layout, PixelFormat, PlaneLayout, Rotation};
use super::{YuvColor, YuvRange};
use crate::error::{Result, SafeFrameError};

/// Where one plane's samples lie: the bytes from one row's start to the next, and from one
/// sample's start to the next within a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlaneStrides {
    /// Bytes from the start of one row to the start of the next (Android
    /// `Image.Plane.getRowStride()`, `CVPixelBufferGetBytesPerRowOfPlane`).
    pub row_stride: i64,
    /// Bytes from one sample to the next within a row (Android `Image.Plane.getPixelStride()`);
    /// 0 means the format's own (4 for RGBA8, 2 for an NV12 chroma pair, …). Only
    /// YUV_420_888 lets it vary (1 or 2 for its chroma planes on real devices).
    pub pixel_stride: i64,
}

impl PlaneStrides {
    /// A plane's strides.
    pub const fn new(row_stride: i64, pixel_stride: i64) -> Self {
        Self {
            row_stride,
            pixel_stride,
        }
    }
}

/// A checked description of a frame's geometry and facts, without its bytes.
///
/// Make it with [`FrameDescription::new`] and the `with_*` methods, then wrap the caller's
/// buffers with [`FrameDescription::frame`] or [`FrameDescription::frame_mut`], which check the
/// buffers' lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDescription {
    width: u32,
    height: u32,
    format: PixelFormat,
    /// Row and pixel stride of each plane (unused entries zero).
    strides: [(usize, usize); 3],
    info: FrameInfo,
}

fn non_negative(value: i64, what: &str) -> Result<u64> {
    u64::try_from(value).map_err(|_| SafeFrameError::invalid_frame(format!("{what} {value} is negative")))
}

fn side(value: i64, what: &str) -> Result<u32> {
    // Anything above u32::MAX is over MAX_SIDE too: report it as too large, with the limits.
    Ok(u32::try_from(non_negative(value, what)?).unwrap_or(u32::MAX))
}

impl FrameDescription {
    /// Describes a `width`×`height` frame of `format` with one [`PlaneStrides`] per plane, in
    /// the format's plane order: packed RGB one; NV12 and NV21 two (Y, then the interleaved
    /// chroma); I420 and YUV_420_888 three (Y, U, V).
    ///
    /// Errors: a negative or zero size, a frame over [`MAX_SIDE`](super::MAX_SIDE) or
    /// [`MAX_PIXELS`](super::MAX_PIXELS), the wrong number of planes, a negative stride, or a
    /// pixel stride the format fixes to another value.
    pub fn new(width: i64, height: i64, format: PixelFormat, planes: &[PlaneStrides]) -> Result<Self> {
        let (width, height) = (side(width, "width")?, side(height, "height")?);
        check_size(width, height)?;
        if planes.len() != format.plane_count() {
            return Err(SafeFrameError::invalid_frame(format!(
                "{} frames have {} plane(s), got strides for {}",
                format.name(),
                format.plane_count(),
                planes.len()
            )));
        }
        let mut strides = [(0, 0); 3];
        for (i, (plane, out)) in planes.iter().zip(&mut strides).enumerate() {
            let what = |field: &str| format!("plane {i} {field}");
            let row = usize::try_from(non_negative(plane.row_stride, &what("row stride"))?)
                .map_err(|_| SafeFrameError::invalid_frame(format!("{} overflows", what("row stride"))))?;
            let given = usize::try_from(non_negative(plane.pixel_stride, &what("pixel stride"))?)
                .map_err(|_| SafeFrameError::invalid_frame(format!("{} overflows", what("pixel stride"))))?;
            let pixel = match fixed_pixel_stride(format, i) {
                Some(fixed) if given == 0 || given == fixed => fixed,
                Some(fixed) => {
                    return Err(SafeFrameError::invalid_frame(format!(
                        "{}: {} frames have {fixed}, got {given}",
                        what("pixel stride"),
                        format.name()
                    )))
                }
                None if given == 0 => 1,
                None => given,
            };
            *out = (row, pixel);
        }
        Ok(Self {
            width,
            height,
            format,
            strides,
            info: FrameInfo::default(),
        })
    }

    /// The same frame turned `degrees` clockwise to be upright (0, 90, 180, 270 or another
    /// multiple of 90).
    pub fn with_rotation_degrees(mut self, degrees: i64) -> Result<Self> {
        let degrees = i32::try_from(degrees.rem_euclid(360)).unwrap_or(i32::MAX);
        self.info.rotation = Rotation::from_degrees(degrees)?;
        Ok(self)
    }

    /// The same frame with only the rectangle at (`x`, `y`) of `width`×`height` pixels (in the
    /// buffer's own coordinates) classified; redaction still covers the whole frame.
    pub fn with_crop(mut self, x: i64, y: i64, width: i64, height: i64) -> Result<Self> {
        let crop = CropRect::new(
            side(x, "crop x")?,
            side(y, "crop y")?,
            side(width, "crop width")?,
            side(height, "crop height")?,
        );
        crop.check(self.width, self.height)?;
        self.info.crop = Some(crop);
        Ok(self)
    }

    /// The same frame with the caller's timestamp in nanoseconds (streams' cadence and change
    /// gate use it), or none.
    pub fn with_timestamp_ns(mut self, timestamp_ns: Option<i64>) -> Self {
        self.info.timestamp_ns = timestamp_ns;
        self
    }

    /// The same frame with YUV samples in the full 0–255 range (`true`) or the video range
    /// (`false`, the default). Ignored for RGB formats.
    pub fn with_full_range(mut self, full_range: bool) -> Self {
        self.info.color = YuvColor {
            range: if full_range { YuvRange::Full } else { YuvRange::Limited },
            ..YuvColor::default()
        };
        self
    }

    /// The pixel format.
    pub fn format(&self) -> PixelFormat {
        self.format
    }

    /// The number of planes (1, 2 or 3).
    pub fn plane_count(&self) -> usize {
        self.format.plane_count()
    }

    /// Wraps `buffers` — one per plane, or one holding every plane one after another (each
    /// plane `row_stride × rows` bytes, the last one needing no padding after its last row) —
    /// checking their lengths.
    pub fn frame<'a>(&self, buffers: &[&'a [u8]]) -> Result<Frame<'a>> {
        let layout = self.layout(buffers.len(), |i| buffers.get(i).map_or(0, |b| b.len()))?;
        let mut views: [&'a [u8]; 3] = [&[]; 3];
        for (view, buffer) in views.iter_mut().zip(buffers) {
            *view = buffer;
        }
        Ok(Frame {
            buffers: views,
            layout,
            info: self.info,
        })
    }

    /// Like [`FrameDescription::frame`], for a frame redacted in place.
    pub fn frame_mut<'a>(&self, buffers: impl IntoIterator<Item = &'a mut [u8]>) -> Result<FrameMut<'a>> {
        let mut views: [&'a mut [u8]; 3] = [&mut [], &mut [], &mut []];
        let mut count = 0;
        for buffer in buffers {
            if count == views.len() {
                return Err(self.buffer_count_error(count + 1));
            }
            views[count] = buffer;
            count += 1;
        }
        let lens = [views[0].len(), views[1].len(), views[2].len()];
        let layout = self.layout(count, |i| lens[i])?;
        Ok(FrameMut {
            buffers: views,
            layout,
            info: self.info,
        })
    }

    fn buffer_count_error(&self, count: usize) -> SafeFrameError {
        SafeFrameError::invalid_frame(format!(
            "{} frames take {} buffer(s), one per plane, or 1 holding every plane; got {count}",
            self.format.name(),
            self.plane_count()
        ))
    }

    /// The checked layout over `count` buffers whose lengths `len` gives.
    fn layout(&self, count: usize, len: impl Fn(usize) -> usize) -> Result<Layout> {
        let planes_count = self.plane_count();
        let shared = count == 1;
        if count != planes_count && !shared {
            return Err(self.buffer_count_error(count));
        }
        let (w, h) = (self.width as usize, self.height as usize);
        let mut planes = [PlaneLayout::default(); 3];
        let mut offset = 0usize;
        for (i, plane) in planes.iter_mut().take(planes_count).enumerate() {
            let (row_stride, pixel_stride) = self.strides[i];
            let (width, height) = if i == 0 { (w, h) } else { (w.div_ceil(2), h.div_ceil(2)) };
            *plane = PlaneLayout {
                buffer: if shared { 0 } else { i },
                offset: if shared { offset } else { 0 },
                row_stride,
                pixel_stride,
                width,
                height,
                sample_bytes: sample_bytes(self.format, i),
            };
            if shared {
                offset = row_stride
                    .checked_mul(height)
                    .and_then(|n| n.checked_add(offset))
                    .ok_or_else(|| SafeFrameError::invalid_frame(format!("plane {i} row stride overflows")))?;
            }
        }
        Layout::from_planes(self.width, self.height, self.format, planes, [len(0), len(1), len(2)])
    }
}

/// The pixel stride a format fixes for plane `plane`, or `None` where the caller gives it.
fn fixed_pixel_stride(format: PixelFormat, plane: usize) -> Option<usize> {
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => Some(format.bytes_per_pixel()),
        PixelFormat::Nv12 | PixelFormat::Nv21 => Some(if plane == 0 { 1 } else { 2 }),
        PixelFormat::I420 => Some(1),
        PixelFormat::Yuv420888 => None,
    }
}

/// Bytes at each sample that belong to plane `plane`.
fn sample_bytes(format: PixelFormat, plane: usize) -> usize {
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => format.bytes_per_pixel(),
        PixelFormat::Nv12 | PixelFormat::Nv21 if plane == 1 => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strides(list: &[(i64, i64)]) -> Vec<PlaneStrides> {
        list.iter().map(|&(r, p)| PlaneStrides::new(r, p)).collect()
    }

    #[test]
    fn every_format_from_separate_planes_matches_the_single_buffer_form() {
        let (w, h) = (6u32, 4u32);
        for format in [PixelFormat::Nv12, PixelFormat::Nv21, PixelFormat::I420] {
            let bytes: Vec<u8> = (0..format.packed_len(w, h).unwrap())
                .map(|i| (i * 7 % 251) as u8)
                .collect();
            let reference = Frame::packed(&bytes, w, h, format).unwrap();
            let (y, rest) = bytes.split_at(24);
            let list = match format {
                PixelFormat::I420 => strides(&[(6, 1), (3, 1), (3, 1)]),
                _ => strides(&[(6, 1), (6, 2)]),
            };
            let description = FrameDescription::new(6, 4, format, &list).unwrap();
            let one = description.frame(&[&bytes]).unwrap();
            assert_eq!(one.layout(), reference.layout(), "{format:?} in one buffer");
            let separate = match format {
                PixelFormat::I420 => {
                    let (u, v) = rest.split_at(6);
                    description.frame(&[y, u, v]).unwrap()
                }
                _ => description.frame(&[y, rest]).unwrap(),
            };
            assert_eq!(separate.layout().plane_count(), format.plane_count());
        }
    }

    #[test]
    fn packed_rgb_and_yuv420888_describe_what_the_constructors_build() {
        let rgba = vec![9u8; 5 * 3 * 4 + 8];
        let d = FrameDescription::new(5, 3, PixelFormat::Rgba8, &strides(&[(24, 0)])).unwrap();
        let frame = d.frame(&[&rgba]).unwrap();
        assert_eq!(
            frame.layout(),
            Frame::new(&rgba, 5, 3, 24, PixelFormat::Rgba8).unwrap().layout()
        );
        // Android-style chroma: pixel stride 2 in separate buffers.
        let (y, u, v) = (vec![0u8; 16], vec![0u8; 7], vec![0u8; 7]);
        let d = FrameDescription::new(4, 4, PixelFormat::Yuv420888, &strides(&[(4, 1), (4, 2), (4, 2)])).unwrap();
        assert!(d.frame(&[&y, &u, &v]).is_ok());
        let short = vec![0u8; 6];
        assert!(d.frame(&[&y, &u, &short]).is_err());
    }

    #[test]
    fn bad_descriptions_are_invalid_frames_naming_the_problem() {
        let cases: Vec<(Result<FrameDescription>, &str)> = vec![
            (
                FrameDescription::new(-1, 2, PixelFormat::Rgb8, &strides(&[(3, 3)])),
                "width -1",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Rgb8, &strides(&[(6, 3), (6, 3)])),
                "plane(s)",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Rgb8, &strides(&[(-6, 3)])),
                "row stride -6",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Rgba8, &strides(&[(8, 3)])),
                "have 4, got 3",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Nv12, &strides(&[(2, 1), (2, 1)])),
                "plane 1 pixel stride",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Rgb8, &strides(&[(6, 3)]))
                    .and_then(|d| d.with_rotation_degrees(45)),
                "rotation",
            ),
            (
                FrameDescription::new(2, 2, PixelFormat::Rgb8, &strides(&[(6, 3)]))
                    .and_then(|d| d.with_crop(1, 0, 2, 1)),
                "crop",
            ),
        ];
        for (result, needle) in cases {
            let error = result.unwrap_err();
            assert!(matches!(error, SafeFrameError::InvalidFrame { .. }), "{error}");
            assert!(error.to_string().contains(needle), "{error} lacks {needle}");
        }
        assert!(matches!(
            FrameDescription::new(20_000, 2, PixelFormat::Rgb8, &strides(&[(60_000, 3)])),
            Err(SafeFrameError::FrameTooLarge { .. })
        ));
        assert!(matches!(
            FrameDescription::new(i64::MAX, 2, PixelFormat::Rgb8, &strides(&[(6, 3)])),
            Err(SafeFrameError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn buffers_must_be_one_per_plane_or_one_for_all() {
        let d = FrameDescription::new(2, 2, PixelFormat::I420, &strides(&[(2, 1), (1, 1), (1, 1)])).unwrap();
        let (a, b) = (vec![0u8; 4], vec![0u8; 1]);
        let error = d.frame(&[&a, &b]).unwrap_err();
        assert!(error.to_string().contains("got 2"), "{error}");
        let mut bufs = [vec![0u8; 4], vec![0u8; 1], vec![0u8; 1], vec![0u8; 1]];
        assert!(d.frame_mut(bufs.iter_mut().map(Vec::as_mut_slice)).is_err());
        let mut three = [vec![0u8; 4], vec![0u8; 1], vec![0u8; 1]];
        let frame = d
            .with_timestamp_ns(Some(5))
            .with_full_range(true)
            .frame_mut(three.iter_mut().map(Vec::as_mut_slice))
            .unwrap();
        assert_eq!(frame.as_frame().timestamp_ns(), Some(5));
        assert_eq!(frame.as_frame().yuv_color().range, YuvRange::Full);
    }

    #[test]
    fn codes_are_the_index_in_the_table() {
        for (i, format) in PixelFormat::ALL.iter().enumerate() {
            assert_eq!(format.code() as usize, i);
            assert_eq!(PixelFormat::from_code(i as i64).unwrap(), *format);
        }
        assert!(PixelFormat::from_code(-1).is_err());
    }
}
