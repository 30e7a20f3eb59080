//! The sampler: frame pixels straight into the model's input tensor.
//!
//! Colour conversion, rotation, crop, the resize and the normalisation happen in one pass that
//! reads only the source pixels the output needs (four per output pixel); the frame is never
//! copied or converted as a whole, whatever its format.
//!
//! The resize follows TensorFlow.js's CPU `resizeBilinear` kernel with `alignCorners = true`
//! (source coordinates and weights computed in double precision, the same neighbours, the
//! same order of operations, the result divided by 255 and stored as `f32`), because nsfwjs
//! preprocesses that way and the model's scores move by up to 0.385 under a different resize.
//! One deliberate difference: the interpolation itself runs in `f32`, where tfjs uses
//! JavaScript doubles. That halves its cost (eight SIMD lanes instead of four, one conversion
//! per value instead of two) and moves each tensor value by at most a few `f32` ulps (the test
//! `rgb_formats_at_rotation_0_without_crop_stay_within_a_few_ulps_of_the_foundation_sampler`
//! bounds it against the double version, 2⁻²¹ in the 0..=1 scale). The resize runs in the
//! *upright* image (the crop turned by the frame's [`Rotation`]), so a rotated frame gives
//! exactly the tensor of the same pixels stored upright.
//!
//! How: per frame geometry, orientation and model size, two small tables (one per upright
//! axis, cached per thread so a stream of same-shaped frames reuses them) give each output
//! coordinate's two source neighbours as byte offsets into every plane, and the weight. Each
//! output row is then done in chunks of 64 pixels: gather the four corners of each output
//! pixel as whole samples (one load per pixel, Y byte or chroma pair, bounds proved once per
//! row), convert YUV to RGB per corner, then interpolate and normalise, with AVX2 on x86-64
//! when the CPU has it. The arithmetic per value is exactly the one-pixel-at-a-time arithmetic
//! above; the plain scalar version of the same pass is kept as the reference the fast path is
//! tested against bit for bit.
//!
//! Files: this one holds the API, the YUV conversion and the tap tables;
//! `sampler/fast.rs` the fast path's loops (gathers, store); `sampler/kernels/` its arithmetic
//! per instruction set, with the one run-time dispatch in `kernels/mod.rs`;
//! `sampler/scalar.rs` the scalar reference (tests and the `test-hooks` feature only);
//! `sampler/crop_resize.rs` the resize-then-crop rule.
//!
//! YUV frames are turned into RGB one source pixel at a time, the way a whole-frame converter
//! would: each pixel takes the chroma sample of its 2×2 block (nearest, "replicated" chroma
//! upsampling, as `yuvutils-rs`/`yuv` does for 4:2:0), and the colour is computed in 16-bit
//! fixed point and rounded to 8 bits before the resize mixes four such pixels. See
//! [`YuvToRgb`].

mod crop_resize;
mod fast;
mod kernels;
#[cfg(any(test, feature = "test-hooks"))]
mod scalar;

