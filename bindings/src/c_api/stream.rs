//! Streams through the C ABI: `SafeFrameStreamConfig` (converted to the core's
//! `StreamSettings`, which checks every field), the `SafeFrameStream` handle and in-place
//! processing of `SafeFrameFrame`s.

use std::sync::Arc;

use safeframe::policy::{Action, Verdict};
use safeframe::stream::{CadenceSetting, FrameModel, StreamFilter, StreamSettings};

use super::{
    action_code, filter_ref, frame, guarded, status, write_verdict, CFilter, SafeFrameFrame, SafeFrameVerdict,
};
use super::{SAFEFRAME_ACTION_ALLOW, SAFEFRAME_ACTION_BLOCK, SAFEFRAME_ACTION_BLUR, SAFEFRAME_ACTION_WARN};
use crate::error::SafeFrameError;

/// Stream cadence: classify every frame.
pub const SAFEFRAME_CADENCE_EVERY_FRAME: i32 = 0;
/// Stream cadence: classify frames 0, k, 2k, … (`cadence_value` = k ≥ 1).
pub const SAFEFRAME_CADENCE_EVERY_NTH: i32 = 1;
/// Stream cadence: classify a frame when at least `cadence_value` ms of the frames' own
/// timestamps have passed since the last classified one.
pub const SAFEFRAME_CADENCE_MIN_INTERVAL_MS: i32 = 2;

/// How a stream made by [`safeframe_stream_new`] behaves. Start from
/// [`safeframe_stream_config_default`] and change what you need.
///
/// The change gate (`change_gate`, on by default) compares each frame, tile by tile, with the
/// last classified one: a changed frame is classified at once whatever the cadence (in
/// background mode it is held redacted, see `hold`, until its verdict arrives); an unchanged
/// frame reuses the verdict in force, and the model rests, until that verdict is `max_age_ms`
/// old in frame timestamps (`max_age_ms / (clear_after + 1)` while a blur or block waits to
/// clear). Bad values make [`safeframe_stream_new`] fail with
/// `SAFEFRAME_ERROR_INVALID_ARGUMENT` and a last error naming the field
/// (`change_gate.threshold`, `change_gate.tiles`, `change_gate.max_age`, `hold`).
///
/// ABI note (0.x): `change_gate` … `hold` were appended (the struct grew from 24 to 48 bytes),
/// then `hash_cadence` and `hash_cadence_value` (48 to 56 bytes). Code compiled against an
/// older `safeframe.h` must be rebuilt (this library reads the whole struct).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SafeFrameStreamConfig {
    /// One of `SAFEFRAME_CADENCE_*`.
    pub cadence: i32,
    /// k for `SAFEFRAME_CADENCE_EVERY_NTH`, milliseconds for `_MIN_INTERVAL_MS`; ignored for
    /// `_EVERY_FRAME`.
    pub cadence_value: i64,
    /// Consecutive clean classifications needed to leave blur or block (≥ 1; default 3).
    pub clear_after: u32,
    /// Run inference on a worker thread (frames never wait for the model; blocked until the
    /// first verdict). Default false.
    pub background: bool,
    /// Pass frames that could not be classified instead of blocking them. Default false.
    pub fail_open: bool,
    /// Classify changed frames at once and let unchanged ones reuse the verdict in force
    /// (default true). False: classify on the cadence alone; `change_threshold`,
    /// `change_tiles` and `max_age_ms` are then ignored.
    pub change_gate: bool,
    /// The largest tile difference, 0 to 1, that still counts as unchanged (default 0.10).
    pub change_threshold: f32,
    /// Tiles per side of the grid frames are compared on (default 4; 1 to 16).
    pub change_tiles: u32,
    /// The longest, in milliseconds of frame timestamps, an unchanged scene reuses a verdict
    /// (default 1000; more than 0).
    pub max_age_ms: i64,
    /// What a changed frame gets while its verdict is pending in background mode:
    /// `SAFEFRAME_ACTION_BLUR` (the default) or `SAFEFRAME_ACTION_BLOCK`.
    pub hold: i32,
    /// When frames are hashed against the blocklist of a stream from the uniffi API: one of
    /// `SAFEFRAME_CADENCE_*` (default every frame).
    pub hash_cadence: i32,
    /// k or milliseconds for `hash_cadence`, as `cadence_value`.
    pub hash_cadence_value: i64,
}

