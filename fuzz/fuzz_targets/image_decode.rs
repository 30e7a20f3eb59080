//! Image decoding with limits, exactly as SafeFrame does it: the core's decoder
//! (`safeframe::decode`) with the mobile doors' 512 MiB allocation limit (what
//! `SafeFrameFilter.checkEncodedImage` calls) and the CLI's file `decode` (`safeframe scan`/`filter`;
//! the core's `decode_image`, 1 GiB, which the web build calls too), compiled in from its source.
//!
//! The first input byte picks the path, the CLI file's extension and whether the EXIF
//! orientation is applied; the rest is the encoded image. Checks: no panic, no allocation over
//! the limit (libFuzzer's `-malloc_limit_mb` catches one), no image larger than `MAX_SIDE` on a
//! side or `MAX_PIXELS` in all; a decoded image makes a valid frame.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use safeframe::frame::{Frame, PixelFormat, MAX_PIXELS, MAX_SIDE};

/// What `cli/src/decode.rs` needs from its crate.
#[derive(Debug)]
pub enum CliError {
    Decode(#[allow(dead_code)] String),
}

#[path = "../../cli/src/decode.rs"]
#[allow(dead_code)]
mod cli_decode;

const EXTENSIONS: [&str; 8] = ["", "png", "jpg", "gif", "bmp", "webp", "jpeg", "txt"];

/// A scratch directory per fuzzing process for the CLI's file path.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch_dir().join(format!("safeframe-fuzz-decode-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

/// Memory-backed `/dev/shm` when there is one: rewriting a file on a disk file system waits for
/// its writeback and makes the target a hundred times slower.
fn scratch_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, image)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        // The limit of bindings/src/decode.rs.
        if let Ok(rgba) = safeframe::decode::decode_image_within(image, true, 512 << 20).map(|i| i.into_rgba8()) {
            let (w, h) = rgba.dimensions();
            assert!(w <= MAX_SIDE && h <= MAX_SIDE, "{w}x{h} over the limit");
            assert_eq!(rgba.as_raw().len(), w as usize * h as usize * 4);
            if w > 0 && h > 0 {
                Frame::packed(rgba.as_raw(), w, h, PixelFormat::Rgba8).expect("a decoded image is a valid frame");
            }
        }
    } else {
        let ext = EXTENSIONS[usize::from(mode >> 2) % EXTENSIONS.len()];
        let mut path = scratch().join("image");
        path.set_extension(ext);
        if std::fs::write(&path, image).is_err() {
            return;
        }
        if let Ok(decoded) = cli_decode::decode(&path, mode & 2 == 2) {
            let (w, h) = (decoded.width(), decoded.height());
            assert!(w <= MAX_SIDE && h <= MAX_SIDE, "{w}x{h} over the limit");
            assert!(u64::from(w) * u64::from(h) <= MAX_PIXELS, "{w}x{h} over the limit");
            let _ = std::fs::remove_file(&path);
        } else {
            let _ = std::fs::remove_file(&path);
        }
    }
});
