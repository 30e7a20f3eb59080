//! The per-chunk arithmetic of the fast path ([`super::fast`]), one file per instruction set,
//! and the one place that chooses between them.
//!
//! - [`portable`]: plain Rust loops with the reference's expressions, which the compiler
//!   vectorises for the target's baseline (NEON on aarch64, SSE2 on x86-64). Every target.
//! - `x86_avx2`: AVX2 intrinsics, eight output pixels per step (x86-64, when the CPU has it).
//!
//! [`run`] is the dispatch point: one `match` on the [`CpuExtensions`] found at run time.
//! Every kernel computes the same values bit for bit (`tests/tests/sampler_fast_path.rs` checks
//! the dispatched and the portable one against the scalar reference; the tests below check every
//! kernel this CPU can run).

mod portable;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;

use super::fast::{self, Job, CHUNK};
use super::YuvToRgb;

/// The CPU extensions a fast-path kernel can use, as found on this CPU.
///
/// A variant other than [`CpuExtensions::None`] carries its kernel, which can only be made by
/// checking the CPU at run time: holding one proves the CPU has the extension.
#[derive(Debug, Clone, Copy)]
pub(super) enum CpuExtensions {
    /// Nothing beyond the target's baseline: the portable kernel.
    None,
    /// AVX2 (x86-64).
    #[cfg(target_arch = "x86_64")]
    Avx2(x86_avx2::Avx2),
}

impl CpuExtensions {
    /// The best extensions this CPU has (checked at run time; std caches the answer).
    pub(super) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if let Some(avx2) = x86_avx2::Avx2::detect() {
            return Self::Avx2(avx2);
        }
        Self::None
    }

    /// Every set of extensions this CPU can run, the baseline first (for tests).
    #[cfg(test)]
    fn all_supported() -> Vec<Self> {
        #[cfg(target_arch = "x86_64")]
        let avx2 = x86_avx2::Avx2::detect().map(Self::Avx2);
        #[cfg(not(target_arch = "x86_64"))]
        let avx2 = None;
        [Some(Self::None), avx2].into_iter().flatten().collect()
    }
}

/// Fills `tensor` (length checked by the caller) with the kernel for `extensions`: the one
/// dispatch point of the sampler's fast path.
pub(super) fn run(extensions: CpuExtensions, job: &Job<'_>, tensor: &mut [f32]) {
    match extensions {
        CpuExtensions::None => fast::run_with(portable::Portable, job, tensor),
        #[cfg(target_arch = "x86_64")]
        CpuExtensions::Avx2(avx2) => avx2.run(job, tensor),
    }
}

/// The per-chunk arithmetic, portable or with a CPU feature. A kernel value is a zero-sized
/// proof that the CPU can run it.
pub(super) trait Kernel: Copy {
    /// YUV → RGB of the four corners (corner `k` takes its chroma from corner `chroma[k]`),
    /// then [`Kernel::interpolate`]; `px` is scratch space.
    #[allow(clippy::too_many_arguments)]
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
        px: &mut [[u32; CHUNK]; 4],
        out: &mut [[f32; CHUNK]; 3],
    );

    /// Bilinear mix of the four corners for the first `n` pixels (more lanes may be computed,
    /// up to a multiple of 8): `resized` as `f32`, then × 1/255 when `plain`.
    #[allow(clippy::too_many_arguments)]
    fn interpolate(
        self,
        px: &[[u32; CHUNK]; 4],
        shifts: [u32; 3],
        fx: &[f32],
        fy: f32,
        n: usize,
        plain: bool,
        out: &mut [[f32; CHUNK]; 3],
    );
}

#[cfg(test)]
mod tests {
    use super::CpuExtensions;
    use crate::frame::{CropRect, Frame, PixelFormat, Rotation};
    use crate::manifest::{InputSpec, ResizeRule, TensorLayout};
    use crate::sampler::Sampler;

    fn spec(width: u32, height: u32, layout: TensorLayout, plain: bool) -> InputSpec {
        InputSpec {
            name: "input_1".into(),
            layout,
            width,
            height,
            color: "RGB".into(),
            pixel_divisor: if plain { 255.0 } else { 127.5 },
            mean: if plain { [0.0; 3] } else { [1.0, 0.5, 0.25] },
            std: if plain { [1.0; 3] } else { [1.0, 0.5, 2.0] },
            resize: ResizeRule::BilinearAlignCorners,
        }
    }

    #[test]
    fn every_kernel_this_cpu_runs_matches_the_scalar_reference_bit_for_bit() {
        let (w, h) = (19u32, 11u32);
        let formats = [
            PixelFormat::Rgba8,
            PixelFormat::Bgra8,
            PixelFormat::Rgb8,
            PixelFormat::Nv12,
            PixelFormat::Nv21,
            PixelFormat::I420,
        ];
        // Output rows longer than one chunk (70 > 64) with a tail that is not a multiple of 8.
        let sizes: &[(u32, u32)] = if cfg!(miri) { &[(5, 3)] } else { &[(5, 3), (70, 9)] };
        let mut checked = 0;
        for format in formats {
            let len = format.packed_len(w, h).unwrap();
            let mut state = 0x9e37_79b9_u32;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state >> 11) as u8
                })
                .collect();
            let frame = Frame::packed(&bytes, w, h, format).unwrap();
            for (rotation, crop) in [
                (Rotation::Deg0, None),
                (Rotation::Deg90, Some(CropRect::new(3, 2, 13, 9))),
            ] {
                let mut view = frame.with_rotation(rotation);
                if let Some(crop) = crop {
                    view = view.with_crop(crop).unwrap();
                }
                for &(out_w, out_h) in sizes {
                    for (layout, plain) in [(TensorLayout::Nhwc, true), (TensorLayout::Nchw, false)] {
                        let sampler = Sampler::new(&spec(out_w, out_h, layout, plain));
                        let mut reference = vec![0.0; sampler.tensor_len()];
                        sampler.sample_scalar_rgb(&view, &mut reference).unwrap();
                        for extensions in CpuExtensions::all_supported() {
                            let mut tensor = vec![f32::NAN; sampler.tensor_len()];
                            sampler.sample_fast(&view, &mut tensor, extensions).unwrap();
                            let same = tensor.iter().zip(&reference).all(|(a, b)| a.to_bits() == b.to_bits());
                            assert!(
                                same,
                                "{extensions:?}: {format:?} {rotation:?} -> {out_w}x{out_h} {layout:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked >= 6 * 2 * sizes.len() * 2);
    }
}
