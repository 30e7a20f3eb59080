//! `SafeFrameFrame`: a frame of any format as C describes it, turned into the core's
//! [`FrameDescription`] over the caller's plane buffers.
//!
//! Only pointers are checked here (NULL, lengths no buffer can have, planes that overlap where
//! they are written, the planes array's bound); the description's rules are the core's.

use safeframe::frame::{Frame, FrameDescription, FrameMut, PixelFormat, PlaneStrides};

use crate::error::SafeFrameError;

/// One plane of a frame: its bytes and strides.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SafeFramePlane {
    /// The plane's first byte. For planes after the first it may be NULL (with `len` 0) in
    /// every such plane at once: then `planes[0]` holds every plane, one after another.
    pub data: *mut u8,
    /// Bytes at `data`.
    pub len: usize,
    /// Bytes from the start of one row to the start of the next
    /// (`CVPixelBufferGetBytesPerRowOfPlane`, Android `Image.Plane.getRowStride()`).
    pub row_stride: i32,
    /// Bytes from one sample to the next within a row; 0 means the format's own (4 for RGBA8,
    /// 2 for an NV12 chroma pair, …). Only `SAFEFRAME_FORMAT_YUV_420_888` lets it vary.
    pub pixel_stride: i32,
}

/// A frame of any `SAFEFRAME_FORMAT_*`: its size, format, planes and facts, as the Kotlin and
/// Swift `Frame` describe it. The bytes stay the caller's; SafeFrame reads them (and, in place,
/// writes them) only during the call it is given to.
///
/// Planes, in the format's order: packed RGB formats 1; NV12 and NV21 2 (Y, then the
/// interleaved chroma); I420 and YUV_420_888 3 (Y, U, V). Planes filtered in place must not
/// overlap: Android's interleaved chroma (YUV_420_888 with pixel stride 2, V one byte before U)
/// can be checked as it is, and is filtered in place described as NV21. Start from a zeroed struct
/// (`SafeFrameFrame frame = {0};`): no rotation, no crop, no timestamp, video range.
///
/// ABI note (0.x): new in this version; it replaces the width/height/stride arguments of the
/// removed `safeframe_check`, `safeframe_filter_in_place` and `safeframe_filter_nv12_in_place`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct SafeFrameFrame {
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
    /// One of `SAFEFRAME_FORMAT_*`.
    pub format: i32,
    /// The clockwise turn, in degrees (0, 90, 180, 270), that makes the image upright.
    pub rotation_degrees: i32,
    /// The planes; the first `plane_count` are used.
    pub planes: [SafeFramePlane; 3],
    /// Planes described (1 to 3, the format's count).
    pub plane_count: i32,
    /// Left edge of the region to classify, in the buffer's own pixels.
    pub crop_x: i32,
    /// Top edge of the region to classify.
    pub crop_y: i32,
    /// Width of the region to classify; all four `crop_*` 0: the whole frame. Redaction
    /// always covers the whole frame.
    pub crop_width: i32,
    /// Height of the region to classify.
    pub crop_height: i32,
    /// The frame's time in nanoseconds, when `has_timestamp` (streams' cadence and change gate
    /// use it; it must grow from frame to frame).
    pub timestamp_ns: i64,
    /// Whether `timestamp_ns` is set.
    pub has_timestamp: bool,
    /// YUV samples in the full 0–255 range (`420YpCbCr8BiPlanarFullRange`), not the video
    /// range (16–235). Ignored for RGB formats.
    pub full_range: bool,
}

/// [`SafeFrameFrame`] as C may have left it: the same layout with bytes for its `bool`s (a Rust
/// `bool` other than 0 or 1 is undefined behaviour).
#[repr(C)]
#[derive(Clone, Copy)]
struct RawFrame {
    width: i32,
    height: i32,
    format: i32,
    rotation_degrees: i32,
    planes: [SafeFramePlane; 3],
    plane_count: i32,
    crop_x: i32,
    crop_y: i32,
    crop_width: i32,
    crop_height: i32,
    timestamp_ns: i64,
    has_timestamp: u8,
    full_range: u8,
}

const _: () = assert!(
    std::mem::size_of::<RawFrame>() == std::mem::size_of::<SafeFrameFrame>()
        && std::mem::align_of::<RawFrame>() == std::mem::align_of::<SafeFrameFrame>()
        && std::mem::offset_of!(RawFrame, planes) == std::mem::offset_of!(SafeFrameFrame, planes)
        && std::mem::offset_of!(RawFrame, plane_count) == std::mem::offset_of!(SafeFrameFrame, plane_count)
        && std::mem::offset_of!(RawFrame, crop_height) == std::mem::offset_of!(SafeFrameFrame, crop_height)
        && std::mem::offset_of!(RawFrame, timestamp_ns) == std::mem::offset_of!(SafeFrameFrame, timestamp_ns)
        && std::mem::offset_of!(RawFrame, has_timestamp) == std::mem::offset_of!(SafeFrameFrame, has_timestamp)
        && std::mem::offset_of!(RawFrame, full_range) == std::mem::offset_of!(SafeFrameFrame, full_range)
);

/// A described frame: the core's checked description and the raw parts of the caller's
/// buffers (one per plane, or one holding every plane), each non-NULL with a length a slice
/// can have.
#[derive(Debug)]
pub(super) struct Described {
    description: FrameDescription,
    buffers: [(*mut u8, usize); 3],
    count: usize,
}

