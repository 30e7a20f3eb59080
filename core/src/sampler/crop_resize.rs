//! The resize-then-crop rule: the whole upright crop resized to a fixed size with PIL's
//! bilinear filter, then the centre cut out at the model's input size (open_nsfw's reference
//! preprocessing: `Image.resize((256, 256), BILINEAR)`, then the crop box (16, 16, 240, 240)).
//!
//! Why hand-written rather than a crate: open_nsfw's scores move by up to 0.13 when one 8-bit
//! value of the resized image moves by one (measured on the golden fixtures), and
//! `fast_image_resize`'s PIL-style bilinear filter, which rounds its 16-bit coefficients
//! differently, moved them by up to 5.7e-3 against the package's own scores. This is Pillow's
//! `ImagingResample` for 8-bit images, step for step: coefficients in doubles, normalised to
//! 22-bit fixed point, a horizontal pass over the rows the vertical pass needs into an 8-bit
//! image, then the vertical pass, each rounding half up and clamping. The golden test holds it
//! to the reference within 1e-3 (`tests/tests/golden.rs`).
//!
//! This path serves second-opinion models that run rarely, so it is not fused: the crop is
//! copied out as 8-bit RGB first (see [`Sampler::upright_rgb8`]) and the intermediate images are
//! allocated per call.

use super::Sampler;
use crate::error::Result;
use crate::frame::Frame;
use crate::manifest::{ChannelOrder, ResizeFilter, TensorLayout};

/// Pillow's fixed-point precision for 8-bit images (`PRECISION_BITS`).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Fills `tensor` (already checked to be [`Sampler::tensor_len`] long) from `frame`.
pub(super) fn sample(
    sampler: &Sampler,
    frame: &Frame<'_>,
    (fixed_w, fixed_h, filter): (u32, u32, ResizeFilter),
    tensor: &mut [f32],
) -> Result<()> {
    let ResizeFilter::PilBilinear = filter;
    let (pixels, width, height) = Sampler::upright_rgb8(frame);
    let resized = resize_rgb8(&pixels, width, height, fixed_w as usize, fixed_h as usize);
    let (out_w, out_h) = (sampler.width, sampler.height);
    // PIL's centre crop: the offset rounds down when the margin is odd.
    let left = (fixed_w as usize - out_w) / 2;
    let top = (fixed_h as usize - out_h) / 2;
    let row_len = fixed_w as usize * 3;
    let plane = out_w * out_h;
    for y in 0..out_h {
        let row = &resized[(top + y) * row_len + left * 3..][..out_w * 3];
        for (x, rgb) in row.chunks_exact(3).enumerate() {
            for (c, &value) in rgb.iter().enumerate() {
                let scaled = (f64::from(value) / sampler.divisor) as f32;
                let normalised = (scaled - sampler.mean[c]) / sampler.std[c];
                let channel = match sampler.order {
                    ChannelOrder::Rgb => c,
                    ChannelOrder::Bgr => 2 - c,
                };
                let at = match sampler.layout {
                    TensorLayout::Nhwc => (y * out_w + x) * 3 + channel,
                    TensorLayout::Nchw => channel * plane + y * out_w + x,
                };
                tensor[at] = normalised;
            }
        }
    }
    Ok(())
}

/// One axis of a resize: for each output index, the first source index and the fixed-point
/// weights of the sources from there.
struct Taps {
    bounds: Vec<(usize, usize)>,
    weights: Vec<i32>,
    ksize: usize,
}

/// Pillow's `bilinear_filter`: a triangle of support 1.
fn bilinear(x: f64) -> f64 {
    let x = x.abs();
    if x < 1.0 {
        1.0 - x
    } else {
        0.0
    }
}

/// Pillow's `precompute_coeffs` for the whole axis, then `normalize_coeffs_8bpc`.
fn taps(in_size: usize, out_size: usize) -> Taps {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale; // the bilinear filter's support (1) times the scale
    let ksize = support.ceil() as usize * 2 + 1;
    let mut weights = vec![0i32; out_size * ksize];
    let mut bounds = Vec::with_capacity(out_size);
    let mut k = vec![0.0f64; ksize];
    for (xx, out) in weights.chunks_exact_mut(ksize).enumerate() {
        let center = (xx as f64 + 0.5) * scale;
        // C's `(int)` truncates toward zero; a negative start is clamped to 0 anyway.
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize - xmin;
        let ss = 1.0 / filterscale;
        k.fill(0.0);
        let mut ww = 0.0;
        for (x, w) in k.iter_mut().enumerate().take(xmax) {
            *w = bilinear((x as f64 + xmin as f64 - center + 0.5) * ss);
            ww += *w;
        }
        for (w, fixed) in k.iter().zip(out.iter_mut()).take(xmax) {
            let w = if ww != 0.0 { w / ww } else { *w };
            let scaled = w * f64::from(1u32 << PRECISION_BITS);
            *fixed = if w < 0.0 {
                (scaled - 0.5) as i32
            } else {
                (scaled + 0.5) as i32
            };
        }
        bounds.push((xmin, xmax));
    }
    Taps { bounds, weights, ksize }
}

