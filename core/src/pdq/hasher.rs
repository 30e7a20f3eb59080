//! `PdqHasher`: reusable scratch and the whole pipeline from pixels to hash.
//!
//! Steps, each as the reference `pdq-photo-hasher` does them:
//! 1. if width or height > 512: nearest-neighbour resize to exactly 512x512,
//!    pixel (x, y) <- (⌊x·W/512⌋, ⌊y·H/512⌋), fused into the luma read;
//! 2. float32 luma;
//! 3. width or height < 5: zero hash, quality 0;
//! 4. exactly 64x64 (plain hash only): no filter; otherwise two-pass Jarosz
//!    box filter and centre sampling down to 64x64;
//! 5. quality from the 64x64 gradients; 16x16 DCT; bits above the median.

use super::dct::{bits_from_dct, dct64_to_16, quality, transform, Dihedral};
use super::error::PdqError;
use super::filter::{decimate_64, jarosz_filter, FilterScratch};
use super::hash::PdqHash;
use super::luma::{ChromaPlane, GreySource, LumaSource, PixelFormat, RgbSource, Yuv420Source};

/// Images with a side above this are first resized to `PRE_RESIZE x PRE_RESIZE`.
pub const PRE_RESIZE: usize = 512;

/// Smallest width and height that get a real hash (smaller: zero, quality 0).
pub const MIN_HASHABLE_DIM: usize = 5;

/// A PDQ hash and its quality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PdqResult {
    /// The 256-bit hash.
    pub hash: PdqHash,
    /// Quality 0..=100; below 50 Meta recommends not matching the hash.
    pub quality: u8,
}

/// The eight dihedral hashes derived from one DCT, and the quality.
///
/// Each field is PDQ's stand-in for the hash of the image after that
/// transform (not the hash of a transformed copy, which differs slightly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PdqDihedral {
    /// The image as given.
    pub orig: PdqHash,
    /// Rotated 90° counter-clockwise.
    pub rot90: PdqHash,
    /// Rotated 180°.
    pub rot180: PdqHash,
    /// Rotated 90° clockwise.
    pub rot270: PdqHash,
    /// Flipped top to bottom.
    pub flipx: PdqHash,
    /// Flipped left to right.
    pub flipy: PdqHash,
    /// Transposed about the main diagonal.
    pub flipp: PdqHash,
    /// Transposed about the anti-diagonal.
    pub flipm: PdqHash,
    /// Quality 0..=100.
    pub quality: u8,
}

impl PdqDihedral {
    /// The eight hashes in the reference's order: orig, rot90, rot180,
    /// rot270, flipx, flipy, flipp, flipm.
    pub fn hashes(&self) -> [PdqHash; 8] {
        [
            self.orig,
            self.rot90,
            self.rot180,
            self.rot270,
            self.flipx,
            self.flipy,
            self.flipp,
            self.flipm,
        ]
    }

    fn zero() -> Self {
        PdqDihedral {
            orig: PdqHash::ZERO,
            rot90: PdqHash::ZERO,
            rot180: PdqHash::ZERO,
            rot270: PdqHash::ZERO,
            flipx: PdqHash::ZERO,
            flipy: PdqHash::ZERO,
            flipp: PdqHash::ZERO,
            flipm: PdqHash::ZERO,
            quality: 0,
        }
    }
}

/// Reusable scratch for PDQ hashing (about 2.1 MB, allocated by `new`).
///
/// Keep one per thread and call it for every frame: no hashing method
/// allocates. All methods validate the buffer description and
/// return [`PdqError`] instead of panicking.
///
/// ```
/// use safeframe::pdq::{PdqHasher, PixelFormat};
/// let (w, h) = (32, 24);
/// let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 7 % 251) as u8).collect();
/// let mut hasher = PdqHasher::new();
/// let r = hasher.hash_rgb8(&rgb, w, h, w * 3, PixelFormat::Rgb8)?;
/// assert!(r.quality <= 100);
/// println!("{}", r.hash.to_hex());
/// # Ok::<(), safeframe::pdq::PdqError>(())
/// ```
pub struct PdqHasher {
    buf1: Vec<f32>,
    buf2: Vec<f32>,
    xs: Vec<u32>,
    filter: FilterScratch,
    b64: Box<[[f32; 64]; 64]>,
    b16x64: Box<[[f32; 64]; 16]>,
}

impl Default for PdqHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for PdqHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdqHasher").finish_non_exhaustive()
    }
}

/// The 16x16 DCT block and the quality, or `None` for images under 5 px.
type Dct = Option<([[f32; 16]; 16], u8)>;

