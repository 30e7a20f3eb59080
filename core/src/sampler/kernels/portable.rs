//! The portable kernel: the scalar reference's expressions in flat loops over a chunk, which the
//! compiler vectorises for the target's baseline (NEON on aarch64, SSE2 on x86-64). No `unsafe`,
//! no run-time CPU check; the kernel every target has.

use super::{Kernel, YuvToRgb, CHUNK};

/// The portable kernel (see the module documentation).
#[derive(Debug, Clone, Copy)]
pub(in crate::sampler) struct Portable;

impl Kernel for Portable {
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
        self.interpolate(px, [0, 8, 16], fx, fy, n, plain, out);
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
