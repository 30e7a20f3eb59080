//! The redactor: blur or block a frame in place, in its own pixel format.
//!
//! Nothing is converted: a blocked NV21 frame leaves still NV21, its Y and VU planes written
//! directly. **Block** makes every pixel black: opaque black (`0, 0, 0, 255`) in the RGB
//! formats; `Y = 16` (limited range) or `0` (full range) with `U = V = 128` in the YUV formats.
//!
//! **Blur** is heavy pixelation followed by smoothing, run on each plane by itself (the RGB
//! pixels; or Y, and the chroma at its own half resolution): the plane is reduced to at most
//! [`DEFAULT_BLUR_CELLS`] square cells along its longer side (each cell the average of its
//! samples), then every sample is redrawn by bilinear interpolation between the cell centres.
//! Detail finer than 1/12 of the frame's longer side is destroyed whatever the resolution, so
//! content cannot be recognised at any output size, and the smoothing leaves no hard cell
//! edges that would hint at outlines. Alpha, where the format has it, is treated like a colour
//! channel by blur and set to opaque by block.
//!
//! Only the samples of each plane are written: padding bytes past each row, and bytes between
//! the samples of a plane with a pixel stride larger than its sample, are never touched.

use crate::error::{Result, SafeFrameError};
use crate::frame::{FrameMut, Layout, PixelFormat, PlaneLayout, YuvColor, YuvRange};
use crate::policy::Action;

/// Bytes handled together by the flat blur loops: a multiple of 3 and 4 bytes per sample.
const LANES: usize = 48;

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
    sums: Vec<u64>,
    means: Vec<i32>,
    mixed: Vec<i32>,
    weights: Vec<i32>,
    /// `weights` repeated for each channel byte of a sample (3- and 4-byte samples).
    byte_weights: Vec<i32>,
    segments: Vec<Segment>,
}

/// Where a coordinate falls between two cell centres, with an 8-bit weight for the second.
#[derive(Debug, Clone, Copy)]
struct CellTap {
    low: usize,
    high: usize,
    weight: i32,
}

impl CellTap {
    fn new(coordinate: usize, cell: usize, cells: usize) -> Self {
        let pos = ((coordinate as f32 + 0.5) / cell as f32 - 0.5).max(0.0);
        let low = (pos as usize).min(cells - 1);
        let high = (low + 1).min(cells - 1);
        let weight = if high == low {
            0
        } else {
            ((pos - low as f32) * 256.0).round().clamp(0.0, 256.0) as i32
        };
        Self { low, high, weight }
    }
}

/// A run of columns that lie between the same two cell centres.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    end: usize,
    low: usize,
    high: usize,
}

/// One plane to redact and the black it is filled with by block.
#[derive(Debug, Clone, Copy)]
struct Target {
    plane: PlaneLayout,
    black: [u8; 4],
}