impl PdqHasher {
    /// Allocates the scratch buffers (sized for the 512x512 worst case).
    pub fn new() -> Self {
        PdqHasher {
            buf1: vec![0.0; PRE_RESIZE * PRE_RESIZE],
            buf2: vec![0.0; PRE_RESIZE * PRE_RESIZE],
            xs: Vec::with_capacity(PRE_RESIZE),
            filter: FilterScratch::new(PRE_RESIZE),
            b64: Box::new([[0.0; 64]; 64]),
            b16x64: Box::new([[0.0; 64]; 16]),
        }
    }

    /// Hash of packed 8-bit colour pixels (RGB, BGR, RGBA, BGRA, ARGB).
    ///
    /// `row_stride` is the distance in bytes between the starts of two rows
    /// (at least `width * format.bytes_per_pixel()`); the buffer needs
    /// `(height - 1) * row_stride + width * bpp` bytes.
    pub fn hash_rgb8(
        &mut self,
        pixels: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        format: PixelFormat,
    ) -> Result<PdqResult, PdqError> {
        let dct = self.dct_rgb8(pixels, width, height, row_stride, format, false)?;
        Ok(plain(dct))
    }

    /// The eight dihedral hashes of packed 8-bit colour pixels (one DCT).
    pub fn hash_rgb8_dihedral(
        &mut self,
        pixels: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        format: PixelFormat,
    ) -> Result<PdqDihedral, PdqError> {
        let dct = self.dct_rgb8(pixels, width, height, row_stride, format, true)?;
        Ok(dihedral(dct))
    }

    /// Hash of an 8-bit luma plane, e.g. the Y plane of an NV21/I420 frame.
    ///
    /// With `full_range` the byte is the luma (0..=255); otherwise it is
    /// limited ("video") range and `(y - 16) * 255 / 219`, clamped to
    /// 0..=255, is used (in float). A Y plane from a camera is not the
    /// reference's RGB luma, so expect a few bits of difference from
    /// hashing the same frame's RGB pixels.
    pub fn hash_luma8(
        &mut self,
        plane: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        full_range: bool,
    ) -> Result<PdqResult, PdqError> {
        let src = GreySource::new(plane, width, height, row_stride, full_range)?;
        Ok(plain(self.dct_from_source(&src, false)))
    }

    /// The eight dihedral hashes of an 8-bit luma plane (see [`Self::hash_luma8`]).
    pub fn hash_luma8_dihedral(
        &mut self,
        plane: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        full_range: bool,
    ) -> Result<PdqDihedral, PdqError> {
        let src = GreySource::new(plane, width, height, row_stride, full_range)?;
        Ok(dihedral(self.dct_from_source(&src, true)))
    }

    /// The eight dihedral hashes of a YUV 4:2:0 frame whose colours use a matrix other than
    /// BT.601 (e.g. BT.709): the Y plane (as in [`Self::hash_luma8`]) plus
    /// `chroma_weights[0] · (U − 128) + chroma_weights[1] · (V − 128)`, which turns the
    /// matrix's luma into the reference's BT.601 luma of the frame's RGB. For BT.601 frames
    /// the weights are zero: use [`Self::hash_luma8_dihedral`].
    #[allow(clippy::too_many_arguments)]
    pub fn hash_yuv420_dihedral(
        &mut self,
        y: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        u: ChromaPlane<'_>,
        v: ChromaPlane<'_>,
        full_range: bool,
        chroma_weights: [f32; 2],
    ) -> Result<PdqDihedral, PdqError> {
        let src = Yuv420Source::new(y, width, height, row_stride, u, v, full_range, chroma_weights)?;
        Ok(dihedral(self.dct_from_source(&src, true)))
    }

    fn dct_rgb8(
        &mut self,
        pixels: &[u8],
        width: usize,
        height: usize,
        row_stride: usize,
        format: PixelFormat,
        always_filter: bool,
    ) -> Result<Dct, PdqError> {
        let (w, h, s, f) = (width, height, row_stride, always_filter);
        Ok(match format {
            PixelFormat::Rgb8 => self.dct_from_source(&RgbSource::<3, 0, 1, 2>::new(pixels, w, h, s)?, f),
            PixelFormat::Bgr8 => self.dct_from_source(&RgbSource::<3, 2, 1, 0>::new(pixels, w, h, s)?, f),
            PixelFormat::Rgba8 => self.dct_from_source(&RgbSource::<4, 0, 1, 2>::new(pixels, w, h, s)?, f),
            PixelFormat::Bgra8 => self.dct_from_source(&RgbSource::<4, 2, 1, 0>::new(pixels, w, h, s)?, f),
            PixelFormat::Argb8 => self.dct_from_source(&RgbSource::<4, 1, 2, 3>::new(pixels, w, h, s)?, f),
        })
    }

