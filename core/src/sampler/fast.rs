//! The fast path of [`super::Sampler::sample`]: the same arithmetic as the scalar reference
//! ([`super::Sampler::sample_scalar`]), arranged for the machine.
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
//! 2. **YUV → RGB** per corner with [`YuvToRgb::rgb`], packed as `r | g << 8 | b << 16`.
//! 3. **Interpolate and normalise** in `f32`, exactly as the reference does (no fused
//!    multiply-add), eight output pixels at a time with AVX2 on x86-64 when the CPU has it
//!    (checked at run time), otherwise in portable code the compiler vectorises (NEON on
//!    aarch64, SSE2 on x86-64).
#![allow(unsafe_code)]

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
#[derive(Debug, Default)]
pub(super) struct Taps {
    pub(super) low: [Vec<usize>; 3],
    pub(super) high: [Vec<usize>; 3],
    /// Weights, with zeros after the last coordinate up to a multiple of 8 (SIMD lanes).
    pub(super) frac: Vec<f32>,
    /// The largest offset of each sample over both neighbours.
    pub(super) max: [usize; 3],
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

/// Fills `tensor` (length checked by the caller). Uses AVX2 when the CPU has it.
pub(super) fn run(job: &Job<'_>, tensor: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: `run_avx2` only needs AVX2, which the CPU was just reported to support.
        unsafe { run_avx2(job, tensor) };
        return;
    }
    run_with::<Portable>(job, tensor);
}

/// [`run`] without any CPU feature beyond the target's baseline (for tests and benchmarks).
pub(super) fn run_portable(job: &Job<'_>, tensor: &mut [f32]) {
    run_with::<Portable>(job, tensor);
}

/// # Safety
/// The CPU must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(job: &Job<'_>, tensor: &mut [f32]) {
    run_with::<avx2::Avx2>(job, tensor);
}

/// The per-chunk arithmetic, portable or with a CPU feature.
trait Kernel {
    /// YUV → RGB of the four corners (corner `k` takes its chroma from corner `chroma[k]`),
    /// then [`Kernel::interpolate`]; `px` is scratch space.
    #[allow(clippy::too_many_arguments)]
    fn yuv(
        convert: &YuvToRgb,
        ys: &[[u8; CHUNK]; 4],
        us: &[[u8; CHUNK]; 4],
        vs: &[[u8; CHUNK]; 4],
        chroma: [usize; 4],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        px: &mut [[u32; CHUNK]; 4],
        out: &mut [[f32; CHUNK]; 3],
    );

    /// Bilinear mix of the four corners for the first `n` pixels (more lanes may be computed,
    /// up to a multiple of 8): `resized` as `f32`, then × 1/255 when `plain`.
    fn interpolate(
        px: &[[u32; CHUNK]; 4],
        shifts: [u32; 3],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        out: &mut [[f32; CHUNK]; 3],
    );
}

/// The portable kernel: the reference's expressions in flat loops.
struct Portable;

impl Kernel for Portable {
    #[inline(always)]
    fn yuv(
        convert: &YuvToRgb,
        ys: &[[u8; CHUNK]; 4],
        us: &[[u8; CHUNK]; 4],
        vs: &[[u8; CHUNK]; 4],
        chroma: [usize; 4],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        px: &mut [[u32; CHUNK]; 4],
        out: &mut [[f32; CHUNK]; 3],
    ) {
        for (k, px) in px.iter_mut().enumerate() {
            let lanes = px[..n]
                .iter_mut()
                .zip(&ys[k][..n])
                .zip(&us[chroma[k]][..n])
                .zip(&vs[chroma[k]][..n]);
            for (((px, &y), &u), &v) in lanes {
                let [r, g, b] = convert.rgb(y, u, v);
                *px = u32::from(r) | u32::from(g) << 8 | u32::from(b) << 16;
            }
        }
        Self::interpolate(px, [0, 8, 16], fx, fy, n, plain, out);
    }