/// Reads the frame at `frame` and describes it: the core checks the description, this
/// function the pointers.
///
/// # Safety
/// `frame` is NULL or points to a readable `SafeFrameFrame` (any alignment).
pub(super) unsafe fn read(frame: *const SafeFrameFrame) -> Result<Described, SafeFrameError> {
    if frame.is_null() {
        return Err(SafeFrameError::invalid_argument("frame is NULL"));
    }
    // SAFETY: non-NULL checked above; the caller promises a readable `SafeFrameFrame`, read
    // through a mirror with plain bytes for its `bool`s, and `read_unaligned` needs no alignment.
    let raw = unsafe { frame.cast::<RawFrame>().read_unaligned() };
    let planes = usize::try_from(raw.plane_count)
        .ok()
        .and_then(|n| raw.planes.get(..n))
        .ok_or_else(|| {
            SafeFrameError::invalid_argument(format!(
                "plane_count {} is not 0 to 3 (the planes a SafeFrameFrame holds)",
                raw.plane_count
            ))
        })?;
    let mut strides = [PlaneStrides::default(); 3];
    for (out, plane) in strides.iter_mut().zip(planes) {
        *out = PlaneStrides::new(plane.row_stride.into(), plane.pixel_stride.into());
    }
    let mut description = FrameDescription::new(
        raw.width.into(),
        raw.height.into(),
        PixelFormat::from_code(raw.format.into())?,
        &strides[..planes.len()],
    )?
    .with_rotation_degrees(raw.rotation_degrees.into())?
    .with_timestamp_ns((raw.has_timestamp != 0).then_some(raw.timestamp_ns))
    .with_full_range(raw.full_range != 0);
    let crop = [raw.crop_x, raw.crop_y, raw.crop_width, raw.crop_height];
    if crop != [0; 4] {
        let [x, y, width, height] = crop.map(i64::from);
        description = description.with_crop(x, y, width, height)?;
    }
    // Planes after the first all without data: the first holds every plane.
    let shared = planes
        .get(1..)
        .is_some_and(|rest| !rest.is_empty() && rest.iter().all(|p| p.data.is_null() && p.len == 0));
    let given = if shared { &planes[..1] } else { planes };
    let mut buffers = [(std::ptr::null_mut(), 0); 3];
    for (i, (plane, out)) in given.iter().zip(&mut buffers).enumerate() {
        check_buffer(plane.data, plane.len, i)?;
        *out = (plane.data, plane.len);
    }
    Ok(Described {
        description,
        buffers,
        count: given.len(),
    })
}

/// Checks a plane's pointer and length the way `slice::from_raw_parts` needs.
pub(super) fn check_buffer(data: *const u8, len: usize, plane: usize) -> Result<(), SafeFrameError> {
    if data.is_null() {
        return Err(SafeFrameError::invalid_argument(format!(
            "planes[{plane}].data is NULL (give every plane's data, or only planes[0]'s holding every plane)"
        )));
    }
    if len > isize::MAX as usize {
        return Err(SafeFrameError::invalid_argument(format!(
            "planes[{plane}].len {len} is larger than any buffer can be"
        )));
    }
    Ok(())
}

impl Described {
    fn buffers(&self) -> &[(*mut u8, usize)] {
        &self.buffers[..self.count]
    }

    /// The frame over the caller's buffers, read only (they may overlap).
    ///
    /// # Safety
    /// Each buffer is `len` readable bytes that no one writes while the frame lives (`'a`).
    pub(super) unsafe fn frame<'a>(&self) -> Result<Frame<'a>, SafeFrameError> {
        let mut slices: [&'a [u8]; 3] = [&[]; 3];
        for (slice, &(data, len)) in slices.iter_mut().zip(self.buffers()) {
            // SAFETY: `data` is non-NULL and `len` ≤ isize::MAX (checked in `read`); the caller
            // promises `len` readable bytes not written while the frame lives. The description
            // checks the lengths against the geometry before any byte is read.
            *slice = unsafe { std::slice::from_raw_parts(data, len) };
        }
        Ok(self.description.frame(&slices[..self.count])?)
    }

    /// The frame over the caller's buffers, to redact in place: the buffers must not overlap.
    ///
    /// # Safety
    /// Each buffer is `len` readable and writable bytes that nothing else touches while the
    /// frame lives (`'a`).
    pub(super) unsafe fn frame_mut<'a>(&self) -> Result<FrameMut<'a>, SafeFrameError> {
        let buffers = self.buffers();
        for (i, &(a, a_len)) in buffers.iter().enumerate() {
            for (j, &(b, b_len)) in buffers.iter().enumerate().skip(i + 1) {
                let (a, b) = (a as usize, b as usize);
                if a < b.saturating_add(b_len) && b < a.saturating_add(a_len) {
                    return Err(SafeFrameError::invalid_argument(format!(
                        "planes[{i}] and planes[{j}] overlap; a frame filtered in place needs separate planes"
                    )));
                }
            }
        }
        let slices = buffers.iter().map(|&(data, len)| {
            // SAFETY: `data` is non-NULL and `len` ≤ isize::MAX (checked in `read`), the
            // buffers do not overlap (checked above), and the caller promises `len` readable and
            // writable bytes untouched by anyone else while the frame lives. The description
            // checks the lengths against the geometry before any byte is touched.
            unsafe { std::slice::from_raw_parts_mut(data, len) }
        });
        Ok(self.description.frame_mut(slices)?)
    }
}
