//! Android's zero-copy path: JNI entry points over direct `ByteBuffer`s.
//!
//! The Kotlin side is `ZeroCopy.kt` (`SafeFrameFilter.checkFrame(frame, vararg ByteBuffer)`,
//! `filterFrameInPlace`, `SafeFrameStream.processFrameInPlace`) over the internal declarations in
//! `NativeFrames.kt`, both in `android/src/main/kotlin/dev/safeframe/`. Pixels are read and
//! redacted where they lie, in the buffers' own memory: nothing is copied.
//!
//! This module converts and nothing else. The frame's description arrives as the uniffi
//! `Frame` record in uniffi's own serialization and becomes the core's
//! [`FrameDescription`](safeframe::frame::FrameDescription) through [`Frame::description`], as on
//! the copying path; the verdict leaves the same way, as a uniffi `Verdict`. Every size, stride
//! and format rule is the core's. What is left here is memory: turning direct buffers into
//! slices, and refusing buffers that overlap where that would alias mutable memory.
//!
//! Android's `YUV_420_888` U and V planes are, on most phones, two views one byte apart of one
//! interleaved chroma block. Read-only calls see them as the two planes they are (shared slices
//! may overlap). In-place calls describe them as the one NV12/NV21 block they are, so no two
//! mutable slices ever overlap.
//!
//! Errors are thrown as the uniffi-generated `dev.safeframe.SafeFrameException` subclass of the
//! error's kind (`SafeFrameException$InvalidFrame`, …), the same class the copying path throws;
//! panics become `SafeFrameException$Internal`. Nothing unwinds into the JVM.

use jni::errors::ErrorPolicy;
use jni::objects::{JByteArray, JByteBuffer, JClass, JObjectArray};
use jni::sys::{jboolean, jlong};
use jni::{Env, EnvUnowned};
use safeframe::frame::{Frame as CoreFrame, FrameMut};

use crate::error::SafeFrameError;
use crate::types::{Frame, FramePlane, PixelFormat, Verdict};

/// The package-qualified name of the generated error class; each kind is a nested class.
const EXCEPTION_CLASS: &str = "dev/safeframe/SafeFrameException";

/// An error inside a JNI entry point: SafeFrame's own, or one from the JNI layer.
#[derive(Debug)]
enum JniError {
    SafeFrame(SafeFrameError),
    Jni(jni::errors::Error),
}

impl From<jni::errors::Error> for JniError {
    fn from(error: jni::errors::Error) -> Self {
        Self::Jni(error)
    }
}

impl From<SafeFrameError> for JniError {
    fn from(error: SafeFrameError) -> Self {
        Self::SafeFrame(error)
    }
}

impl From<safeframe::SafeFrameError> for JniError {
    fn from(error: safeframe::SafeFrameError) -> Self {
        Self::SafeFrame(error.into())
    }
}

impl From<JniError> for SafeFrameError {
    fn from(error: JniError) -> Self {
        match error {
            JniError::SafeFrame(error) => error,
            JniError::Jni(error) => Self::Internal(format!("JNI call failed: {error}")),
        }
    }
}

/// Throws the `SafeFrameException` subclass of the error's kind for errors and panics, and
/// returns the default (a null array).
struct ThrowSafeFrameException;

impl<T: Default> ErrorPolicy<T, JniError> for ThrowSafeFrameException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        error: JniError,
    ) -> jni::errors::Result<T> {
        throw(env, &error.into());
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        throw(env, &SafeFrameError::from_panic(payload.as_ref()));
        Ok(T::default())
    }
}

fn throw(env: &mut Env<'_>, error: &SafeFrameError) {
    if env.exception_check() {
        // A Java exception is already pending (e.g. from a failed JNI call); it wins.
        return;
    }
    let class = format!("{EXCEPTION_CLASS}${}", error.kind().name());
    // When even the exception class cannot be found, the ClassNotFoundError that lookup left
    // pending reaches Java instead; nothing more can be done here.
    let _ = env.throw_new(
        jni::strings::JNIString::from(class),
        jni::strings::JNIString::from(error.to_string()),
    );
}

