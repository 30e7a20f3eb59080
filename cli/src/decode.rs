//! Image files for the CLI: read, then decoded by the core's decoder ([`safeframe::decode`])
//! with its limits.

use std::path::Path;

use image::DynamicImage;

use crate::CliError;

/// Decodes an image file, turning it upright by its EXIF orientation unless told not to.
/// Errors name the file.
pub fn decode(path: &Path, apply_orientation: bool) -> Result<DynamicImage, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::Decode(format!("{}: {e}", path.display())))?;
    safeframe::decode::decode_image(&bytes, apply_orientation)
        .map_err(|e| CliError::Decode(format!("{}: {e}", path.display())))
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
