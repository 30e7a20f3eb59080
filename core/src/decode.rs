//! Decoding encoded images (PNG, JPEG, GIF, BMP, WebP) with SafeFrame's limits (feature
//! `decode`).
//!
//! One decoder for every door that takes image files or bytes: the CLI reads a file and calls
//! [`decode_image`], the WebAssembly build calls it on the bytes a page hands over, and the
//! Kotlin, Swift and C doors' `checkEncodedImage` call [`decode_image_within`] with 512 MiB. The limits
//! are those of a frame ([`MAX_SIDE`] per side, [`MAX_PIXELS`] in all) and at most
//! [`MAX_DECODE_BYTES`] allocated by one decode; an image over them is refused from its header,
//! before any pixel is decoded.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits};

use crate::error::{Result, SafeFrameError};
use crate::frame::{MAX_PIXELS, MAX_SIDE};

/// The most memory one [`decode_image`] may allocate (1 GiB).
pub const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Decodes `bytes` (PNG, JPEG, GIF, BMP or WebP; the format is read from the bytes), turned
/// upright by the image's EXIF orientation when `apply_orientation` is set (what a person sees).
///
/// Errors: [`SafeFrameError::FrameTooLarge`] for an image over [`MAX_SIDE`] or [`MAX_PIXELS`]
/// (refused from its header), [`SafeFrameError::InvalidImage`] for anything else that cannot be
/// decoded (unknown format, corrupt data, over [`MAX_DECODE_BYTES`]). Alpha, when the image has
/// it, is kept: `into_rgb8()` drops it as the CLI does (the stored colour of a transparent pixel
/// is kept, not made black).
///
/// ```
/// use safeframe::decode::decode_image;
/// // A 2x1 PNG: one red and one blue pixel.
/// let mut png = Vec::new();
/// let image = image::RgbImage::from_raw(2, 1, vec![255, 0, 0, 0, 0, 255]).unwrap();
/// image.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
/// let decoded = decode_image(&png, true)?.into_rgb8();
/// assert_eq!((decoded.width(), decoded.height()), (2, 1));
/// assert_eq!(decoded.as_raw(), &[255, 0, 0, 0, 0, 255]);
/// assert!(decode_image(b"not an image", true).is_err());
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
pub fn decode_image(bytes: &[u8], apply_orientation: bool) -> Result<DynamicImage> {
    decode_image_within(bytes, apply_orientation, MAX_DECODE_BYTES)
}

/// [`decode_image`] allowed to allocate at most `max_alloc` bytes (the mobile doors use 512 MiB:
/// enough for the largest frame SafeFrame accepts, small enough not to take a phone down).
///
/// ```
/// use safeframe::decode::decode_image_within;
/// assert!(decode_image_within(b"not an image", true, 512 << 20).is_err());
/// ```
pub fn decode_image_within(bytes: &[u8], apply_orientation: bool, max_alloc: u64) -> Result<DynamicImage> {
    let fail = |e: image::ImageError| invalid(format!("cannot decode image: {e}"));
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| invalid(format!("cannot read image: {e}")))?;
    if reader.format().is_none() {
        return Err(invalid(format!(
            "unrecognised image format ({} bytes); SafeFrame decodes PNG, JPEG, GIF, BMP and WebP",
            bytes.len()
        )));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(max_alloc);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(fail)?;
    // Refuse what no frame can hold before decoding it (up to `max_alloc` of pixels otherwise).
    let (width, height) = decoder.dimensions();
    if width > MAX_SIDE || height > MAX_SIDE || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(too_large(width, height));
    }
    let orientation = decoder.orientation().map_err(fail)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(fail)?;
    if apply_orientation {
        image.apply_orientation(orientation);
    }
    Ok(image)
}

fn invalid(reason: String) -> SafeFrameError {
    SafeFrameError::InvalidImage { reason }
}

fn too_large(width: u32, height: u32) -> SafeFrameError {
    SafeFrameError::FrameTooLarge {
        width,
        height,
        max_side: MAX_SIDE,
        max_pixels: MAX_PIXELS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // An image over the pixel limit, refused from its header before any pixel is decoded, is
    // tested through the doors that call this decoder (bindings/src/decode.rs, cli/src/decode.rs)
    // with `safeframe_tests::png_without_pixels`.

    #[test]
    fn refuses_garbage_and_truncated_images_as_invalid_images() {
        let mut png = Vec::new();
        image::RgbaImage::from_pixel(3, 2, image::Rgba([10, 20, 30, 0]))
            .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let decoded = decode_image(&png, false).unwrap();
        assert_eq!(decoded.into_rgb8().get_pixel(2, 1).0, [10, 20, 30]);
        for bad in [&b"not an image"[..], &png[..png.len() / 2], &[]] {
            assert!(matches!(
                decode_image(bad, true),
                Err(SafeFrameError::InvalidImage { .. })
            ));
        }
    }
}
