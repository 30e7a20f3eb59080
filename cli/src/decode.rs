//! Image decoding for the CLI, with explicit limits.

use std::path::Path;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};
use safeframe::frame::{MAX_PIXELS, MAX_SIDE};

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
    // Refuse what no frame can hold before decoding it (up to 1 GiB of pixels otherwise).
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(CliError::Decode(format!(
            "{}: image of {width}x{height} pixels is larger than {MAX_PIXELS} pixels",
            path.display()
        )));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_image_over_the_pixel_limit_before_decoding_it() {
        // A PNG of 11264x9989 (under the side limit, over 100 MP) without its pixel data.
        let png = safeframe_tests::png_without_pixels(11264, 9989);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.png");
        std::fs::write(&path, png).unwrap();
        match decode(&path, true) {
            Err(CliError::Decode(message)) => assert!(message.contains("11264x9989"), "{message}"),
            other => panic!("{:?}", other.map(|i| (i.width(), i.height()))),
        }
    }
}
