//! The sampler: frame pixels straight into the model's input tensor.
//!
//! Colour extraction, the resize and the normalisation happen in one pass that reads only the
//! source pixels the output needs; the frame is never copied or converted as a whole.
//!
//! The arithmetic follows TensorFlow.js's CPU `resizeBilinear` kernel with `alignCorners = true`
//! step for step (interpolation in double precision, the result stored as `f32`, then divided
//! in double precision and stored as `f32` again), because nsfwjs preprocesses that way and the
//! model's scores move by up to 0.385 under a different resize.

use crate::error::{Result, SafeFrameError};
use crate::frame::Frame;
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

impl Tap {
    /// `tf.image.resizeBilinear(alignCorners = true)`: `src = out · (in − 1)/(out − 1)`, with
    /// `ratio` = `(in − 1)/(out − 1)` computed once per axis (see [`align_corners_ratio`]).
    #[inline]
    fn align_corners(out_index: usize, ratio: f64, in_size: usize) -> Self {
        let src = ratio * out_index as f64;
        let floor = src.floor().max(0.0);
        let low = floor as usize;
        let high = (src.ceil() as usize).min(in_size - 1);
        Self {
            low,
            high,
            frac: src - floor,
        }
    }
}

/// The source step per output pixel, as tfjs computes it (in double precision).
fn align_corners_ratio(in_size: usize, out_size: usize) -> f64 {
    if out_size > 1 {
        (in_size - 1) as f64 / (out_size - 1) as f64
    } else {
        in_size as f64 / out_size as f64
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

    /// Resizes and normalises `frame` into `tensor` (length [`Sampler::tensor_len`]).
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
        let in_w = frame.width() as usize;
        let in_h = frame.height() as usize;
        let bpp = frame.format().bytes_per_pixel();
        let offsets = frame.format().rgb_offsets();
        let plane = self.width * self.height;
        let (ratio_x, ratio_y) = (
            align_corners_ratio(in_w, self.width),
            align_corners_ratio(in_h, self.height),
        );
        for out_y in 0..self.height {
            let ty = Tap::align_corners(out_y, ratio_y, in_h);
            let top = frame.row(ty.low);
            let bottom = frame.row(ty.high);
            for out_x in 0..self.width {
                let tx = Tap::align_corners(out_x, ratio_x, in_w);
                let (l, r) = (tx.low * bpp, tx.high * bpp);
                for (channel, &offset) in offsets.iter().enumerate() {
                    let tl = f64::from(top[l + offset]);
                    let tr = f64::from(top[r + offset]);
                    let bl = f64::from(bottom[l + offset]);
                    let br = f64::from(bottom[r + offset]);
                    let upper = tl + (tr - tl) * tx.frac;
                    let lower = bl + (br - bl) * tx.frac;
                    let resized = (upper + (lower - upper) * ty.frac) as f32;
                    let scaled = (f64::from(resized) / self.divisor) as f32;
                    let value = (scaled - self.mean[channel]) / self.std[channel];
                    let index = match self.layout {
                        TensorLayout::Nhwc => (out_y * self.width + out_x) * 3 + channel,
                        TensorLayout::Nchw => channel * plane + out_y * self.width + out_x,
                    };
                    tensor[index] = value;
                }
            }
        }
        Ok(())
    }
}

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
}