    #[inline(always)]
    fn interpolate(
        px: &[[u32; CHUNK]; 4],
        shifts: [u32; 3],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        out: &mut [[f32; CHUNK]; 3],
    ) {
        let [tl, tr, bl, br] = px;
        for (out, shift) in out.iter_mut().zip(shifts) {
            let lanes = out[..n]
                .iter_mut()
                .zip(&tl[..n])
                .zip(&tr[..n])
                .zip(&bl[..n])
                .zip(&br[..n])
                .zip(&fx[..n]);
            for (((((value, &tl), &tr), &bl), &br), &fx) in lanes {
                let channel = |p: u32| f32::from((p >> shift) as u8);
                let (tl, tr, bl, br) = (channel(tl), channel(tr), channel(bl), channel(br));
                let upper = tl + (tr - tl) * fx;
                let lower = bl + (br - bl) * fx;
                let resized = upper + (lower - upper) * fy;
                *value = if plain { resized / 255.0 } else { resized };
            }
        }
    }
}

/// The work buffers of one chunk (on the stack; nothing is allocated per frame).
struct Scratch {
    ys: [[u8; CHUNK]; 4],
    us: [[u8; CHUNK]; 4],
    vs: [[u8; CHUNK]; 4],
    px: [[u32; CHUNK]; 4],
    values: [[f32; CHUNK]; 3],
}

