//! Android's zero-copy path: JNI entry points over direct `ByteBuffer`s.
//!
//! The Kotlin side is `dev.safeframe.NativeFrames` (declarations) and `DirectFrameFilter` (the
//! public wrapper) in `android/src/main/kotlin/dev/safeframe/`. Pixels are read and redacted
//! where they lie, in the buffer's own memory: nothing is copied.
//!
//! Every capacity, size and stride is checked before a byte is read. Errors and panics become a
//! `dev.safeframe.SafeFrameNativeException` whose message starts with the error's kind
//! (`"InvalidFrame: …"`); nothing unwinds into the JVM.
//!
//! `processYuv420888` takes the three planes of an Android `YUV_420_888` image (CameraX's
//! `ImageProxy.planes`), each with its row and pixel stride. On most phones the U and V buffers
//! are two views of one interleaved chroma block, one byte apart; such overlapping planes are
//! read as the one NV12/NV21 block they are (never as two overlapping mutable slices).

use jni::errors::ErrorPolicy;
use jni::objects::{JByteBuffer, JClass, JFloatArray, JLongArray};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use safeframe::frame::{FrameMut, PixelFormat, PlaneMut, Rotation, YuvColor, YuvRange};
use safeframe::policy::Verdict;
use safeframe::stream::StreamFilter;

use crate::error::SafeFrameError;

/// The Java class every error from these entry points is thrown as.
const EXCEPTION_CLASS: &str = "dev/safeframe/SafeFrameNativeException";

/// An error inside a JNI entry point: SafeFrame's own, or one from the JNI layer. Its text is
/// the exception message: the kind, a colon, the explanation.
#[derive(Debug, thiserror::Error)]
enum JniError {
    #[error("{kind}: {error}", kind = .0.kind(), error = .0)]
    SafeFrame(SafeFrameError),
    #[error("Internal: JNI call failed: {0}")]
    Jni(#[from] jni::errors::Error),
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

/// Throws `SafeFrameNativeException` for errors and panics, and returns 0.
struct ThrowSafeFrameException;

impl<T: Default> ErrorPolicy<T, JniError> for ThrowSafeFrameException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        error: JniError,
    ) -> jni::errors::Result<T> {
        throw(env, &error.to_string());
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let error = SafeFrameError::from_panic(payload.as_ref());
        throw(env, &JniError::SafeFrame(error).to_string());
        Ok(T::default())
    }
}

fn throw(env: &mut Env<'_>, message: &str) {
    if env.exception_check() {
        // A Java exception is already pending (e.g. from a failed JNI call); it wins.
        return;
    }
    // When even the exception class cannot be found, the ClassNotFoundError that lookup left
    // pending reaches Java instead; nothing more can be done here.
    let _ = env.throw_new(
        jni::strings::JNIString::from(EXCEPTION_CLASS),
        jni::strings::JNIString::from(message),
    );
}

fn pixel_format(code: jint) -> Result<PixelFormat, SafeFrameError> {
    match code {
        0 => Ok(PixelFormat::Rgba8),
        1 => Ok(PixelFormat::Bgra8),
        2 => Ok(PixelFormat::Rgb8),
        other => Err(SafeFrameError::invalid_argument(format!(
            "unknown pixel format code {other}; expected 0 (RGBA8), 1 (BGRA8) or 2 (RGB8)"
        ))),
    }
}

fn non_negative(value: jint, what: &str) -> Result<u32, SafeFrameError> {
    u32::try_from(value).map_err(|_| SafeFrameError::InvalidFrame(format!("invalid frame: {what} {value} is negative")))
}

