//! The AVX2 kernel (x86-64): eight output pixels per step, each corner channel as eight `f32`
//! lanes. Only adds, subtractions, multiplications, divisions and conversions, in the
//! reference's order (no fused multiply-add), so every lane rounds exactly as the scalar code
//! does.
//!
//! The helpers are `#[inline(always)]` and carry no `#[target_feature]` (the two cannot be
//! combined): they are inlined into [`run_avx2`], which is compiled with AVX2. Their intrinsics
//! need `unsafe` because the CPU must have AVX2; an [`Avx2`] value, which only
//! [`Avx2::detect`] makes, is the proof of that, and every helper takes one.
#![allow(unsafe_code)]

use super::{Kernel, YuvToRgb, CHUNK};
use crate::sampler::fast::{self, Job};
use crate::sampler::YUV_SHIFT;
use std::arch::x86_64::*;

/// The AVX2 kernel, and the proof that this CPU has AVX2: the only value is made by
/// [`Avx2::detect`] after the run-time check.
#[derive(Debug, Clone, Copy)]
pub(in crate::sampler) struct Avx2 {
    _proof: (),
}

impl Avx2 {
    /// The kernel when this CPU has AVX2 (checked at run time; std caches the answer).
    pub(super) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Self { _proof: () })
    }

    /// Fills `tensor` (length checked by the caller) with this kernel.
    pub(super) fn run(self, job: &Job<'_>, tensor: &mut [f32]) {
        // SAFETY: `run_avx2` needs only AVX2, and `self` exists only on a CPU that has it
        // (`detect` is its one constructor).
        unsafe { run_avx2(self, job, tensor) }
    }

    /// The bilinear mix of one channel's four corners in eight lanes, as `f32` (÷ 255 when
    /// `plain`), stored in the first eight values of `out` (nothing when it is shorter). The
    /// corner differences are taken in integers: exact, so equal to the reference's `f32`
    /// subtraction of the same small integers.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn mix8(
        self,
        tl: __m256i,
        tr: __m256i,
        bl: __m256i,
        br: __m256i,
        fx: __m256,
        fy: __m256,
        plain: bool,
        out: &mut [f32],
    ) {
        // SAFETY: `self` proves the CPU has AVX2, all these register-only intrinsics need.
        let value = unsafe {
            let top = _mm256_cvtepi32_ps(_mm256_sub_epi32(tr, tl));
            let bottom = _mm256_cvtepi32_ps(_mm256_sub_epi32(br, bl));
            let upper = _mm256_add_ps(_mm256_cvtepi32_ps(tl), _mm256_mul_ps(top, fx));
            let lower = _mm256_add_ps(_mm256_cvtepi32_ps(bl), _mm256_mul_ps(bottom, fx));
            let resized = _mm256_add_ps(upper, _mm256_mul_ps(_mm256_sub_ps(lower, upper), fy));
            if plain {
                _mm256_div_ps(resized, _mm256_set1_ps(255.0))
            } else {
                resized
            }
        };
        let Some(out) = out.first_chunk_mut::<8>() else {
            return;
        };
        // SAFETY: `self` proves AVX2; the store writes the 8 `f32`s of `out`, an exclusive
        // `&mut [f32; 8]` (`storeu` allows any alignment).
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), value) };
    }

    /// The first eight bytes of `b` (panics when shorter) as eight `i32` lanes.
    #[inline(always)]
    fn bytes8(self, b: &[u8]) -> __m256i {
        let mut eight = [0u8; 8];
        eight.copy_from_slice(&b[..8]);
        // SAFETY: `self` proves AVX2 (`_mm_cvtsi64_si128` is SSE2, part of x86-64's baseline);
        // both intrinsics work on registers only.
        unsafe { _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(i64::from_le_bytes(eight))) }
    }

    /// The first eight `f32`s of `values` in one register (zeros when it is shorter).
    #[inline(always)]
    fn load_f32x8(self, values: &[f32]) -> __m256 {
        match values.first_chunk::<8>() {
            // SAFETY: `self` proves AVX2; the load reads the 32 bytes of `eight`, a shared
            // `&[f32; 8]` (`loadu` allows any alignment).
            Some(eight) => unsafe { _mm256_loadu_ps(eight.as_ptr()) },
            // SAFETY: `self` proves AVX2, all this register-only intrinsic needs.
            None => unsafe { _mm256_setzero_ps() },
        }
    }

    /// `value` in all eight lanes.
    #[inline(always)]
    fn splat(self, value: f32) -> __m256 {
        // SAFETY: `self` proves AVX2, all this register-only intrinsic needs.
        unsafe { _mm256_set1_ps(value) }
    }
}

