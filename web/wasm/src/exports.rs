//! The `extern "C"` exports `web/js/safeframe.js` calls: the only `unsafe` code of the crate,
//! which turns the (pointer, length) pairs JavaScript passes into slices.
//!
//! Every export that can fail returns an `i32`: ≥ 0 on success (a handle, or 0), the negated
//! error code on failure. Either way the result buffer (`sf_result_ptr`, `sf_result_len`) then
//! holds JSON: the result, or `{"kind", "code", "message"}`. Memory for inputs comes from
//! `sf_alloc` and goes back with `sf_free`; a length of 0 means "absent" and its pointer is not
//! read.

use std::cell::RefCell;

use serde_json::Value;

use crate::api::{self, PackBytes};
use crate::errors::WebError;
use crate::handles::{self, Object};

thread_local! {
    static RESULT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn set_result(bytes: Vec<u8>) {
    RESULT.with(|result| {
        if let Ok(mut result) = result.try_borrow_mut() {
            *result = bytes;
        }
    });
}

/// Stores the outcome in the result buffer and turns it into the return code.
fn finish(outcome: Result<(i32, Value), WebError>) -> i32 {
    match outcome {
        Ok((code, value)) => {
            set_result(api::to_bytes(&value));
            code
        }
        Err(error) => {
            set_result(api::to_bytes(&error));
            -error.code
        }
    }
}

fn done(outcome: Result<Value, WebError>) -> i32 {
    finish(outcome.map(|value| (0, value)))
}

fn handle(outcome: Result<u32, WebError>) -> i32 {
    finish(outcome.and_then(|handle| {
        let code = i32::try_from(handle).map_err(|_| WebError::internal("out of handles"))?;
        Ok((code, Value::from(handle)))
    }))
}

/// The bytes at `ptr`, `len` long; empty when `len` is 0.
///
/// # Safety
/// When `len` > 0, `ptr` must point to `len` initialised bytes (from [`sf_alloc`]) that nothing
/// else writes while the returned slice lives.
unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        return &[];
    }
    // SAFETY: the caller promises `len` readable bytes at `ptr` that are not written meanwhile.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// The bytes at `ptr`, `len` long, writable; empty when `len` is 0.
///
/// # Safety
/// When `len` > 0, `ptr` must point to `len` bytes (from [`sf_alloc`]) that nothing else reads
/// or writes while the returned slice lives.
unsafe fn bytes_mut<'a>(ptr: *mut u8, len: usize) -> &'a mut [u8] {
    if len == 0 || ptr.is_null() {
        return &mut [];
    }
    // SAFETY: the caller promises `len` bytes at `ptr`, used by nothing else meanwhile.
    unsafe { std::slice::from_raw_parts_mut(ptr, len) }
}

/// A pack from three (pointer, length) pairs; `None` when the manifest is absent.
///
/// # Safety
/// As [`bytes`], for each pair.
unsafe fn pack<'a>(
    manifest: (*const u8, usize),
    model: (*const u8, usize),
    signature: (*const u8, usize),
) -> Option<PackBytes<'a>> {
    if manifest.1 == 0 {
        return None;
    }
    // SAFETY: the caller's promise for each pair is passed on.
    let (manifest, model, signature) = unsafe {
        (
            bytes(manifest.0, manifest.1),
            bytes(model.0, model.1),
            bytes(signature.0, signature.1),
        )
    };
    Some(PackBytes {
        manifest,
        model,
        signature: (!signature.is_empty()).then_some(signature),
    })
}

/// `len` zeroed bytes for JavaScript to fill; null when `len` is 0 or memory is short. Give them
/// back with [`sf_free`] and the same length.
#[no_mangle]
pub extern "C" fn sf_alloc(len: usize) -> *mut u8 {
    let mut buffer: Vec<u8> = Vec::new();
    if len == 0 || buffer.try_reserve_exact(len).is_err() {
        return std::ptr::null_mut();
    }
    buffer.resize(len, 0);
    Box::into_raw(buffer.into_boxed_slice()).cast::<u8>()
}

/// Frees memory from [`sf_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly what one [`sf_alloc`] call returned and was given, not freed
/// before (a null `ptr` is ignored).
#[no_mangle]
pub unsafe extern "C" fn sf_free(ptr: *mut u8, len: usize) {
    if ptr.is_null() || len == 0 {
        return;
    }
    // SAFETY: `ptr` is a boxed slice of `len` bytes from `sf_alloc`, freed once (the caller's
    // promise), so rebuilding the box and dropping it is sound.
    drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
}

/// Where the last call's JSON result (or error) starts.
#[no_mangle]
pub extern "C" fn sf_result_ptr() -> *const u8 {
    RESULT.with(|result| result.try_borrow().map(|r| r.as_ptr()).unwrap_or(std::ptr::null()))
}

/// The length of the last call's JSON result (or error).
#[no_mangle]
pub extern "C" fn sf_result_len() -> usize {
    RESULT.with(|result| result.try_borrow().map(|r| r.len()).unwrap_or(0))
}

/// `{"version", "engine"}`.
#[no_mangle]
pub extern "C" fn sf_version() -> i32 {
    done(Ok(api::version()))
}

