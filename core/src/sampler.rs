//! The sampler: frame pixels straight into the model's input tensor.
//!
//! Colour conversion, rotation, crop, the resize and the normalisation happen in one pass that
//! reads only the source pixels the output needs (four per output pixel); the frame is never
//! copied or converted as a whole, whatever its format.
//!
//! The resize follows TensorFlow.js's CPU `resizeBilinear` kernel with `alignCorners = true`
//! step for step (interpolation in double precision, the result stored as `f32`, then divided
//! in double precision and stored as `f32` again), because nsfwjs preprocesses that way and the
//! model's scores move by up to 0.385 under a different resize. The resize runs in the
//! *upright* image (the crop turned by the frame's [`Rotation`]), so a rotated frame gives
//! exactly the tensor of the same pixels stored upright.
//!
//! YUV frames are turned into RGB one source pixel at a time, the way a whole-frame converter
//! would: each pixel takes the chroma sample of its 2×2 block (nearest, "replicated" chroma
//! upsampling, as `yuvutils-rs`/`yuv` does for 4:2:0), and the colour is computed in 16-bit
//! fixed point and rounded to 8 bits before the resize mixes four such pixels. See
//! [`YuvToRgb`].

use crate::error::{Result, SafeFrameError};
use crate::frame::{Frame, PixelFormat, Rotation, YuvColor, YuvRange};
use crate::manifest::{InputSpec, TensorLayout};

/// Fills a model input tensor from a frame according to an [`InputSpec`].
///
/// ```
/// use safeframe::frame::{Frame, PixelFormat};
/// use safeframe::manifest::{InputSpec, ResizeRule, TensorLayout};
/// use safeframe::sampler::Sampler;
/// let spec = InputSpec { name: "input_1".into(), layout: TensorLayout::Nhwc, width: 2, height: 2,
///     color: "RGB".into(), pixel_divisor: 255.0, mean: [0.0; 3], std: [1.0; 3],
///     resize: ResizeRule::BilinearAlignCorners };
/// let pixels = [255u8, 0, 0]; // one red pixel
/// let frame = Frame::packed(&pixels, 1, 1, PixelFormat::Rgb8)?;
/// let mut tensor = vec![0.0; 2 * 2 * 3];
/// Sampler::new(&spec).sample(&frame, &mut tensor)?;
/// assert_eq!(&tensor[..3], &[1.0, 0.0, 0.0]);
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Sampler {
    width: usize,
    height: usize,
    layout: TensorLayout,
    divisor: f64,
    mean: [f32; 3],
    std: [f32; 3],
}

/// One output coordinate's source neighbours and weight, as the align-corners rule gives them.
#[derive(Debug, Clone, Copy)]
struct Tap {
    low: usize,
    high: usize,
    frac: f64,
}

/// The align-corners mapping of one axis: `src = out · (in − 1)/(out − 1)`.
#[derive(Debug, Clone, Copy)]
struct Axis {
    scale: f64,
    last: usize,
}

impl Axis {
    fn new(in_size: usize, out_size: usize) -> Self {
        let (eff_in, eff_out) = if out_size > 1 {
            (in_size - 1, out_size - 1)
        } else {
            (in_size, out_size)
        };
        Self {
            scale: eff_in as f64 / eff_out as f64,
            last: in_size - 1,
        }
    }

    /// `tf.image.resizeBilinear(alignCorners = true)` for output index `out_index`. The source
    /// coordinate is never negative, so truncation is `floor` and `low + 1` is `ceil` unless
    /// the coordinate is whole: the same numbers as `floor`/`ceil`, without their cost.
    #[inline(always)]
    fn tap(&self, out_index: usize) -> Tap {
        let src = self.scale * out_index as f64;
        let low = (src as usize).min(self.last);
        let whole = low as f64;
        let high = if src > whole { (low + 1).min(self.last) } else { low };
        Tap {
            low,
            high,
            frac: src - whole,
        }
    }
}