/// Packs a verdict into one `int` for Kotlin: bits 0–7 the action (0 allow … 3 block), bits 8–15
/// the category + 1 (0: none), bits 16–30 the deciding rule's index + 1 (0: none; an index
/// past 32766, which no real policy reaches, reads as none rather than as a wrong rule).
fn pack(verdict: &Verdict) -> jint {
    let category = verdict.category.map_or(0, |c| c as jint + 1);
    let rule = verdict
        .rule
        .and_then(|r| jint::try_from(r).ok())
        .map(|r| r + 1)
        .filter(|&r| r <= 0x7FFF)
        .unwrap_or(0);
    crate::c_api::action_code(verdict.action) | (category << 8) | (rule << 16)
}

/// `NativeFrames.process(handle, buffer, width, height, rowStride, format, redact, scoresOut)`:
/// classifies the packed frame in the direct `buffer` (from its address, whatever its position
/// and limit) and, when `redact` is true, applies the verdict to the buffer in place. Writes the
/// five scores to `scoresOut` when it is not null. Returns the packed verdict (see `pack`).
///
/// On a classification error with `redact` and a fail-closed filter the frame is blocked before
/// the exception is thrown.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_process<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    buffer: JByteBuffer<'local>,
    width: jint,
    height: jint,
    row_stride: jint,
    format: jint,
    redact: jboolean,
    scores_out: JFloatArray<'local>,
) -> jint {
    unowned_env
        .with_env(|env| -> Result<jint, JniError> {
            let filter = crate::handles::get(handle)?;
            check_scores_out(env, &scores_out)?;
            // SAFETY: see `packed_frame`; `buffer` is referenced for this whole call.
            let mut frame = unsafe { packed_frame(env, &buffer, width, height, row_stride, format)? };
            classify(env, &filter, &mut frame, redact, &scores_out)
        })
        .resolve::<ThrowSafeFrameException>()
}

fn check_scores_out(env: &mut Env<'_>, scores_out: &JFloatArray<'_>) -> Result<(), JniError> {
    if !scores_out.is_null() && scores_out.len(env)? < 5 {
        return Err(SafeFrameError::invalid_argument("scoresOut must hold at least 5 floats").into());
    }
    Ok(())
}

/// The packed frame in the direct `buffer` (from its address, whatever its position and limit),
/// its geometry checked against the buffer's capacity.
///
/// # Safety
/// The returned frame borrows the buffer's memory for `'a`: the caller keeps `buffer`
/// referenced (so the JVM keeps that memory alive and in place) for as long as it uses the frame,
/// and lets no other frame or slice alias it.
unsafe fn packed_frame<'a>(
    env: &mut Env<'_>,
    buffer: &JByteBuffer<'_>,
    width: jint,
    height: jint,
    row_stride: jint,
    format: jint,
) -> Result<FrameMut<'a>, JniError> {
    let width = non_negative(width, "width")?;
    let height = non_negative(height, "height")?;
    let stride = non_negative(row_stride, "row stride")? as usize;
    let format = pixel_format(format)?;
    let buffer = direct_region(env, buffer, "pixel")?;
    // SAFETY: `buffer` is a direct buffer's memory, which the JVM keeps alive and in place while
    // the `JByteBuffer` is referenced (the caller promises that for 'a, and that nothing else
    // aliases it). Java code writing the buffer concurrently would race; the Kotlin wrappers
    // document that callers must not.
    Ok(unsafe { packed_frame_in(buffer, width, height, stride, format)? })
}

/// The packed frame over `region`, its geometry checked against the region's length before any
/// byte is touched.
///
/// # Safety
/// `region`'s bytes are readable and writable for `'a`, and nothing else touches them while the
/// frame lives.
unsafe fn packed_frame_in<'a>(
    region: Region,
    width: u32,
    height: u32,
    stride: usize,
    format: PixelFormat,
) -> Result<FrameMut<'a>, SafeFrameError> {
    // SAFETY: the address is non-NULL and the length ≤ isize::MAX (checked by `Region::new`);
    // the caller promises the bytes are readable, writable and unaliased for 'a. `FrameMut::new`
    // checks width, height and stride against the length before any byte is touched.
    let data = unsafe { std::slice::from_raw_parts_mut(region.address, region.len) };
    Ok(FrameMut::new(data, width, height, stride, format)?)
}