/// The planes of a frame with their block colours.
fn targets(layout: &Layout, color: YuvColor) -> ([Target; 3], usize) {
    let y_black = match color.range {
        YuvRange::Limited => 16,
        YuvRange::Full => 0,
    };
    let target = |index: usize, black: [u8; 4]| Target {
        plane: *layout.plane(index),
        black,
    };
    match layout.format() {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
            let mut black = [0u8; 4];
            if let Some(a) = layout.format().alpha_offset() {
                black[a] = 255;
            }
            let t = target(0, black);
            ([t, t, t], 1)
        }
        PixelFormat::Nv12 | PixelFormat::Nv21 => {
            let y = target(0, [y_black; 4]);
            ([y, target(1, [128; 4]), y], 2)
        }
        PixelFormat::I420 | PixelFormat::Yuv420888 => {
            ([target(0, [y_black; 4]), target(1, [128; 4]), target(2, [128; 4])], 3)
        }
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

    /// Fills every pixel with black (opaque in formats with alpha).
    pub fn block(frame: &mut FrameMut<'_>) {
        let (targets, count) = targets(frame.layout(), frame.yuv_color());
        for target in &targets[..count] {
            let plane = target.plane;
            let black = &target.black[..plane.sample_bytes];
            let uniform = black.iter().all(|&v| v == black[0]);
            let data = frame.buffer_mut(plane.buffer);
            for y in 0..plane.height {
                let start = plane.index(0, y);
                let row = &mut data[start..start + plane.row_span()];
                if uniform && plane.pixel_stride == plane.sample_bytes {
                    row.fill(black[0]);
                } else if plane.pixel_stride == plane.sample_bytes {
                    // Packed pixels with alpha: write one pixel, then double the filled part.
                    row[..black.len()].copy_from_slice(black);
                    let mut filled = black.len();
                    while filled < row.len() {
                        let n = filled.min(row.len() - filled);
                        row.copy_within(..n, filled);
                        filled += n;
                    }
                } else {
                    for sample in row.chunks_mut(plane.pixel_stride) {
                        sample[..black.len()].copy_from_slice(black);
                    }
                }
            }
        }
    }

    /// Pixelates and smooths the frame so that its content is unrecognisable.
    pub fn blur(&mut self, frame: &mut FrameMut<'_>) {
        let (targets, count) = targets(frame.layout(), frame.yuv_color());
        for target in &targets[..count] {
            let plane = target.plane;
            let data = frame.buffer_mut(plane.buffer);
            match plane.sample_bytes {
                1 => self.blur_plane::<1>(data, &plane),
                2 => self.blur_plane::<2>(data, &plane),
                3 => self.blur_plane::<3>(data, &plane),
                _ => self.blur_plane::<4>(data, &plane),
            }
        }
    }

    /// Blurs one plane whose samples have `CH` interleaved channels.
    fn blur_plane<const CH: usize>(&mut self, data: &mut [u8], plane: &PlaneLayout) {
        let (w, h) = (plane.width, plane.height);
        let cells = self.cells.max(1) as usize;
        let cell = w.max(h).div_ceil(cells).max(1);
        let (cx, cy) = (w.div_ceil(cell), h.div_ceil(cell));
        let contiguous = plane.pixel_stride == CH;

        // 1. Average each cell.
        self.sums.clear();
        self.sums.resize(cx * cy * CH, 0);
        for y in 0..h {
            let row = &data[plane.index(0, y)..plane.index(0, y) + plane.row_span()];
            let sums = &mut self.sums[(y / cell) * cx * CH..][..cx * CH];
            for (k, sum) in sums.chunks_exact_mut(CH).enumerate() {
                let (x0, x1) = (k * cell, ((k + 1) * cell).min(w));
                let mut acc = [0u32; CH];
                if contiguous && CH <= 2 {
                    for sample in row[x0 * CH..x1 * CH].chunks_exact(CH) {
                        for c in 0..CH {
                            acc[c] += u32::from(sample[c]);
                        }
                    }
                } else if contiguous {
                    // 3- and 4-byte samples: flat over the bytes into LANES sums (channel =
                    // index % CH, as LANES is a multiple of CH), so the loop vectorises; then
                    // per channel. (1 and 2 bytes vectorise as they are.)
                    let mut lanes = [0u32; LANES];
                    for block in row[x0 * CH..x1 * CH].chunks(LANES) {
                        for (lane, &byte) in lanes.iter_mut().zip(block) {
                            *lane += u32::from(byte);
                        }
                    }
                    for (i, lane) in lanes.iter().enumerate() {
                        acc[i % CH] += lane;
                    }
                } else {
                    for x in x0..x1 {
                        let i = x * plane.pixel_stride;
                        for c in 0..CH {
                            acc[c] += u32::from(row[i + c]);
                        }
                    }
                }
                for c in 0..CH {
                    sum[c] += u64::from(acc[c]);
                }
            }
        }
        self.means.clear();
        for j in 0..cy {
            let rows = ((j + 1) * cell).min(h) - j * cell;
            for k in 0..cx {
                let count = (rows * (((k + 1) * cell).min(w) - k * cell)) as u64;
                for c in 0..CH {
                    let sum = self.sums[(j * cx + k) * CH + c];
                    self.means.push(((sum + count / 2) / count) as i32);
                }
            }
        }

        // 2. Columns: their weight, and runs between the same two cell centres.
        self.weights.clear();
        self.byte_weights.clear();
        self.segments.clear();
        for x in 0..w {
            let tap = CellTap::new(x, cell, cx);
            self.weights.push(tap.weight);
            if CH > 2 {
                self.byte_weights.extend([tap.weight; CH]);
            }
            match self.segments.last_mut() {
                Some(s) if s.low == tap.low && s.high == tap.high => s.end = x + 1,
                _ => self.segments.push(Segment {
                    start: x,
                    end: x + 1,
                    low: tap.low,
                    high: tap.high,
                }),
            }
        }

        // 3. Redraw every sample by bilinear interpolation between cell centres.
        self.mixed.clear();
        self.mixed.resize(cx * CH, 0);
        for y in 0..h {
            let ty = CellTap::new(y, cell, cy);
            let (top, bottom) = (&self.means[ty.low * cx * CH..], &self.means[ty.high * cx * CH..]);
            for (i, mixed) in self.mixed.iter_mut().enumerate() {
                *mixed = top[i] * (256 - ty.weight) + bottom[i] * ty.weight;
            }
            let start = plane.index(0, y);
            let row = &mut data[start..start + plane.row_span()];
            for segment in &self.segments {
                let mut base = [0i32; CH];
                let mut delta = [0i32; CH];
                for c in 0..CH {
                    let (a, b) = (self.mixed[segment.low * CH + c], self.mixed[segment.high * CH + c]);
                    base[c] = a * 256 + 32_768;
                    delta[c] = b - a;
                }
                let weights = &self.weights[segment.start..segment.end];
                if contiguous && CH <= 2 {
                    let samples = row[segment.start * CH..segment.end * CH].chunks_exact_mut(CH);
                    for (sample, &weight) in samples.zip(weights) {
                        for c in 0..CH {
                            sample[c] = ((base[c] + delta[c] * weight) >> 16).clamp(0, 255) as u8;
                        }
                    }
                } else if contiguous {
                    // 3- and 4-byte samples: flat over the bytes, base and delta repeated per
                    // channel for LANES bytes (a multiple of CH), weights repeated per channel,
                    // so the loop vectorises. Same expression per byte as above.
                    let mut bases = [0i32; LANES];
                    let mut deltas = [0i32; LANES];
                    for i in 0..LANES {
                        bases[i] = base[i % CH];
                        deltas[i] = delta[i % CH];
                    }
                    let bytes = row[segment.start * CH..segment.end * CH].chunks_mut(LANES);
                    let byte_weights = self.byte_weights[segment.start * CH..segment.end * CH].chunks(LANES);
                    for (bytes, byte_weights) in bytes.zip(byte_weights) {
                        let lanes = bytes.iter_mut().zip(byte_weights).zip(bases.iter().zip(&deltas));
                        for ((byte, &weight), (&base, &delta)) in lanes {
                            *byte = ((base + delta * weight) >> 16).clamp(0, 255) as u8;
                        }
                    }
                } else {
                    for (x, &weight) in (segment.start..segment.end).zip(weights) {
                        let i = x * plane.pixel_stride;
                        for c in 0..CH {
                            row[i + c] = ((base[c] + delta[c] * weight) >> 16).clamp(0, 255) as u8;
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn blur_of_packed_pixels_is_the_blur_of_each_channel_alone() {
        // The 3- and 4-byte samples take the flat byte loops; a Y plane (1 byte per sample)
        // the per-sample ones. Each channel must come out as if blurred alone.
        for (format, w, h) in [
            (PixelFormat::Rgba8, 301, 167),
            (PixelFormat::Bgra8, 64, 9),
            (PixelFormat::Rgb8, 225, 223),
            (PixelFormat::Rgb8, 7, 5),
        ] {
            let bpp = format.bytes_per_pixel();
            let pixels = noise(w * h * bpp, (w * h) as u32);
            let mut blurred = pixels.clone();
            let mut redactor = Redactor::new();
            redactor.blur(&mut FrameMut::packed(&mut blurred, w as u32, h as u32, format).unwrap());
            for c in 0..bpp {
                let mut i420 = vec![128u8; PixelFormat::I420.packed_len(w as u32, h as u32).unwrap()];
                for (y, pixel) in i420.iter_mut().zip(pixels.chunks(bpp)) {
                    *y = pixel[c];
                }
                redactor.blur(&mut FrameMut::packed(&mut i420, w as u32, h as u32, PixelFormat::I420).unwrap());
                let channel: Vec<u8> = blurred.chunks(bpp).map(|p| p[c]).collect();
                assert!(channel == i420[..w * h], "{format:?} {w}x{h} channel {c}");
            }
        }
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

    /// An NV21 frame with padded rows in one buffer: Y rows of `stride`, then VU rows.
    fn padded_nv21(h: usize, stride: usize, seed: u32) -> Vec<u8> {
        noise(stride * h + stride * h.div_ceil(2), seed)
    }

    /// Which bytes of a padded single-buffer NV frame are samples (true) or padding (false).
    fn nv_sample_mask(w: usize, h: usize, stride: usize) -> Vec<bool> {
        let mut mask = vec![false; stride * h + stride * h.div_ceil(2)];
        for y in 0..h {
            mask[y * stride..y * stride + w].fill(true);
        }
        for y in 0..h.div_ceil(2) {
            let start = stride * h + y * stride;
            mask[start..start + 2 * w.div_ceil(2)].fill(true);
        }
        mask
    }

    #[test]
    fn nv21_block_writes_black_samples_and_spares_padding() {
        let (w, h, stride) = (7usize, 5usize, 12usize);
        for (range, y_black) in [(YuvRange::Limited, 16u8), (YuvRange::Full, 0)] {
            let mut data = padded_nv21(h, stride, 5);
            let before = data.clone();
            let mut frame = FrameMut::new(&mut data, w as u32, h as u32, stride, PixelFormat::Nv21)
                .unwrap()
                .with_yuv_color(YuvColor {
                    range,
                    ..YuvColor::default()
                });
            Redactor::block(&mut frame);
            let mask = nv_sample_mask(w, h, stride);
            for (i, (&after, &was)) in data.iter().zip(&before).enumerate() {
                if !mask[i] {
                    assert_eq!(after, was, "padding byte {i} changed");
                } else if i < stride * h {
                    assert_eq!(after, y_black, "Y byte {i}");
                } else {
                    assert_eq!(after, 128, "chroma byte {i}");
                }
            }
        }
    }

    #[test]
    fn nv21_blur_changes_samples_only_and_keeps_solid_colours() {
        let (w, h, stride) = (41usize, 23usize, 48usize);
        let mut data = padded_nv21(h, stride, 9);
        let before = data.clone();
        let mut frame = FrameMut::new(&mut data, w as u32, h as u32, stride, PixelFormat::Nv21).unwrap();
        Redactor::new().blur(&mut frame);
        let mask = nv_sample_mask(w, h, stride);
        let mut changed = 0;
        for (i, (&after, &was)) in data.iter().zip(&before).enumerate() {
            if !mask[i] {
                assert_eq!(after, was, "padding byte {i} changed");
            } else if after != was {
                changed += 1;
            }
        }
        assert!(changed > w * h / 2, "blur changed only {changed} samples");

        // A solid frame stays exactly solid, V and U keeping their own values.
        let mut solid = vec![0u8; stride * h + stride * h.div_ceil(2)];
        for y in 0..h {
            solid[y * stride..y * stride + w].fill(90);
        }
        for y in 0..h.div_ceil(2) {
            let row = &mut solid[stride * h + y * stride..][..2 * w.div_ceil(2)];
            row.chunks_mut(2).for_each(|p| p.copy_from_slice(&[240, 81]));
        }
        let expected = solid.clone();
        let mut frame = FrameMut::new(&mut solid, w as u32, h as u32, stride, PixelFormat::Nv21).unwrap();
        Redactor::new().blur(&mut frame);
        assert_eq!(solid, expected);
    }

    #[test]
    fn yuv420_888_redaction_never_writes_between_chroma_samples() {
        // Chroma planes with pixel stride 2 and row stride 10: every other byte is not theirs.
        let (w, h) = (8usize, 6usize);
        let mut y = noise(w * h, 1);
        let mut u = noise(10 * 3, 2);
        let mut v = noise(10 * 3, 3);
        let (u0, v0) = (u.clone(), v.clone());
        for block in [true, false] {
            let mut frame = FrameMut::yuv420_888(
                w as u32,
                h as u32,
                crate::frame::PlaneMut {
                    data: &mut y,
                    row_stride: w,
                    pixel_stride: 1,
                },
                crate::frame::PlaneMut {
                    data: &mut u,
                    row_stride: 10,
                    pixel_stride: 2,
                },
                crate::frame::PlaneMut {
                    data: &mut v,
                    row_stride: 10,
                    pixel_stride: 2,
                },
            )
            .unwrap();
            if block {
                Redactor::block(&mut frame);
            } else {
                Redactor::new().blur(&mut frame);
            }
            for (plane, original) in [(&u, &u0), (&v, &v0)] {
                for (i, (&after, &was)) in plane.iter().zip(original.iter()).enumerate() {
                    let sample = i % 10 < 8 && i % 2 == 0;
                    if !sample {
                        assert_eq!(after, was, "byte {i} between samples changed");
                    } else if block {
                        assert_eq!(after, 128);
                    }
                }
            }
        }
    }

    #[test]
    fn i420_block_fills_each_plane() {
        let (w, h) = (5u32, 3u32);
        let mut data = noise(PixelFormat::I420.packed_len(w, h).unwrap(), 4);
        let mut frame = FrameMut::packed(&mut data, w, h, PixelFormat::I420).unwrap();
        Redactor::block(&mut frame);
        assert!(data[..15].iter().all(|&b| b == 16));
        assert!(data[15..].iter().all(|&b| b == 128));
    }
}