/// Fixed-point YUV → RGB for one pixel, with the range and matrix of the frame.
///
/// `R = Ys + Cr·v`, `G = Ys − Gu·u − Gv·v`, `B = Ys + Cb·u` with `Ys = (Y − 16)·255/219` (limited
/// range) or `Y` (full range), `u = U − 128`, `v = V − 128`, and the chroma factors
/// `2(1 − Kr)`, `2(1 − Kb)`, `2(1 − Kb)Kb/Kg`, `2(1 − Kr)Kr/Kg` scaled by 255/224 in limited
/// range. Coefficients are held with 16 fractional bits; the result is rounded half up and
/// clamped to 0..=255.
#[derive(Debug, Clone, Copy)]
pub struct YuvToRgb {
    y_bias: i32,
    y_mul: i32,
    r_v: i32,
    g_u: i32,
    g_v: i32,
    b_u: i32,
}

const YUV_SHIFT: u32 = 16;

impl YuvToRgb {
    /// The converter for a range and matrix.
    pub fn new(color: YuvColor) -> Self {
        let (kr, kb) = color.matrix.kr_kb();
        let kg = 1.0 - kr - kb;
        let (y_bias, y_scale, c_scale) = match color.range {
            YuvRange::Limited => (16, 255.0 / 219.0, 255.0 / 224.0),
            YuvRange::Full => (0, 1.0, 1.0),
        };
        let fixed = |v: f64| (v * f64::from(1u32 << YUV_SHIFT)).round() as i32;
        Self {
            y_bias,
            y_mul: fixed(y_scale),
            r_v: fixed(c_scale * 2.0 * (1.0 - kr)),
            g_u: fixed(c_scale * 2.0 * (1.0 - kb) * kb / kg),
            g_v: fixed(c_scale * 2.0 * (1.0 - kr) * kr / kg),
            b_u: fixed(c_scale * 2.0 * (1.0 - kb)),
        }
    }

    /// The RGB colour of one `(Y, U, V)` sample.
    #[inline(always)]
    pub fn rgb(&self, y: u8, u: u8, v: u8) -> [u8; 3] {
        let luma = (i32::from(y) - self.y_bias) * self.y_mul + (1 << (YUV_SHIFT - 1));
        let (u, v) = (i32::from(u) - 128, i32::from(v) - 128);
        let clamp = |x: i32| (x >> YUV_SHIFT).clamp(0, 255) as u8;
        [
            clamp(luma + self.r_v * v),
            clamp(luma - self.g_u * u - self.g_v * v),
            clamp(luma + self.b_u * u),
        ]
    }
}

impl Sampler {
    /// A sampler for the given model input.
    pub fn new(spec: &InputSpec) -> Self {
        Self {
            width: spec.width as usize,
            height: spec.height as usize,
            layout: spec.layout,
            divisor: f64::from(spec.pixel_divisor),
            mean: spec.mean,
            std: spec.std,
        }
    }

    /// Number of `f32` values in one input tensor (batch of 1).
    pub fn tensor_len(&self) -> usize {
        self.width * self.height * 3
    }

    /// The input tensor's shape for a batch of 1, in the manifest's layout.
    pub fn tensor_shape(&self) -> [usize; 4] {
        match self.layout {
            TensorLayout::Nhwc => [1, self.height, self.width, 3],
            TensorLayout::Nchw => [1, 3, self.height, self.width],
        }
    }

