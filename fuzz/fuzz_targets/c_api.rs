//! The C ABI (`bindings/src/c_api.rs`) called the way C would call it: sequences of calls with
//! arbitrary lengths, strides, sizes, formats, rotations and configs, NULL and short buffers,
//! overlapping planes, NULL and unknown handles, malformed strings.
//!
//! One filter is loaded per process (the oracle pack in tests/fixtures/oracle/oracle, through
//! ONNX Runtime as `safeframe_filter_new` finds it), with one stream on it; frames that pass the
//! checks run through the oracle model. No call creates a session per input: `safeframe_filter_new*`
//! gets pack paths under a directory that does not exist (its policy argument is still parsed
//! first). Without ONNX Runtime (or with `SAFEFRAME_FUZZ_NO_MODEL=1`) only NULL handles are used.
//!
//! Checks: no panic (libFuzzer aborts on any, even one the C ABI catches) and never
//! `SAFEFRAME_ERROR_INTERNAL`; a status of 0 exactly when the arguments describe a valid frame;
//! `safeframe_last_error`/`_code` describe the last call; verdicts hold valid codes, and a
//! stream's verdict after an error says block.
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use safeframe::frame::{Frame, FrameMut, PixelFormat, Rotation};
use safeframe_ffi::c_api::*;

/// Raw pointers of the per-process filter and stream (made once, never freed).
struct Loaded {
    filter: usize,
    stream: usize,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        if std::env::var_os("SAFEFRAME_FUZZ_NO_MODEL").is_some() {
            return Loaded { filter: 0, stream: 0 };
        }
        let pack =
            CString::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/oracle/oracle")).expect("no NUL");
        // SAFETY: two NUL-terminated strings that live for the call.
        let filter = unsafe { safeframe_filter_new(pack.as_ptr(), c"child".as_ptr(), false, 1) };
        if filter.is_null() {
            eprintln!(
                "c_api fuzz target: no model, NULL handles only: {}",
                last_error().unwrap_or_default()
            );
            return Loaded { filter: 0, stream: 0 };
        }
        // SAFETY: a live filter; NULL config means the defaults.
        let stream = unsafe { safeframe_stream_new(filter, std::ptr::null()) };
        assert!(!stream.is_null(), "a stream on a loaded filter: {:?}", last_error());
        Loaded {
            filter: filter as usize,
            stream: stream as usize,
        }
    })
}

fn last_error() -> Option<String> {
    let message = safeframe_last_error();
    // SAFETY: NULL or a NUL-terminated string valid until the next SafeFrame call.
    (!message.is_null()).then(|| unsafe { CStr::from_ptr(message) }.to_string_lossy().into_owned())
}

/// A caller's buffer: NULL, or `len` real bytes (possibly fewer than the frame needs), or a real
/// pointer with a length no buffer can have (refused before any read).
#[derive(Debug, Arbitrary)]
enum Buf {
    Null(u16),
    Bytes { len: u16, fill: u8 },
    Huge,
}

impl Buf {
    /// The backing store, the pointer and the length to pass.
    fn make(&self) -> (Vec<u8>, bool, usize) {
        match *self {
            Buf::Null(len) => (Vec::new(), true, usize::from(len)),
            Buf::Bytes { len, fill } => (vec![fill; usize::from(len)], false, usize::from(len)),
            Buf::Huge => (vec![0; 4], false, usize::MAX),
        }
    }

    fn ptr(store: &mut [u8], null: bool) -> *mut u8 {
        if null {
            std::ptr::null_mut()
        } else {
            store.as_mut_ptr()
        }
    }
}

/// A stream config as C may fill it: the defaults with any byte where Rust has a `bool`
/// (`background`, `fail_open`), or any bytes at all.
#[derive(Debug, Arbitrary)]
enum RawConfig {
    Defaults { background: u8, fail_open: u8 },
    Bytes(Vec<u8>),
}

const CONFIG_SIZE: usize = std::mem::size_of::<SafeFrameStreamConfig>();

