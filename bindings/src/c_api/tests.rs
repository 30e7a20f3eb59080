//! The C ABI's pointer and length checks, without a model: they run under Miri
//! (`scripts/miri`), which reports any out-of-bounds, unaligned or aliasing access the unsafe
//! code makes on the way.

use std::ffi::{c_char, CStr};
use std::ptr;

use safeframe::redactor::Redactor;

use super::*;

/// The message and code of this thread's last error.
fn last_error() -> (Option<String>, i32) {
    let message = safeframe_last_error();
    let message = (!message.is_null()).then(|| {
        // SAFETY: a non-NULL last error is a NUL-terminated string valid until the next call.
        unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned()
    });
    (message, safeframe_last_error_code())
}

#[test]
fn null_and_oversized_pixel_buffers_are_refused_before_a_slice_is_made() {
    let byte = 0u8;
    assert!(check_buffer(&byte, 1).is_ok());
    assert!(check_buffer(&byte, isize::MAX as usize).is_ok());
    let err = check_buffer(ptr::null(), 4).unwrap_err();
    assert_eq!(err.code(), SAFEFRAME_ERROR_INVALID_ARGUMENT);
    assert!(err.to_string().contains("pixels is NULL"), "{err}");
    let err = check_buffer(&byte, isize::MAX as usize + 1).unwrap_err();
    assert_eq!(err.code(), SAFEFRAME_ERROR_INVALID_ARGUMENT);
}

#[test]
fn string_arguments_are_checked_for_null_and_utf8() {
    // SAFETY (all three calls): NULL or NUL-terminated strings that outlive the call.
    assert_eq!(unsafe { c_str(c"child".as_ptr(), "policy") }.unwrap(), "child");
    let err = unsafe { c_str(ptr::null(), "policy") }.unwrap_err();
    assert!(err.to_string().contains("policy is NULL"), "{err}");
    let latin1 = [0xE9u8, 0];
    let err = unsafe { c_str(latin1.as_ptr().cast::<c_char>(), "pack_dir") }.unwrap_err();
    assert!(err.to_string().contains("pack_dir is not UTF-8"), "{err}");
}

#[test]
fn verdicts_are_written_unaligned_and_never_through_null() {
    let verdict = SafeFrameVerdict {
        action: SAFEFRAME_ACTION_BLUR,
        category: SAFEFRAME_CATEGORY_PORN,
        scores: [0.0, 0.1, 0.2, 0.6, 0.1],
        rule: 2,
    };
    write_verdict(ptr::null_mut(), verdict);
    // A verdict at an odd address inside a byte buffer, as a packed C struct could place it.
    let size = std::mem::size_of::<SafeFrameVerdict>();
    let mut bytes = vec![0xAAu8; size + 2];
    write_verdict(bytes[1..].as_mut_ptr().cast::<SafeFrameVerdict>(), verdict);
    // SAFETY: `size` initialised bytes at offset 1; `read_unaligned` needs no alignment.
    let back = unsafe { bytes[1..].as_ptr().cast::<SafeFrameVerdict>().read_unaligned() };
    assert_eq!(back, verdict);
    assert_eq!((bytes[0], bytes[size + 1]), (0xAA, 0xAA), "wrote outside the verdict");
}

