//! The fast path of [`super::Sampler::sample`]: the same arithmetic as the scalar reference
//! (`super::scalar`), arranged for the machine. This file is the driver, the same for every
//! CPU; the arithmetic per chunk is a [`Kernel`] from [`super::kernels`], which also holds the
//! one run-time choice of kernel.
//!
//! Per output row, chunks of [`CHUNK`] output pixels go through three flat loops:
//!
//! 1. **Gather** whole samples, not bytes: one `u32` load per corner for the packed formats,
//!    one byte for Y and one `u16` for an NV12/NV21 chroma pair. Each row first proves, once,
//!    that its largest offset plus the load's width lies inside the buffer; the loads of the row
//!    are then unchecked. A row that cannot prove it (only RGB8 rows touching the buffer's
//!    last bytes, where a 4-byte load would run past the end) gathers byte by byte with checked
//!    indexing. When the two source rows share their chroma row (4:2:0, low row even), the
//!    chroma of the bottom corners is not read again.
//! 2. **YUV → RGB** per corner ([`Kernel::yuv`], as [`YuvToRgb::rgb`]), packed as
//!    `r | g << 8 | b << 16`.
//! 3. **Interpolate and normalise** in `f32` ([`Kernel::interpolate`]), exactly as the
//!    reference does (no fused multiply-add), then [`store`] in the tensor's layout.
#![allow(unsafe_code)]

use super::kernels::Kernel;
use super::YuvToRgb;
use crate::manifest::TensorLayout;

/// Output pixels gathered and computed together (a multiple of 8, small enough for the stack).
pub(super) const CHUNK: usize = 64;

/// How the fast path reads one source pixel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// Packed RGB: the pixel is sample 0, loaded as a little-endian `u32` of which bytes
    /// `shifts / 8` hold red, green and blue.
    Packed { shifts: [u32; 3] },
    /// NV12/NV21: Y is sample 0, the chroma pair sample 1, loaded as a little-endian `u16`
    /// with U and V at the given bit shifts.
    SemiPlanar { u_shift: u32, v_shift: u32 },
    /// I420/YUV_420_888: Y, U and V are samples 0, 1 and 2, one byte each.
    Planar,
}

impl Source {
    /// Bytes loaded at each sample's offset (0 where the sample is not used).
    fn load_width(self) -> [usize; 3] {
        match self {
            Self::Packed { .. } => [4, 0, 0],
            Self::SemiPlanar { .. } => [1, 2, 0],
            Self::Planar => [1, 1, 1],
        }
    }
}

/// One upright axis's taps for the fast path: for each output coordinate, the byte offset of
/// each sample (0: pixel or Y, 1: chroma pair or U, 2: V) at its low and high neighbour, and
/// the weight. Row offsets include the plane offsets; a sample's byte index is row offset +
/// column offset.
///
/// The fields are private so that `max` is always the true maximum: the unchecked gathers rely
/// on it.
#[derive(Debug)]
pub(super) struct Taps {
    low: [Vec<usize>; 3],
    high: [Vec<usize>; 3],
    /// Weights, with zeros after the last coordinate up to a multiple of 8 (SIMD lanes).
    frac: Vec<f32>,
    /// The largest offset of each sample over both neighbours (0 when there are none).
    max: [usize; 3],
}

impl Taps {
    /// The taps with these offsets and weights (one per output coordinate each).
    pub(super) fn new(low: [Vec<usize>; 3], high: [Vec<usize>; 3], mut frac: Vec<f32>) -> Self {
        frac.resize(frac.len().next_multiple_of(8), 0.0);
        let max = std::array::from_fn(|k| low[k].iter().chain(&high[k]).copied().max().unwrap_or(0));
        Self { low, high, frac, max }
    }
}

