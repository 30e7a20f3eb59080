//! The C ABI's pointer and length checks, without a model: they run under Miri
//! (`scripts/miri`), which reports any out-of-bounds, unaligned or aliasing access the unsafe
//! code makes on the way.

use std::ffi::{c_char, CStr};
use std::ptr;

use safeframe::frame::PixelFormat;
use safeframe::redactor::Redactor;
use safeframe::stream::StreamSettings;

use super::frame::check_buffer;
use super::stream::stream_settings;
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

const INVALID_ARGUMENT: i32 = ErrorKind::InvalidArgument.code();
const INVALID_FRAME: i32 = ErrorKind::InvalidFrame.code();

fn plane(data: *mut u8, len: usize, row_stride: i32, pixel_stride: i32) -> SafeFramePlane {
    SafeFramePlane {
        data,
        len,
        row_stride,
        pixel_stride,
    }
}

/// A frame description with no planes, no rotation, crop or timestamp.
fn frame(width: i32, height: i32, format: PixelFormat, planes: &[SafeFramePlane]) -> SafeFrameFrame {
    let mut all = [plane(ptr::null_mut(), 0, 0, 0); 3];
    all[..planes.len()].copy_from_slice(planes);
    SafeFrameFrame {
        width,
        height,
        format: format.code(),
        rotation_degrees: 0,
        planes: all,
        plane_count: planes.len() as i32,
        crop_x: 0,
        crop_y: 0,
        crop_width: 0,
        crop_height: 0,
        timestamp_ns: 0,
        has_timestamp: false,
        full_range: false,
    }
}

/// `frame` blocked in place through the C door's checks: the error code, or `Ok`.
fn block(frame: &SafeFrameFrame) -> Result<(), i32> {
    // SAFETY: the callers' frames point into buffers they own and nothing else touches.
    let described = unsafe { super::frame::read(frame) }.map_err(|e| e.code())?;
    // SAFETY: as above.
    let mut view = unsafe { described.frame_mut() }.map_err(|e| e.code())?;
    Redactor::block(&mut view);
    Ok(())
}

#[test]
fn null_and_oversized_pixel_buffers_are_refused_before_a_slice_is_made() {
    let byte = 0u8;
    assert!(check_buffer(&byte, 1, 0).is_ok());
    assert!(check_buffer(&byte, isize::MAX as usize, 0).is_ok());
    let err = check_buffer(ptr::null(), 4, 1).unwrap_err();
    assert_eq!(err.code(), INVALID_ARGUMENT);
    assert!(err.to_string().contains("planes[1].data is NULL"), "{err}");
    let err = check_buffer(&byte, isize::MAX as usize + 1, 0).unwrap_err();
    assert_eq!(err.code(), INVALID_ARGUMENT);
}