#[test]
fn calls_with_a_null_filter_fail_with_invalid_argument_and_touch_nothing() {
    let mut pixels = [7u8; 2 * 2 * 4];
    let mut verdict = SafeFrameVerdict {
        action: -9,
        category: -9,
        scores: [9.0; 5],
        rule: -9,
    };
    let before = verdict;
    // SAFETY: a NULL filter; `pixels` holds `len` bytes; `verdict` is writable.
    let status = unsafe {
        safeframe_check(
            ptr::null(),
            pixels.as_ptr(),
            pixels.len(),
            2,
            2,
            8,
            SAFEFRAME_FORMAT_RGBA8,
            &mut verdict,
        )
    };
    assert_eq!(status, SAFEFRAME_ERROR_INVALID_ARGUMENT);
    assert_eq!(
        last_error(),
        (Some("filter is NULL".into()), SAFEFRAME_ERROR_INVALID_ARGUMENT)
    );
    // SAFETY: as above, with writable pixels.
    let status = unsafe {
        safeframe_filter_in_place(
            ptr::null(),
            pixels.as_mut_ptr(),
            pixels.len(),
            2,
            2,
            8,
            SAFEFRAME_FORMAT_RGBA8,
            &mut verdict,
        )
    };
    assert_eq!(status, SAFEFRAME_ERROR_INVALID_ARGUMENT);
    let (mut y, mut uv) = ([0u8; 4], [128u8; 2]);
    // SAFETY: as above; two disjoint planes of the lengths given.
    let status = unsafe {
        safeframe_filter_nv12_in_place(
            ptr::null(),
            y.as_mut_ptr(),
            y.len(),
            2,
            uv.as_mut_ptr(),
            uv.len(),
            2,
            2,
            2,
            0,
            false,
            &mut verdict,
        )
    };
    assert_eq!(status, SAFEFRAME_ERROR_INVALID_ARGUMENT);
    assert_eq!(verdict, before);
    assert_eq!(pixels, [7; 16]);
    assert_eq!((y, uv), ([0; 4], [128; 2]));
    // SAFETY: NULL is ignored.
    unsafe { safeframe_filter_free(ptr::null_mut()) };
    assert_eq!(last_error(), (None, SAFEFRAME_OK));
}

#[test]
fn filters_fail_on_bad_strings_and_presets_before_any_model_is_loaded() {
    // SAFETY: NULL or NUL-terminated strings.
    let filter = unsafe { safeframe_filter_new(ptr::null(), c"child".as_ptr(), false, 1) };
    assert!(filter.is_null());
    assert_eq!(last_error().1, SAFEFRAME_ERROR_INVALID_ARGUMENT);
    // SAFETY: as above.
    let filter = unsafe { safeframe_filter_new(c"no-such-pack".as_ptr(), c"strict".as_ptr(), false, 1) };
    assert!(filter.is_null());
    assert_eq!(last_error().1, SAFEFRAME_ERROR_UNKNOWN_PRESET);
    // SAFETY: as above.
    let filter =
        unsafe { safeframe_filter_new_with_provider(c"no-such-pack".as_ptr(), c"child".as_ptr(), false, 1, 99, false) };
    assert!(filter.is_null());
    assert_eq!(last_error().1, SAFEFRAME_ERROR_INVALID_ARGUMENT);
    assert!(safeframe_filter_from_handle(-1).is_null());
    assert_eq!(last_error().1, SAFEFRAME_ERROR_INVALID_ARGUMENT);
}

#[test]
fn a_panic_becomes_an_internal_error_and_the_last_error_clears_on_success() {
    let result: Result<(), _> = guarded(|| panic!("boom"));
    assert_eq!(result.unwrap_err().code(), SAFEFRAME_ERROR_INTERNAL);
    let (message, code) = last_error();
    assert_eq!(code, SAFEFRAME_ERROR_INTERNAL);
    assert!(message.is_some_and(|m| m.contains("boom")));
    // An interior NUL cannot reach C: the message is cut there.
    let _ = guarded::<()>(|| Err(SafeFrameError::invalid_argument("before\0after")));
    assert_eq!(last_error().0.as_deref(), Some("before"));
    assert!(guarded(|| Ok(())).is_ok());
    assert_eq!(last_error(), (None, SAFEFRAME_OK));
}