#[inline(always)]
fn run_with<K: Kernel>(job: &Job<'_>, tensor: &mut [f32]) {
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
        let fits = (0..3).all(|k| {
            widths[k] == 0
                || top[k]
                    .max(bottom[k])
                    .checked_add(job.cols.max[k] + widths[k])
                    .is_some_and(|end| end <= job.bufs[k].len())
        });
        let fy = rows.frac[out_y];
        let mut start = 0;
        while start < job.out_w {
            let n = CHUNK.min(job.out_w - start);
            let fx = &job.cols.frac[start..];
            match job.source {
                Source::Packed { shifts } => {
                    gather_packed(job, top, bottom, start, n, fits, &mut s.px);
                    K::interpolate(&s.px, shifts, fx, fy, n, job.plain, &mut s.values);
                }
                _ => {
                    let chroma = gather_yuv(job, top, bottom, start, n, fits, &mut s);
                    let (ys, us, vs) = (&s.ys, &s.us, &s.vs);
                    K::yuv(
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

/// Loads the packed pixels of the four corners of `n` output pixels from column `start`.
#[inline(always)]
fn gather_packed(
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
            // SAFETY: `fits` proved row + column offset + 4 <= buf.len() for every column
            // offset of this row (each is at most `cols.max[0]`).
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
#[inline(always)]
fn gather_yuv(
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
        load_bytes(job.bufs[0], row(0, corner), cols(0, corner & 1), fits, &mut ys[..n]);
    }
    match job.source {
        Source::SemiPlanar { u_shift, v_shift } => {
            let buf = job.bufs[1];
            for corner in 0..corners {
                let (row, cols) = (row(1, corner), cols(1, corner & 1));
                let (us, vs) = (&mut s.us[corner][..n], &mut s.vs[corner][..n]);
                if fits {
                    let mut pairs = [0u16; CHUNK];
                    // SAFETY: `fits` proved row + column offset + 2 <= buf.len() for every
                    // column offset of this row.
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
            for corner in 0..corners {
                load_bytes(
                    job.bufs[1],
                    row(1, corner),
                    cols(1, corner & 1),
                    fits,
                    &mut s.us[corner][..n],
                );
                load_bytes(
                    job.bufs[2],
                    row(2, corner),
                    cols(2, corner & 1),
                    fits,
                    &mut s.vs[corner][..n],
                );
            }
        }
    }
    chroma
}

#[inline(always)]
fn load_bytes(buf: &[u8], row: usize, cols: &[usize], fits: bool, out: &mut [u8]) {
    if fits {
        // SAFETY: the caller's `fits` proved row + column offset + 1 <= buf.len() for every
        // column offset of this row.
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

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The AVX2 kernel: eight output pixels per step, each corner channel as eight `f32` lanes.
    //! Only adds, subtractions, multiplications, divisions and conversions, in the reference's
    //! order (no fused multiply-add), so every lane rounds exactly as the scalar code does.
    use super::super::YUV_SHIFT;
    use super::{Kernel, YuvToRgb, CHUNK};
    use std::arch::x86_64::*;

    pub(super) struct Avx2;

    /// The bilinear mix of one channel's four corners in eight lanes, as `f32` (÷ 255 when
    /// `plain`). The corner differences are taken in integers: exact, so equal to the
    /// reference's `f32` subtraction of the same small integers.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn mix8(
        tl: __m256i,
        tr: __m256i,
        bl: __m256i,
        br: __m256i,
        fx: __m256,
        fy: __m256,
        plain: bool,
        out: &mut [f32],
    ) {
        let top = _mm256_cvtepi32_ps(_mm256_sub_epi32(tr, tl));
        let bottom = _mm256_cvtepi32_ps(_mm256_sub_epi32(br, bl));
        let upper = _mm256_add_ps(_mm256_cvtepi32_ps(tl), _mm256_mul_ps(top, fx));
        let lower = _mm256_add_ps(_mm256_cvtepi32_ps(bl), _mm256_mul_ps(bottom, fx));
        let resized = _mm256_add_ps(upper, _mm256_mul_ps(_mm256_sub_ps(lower, upper), fy));
        let value = if plain {
            _mm256_div_ps(resized, _mm256_set1_ps(255.0))
        } else {
            resized
        };
        let out: &mut [f32; 8] = match out.first_chunk_mut() {
            Some(out) => out,
            None => return,
        };
        // SAFETY: `out` is 8 writable f32s; unaligned stores are allowed.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), value) };
    }

    /// Eight bytes as eight `i32` lanes.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[inline(always)]
    unsafe fn bytes8(b: &[u8]) -> __m256i {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&b[..8]);
        _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(i64::from_le_bytes(eight)))
    }

    /// [`YuvToRgb`]'s constants in eight i32 lanes.
    struct Yuv {
        y_bias: __m256i,
        y_mul: __m256i,
        half: __m256i,
        r_v: __m256i,
        g_u: __m256i,
        g_v: __m256i,
        b_u: __m256i,
        c128: __m256i,
        max: __m256i,
    }

    impl Yuv {
        /// # Safety
        /// The CPU must support AVX2.
        #[inline(always)]
        unsafe fn new(c: &YuvToRgb) -> Self {
            Self {
                y_bias: _mm256_set1_epi32(c.y_bias),
                y_mul: _mm256_set1_epi32(c.y_mul),
                half: _mm256_set1_epi32(1 << (YUV_SHIFT - 1)),
                r_v: _mm256_set1_epi32(c.r_v),
                g_u: _mm256_set1_epi32(c.g_u),
                g_v: _mm256_set1_epi32(c.g_v),
                b_u: _mm256_set1_epi32(c.b_u),
                c128: _mm256_set1_epi32(128),
                max: _mm256_set1_epi32(255),
            }
        }

        /// The chroma terms of [`YuvToRgb::rgb`] (`r_v·v`, `g_u·u + g_v·v`, `b_u·u`) of the
        /// first eight samples.
        ///
        /// # Safety
        /// The CPU must support AVX2.
        #[inline(always)]
        unsafe fn chroma(&self, u: &[u8], v: &[u8]) -> [__m256i; 3] {
            let u = _mm256_sub_epi32(bytes8(u), self.c128);
            let v = _mm256_sub_epi32(bytes8(v), self.c128);
            [
                _mm256_mullo_epi32(self.r_v, v),
                _mm256_add_epi32(_mm256_mullo_epi32(self.g_u, u), _mm256_mullo_epi32(self.g_v, v)),
                _mm256_mullo_epi32(self.b_u, u),
            ]
        }

        /// [`YuvToRgb::rgb`] of the first eight samples of `y` with chroma terms `c`, in eight
        /// i32 lanes: the same integer operations (none overflows for any input), so the same
        /// results.
        ///
        /// # Safety
        /// The CPU must support AVX2.
        #[inline(always)]
        unsafe fn rgb(&self, y: &[u8], c: &[__m256i; 3]) -> [__m256i; 3] {
            let luma = _mm256_add_epi32(
                _mm256_mullo_epi32(_mm256_sub_epi32(bytes8(y), self.y_bias), self.y_mul),
                self.half,
            );
            let clamp = |x: __m256i| {
                _mm256_min_epi32(
                    _mm256_max_epi32(_mm256_srai_epi32::<{ YUV_SHIFT as i32 }>(x), _mm256_setzero_si256()),
                    self.max,
                )
            };
            [
                clamp(_mm256_add_epi32(luma, c[0])),
                clamp(_mm256_sub_epi32(luma, c[1])),
                clamp(_mm256_add_epi32(luma, c[2])),
            ]
        }
    }

    impl Kernel for Avx2 {
        #[inline(always)]
        fn yuv(
            convert: &YuvToRgb,
            ys: &[[u8; CHUNK]; 4],
            us: &[[u8; CHUNK]; 4],
            vs: &[[u8; CHUNK]; 4],
            chroma: [usize; 4],
            fx: &[f32],
            fy: f32,
            n: usize,
            plain: bool,
            _px: &mut [[u32; CHUNK]; 4],
            out: &mut [[f32; CHUNK]; 3],
        ) {
            let n8 = n.next_multiple_of(8);
            // SAFETY: the CPU supports AVX2, required by `run_avx2`, the only caller of this
            // kernel; loads and stores go through slices of exactly the lanes they touch.
            unsafe {
                let fy = _mm256_set1_ps(fy);
                let k = Yuv::new(convert);
                let shared = chroma[2] == chroma[0];
                for (j, fx) in (0..n8).step_by(8).zip(fx[..n8].chunks_exact(8)) {
                    // Plain calls, no closures: those would not be inlined into the AVX2 code.
                    let top_left = k.chroma(&us[chroma[0]][j..], &vs[chroma[0]][j..]);
                    let top_right = k.chroma(&us[chroma[1]][j..], &vs[chroma[1]][j..]);
                    let (bottom_left, bottom_right) = if shared {
                        (top_left, top_right)
                    } else {
                        (
                            k.chroma(&us[chroma[2]][j..], &vs[chroma[2]][j..]),
                            k.chroma(&us[chroma[3]][j..], &vs[chroma[3]][j..]),
                        )
                    };
                    let tl = k.rgb(&ys[0][j..], &top_left);
                    let tr = k.rgb(&ys[1][j..], &top_right);
                    let bl = k.rgb(&ys[2][j..], &bottom_left);
                    let br = k.rgb(&ys[3][j..], &bottom_right);
                    let fx = _mm256_loadu_ps(fx.as_ptr());
                    for c in 0..3 {
                        mix8(tl[c], tr[c], bl[c], br[c], fx, fy, plain, &mut out[c][j..]);
                    }
                }
            }
        }

        #[inline(always)]
        fn interpolate(
            px: &[[u32; CHUNK]; 4],
            shifts: [u32; 3],
            fx: &[f32],
            fy: f32,
            n: usize,
            plain: bool,
            out: &mut [[f32; CHUNK]; 3],
        ) {
            let n8 = n.next_multiple_of(8);
            // SAFETY (all blocks below): the CPU supports AVX2, required by `run_avx2`, the
            // only caller of this kernel; loads and stores go through slices of exactly the
            // lanes they touch.
            unsafe {
                let fy = _mm256_set1_ps(fy);
                // Byte shuffles that move channel byte `shift / 8` of each u32 to its low byte
                // and zero the rest (the same in both 128-bit halves).
                let masks = shifts.map(|shift| {
                    let b = (shift / 8) as i8;
                    let half = _mm_setr_epi8(b, -1, -1, -1, b + 4, -1, -1, -1, b + 8, -1, -1, -1, b + 12, -1, -1, -1);
                    _mm256_set_m128i(half, half)
                });
                let load = |k: usize, j: usize| -> __m256i {
                    let lanes: &[u32; 8] = match px[k][j..].first_chunk() {
                        Some(lanes) => lanes,
                        None => return _mm256_setzero_si256(),
                    };
                    _mm256_loadu_si256(lanes.as_ptr().cast())
                };
                for (j, fx) in (0..n8).step_by(8).zip(fx[..n8].chunks_exact(8)) {
                    let fx = _mm256_loadu_ps(fx.as_ptr());
                    let corners = [load(0, j), load(1, j), load(2, j), load(3, j)];
                    for (c, mask) in masks.iter().enumerate() {
                        let [tl, tr, bl, br] = corners.map(|v| _mm256_shuffle_epi8(v, *mask));
                        mix8(tl, tr, bl, br, fx, fy, plain, &mut out[c][j..]);
                    }
                }
            }
        }
    }
}