use crate::error::{Result, SafeFrameError};
use crate::frame::{Frame, PixelFormat, Rotation, YuvColor, YuvRange};
use crate::manifest::{ChannelOrder, InputSpec, ResizeRule, TensorLayout};

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
    /// Mean and std in R, G, B order (the manifest lists them in the tensor's order).
    mean: [f32; 3],
    std: [f32; 3],
    order: ChannelOrder,
    resize: ResizeRule,
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
        // Sizes are below 2^31 (frames at most 16384 wide, models at most 4096), so 32-bit
        // conversions are exact; they compile to single instructions, 64-bit unsigned ones do not.
        let src = self.scale * f64::from(out_index as u32);
        let low = (src as u32).min(self.last as u32);
        let whole = f64::from(low);
        let low = low as usize;
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
        let order = spec.channel_order();
        let rgb = |values: [f32; 3]| match order {
            ChannelOrder::Rgb => values,
            ChannelOrder::Bgr => [values[2], values[1], values[0]],
        };
        Self {
            width: spec.width as usize,
            height: spec.height as usize,
            layout: spec.layout,
            divisor: f64::from(spec.pixel_divisor),
            mean: rgb(spec.mean),
            std: rgb(spec.std),
            order,
            resize: spec.resize,
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
    ///
    /// With the align-corners rule this is the fused single pass described in the module
    /// documentation, allocation-free. With a resize-then-crop rule (a second-opinion model
    /// such as open_nsfw) the upright crop is first copied out as 8-bit RGB and resized with
    /// `fast_image_resize`, which allocates two images per call (about 6 MB for a 1080p frame)
    /// and costs a few milliseconds: fine for a model that runs rarely.
    pub fn sample(&self, frame: &Frame<'_>, tensor: &mut [f32]) -> Result<()> {
        if let Some((width, height, filter)) = self.resize.fixed_then_crop() {
            self.check_tensor(tensor)?;
            return crop_resize::sample(self, frame, (width, height, filter), tensor);
        }
        self.sample_fast(frame, tensor, kernels::CpuExtensions::detect())?;
        self.to_channel_order(tensor);
        Ok(())
    }

    /// Swaps the first and third channel of an RGB-sampled tensor when the model wants BGR.
    fn to_channel_order(&self, tensor: &mut [f32]) {
        if self.order == ChannelOrder::Rgb {
            return;
        }
        match self.layout {
            TensorLayout::Nhwc => tensor.chunks_exact_mut(3).for_each(|pixel| pixel.swap(0, 2)),
            TensorLayout::Nchw => {
                let (red, rest) = tensor.split_at_mut(self.width * self.height);
                red.swap_with_slice(&mut rest[self.width * self.height..]);
            }
        }
    }

    /// The frame's crop, turned upright, as packed 8-bit RGB (colour conversion as in
    /// [`Sampler::sample`], no resize): `(pixels, width, height)`.
    pub fn upright_rgb8(frame: &Frame<'_>) -> (Vec<u8>, usize, usize) {
        let (width, height) = frame.upright_size();
        let (width, height) = (width as usize, height as usize);
        let tables = build_tables(frame, width, height);
        let layout = *frame.layout();
        let format = frame.format();
        let bufs: [&[u8]; 3] = std::array::from_fn(|c| frame.buffer(layout.plane(channel_plane(format, c).0).buffer));
        let convert = YuvToRgb::new(frame.yuv_color());
        let offsets = format.rgb_offsets();
        let mut rgb = Vec::with_capacity(width * height * 3);
        for row in &tables.y {
            for col in &tables.x {
                if format.is_yuv() {
                    let [y, u, v]: [u8; 3] = std::array::from_fn(|p| bufs[p][row.offsets[0][p] + col.offsets[0][p]]);
                    rgb.extend_from_slice(&convert.rgb(y, u, v));
                } else {
                    let at = row.offsets[0][0] + col.offsets[0][0];
                    rgb.extend(offsets.iter().map(|&o| bufs[0][at + o]));
                }
            }
        }
        (rgb, width, height)
    }

    /// [`Sampler::sample`] without run-time CPU feature dispatch (the target's baseline
    /// instructions only), to check the dispatched path against. A test hook: only with the
    /// `test-hooks` feature, not part of the API.
    #[cfg(feature = "test-hooks")]
    pub fn sample_portable(&self, frame: &Frame<'_>, tensor: &mut [f32]) -> Result<()> {
        self.sample_fast(frame, tensor, kernels::CpuExtensions::None)?;
        self.to_channel_order(tensor);
        Ok(())
    }

    fn check_tensor(&self, tensor: &[f32]) -> Result<()> {
        if tensor.len() != self.tensor_len() {
            return Err(SafeFrameError::invalid_frame(format!(
                "tensor buffer has {} values, the model needs {}",
                tensor.len(),
                self.tensor_len()
            )));
        }
        Ok(())
    }

    fn plain(&self) -> bool {
        // With the usual normalisation (÷255, no mean or std) the division runs in `f32`: for
        // every f32 from 0 to 255 it rounds exactly like the general path's division in
        // double precision (checked by `f32_division_by_255_rounds_like_the_double_one`), and
        // subtracting 0 and dividing by 1 change nothing.
        self.divisor == 255.0 && self.mean == [0.0; 3] && self.std == [1.0; 3]
    }

    /// The fused pass with the fast-path kernel for `extensions`.
    fn sample_fast(&self, frame: &Frame<'_>, tensor: &mut [f32], extensions: kernels::CpuExtensions) -> Result<()> {
        self.check_tensor(tensor)?;
        let tables = Tables::new(frame, self.width, self.height);
        let layout = *frame.layout();
        let format = frame.format();
        let job = fast::Job {
            bufs: std::array::from_fn(|k| frame.buffer(layout.plane(sample_plane(format, k)).buffer)),
            source: fast_source(format),
            convert: YuvToRgb::new(frame.yuv_color()),
            cols: &tables.fast_cols,
            rows: &tables.fast_rows,
            out_w: self.width,
            out_h: self.height,
            layout: self.layout,
            plain: self.plain(),
            divisor: self.divisor,
            mean: self.mean,
            std: self.std,
        };
        kernels::run(extensions, &job, tensor);
        Ok(())
    }

    /// The reference implementation of [`Sampler::sample`]: one scalar path for every format,
    /// kept to check the fast path bit for bit. A test hook: only with the `test-hooks`
    /// feature, not part of the API.
    #[cfg(feature = "test-hooks")]
    pub fn sample_scalar(&self, frame: &Frame<'_>, tensor: &mut [f32]) -> Result<()> {
        self.sample_scalar_rgb(frame, tensor)?;
        self.to_channel_order(tensor);
        Ok(())
    }
}

