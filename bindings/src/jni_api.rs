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
//! Phase 2 adds the three-plane `YUV_420_888` entry point once the core reads YUV frames.

use jni::errors::ErrorPolicy;
use jni::objects::{JByteBuffer, JClass, JFloatArray};
use jni::sys::{jboolean, jint, jlong};
use jni::{Env, EnvUnowned};
use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::policy::Verdict;

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
/// the category + 1 (0: none).
fn pack(verdict: &Verdict) -> jint {
    let category = verdict.category.map_or(0, |c| c as jint + 1);
    crate::c_api::action_code(verdict.action) | (category << 8)
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
            let width = non_negative(width, "width")?;
            let height = non_negative(height, "height")?;
            let stride = non_negative(row_stride, "row stride")? as usize;
            let format = pixel_format(format)?;
            if !scores_out.is_null() && scores_out.len(env)? < 5 {
                return Err(SafeFrameError::invalid_argument("scoresOut must hold at least 5 floats").into());
            }
            if buffer.is_null() {
                return Err(SafeFrameError::invalid_argument("buffer is null").into());
            }
            let address = env.get_direct_buffer_address(&buffer).map_err(|_| {
                SafeFrameError::invalid_argument(
                    "buffer is not a direct ByteBuffer; allocate it with ByteBuffer.allocateDirect (camera planes are direct)",
                )
            })?;
            let capacity = env.get_direct_buffer_capacity(&buffer)?;
            if address.is_null() || capacity > isize::MAX as usize {
                return Err(SafeFrameError::invalid_argument("buffer has no usable memory").into());
            }
            // SAFETY: `address` and `capacity` describe the direct buffer's memory, which the JVM
            // keeps alive and in place while `buffer` is referenced (it is, for this whole call).
            // The address is non-NULL and the capacity ≤ isize::MAX (checked above).
            // `FrameMut::new` checks width, height and stride against `capacity` before any byte
            // is touched. Java code writing the buffer concurrently would race; the Kotlin
            // wrapper documents that the caller must not.
            let data = unsafe { std::slice::from_raw_parts_mut(address, capacity) };
            let mut frame = FrameMut::new(data, width, height, stride, format)?;
            let verdict = if redact == jni::sys::JNI_TRUE {
                filter.filter(&mut frame)?
            } else {
                filter.check(&frame.as_frame())?
            };
            if !scores_out.is_null() {
                scores_out.set_region(env, 0, &verdict.scores.to_array())?;
            }
            Ok(pack(&verdict))
        })
        .resolve::<ThrowSafeFrameException>()
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