    /// Resizes and normalises the frame's crop, turned upright, into `tensor` (length
    /// [`Sampler::tensor_len`]).
    ///
    /// Alpha is ignored: the stored colour of each pixel is used, as nsfwjs does in Node.
    pub fn sample(&self, frame: &Frame<'_>, tensor: &mut [f32]) -> Result<()> {
        if tensor.len() != self.tensor_len() {
            return Err(SafeFrameError::invalid_frame(format!(
                "tensor buffer has {} values, the model needs {}",
                tensor.len(),
                self.tensor_len()
            )));
        }
        let (up_w, up_h) = frame.upright_size();
        let (up_w, up_h) = (up_w as usize, up_h as usize);
        let region = frame.region();
        let (x0, y0) = (region.x as usize, region.y as usize);
        let (x1, y1) = (x0 + region.width as usize - 1, y0 + region.height as usize - 1);
        // One specialised loop per rotation: upright (ux, uy) → buffer (x, y). Turning the
        // buffer 90° clockwise puts its bottom-left pixel at the upright top-left.
        macro_rules! oriented {
            ($fetch:expr) => {{
                let fetch = $fetch;
                match frame.rotation() {
                    Rotation::Deg0 => self.fill(up_w, up_h, tensor, |ux, uy| fetch(x0 + ux, y0 + uy)),
                    Rotation::Deg90 => self.fill(up_w, up_h, tensor, |ux, uy| fetch(x0 + uy, y1 - ux)),
                    Rotation::Deg180 => self.fill(up_w, up_h, tensor, |ux, uy| fetch(x1 - ux, y1 - uy)),
                    Rotation::Deg270 => self.fill(up_w, up_h, tensor, |ux, uy| fetch(x1 - uy, y0 + ux)),
                }
            }};
        }
        let layout = *frame.layout();
        let format = frame.format();
        match format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
                let plane = *layout.plane(0);
                let data = frame.buffer(plane.buffer);
                let [r, g, b] = format.rgb_offsets();
                oriented!(|x: usize, y: usize| {
                    let i = plane.index(x, y);
                    [data[i + r], data[i + g], data[i + b]]
                });
            }
            PixelFormat::Nv12 | PixelFormat::Nv21 | PixelFormat::I420 | PixelFormat::Yuv420888 => {
                let convert = YuvToRgb::new(frame.yuv_color());
                let y_plane = *layout.plane(0);
                // (plane, extra byte offset) of U and V.
                let (u_at, v_at) = match format {
                    PixelFormat::Nv12 => ((*layout.plane(1), 0), (*layout.plane(1), 1)),
                    PixelFormat::Nv21 => ((*layout.plane(1), 1), (*layout.plane(1), 0)),
                    _ => ((*layout.plane(1), 0), (*layout.plane(2), 0)),
                };
                let (y_data, u_data, v_data) = (
                    frame.buffer(y_plane.buffer),
                    frame.buffer(u_at.0.buffer),
                    frame.buffer(v_at.0.buffer),
                );
                oriented!(|x: usize, y: usize| {
                    let (cx, cy) = (x / 2, y / 2);
                    convert.rgb(
                        y_data[y_plane.index(x, y)],
                        u_data[u_at.0.index(cx, cy) + u_at.1],
                        v_data[v_at.0.index(cx, cy) + v_at.1],
                    )
                });
            }
        }
        Ok(())
    }

    /// The resize and normalisation over an upright image of `in_w`×`in_h` pixels whose pixel
    /// `(x, y)` is `fetch(x, y)`.
    #[inline(always)]
    fn fill(&self, in_w: usize, in_h: usize, tensor: &mut [f32], fetch: impl Fn(usize, usize) -> [u8; 3]) {
        // With the usual normalisation (÷255, no mean or std) the division becomes a
        // multiplication by 1/255 in double precision: the two differ by at most one f64 ulp,
        // and no f32 value ÷ 255 lies within 2^-33 (relative) of a point where rounding to f32
        // changes, so the stored f32 is the same (checked over every f32 in 0..=255 by
        // `reciprocal_of_255_rounds_like_the_division`).
        if self.divisor == 255.0 && self.mean == [0.0; 3] && self.std == [1.0; 3] {
            self.fill_with::<true>(in_w, in_h, tensor, fetch);
        } else {
            self.fill_with::<false>(in_w, in_h, tensor, fetch);
        }
    }

    #[inline(always)]
    fn fill_with<const PLAIN: bool>(
        &self,
        in_w: usize,
        in_h: usize,
        tensor: &mut [f32],
        fetch: impl Fn(usize, usize) -> [u8; 3],
    ) {
        let (x_axis, y_axis) = (Axis::new(in_w, self.width), Axis::new(in_h, self.height));
        let plane = self.width * self.height;
        for out_y in 0..self.height {
            let ty = y_axis.tap(out_y);
            for out_x in 0..self.width {
                let tx = x_axis.tap(out_x);
                let tl = fetch(tx.low, ty.low);
                let tr = fetch(tx.high, ty.low);
                let bl = fetch(tx.low, ty.high);
                let br = fetch(tx.high, ty.high);
                let pixel = out_y * self.width + out_x;
                for channel in 0..3 {
                    let (tl, tr) = (f64::from(tl[channel]), f64::from(tr[channel]));
                    let (bl, br) = (f64::from(bl[channel]), f64::from(br[channel]));
                    let upper = tl + (tr - tl) * tx.frac;
                    let lower = bl + (br - bl) * tx.frac;
                    let resized = (upper + (lower - upper) * ty.frac) as f32;
                    let value = if PLAIN {
                        (f64::from(resized) * INV_255) as f32
                    } else {
                        let scaled = (f64::from(resized) / self.divisor) as f32;
                        (scaled - self.mean[channel]) / self.std[channel]
                    };
                    let index = match self.layout {
                        TensorLayout::Nhwc => pixel * 3 + channel,
                        TensorLayout::Nchw => channel * plane + pixel,
                    };
                    tensor[index] = value;
                }
            }
        }
    }
}