/// What stays the same for every row of one frame.
pub(super) struct Job<'a> {
    pub(super) bufs: [&'a [u8]; 3],
    pub(super) source: Source,
    pub(super) convert: YuvToRgb,
    pub(super) cols: &'a Taps,
    pub(super) rows: &'a Taps,
    pub(super) out_w: usize,
    pub(super) out_h: usize,
    pub(super) layout: TensorLayout,
    /// The usual normalisation (÷255, no mean or std); otherwise `norm` applies.
    pub(super) plain: bool,
    pub(super) divisor: f64,
    pub(super) mean: [f32; 3],
    pub(super) std: [f32; 3],
}

/// The work buffers of one chunk (on the stack; nothing is allocated per frame).
struct Scratch {
    ys: [[u8; CHUNK]; 4],
    us: [[u8; CHUNK]; 4],
    vs: [[u8; CHUNK]; 4],
    px: [[u32; CHUNK]; 4],
    values: [[f32; CHUNK]; 3],
}

/// Fills `tensor` (length checked by the caller) with `kernel`'s arithmetic. Inlined into
/// each kernel's entry point, so that a kernel compiled with a CPU feature gets the whole loop
/// compiled with it.
#[inline(always)]
pub(super) fn run_with<K: Kernel>(kernel: K, job: &Job<'_>, tensor: &mut [f32]) {
    let mut s = Scratch {
        ys: [[0; CHUNK]; 4],
        us: [[0; CHUNK]; 4],
        vs: [[0; CHUNK]; 4],
        px: [[0; CHUNK]; 4],
        values: [[0.0; CHUNK]; 3],
    };
    let widths = job.source.load_width();
    let rows = job.rows;
    for out_y in 0..job.out_h {
        let top: [usize; 3] = std::array::from_fn(|k| rows.low[k][out_y]);
        let bottom: [usize; 3] = std::array::from_fn(|k| rows.high[k][out_y]);
        // One check for the whole row: every load of sample k reads bytes
        // row offset + column offset .. + width[k], and column offsets are at most max[k].
        // (`Taps::new` computed max[k] over every column offset of sample k.)
        let fits = (0..3).all(|k| {
            widths[k] == 0
                || top[k]
                    .max(bottom[k])
                    .checked_add(job.cols.max[k])
                    .and_then(|end| end.checked_add(widths[k]))
                    .is_some_and(|end| end <= job.bufs[k].len())
        });
        let fy = rows.frac[out_y];
        let mut start = 0;
        while start < job.out_w {
            let n = CHUNK.min(job.out_w - start);
            let fx = &job.cols.frac[start..];
            match job.source {
                Source::Packed { shifts } => {
                    // SAFETY: `fits` is the check above for this job's rows `top` and
                    // `bottom`, with the load widths of its source, packed: 4 bytes of sample 0.
                    unsafe { gather_packed(job, top, bottom, start, n, fits, &mut s.px) };
                    kernel.interpolate(&s.px, shifts, fx, fy, n, job.plain, &mut s.values);
                }
                _ => {
                    // SAFETY: `fits` is the check above for this job's rows `top` and
                    // `bottom`, with the load widths of its source, semi-planar or planar
                    // (not packed: that is the other arm).
                    let chroma = unsafe { gather_yuv(job, top, bottom, start, n, fits, &mut s) };
                    let (ys, us, vs) = (&s.ys, &s.us, &s.vs);
                    kernel.yuv(
                        &job.convert,
                        ys,
                        us,
                        vs,
                        chroma,
                        fx,
                        fy,
                        n,
                        job.plain,
                        &mut s.px,
                        &mut s.values,
                    );
                }
            }
            store(job, &mut s.values, out_y * job.out_w + start, n, tensor);
            start += n;
        }
    }
}