/// The `Frame` record Kotlin serialized with uniffi's `FfiConverterTypeFrame`.
fn read_frame(env: &Env<'_>, bytes: &JByteArray<'_>) -> Result<Frame, JniError> {
    if bytes.is_null() {
        return Err(SafeFrameError::invalid_argument("the frame description is null").into());
    }
    let bytes = env.convert_byte_array(bytes)?;
    let mut rest = bytes.as_slice();
    let frame = <Frame as uniffi::Lift<crate::UniFfiTag>>::try_read(&mut rest)
        .map_err(|e| SafeFrameError::Internal(format!("the frame description could not be read: {e}")))?;
    if !rest.is_empty() {
        return Err(SafeFrameError::Internal("the frame description has trailing bytes".to_owned()).into());
    }
    Ok(frame)
}

/// `verdict` as a Java `byte[]` in uniffi's serialization, which Kotlin reads with
/// `FfiConverterTypeVerdict`.
fn write_verdict<'local>(
    env: &mut Env<'local>,
    verdict: safeframe::policy::Verdict,
) -> Result<JByteArray<'local>, JniError> {
    let mut bytes = Vec::new();
    <Verdict as uniffi::Lower<crate::UniFfiTag>>::write(verdict.into(), &mut bytes);
    Ok(env.byte_array_from_slice(&bytes)?)
}

/// `NativeFrames.filterFrame(handle, frame, buffers, inPlace)`: classifies the frame described
/// by `frame` (a serialized `Frame`) in the direct `buffers` with the filter behind `handle`
/// (`SafeFrameFilter.directHandle()`) and, when `inPlace`, applies the verdict to the buffers.
/// Returns the serialized verdict.
///
/// In place, a fail-closed filter that cannot classify the frame has blocked it before the
/// error is thrown ([`Filter::apply`](safeframe::filter::Filter::apply)).
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_filterFrame<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    frame: JByteArray<'local>,
    buffers: JObjectArray<'local>,
    in_place: jboolean,
) -> JByteArray<'local> {
    unowned_env
        .with_env(|env| -> Result<JByteArray<'local>, JniError> {
            let filter = crate::handles::FILTERS.get(handle)?;
            let frame = read_frame(env, &frame)?;
            let regions = direct_regions(env, &buffers)?;
            let verdict = if in_place == jni::sys::JNI_TRUE {
                // SAFETY: the regions are direct buffers' memory, kept alive and in place by the
                // JVM while `buffers` (which references them) is referenced, i.e. for this whole
                // call; the frame does not outlive it. Java code writing the buffers during the
                // call would race; the Kotlin API documents that callers must not.
                let mut pixels = unsafe { frame_mut_in(frame, &regions)? };
                let applied = filter.apply(&mut pixels);
                match applied.error {
                    Some(error) => return Err(error.into()),
                    None => applied.verdict,
                }
            } else {
                // SAFETY: as above; this frame is only read.
                let pixels = unsafe { frame_in(&frame, &regions)? };
                filter.check(&pixels)?
            };
            write_verdict(env, verdict)
        })
        .resolve::<ThrowSafeFrameException>()
}

/// `NativeFrames.processFrame(handle, frame, buffers)`: runs the stream behind `handle`
/// (`SafeFrameStream.directHandle()`) on the frame in the direct `buffers` — cadence,
/// hysteresis, redaction in place — and returns the serialized verdict in force. A model
/// failure is the stream's to handle (it blocks, counts and reports); only a frame that cannot
/// be described, or a closed stream, throws, and then the stream has not seen the frame.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_processFrame<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    frame: JByteArray<'local>,
    buffers: JObjectArray<'local>,
) -> JByteArray<'local> {
    unowned_env
        .with_env(|env| -> Result<JByteArray<'local>, JniError> {
            let stream = crate::handles::STREAMS.get(handle)?;
            let frame = read_frame(env, &frame)?;
            let regions = direct_regions(env, &buffers)?;
            // SAFETY: see `Java_dev_safeframe_NativeFrames_filterFrame`: the buffers are
            // referenced for this whole call, which the frame does not outlive.
            let mut pixels = unsafe { frame_mut_in(frame, &regions)? };
            let verdict = stream.process(&mut pixels);
            write_verdict(env, verdict)
        })
        .resolve::<ThrowSafeFrameException>()
}

/// A direct buffer's memory: where it starts and how many bytes it has.
#[derive(Debug, Clone, Copy)]
struct Region {
    address: *mut u8,
    len: usize,
}