/// [`SafeFrameStreamConfig`] as C may have left it: the same layout with bytes for its `bool`s.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawStreamConfig {
    cadence: i32,
    cadence_value: i64,
    clear_after: u32,
    background: u8,
    fail_open: u8,
    change_gate: u8,
    change_threshold: f32,
    change_tiles: u32,
    max_age_ms: i64,
    hold: i32,
    hash_cadence: i32,
    hash_cadence_value: i64,
}

const _: () = assert!(
    std::mem::size_of::<RawStreamConfig>() == std::mem::size_of::<SafeFrameStreamConfig>()
        && std::mem::align_of::<RawStreamConfig>() == std::mem::align_of::<SafeFrameStreamConfig>()
        && std::mem::offset_of!(RawStreamConfig, background) == std::mem::offset_of!(SafeFrameStreamConfig, background)
        && std::mem::offset_of!(RawStreamConfig, fail_open) == std::mem::offset_of!(SafeFrameStreamConfig, fail_open)
        && std::mem::offset_of!(RawStreamConfig, change_gate)
            == std::mem::offset_of!(SafeFrameStreamConfig, change_gate)
        && std::mem::offset_of!(RawStreamConfig, change_threshold)
            == std::mem::offset_of!(SafeFrameStreamConfig, change_threshold)
        && std::mem::offset_of!(RawStreamConfig, change_tiles)
            == std::mem::offset_of!(SafeFrameStreamConfig, change_tiles)
        && std::mem::offset_of!(RawStreamConfig, max_age_ms) == std::mem::offset_of!(SafeFrameStreamConfig, max_age_ms)
        && std::mem::offset_of!(RawStreamConfig, hold) == std::mem::offset_of!(SafeFrameStreamConfig, hold)
        && std::mem::offset_of!(RawStreamConfig, hash_cadence_value)
            == std::mem::offset_of!(SafeFrameStreamConfig, hash_cadence_value)
);

impl From<RawStreamConfig> for SafeFrameStreamConfig {
    fn from(raw: RawStreamConfig) -> Self {
        Self {
            cadence: raw.cadence,
            cadence_value: raw.cadence_value,
            clear_after: raw.clear_after,
            background: raw.background != 0,
            fail_open: raw.fail_open != 0,
            change_gate: raw.change_gate != 0,
            change_threshold: raw.change_threshold,
            change_tiles: raw.change_tiles,
            max_age_ms: raw.max_age_ms,
            hold: raw.hold,
            hash_cadence: raw.hash_cadence,
            hash_cadence_value: raw.hash_cadence_value,
        }
    }
}

/// Counters of a stream since it was made.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SafeFrameStreamCounters {
    /// Frames processed.
    pub frames: u64,
    /// Classifications whose scores were used.
    pub classified: u64,
    /// Frames blurred.
    pub blurred: u64,
    /// Frames blocked (by verdict, failure or warm-up).
    pub blocked: u64,
    /// Failures (inference errors, a dead worker, a missing model, hashing errors).
    pub errors: u64,
    /// Background samples replaced by a newer one before the worker took them.
    pub samples_dropped: u64,
    /// Frames hashed against a blocklist.
    pub hashed: u64,
    /// Hash checks that matched a blocklist entry.
    pub known_matches: u64,
    /// Runs of the second-opinion model (0 without one). Appended in 0.x: the struct grew from
    /// 64 to 72 bytes; code compiled against an older `safeframe.h` must be rebuilt.
    pub second_opinions: u64,
    /// Frames released redacted (held, or blocked during background warm-up) while the verdict
    /// for their changed content was pending. Appended in 0.x with `reused`: the struct grew
    /// from 72 to 88 bytes; code compiled against an older `safeframe.h` must be rebuilt.
    pub held: u64,
    /// Frames that reused the verdict in force because they did not change (the model did not
    /// run for them).
    pub reused: u64,
}

