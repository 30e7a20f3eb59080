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

/// One chroma plane of a 4:2:0 frame (half the width and height, rounded up): its bytes from
/// the first sample, and the distances between rows and between samples in a row.
#[derive(Debug, Clone, Copy)]
pub struct ChromaPlane<'a> {
    /// The plane's bytes, starting at its first sample.
    pub data: &'a [u8],
    /// Bytes from one row's start to the next.
    pub row_stride: usize,
    /// Bytes from one sample to the next (2 for NV12/NV21's interleaved pairs).
    pub pixel_stride: usize,
}

impl ChromaPlane<'_> {
    fn check(&self, width: usize, height: usize) -> Result<(), PdqError> {
        let (cw, ch) = (width.div_ceil(2), height.div_ceil(2));
        let overflow = PdqError::SizeOverflow {
            width: cw,
            height: ch,
            row_stride: self.row_stride,
        };
        let needed = (ch - 1)
            .checked_mul(self.row_stride)
            .and_then(|rows| {
                (cw - 1)
                    .checked_mul(self.pixel_stride)
                    .and_then(|cols| rows.checked_add(cols))
            })
            .and_then(|last| last.checked_add(1))
            .ok_or(overflow)?;
        if self.pixel_stride == 0 || self.row_stride < (cw - 1) * self.pixel_stride + 1 {
            return Err(PdqError::StrideTooSmall {
                row_stride: self.row_stride,
                min_stride: (cw - 1) * self.pixel_stride.max(1) + 1,
            });
        }
        if self.data.len() < needed {
            return Err(PdqError::BufferTooSmall {
                len: self.data.len(),
                needed,
                width: cw,
                height: ch,
                row_stride: self.row_stride,
            });
        }
        Ok(())
    }

    #[inline(always)]
    fn sample(&self, x: usize, y: usize) -> u8 {
        self.data[(y / 2) * self.row_stride + (x / 2) * self.pixel_stride]
    }
}

/// A YUV 4:2:0 frame whose RGB is defined by a matrix other than BT.601. PDQ's luma is
/// `0.299 R + 0.587 G + 0.114 B` (BT.601 weights); with R, G, B linear in Y, U, V that is
/// the (full-range) Y value plus `u_weight · (U − 128) + v_weight · (V − 128)`, so luma comes
/// from the Y plane with a small chroma term (nearest chroma sample, as the 4:2:0 → RGB
/// conversion takes it). RGB clamping at saturated colours is not modelled.
pub(crate) struct Yuv420Source<'a> {
    luma: GreySource<'a>,
    u: ChromaPlane<'a>,
    v: ChromaPlane<'a>,
    u_lut: [f32; 256],
    v_lut: [f32; 256],
}

impl<'a> Yuv420Source<'a> {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        y: &'a [u8],
        width: usize,
        height: usize,
        row_stride: usize,
        u: ChromaPlane<'a>,
        v: ChromaPlane<'a>,
        full_range: bool,
        weights: [f32; 2],
    ) -> Result<Self, PdqError> {
        let luma = GreySource::new(y, width, height, row_stride, full_range)?;
        u.check(width, height)?;
        v.check(width, height)?;
        let lut = |weight: f32| std::array::from_fn(|c| weight * (c as f32 - 128.0));
        Ok(Self {
            luma,
            u,
            v,
            u_lut: lut(weights[0]),
            v_lut: lut(weights[1]),
        })
    }

    #[inline(always)]
    fn chroma(&self, x: usize, y: usize) -> f32 {
        self.u_lut[usize::from(self.u.sample(x, y))] + self.v_lut[usize::from(self.v.sample(x, y))]
    }
}

impl LumaSource for Yuv420Source<'_> {
    fn width(&self) -> usize {
        self.luma.width
    }
    fn height(&self) -> usize {
        self.luma.height
    }
    fn fill_row(&self, y: usize, out: &mut [f32]) {
        self.luma.fill_row(y, out);
        for (x, o) in out.iter_mut().enumerate() {
            *o = (*o + self.chroma(x, y)).clamp(0.0, 255.0);
        }
    }
    fn fill_row_mapped(&self, y: usize, xs: &[u32], out: &mut [f32]) {
        self.luma.fill_row_mapped(y, xs, out);
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = (*o + self.chroma(x as usize, y)).clamp(0.0, 255.0);
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