impl Region {
    /// A region of `len` bytes at `address`, refused when the address is NULL, the length is
    /// larger than a slice may be, or the range wraps around the address space.
    fn new(address: *mut u8, len: usize, what: &str) -> Result<Self, SafeFrameError> {
        if address.is_null() || len > isize::MAX as usize || (address as usize).checked_add(len).is_none() {
            return Err(SafeFrameError::invalid_argument(format!("{what} has no usable memory")));
        }
        Ok(Self { address, len })
    }

    fn end(self) -> usize {
        self.address as usize + self.len
    }

    fn overlaps(self, other: Region) -> bool {
        (self.address as usize) < other.end() && (other.address as usize) < self.end()
    }
}

/// The memory of each direct `ByteBuffer` in `buffers` (from its address, whatever its
/// position and limit).
fn direct_regions(env: &mut Env<'_>, buffers: &JObjectArray<'_>) -> Result<Vec<Region>, JniError> {
    if buffers.is_null() {
        return Err(SafeFrameError::invalid_argument("the buffer array is null").into());
    }
    let count = buffers.len(env)?;
    let mut regions = Vec::with_capacity(count);
    for i in 0..count {
        let what = format!("buffer {i}");
        let element = buffers.get_element(env, i)?;
        if element.is_null() {
            return Err(SafeFrameError::invalid_argument(format!("{what} is null")).into());
        }
        let buffer = env.cast_local::<JByteBuffer>(element)?;
        let address = env.get_direct_buffer_address(&buffer).map_err(|_| {
            SafeFrameError::invalid_argument(format!(
                "{what} is not a direct ByteBuffer (camera planes are direct; allocate others with ByteBuffer.allocateDirect)"
            ))
        })?;
        let len = env.get_direct_buffer_capacity(&buffer)?;
        regions.push(Region::new(address, len, &what)?);
    }
    Ok(regions)
}

/// The frame `frame` describes over `regions`, for reading; regions may overlap.
///
/// # Safety
/// Each region's bytes are readable for `'a`, and nothing writes them while the frame lives.
unsafe fn frame_in<'a>(frame: &Frame, regions: &[Region]) -> Result<CoreFrame<'a>, SafeFrameError> {
    let description = frame.description()?;
    let slices: Vec<&'a [u8]> = regions
        .iter()
        // SAFETY: the address is non-NULL and the length ≤ isize::MAX (checked by
        // `Region::new`); the caller promises the bytes are readable and unwritten for 'a.
        // Shared slices may overlap. `frame` checks the lengths before a byte is read.
        .map(|r| unsafe { std::slice::from_raw_parts(r.address.cast_const(), r.len) })
        .collect();
    Ok(description.frame(&slices)?)
}

/// The frame `frame` describes over `regions`, for redaction in place. No two regions may
/// overlap, except Android's interleaved chroma views (see [`separate_planes`]), which become
/// one region; the check comes before any slice is made.
///
/// # Safety
/// Each region's bytes are readable and writable for `'a`, and nothing outside the returned
/// frame touches them while it lives (the regions may overlap one another: the checks here
/// decide which overlaps are allowed).
unsafe fn frame_mut_in<'a>(frame: Frame, regions: &[Region]) -> Result<FrameMut<'a>, SafeFrameError> {
    let (frame, regions) = separate_planes(frame, regions)?;
    let description = frame.description()?;
    let slices = regions
        .into_iter()
        // SAFETY: non-NULL, length ≤ isize::MAX (`Region::new`); the caller promises the bytes
        // are readable, writable and touched by nothing else for 'a; `separate_planes` made the
        // regions pairwise disjoint, so the mutable slices never alias. `frame_mut` checks the
        // lengths before a byte is touched.
        .map(|r| unsafe { std::slice::from_raw_parts_mut(r.address, r.len) });
    Ok(description.frame_mut(slices)?)
}

