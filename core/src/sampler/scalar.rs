//! The scalar reference of the fused pass: one plain path for every format, one output pixel
//! at a time within a chunk, with checked indexing and no `unsafe`. The fast path
//! ([`super::fast`] with any kernel of [`super::kernels`]) is tested against it bit for bit, so
//! it is compiled for tests and with the `test-hooks` feature only.

use super::{channel_plane, PlaneTables, Sampler, Tables, YuvToRgb};
use crate::error::Result;
use crate::frame::Frame;
use crate::manifest::TensorLayout;

/// Output pixels gathered and computed together by the reference (small enough for the stack).
const CHUNK: usize = 64;

/// (row tap, column tap) of the four corners: top-left, top-right, bottom-left, bottom-right.
const CORNERS: [(usize, usize); 4] = [(0, 0), (0, 1), (1, 0), (1, 1)];

impl Sampler {
    /// [`Sampler::sample`]'s values in RGB order, computed by the reference.
    pub(super) fn sample_scalar_rgb(&self, frame: &Frame<'_>, tensor: &mut [f32]) -> Result<()> {
        self.check_tensor(tensor)?;
        let tables = Tables::new(frame, self.width, self.height);
        let PlaneTables { x, y, .. } = &*tables;
        let x_frac: Vec<f32> = x.iter().map(|e| e.frac).collect();
        let layout = *frame.layout();
        let format = frame.format();
        let plain = self.plain();
        let mut raw = [[[0u8; CHUNK]; 3]; 4];
        let mut rgb = [[[0u8; CHUNK]; 3]; 4];
        let mut values = [[0f32; CHUNK]; 3];
        let convert = YuvToRgb::new(frame.yuv_color());
        let bufs: [&[u8]; 3] = std::array::from_fn(|c| frame.buffer(layout.plane(channel_plane(format, c).0).buffer));
        for (out_y, row) in y.iter().enumerate() {
            let mut start = 0;
            while start < self.width {
                let n = CHUNK.min(self.width - start);
                let cols = &x[start..start + n];
                // 1. Gather the raw bytes of the four corners of each output pixel.
                if format.is_yuv() {
                    for (j, col) in cols.iter().enumerate() {
                        for (k, (r, c)) in CORNERS.iter().enumerate() {
                            for (p, (raw_channel, buf)) in raw[k].iter_mut().zip(&bufs).enumerate() {
                                raw_channel[j] = buf[row.offsets[*r][p] + col.offsets[*c][p]];
                            }
                        }
                    }
                    // 2. YUV → RGB, one corner channel-plane at a time (vectorises).
                    for (raw, rgb) in raw.iter().zip(rgb.iter_mut()) {
                        let [ys, us, vs] = raw;
                        let [rs, gs, bs] = rgb;
                        for j in 0..n {
                            let [r, g, b] = convert.rgb(ys[j], us[j], vs[j]);
                            rs[j] = r;
                            gs[j] = g;
                            bs[j] = b;
                        }
                    }
                } else {
                    let offsets = format.rgb_offsets();
                    let buf = bufs[0];
                    for (j, col) in cols.iter().enumerate() {
                        for (k, (r, c)) in CORNERS.iter().enumerate() {
                            let at = row.offsets[*r][0] + col.offsets[*c][0];
                            for (channel, &o) in offsets.iter().enumerate() {
                                rgb[k][channel][j] = buf[at + o];
                            }
                        }
                    }
                }
                // 3. Interpolate and normalise (flat loops over the chunk; vectorise).
                let fy = row.frac;
                for (channel, out) in values.iter_mut().enumerate() {
                    let lanes = out[..n]
                        .iter_mut()
                        .zip(&rgb[0][channel][..n])
                        .zip(&rgb[1][channel][..n])
                        .zip(&rgb[2][channel][..n])
                        .zip(&rgb[3][channel][..n])
                        .zip(&x_frac[start..start + n]);
                    for (((((value, &tl), &tr), &bl), &br), &fx) in lanes {
                        let (tl, tr, bl, br) = (f32::from(tl), f32::from(tr), f32::from(bl), f32::from(br));
                        let upper = tl + (tr - tl) * fx;
                        let lower = bl + (br - bl) * fx;
                        let resized = upper + (lower - upper) * fy;
                        *value = if plain {
                            resized / 255.0
                        } else {
                            let scaled = (f64::from(resized) / self.divisor) as f32;
                            (scaled - self.mean[channel]) / self.std[channel]
                        };
                    }
                }
                // 4. Store in the tensor's layout.
                let first = out_y * self.width + start;
                match self.layout {
                    TensorLayout::Nhwc => {
                        let out = &mut tensor[first * 3..(first + n) * 3];
                        for (j, pixel) in out.chunks_exact_mut(3).enumerate() {
                            pixel.copy_from_slice(&[values[0][j], values[1][j], values[2][j]]);
                        }
                    }
                    TensorLayout::Nchw => {
                        let plane = self.width * self.height;
                        for (channel, values) in values.iter().enumerate() {
                            tensor[channel * plane + first..][..n].copy_from_slice(&values[..n]);
                        }
                    }
                }
                start += n;
            }
        }
        Ok(())
    }
}