/// Loads the packed pixels of the four corners of `n` output pixels from column `start`
/// (`top` and `bottom`: the row offsets of the two source rows).
///
/// # Safety
/// When `fits` is true, `top[0].max(bottom[0]) + job.cols.max[0] + 4 <= job.bufs[0].len()`.
#[inline(always)]
unsafe fn gather_packed(
    job: &Job<'_>,
    top: [usize; 3],
    bottom: [usize; 3],
    start: usize,
    n: usize,
    fits: bool,
    px: &mut [[u32; CHUNK]; 4],
) {
    let buf = job.bufs[0];
    let cols = [&job.cols.low[0][start..start + n], &job.cols.high[0][start..start + n]];
    for (k, px) in px.iter_mut().enumerate() {
        let (row, cols) = (if k < 2 { top[0] } else { bottom[0] }, cols[k & 1]);
        if fits {
            // SAFETY: `row` is `top[0]` or `bottom[0]` and every column offset in `cols` is at
            // most `job.cols.max[0]`, so by the caller's guarantee for `fits`,
            // row + column offset + 4 <= buf.len() for each.
            unsafe { gather::<u32>(buf, row, cols, &mut px[..n]) };
        } else {
            // Red, green and blue lie in the first 3 bytes of every packed format.
            for (px, &col) in px[..n].iter_mut().zip(cols) {
                let at = row + col;
                *px = u32::from(buf[at]) | u32::from(buf[at + 1]) << 8 | u32::from(buf[at + 2]) << 16;
            }
        }
    }
}

/// Loads Y, U and V of the four corners of `n` output pixels from column `start`; returns
/// which corner's chroma each corner uses (the top ones when both rows share a chroma row).
///
/// # Safety
/// `job.source` is not [`Source::Packed`], and when `fits` is true, for every sample `k` that
/// source reads, `top[k].max(bottom[k]) + job.cols.max[k] + width <= job.bufs[k].len()`, with
/// the sample's load width from [`Source::load_width`].
#[inline(always)]
unsafe fn gather_yuv(
    job: &Job<'_>,
    top: [usize; 3],
    bottom: [usize; 3],
    start: usize,
    n: usize,
    fits: bool,
    s: &mut Scratch,
) -> [usize; 4] {
    let cols = |k: usize, tap: usize| {
        let taps = if tap == 0 { &job.cols.low[k] } else { &job.cols.high[k] };
        &taps[start..start + n]
    };
    let row = |k: usize, corner: usize| if corner < 2 { top[k] } else { bottom[k] };
    let shared = top[1] == bottom[1] && top[2] == bottom[2];
    let chroma = if shared { [0, 1, 0, 1] } else { [0, 1, 2, 3] };
    let corners = if shared { 2 } else { 4 };
    for (corner, ys) in s.ys.iter_mut().enumerate() {
        // SAFETY: Y is sample 0 with 1-byte loads in both YUV sources; the row is `top[0]` or
        // `bottom[0]` and the column offsets are sample 0's, covered by the caller's guarantee.
        unsafe { load_bytes(job.bufs[0], row(0, corner), cols(0, corner & 1), fits, &mut ys[..n]) };
    }
    match job.source {
        Source::SemiPlanar { u_shift, v_shift } => {
            let buf = job.bufs[1];
            for corner in 0..corners {
                let (row, cols) = (row(1, corner), cols(1, corner & 1));
                let (us, vs) = (&mut s.us[corner][..n], &mut s.vs[corner][..n]);
                if fits {
                    let mut pairs = [0u16; CHUNK];
                    // SAFETY: the chroma pair is sample 1 with 2-byte loads; `row` is `top[1]`
                    // or `bottom[1]` and the column offsets are sample 1's (at most
                    // `job.cols.max[1]`), so by the caller's guarantee row + column offset + 2
                    // <= buf.len() for each.
                    unsafe { gather::<u16>(buf, row, cols, &mut pairs[..n]) };
                    for ((u, v), &pair) in us.iter_mut().zip(vs.iter_mut()).zip(&pairs) {
                        *u = (pair >> u_shift) as u8;
                        *v = (pair >> v_shift) as u8;
                    }
                } else {
                    for ((u, v), &col) in us.iter_mut().zip(vs.iter_mut()).zip(cols) {
                        let pair = u16::from(buf[row + col]) | u16::from(buf[row + col + 1]) << 8;
                        *u = (pair >> u_shift) as u8;
                        *v = (pair >> v_shift) as u8;
                    }
                }
            }
        }
        _ => {
            // Planar (the caller guarantees the source is not packed): U and V are samples 1
            // and 2, 1-byte loads each.
            for corner in 0..corners {
                // SAFETY: sample 1's buffer, row (`top[1]` or `bottom[1]`) and column offsets,
                // covered by the caller's guarantee for 1-byte loads.
                unsafe {
                    load_bytes(
                        job.bufs[1],
                        row(1, corner),
                        cols(1, corner & 1),
                        fits,
                        &mut s.us[corner][..n],
                    )
                };
                // SAFETY: the same for sample 2.
                unsafe {
                    load_bytes(
                        job.bufs[2],
                        row(2, corner),
                        cols(2, corner & 1),
                        fits,
                        &mut s.vs[corner][..n],
                    )
                };
            }
        }
    }
    chroma
}

