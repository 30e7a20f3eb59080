//! Errors of the PDQ hasher: all are about the pixel buffer the caller passed.

/// A pixel buffer that cannot be hashed as described.
///
/// Every variant is a caller bug (wrong size, stride or buffer); none depends
/// on the image content. Images smaller than 5 px on a side are *not* an
/// error: like the reference they hash to zero with quality 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdqError {
    /// Width or height is zero.
    #[error("image is {width}x{height}: width and height must both be at least 1")]
    EmptyImage {
        /// Given width in pixels.
        width: usize,
        /// Given height in pixels.
        height: usize,
    },
    /// The row stride is shorter than one row of pixels.
    #[error("row stride {row_stride} bytes is less than width x bytes per pixel = {min_stride}; pass the distance in bytes between the starts of two rows")]
    StrideTooSmall {
        /// Given row stride in bytes.
        row_stride: usize,
        /// Smallest valid row stride in bytes.
        min_stride: usize,
    },
    /// The buffer ends before the last pixel of the last row.
    #[error("pixel buffer has {len} bytes but {width}x{height} with row stride {row_stride} needs at least {needed}")]
    BufferTooSmall {
        /// Given buffer length in bytes.
        len: usize,
        /// Bytes needed: `(height - 1) * row_stride + width * bytes_per_pixel`.
        needed: usize,
        /// Given width in pixels.
        width: usize,
        /// Given height in pixels.
        height: usize,
        /// Given row stride in bytes.
        row_stride: usize,
    },
    /// Width, height and stride overflow the address space.
    #[error("image size {width}x{height} with row stride {row_stride} overflows usize")]
    SizeOverflow {
        /// Given width in pixels.
        width: usize,
        /// Given height in pixels.
        height: usize,
        /// Given row stride in bytes.
        row_stride: usize,
    },
}

/// Checks a packed 8-bit buffer description and returns nothing on success.
pub(crate) fn check_buffer(
    len: usize,
    width: usize,
    height: usize,
    row_stride: usize,
    bytes_per_pixel: usize,
) -> Result<(), PdqError> {
    if width == 0 || height == 0 {
        return Err(PdqError::EmptyImage { width, height });
    }
    let overflow = PdqError::SizeOverflow {
        width,
        height,
        row_stride,
    };
    let min_stride = width.checked_mul(bytes_per_pixel).ok_or(overflow.clone())?;
    if row_stride < min_stride {
        return Err(PdqError::StrideTooSmall { row_stride, min_stride });
    }
    let needed = (height - 1)
        .checked_mul(row_stride)
        .and_then(|x| x.checked_add(min_stride))
        .ok_or(overflow)?;
    if len < needed {
        return Err(PdqError::BufferTooSmall {
            len,
            needed,
            width,
            height,
            row_stride,
        });
    }
    Ok(())
}