/// Filters (`redact`) or checks the frame, writes the scores to `scores_out` when it is not
/// null, and returns the packed verdict. A fail-closed filter has blocked the frame already
/// when filtering fails.
fn classify(
    env: &mut Env<'_>,
    filter: &safeframe::filter::Filter,
    frame: &mut FrameMut<'_>,
    redact: jboolean,
    scores_out: &JFloatArray<'_>,
) -> Result<jint, JniError> {
    let verdict = if redact == jni::sys::JNI_TRUE {
        filter.filter(frame)?
    } else {
        filter.check(&frame.as_frame())?
    };
    if !scores_out.is_null() {
        scores_out.set_region(env, 0, &verdict.scores.to_array())?;
    }
    Ok(pack(&verdict))
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
            return Err(SafeFrameError::invalid_argument(format!(
                "{what} buffer has no usable memory"
            )));
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

/// The memory of a direct `ByteBuffer` (from its address, whatever its position and limit).
fn direct_region(env: &mut Env<'_>, buffer: &JByteBuffer<'_>, what: &str) -> Result<Region, JniError> {
    if buffer.is_null() {
        return Err(SafeFrameError::invalid_argument(format!("{what} buffer is null")).into());
    }
    let address = env.get_direct_buffer_address(buffer).map_err(|_| {
        SafeFrameError::invalid_argument(format!(
            "{what} buffer is not a direct ByteBuffer (camera planes are direct; allocate others with ByteBuffer.allocateDirect)"
        ))
    })?;
    let len = env.get_direct_buffer_capacity(buffer)?;
    Ok(Region::new(address, len, what)?)
}

/// `NativeFrames.processYuv420888(handle, y, yRowStride, u, uRowStride, uPixelStride, v,
/// vRowStride, vPixelStride, width, height, rotationDegrees, fullRange, redact, scoresOut)`:
/// classifies an Android `YUV_420_888` image in its three direct plane buffers and, when
/// `redact` is true, applies the verdict to the planes in place. `rotationDegrees` is the
/// clockwise turn that makes the image upright (CameraX's `imageInfo.rotationDegrees`);
/// `fullRange` picks 0–255 YUV instead of the 16–235 video range (BT.601 either way). Returns
/// the packed verdict (see `pack`); writes the scores to `scoresOut` when it is not null.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_processYuv420888<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    y: JByteBuffer<'local>,
    y_row_stride: jint,
    u: JByteBuffer<'local>,
    u_row_stride: jint,
    u_pixel_stride: jint,
    v: JByteBuffer<'local>,
    v_row_stride: jint,
    v_pixel_stride: jint,
    width: jint,
    height: jint,
    rotation_degrees: jint,
    full_range: jboolean,
    redact: jboolean,
    scores_out: JFloatArray<'local>,
) -> jint {
    unowned_env
        .with_env(|env| -> Result<jint, JniError> {
            let filter = crate::handles::get(handle)?;
            check_scores_out(env, &scores_out)?;
            let planes = YuvPlanes {
                y: (&y, y_row_stride, 1),
                u: (&u, u_row_stride, u_pixel_stride),
                v: (&v, v_row_stride, v_pixel_stride),
            };
            // SAFETY: see `yuv_frame`; the three buffers are referenced for this whole call.
            let mut frame = unsafe { yuv_frame(env, &planes, width, height, rotation_degrees, full_range)? };
            classify(env, &filter, &mut frame, redact, &scores_out)
        })
        .resolve::<ThrowSafeFrameException>()
}

/// The three planes of a `YUV_420_888` image: each a direct buffer, its row stride and its
/// pixel stride.
struct YuvPlanes<'b, 'local> {
    y: (&'b JByteBuffer<'local>, jint, jint),
    u: (&'b JByteBuffer<'local>, jint, jint),
    v: (&'b JByteBuffer<'local>, jint, jint),
}