/// `out[j]` = byte `row + cols[j]` of `buf`: unchecked when `fits`, checked otherwise.
///
/// # Safety
/// When `fits` is true, `row + col + 1 <= buf.len()` for every `col` in `cols`.
#[inline(always)]
unsafe fn load_bytes(buf: &[u8], row: usize, cols: &[usize], fits: bool, out: &mut [u8]) {
    if fits {
        // SAFETY: `fits` is true, so the caller guarantees row + col + 1 <= buf.len() for every
        // `col`: exactly `gather::<u8>`'s requirement.
        unsafe { gather::<u8>(buf, row, cols, out) };
    } else {
        for (out, &col) in out.iter_mut().zip(cols) {
            *out = buf[row + col];
        }
    }
}

/// A plain integer loaded little-endian from unaligned bytes.
trait Sample: Copy {
    /// # Safety
    /// `p .. p + size_of::<Self>()` must be readable.
    unsafe fn load(p: *const u8) -> Self;
}

impl Sample for u8 {
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees one readable byte at `p`.
        unsafe { p.read() }
    }
}

impl Sample for u16 {
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 2 readable bytes at `p`; unaligned reads are allowed.
        u16::from_le(unsafe { p.cast::<u16>().read_unaligned() })
    }
}

impl Sample for u32 {
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        // SAFETY: the caller guarantees 4 readable bytes at `p`; unaligned reads are allowed.
        u32::from_le(unsafe { p.cast::<u32>().read_unaligned() })
    }
}

/// `out[j]` = the sample at byte `row + cols[j]` of `buf`.
///
/// # Safety
/// `row + col + size_of::<T>() <= buf.len()` for every `col` in `cols`.
#[inline(always)]
unsafe fn gather<T: Sample>(buf: &[u8], row: usize, cols: &[usize], out: &mut [T]) {
    let base = buf.as_ptr();
    for (out, &col) in out.iter_mut().zip(cols) {
        // SAFETY: by the caller's guarantee the bytes row + col .. + size_of::<T>() are in `buf`.
        *out = unsafe { T::load(base.add(row + col)) };
    }
}

/// Normalises (unless plain) and stores `n` pixels at output index `first`.
#[inline(always)]
fn store(job: &Job<'_>, values: &mut [[f32; CHUNK]; 3], first: usize, n: usize, tensor: &mut [f32]) {
    if !job.plain {
        for (channel, values) in values.iter_mut().enumerate() {
            for value in &mut values[..n] {
                let scaled = (f64::from(*value) / job.divisor) as f32;
                *value = (scaled - job.mean[channel]) / job.std[channel];
            }
        }
    }
    match job.layout {
        TensorLayout::Nhwc => {
            let out = &mut tensor[first * 3..(first + n) * 3];
            for (j, pixel) in out.chunks_exact_mut(3).enumerate() {
                pixel.copy_from_slice(&[values[0][j], values[1][j], values[2][j]]);
            }
        }
        TensorLayout::Nchw => {
            let plane = job.out_w * job.out_h;
            for (channel, values) in values.iter().enumerate() {
                tensor[channel * plane + first..][..n].copy_from_slice(&values[..n]);
            }
        }
    }
}