/// The fast path's loops compiled with AVX2 enabled, with this kernel inlined into them.
///
/// # Safety
/// The CPU must support AVX2.
#[target_feature(enable = "avx2")]
unsafe fn run_avx2(kernel: Avx2, job: &Job<'_>, tensor: &mut [f32]) {
    fast::run_with(kernel, job, tensor);
}

/// [`YuvToRgb`]'s constants in eight i32 lanes.
struct Yuv {
    avx2: Avx2,
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
    #[inline(always)]
    fn new(avx2: Avx2, c: &YuvToRgb) -> Self {
        // SAFETY: `avx2` proves the CPU has AVX2, all these register-only intrinsics need.
        unsafe {
            Self {
                avx2,
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
    }

    /// The chroma terms of [`YuvToRgb::rgb`] (`r_v·v`, `g_u·u + g_v·v`, `b_u·u`) of the
    /// first eight samples.
    #[inline(always)]
    fn chroma(&self, u: &[u8], v: &[u8]) -> [__m256i; 3] {
        let (u, v) = (self.avx2.bytes8(u), self.avx2.bytes8(v));
        // SAFETY: `self.avx2` proves the CPU has AVX2, all these register-only intrinsics need.
        unsafe {
            let u = _mm256_sub_epi32(u, self.c128);
            let v = _mm256_sub_epi32(v, self.c128);
            [
                _mm256_mullo_epi32(self.r_v, v),
                _mm256_add_epi32(_mm256_mullo_epi32(self.g_u, u), _mm256_mullo_epi32(self.g_v, v)),
                _mm256_mullo_epi32(self.b_u, u),
            ]
        }
    }

    /// [`YuvToRgb::rgb`] of the first eight samples of `y` with chroma terms `c`, in eight
    /// i32 lanes: the same integer operations (none overflows for any input), so the same
    /// results.
    #[inline(always)]
    fn rgb(&self, y: &[u8], c: &[__m256i; 3]) -> [__m256i; 3] {
        let y = self.avx2.bytes8(y);
        // SAFETY: `self.avx2` proves the CPU has AVX2, all these register-only intrinsics need.
        unsafe {
            let luma = _mm256_add_epi32(
                _mm256_mullo_epi32(_mm256_sub_epi32(y, self.y_bias), self.y_mul),
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
}

impl Kernel for Avx2 {
    #[inline(always)]
    fn yuv(
        self,
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
        let fy = self.splat(fy);
        let k = Yuv::new(self, convert);
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
            let fx = self.load_f32x8(fx);
            for c in 0..3 {
                self.mix8(tl[c], tr[c], bl[c], br[c], fx, fy, plain, &mut out[c][j..]);
            }
        }
    }

    #[inline(always)]
    fn interpolate(
        self,
        px: &[[u32; CHUNK]; 4],
        shifts: [u32; 3],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        out: &mut [[f32; CHUNK]; 3],
    ) {
        let n8 = n.next_multiple_of(8);
        let fy = self.splat(fy);
        // SAFETY: `self` proves the CPU has AVX2, all these register-only intrinsics need.
        // Byte shuffles that move channel byte `shift / 8` of each u32 to its low byte and zero
        // the rest (the same in both 128-bit halves).
        let masks = unsafe {
            shifts.map(|shift| {
                let b = (shift / 8) as i8;
                let half = _mm_setr_epi8(b, -1, -1, -1, b + 4, -1, -1, -1, b + 8, -1, -1, -1, b + 12, -1, -1, -1);
                _mm256_set_m128i(half, half)
            })
        };
        let load = |k: usize, j: usize| -> __m256i {
            match px[k][j..].first_chunk::<8>() {
                // SAFETY: `self` proves AVX2; the load reads the 32 bytes of `lanes`, a shared
                // `&[u32; 8]` (`loadu` allows any alignment).
                Some(lanes) => unsafe { _mm256_loadu_si256(lanes.as_ptr().cast()) },
                // SAFETY: `self` proves AVX2, all this register-only intrinsic needs.
                None => unsafe { _mm256_setzero_si256() },
            }
        };
        for (j, fx) in (0..n8).step_by(8).zip(fx[..n8].chunks_exact(8)) {
            let fx = self.load_f32x8(fx);
            let corners = [load(0, j), load(1, j), load(2, j), load(3, j)];
            for (c, mask) in masks.iter().enumerate() {
                // SAFETY: `self` proves AVX2, all this register-only intrinsic needs.
                let [tl, tr, bl, br] = corners.map(|v| unsafe { _mm256_shuffle_epi8(v, *mask) });
                self.mix8(tl, tr, bl, br, fx, fy, plain, &mut out[c][j..]);
            }
        }
    }
}
