//! The sampler (colour conversion + rotation + crop + resize + normalisation into a model's
//! input tensor) on arbitrary valid frame layouts and model inputs, and PDQ hashing
//! (`KnownContent::hash`, the blocklist detector's frame path) of the same frames. Oracle-free:
//! no model runs.
//!
//! Checks: no panic; the dispatched (SIMD) path, the portable path and the scalar reference
//! agree bit for bit; values are finite and, with the nsfwjs normalisation, in 0..=1; a
//! rotated, cropped frame gives exactly the tensor of its upright RGB copy
//! (`Sampler::upright_rgb8`) stored unrotated.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use safeframe::blocklist::{Blocklist, MatchOptions};
use safeframe::frame::{CropRect, Frame, PixelFormat, Plane, Rotation, YuvColor, YuvMatrix, YuvRange};
use safeframe::known::KnownContent;
use safeframe::manifest::{InputSpec, ResizeFilter, ResizeRule, TensorLayout};
use safeframe::pdq::PdqHash;
use safeframe::sampler::Sampler;

#[derive(Debug, Arbitrary)]
enum Shape {
    /// One buffer, `Frame::new` (`format` picks RGBA, BGRA, RGB, NV12, NV21 or I420).
    Single { format: u8, pad: u8 },
    /// NV12 or NV21 in two buffers.
    Nv { vu: bool, y_pad: u8, uv_pad: u8 },
    /// I420 in three buffers.
    I420 { pads: [u8; 3] },
    /// YUV_420_888: three planes with pixel strides 1..=4; `shared` puts U and V into one buffer
    /// interleaved, as Android cameras do.
    Yuv420888 {
        pixel: [u8; 3],
        pads: [u8; 3],
        shared: bool,
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    width: u8,
    height: u8,
    shape: Shape,
    rotation: u8,
    crop: Option<(u8, u8, u8, u8)>,
    full_range: bool,
    bt709: bool,
    /// Model input side lengths (1..=64; the real models' 224 adds only time).
    model: (u8, u8),
    nchw: bool,
    bgr: bool,
    normalise: Option<(f32, [f32; 3], [f32; 3])>,
    /// Resize-then-centre-crop to this intermediate size (added to the model's) instead of the
    /// align-corners resize.
    fixed: Option<(u8, u8)>,
    hash: bool,
    pixels: Vec<u8>,
}

fn known() -> &'static KnownContent {
    static KNOWN: OnceLock<KnownContent> = OnceLock::new();
    KNOWN.get_or_init(|| {
        let empty = Blocklist::from_entries(std::iter::empty::<(PdqHash, Option<&str>)>()).expect("an empty list");
        KnownContent::new(empty, MatchOptions::default())
    })
}

/// A buffer of `len` bytes filled from the fuzzer's pixels.
fn buffer(len: usize, pixels: &[u8], salt: usize) -> Vec<u8> {
    if pixels.is_empty() {
        return vec![(salt * 37) as u8; len];
    }
    (0..len).map(|i| pixels[(i + salt * 7) % pixels.len()]).collect()
}

fn spec(input: &Input) -> InputSpec {
    let (width, height) = (u32::from(input.model.0 % 64) + 1, u32::from(input.model.1 % 64) + 1);
    let (pixel_divisor, mean, std) = match input.normalise {
        // Keep what a manifest may hold: a positive finite divisor and std, a finite mean.
        Some((d, m, s))
            if d.is_finite()
                && d > 0.0
                && m.iter().all(|v| v.is_finite())
                && s.iter().all(|v| v.is_finite() && *v > 0.0) =>
        {
            (d, m, s)
        }
        _ => (255.0, [0.0; 3], [1.0; 3]),
    };
    let resize = match input.fixed {
        Some((dw, dh)) => ResizeRule::FixedThenCenterCrop {
            width: width + u32::from(dw % 32),
            height: height + u32::from(dh % 32),
            filter: ResizeFilter::PilBilinear,
        },
        None => ResizeRule::BilinearAlignCorners,
    };
    InputSpec {
        name: "input".into(),
        layout: if input.nchw {
            TensorLayout::Nchw
        } else {
            TensorLayout::Nhwc
        },
        width,
        height,
        color: if input.bgr { "BGR".into() } else { "RGB".into() },
        pixel_divisor,
        mean,
        std,
        resize,
    }
}