/// A stream filter: cadence, hysteresis, in-place redaction, fail-closed. Opaque; C sees it as
/// `SafeFrameStream` (cbindgen renames it: the uniffi object of that name is another Rust
/// type). Make it with [`safeframe_stream_new`] or [`safeframe_stream_from_handle`], free it
/// with [`safeframe_stream_free`]. Frames are processed one at a time (calls from several
/// threads are serialised, in the order they take the stream's lock).
pub struct CStream {
    stream: Arc<StreamFilter>,
}

/// The core's defaults ([`StreamSettings::default`]): every frame, `clear_after` 3, inline
/// inference, fail closed, the change gate on (threshold 0.10, 4 tiles, verdicts reused for at
/// most 1000 ms), changed frames held blurred.
#[no_mangle]
pub extern "C" fn safeframe_stream_config_default() -> SafeFrameStreamConfig {
    let d = StreamSettings::default();
    let (cadence, cadence_value) = cadence_code(d.cadence);
    let (hash_cadence, hash_cadence_value) = cadence_code(d.hash_cadence);
    SafeFrameStreamConfig {
        cadence,
        cadence_value,
        // The core's defaults are small numbers; a field too wide for C would read as the
        // largest, which the core refuses, naming it.
        clear_after: u32::try_from(d.clear_after).unwrap_or(u32::MAX),
        background: d.background,
        fail_open: d.fail_open,
        change_gate: d.change_gate,
        change_threshold: d.change_threshold,
        change_tiles: u32::try_from(d.change_tiles).unwrap_or(u32::MAX),
        max_age_ms: d.max_age_ms,
        hold: action_code(d.hold),
        hash_cadence,
        hash_cadence_value,
    }
}

/// A cadence as its `SAFEFRAME_CADENCE_*` code and value.
fn cadence_code(cadence: CadenceSetting) -> (i32, i64) {
    match cadence {
        CadenceSetting::EveryFrame => (SAFEFRAME_CADENCE_EVERY_FRAME, 0),
        CadenceSetting::EveryNth(k) => (SAFEFRAME_CADENCE_EVERY_NTH, k),
        CadenceSetting::MinIntervalMs(ms) => (SAFEFRAME_CADENCE_MIN_INTERVAL_MS, ms),
    }
}

/// The cadence of a `SAFEFRAME_CADENCE_*` code and value; an unknown code is an error naming
/// `field` (the value is the core's to check).
fn cadence_setting(code: i32, value: i64, field: &str) -> Result<CadenceSetting, SafeFrameError> {
    match code {
        SAFEFRAME_CADENCE_EVERY_FRAME => Ok(CadenceSetting::EveryFrame),
        SAFEFRAME_CADENCE_EVERY_NTH => Ok(CadenceSetting::EveryNth(value)),
        SAFEFRAME_CADENCE_MIN_INTERVAL_MS => Ok(CadenceSetting::MinIntervalMs(value)),
        other => Err(SafeFrameError::invalid_argument(format!(
            "stream configuration: `{field}`: unknown cadence {other}; use SAFEFRAME_CADENCE_EVERY_FRAME, _EVERY_NTH or _MIN_INTERVAL_MS"
        ))),
    }
}

