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
//! `SAFEFRAME_ERROR_INTERNAL`; a status of 0 only when the core accepts the frame the arguments
//! describe (and never without a loaded filter); `safeframe_last_error`/`_code` describe the last
//! call; verdicts hold valid codes, and a refused frame's verdict says block (the filter and the
//! stream fail closed, and write that verdict before they look at the frame).
#![no_main]

use std::ffi::{c_char, CStr, CString};
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use safeframe::frame::{FrameDescription, PixelFormat, PlaneStrides};
use safeframe_ffi::c_api::*;
use safeframe_ffi::ErrorKind;

/// The C status of a caught panic or another bug (`SAFEFRAME_ERROR_INTERNAL`).
const SAFEFRAME_ERROR_INTERNAL: i32 = ErrorKind::Internal.code();

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

/// Which frame call to make.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Call {
    Check,
    FilterInPlace,
    Stream,
}

/// One plane as C may describe it: a buffer (NULL, short, real or of impossible length) and
/// its strides.
#[derive(Debug, Arbitrary)]
struct FuzzPlane {
    buf: Buf,
    row_stride: i16,
    pixel_stride: i8,
}

/// A `SafeFrameFrame` as C may fill it.
#[derive(Debug, Arbitrary)]
struct FuzzFrame {
    width: i16,
    height: i16,
    format: i8,
    rotation: i16,
    planes: Vec<FuzzPlane>,
    plane_count: i8,
    crop: Option<(i16, i16, i16, i16)>,
    timestamp: Option<i64>,
    full_range: bool,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Frame {
        call: Call,
        real: bool,
        frame: FuzzFrame,
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

fn filter_ptr(real: bool) -> *const CFilter {
    if real {
        loaded().filter as *const CFilter
    } else {
        std::ptr::null()
    }
}

fn stream_ptr(real: bool) -> *const CStream {
    if real {
        loaded().stream as *const CStream
    } else {
        std::ptr::null()
    }
}

/// Whether the core accepts the frame `frame` describes over `stores` (what a status of 0
/// needs besides a live filter): the C door may refuse more (NULL or impossible pointers, a
/// bad `plane_count`), never less.
fn core_accepts(frame: &SafeFrameFrame, stores: &[Vec<u8>]) -> bool {
    let Ok(format) = PixelFormat::from_code(frame.format.into()) else {
        return false;
    };
    let count = usize::try_from(frame.plane_count).unwrap_or(0).min(3);
    let strides: Vec<PlaneStrides> = frame.planes[..count]
        .iter()
        .map(|p| PlaneStrides::new(p.row_stride.into(), p.pixel_stride.into()))
        .collect();
    let described = FrameDescription::new(frame.width.into(), frame.height.into(), format, &strides)
        .and_then(|d| d.with_rotation_degrees(frame.rotation_degrees.into()));
    let Ok(mut description) = described else {
        return false;
    };
    if (frame.crop_x, frame.crop_y, frame.crop_width, frame.crop_height) != (0, 0, 0, 0) {
        match description.with_crop(
            frame.crop_x.into(),
            frame.crop_y.into(),
            frame.crop_width.into(),
            frame.crop_height.into(),
        ) {
            Ok(d) => description = d,
            Err(_) => return false,
        }
    }
    // Every plane after the first NULL and empty: the first buffer holds them all.
    let one_buffer = count > 1 && frame.planes[1..count].iter().all(|p| p.data.is_null() && p.len == 0);
    let used = if one_buffer { 1 } else { count };
    let views: Vec<&[u8]> = (0..used)
        .map(|i| {
            let len = frame.planes[i].len.min(stores[i].len());
            &stores[i][..len]
        })
        .collect();
    description.frame(&views).is_ok()
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
        Op::Frame {
            call,
            real,
            frame: f,
            out: o,
        } => {
            let mut stores: Vec<Vec<u8>> = Vec::new();
            let empty = SafeFramePlane {
                data: std::ptr::null_mut(),
                len: 0,
                row_stride: 0,
                pixel_stride: 0,
            };
            let mut planes = [empty; 3];
            for (plane, fuzz) in planes.iter_mut().zip(f.planes.iter().take(3)) {
                let (mut store, null, len) = fuzz.buf.make();
                *plane = SafeFramePlane {
                    data: Buf::ptr(&mut store, null),
                    len,
                    row_stride: fuzz.row_stride.into(),
                    pixel_stride: fuzz.pixel_stride.into(),
                };
                stores.push(store);
            }
            stores.resize(3, Vec::new());
            let (x, y, w, h) = f.crop.unwrap_or((0, 0, 0, 0));
            let frame = SafeFrameFrame {
                width: f.width.into(),
                height: f.height.into(),
                format: f.format.into(),
                rotation_degrees: f.rotation.into(),
                planes,
                plane_count: f.plane_count.into(),
                crop_x: x.into(),
                crop_y: y.into(),
                crop_width: w.into(),
                crop_height: h.into(),
                timestamp_ns: f.timestamp.unwrap_or(0),
                has_timestamp: f.timestamp.is_some(),
                full_range: f.full_range,
            };
            let out_ptr = out(*o, &mut verdict);
            // SAFETY: the filter and stream are NULL or live; every plane's `data` is NULL or
            // `len` bytes of its own `stores` buffer (or a 4-byte buffer with a length no buffer
            // has, which is refused before any read); the buffers never overlap and nothing else
            // touches them; `out_ptr` is NULL or a live verdict.
            let rc = unsafe {
                match call {
                    Call::Check => safeframe_check_frame(filter_ptr(*real), &frame, out_ptr),
                    Call::FilterInPlace => safeframe_filter_frame_in_place(filter_ptr(*real), &frame, out_ptr),
                    Call::Stream => safeframe_stream_process_frame_in_place(stream_ptr(*real), &frame, out_ptr),
                }
            };
            status_ok(rc);
            if rc == SAFEFRAME_OK {
                assert!(*real && model, "a call without a loaded filter succeeded");
                assert!(core_accepts(&frame, &stores), "accepted a frame the core refuses: {f:?}");
            }
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