/// Bytes aligned like `SafeFrameStreamConfig`, to pass where C passes a pointer to one.
#[repr(C, align(8))]
struct ConfigBytes([u8; CONFIG_SIZE]);

impl RawConfig {
    fn bytes(&self) -> ConfigBytes {
        let mut raw = ConfigBytes([0; CONFIG_SIZE]);
        match self {
            RawConfig::Defaults { background, fail_open } => {
                // SAFETY: `raw` has the size and (at least) the alignment of the config.
                unsafe { std::ptr::write(raw.0.as_mut_ptr().cast(), safeframe_stream_config_default()) };
                raw.0[std::mem::offset_of!(SafeFrameStreamConfig, background)] = *background;
                raw.0[std::mem::offset_of!(SafeFrameStreamConfig, fail_open)] = *fail_open;
            }
            RawConfig::Bytes(bytes) => {
                for (dst, src) in raw.0.iter_mut().zip(bytes.iter().cycle()) {
                    *dst = *src;
                }
            }
        }
        raw
    }
}

#[derive(Debug, Arbitrary)]
enum Op {
    Check {
        real: bool,
        buf: Buf,
        width: u32,
        height: u32,
        stride: u32,
        format: i32,
        out: bool,
    },
    FilterInPlace {
        real: bool,
        buf: Buf,
        width: u32,
        height: u32,
        stride: u32,
        format: i32,
        out: bool,
    },
    FilterNv12 {
        real: bool,
        planes: Nv12,
        out: bool,
    },
    StreamInPlace {
        real: bool,
        buf: Buf,
        width: u32,
        height: u32,
        stride: u32,
        format: i32,
        rotation: i32,
        timestamp: i64,
        out: bool,
    },
    StreamNv12 {
        real: bool,
        planes: Nv12,
        timestamp: i64,
        out: bool,
    },
    StreamCounters {
        real: bool,
        out: bool,
    },
    StreamNew {
        real: bool,
        config: Option<RawConfig>,
    },
    FilterNew {
        pack: Vec<u8>,
        second: Option<Vec<u8>>,
        policy: Vec<u8>,
        fail_open: bool,
        threads: i32,
        provider: Option<(i32, bool)>,
    },
    FromHandle {
        handle: i64,
        stream: bool,
    },
    FreeNull,
}

/// Two NV12 planes: separate buffers, or two ranges of one (overlapping or not).
#[derive(Debug, Arbitrary)]
struct Nv12 {
    y: Buf,
    uv: Buf,
    shared: Option<(u16, u16, u16)>,
    y_stride: u32,
    uv_stride: u32,
    width: u16,
    height: u16,
    rotation: i32,
    full_range: bool,
}

fn verdict_ok(v: &SafeFrameVerdict) {
    assert!(
        (SAFEFRAME_ACTION_ALLOW..=SAFEFRAME_ACTION_BLOCK).contains(&v.action),
        "{v:?}"
    );
    assert!(
        (SAFEFRAME_CATEGORY_NONE..=SAFEFRAME_CATEGORY_KNOWN).contains(&v.category),
        "{v:?}"
    );
}

/// Checks a status and the thread's last error after a call.
fn status_ok(rc: i32) {
    assert_ne!(rc, SAFEFRAME_ERROR_INTERNAL, "internal error: {:?}", last_error());
    assert_eq!(safeframe_last_error_code(), rc);
    assert_eq!(last_error().is_some(), rc != SAFEFRAME_OK);
}

fn format_of(code: i32) -> Option<PixelFormat> {
    match code {
        SAFEFRAME_FORMAT_RGBA8 => Some(PixelFormat::Rgba8),
        SAFEFRAME_FORMAT_BGRA8 => Some(PixelFormat::Bgra8),
        SAFEFRAME_FORMAT_RGB8 => Some(PixelFormat::Rgb8),
        _ => None,
    }
}

/// Whether the core accepts this packed frame (what a status of 0 needs, besides a filter).
fn frame_ok(store: &[u8], null: bool, len: usize, width: u32, height: u32, stride: usize, format: i32) -> bool {
    !null
        && len <= isize::MAX as usize
        && format_of(format).is_some_and(|f| Frame::new(&store[..len], width, height, stride, f).is_ok())
}