/// A `YUV_420_888` frame over three direct plane buffers, every size and stride checked against
/// the buffers' capacities; overlapping U and V views (one byte apart) become one NV12/NV21
/// chroma block.
///
/// # Safety
/// The returned frame borrows the buffers' memory for `'a`: the caller keeps the buffers
/// referenced (so the JVM keeps their memory alive and in place) for as long as it uses the
/// frame, and lets no other frame or slice alias them.
unsafe fn yuv_frame<'a>(
    env: &mut Env<'_>,
    planes: &YuvPlanes<'_, '_>,
    width: jint,
    height: jint,
    rotation_degrees: jint,
    full_range: jboolean,
) -> Result<FrameMut<'a>, JniError> {
    let width = non_negative(width, "width")?;
    let height = non_negative(height, "height")?;
    let strides = [
        non_negative(planes.y.1, "Y row stride")?,
        non_negative(planes.u.1, "U row stride")?,
        non_negative(planes.u.2, "U pixel stride")?,
        non_negative(planes.v.1, "V row stride")?,
        non_negative(planes.v.2, "V pixel stride")?,
    ]
    .map(|s| s as usize);
    let rotation = Rotation::from_degrees(rotation_degrees)?;
    let regions = [
        direct_region(env, planes.y.0, "Y")?,
        direct_region(env, planes.u.0, "U")?,
        direct_region(env, planes.v.0, "V")?,
    ];
    // SAFETY: each region is a direct buffer's memory, kept alive and in place by the JVM while
    // its `JByteBuffer` is referenced (the caller promises that for 'a, and that nothing else
    // aliases them). Java writing the buffers concurrently would race; the Kotlin wrapper
    // documents that callers must not.
    let frame = unsafe { yuv_frame_in(regions, strides, width, height)? };
    let range = if full_range == jni::sys::JNI_TRUE {
        YuvRange::Full
    } else {
        YuvRange::Limited
    };
    Ok(frame.with_rotation(rotation).with_yuv_color(YuvColor {
        range,
        ..YuvColor::default()
    }))
}

/// A `YUV_420_888` frame over three plane regions (Y, U, V), every size and stride (`[Y row,
/// U row, U pixel, V row, V pixel]`) checked against the regions' lengths before any byte is
/// touched; overlapping U and V views (one byte apart) become one NV12/NV21 chroma block.
///
/// # Safety
/// Each region's bytes are readable and writable for `'a`, and nothing outside the returned
/// frame touches them while it lives (the regions may overlap one another: the checks here
/// decide which overlaps are allowed).
unsafe fn yuv_frame_in<'a>(
    regions: [Region; 3],
    strides: [usize; 5],
    width: u32,
    height: u32,
) -> Result<FrameMut<'a>, SafeFrameError> {
    let [y, u, v] = regions;
    let [y_row, u_row, u_pixel, v_row, v_pixel] = strides;
    if y.overlaps(u) || y.overlaps(v) {
        return Err(SafeFrameError::invalid_argument("the Y plane overlaps a chroma plane"));
    }
    // SAFETY (for every `from_raw_parts_mut` below): the caller promises each region's bytes
    // are readable, writable and touched by nothing else for 'a; addresses are non-NULL and
    // lengths ≤ isize::MAX (checked by `Region::new`). The slices made never overlap: Y is
    // disjoint from U and V (checked above), and overlapping U and V become one slice of
    // their union. The frame constructors check every size and stride against the slice
    // lengths before a byte is touched.
    let y_data = unsafe { std::slice::from_raw_parts_mut(y.address, y.len) };
    let frame = if u.overlaps(v) {
        // Interleaved chroma: NV12 (U first) or NV21 (V first), one byte apart.
        let (first, format) = match v.address as isize - u.address as isize {
            1 => (u, PixelFormat::Nv12),
            -1 => (v, PixelFormat::Nv21),
            _ => {
                return Err(SafeFrameError::invalid_argument(
                    "the U and V planes overlap but are not one interleaved chroma block (addresses 1 byte apart)",
                ))
            }
        };
        if u_pixel != 2 || v_pixel != 2 || u_row != v_row {
            return Err(SafeFrameError::invalid_argument(format!(
                "interleaved U and V planes need pixel stride 2 and equal row strides (got U {u_row}/{u_pixel}, V {v_row}/{v_pixel})"
            )));
        }
        let len = u.end().max(v.end()) - first.address as usize;
        // SAFETY: see above: the union of the two overlapping chroma regions (both inside
        // direct buffers, `first` is the lower address), disjoint from `y_data`.
        let chroma = unsafe { std::slice::from_raw_parts_mut(first.address, len) };
        match format {
            PixelFormat::Nv12 => FrameMut::nv12(width, height, y_data, y_row, chroma, u_row)?,
            _ => FrameMut::nv21(width, height, y_data, y_row, chroma, u_row)?,
        }
    } else {
        let plane = |region: Region, row_stride, pixel_stride| PlaneMut {
            // SAFETY: see above: U and V do not overlap each other here, nor `y_data`.
            data: unsafe { std::slice::from_raw_parts_mut(region.address, region.len) },
            row_stride,
            pixel_stride,
        };
        FrameMut::yuv420_888(
            width,
            height,
            plane(y, y_row, 1),
            plane(u, u_row, u_pixel),
            plane(v, v_row, v_pixel),
        )?
    };
    Ok(frame)
}