/// One output coordinate along an upright axis: for its low and high source neighbour, the
/// byte offset each plane's sample gets from this axis, and the interpolation weight.
#[derive(Debug, Clone, Copy, Default)]
struct AxisEntry {
    offsets: [[usize; 3]; 2],
    /// The weight of the high neighbour, computed in double precision as tfjs does, then
    /// rounded to `f32` for the interpolation.
    frac: f32,
}

/// The tap tables of both upright axes for one frame geometry, orientation and model size.
/// Byte index of a sample = row entry offset + column entry offset (plane offsets included
/// in the row entries).
struct PlaneTables {
    x: Vec<AxisEntry>,
    y: Vec<AxisEntry>,
    /// The same axes per source sample of the fast path (see [`sample_plane`]).
    fast_cols: fast::Taps,
    fast_rows: fast::Taps,
}

/// What the tables depend on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TablesKey {
    layout: crate::frame::Layout,
    region: crate::frame::CropRect,
    rotation: Rotation,
    out: (usize, usize),
}

struct Tables;

thread_local! {
    /// The last tables made on this thread: a stream of same-shaped frames reuses them, so
    /// sampling does not allocate after the first frame.
    static TABLES: std::cell::RefCell<Option<(TablesKey, std::rc::Rc<PlaneTables>)>> =
        const { std::cell::RefCell::new(None) };
}

impl Tables {
    #[allow(clippy::new_ret_no_self)]
    fn new(frame: &Frame<'_>, out_w: usize, out_h: usize) -> std::rc::Rc<PlaneTables> {
        let key = TablesKey {
            layout: *frame.layout(),
            region: frame.region(),
            rotation: frame.rotation(),
            out: (out_w, out_h),
        };
        TABLES.with(|cell| {
            let mut cached = cell.borrow_mut();
            if let Some((cached_key, tables)) = cached.as_ref() {
                if *cached_key == key {
                    return std::rc::Rc::clone(tables);
                }
            }
            let tables = std::rc::Rc::new(build_tables(frame, out_w, out_h));
            *cached = Some((key, std::rc::Rc::clone(&tables)));
            tables
        })
    }
}

/// How an upright axis runs through the buffer: along its x or y axis, from `origin`,
/// forwards or backwards.
#[derive(Debug, Clone, Copy)]
struct Along {
    along_x: bool,
    origin: usize,
    reverse: bool,
}

impl Along {
    fn source(&self, u: usize) -> usize {
        if self.reverse {
            self.origin - u
        } else {
            self.origin + u
        }
    }
}

/// The plane holding channel `c` (R/G/B pixel for packed formats; Y, U, V for YUV) and the
/// byte of that channel within the plane's sample.
fn channel_plane(format: PixelFormat, c: usize) -> (usize, usize) {
    match (format, c) {
        (PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8, _) | (_, 0) => (0, 0),
        (PixelFormat::Nv12, 1) | (PixelFormat::Nv21, 2) => (1, 0),
        (PixelFormat::Nv12 | PixelFormat::Nv21, _) => (1, 1),
        (_, c) => (c, 0),
    }
}

/// The plane holding sample `k` of the fast path: the pixel (packed RGB); Y and the chroma
/// pairs (NV12, NV21); Y, U and V (I420, YUV_420_888). Unused samples repeat the last one.
fn sample_plane(format: PixelFormat, k: usize) -> usize {
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => 0,
        PixelFormat::Nv12 | PixelFormat::Nv21 => k.min(1),
        _ => k,
    }
}

/// How the fast path reads a pixel of `format`.
fn fast_source(format: PixelFormat) -> fast::Source {
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => fast::Source::Packed {
            shifts: format.rgb_offsets().map(|o| o as u32 * 8),
        },
        PixelFormat::Nv12 => fast::Source::SemiPlanar { u_shift: 0, v_shift: 8 },
        PixelFormat::Nv21 => fast::Source::SemiPlanar { u_shift: 8, v_shift: 0 },
        _ => fast::Source::Planar,
    }
}