/// Makes a filter: options JSON, the primary pack (manifest, model, signature), an optional
/// second-opinion pack (manifest length 0: none) and an optional PDQ blocklist, text or binary
/// form (length 0: none). Returns its handle.
///
/// # Safety
/// Each (pointer, length) pair as for [`sf_free`]'s memory: from [`sf_alloc`], initialised.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sf_filter_new(
    options: *const u8,
    options_len: usize,
    manifest: *const u8,
    manifest_len: usize,
    model: *const u8,
    model_len: usize,
    signature: *const u8,
    signature_len: usize,
    second_manifest: *const u8,
    second_manifest_len: usize,
    second_model: *const u8,
    second_model_len: usize,
    second_signature: *const u8,
    second_signature_len: usize,
    blocklist: *const u8,
    blocklist_len: usize,
) -> i32 {
    // SAFETY: the caller's promise for every pair.
    let (options, primary, second, blocklist) = unsafe {
        (
            bytes(options, options_len),
            pack((manifest, manifest_len), (model, model_len), (signature, signature_len)),
            pack(
                (second_manifest, second_manifest_len),
                (second_model, second_model_len),
                (second_signature, second_signature_len),
            ),
            bytes(blocklist, blocklist_len),
        )
    };
    handle((|| {
        let primary = primary.ok_or_else(|| WebError::invalid_argument("pack.manifest is empty"))?;
        let filter = api::create_filter(options, primary, second, blocklist)?;
        handles::insert(Object::Filter(Box::new(filter)))
    })())
}

/// Loads one pack as a bare model (raw scores per label). Returns its handle.
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_model_new(
    options: *const u8,
    options_len: usize,
    manifest: *const u8,
    manifest_len: usize,
    model: *const u8,
    model_len: usize,
    signature: *const u8,
    signature_len: usize,
) -> i32 {
    // SAFETY: the caller's promise for every pair.
    let (options, primary) = unsafe {
        (
            bytes(options, options_len),
            pack((manifest, manifest_len), (model, model_len), (signature, signature_len)),
        )
    };
    handle((|| {
        let primary = primary.ok_or_else(|| WebError::invalid_argument("pack.manifest is empty"))?;
        let model = api::create_model(options, primary)?;
        handles::insert(Object::Model(Box::new(model)))
    })())
}

/// A model's labels, as a JSON array.
#[no_mangle]
pub extern "C" fn sf_model_labels(model: u32) -> i32 {
    done(handles::with(model, |object| match object {
        Object::Model(model) => Ok(model.labels()),
        _ => Err(not_a("model", model)),
    }))
}

fn not_a(what: &str, handle: u32) -> WebError {
    WebError::invalid_argument(format!("handle {handle} is not a {what}"))
}

/// Classifies encoded image bytes with a filter (a verdict) or a model (scores per label).
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_classify_encoded(target: u32, data: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes(data, len) };
    done(handles::with(target, |object| match object {
        Object::Filter(filter) => filter.classify_encoded(data),
        Object::Model(model) => model.classify_encoded(data),
        Object::Stream(_) => Err(not_a("filter or model", target)),
    }))
}

/// Classifies packed RGBA pixels with a filter (a verdict, pixels untouched) or a model.
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_classify_rgba(target: u32, data: *const u8, len: usize, width: u32, height: u32) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes(data, len) };
    done(handles::with(target, |object| match object {
        Object::Filter(filter) => filter.classify_rgba(data, width, height),
        Object::Model(model) => model.classify_rgba(data, width, height),
        Object::Stream(_) => Err(not_a("filter or model", target)),
    }))
}

/// Classifies packed RGBA pixels and redacts them in place (`Filter::apply`).
///
/// # Safety
/// As [`sf_filter_new`]; the bytes are written.
#[no_mangle]
pub unsafe extern "C" fn sf_filter_rgba(filter: u32, data: *mut u8, len: usize, width: u32, height: u32) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes_mut(data, len) };
    done(handles::with(filter, |object| match object {
        Object::Filter(filter) => filter.filter_rgba(data, width, height),
        _ => Err(not_a("filter", filter)),
    }))
}

/// Makes an inline stream on a filter's models and policy. Returns its handle.
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_stream_new(filter: u32, options: *const u8, options_len: usize) -> i32 {
    // SAFETY: the caller's promise.
    let options = unsafe { bytes(options, options_len) };
    let stream = handles::with(filter, |object| match object {
        Object::Filter(filter) => filter.create_stream(options),
        _ => Err(not_a("filter", filter)),
    });
    handle(stream.and_then(|stream| handles::insert(Object::Stream(Box::new(stream)))))
}

/// Processes one RGBA frame of a stream at `timestamp_ms`, in place.
///
/// # Safety
/// As [`sf_filter_new`]; the bytes are written.
#[no_mangle]
pub unsafe extern "C" fn sf_stream_process(
    stream: u32,
    data: *mut u8,
    len: usize,
    width: u32,
    height: u32,
    timestamp_ms: f64,
) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes_mut(data, len) };
    done(handles::with(stream, |object| match object {
        Object::Stream(stream) => stream.process(data, width, height, timestamp_ms),
        _ => Err(not_a("stream", stream)),
    }))
}

/// A stream's counters.
#[no_mangle]
pub extern "C" fn sf_stream_counters(stream: u32) -> i32 {
    done(handles::with(stream, |object| match object {
        Object::Stream(stream) => Ok(stream.counters()),
        _ => Err(not_a("stream", stream)),
    }))
}

/// The PDQ hash of packed RGBA pixels.
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_pdq_rgba(data: *const u8, len: usize, width: u32, height: u32) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes(data, len) };
    done(api::pdq_rgba(data, width, height))
}

/// The PDQ hash of encoded image bytes.
///
/// # Safety
/// As [`sf_filter_new`].
#[no_mangle]
pub unsafe extern "C" fn sf_pdq_encoded(data: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's promise.
    let data = unsafe { bytes(data, len) };
    done(api::pdq_encoded(data))
}

/// Frees a filter, model or stream (a stream keeps its filter's models alive until it is freed).
/// Returns 1 when there was such a handle, 0 otherwise.
#[no_mangle]
pub extern "C" fn sf_handle_free(handle: u32) -> i32 {
    i32::from(handles::remove(handle))
}
