//! The fused sampler against its definition: the slow path (whole frame → RGB8 by the `yuv`
//! crate, crop, rotate, RGB sampler), for every format, rotation, odd size and padded stride.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::frame::{CropRect, Frame, PixelFormat, Rotation, YuvColor, YuvMatrix, YuvRange};
use safeframe::manifest::{InputSpec, ResizeRule, TensorLayout};
use safeframe::sampler::Sampler;
use safeframe_tests::frames::{all_formats, noise, slow_sample, TestFrame};

const ROTATIONS: [Rotation; 4] = [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270];

fn spec(width: u32, height: u32) -> InputSpec {
    InputSpec {
        name: "input_1".into(),
        layout: TensorLayout::Nhwc,
        width,
        height,
        color: "RGB".into(),
        pixel_divisor: 255.0,
        mean: [0.0; 3],
        std: [1.0; 3],
        resize: ResizeRule::BilinearAlignCorners,
    }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Smooth gradients plus noise: both the worst case for rounding and something a camera sees.
fn test_rgb(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let noise = noise((width * height * 3) as usize, seed);
    let mut rgb = Vec::with_capacity(noise.len());
    for y in 0..height {
        for x in 0..width {
            let i = ((y * width + x) * 3) as usize;
            let gx = (x * 255 / width.max(2)) as u8;
            let gy = (y * 255 / height.max(2)) as u8;
            if seed & 1 == 0 {
                rgb.extend_from_slice(&[noise[i], noise[i + 1], noise[i + 2]]);
            } else {
                rgb.extend_from_slice(&[gx, gy, gx / 2 + noise[i] / 2]);
            }
        }
    }
    rgb
}

#[test]
fn fused_sampler_matches_the_slow_path_for_every_format_rotation_and_odd_size() {
    let sizes = [(1u32, 1u32), (2, 2), (3, 5), (17, 9), (64, 48), (225, 223), (301, 167)];
    let colors = [
        YuvColor::default(),
        YuvColor {
            range: YuvRange::Full,
            matrix: YuvMatrix::Bt601,
        },
        YuvColor {
            range: YuvRange::Limited,
            matrix: YuvMatrix::Bt709,
        },
        YuvColor {
            range: YuvRange::Full,
            matrix: YuvMatrix::Bt709,
        },
    ];
    let tolerance = 1.5 / 255.0;
    let mut worst = 0.0f32;
    let mut checked = 0;
    for (out_w, out_h) in [(224u32, 224u32), (7, 5)] {
        let sampler = Sampler::new(&spec(out_w, out_h));
        let mut fused = vec![0.0; sampler.tensor_len()];
        let mut slow = vec![0.0; sampler.tensor_len()];
        for (n, &(w, h)) in sizes.iter().enumerate() {
            // The full model size on two sizes (one odd and tiny, one larger than the model);
            // the small model size on all (cheap enough for debug builds).
            if out_w == 224 && ![(3, 5), (225, 223)].contains(&(w, h)) {
                continue;
            }
            for (format, chroma_ps) in all_formats() {
                for (pad, color) in [(0, colors[n % 4]), (5, colors[(n + 1) % 4])] {
                    let rgb = test_rgb(w, h, n as u32 + pad as u32);
                    let frame = TestFrame::from_rgb(&rgb, w, h, format, chroma_ps, color, pad);
                    let crops = [
                        None,
                        Some(CropRect::new(
                            w / 3,
                            h / 4,
                            (w - w / 3).max(1),
                            (h - h / 4 - h / 5).max(1),
                        )),
                    ];
                    for crop in crops {
                        for rotation in ROTATIONS {
                            let mut view = frame.frame().with_rotation(rotation);
                            if let Some(crop) = crop {
                                view = view.with_crop(crop).unwrap();
                            }
                            sampler.sample(&view, &mut fused).unwrap();
                            slow_sample(&frame, rotation, crop, &sampler, &mut slow);
                            let diff = max_diff(&fused, &slow);
                            worst = worst.max(diff);
                            checked += 1;
                            assert!(
                                diff <= tolerance,
                                "{format:?}/{chroma_ps} {w}x{h} pad {pad} {color:?} {rotation:?} crop {crop:?} -> {out_w}x{out_h}: max |diff| {} /255",
                                diff * 255.0
                            );
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "fused vs slow path: {checked} combinations, worst |diff| = {:.4}/255",
        worst * 255.0
    );
}

#[test]
fn rotating_the_stored_pixels_and_declaring_the_rotation_gives_the_upright_tensor() {
    let (w, h) = (37u32, 22u32);
    let upright = test_rgb(w, h, 3);
    let sampler = Sampler::new(&spec(224, 224));
    let mut expected = vec![0.0; sampler.tensor_len()];
    sampler
        .sample(
            &Frame::packed(&upright, w, h, PixelFormat::Rgb8).unwrap(),
            &mut expected,
        )
        .unwrap();
    for rotation in ROTATIONS {
        // Store the image turned the other way, as a sideways camera would deliver it.
        let (stored, sw, sh) =
            safeframe_tests::frames::rotate_rgb8(&upright, w, h, safeframe_tests::frames::inverse(rotation));
        for (format, chroma_ps) in all_formats().into_iter().take(3) {
            let frame = TestFrame::from_rgb(&stored, sw, sh, format, chroma_ps, YuvColor::default(), 3);
            let mut tensor = vec![0.0; sampler.tensor_len()];
            sampler
                .sample(&frame.frame().with_rotation(rotation), &mut tensor)
                .unwrap();
            assert!(tensor == expected, "{format:?} {rotation:?}");
        }
    }
}

/// The Foundation's RGB sampler, kept verbatim (floor/ceil taps, row slices, tfjs' arithmetic
/// in doubles), to prove that packed RGB at rotation 0 without crop still gives the tensors
/// the nsfwjs golden scores were checked with, up to the few `f32` ulps of interpolating in
/// `f32` (see the `sampler` module).
fn foundation_sample(
    spec: &InputSpec,
    rgb: &[u8],
    width: u32,
    height: u32,
    stride: usize,
    bpp: usize,
    offsets: [usize; 3],
) -> Vec<f32> {
    struct Tap {
        low: usize,
        high: usize,
        frac: f64,
    }
    fn align_corners(out_index: usize, in_size: usize, out_size: usize) -> Tap {
        let (eff_in, eff_out) = if out_size > 1 {
            (in_size - 1, out_size - 1)
        } else {
            (in_size, out_size)
        };
        let src = (eff_in as f64 / eff_out as f64) * out_index as f64;
        let floor = src.floor();
        Tap {
            low: floor.max(0.0) as usize,
            high: (src.ceil() as usize).min(in_size - 1),
            frac: src - floor.max(0.0),
        }
    }
    let (out_w, out_h) = (spec.width as usize, spec.height as usize);
    let mut tensor = vec![0.0f32; out_w * out_h * 3];
    let divisor = f64::from(spec.pixel_divisor);
    for out_y in 0..out_h {
        let ty = align_corners(out_y, height as usize, out_h);
        let top = &rgb[ty.low * stride..];
        let bottom = &rgb[ty.high * stride..];
        for out_x in 0..out_w {
            let tx = align_corners(out_x, width as usize, out_w);
            let (l, r) = (tx.low * bpp, tx.high * bpp);
            for (channel, &offset) in offsets.iter().enumerate() {
                let tl = f64::from(top[l + offset]);
                let tr = f64::from(top[r + offset]);
                let bl = f64::from(bottom[l + offset]);
                let br = f64::from(bottom[r + offset]);
                let upper = tl + (tr - tl) * tx.frac;
                let lower = bl + (br - bl) * tx.frac;
                let resized = (upper + (lower - upper) * ty.frac) as f32;
                let scaled = (f64::from(resized) / divisor) as f32;
                tensor[(out_y * out_w + out_x) * 3 + channel] = (scaled - spec.mean[channel]) / spec.std[channel];
            }
        }
    }
    tensor
}

#[test]
fn rgb_formats_at_rotation_0_without_crop_stay_within_a_few_ulps_of_the_foundation_sampler() {
    let mut worst = 0f32;
    for (n, (w, h)) in [(1u32, 1u32), (5, 3), (224, 224), (225, 223), (643, 481), (1920, 1080)]
        .into_iter()
        .enumerate()
    {
        let rgb = test_rgb(w, h, n as u32);
        for out in [224u32, 1, 13] {
            let spec = spec(out, out);
            let sampler = Sampler::new(&spec);
            for (format, _) in all_formats().into_iter().take(3) {
                let frame = TestFrame::from_rgb(&rgb, w, h, format, 0, YuvColor::default(), 7);
                let mut tensor = vec![0.0; sampler.tensor_len()];
                sampler.sample(&frame.frame(), &mut tensor).unwrap();
                let bpp = format.bytes_per_pixel();
                let offsets = if format == PixelFormat::Bgra8 {
                    [2, 1, 0]
                } else {
                    [0, 1, 2]
                };
                let reference = foundation_sample(&spec, &frame.planes[0], w, h, frame.strides[0].0, bpp, offsets);
                let diff = tensor
                    .iter()
                    .zip(&reference)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0f32, f32::max);
                assert!(diff <= 2f32.powi(-21), "{format:?} {w}x{h} -> {out}: {diff:e}");
                worst = worst.max(diff);
            }
        }
    }
    eprintln!("f32 sampler vs the Foundation's double-precision sampler: worst |diff| = {worst:e}");
}

#[test]
fn padding_and_filler_bytes_never_reach_the_tensor() {
    // The same frame with different filler must sample identically.
    let (w, h) = (31u32, 17u32);
    let rgb = test_rgb(w, h, 8);
    let sampler = Sampler::new(&spec(224, 224));
    for (format, chroma_ps) in all_formats() {
        let frame = TestFrame::from_rgb(&rgb, w, h, format, chroma_ps, YuvColor::default(), 9);
        let mut other = frame.clone();
        for (plane, mask) in other.planes.iter_mut().zip(frame.sample_masks()) {
            for (byte, is_sample) in plane.iter_mut().zip(mask) {
                if !is_sample {
                    *byte = !*byte;
                }
            }
        }
        let (mut a, mut b) = (vec![0.0; sampler.tensor_len()], vec![0.0; sampler.tensor_len()]);
        for rotation in ROTATIONS {
            sampler.sample(&frame.frame().with_rotation(rotation), &mut a).unwrap();
            sampler.sample(&other.frame().with_rotation(rotation), &mut b).unwrap();
            assert!(a == b, "{format:?}/{chroma_ps} {rotation:?}");
        }
    }
}