    /// The generic path: pre-resize + luma, filter, decimate, quality, DCT.
    fn dct_from_source<S: LumaSource>(&mut self, src: &S, always_filter: bool) -> Dct {
        let (width, height) = (src.width(), src.height());
        if width < MIN_HASHABLE_DIM || height < MIN_HASHABLE_DIM {
            return None;
        }
        let resize = width > PRE_RESIZE || height > PRE_RESIZE;
        let (rows, cols) = if resize {
            (PRE_RESIZE, PRE_RESIZE)
        } else {
            (height, width)
        };
        let luma = &mut self.buf1[..rows * cols];
        if resize {
            // CImg's nearest neighbour: source index ⌊i·old/new⌋ (exact in
            // integers; CImg computes it in double, where it is exact too).
            self.xs.clear();
            self.xs
                .extend((0..PRE_RESIZE).map(|x| ((x as u64 * width as u64) / PRE_RESIZE as u64) as u32));
            for (y, row) in luma.chunks_exact_mut(cols).enumerate() {
                let sy = ((y as u64 * height as u64) / PRE_RESIZE as u64) as usize;
                src.fill_row_mapped(sy, &self.xs, row);
            }
        } else {
            for (y, row) in luma.chunks_exact_mut(cols).enumerate() {
                src.fill_row(y, row);
            }
        }

        let b64 = &mut *self.b64;
        if rows == 64 && cols == 64 && !always_filter {
            for (dst, row) in b64.iter_mut().zip(luma.chunks_exact(64)) {
                dst.copy_from_slice(row);
            }
        } else {
            let buf2 = &mut self.buf2[..rows * cols];
            jarosz_filter(luma, buf2, rows, cols, &mut self.filter);
            decimate_64(luma, rows, cols, b64);
        }
        let q = quality(b64);
        let mut b16 = [[0f32; 16]; 16];
        dct64_to_16(b64, &mut self.b16x64, &mut b16);
        Some((b16, q))
    }
}

fn plain(dct: Dct) -> PdqResult {
    match dct {
        None => PdqResult {
            hash: PdqHash::ZERO,
            quality: 0,
        },
        Some((b, q)) => PdqResult {
            hash: bits_from_dct(&b),
            quality: q,
        },
    }
}

fn dihedral(dct: Dct) -> PdqDihedral {
    match dct {
        None => PdqDihedral::zero(),
        Some((b, q)) => {
            let t = |d| bits_from_dct(&transform(&b, d));
            PdqDihedral {
                orig: bits_from_dct(&b),
                rot90: t(Dihedral::Rotate90),
                rot180: t(Dihedral::Rotate180),
                rot270: t(Dihedral::Rotate270),
                flipx: t(Dihedral::FlipX),
                flipy: t(Dihedral::FlipY),
                flipp: t(Dihedral::FlipPlus1),
                flipm: t(Dihedral::FlipMinus1),
                quality: q,
            }
        }
    }
}

/// One-off hash of packed colour pixels; allocates a [`PdqHasher`] per call,
/// so keep a hasher instead when hashing many images.
pub fn hash_rgb8(
    pixels: &[u8],
    width: usize,
    height: usize,
    row_stride: usize,
    format: PixelFormat,
) -> Result<PdqResult, PdqError> {
    PdqHasher::new().hash_rgb8(pixels, width, height, row_stride, format)
}

/// One-off dihedral hashes of packed colour pixels (allocates a hasher).
pub fn hash_rgb8_dihedral(
    pixels: &[u8],
    width: usize,
    height: usize,
    row_stride: usize,
    format: PixelFormat,
) -> Result<PdqDihedral, PdqError> {
    PdqHasher::new().hash_rgb8_dihedral(pixels, width, height, row_stride, format)
}

/// One-off hash of an 8-bit luma plane (allocates a hasher).
pub fn hash_luma8(
    plane: &[u8],
    width: usize,
    height: usize,
    row_stride: usize,
    full_range: bool,
) -> Result<PdqResult, PdqError> {
    PdqHasher::new().hash_luma8(plane, width, height, row_stride, full_range)
}

/// One-off dihedral hashes of an 8-bit luma plane (allocates a hasher).
pub fn hash_luma8_dihedral(
    plane: &[u8],
    width: usize,
    height: usize,
    row_stride: usize,
    full_range: bool,
) -> Result<PdqDihedral, PdqError> {
    PdqHasher::new().hash_luma8_dihedral(plane, width, height, row_stride, full_range)
}