/// The core's settings for a C config: codes become the core's enums (an unknown code is an
/// error naming the field); every value is checked by [`StreamSettings::to_config`].
pub(super) fn stream_settings(config: &SafeFrameStreamConfig) -> Result<StreamSettings, SafeFrameError> {
    let cadence = cadence_setting(config.cadence, config.cadence_value, "cadence")?;
    let hash_cadence = cadence_setting(config.hash_cadence, config.hash_cadence_value, "hash_cadence")?;
    let hold = match config.hold {
        SAFEFRAME_ACTION_ALLOW => Action::Allow,
        SAFEFRAME_ACTION_WARN => Action::Warn,
        SAFEFRAME_ACTION_BLUR => Action::Blur,
        SAFEFRAME_ACTION_BLOCK => Action::Block,
        other => {
            return Err(SafeFrameError::invalid_argument(format!(
                "stream configuration: `hold`: unknown action {other}; use SAFEFRAME_ACTION_BLUR or _BLOCK"
            )))
        }
    };
    Ok(StreamSettings {
        cadence,
        clear_after: config.clear_after.into(),
        background: config.background,
        fail_open: config.fail_open,
        change_gate: config.change_gate,
        change_threshold: config.change_threshold,
        change_tiles: config.change_tiles.into(),
        max_age_ms: config.max_age_ms,
        hold,
        hash_cadence,
    })
}

/// A stream on `filter`'s loaded models (its second opinion too) and policy (shared: the filter
/// may be freed afterwards) with `config` (NULL: the defaults). A blocklist is not carried over
/// from a C filter; use a stream from the uniffi API (`safeframe_stream_from_handle`) for that.
/// Bad settings fail with `SAFEFRAME_ERROR_INVALID_ARGUMENT` and a last error naming the field.
/// Returns NULL on failure; see [`safeframe_last_error`](super::safeframe_last_error).
///
/// # Safety
/// `filter` is NULL or a live filter; `config` is NULL or points to a `SafeFrameStreamConfig`.
#[no_mangle]
pub unsafe extern "C" fn safeframe_stream_new(
    filter: *const CFilter,
    config: *const SafeFrameStreamConfig,
) -> *mut CStream {
    let made = guarded(|| {
        // SAFETY: the caller promises NULL or a live filter.
        let filter = unsafe { filter_ref(filter)? };
        let config = if config.is_null() {
            safeframe_stream_config_default()
        } else {
            // SAFETY: non-NULL checked above; the caller promises a readable config, read
            // through a mirror with plain bytes where the config has `bool`s (C code may leave
            // any byte there, and a Rust `bool` other than 0 or 1 is undefined behaviour);
            // `read_unaligned` needs no alignment.
            unsafe { config.cast::<RawStreamConfig>().read_unaligned() }.into()
        };
        let config = stream_settings(&config)?.to_config(filter.policy().clone())?;
        let model: Arc<dyn FrameModel> = filter.shared_classifier().clone();
        let second = filter.second_opinion().cloned();
        Ok(Arc::new(StreamFilter::cascade(model, second, config)?))
    });
    match made {
        Ok(stream) => Box::into_raw(Box::new(CStream { stream })),
        Err(_) => std::ptr::null_mut(),
    }
}

/// The stream of the uniffi API's `SafeFrameStream.directHandle()` (a number fixed for that
/// object's life): the same stream (its cadence state, hysteresis, counters, listener and
/// blocklist), processed in place here. The handle stays valid: each call gives a new pointer
/// to free with [`safeframe_stream_free`]. Returns NULL for an unknown handle or a closed
/// stream.
#[no_mangle]
pub extern "C" fn safeframe_stream_from_handle(handle: i64) -> *mut CStream {
    match guarded(|| crate::handles::STREAMS.get(handle)) {
        Ok(stream) => Box::into_raw(Box::new(CStream { stream })),
        Err(_) => std::ptr::null_mut(),
    }
}

/// Frees a stream. NULL is ignored.
///
/// # Safety
/// `stream` is NULL or a pointer from `safeframe_stream_new`/`_from_handle` not yet freed; it
/// is not used after this call, and no other thread is using it.
#[no_mangle]
pub unsafe extern "C" fn safeframe_stream_free(stream: *mut CStream) {
    let _ = guarded(|| {
        if !stream.is_null() {
            // SAFETY: the caller promises a pointer made by `Box::into_raw` in this module and
            // not freed before; ownership comes back here exactly once.
            drop(unsafe { Box::from_raw(stream) });
        }
        Ok(())
    });
}