/// `frame` and `regions` with no two regions overlapping: a `YUV_420_888` frame whose U and V
/// regions are two views one byte apart of one interleaved chroma block (Android's usual
/// layout) is described as the NV12 (U first) or NV21 (V first) frame it is, over the union of
/// the two views; any other overlap is refused.
fn separate_planes(frame: Frame, regions: &[Region]) -> Result<(Frame, Vec<Region>), SafeFrameError> {
    let overlapping = |a: usize, b: usize| regions[a].overlaps(regions[b]);
    let pairs: Vec<(usize, usize)> = (0..regions.len())
        .flat_map(|a| (a + 1..regions.len()).map(move |b| (a, b)))
        .filter(|&(a, b)| overlapping(a, b))
        .collect();
    match pairs.as_slice() {
        [] => Ok((frame, regions.to_vec())),
        [(1, 2)] if frame.format == PixelFormat::Yuv420888 && frame.planes.len() == 3 => {
            let (u, v) = (regions[1], regions[2]);
            let (first, format) = match v.address as isize - u.address as isize {
                1 => (u, PixelFormat::Nv12),
                -1 => (v, PixelFormat::Nv21),
                _ => {
                    return Err(SafeFrameError::invalid_argument(
                        "the U and V buffers overlap but are not one interleaved chroma block (views 1 byte apart)",
                    ))
                }
            };
            let (u_plane, v_plane) = (frame.planes[1], frame.planes[2]);
            if u_plane != v_plane {
                return Err(SafeFrameError::invalid_argument(format!(
                    "the U and V buffers are views of one interleaved chroma block, so they need the same strides (pixel stride 2); got U {}/{}, V {}/{}",
                    u_plane.row_stride, u_plane.pixel_stride, v_plane.row_stride, v_plane.pixel_stride
                )));
            }
            let chroma = Region {
                address: first.address,
                len: u.end().max(v.end()) - first.address as usize,
            };
            let planes: Vec<FramePlane> = frame.planes[..2].to_vec();
            Ok((Frame { format, planes, ..frame }, vec![regions[0], chroma]))
        }
        [(a, b), ..] => Err(SafeFrameError::invalid_argument(format!(
            "buffers {a} and {b} overlap; redaction in place needs each plane in its own memory (or one buffer holding every plane)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    //! The memory checks of the zero-copy path without a JVM: direct buffers are stood in for by
    //! parts of Rust allocations. They run under Miri (`scripts/miri`), which reports any
    //! out-of-bounds or aliasing access made through the slices built from raw addresses.

    use safeframe::redactor::Redactor;

    use super::*;
    use crate::types::CropRect;

    /// `len` bytes at offset `at` of the allocation at `base`.
    fn region(base: *mut u8, at: usize, len: usize) -> Region {
        Region::new(base.wrapping_add(at), len, "test").unwrap()
    }

    fn is_invalid_argument<T>(result: Result<T, SafeFrameError>) -> bool {
        matches!(result, Err(SafeFrameError::InvalidArgument(_)))
    }

    fn is_invalid_frame<T>(result: Result<T, SafeFrameError>) -> bool {
        matches!(result, Err(SafeFrameError::InvalidFrame(_)))
    }

    fn describe(width: i32, height: i32, format: PixelFormat, planes: &[(i32, i32)]) -> Frame {
        Frame {
            width,
            height,
            format,
            planes: planes
                .iter()
                .map(|&(row_stride, pixel_stride)| FramePlane {
                    row_stride,
                    pixel_stride,
                })
                .collect(),
            rotation_degrees: 0,
            crop: None,
            timestamp_ns: None,
            full_range: false,
        }
    }

    /// A 4×2 `YUV_420_888` frame with the given `[Y row, U row, U pixel, V row, V pixel]`.
    fn yuv(strides: [i32; 5]) -> Frame {
        let [y, ur, up, vr, vp] = strides;
        describe(4, 2, PixelFormat::Yuv420888, &[(y, 1), (ur, up), (vr, vp)])
    }

    #[test]
    fn regions_refuse_null_oversized_and_wrapping_memory_and_overlap_only_when_sharing_bytes() {
        let mut bytes = [0u8; 8];
        let base = bytes.as_mut_ptr();
        assert!(is_invalid_argument(Region::new(std::ptr::null_mut(), 1, "Y")));
        assert!(is_invalid_argument(Region::new(base, isize::MAX as usize + 1, "Y")));
        let near_the_end = std::ptr::without_provenance_mut::<u8>(usize::MAX - 2);
        assert!(is_invalid_argument(Region::new(near_the_end, 4, "U")));
        let (a, b) = (region(base, 0, 4), region(base, 4, 4));
        assert!(!a.overlaps(b) && !b.overlaps(a), "touching regions share no byte");
        let c = region(base, 3, 2);
        assert!(a.overlaps(c) && c.overlaps(b) && c.overlaps(c));
    }

    #[test]
    fn packed_frames_are_checked_against_the_capacity_and_written_only_inside_it() {
        // 2×2 RGBA, stride 10: 18 bytes are enough (the last row needs no padding).
        let mut buffer = vec![0x55u8; 20];
        let base = buffer.as_mut_ptr();
        let frame = describe(2, 2, PixelFormat::Rgba8, &[(10, 4)]);
        // SAFETY: a region inside `buffer`, untouched by anything else while the frame lives.
        Redactor::block(&mut unsafe { frame_mut_in(frame.clone(), &[region(base, 1, 18)]) }.unwrap());
        let black = [0, 0, 0, 255, 0, 0, 0, 255];
        assert_eq!(buffer[1..9], black);
        assert_eq!(buffer[11..19], black);
        for i in [0, 9, 10, 19] {
            assert_eq!(buffer[i], 0x55, "byte {i} is not part of the frame");
        }
        let base = buffer.as_mut_ptr();
        // SAFETY: as above (and refused before a slice is made).
        assert!(is_invalid_frame(unsafe {
            frame_mut_in(frame.clone(), &[region(base, 1, 17)])
        }));
        // SAFETY: as above.
        assert!(is_invalid_frame(unsafe { frame_in(&frame, &[region(base, 1, 17)]) }));
        let narrow = describe(2, 2, PixelFormat::Rgba8, &[(7, 4)]);
        // SAFETY: as above.
        assert!(is_invalid_frame(unsafe {
            frame_mut_in(narrow, &[region(base, 0, 20)])
        }));
    }

    /// A 4×2 `YUV_420_888` image laid out as Android cameras do: Y (stride 4) at 0..8, a guard
    /// byte, then one interleaved chroma row of 4 bytes at 9..13 seen as two views one byte
    /// apart (3 bytes each), and a guard byte. `v_first` gives NV21 order. Returns the buffer
    /// after blocking the frame, or the error.
    fn interleaved(v_first: bool, strides: [i32; 5]) -> Result<Vec<u8>, SafeFrameError> {
        let mut buffer = vec![0x55u8; 14];
        let base = buffer.as_mut_ptr();
        let (u_at, v_at) = if v_first { (10, 9) } else { (9, 10) };
        let regions = [region(base, 0, 8), region(base, u_at, 3), region(base, v_at, 3)];
        // SAFETY: the regions lie inside `buffer`, untouched by anything else while the frame
        // lives; `frame_mut_in` decides which overlaps are allowed.
        Redactor::block(&mut unsafe { frame_mut_in(yuv(strides), &regions) }?);
        Ok(buffer)
    }

    #[test]
    fn interleaved_chroma_views_become_one_nv12_or_nv21_block() {
        for v_first in [false, true] {
            let blocked = interleaved(v_first, [4, 4, 2, 4, 2]).unwrap();
            // Limited range: black is Y 16, chroma 128; the guards stay.
            assert_eq!(blocked[..8], [16; 8]);
            assert_eq!(blocked[9..13], [128; 4]);
            assert_eq!((blocked[8], blocked[13]), (0x55, 0x55));
        }
        // Interleaved views need one set of strides, and the core's NV12 pixel stride of 2.
        assert!(is_invalid_argument(interleaved(false, [4, 4, 1, 4, 2])));
        assert!(is_invalid_argument(interleaved(true, [4, 4, 2, 6, 2])));
        assert!(is_invalid_frame(interleaved(true, [4, 4, 1, 4, 1])));
        // Sizes and strides are the core's to check: a Y stride of 5 needs 9 bytes.
        assert!(is_invalid_frame(interleaved(false, [5, 4, 2, 4, 2])));
    }

    #[test]
    fn interleaved_chroma_views_keep_rotation_crop_timestamp_and_range() {
        let mut frame = yuv([4, 4, 2, 4, 2]);
        frame.rotation_degrees = 90;
        frame.crop = Some(CropRect {
            x: 0,
            y: 0,
            width: 2,
            height: 2,
        });
        frame.timestamp_ns = Some(7);
        frame.full_range = true;
        let mut buffer = vec![0u8; 12];
        let base = buffer.as_mut_ptr();
        let regions = [region(base, 0, 8), region(base, 9, 3), region(base, 8, 3)];
        let (merged, merged_regions) = separate_planes(frame.clone(), &regions).unwrap();
        assert_eq!(merged_regions.len(), 2);
        assert_eq!(
            (merged_regions[1].address, merged_regions[1].len),
            (regions[2].address, 4)
        );
        let want = Frame {
            format: PixelFormat::Nv21,
            planes: frame.planes[..2].to_vec(),
            ..frame
        };
        assert_eq!(merged, want);
    }

    #[test]
    fn separate_planes_become_a_yuv420_888_frame_written_only_inside_them() {
        for (pixel_stride, chroma_len) in [(1i32, 2usize), (2, 3)] {
            let (mut y, mut u, mut v) = (
                vec![0x55u8; 9],
                vec![0x55u8; chroma_len + 1],
                vec![0x55u8; chroma_len + 1],
            );
            let regions = [
                region(y.as_mut_ptr(), 0, 8),
                region(u.as_mut_ptr(), 0, chroma_len),
                region(v.as_mut_ptr(), 0, chroma_len),
            ];
            let frame = yuv([4, 4, pixel_stride, 4, pixel_stride]);
            // SAFETY: three separate allocations, untouched by anything else while the frame
            // lives.
            Redactor::block(&mut unsafe { frame_mut_in(frame.clone(), &regions) }.unwrap());
            assert_eq!((y[..8].to_vec(), y[8]), (vec![16; 8], 0x55));
            for chroma in [&u, &v] {
                let step = usize::try_from(pixel_stride).unwrap();
                let written: Vec<u8> = chroma[..chroma_len].iter().step_by(step).copied().collect();
                assert_eq!(written, [128, 128]);
                assert_eq!(chroma[chroma_len], 0x55);
                if pixel_stride == 2 {
                    assert_eq!(chroma[1], 0x55, "wrote between chroma samples");
                }
            }
            let regions = [
                region(y.as_mut_ptr(), 0, 8),
                region(u.as_mut_ptr(), 0, chroma_len - 1),
                region(v.as_mut_ptr(), 0, chroma_len),
            ];
            // SAFETY: as above.
            assert!(is_invalid_frame(unsafe { frame_mut_in(frame, &regions) }));
        }
    }

    #[test]
    fn overlapping_planes_that_are_not_one_chroma_block_are_refused_before_a_slice_is_made() {
        let mut buffer = vec![0x55u8; 16];
        let base = buffer.as_mut_ptr();
        for regions in [
            // Y overlaps U, or V.
            [region(base, 0, 8), region(base, 7, 3), region(base, 12, 3)],
            [region(base, 4, 8), region(base, 12, 3), region(base, 0, 5)],
            // U and V overlap but are 2 bytes apart, or the same view.
            [region(base, 0, 8), region(base, 8, 4), region(base, 10, 4)],
            [region(base, 0, 8), region(base, 9, 3), region(base, 9, 3)],
        ] {
            // SAFETY: every region lies inside `buffer`; the overlaps are refused before any
            // slice is made.
            assert!(is_invalid_argument(unsafe {
                frame_mut_in(yuv([4, 4, 2, 4, 2]), &regions)
            }));
        }
        // Interleaved views of a format other than YUV_420_888 are refused too.
        let i420 = describe(4, 2, PixelFormat::I420, &[(4, 1), (2, 1), (2, 1)]);
        let regions = [region(base, 0, 8), region(base, 9, 3), region(base, 10, 3)];
        // SAFETY: as above.
        assert!(is_invalid_argument(unsafe { frame_mut_in(i420, &regions) }));
        assert!(buffer.iter().all(|&b| b == 0x55));
    }

    #[test]
    fn read_only_frames_may_share_memory_between_planes() {
        // The interleaved views as two planes, read as they are.
        let buffer = [128u8; 13];
        let base = buffer.as_ptr().cast_mut();
        let regions = [region(base, 0, 8), region(base, 10, 3), region(base, 9, 3)];
        // SAFETY: regions inside `buffer`, only read while the frame lives.
        let frame = unsafe { frame_in(&yuv([4, 4, 2, 4, 2]), &regions) }.unwrap();
        assert_eq!(frame.layout().plane_count(), 3);
    }
}
