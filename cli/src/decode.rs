//! Image decoding for the CLI, with explicit limits.

use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use safeframe::frame::MAX_SIDE;

use crate::CliError;

/// The most memory one decode may allocate (1 GiB).
const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Decodes an image file, turning it upright by its EXIF orientation unless told not to.
pub fn decode(path: &Path, apply_orientation: bool) -> Result<DynamicImage, CliError> {
    let fail = |e: image::ImageError| CliError::Decode(format!("{}: {e}", path.display()));
    let mut reader = ImageReader::open(path)
        .map_err(|e| CliError::Decode(format!("{}: {e}", path.display())))?
        .with_guessed_format()
        .map_err(|e| CliError::Decode(format!("{}: {e}", path.display())))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(fail)?;
    let orientation = decoder.orientation().map_err(fail)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    if apply_orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

/// File extensions the directory walk treats as images.
pub fn is_image_file(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "gif" | "bmp" | "webp")
}
