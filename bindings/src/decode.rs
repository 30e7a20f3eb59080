//! Decoding encoded images (PNG, JPEG, GIF, BMP, WebP) with explicit limits.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbaImage};
use safeframe::frame::{MAX_PIXELS, MAX_SIDE};

use crate::error::SafeFrameError;

/// The most memory one decode may allocate (512 MiB): enough for the largest frame SafeFrame
/// accepts, small enough not to take a phone down.
const MAX_DECODE_BYTES: u64 = 512 << 20;

/// Decodes `bytes` into RGBA8 pixels, turned upright by the image's EXIF orientation (what a
/// person sees).
pub(crate) fn decode_rgba(bytes: &[u8]) -> Result<RgbaImage, SafeFrameError> {
    let fail = |e: image::ImageError| SafeFrameError::InvalidImage(format!("cannot decode image: {e}"));
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| SafeFrameError::InvalidImage(format!("cannot read image: {e}")))?;
    if reader.format().is_none() {
        return Err(SafeFrameError::InvalidImage(format!(
            "unrecognised image format ({} bytes); SafeFrame decodes PNG, JPEG, GIF, BMP and WebP",
            bytes.len()
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(fail)?;
    // Refuse what no frame can hold before decoding it (up to 512 MiB of pixels otherwise).
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(SafeFrameError::FrameTooLarge(format!(
            "image of {width}x{height} pixels is larger than {MAX_PIXELS} pixels"
        )));
    }
    let orientation = decoder.orientation().map_err(fail)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    image.apply_orientation(orientation);
    Ok(image.into_rgba8())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_png_and_refuses_garbage() {
        let mut png = Vec::new();
        let source = RgbaImage::from_pixel(3, 2, image::Rgba([10, 20, 30, 255]));
        source
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let decoded = decode_rgba(&png).unwrap();
        assert_eq!(decoded.dimensions(), (3, 2));
        assert_eq!(decoded.get_pixel(2, 1).0, [10, 20, 30, 255]);
        assert!(matches!(
            decode_rgba(b"not an image"),
            Err(SafeFrameError::InvalidImage(_))
        ));
        assert!(matches!(
            decode_rgba(&png[..png.len() / 2]),
            Err(SafeFrameError::InvalidImage(_))
        ));
    }

    #[test]
    fn refuses_an_image_over_the_pixel_limit_before_decoding_it() {
        // 11264x9989 is under the side limit and the 512 MiB allocation limit, over 100 MP.
        match decode_rgba(&safeframe_tests::png_without_pixels(11264, 9989)) {
            Err(SafeFrameError::FrameTooLarge(message)) => assert!(message.contains("11264x9989"), "{message}"),
            other => panic!("{other:?}"),
        }
        // Within the limit the same header gets as far as the missing pixel data.
        assert!(matches!(
            decode_rgba(&safeframe_tests::png_without_pixels(10000, 10000)),
            Err(SafeFrameError::InvalidImage(_))
        ));
    }
}
