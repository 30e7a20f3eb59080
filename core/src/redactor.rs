//! The redactor: blur or block a frame in place, in its own pixel format.
//!
//! **Block** fills every pixel with opaque black. **Blur** is heavy pixelation followed by
//! smoothing: the frame is reduced to at most [`DEFAULT_BLUR_CELLS`] square cells along its
//! longer side (each cell the average of its pixels), then every pixel is redrawn by bilinear
//! interpolation between the cell centres. Detail finer than 1/12 of the frame's longer side
//! is destroyed whatever the resolution, so content cannot be recognised at any output size,
//! and the smoothing leaves no hard cell edges that would hint at outlines. Alpha, where the
//! format has it, is treated like a colour channel by blur and set to opaque by block. Padding
//! bytes past each row's pixels are never touched.

use crate::error::{Result, SafeFrameError};
use crate::frame::FrameMut;
use crate::policy::Action;

/// Cells along the longer side of a blurred frame.
pub const DEFAULT_BLUR_CELLS: u32 = 12;

/// Applies [`Action::Blur`] and [`Action::Block`] to frames in place.
///
/// Keeps its scratch buffers between calls, so redacting a stream of same-sized frames does
/// not allocate after the first frame.
///
/// ```
/// use safeframe::frame::{FrameMut, PixelFormat};
/// use safeframe::policy::Action;
/// use safeframe::redactor::Redactor;
/// let mut pixels = vec![200u8; 4 * 4 * 4];
/// let mut frame = FrameMut::packed(&mut pixels, 4, 4, PixelFormat::Rgba8)?;
/// Redactor::new().apply(Action::Block, &mut frame);
/// assert!(pixels.chunks(4).all(|p| p == [0, 0, 0, 255]));
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    cells: u32,
    sums: Vec<u32>,
    counts: Vec<u32>,
    means: Vec<u32>,
    mixed: Vec<u32>,
}

/// Where a coordinate falls between two cell centres, with an 8-bit weight for the second.
#[derive(Debug, Clone, Copy)]
struct CellTap {
    low: usize,
    high: usize,
    weight: u32,
}