/// The stream behind a handle argument.
///
/// # Safety
/// `stream` is NULL or a pointer from `safeframe_stream_new`/`_from_handle` not yet freed.
unsafe fn stream_ref<'a>(stream: *const CStream) -> Result<&'a StreamFilter, SafeFrameError> {
    // SAFETY: the caller promises a live pointer from this library or NULL; `as_ref` maps NULL
    // to None.
    let native = unsafe { stream.as_ref() };
    native
        .map(|n| n.stream.as_ref())
        .ok_or_else(|| SafeFrameError::invalid_argument("stream is NULL"))
}

/// Runs the stream on the frame `frame` describes, in place: classifies it if the cadence (or
/// the change gate) says so and applies the verdict in force (blur or block), writing that
/// verdict to `out_verdict` (which may be NULL). The frame's `timestamp_ns` drives
/// `SAFEFRAME_CADENCE_MIN_INTERVAL_MS` and the change gate's age.
///
/// A model failure is not an error here: the stream counts it and blocks the frame (unless it
/// fails open), and the call returns `SAFEFRAME_OK`. Errors are bad arguments only; then no
/// byte was touched and `out_verdict` says block (written before anything is checked): do not
/// show that frame.
///
/// # Safety
/// `stream` is NULL or a live stream; `frame` is NULL or points to a `SafeFrameFrame` whose
/// planes' `data` point to `len` bytes that are readable and writable and that nothing else
/// touches during the call; `out_verdict` is NULL or points to a writable `SafeFrameVerdict`.
#[no_mangle]
pub unsafe extern "C" fn safeframe_stream_process_frame_in_place(
    stream: *const CStream,
    frame: *const SafeFrameFrame,
    out_verdict: *mut SafeFrameVerdict,
) -> i32 {
    // Until the stream has run, the verdict says block: a caller that misses an error status
    // must not show an unchecked frame.
    write_verdict(out_verdict, Verdict::fail_closed().into());
    status(guarded(|| {
        // SAFETY: the caller promises NULL or a live stream.
        let stream = unsafe { stream_ref(stream)? };
        // SAFETY: the caller promises NULL or a readable frame whose planes are readable,
        // writable and untouched by anyone else during the call.
        let mut frame = unsafe { frame::read(frame)?.frame_mut()? };
        let verdict = stream.process(&mut frame);
        write_verdict(out_verdict, verdict.into());
        Ok(())
    }))
}

/// Writes the stream's counters to `out` (which must not be NULL).
///
/// # Safety
/// `stream` is NULL or a live stream; `out` is NULL or points to a writable
/// `SafeFrameStreamCounters`.
#[no_mangle]
pub unsafe extern "C" fn safeframe_stream_counters(stream: *const CStream, out: *mut SafeFrameStreamCounters) -> i32 {
    status(guarded(|| {
        // SAFETY: the caller promises NULL or a live stream.
        let stream = unsafe { stream_ref(stream)? };
        if out.is_null() {
            return Err(SafeFrameError::invalid_argument("out is NULL"));
        }
        let c = stream.counters();
        let counters = SafeFrameStreamCounters {
            frames: c.frames,
            classified: c.classified,
            blurred: c.blurred,
            blocked: c.blocked,
            errors: c.errors,
            samples_dropped: c.samples_dropped,
            hashed: c.hashed,
            known_matches: c.known_matches,
            second_opinions: c.second_opinions,
            held: c.held,
            reused: c.reused,
        };
        // SAFETY: non-NULL checked above; the caller promises writable memory for one
        // `SafeFrameStreamCounters`, and `write_unaligned` needs no alignment.
        unsafe { out.write_unaligned(counters) };
        Ok(())
    }))
}