fn filter_ptr(real: bool) -> *const SafeFrameNativeFilter {
    if real {
        loaded().filter as *const SafeFrameNativeFilter
    } else {
        std::ptr::null()
    }
}

fn stream_ptr(real: bool) -> *const SafeFrameNativeStream {
    if real {
        loaded().stream as *const SafeFrameNativeStream
    } else {
        std::ptr::null()
    }
}

/// Runs an NV12 call `call(y, y_len, uv, uv_len)` and says whether the core accepts the planes.
fn with_nv12(p: &Nv12, call: impl FnOnce(*mut u8, usize, *mut u8, usize) -> i32) -> (i32, bool) {
    let (width, height) = (u32::from(p.width % 256), u32::from(p.height % 256));
    let (y_stride, uv_stride) = (p.y_stride as usize % 1024, p.uv_stride as usize % 1024);
    let rotation_ok = Rotation::from_degrees(p.rotation).is_ok();
    if let Some((len, at, split)) = p.shared {
        // Both planes in one allocation: [0, split) and [at, len), overlapping when at < split.
        let len = usize::from(len);
        let split = usize::from(split).min(len);
        let at = usize::from(at).min(len);
        let mut store = vec![0x40u8; len];
        let base = store.as_mut_ptr();
        // SAFETY: `at` ≤ len, inside (or one past) the allocation.
        let uv = unsafe { base.add(at) };
        let overlap = at < split && len - at > 0;
        let rc = call(base, split, uv, len - at);
        let expected = !overlap && rotation_ok && {
            let (y, rest) = store.split_at_mut(split);
            let uv = &mut rest[at - split.min(at)..];
            at >= split && FrameMut::nv12(width, height, y, y_stride, uv, uv_stride).is_ok()
        };
        return (rc, expected);
    }
    let (mut ys, y_null, y_len) = p.y.make();
    let (mut uvs, uv_null, uv_len) = p.uv.make();
    let rc = call(Buf::ptr(&mut ys, y_null), y_len, Buf::ptr(&mut uvs, uv_null), uv_len);
    let expected = !y_null
        && !uv_null
        && y_len <= isize::MAX as usize
        && uv_len <= isize::MAX as usize
        && rotation_ok
        && FrameMut::nv12(width, height, &mut ys[..y_len], y_stride, &mut uvs[..uv_len], uv_stride).is_ok();
    (rc, expected)
}

fn nul_terminated(bytes: &[u8], prefix: &str) -> Vec<u8> {
    let mut s = prefix.as_bytes().to_vec();
    s.extend(bytes.iter().copied().filter(|&b| b != 0));
    s.push(0);
    s
}