/// `NativeFrames.release(handle)`: releases a handle from `SafeFrameFilter.directHandle()`.
/// Releasing an unknown or released handle throws.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_release<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    unowned_env
        .with_env(|_env| -> Result<(), JniError> {
            crate::handles::take(handle)?;
            Ok(())
        })
        .resolve::<ThrowSafeFrameException>()
}

/// Runs the stream on `frame` (timestamped), writes the scores the verdict was made from to
/// `scores_out` when it is not null, and returns the packed verdict. Never fails on a model
/// error: the stream counts it, reports it and blocks the frame (unless it fails open).
fn process_stream(
    env: &mut Env<'_>,
    stream: &StreamFilter,
    frame: FrameMut<'_>,
    timestamp_nanos: jlong,
    scores_out: &JFloatArray<'_>,
) -> Result<jint, JniError> {
    let mut frame = frame.with_timestamp_ns(timestamp_nanos);
    let verdict = stream.process(&mut frame);
    if !scores_out.is_null() {
        scores_out.set_region(env, 0, &verdict.scores.to_array())?;
    }
    Ok(pack(&verdict))
}

/// `NativeFrames.processStream(handle, buffer, width, height, rowStride, format,
/// rotationDegrees, timestampNanos, scoresOut)`: runs the stream filter (cadence, hysteresis,
/// redaction in place) on the packed frame in the direct `buffer`. Returns the packed verdict
/// in force (see `pack`); writes its scores to `scoresOut` when it is not null.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_processStream<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    buffer: JByteBuffer<'local>,
    width: jint,
    height: jint,
    row_stride: jint,
    format: jint,
    rotation_degrees: jint,
    timestamp_nanos: jlong,
    scores_out: JFloatArray<'local>,
) -> jint {
    unowned_env
        .with_env(|env| -> Result<jint, JniError> {
            let stream = crate::handles::STREAMS.get(handle)?;
            check_scores_out(env, &scores_out)?;
            let rotation = Rotation::from_degrees(rotation_degrees)?;
            // SAFETY: see `packed_frame`; `buffer` is referenced for this whole call.
            let frame = unsafe { packed_frame(env, &buffer, width, height, row_stride, format)? };
            process_stream(
                env,
                &stream,
                frame.with_rotation(rotation),
                timestamp_nanos,
                &scores_out,
            )
        })
        .resolve::<ThrowSafeFrameException>()
}