impl CellTap {
    fn new(coordinate: usize, cell: usize, cells: usize) -> Self {
        let pos = ((coordinate as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
        let low = (pos as usize).min(cells - 1);
        let high = (low + 1).min(cells - 1);
        let weight = if high == low {
            0
        } else {
            ((pos - low as f32) * 256.0).round().clamp(0.0, 256.0) as u32
        };
        Self { low, high, weight }
    }
}

impl Redactor {
    /// A redactor with [`DEFAULT_BLUR_CELLS`].
    pub fn new() -> Self {
        Self {
            cells: DEFAULT_BLUR_CELLS,
            ..Self::default()
        }
    }

    /// A redactor whose blur keeps `cells` cells along the longer side (1 to 64; fewer is
    /// stronger).
    pub fn with_blur_cells(cells: u32) -> Result<Self> {
        if !(1..=64).contains(&cells) {
            return Err(SafeFrameError::invalid_frame(format!(
                "blur cells must be 1..=64, got {cells}"
            )));
        }
        Ok(Self {
            cells,
            ..Self::default()
        })
    }

    /// Applies `action` to `frame`; returns whether any pixel was changed by design (allow and
    /// warn leave the frame alone).
    pub fn apply(&mut self, action: Action, frame: &mut FrameMut<'_>) -> bool {
        match action {
            Action::Allow | Action::Warn => false,
            Action::Blur => {
                self.blur(frame);
                true
            }
            Action::Block => {
                Self::block(frame);
                true
            }
        }
    }

    /// Fills every pixel with opaque black.
    pub fn block(frame: &mut FrameMut<'_>) {
        let layout = *frame.layout();
        let bpp = layout.format().bytes_per_pixel();
        let alpha = layout.format().alpha_offset();
        for y in 0..layout.height() as usize {
            let row = frame.row_mut(y);
            row.fill(0);
            if let Some(a) = alpha {
                row.iter_mut().skip(a).step_by(bpp).for_each(|v| *v = 255);
            }
        }
    }

    /// Pixelates and smooths the frame so that its content is unrecognisable.
    pub fn blur(&mut self, frame: &mut FrameMut<'_>) {
        let layout = *frame.layout();
        let (w, h) = (layout.width() as usize, layout.height() as usize);
        let bpp = layout.format().bytes_per_pixel();
        let cells = self.cells.max(1) as usize;
        let cell = w.max(h).div_ceil(cells).max(1);
        let (cx, cy) = (w.div_ceil(cell), h.div_ceil(cell));

        // 1. Average each cell.
        self.sums.clear();
        self.sums.resize(cx * cy * bpp, 0);
        self.counts.clear();
        self.counts.resize(cx * cy, 0);
        for y in 0..h {
            let cell_row = (y / cell) * cx;
            let row = frame.row(y);
            for (x, pixel) in row.chunks_exact(bpp).enumerate() {
                let index = cell_row + x / cell;
                self.counts[index] += 1;
                for (sum, &v) in self.sums[index * bpp..(index + 1) * bpp].iter_mut().zip(pixel) {
                    *sum += u32::from(v);
                }
            }
        }
        self.means.clear();
        self.means.extend(self.sums.iter().enumerate().map(|(i, &sum)| {
            let count = self.counts[i / bpp].max(1);
            (sum + count / 2) / count
        }));

        // 2. Redraw every pixel by bilinear interpolation between cell centres.
        self.mixed.clear();
        self.mixed.resize(cx * bpp, 0);
        for y in 0..h {
            let ty = CellTap::new(y, cell, cy);
            let (top, bottom) = (ty.low * cx * bpp, ty.high * cx * bpp);
            for (i, mixed) in self.mixed.iter_mut().enumerate() {
                *mixed = self.means[top + i] * (256 - ty.weight) + self.means[bottom + i] * ty.weight;
            }
            let row = frame.row_mut(y);
            for (x, pixel) in row.chunks_exact_mut(bpp).enumerate() {
                let tx = CellTap::new(x, cell, cx);
                let (left, right) = (tx.low * bpp, tx.high * bpp);
                for (c, v) in pixel.iter_mut().enumerate() {
                    let mixed = self.mixed[left + c] * (256 - tx.weight) + self.mixed[right + c] * tx.weight;
                    *v = ((mixed + 32_768) >> 16).min(255) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;

    fn noise(len: usize, seed: u32) -> Vec<u8> {
        let mut state = seed;
        (0..len)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 24) as u8
            })
            .collect()
    }

    #[test]
    fn block_fills_pixels_and_spares_padding() {
        let (w, h, stride) = (5u32, 3u32, 5 * 4 + 3);
        let mut data = noise(stride * 3, 1);
        let before = data.clone();
        let mut frame = FrameMut::new(&mut data, w, h, stride, PixelFormat::Bgra8).unwrap();
        Redactor::block(&mut frame);
        for y in 0..3 {
            let row = &data[y * stride..y * stride + 20];
            assert!(row.chunks(4).all(|p| p == [0, 0, 0, 255]));
            assert_eq!(
                &data[y * stride + 20..(y + 1) * stride],
                &before[y * stride + 20..(y + 1) * stride]
            );
        }
    }

    #[test]
    fn blur_keeps_a_solid_frame_solid() {
        let mut data: Vec<u8> = [12u8, 200, 99].repeat(37 * 23);
        let mut frame = FrameMut::packed(&mut data, 37, 23, PixelFormat::Rgb8).unwrap();
        Redactor::new().blur(&mut frame);
        assert!(data.chunks(3).all(|p| p == [12, 200, 99]));
    }

    #[test]
    fn blur_destroys_fine_detail_and_spares_padding() {
        let (w, h) = (240usize, 120usize);
        let stride = w * 3 + 5;
        let mut data = vec![0xAB; stride * h];
        for y in 0..h {
            for x in 0..w {
                let v = if (x + y) % 2 == 0 { 0 } else { 255 };
                data[y * stride + x * 3..y * stride + x * 3 + 3].fill(v);
            }
        }
        let mut frame = FrameMut::new(&mut data, w as u32, h as u32, stride, PixelFormat::Rgb8).unwrap();
        Redactor::new().blur(&mut frame);
        for y in 0..h {
            for x in 0..w * 3 {
                let v = data[y * stride + x];
                assert!((126..=129).contains(&v), "pixel byte {x},{y} = {v}");
            }
            assert!(data[y * stride + w * 3..(y + 1) * stride].iter().all(|&b| b == 0xAB));
        }
    }

    #[test]
    fn blur_output_depends_only_on_cell_averages() {
        // Two frames whose 12x12 cells (cell = 4 px) have the same averages blur identically.
        let (w, h) = (48usize, 48usize);
        let a = noise(w * h * 4, 7);
        let mut b = a.clone();
        // Swap two pixels inside the same cell.
        for c in 0..4 {
            b.swap(c, (w + 1) * 4 + c);
        }
        let mut ra = a.clone();
        let mut rb = b;
        Redactor::new().blur(&mut FrameMut::packed(&mut ra, 48, 48, PixelFormat::Rgba8).unwrap());
        Redactor::new().blur(&mut FrameMut::packed(&mut rb, 48, 48, PixelFormat::Rgba8).unwrap());
        assert_eq!(ra, rb);
        assert_ne!(ra, a);
    }

    #[test]
    fn allow_and_warn_change_nothing() {
        let mut data = noise(8 * 8 * 3, 3);
        let before = data.clone();
        let mut frame = FrameMut::packed(&mut data, 8, 8, PixelFormat::Rgb8).unwrap();
        let mut redactor = Redactor::new();
        assert!(!redactor.apply(Action::Allow, &mut frame));
        assert!(!redactor.apply(Action::Warn, &mut frame));
        assert_eq!(data, before);
    }

    #[test]
    fn tiny_frames_do_not_panic() {
        for (w, h) in [(1u32, 1u32), (1, 7), (13, 1), (2, 3)] {
            let mut data = noise((w * h * 3) as usize, w + h);
            let mut frame = FrameMut::packed(&mut data, w, h, PixelFormat::Rgb8).unwrap();
            Redactor::new().blur(&mut frame);
        }
        assert!(Redactor::with_blur_cells(0).is_err());
    }
}
