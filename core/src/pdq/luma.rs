//! Luma sources: borrowed pixel buffers that yield float32 luma on demand.
//!
//! The hasher asks a source for one row at a time, either whole or through
//! a column map (the 512x512 nearest-neighbour pre-resize), so a 1080p frame
//! is read at only the 512x512 pixels the reference would keep; nothing is
//! copied beforehand.

use super::error::{check_buffer, PdqError};

/// Byte layout of a packed 8-bit colour pixel.
///
/// Alpha (or padding) bytes are ignored; luma is computed from R, G and B
/// only, as the reference does for a 3-channel image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// 3 bytes per pixel: R, G, B.
    Rgb8,
    /// 3 bytes per pixel: B, G, R.
    Bgr8,
    /// 4 bytes per pixel: R, G, B, A (or X).
    Rgba8,
    /// 4 bytes per pixel: B, G, R, A (or X), e.g. Android/Windows 32-bit BGRA.
    Bgra8,
    /// 4 bytes per pixel: A (or X), R, G, B.
    Argb8,
}

impl PixelFormat {
    /// Bytes one pixel takes.
    pub fn bytes_per_pixel(self) -> usize {
        match self {
            PixelFormat::Rgb8 | PixelFormat::Bgr8 => 3,
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Argb8 => 4,
        }
    }
}

/// Luma from 8-bit R, G, B exactly as the reference computes it: float32
/// products summed left to right, no fused multiply-add.
#[inline(always)]
pub(crate) fn luma_from_rgb(r: u8, g: u8, b: u8) -> f32 {
    // The reference's `const float` coefficients (0.299, 0.587, 0.114 rounded
    // to float) times the channel converted to float.
    0.299f32 * f32::from(r) + 0.587f32 * f32::from(g) + 0.114f32 * f32::from(b)
}

/// A borrowed image that can produce float32 luma rows.
pub(crate) trait LumaSource {
    fn width(&self) -> usize;
    fn height(&self) -> usize;
    /// `out[x]` = luma of pixel (x, y) for `x < out.len()` (`out.len() <= width`).
    fn fill_row(&self, y: usize, out: &mut [f32]);
    /// `out[i]` = luma of pixel (`xs[i]`, y); every `xs[i] < width`.
    fn fill_row_mapped(&self, y: usize, xs: &[u32], out: &mut [f32]);
}

/// Packed 8-bit colour pixels; `BPP` bytes per pixel, channels at `R`, `G`, `B`.
pub(crate) struct RgbSource<'a, const BPP: usize, const R: usize, const G: usize, const B: usize> {
    data: &'a [u8],
    width: usize,
    height: usize,
    row_stride: usize,
}

impl<'a, const BPP: usize, const R: usize, const G: usize, const B: usize> RgbSource<'a, BPP, R, G, B> {
    pub(crate) fn new(data: &'a [u8], width: usize, height: usize, row_stride: usize) -> Result<Self, PdqError> {
        check_buffer(data.len(), width, height, row_stride, BPP)?;
        Ok(Self {
            data,
            width,
            height,
            row_stride,
        })
    }

    #[inline(always)]
    fn row(&self, y: usize) -> &'a [u8] {
        let start = y * self.row_stride;
        &self.data[start..start + self.width * BPP]
    }
}

impl<const BPP: usize, const R: usize, const G: usize, const B: usize> LumaSource for RgbSource<'_, BPP, R, G, B> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn fill_row(&self, y: usize, out: &mut [f32]) {
        let row = self.row(y);
        for (o, px) in out.iter_mut().zip(row.chunks_exact(BPP)) {
            *o = luma_from_rgb(px[R], px[G], px[B]);
        }
    }
    fn fill_row_mapped(&self, y: usize, xs: &[u32], out: &mut [f32]) {
        let row = self.row(y);
        for (o, &x) in out.iter_mut().zip(xs) {
            let i = x as usize * BPP;
            let px = &row[i..i + BPP];
            *o = luma_from_rgb(px[R], px[G], px[B]);
        }
    }
}

/// An 8-bit luma plane (e.g. the Y plane of a YUV frame).
pub(crate) struct GreySource<'a> {
    data: &'a [u8],
    width: usize,
    height: usize,
    row_stride: usize,
    lut: [f32; 256],
}

/// Scale of limited-range ("video range") luma: 16..=235 maps to 0..=255.
const LIMITED_RANGE_SCALE: f32 = 255.0 / 219.0;

impl<'a> GreySource<'a> {
    pub(crate) fn new(
        data: &'a [u8],
        width: usize,
        height: usize,
        row_stride: usize,
        full_range: bool,
    ) -> Result<Self, PdqError> {
        check_buffer(data.len(), width, height, row_stride, 1)?;
        let mut lut = [0f32; 256];
        for (v, l) in lut.iter_mut().enumerate() {
            let y = v as f32;
            *l = if full_range {
                // The reference's grey path: the byte value as float.
                y
            } else {
                ((y - 16.0) * LIMITED_RANGE_SCALE).clamp(0.0, 255.0)
            };
        }
        Ok(Self {
            data,
            width,
            height,
            row_stride,
            lut,
        })
    }

    #[inline(always)]
    fn row(&self, y: usize) -> &'a [u8] {
        let start = y * self.row_stride;
        &self.data[start..start + self.width]
    }
}

impl LumaSource for GreySource<'_> {
    fn width(&self) -> usize {
        self.width
    }
    fn height(&self) -> usize {
        self.height
    }
    fn fill_row(&self, y: usize, out: &mut [f32]) {
        for (o, &v) in out.iter_mut().zip(self.row(y)) {
            *o = self.lut[usize::from(v)];
        }
    }
    fn fill_row_mapped(&self, y: usize, xs: &[u32], out: &mut [f32]) {
        let row = self.row(y);
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.lut[usize::from(row[x as usize])];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_range_maps_16_and_235_to_black_and_white() {
        let plane = [0u8, 16, 235, 255, 126];
        let s = GreySource::new(&plane, 5, 1, 5, false).unwrap();
        let mut out = [0f32; 5];
        s.fill_row(0, &mut out);
        assert_eq!(out[0], 0.0);
        assert_eq!(out[1], 0.0);
        assert!((out[2] - 255.0).abs() < 1e-3);
        assert_eq!(out[3], 255.0);
        assert!((out[4] - 128.08).abs() < 0.01);
    }
}