/// Pillow's `clip8`: rounds the fixed-point sum (which started at one half) down and clamps.
fn clip8(sum: i64) -> u8 {
    (sum >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Resizes packed 8-bit RGB exactly as Pillow's `Image.resize(size, BILINEAR)` does.
pub(crate) fn resize_rgb8(pixels: &[u8], width: usize, height: usize, out_w: usize, out_h: usize) -> Vec<u8> {
    let half = 1i64 << (PRECISION_BITS - 1);
    let horizontal = taps(width, out_w);
    let vertical = taps(height, out_h);
    // The rows the vertical pass reads.
    let first_row = vertical.bounds.first().map_or(0, |b| b.0);
    let last_row = vertical.bounds.last().map_or(0, |b| b.0 + b.1);
    let (source, source_rows, row_offset) = if out_w != width {
        let rows = last_row - first_row;
        let mut temp = vec![0u8; out_w * rows * 3];
        for (y, out_row) in temp.chunks_exact_mut(out_w * 3).enumerate() {
            let in_row = &pixels[(y + first_row) * width * 3..][..width * 3];
            for (xx, out) in out_row.chunks_exact_mut(3).enumerate() {
                let (xmin, count) = horizontal.bounds[xx];
                let k = &horizontal.weights[xx * horizontal.ksize..][..count];
                for (c, value) in out.iter_mut().enumerate() {
                    let sum: i64 = k
                        .iter()
                        .enumerate()
                        .map(|(x, &w)| i64::from(in_row[(xmin + x) * 3 + c]) * i64::from(w))
                        .sum();
                    *value = clip8(half + sum);
                }
            }
        }
        (temp, rows, first_row)
    } else {
        (pixels.to_vec(), height, 0)
    };
    if out_h == source_rows && row_offset == 0 && out_h == height {
        return source;
    }
    let mut out = vec![0u8; out_w * out_h * 3];
    for (yy, out_row) in out.chunks_exact_mut(out_w * 3).enumerate() {
        let (ymin, count) = vertical.bounds[yy];
        let ymin = ymin - row_offset;
        let k = &vertical.weights[yy * vertical.ksize..][..count];
        for (i, value) in out_row.iter_mut().enumerate() {
            let sum: i64 = k
                .iter()
                .enumerate()
                .map(|(y, &w)| i64::from(source[(ymin + y) * out_w * 3 + i]) * i64::from(w))
                .sum();
            *value = clip8(half + sum);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_size_is_a_copy_and_solid_colours_stay_solid() {
        let pixels: Vec<u8> = (0..4 * 3 * 3).map(|i| (i * 7) as u8).collect();
        assert_eq!(resize_rgb8(&pixels, 4, 3, 4, 3), pixels);
        let solid = [10u8, 200, 77].repeat(300 * 200);
        assert_eq!(
            resize_rgb8(&solid, 300, 200, 256, 256),
            [10u8, 200, 77].repeat(256 * 256)
        );
        let one = [1u8, 2, 3];
        assert_eq!(resize_rgb8(&one, 1, 1, 256, 256), one.repeat(256 * 256));
    }

    #[test]
    fn matches_pillow_on_small_images() {
        // Expected bytes from Pillow 11: Image.frombytes("RGB", size, data).resize(out, BILINEAR).
        let row = [0u8, 0, 0, 100, 100, 100, 200, 200, 200, 40, 40, 40];
        assert_eq!(resize_rgb8(&row, 4, 1, 2, 1), [71, 71, 71, 117, 117, 117]);
        let k = taps(4, 2);
        assert_eq!(k.bounds, [(0, 3), (1, 3)]);
        let ramp: Vec<u8> = (0..45u8).map(|i| i * 5).collect();
        let want = [
            6, 11, 16, 30, 35, 40, 54, 59, 64, 17, 22, 27, 41, 46, 51, 65, 70, 75, 49, 54, 59, 73, 78, 83, 97, 102,
            107, 81, 86, 91, 105, 110, 115, 129, 134, 139, 113, 118, 123, 137, 142, 147, 161, 166, 171, 145, 150, 155,
            169, 174, 179, 193, 198, 203, 156, 161, 166, 180, 185, 190, 204, 209, 214,
        ];
        assert_eq!(resize_rgb8(&ramp, 5, 3, 3, 7), want);
    }
}