const INV_255: f64 = 1.0 / 255.0;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::PixelFormat;
    use crate::manifest::ResizeRule;

    fn spec(width: u32, height: u32, layout: TensorLayout) -> InputSpec {
        InputSpec {
            name: "input_1".into(),
            layout,
            width,
            height,
            color: "RGB".into(),
            pixel_divisor: 255.0,
            mean: [0.0; 3],
            std: [1.0; 3],
            resize: ResizeRule::BilinearAlignCorners,
        }
    }

    #[test]
    fn matches_tfjs_align_corners_example() {
        // tfjs test: [[2, 2], [4, 4]] resized to 3x3 with alignCorners gives rows 2, 3, 4.
        let pixels: Vec<u8> = [2u8, 2, 4, 4].iter().flat_map(|&v| [v, v, v]).collect();
        let frame = Frame::packed(&pixels, 2, 2, PixelFormat::Rgb8).unwrap();
        let mut spec = spec(3, 3, TensorLayout::Nhwc);
        spec.pixel_divisor = 1.0;
        let mut tensor = vec![0.0; 27];
        Sampler::new(&spec).sample(&frame, &mut tensor).unwrap();
        let red: Vec<f32> = tensor.chunks(3).map(|p| p[0]).collect();
        assert_eq!(red, vec![2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0]);
    }

    #[test]
    fn corners_map_to_corners_and_formats_agree() {
        let (w, h) = (5u32, 4u32);
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 251) as u8).collect();
        let mut rgba = Vec::new();
        let mut bgra = Vec::new();
        for p in rgb.chunks(3) {
            rgba.extend_from_slice(&[p[0], p[1], p[2], 9]);
            bgra.extend_from_slice(&[p[2], p[1], p[0], 200]);
        }
        let sampler = Sampler::new(&spec(7, 6, TensorLayout::Nhwc));
        let mut outputs = Vec::new();
        for (data, format) in [
            (&rgb, PixelFormat::Rgb8),
            (&rgba, PixelFormat::Rgba8),
            (&bgra, PixelFormat::Bgra8),
        ] {
            let frame = Frame::packed(data, w, h, format).unwrap();
            let mut tensor = vec![0.0; sampler.tensor_len()];
            sampler.sample(&frame, &mut tensor).unwrap();
            outputs.push(tensor);
        }
        assert_eq!(outputs[0], outputs[1]);
        assert_eq!(outputs[0], outputs[2]);
        let last = (w * h * 3 - 3) as usize;
        assert_eq!(outputs[0][0], (f64::from(rgb[0]) / 255.0) as f32);
        assert_eq!(outputs[0][outputs[0].len() - 3], (f64::from(rgb[last]) / 255.0) as f32);
    }

    #[test]
    fn nchw_is_a_transpose_of_nhwc() {
        let pixels: Vec<u8> = (0..3 * 3 * 3).map(|i| (i * 29 % 256) as u8).collect();
        let frame = Frame::packed(&pixels, 3, 3, PixelFormat::Rgb8).unwrap();
        let mut nhwc = vec![0.0; 4 * 4 * 3];
        let mut nchw = vec![0.0; 4 * 4 * 3];
        Sampler::new(&spec(4, 4, TensorLayout::Nhwc))
            .sample(&frame, &mut nhwc)
            .unwrap();
        Sampler::new(&spec(4, 4, TensorLayout::Nchw))
            .sample(&frame, &mut nchw)
            .unwrap();
        for i in 0..16 {
            for c in 0..3 {
                assert_eq!(nhwc[i * 3 + c], nchw[c * 16 + i]);
            }
        }
    }

    #[test]
    fn one_pixel_frames_fill_the_tensor() {
        let frame = Frame::packed(&[10, 20, 30], 1, 1, PixelFormat::Rgb8).unwrap();
        let sampler = Sampler::new(&spec(4, 3, TensorLayout::Nhwc));
        let mut tensor = vec![0.0; sampler.tensor_len()];
        sampler.sample(&frame, &mut tensor).unwrap();
        assert!(tensor
            .chunks(3)
            .all(|p| p == [10.0 / 255.0, 20.0 / 255.0, 30.0 / 255.0]));
    }

    #[test]
    fn padding_bytes_are_never_read() {
        // Same pixels, once packed and once with padding full of 0xFF.
        let packed: Vec<u8> = (0..3 * 2 * 3).map(|i| i as u8 * 10).collect();
        let mut padded = Vec::new();
        for row in packed.chunks(9) {
            padded.extend_from_slice(row);
            padded.extend_from_slice(&[0xFF; 7]);
        }
        let sampler = Sampler::new(&spec(5, 5, TensorLayout::Nhwc));
        let mut a = vec![0.0; sampler.tensor_len()];
        let mut b = vec![0.0; sampler.tensor_len()];
        sampler
            .sample(&Frame::packed(&packed, 3, 2, PixelFormat::Rgb8).unwrap(), &mut a)
            .unwrap();
        sampler
            .sample(&Frame::new(&padded, 3, 2, 16, PixelFormat::Rgb8).unwrap(), &mut b)
            .unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn wrong_tensor_length_is_an_error() {
        let frame = Frame::packed(&[0; 3], 1, 1, PixelFormat::Rgb8).unwrap();
        let mut tensor = vec![0.0; 5];
        assert!(Sampler::new(&spec(2, 2, TensorLayout::Nhwc))
            .sample(&frame, &mut tensor)
            .is_err());
    }

    /// Every f32 from 0 to 255: `(x as f64 * (1/255)) as f32 == (x as f64 / 255) as f32`.
    /// About 1.1 billion values; run with `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn reciprocal_of_255_rounds_like_the_division() {
        let mut bits = 0u32;
        let last = 255.0f32.to_bits();
        while bits <= last {
            let x = f64::from(f32::from_bits(bits));
            assert_eq!((x * INV_255) as f32, (x / 255.0) as f32, "{x}");
            bits += 1;
        }
    }

    #[test]
    fn reciprocal_of_255_rounds_like_the_division_on_a_sample() {
        for i in 0..2_000_000u32 {
            let x = f64::from(f32::from_bits(i.wrapping_mul(2_654_435_761) % 255.0f32.to_bits()));
            assert_eq!((x * INV_255) as f32, (x / 255.0) as f32, "{x}");
        }
    }
}