#[test]
fn string_arguments_are_checked_for_null_and_utf8() {
    // SAFETY: a NUL-terminated literal that outlives the call.
    assert_eq!(unsafe { c_str(c"child".as_ptr(), "policy") }.unwrap(), "child");
    // SAFETY: NULL is allowed (and refused with an error).
    let err = unsafe { c_str(ptr::null(), "policy") }.unwrap_err();
    assert!(err.to_string().contains("policy is NULL"), "{err}");
    let latin1 = [0xE9u8, 0];
    // SAFETY: a NUL-terminated array that outlives the call.
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
fn calls_with_a_null_filter_fail_with_invalid_argument_say_block_and_touch_nothing() {
    let mut pixels = [7u8; 2 * 2 * 4];
    let mut verdict = SafeFrameVerdict {
        action: -9,
        category: -9,
        scores: [9.0; 5],
        rule: -9,
    };
    let blocked = SafeFrameVerdict::from(Verdict::fail_closed());
    let rgba = frame(
        2,
        2,
        PixelFormat::Rgba8,
        &[plane(pixels.as_mut_ptr(), pixels.len(), 8, 0)],
    );
    // SAFETY: a NULL filter; the frame's plane holds `len` bytes; `verdict` is writable.
    let status = unsafe { safeframe_check_frame(ptr::null(), &rgba, &mut verdict) };
    assert_eq!(status, INVALID_ARGUMENT);
    assert_eq!(last_error(), (Some("filter is NULL".into()), INVALID_ARGUMENT));
    assert_eq!(verdict, blocked, "no filter: the verdict says block");
    verdict.action = -9;
    // SAFETY: as above, with writable pixels.
    let status = unsafe { safeframe_filter_frame_in_place(ptr::null(), &rgba, &mut verdict) };
    assert_eq!(status, INVALID_ARGUMENT);
    assert_eq!(verdict, blocked);
    let (mut y, mut uv) = ([0u8; 4], [128u8; 2]);
    let nv12 = frame(
        2,
        2,
        PixelFormat::Nv12,
        &[
            plane(y.as_mut_ptr(), y.len(), 2, 0),
            plane(uv.as_mut_ptr(), uv.len(), 2, 0),
        ],
    );
    verdict.action = -9;
    // SAFETY: as above; two disjoint planes of the lengths given.
    let status = unsafe { safeframe_filter_frame_in_place(ptr::null(), &nv12, &mut verdict) };
    assert_eq!(status, INVALID_ARGUMENT);
    assert_eq!(verdict, blocked);
    verdict.action = -9;
    // SAFETY: as above; a NULL stream.
    let status = unsafe { safeframe_stream_process_frame_in_place(ptr::null(), &nv12, &mut verdict) };
    assert_eq!(
        (status, last_error().0.as_deref()),
        (INVALID_ARGUMENT, Some("stream is NULL"))
    );
    assert_eq!(verdict, blocked);
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
    assert_eq!(last_error().1, INVALID_ARGUMENT);
    // SAFETY: as above.
    let filter = unsafe { safeframe_filter_new(c"no-such-pack".as_ptr(), c"strict".as_ptr(), false, 1) };
    assert!(filter.is_null());
    assert_eq!(last_error().1, ErrorKind::UnknownPreset.code());
    // SAFETY: as above.
    let filter =
        unsafe { safeframe_filter_new_with_provider(c"no-such-pack".as_ptr(), c"child".as_ptr(), false, 1, 99, false) };
    assert!(filter.is_null());
    assert_eq!(last_error().1, INVALID_ARGUMENT);
    assert!(safeframe_filter_from_handle(-1).is_null());
    assert_eq!(last_error().1, INVALID_ARGUMENT);
    assert!(safeframe_stream_from_handle(-1).is_null());
    assert_eq!(last_error().1, INVALID_ARGUMENT);
}

#[test]
fn a_panic_becomes_an_internal_error_and_the_last_error_clears_on_success() {
    let result: Result<(), _> = guarded(|| panic!("boom"));
    assert_eq!(result.unwrap_err().code(), ErrorKind::Internal.code());
    let (message, code) = last_error();
    assert_eq!(code, ErrorKind::Internal.code());
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

#[test]
fn c_status_codes_become_the_error_of_their_kind() {
    assert_eq!(throw_c_status(SAFEFRAME_OK, "unused".into()), Ok(()));
    for &(kind, code) in ErrorKind::ALL {
        let error = throw_c_status(code, "m".into()).unwrap_err();
        assert_eq!((error.kind(), error.message()), (kind, "m"));
    }
    assert_eq!(throw_c_status(999, "m".into()).unwrap_err().kind(), ErrorKind::Internal);
}

/// An NV12 frame over `y_len`/`uv_len` bytes at the given offsets of one buffer of `total`
/// bytes (the shape of an iOS `CVPixelBuffer`, whose planes share one allocation): the error
/// code, or the buffer after blocking the frame in place.
fn nv12_in_one_buffer(
    total: usize,
    (y_at, y_len, y_stride): (usize, usize, i32),
    (uv_at, uv_len, uv_stride): (usize, usize, i32),
    (width, height): (i32, i32),
) -> Result<Vec<u8>, i32> {
    let mut buffer = vec![0x55u8; total];
    let base = buffer.as_mut_ptr();
    // SAFETY: both offsets lie inside `buffer` (the callers' offsets).
    let (y, uv) = unsafe { (base.add(y_at), base.add(uv_at)) };
    let mut nv12 = frame(
        width,
        height,
        PixelFormat::Nv12,
        &[plane(y, y_len, y_stride, 0), plane(uv, uv_len, uv_stride, 0)],
    );
    nv12.rotation_degrees = 90;
    nv12.full_range = true;
    block(&nv12)?;
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
            Err(INVALID_ARGUMENT),
            "{y:?} {uv:?}"
        );
    }
    // Short planes (the last row needs no padding: 9 Y bytes are enough) and strides are
    // refused before a byte is touched.
    assert!(nv12_in_one_buffer(18, (0, 9, 5), uv, (4, 2)).is_ok());
    assert_eq!(nv12_in_one_buffer(18, (0, 8, 5), uv, (4, 2)), Err(INVALID_FRAME));
    assert_eq!(nv12_in_one_buffer(18, y, (11, 3, 6), (4, 2)), Err(INVALID_FRAME));
    assert_eq!(nv12_in_one_buffer(18, (0, 10, 3), uv, (4, 2)), Err(INVALID_FRAME));
}