#[test]
fn version_is_a_static_c_string() {
    // SAFETY: `safeframe_version` returns a static NUL-terminated string.
    let version = unsafe { CStr::from_ptr(safeframe_version()) };
    assert_eq!(version.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

/// `nv12_frame` over `y_len`/`uv_len` bytes at the given offsets of one buffer of `total` bytes
/// (the shape of an iOS `CVPixelBuffer`, whose planes share one allocation): the error code,
/// or the buffer after blocking the frame in place.
fn nv12_in_one_buffer(
    total: usize,
    (y_at, y_len, y_stride): (usize, usize, usize),
    (uv_at, uv_len, uv_stride): (usize, usize, usize),
    (width, height): (u32, u32),
) -> Result<Vec<u8>, i32> {
    let mut buffer = vec![0x55u8; total];
    let base = buffer.as_mut_ptr();
    // SAFETY: both planes lie inside `buffer` (the callers' offsets and lengths), which nothing
    // else touches while the frame lives; `nv12_frame` refuses overlapping planes itself.
    let frame = unsafe {
        nv12_frame(
            base.add(y_at),
            y_len,
            y_stride,
            base.add(uv_at),
            uv_len,
            uv_stride,
            width,
            height,
            90,
            true,
        )
    };
    Redactor::block(&mut frame.map_err(|e| e.code())?);
    Ok(buffer)
}

#[test]
fn nv12_planes_in_one_buffer_are_checked_for_overlap_and_geometry() {
    // 4×2: Y is 2 rows of stride 5, UV 1 row of stride 6 (4 bytes used), one guard byte
    // between the planes and after them.
    let y = (0, 10, 5);
    let uv = (11, 6, 6);
    let blocked = nv12_in_one_buffer(18, y, uv, (4, 2)).unwrap();
    // Full range: black Y is 0, neutral chroma 128; strides' padding and guards untouched.
    assert_eq!(blocked[..4], [0; 4]);
    assert_eq!(blocked[5..9], [0; 4]);
    assert_eq!(blocked[11..15], [128; 4]);
    for i in [4, 9, 10, 15, 16, 17] {
        assert_eq!(blocked[i], 0x55, "byte {i} is not part of the frame");
    }
    // Planes that touch without overlapping are fine.
    assert!(nv12_in_one_buffer(16, (0, 10, 5), (10, 6, 6), (4, 2)).is_ok());
    // Overlaps, by one byte on either side, or one plane inside the other.
    for (y, uv) in [
        ((0, 10, 5), (9, 6, 6)),
        ((6, 10, 5), (0, 7, 6)),
        ((0, 16, 5), (10, 6, 6)),
        ((2, 10, 5), (0, 16, 6)),
    ] {
        assert_eq!(
            nv12_in_one_buffer(20, y, uv, (4, 2)),
            Err(SAFEFRAME_ERROR_INVALID_ARGUMENT),
            "{y:?} {uv:?}"
        );
    }
    // Short planes (the last row needs no padding: 9 Y bytes are enough) and strides are
    // refused before a byte is touched.
    assert!(nv12_in_one_buffer(18, (0, 9, 5), uv, (4, 2)).is_ok());
    assert_eq!(
        nv12_in_one_buffer(18, (0, 8, 5), uv, (4, 2)),
        Err(SAFEFRAME_ERROR_INVALID_FRAME)
    );
    assert_eq!(
        nv12_in_one_buffer(18, y, (11, 3, 6), (4, 2)),
        Err(SAFEFRAME_ERROR_INVALID_FRAME)
    );
    assert_eq!(
        nv12_in_one_buffer(18, (0, 10, 3), uv, (4, 2)),
        Err(SAFEFRAME_ERROR_INVALID_FRAME)
    );
}

#[test]
fn nv12_planes_must_be_non_null_and_rotations_right_angles() {
    let (mut y, mut uv) = ([0u8; 4], [0u8; 2]);
    // SAFETY (every call): NULL or the two disjoint arrays above with their lengths.
    let null_y = unsafe { nv12_frame(ptr::null_mut(), 4, 2, uv.as_mut_ptr(), 2, 2, 2, 2, 0, false) };
    assert!(null_y.is_err_and(|e| e.to_string().contains("pixels is NULL")));
    let null_uv = unsafe { nv12_frame(y.as_mut_ptr(), 4, 2, ptr::null_mut(), 2, 2, 2, 2, 0, false) };
    assert!(null_uv.is_err_and(|e| e.code() == SAFEFRAME_ERROR_INVALID_ARGUMENT));
    let huge = unsafe { nv12_frame(y.as_mut_ptr(), usize::MAX, 2, uv.as_mut_ptr(), 2, 2, 2, 2, 0, false) };
    assert!(huge.is_err_and(|e| e.code() == SAFEFRAME_ERROR_INVALID_ARGUMENT));
    let tilted = unsafe { nv12_frame(y.as_mut_ptr(), 4, 2, uv.as_mut_ptr(), 2, 2, 2, 2, 45, false) };
    assert!(tilted.is_err());
}