/// `NativeFrames.processStreamYuv420888(handle, y, yRowStride, u, uRowStride, uPixelStride, v,
/// vRowStride, vPixelStride, width, height, rotationDegrees, fullRange, timestampNanos,
/// scoresOut)`: runs the stream filter on a `YUV_420_888` image in its three direct plane
/// buffers, validated exactly as `processYuv420888` does; redaction happens in the planes.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_processStreamYuv420888<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    y: JByteBuffer<'local>,
    y_row_stride: jint,
    u: JByteBuffer<'local>,
    u_row_stride: jint,
    u_pixel_stride: jint,
    v: JByteBuffer<'local>,
    v_row_stride: jint,
    v_pixel_stride: jint,
    width: jint,
    height: jint,
    rotation_degrees: jint,
    full_range: jboolean,
    timestamp_nanos: jlong,
    scores_out: JFloatArray<'local>,
) -> jint {
    unowned_env
        .with_env(|env| -> Result<jint, JniError> {
            let stream = crate::handles::STREAMS.get(handle)?;
            check_scores_out(env, &scores_out)?;
            let planes = YuvPlanes {
                y: (&y, y_row_stride, 1),
                u: (&u, u_row_stride, u_pixel_stride),
                v: (&v, v_row_stride, v_pixel_stride),
            };
            // SAFETY: see `yuv_frame`; the three buffers are referenced for this whole call.
            let frame = unsafe { yuv_frame(env, &planes, width, height, rotation_degrees, full_range)? };
            process_stream(env, &stream, frame, timestamp_nanos, &scores_out)
        })
        .resolve::<ThrowSafeFrameException>()
}

/// The number of counters `NativeFrames.streamCounters` writes.
const STREAM_COUNTERS: usize = 11;

/// `NativeFrames.streamCounters(handle, out)`: writes the stream's 11 counters (frames,
/// classified, blurred, blocked, errors, samplesDropped, hashed, knownMatches, secondOpinions,
/// held, reused) to `out`.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_streamCounters<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
    out: JLongArray<'local>,
) {
    unowned_env
        .with_env(|env| -> Result<(), JniError> {
            let stream = crate::handles::STREAMS.get(handle)?;
            if out.is_null() || out.len(env)? < STREAM_COUNTERS {
                return Err(SafeFrameError::invalid_argument(format!(
                    "the counters array must hold at least {STREAM_COUNTERS} longs"
                ))
                .into());
            }
            let c = stream.counters();
            let values: [i64; STREAM_COUNTERS] = [
                c.frames,
                c.classified,
                c.blurred,
                c.blocked,
                c.errors,
                c.samples_dropped,
                c.hashed,
                c.known_matches,
                c.second_opinions,
                c.held,
                c.reused,
            ]
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX));
            out.set_region(env, 0, &values)?;
            Ok(())
        })
        .resolve::<ThrowSafeFrameException>()
}

/// `NativeFrames.releaseStream(handle)`: releases a handle from
/// `SafeFrameStream.directHandle()`. Releasing an unknown or released handle throws.
#[no_mangle]
pub extern "system" fn Java_dev_safeframe_NativeFrames_releaseStream<'local>(
    mut unowned_env: EnvUnowned<'local>,
    _class: JClass<'local>,
    handle: jlong,
) {
    unowned_env
        .with_env(|_env| -> Result<(), JniError> {
            crate::handles::STREAMS.take(handle)?;
            Ok(())
        })
        .resolve::<ThrowSafeFrameException>()
}

#[cfg(test)]
mod tests {
    //! The region checks of the zero-copy path without a JVM: direct buffers are stood in for by
    //! parts of Rust allocations. They run under Miri (`scripts/miri`), which reports any
    //! out-of-bounds or aliasing access made through the slices built from raw addresses.