#[test]
fn nv12_planes_must_be_non_null_and_rotations_right_angles() {
    let (mut y, mut uv) = ([0u8; 4], [0u8; 2]);
    let (yp, uvp) = (y.as_mut_ptr(), uv.as_mut_ptr());
    let nv12 = |y: SafeFramePlane, uv: SafeFramePlane| frame(2, 2, PixelFormat::Nv12, &[y, uv]);
    // SAFETY: NULL (refused) or the UV array above with its length.
    let null_y = unsafe { super::frame::read(&nv12(plane(ptr::null_mut(), 4, 2, 0), plane(uvp, 2, 2, 0))) };
    assert!(null_y.is_err_and(|e| e.to_string().contains("planes[0].data is NULL")));
    // SAFETY: the Y array above with its length, or NULL (refused).
    let null_uv = unsafe { super::frame::read(&nv12(plane(yp, 4, 2, 0), plane(ptr::null_mut(), 2, 2, 0))) };
    assert!(null_uv.is_err_and(|e| e.code() == INVALID_ARGUMENT));
    // SAFETY: a length over isize::MAX is refused before any slice is made from it.
    let huge = unsafe { super::frame::read(&nv12(plane(yp, usize::MAX, 2, 0), plane(uvp, 2, 2, 0))) };
    assert!(huge.is_err_and(|e| e.code() == INVALID_ARGUMENT));
    let mut tilted = nv12(plane(yp, 4, 2, 0), plane(uvp, 2, 2, 0));
    tilted.rotation_degrees = 45;
    assert_eq!(block(&tilted), Err(INVALID_FRAME));
    // SAFETY: NULL.
    let none = unsafe { super::frame::read(ptr::null()) };
    assert!(none.is_err_and(|e| e.to_string() == "frame is NULL"));
}

#[test]
fn one_buffer_may_hold_every_plane_and_the_plane_count_is_bounded() {
    // I420 4×2 in one buffer: 8 bytes of Y, 2 of U, 2 of V; planes 1 and 2 without data.
    let mut bytes = [0x33u8; 12];
    let mut i420 = frame(
        4,
        2,
        PixelFormat::I420,
        &[
            plane(bytes.as_mut_ptr(), bytes.len(), 4, 0),
            plane(ptr::null_mut(), 0, 2, 0),
            plane(ptr::null_mut(), 0, 2, 0),
        ],
    );
    i420.full_range = true;
    assert_eq!(block(&i420), Ok(()));
    assert_eq!(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 128, 128, 128, 128]);
    // Only one of the later planes without data: the other is a NULL pointer.
    i420.planes[2].data = bytes.as_mut_ptr();
    i420.planes[2].len = 2;
    assert_eq!(block(&i420), Err(INVALID_ARGUMENT));
    for count in [-1, 4] {
        i420.plane_count = count;
        assert_eq!(block(&i420), Err(INVALID_ARGUMENT), "plane_count {count}");
        assert!(last_error_of(&i420).contains(&format!("plane_count {count}")));
    }
    // Too few planes for the format, and an unknown format, are the core's frame errors.
    i420.plane_count = 2;
    assert_eq!(block(&i420), Err(INVALID_FRAME));
    i420.plane_count = 3;
    i420.format = 99;
    assert_eq!(block(&i420), Err(INVALID_FRAME));
}

fn last_error_of(frame: &SafeFrameFrame) -> String {
    // SAFETY: the frame's buffers are the caller's, alive for the call.
    unsafe { super::frame::read(frame) }.map_or_else(|e| e.to_string(), |_| String::new())
}

