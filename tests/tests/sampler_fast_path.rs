//! The sampler's fast path (gathers of whole samples, SIMD with run-time dispatch) against its
//! scalar reference, bit for bit: every format, rotation, odd size, padded stride and crop, on
//! random bytes, for downscaling, upscaling and 1-pixel frames, both tensor layouts and both
//! normalisations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::frame::{CropRect, Rotation, YuvColor, YuvMatrix, YuvRange};
use safeframe::manifest::{InputSpec, ResizeRule, TensorLayout};
use safeframe::sampler::Sampler;
use safeframe_tests::frames::{all_formats, noise, TestFrame};

const ROTATIONS: [Rotation; 4] = [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270];

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

fn bits(tensor: &[f32]) -> Vec<u32> {
    tensor.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn fast_path_is_bit_identical_to_the_scalar_reference() {
    // Under Miri (scripts/miri checks that every unchecked load stays inside its buffer; it is
    // orders of magnitude slower) small frames and models only, and one combination in
    // `MIRI_STRIDE`: the stride is prime to every loop's length, so each format, rotation,
    // crop, padding and layout still occurs, with frames smaller and larger than the model
    // and model rows longer than one chunk (70 > 64 pixels, a tail that is not a multiple of 8).
    const MIRI_STRIDE: usize = 17;
    let sizes: &[(u32, u32)] = if cfg!(miri) {
        &[(1, 1), (3, 5), (17, 9)]
    } else {
        &[
            (1, 1),
            (2, 1),
            (1, 3),
            (3, 5),
            (4, 4),
            (17, 9),
            (64, 48),
            (225, 223),
            (301, 167),
        ]
    };
    let colors = [
        YuvColor::default(),
        YuvColor {
            range: YuvRange::Full,
            matrix: YuvMatrix::Bt709,
        },
    ];
    // Model sizes: the real one (downscaling the larger frames, upscaling the smaller), odd
    // small ones (chunks that are not a multiple of the SIMD width), 1×1.
    let models: &[(u32, u32)] = if cfg!(miri) {
        &[(7, 5), (70, 1)]
    } else {
        &[(224, 224), (7, 5), (70, 3), (1, 1)]
    };
    let mut combination = 0usize;
    let mut checked = 0;
    for (m, &(out_w, out_h)) in models.iter().enumerate() {
        for (l, layout) in [TensorLayout::Nhwc, TensorLayout::Nchw].into_iter().enumerate() {
            let plain = (m + l) % 2 == 0;
            let sampler = Sampler::new(&spec(out_w, out_h, layout, plain));
            let mut reference = vec![0.0; sampler.tensor_len()];
            let mut fast = vec![0.0; sampler.tensor_len()];
            let mut portable = vec![0.0; sampler.tensor_len()];
            for (n, &(w, h)) in sizes.iter().enumerate() {
                // The full model size on a few sizes only; in debug builds (slow) on one.
                let full_size: &[(u32, u32)] = if cfg!(debug_assertions) {
                    &[(301, 167)]
                } else {
                    &[(1, 1), (3, 5), (225, 223), (301, 167)]
                };
                if out_w == 224 && !full_size.contains(&(w, h)) {
                    continue;
                }
                for (format, chroma_ps) in all_formats() {
                    for pad in [0usize, 3] {
                        let seed = (n * 31 + pad) as u32 + m as u32 * 1000;
                        let color = colors[(n + pad) % 2];
                        let rgb = noise((w * h * 3) as usize, seed);
                        let mut frame = TestFrame::from_rgb(&rgb, w, h, format, chroma_ps, color, pad);
                        // Random bytes everywhere, padding included.
                        for (i, plane) in frame.planes.iter_mut().enumerate() {
                            *plane = noise(plane.len(), seed * 7 + i as u32 + 1);
                        }
                        let crops = [
                            None,
                            Some(CropRect::new(
                                w / 3,
                                h / 4,
                                (w - w / 3).max(1),
                                (h - h / 4 - h / 5).max(1),
                            )),
                            Some(CropRect::new(w - 1, h / 2, 1, (h - h / 2).max(1))),
                        ];
                        // Debug builds: the full model size without the extra crops.
                        let crops = if cfg!(debug_assertions) && out_w == 224 {
                            &crops[..1]
                        } else {
                            &crops[..]
                        };
                        for &crop in crops {
                            for rotation in ROTATIONS {
                                combination += 1;
                                if cfg!(miri) && !combination.is_multiple_of(MIRI_STRIDE) {
                                    continue;
                                }
                                let mut view = frame.frame().with_rotation(rotation);
                                if let Some(crop) = crop {
                                    view = view.with_crop(crop).unwrap();
                                }
                                sampler.sample_scalar(&view, &mut reference).unwrap();
                                sampler.sample(&view, &mut fast).unwrap();
                                sampler.sample_portable(&view, &mut portable).unwrap();
                                let what = format!(
                                    "{format:?}/{chroma_ps} {w}x{h} pad {pad} {rotation:?} crop {crop:?} -> {out_w}x{out_h} {layout:?} plain {plain}"
                                );
                                assert!(bits(&fast) == bits(&reference), "dispatched path differs: {what}");
                                assert!(bits(&portable) == bits(&reference), "portable path differs: {what}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
    }
    eprintln!("fast path == scalar reference on {checked} combinations");
}