fn run(op: &Op) {
    let model = loaded().filter != 0;
    let mut verdict = SafeFrameVerdict {
        action: -7,
        category: -7,
        scores: [0.0; 5],
        rule: -7,
    };
    let out = |want: bool, v: &mut SafeFrameVerdict| if want { v as *mut _ } else { std::ptr::null_mut() };
    match op {
        Op::Check {
            real,
            buf,
            width,
            height,
            stride,
            format,
            out: o,
        }
        | Op::FilterInPlace {
            real,
            buf,
            width,
            height,
            stride,
            format,
            out: o,
        } => {
            let (mut store, null, len) = buf.make();
            let (width, height, stride) = (width % 4096, height % 4096, *stride as usize % 65536);
            let expected = *real && model && frame_ok(&store, null, len, width, height, stride, *format);
            let ptr = Buf::ptr(&mut store, null);
            let filter = filter_ptr(*real);
            let out_ptr = out(*o, &mut verdict);
            // SAFETY: `filter` is NULL or the live filter; `ptr` is NULL or `len` bytes of
            // `store` (or a 4-byte buffer with a length no buffer has, which is refused before
            // any read); `out_ptr` is NULL or a live verdict.
            let rc = unsafe {
                if matches!(op, Op::Check { .. }) {
                    safeframe_check(filter, ptr, len, width, height, stride, *format, out_ptr)
                } else {
                    safeframe_filter_in_place(filter, ptr, len, width, height, stride, *format, out_ptr)
                }
            };
            status_ok(rc);
            assert_eq!(rc == SAFEFRAME_OK, expected, "status {rc}: {:?}", last_error());
            if rc == SAFEFRAME_OK && *o {
                verdict_ok(&verdict);
            }
        }
        Op::FilterNv12 { real, planes, out: o } => {
            let filter = filter_ptr(*real);
            let out_ptr = out(*o, &mut verdict);
            let (width, height) = (u32::from(planes.width % 256), u32::from(planes.height % 256));
            let (y_stride, uv_stride) = (planes.y_stride as usize % 1024, planes.uv_stride as usize % 1024);
            let (rc, expected) = with_nv12(planes, |y, y_len, uv, uv_len| {
                // SAFETY: `y`/`uv` are NULL or point to `y_len`/`uv_len` bytes of live buffers
                // (possibly overlapping: the call must refuse those before touching a byte).
                unsafe {
                    safeframe_filter_nv12_in_place(
                        filter,
                        y,
                        y_len,
                        y_stride,
                        uv,
                        uv_len,
                        uv_stride,
                        width,
                        height,
                        planes.rotation,
                        planes.full_range,
                        out_ptr,
                    )
                }
            });
            status_ok(rc);
            assert_eq!(
                rc == SAFEFRAME_OK,
                *real && model && expected,
                "status {rc}: {:?}",
                last_error()
            );
            if rc == SAFEFRAME_OK && *o {
                verdict_ok(&verdict);
            }
        }
        Op::StreamInPlace {
            real,
            buf,
            width,
            height,
            stride,
            format,
            rotation,
            timestamp,
            out: o,
        } => {
            let (mut store, null, len) = buf.make();
            let (width, height, stride) = (width % 4096, height % 4096, *stride as usize % 65536);
            let expected = *real
                && model
                && Rotation::from_degrees(*rotation).is_ok()
                && frame_ok(&store, null, len, width, height, stride, *format);
            let ptr = Buf::ptr(&mut store, null);
            let stream = stream_ptr(*real);
            let out_ptr = out(*o, &mut verdict);
            // SAFETY: as for `safeframe_filter_in_place` above, with the live stream or NULL.
            let rc = unsafe {
                safeframe_stream_process_in_place(
                    stream, ptr, len, width, height, stride, *format, *rotation, *timestamp, out_ptr,
                )
            };
            status_ok(rc);
            assert_eq!(rc == SAFEFRAME_OK, expected, "status {rc}: {:?}", last_error());
            if *o {
                verdict_ok(&verdict);
                if rc != SAFEFRAME_OK {
                    assert_eq!(
                        verdict.action, SAFEFRAME_ACTION_BLOCK,
                        "a refused frame must read as blocked"
                    );
                }
            }
        }
        Op::StreamNv12 {
            real,
            planes,
            timestamp,
            out: o,
        } => {
            let stream = stream_ptr(*real);
            let out_ptr = out(*o, &mut verdict);
            let (width, height) = (u32::from(planes.width % 256), u32::from(planes.height % 256));
            let (y_stride, uv_stride) = (planes.y_stride as usize % 1024, planes.uv_stride as usize % 1024);
            let (rc, expected) = with_nv12(planes, |y, y_len, uv, uv_len| {
                // SAFETY: as in `FilterNv12`.
                unsafe {
                    safeframe_stream_process_nv12_in_place(
                        stream,
                        y,
                        y_len,
                        y_stride,
                        uv,
                        uv_len,
                        uv_stride,
                        width,
                        height,
                        planes.rotation,
                        planes.full_range,
                        *timestamp,
                        out_ptr,
                    )
                }
            });
            status_ok(rc);
            assert_eq!(
                rc == SAFEFRAME_OK,
                *real && model && expected,
                "status {rc}: {:?}",
                last_error()
            );
            if *o {
                verdict_ok(&verdict);
                if rc != SAFEFRAME_OK {
                    assert_eq!(verdict.action, SAFEFRAME_ACTION_BLOCK);
                }
            }
        }
        Op::StreamCounters { real, out: o } => {
            let mut counters = SafeFrameStreamCounters::default();
            let ptr = if *o {
                &mut counters as *mut _
            } else {
                std::ptr::null_mut()
            };
            // SAFETY: the live stream or NULL; `ptr` is NULL or live counters.
            let rc = unsafe { safeframe_stream_counters(stream_ptr(*real), ptr) };
            status_ok(rc);
            assert_eq!(rc == SAFEFRAME_OK, *real && model && *o);
            if rc == SAFEFRAME_OK {
                assert!(counters.classified <= counters.frames && counters.blocked <= counters.frames);
            }
        }
        Op::StreamNew { real, config } => {
            let c = config.as_ref().map(RawConfig::bytes);
            let ptr = c.as_ref().map_or(std::ptr::null(), |c| {
                (c as *const ConfigBytes).cast::<SafeFrameStreamConfig>()
            });
            // SAFETY: the live filter or NULL; `ptr` is NULL or a config-sized struct (read as
            // bytes where the config has `bool`s, as the C ABI documents).
            let stream = unsafe { safeframe_stream_new(filter_ptr(*real), ptr) };
            let rc = safeframe_last_error_code();
            assert_ne!(rc, SAFEFRAME_ERROR_INTERNAL, "{:?}", last_error());
            assert_eq!(stream.is_null(), rc != SAFEFRAME_OK);
            // SAFETY: NULL or the stream just made, used by nothing else.
            unsafe { safeframe_stream_free(stream) };
        }
        Op::FilterNew {
            pack,
            second,
            policy,
            fail_open,
            threads,
            provider,
        } => {
            // Pack paths under a directory that does not exist: no model is ever loaded here.
            let pack = nul_terminated(pack, "/nonexistent-safeframe-fuzz/");
            let policy = nul_terminated(policy, "");
            let p = pack.as_ptr().cast::<c_char>();
            let pol = policy.as_ptr().cast::<c_char>();
            // SAFETY: NUL-terminated strings that live for the call.
            let filter = unsafe {
                match (second, provider) {
                    (Some(second), _) => {
                        let second = nul_terminated(second, "/nonexistent-safeframe-fuzz/");
                        safeframe_filter_new_with_second_opinion(p, second.as_ptr().cast(), pol, *fail_open, *threads)
                    }
                    (None, Some((ep, fallback))) => {
                        safeframe_filter_new_with_provider(p, pol, *fail_open, *threads, *ep, *fallback)
                    }
                    (None, None) => safeframe_filter_new(p, pol, *fail_open, *threads),
                }
            };
            assert!(filter.is_null(), "no pack exists there");
            let rc = safeframe_last_error_code();
            assert_ne!(rc, SAFEFRAME_OK);
            assert_ne!(rc, SAFEFRAME_ERROR_INTERNAL, "{:?}", last_error());
            assert!(last_error().is_some());
        }
        Op::FromHandle { handle, stream } => {
            if *stream {
                let s = safeframe_stream_from_handle(*handle);
                // SAFETY: NULL or a stream just taken over.
                unsafe { safeframe_stream_free(s) };
            } else {
                let f = safeframe_filter_from_handle(*handle);
                // SAFETY: NULL or a filter just taken over.
                unsafe { safeframe_filter_free(f) };
            }
            assert_ne!(safeframe_last_error_code(), SAFEFRAME_ERROR_INTERNAL);
        }
        Op::FreeNull => {
            // SAFETY: NULL is ignored.
            unsafe {
                safeframe_filter_free(std::ptr::null_mut());
                safeframe_stream_free(std::ptr::null_mut());
            }
            status_ok(SAFEFRAME_OK);
            // SAFETY: a static NUL-terminated string.
            assert!(!unsafe { CStr::from_ptr(safeframe_version()) }.to_bytes().is_empty());
            let config = safeframe_stream_config_default();
            assert_eq!(config.clear_after, 3);
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    for op in ops.iter().take(16) {
        run(op);
    }
});