#[test]
fn a_frame_is_read_unaligned_with_any_byte_in_its_bools() {
    let mut pixels = [200u8; 2 * 2 * 3];
    let mut rgb = frame(
        2,
        2,
        PixelFormat::Rgb8,
        &[plane(pixels.as_mut_ptr(), pixels.len(), 6, 0)],
    );
    rgb.crop_width = 1;
    rgb.crop_height = 1;
    let size = std::mem::size_of::<SafeFrameFrame>();
    let mut bytes = vec![0u8; size + 1];
    // SAFETY: `size` writable bytes at offset 1; `write_unaligned` needs no alignment.
    unsafe { bytes[1..].as_mut_ptr().cast::<SafeFrameFrame>().write_unaligned(rgb) };
    // `has_timestamp` as C code may leave it: 2 reads as true.
    bytes[1 + std::mem::offset_of!(SafeFrameFrame, has_timestamp)] = 2;
    // SAFETY: a readable `SafeFrameFrame` at an odd address; its plane is `pixels`.
    let described = unsafe { super::frame::read(bytes[1..].as_ptr().cast::<SafeFrameFrame>()) }.unwrap();
    // SAFETY: `pixels` is alive and untouched while the frame lives.
    let view = unsafe { described.frame() }.unwrap();
    assert_eq!(view.timestamp_ns(), Some(0));
    assert_eq!(view.crop().map(|c| (c.width, c.height)), Some((1, 1)));
    // A crop outside the frame is the core's error.
    rgb.crop_x = 5;
    assert_eq!(block(&rgb), Err(INVALID_FRAME));
}

#[test]
fn stream_configs_convert_to_the_cores_settings_and_defaults() {
    let config = safeframe_stream_config_default();
    assert_eq!(stream_settings(&config).unwrap(), StreamSettings::default());
    let bad = SafeFrameStreamConfig { cadence: 7, ..config };
    assert!(stream_settings(&bad)
        .unwrap_err()
        .to_string()
        .contains("unknown cadence 7"));
    let bad = SafeFrameStreamConfig { hold: 9, ..config };
    assert!(stream_settings(&bad).unwrap_err().to_string().contains("`hold`"));
}

#[test]
fn filter_options_read_their_string_arrays_and_refuse_null_arrays_with_a_count() {
    // NULL options are the defaults.
    // SAFETY: NULL is allowed.
    let defaults = unsafe { filter_options(ptr::null()) }.unwrap();
    assert!(defaults.trusted_keys.is_empty() && defaults.revoked_keys.is_empty());
    assert_eq!((defaults.min_version, defaults.allow_unsigned), (None, false));

    let keys = [c"ed25519:00".as_ptr(), c"e8172e50b53d6972".as_ptr()];
    let mut options = safeframe_filter_options_default();
    options.trusted_keys = keys.as_ptr();
    options.trusted_key_count = 1;
    options.revoked_keys = keys[1..].as_ptr();
    options.revoked_key_count = 1;
    options.min_version = c"2.0.0".as_ptr();
    // Read unaligned: the struct may sit anywhere in the caller's memory.
    let mut bytes = vec![0u8; std::mem::size_of::<SafeFrameFilterOptions>() + 1];
    let unaligned = bytes[1..].as_mut_ptr().cast::<SafeFrameFilterOptions>();
    // SAFETY: `bytes` holds one struct after its first byte; written unaligned.
    unsafe { unaligned.write_unaligned(options) };
    // SAFETY: a readable struct whose pointers are valid strings for this call.
    let read = unsafe { filter_options(unaligned) }.unwrap();
    assert_eq!(read.trusted_keys, ["ed25519:00"]);
    assert_eq!(read.revoked_keys, ["e8172e50b53d6972"]);
    assert_eq!(read.min_version.as_deref(), Some("2.0.0"));

    // A count with a NULL array, a NULL string inside the array, and an absurd count are refused.
    options.min_version = ptr::null();
    options.trusted_keys = ptr::null();
    // SAFETY: the array is NULL (refused before it is read).
    let error = unsafe { filter_options(&options) }.unwrap_err();
    assert_eq!(error.code(), INVALID_ARGUMENT);
    let with_null = [ptr::null::<c_char>()];
    options.trusted_keys = with_null.as_ptr();
    // SAFETY: one pointer, NULL (refused).
    let error = unsafe { filter_options(&options) }.unwrap_err();
    assert!(error.to_string().contains("trusted_keys[0]"), "{error}");
    options.trusted_key_count = usize::MAX;
    // SAFETY: the count is refused before the array is read.
    let error = unsafe { filter_options(&options) }.unwrap_err();
    assert!(error.to_string().contains("too large"), "{error}");
}