fn check(input: &Input, frame: Frame<'_>) {
    let rotation =
        [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270][usize::from(input.rotation % 4)];
    let mut frame = frame.with_rotation(rotation).with_yuv_color(YuvColor {
        range: if input.full_range {
            YuvRange::Full
        } else {
            YuvRange::Limited
        },
        matrix: if input.bt709 {
            YuvMatrix::Bt709
        } else {
            YuvMatrix::Bt601
        },
    });
    if let Some((x, y, w, h)) = input.crop {
        let (fw, fh) = (frame.width(), frame.height());
        let x = u32::from(x) % fw;
        let y = u32::from(y) % fh;
        let crop = CropRect::new(x, y, u32::from(w) % (fw - x) + 1, u32::from(h) % (fh - y) + 1);
        frame = frame.with_crop(crop).expect("a crop inside the frame");
    }
    if input.hash {
        let _ = known().hash(&frame);
    }
    let spec = spec(input);
    let sampler = Sampler::new(&spec);
    let mut tensor = vec![f32::NAN; sampler.tensor_len()];
    sampler.sample(&frame, &mut tensor).expect("a valid frame samples");
    // Values stay finite unless the normalisation itself overflows f32.
    let moderate =
        spec.pixel_divisor >= 1e-3 && spec.std.iter().all(|s| *s >= 1e-3) && spec.mean.iter().all(|m| m.abs() <= 1e6);
    assert!(!moderate || tensor.iter().all(|v| v.is_finite()), "non-finite value");
    let plain = spec.pixel_divisor == 255.0 && spec.mean == [0.0; 3] && spec.std == [1.0; 3];
    if plain {
        assert!(tensor.iter().all(|v| (0.0..=1.0).contains(v)), "value outside 0..=1");
    }
    if spec.resize != ResizeRule::BilinearAlignCorners {
        return;
    }
    let mut portable = vec![f32::NAN; sampler.tensor_len()];
    sampler
        .sample_portable(&frame, &mut portable)
        .expect("a valid frame samples");
    let mut scalar = vec![f32::NAN; sampler.tensor_len()];
    sampler
        .sample_scalar(&frame, &mut scalar)
        .expect("a valid frame samples");
    let bits = |t: &[f32]| t.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert!(bits(&tensor) == bits(&portable), "dispatched and portable paths differ");
    assert!(
        bits(&tensor) == bits(&scalar),
        "dispatched path and scalar reference differ"
    );

    // The same pixels stored upright (RGB, no rotation, no crop) give the same tensor.
    let (rgb, w, h) = Sampler::upright_rgb8(&frame);
    assert_eq!((w as u32, h as u32), frame.upright_size());
    assert_eq!(rgb.len(), w * h * 3);
    let upright = Frame::packed(&rgb, w as u32, h as u32, PixelFormat::Rgb8).expect("an upright copy");
    let mut again = vec![f32::NAN; sampler.tensor_len()];
    sampler.sample(&upright, &mut again).expect("an upright copy samples");
    assert!(
        bits(&tensor) == bits(&again),
        "a rotated or cropped frame differs from its upright copy"
    );
}

fuzz_target!(|input: Input| {
    let (width, height) = (u32::from(input.width % 96) + 1, u32::from(input.height % 96) + 1);
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let px = &input.pixels;
    match input.shape {
        Shape::Single { format, pad } => {
            let formats = [
                PixelFormat::Rgba8,
                PixelFormat::Bgra8,
                PixelFormat::Rgb8,
                PixelFormat::Nv12,
                PixelFormat::Nv21,
                PixelFormat::I420,
            ];
            let format = formats[usize::from(format) % formats.len()];
            let stride = w * format.bytes_per_pixel() + usize::from(pad % 16);
            let len = match format {
                PixelFormat::Nv12 | PixelFormat::Nv21 => stride * h + (stride + stride % 2) * ch,
                PixelFormat::I420 => stride * h + 2 * stride.div_ceil(2) * ch,
                _ => stride * h,
            };
            let data = buffer(len, px, 0);
            check(
                &input,
                Frame::new(&data, width, height, stride, format).expect("a valid single-buffer frame"),
            );
        }
        Shape::Nv { vu, y_pad, uv_pad } => {
            let (ys, uvs) = (w + usize::from(y_pad % 16), 2 * cw + usize::from(uv_pad % 16));
            let (y, uv) = (buffer(ys * h, px, 0), buffer(uvs * ch, px, 1));
            let frame = if vu {
                Frame::nv21(width, height, &y, ys, &uv, uvs)
            } else {
                Frame::nv12(width, height, &y, ys, &uv, uvs)
            };
            check(&input, frame.expect("a valid NV frame"));
        }
        Shape::I420 { pads } => {
            let s = [
                w + usize::from(pads[0] % 16),
                cw + usize::from(pads[1] % 16),
                cw + usize::from(pads[2] % 16),
            ];
            let (y, u, v) = (
                buffer(s[0] * h, px, 0),
                buffer(s[1] * ch, px, 1),
                buffer(s[2] * ch, px, 2),
            );
            check(
                &input,
                Frame::i420(width, height, &y, s[0], &u, s[1], &v, s[2]).expect("a valid I420 frame"),
            );
        }
        Shape::Yuv420888 { pixel, pads, shared } => {
            let y_ps = usize::from(pixel[0] % 4) + 1;
            let ys = (w - 1) * y_ps + 1 + usize::from(pads[0] % 16);
            let y = buffer((h - 1) * ys + (w - 1) * y_ps + 1, px, 0);
            let y_plane = Plane {
                data: &y,
                row_stride: ys,
                pixel_stride: y_ps,
            };
            if shared {
                // V and U interleaved in one buffer (NV21 underneath), U one byte after V.
                let cs = 2 * cw + usize::from(pads[1] % 16);
                let chroma = buffer((ch - 1) * cs + 2 * cw, px, 1);
                let v = Plane {
                    data: &chroma[..chroma.len() - 1],
                    row_stride: cs,
                    pixel_stride: 2,
                };
                let u = Plane {
                    data: &chroma[1..],
                    row_stride: cs,
                    pixel_stride: 2,
                };
                check(
                    &input,
                    Frame::yuv420_888(width, height, y_plane, u, v).expect("a valid YUV_420_888 frame"),
                );
            } else {
                let ps = [1, 2].map(|i| usize::from(pixel[i] % 4) + 1);
                let rs = [1, 2].map(|i| (cw - 1) * ps[i - 1] + 1 + usize::from(pads[i] % 16));
                let u = buffer((ch - 1) * rs[0] + (cw - 1) * ps[0] + 1, px, 1);
                let v = buffer((ch - 1) * rs[1] + (cw - 1) * ps[1] + 1, px, 2);
                let u_plane = Plane {
                    data: &u,
                    row_stride: rs[0],
                    pixel_stride: ps[0],
                };
                let v_plane = Plane {
                    data: &v,
                    row_stride: rs[1],
                    pixel_stride: ps[1],
                };
                check(
                    &input,
                    Frame::yuv420_888(width, height, y_plane, u_plane, v_plane).expect("a valid YUV_420_888 frame"),
                );
            }
        }
    }
});
