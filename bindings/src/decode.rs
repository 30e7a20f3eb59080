//! Decoding encoded images (PNG, JPEG, GIF, BMP, WebP) for `checkEncodedImage`: the core's one
//! decoder, with the mobile doors' allocation limit.

use image::RgbaImage;

use crate::error::SafeFrameError;

/// The most memory one decode may allocate (512 MiB): enough for the largest frame SafeFrame
/// accepts, small enough not to take a phone down.
const MAX_DECODE_BYTES: u64 = 512 << 20;

/// Decodes `bytes` into RGBA8 pixels, turned upright by the image's EXIF orientation (what a
/// person sees), with the core's decoder and limits ([`safeframe::decode`]).
pub(crate) fn decode_rgba(bytes: &[u8]) -> Result<RgbaImage, SafeFrameError> {
    Ok(safeframe::decode::decode_image_within(bytes, true, MAX_DECODE_BYTES)?.into_rgba8())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

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