    use safeframe::redactor::Redactor;

    use super::*;

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
        // SAFETY (every call): regions inside `buffer`, untouched by anything else while the
        // frame lives.
        Redactor::block(&mut unsafe { packed_frame_in(region(base, 1, 18), 2, 2, 10, PixelFormat::Rgba8) }.unwrap());
        let black = [0, 0, 0, 255, 0, 0, 0, 255];
        assert_eq!(buffer[1..9], black);
        assert_eq!(buffer[11..19], black);
        for i in [0, 9, 10, 19] {
            assert_eq!(buffer[i], 0x55, "byte {i} is not part of the frame");
        }
        let base = buffer.as_mut_ptr();
        assert!(is_invalid_frame(unsafe {
            packed_frame_in(region(base, 1, 17), 2, 2, 10, PixelFormat::Rgba8)
        }));
        assert!(is_invalid_frame(unsafe {
            packed_frame_in(region(base, 0, 20), 2, 2, 7, PixelFormat::Rgba8)
        }));
    }

    /// A 4×2 `YUV_420_888` image laid out as Android cameras do: Y (stride 4) at 0..8, a guard
    /// byte, then one interleaved chroma row of 4 bytes at 9..13 seen as two views one byte
    /// apart (3 bytes each), and a guard byte. `v_first` gives NV21 order. Returns the result
    /// of blocking the frame, or the error.
    fn interleaved(v_first: bool, strides: [usize; 5]) -> Result<Vec<u8>, SafeFrameError> {
        let mut buffer = vec![0x55u8; 14];
        let base = buffer.as_mut_ptr();
        let (u_at, v_at) = if v_first { (10, 9) } else { (9, 10) };
        let regions = [region(base, 0, 8), region(base, u_at, 3), region(base, v_at, 3)];
        // SAFETY: the regions lie inside `buffer`, untouched by anything else while the frame
        // lives; `yuv_frame_in` decides which overlaps are allowed.
        Redactor::block(&mut unsafe { yuv_frame_in(regions, strides, 4, 2) }?);
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
        // Interleaved views need pixel stride 2 and one row stride.
        assert!(is_invalid_argument(interleaved(false, [4, 4, 1, 4, 2])));
        assert!(is_invalid_argument(interleaved(true, [4, 4, 2, 6, 2])));
        // Sizes and strides are checked against the views: a Y stride of 5 needs 9 bytes.
        assert!(is_invalid_frame(interleaved(false, [5, 4, 2, 4, 2])));
    }

    #[test]
    fn separate_planes_become_a_yuv420_888_frame_written_only_inside_them() {
        for (pixel_stride, chroma_len) in [(1usize, 2usize), (2, 3)] {
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
            let strides = [4, 4, pixel_stride, 4, pixel_stride];
            // SAFETY: three separate allocations, untouched by anything else while the frame
            // lives.
            Redactor::block(&mut unsafe { yuv_frame_in(regions, strides, 4, 2) }.unwrap());
            assert_eq!((y[..8].to_vec(), y[8]), (vec![16; 8], 0x55));
            for chroma in [&u, &v] {
                let written: Vec<u8> = chroma[..chroma_len].iter().step_by(pixel_stride).copied().collect();
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
            assert!(is_invalid_frame(unsafe { yuv_frame_in(regions, strides, 4, 2) }));
        }
    }

    #[test]
    fn overlapping_planes_that_are_not_one_chroma_block_are_refused_before_a_slice_is_made() {
        let mut buffer = vec![0x55u8; 16];
        let base = buffer.as_mut_ptr();
        let strides = [4, 4, 2, 4, 2];
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
            assert!(is_invalid_argument(unsafe { yuv_frame_in(regions, strides, 4, 2) }));
        }
        assert!(buffer.iter().all(|&b| b == 0x55));
    }
}