fn build_tables(frame: &Frame<'_>, out_w: usize, out_h: usize) -> PlaneTables {
    let layout = frame.layout();
    let region = frame.region();
    let (up_w, up_h) = frame.upright_size();
    let (x0, y0) = (region.x as usize, region.y as usize);
    let (x1, y1) = (x0 + region.width as usize - 1, y0 + region.height as usize - 1);
    // For each upright axis: which buffer axis it runs along (true: x) and how an upright
    // coordinate u maps to a buffer coordinate. Turning the buffer 90° clockwise puts its
    // bottom-left pixel at the upright top-left.
    let forward = |along_x, origin| Along {
        along_x,
        origin,
        reverse: false,
    };
    let backward = |along_x, origin| Along {
        along_x,
        origin,
        reverse: true,
    };
    let (x_along, y_along) = match frame.rotation() {
        Rotation::Deg0 => (forward(true, x0), forward(false, y0)),
        Rotation::Deg90 => (backward(false, y1), forward(true, x0)),
        Rotation::Deg180 => (backward(true, x1), backward(false, y1)),
        Rotation::Deg270 => (forward(false, y0), backward(true, x1)),
    };
    // Per channel (R/G/B pixel, or Y, U, V): coordinate shift, base offset (plane offset plus
    // the byte within an interleaved pair), pixel stride and row stride.
    let info: [(usize, usize, usize, usize); 3] = std::array::from_fn(|c| {
        let (plane, extra) = channel_plane(frame.format(), c);
        let plane = layout.plane(plane);
        let shift = usize::from(frame.format().is_yuv() && c > 0);
        (shift, plane.offset + extra, plane.pixel_stride, plane.row_stride)
    });
    // The same per sample of the fast path.
    let sample_info: [(usize, usize, usize, usize); 3] = std::array::from_fn(|k| {
        let plane = layout.plane(sample_plane(frame.format(), k));
        let shift = usize::from(frame.format().is_yuv() && k > 0);
        (shift, plane.offset, plane.pixel_stride, plane.row_stride)
    });
    let table = |up: usize, out: usize, along: Along, is_row: bool, info: &[(usize, usize, usize, usize); 3]| {
        let axis = Axis::new(up, out);
        (0..out)
            .map(|i| {
                let tap = axis.tap(i);
                let offsets = [tap.low, tap.high].map(|u| {
                    let s = along.source(u);
                    std::array::from_fn(|c| {
                        let (shift, base, pixel_stride, row_stride) = info[c];
                        let step = if along.along_x { pixel_stride } else { row_stride };
                        (s >> shift) * step + if is_row { base } else { 0 }
                    })
                });
                AxisEntry {
                    offsets,
                    frac: tap.frac as f32,
                }
            })
            .collect::<Vec<_>>()
    };
    let taps = |entries: Vec<AxisEntry>| {
        let column = |tap: usize, k: usize| entries.iter().map(|e| e.offsets[tap][k]).collect::<Vec<_>>();
        fast::Taps::new(
            std::array::from_fn(|k| column(0, k)),
            std::array::from_fn(|k| column(1, k)),
            entries.iter().map(|e| e.frac).collect(),
        )
    };
    PlaneTables {
        x: table(up_w as usize, out_w, x_along, false, &info),
        y: table(up_h as usize, out_h, y_along, true, &info),
        fast_cols: taps(table(up_w as usize, out_w, x_along, false, &sample_info)),
        fast_rows: taps(table(up_h as usize, out_h, y_along, true, &sample_info)),
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

    /// Every f32 from 0 to 255: `x / 255` in `f32` == `(x as f64 / 255) as f32`. About 1.1
    /// billion values; run with `cargo test --release -- --ignored`.
    #[test]
    #[ignore]
    fn f32_division_by_255_rounds_like_the_double_one() {
        let mut bits = 0u32;
        let last = 255.0f32.to_bits();
        while bits <= last {
            let x = f32::from_bits(bits);
            assert_eq!(x / 255.0, (f64::from(x) / 255.0) as f32, "{x}");
            bits += 1;
        }
    }

    #[test]
    fn f32_division_by_255_rounds_like_the_double_one_on_a_sample() {
        for i in 0..2_000_000u32 {
            let x = f32::from_bits(i.wrapping_mul(2_654_435_761) % 255.0f32.to_bits());
            assert_eq!(x / 255.0, (f64::from(x) / 255.0) as f32, "{x}");
        }
    }
}
