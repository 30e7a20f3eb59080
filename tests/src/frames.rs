//! Test frames in every pixel format, and the slow path the fused sampler is checked against.
//!
//! The slow path is the definition of a correct sample: the whole frame converted to RGB8 by
//! the `yuv` crate (the maintained successor of `yuvutils-rs`, same author and code; 4:2:0
//! chroma upsampled by replication, each chroma sample covering its 2×2 luma block), cropped,
//! rotated upright, then the RGB sampler.

use safeframe::frame::{
    CropRect, Frame, FrameMut, PixelFormat, Plane, PlaneMut, Rotation, YuvColor, YuvMatrix, YuvRange,
};
use safeframe::sampler::Sampler;

/// Byte written into row padding and between chroma samples; a reader that touches it shows.
pub const FILLER: u8 = 0xEE;

/// A frame that owns its planes, laid out as the format requires, with padding.
#[derive(Debug, Clone)]
pub struct TestFrame {
    /// The format.
    pub format: PixelFormat,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The planes: packed RGB one; NV two (Y, interleaved chroma); I420 and YUV_420_888 three.
    pub planes: Vec<Vec<u8>>,
    /// `(row stride, pixel stride)` of each plane.
    pub strides: Vec<(usize, usize)>,
    /// YUV range and matrix.
    pub color: YuvColor,
}

fn yuv_range(range: YuvRange) -> yuv::YuvRange {
    match range {
        YuvRange::Limited => yuv::YuvRange::Limited,
        YuvRange::Full => yuv::YuvRange::Full,
    }
}

fn yuv_matrix(matrix: YuvMatrix) -> yuv::YuvStandardMatrix {
    match matrix {
        YuvMatrix::Bt601 => yuv::YuvStandardMatrix::Bt601,
        YuvMatrix::Bt709 => yuv::YuvStandardMatrix::Bt709,
    }
}

/// Every format the SDK reads, with the chroma pixel stride used for YUV_420_888 (1 or 2).
pub fn all_formats() -> Vec<(PixelFormat, usize)> {
    vec![
        (PixelFormat::Rgba8, 0),
        (PixelFormat::Bgra8, 0),
        (PixelFormat::Rgb8, 0),
        (PixelFormat::Nv12, 0),
        (PixelFormat::Nv21, 0),
        (PixelFormat::I420, 0),
        (PixelFormat::Yuv420888, 2),
        (PixelFormat::Yuv420888, 1),
    ]
}

/// Lays `rows` rows of `row` bytes each out with `stride` bytes per row, padding with [`FILLER`].
fn pad_rows(tight: &[u8], row: usize, rows: usize, stride: usize) -> Vec<u8> {
    let mut out = vec![FILLER; stride * rows];
    for y in 0..rows {
        out[y * stride..y * stride + row].copy_from_slice(&tight[y * row..(y + 1) * row]);
    }
    out
}

impl TestFrame {
    /// Builds a frame of `format` from tightly packed RGB8 pixels, with `pad` bytes of padding
    /// after each row of each plane; YUV is made by the `yuv` crate (`Balanced` mode).
    /// `chroma_pixel_stride` is used by [`PixelFormat::Yuv420888`] only.
    pub fn from_rgb(
        rgb: &[u8],
        width: u32,
        height: u32,
        format: PixelFormat,
        chroma_pixel_stride: usize,
        color: YuvColor,
        pad: usize,
    ) -> Self {
        let (w, h) = (width as usize, height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let (planes, strides) = match format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
                let bpp = format.bytes_per_pixel();
                let mut tight = Vec::with_capacity(w * h * bpp);
                for p in rgb.chunks(3) {
                    match format {
                        PixelFormat::Rgba8 => tight.extend_from_slice(&[p[0], p[1], p[2], 0x77]),
                        PixelFormat::Bgra8 => tight.extend_from_slice(&[p[2], p[1], p[0], 0x77]),
                        _ => tight.extend_from_slice(p),
                    }
                }
                (
                    vec![pad_rows(&tight, w * bpp, h, w * bpp + pad)],
                    vec![(w * bpp + pad, bpp)],
                )
            }
            _ => {
                let mut planar = yuv::YuvPlanarImageMut::<u8>::alloc(width, height, yuv::YuvChromaSubsampling::Yuv420);
                yuv::rgb_to_yuv420(
                    &mut planar,
                    rgb,
                    width * 3,
                    yuv_range(color.range),
                    yuv_matrix(color.matrix),
                    yuv::YuvConversionMode::Balanced,
                )
                .unwrap();
                let (y, u, v) = (
                    planar.y_plane.borrow(),
                    planar.u_plane.borrow(),
                    planar.v_plane.borrow(),
                );
                let y_plane = pad_rows(y, w, h, w + pad);
                match format {
                    PixelFormat::Nv12 | PixelFormat::Nv21 => {
                        let mut pairs = Vec::with_capacity(2 * cw * ch);
                        for (&u, &v) in u.iter().zip(v) {
                            if format == PixelFormat::Nv12 {
                                pairs.extend_from_slice(&[u, v]);
                            } else {
                                pairs.extend_from_slice(&[v, u]);
                            }
                        }
                        let stride = 2 * cw + pad;
                        (
                            vec![y_plane, pad_rows(&pairs, 2 * cw, ch, stride)],
                            vec![(w + pad, 1), (stride, 2)],
                        )
                    }
                    PixelFormat::I420 => (
                        vec![y_plane, pad_rows(u, cw, ch, cw + pad), pad_rows(v, cw, ch, cw + pad)],
                        vec![(w + pad, 1), (cw + pad, 1), (cw + pad, 1)],
                    ),
                    _ => {
                        let ps = chroma_pixel_stride.max(1);
                        let spread = |plane: &[u8]| {
                            let stride = (cw - 1) * ps + 1 + pad;
                            let mut out = vec![FILLER; stride * (ch - 1) + (cw - 1) * ps + 1];
                            for cy in 0..ch {
                                for cx in 0..cw {
                                    out[cy * stride + cx * ps] = plane[cy * cw + cx];
                                }
                            }
                            (out, stride)
                        };
                        let ((u_plane, us), (v_plane, vs)) = (spread(u), spread(v));
                        (vec![y_plane, u_plane, v_plane], vec![(w + pad, 1), (us, ps), (vs, ps)])
                    }
                }
            }
        };
        Self {
            format,
            width,
            height,
            planes,
            strides,
            color,
        }
    }

    /// A read-only view (no rotation, crop or timestamp).
    pub fn frame(&self) -> Frame<'_> {
        let (w, h) = (self.width, self.height);
        let p = &self.planes;
        let s = &self.strides;
        let frame = match self.format {
            PixelFormat::Nv12 => Frame::nv12(w, h, &p[0], s[0].0, &p[1], s[1].0),
            PixelFormat::Nv21 => Frame::nv21(w, h, &p[0], s[0].0, &p[1], s[1].0),
            PixelFormat::I420 => Frame::i420(w, h, &p[0], s[0].0, &p[1], s[1].0, &p[2], s[2].0),
            PixelFormat::Yuv420888 => {
                let plane = |i: usize| Plane {
                    data: &p[i],
                    row_stride: s[i].0,
                    pixel_stride: s[i].1,
                };
                Frame::yuv420_888(w, h, plane(0), plane(1), plane(2))
            }
            _ => Frame::new(&p[0], w, h, s[0].0, self.format),
        };
        frame.unwrap().with_yuv_color(self.color)
    }

    /// A writable view.
    pub fn frame_mut(&mut self) -> FrameMut<'_> {
        let (w, h, format, color) = (self.width, self.height, self.format, self.color);
        let s = self.strides.clone();
        let mut planes = self.planes.iter_mut();
        let mut next = || planes.next().unwrap().as_mut_slice();
        let frame = match format {
            PixelFormat::Nv12 => FrameMut::nv12(w, h, next(), s[0].0, next(), s[1].0),
            PixelFormat::Nv21 => FrameMut::nv21(w, h, next(), s[0].0, next(), s[1].0),
            PixelFormat::I420 => FrameMut::i420(w, h, next(), s[0].0, next(), s[1].0, next(), s[2].0),
            PixelFormat::Yuv420888 => {
                let (y, u, v) = (next(), next(), next());
                let plane = |data, i: usize| PlaneMut {
                    data,
                    row_stride: s[i].0,
                    pixel_stride: s[i].1,
                };
                FrameMut::yuv420_888(w, h, plane(y, 0), plane(u, 1), plane(v, 2))
            }
            _ => FrameMut::new(next(), w, h, s[0].0, format),
        };
        frame.unwrap().with_yuv_color(color)
    }

    /// The whole frame as tightly packed RGB8: channel reordering for RGB formats, the `yuv`
    /// crate's 4:2:0 → RGB conversion (`Balanced` mode) for YUV. Padding is never read.
    pub fn to_rgb8(&self) -> Vec<u8> {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut rgb = vec![0u8; w * h * 3];
        let (range, matrix) = (yuv_range(self.color.range), yuv_matrix(self.color.matrix));
        let p = &self.planes;
        let s = &self.strides;
        match self.format {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
                let bpp = self.format.bytes_per_pixel();
                for y in 0..h {
                    for x in 0..w {
                        let px = &p[0][y * s[0].0 + x * bpp..][..3];
                        let out = &mut rgb[(y * w + x) * 3..][..3];
                        if self.format == PixelFormat::Bgra8 {
                            out.copy_from_slice(&[px[2], px[1], px[0]]);
                        } else {
                            out.copy_from_slice(px);
                        }
                    }
                }
            }
            PixelFormat::Nv12 | PixelFormat::Nv21 => {
                let image = yuv::YuvBiPlanarImage {
                    y_plane: &p[0],
                    y_stride: s[0].0 as u32,
                    uv_plane: &p[1],
                    uv_stride: s[1].0 as u32,
                    width: self.width,
                    height: self.height,
                };
                let mode = yuv::YuvConversionMode::Balanced;
                if self.format == PixelFormat::Nv12 {
                    yuv::yuv_nv12_to_rgb(&image, &mut rgb, (w * 3) as u32, range, matrix, mode).unwrap();
                } else {
                    yuv::yuv_nv21_to_rgb(&image, &mut rgb, (w * 3) as u32, range, matrix, mode).unwrap();
                }
            }
            _ => {
                // Gather each chroma plane tightly (YUV_420_888 may have pixel stride 2).
                let gather = |i: usize| -> Vec<u8> {
                    let mut out = Vec::with_capacity(cw * ch);
                    for cy in 0..ch {
                        for cx in 0..cw {
                            out.push(p[i][cy * s[i].0 + cx * s[i].1]);
                        }
                    }
                    out
                };
                let (u, v) = (gather(1), gather(2));
                let image = yuv::YuvPlanarImage {
                    y_plane: &p[0],
                    y_stride: s[0].0 as u32,
                    u_plane: &u,
                    u_stride: cw as u32,
                    v_plane: &v,
                    v_stride: cw as u32,
                    width: self.width,
                    height: self.height,
                };
                yuv::yuv420_to_rgb(&image, &mut rgb, (w * 3) as u32, range, matrix).unwrap();
            }
        }
        rgb
    }

    /// Every byte of every plane that is a sample of the plane (true) or padding/filler (false).
    pub fn sample_masks(&self) -> Vec<Vec<bool>> {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        self.planes
            .iter()
            .zip(&self.strides)
            .enumerate()
            .map(|(i, (plane, &(row_stride, pixel_stride)))| {
                let (pw, ph, bytes) = match (self.format, i) {
                    (PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8, _) => {
                        (w, h, self.format.bytes_per_pixel())
                    }
                    (_, 0) => (w, h, 1),
                    (PixelFormat::Nv12 | PixelFormat::Nv21, _) => (cw, ch, 2),
                    _ => (cw, ch, 1),
                };
                let mut mask = vec![false; plane.len()];
                for y in 0..ph {
                    for x in 0..pw {
                        let at = y * row_stride + x * pixel_stride;
                        mask[at..at + bytes].fill(true);
                    }
                }
                mask
            })
            .collect()
    }
}

/// Crops tightly packed RGB8.
pub fn crop_rgb8(rgb: &[u8], width: u32, crop: CropRect) -> Vec<u8> {
    let mut out = Vec::with_capacity((crop.width * crop.height * 3) as usize);
    for y in crop.y..crop.y + crop.height {
        let start = ((y * width + crop.x) * 3) as usize;
        out.extend_from_slice(&rgb[start..start + (crop.width * 3) as usize]);
    }
    out
}

/// Turns tightly packed RGB8 clockwise by `rotation`; returns the pixels and the new size.
pub fn rotate_rgb8(rgb: &[u8], width: u32, height: u32, rotation: Rotation) -> (Vec<u8>, u32, u32) {
    let (w, h) = (width as usize, height as usize);
    let (nw, nh) = if rotation.swaps_sides() { (h, w) } else { (w, h) };
    let mut out = vec![0u8; w * h * 3];
    for uy in 0..nh {
        for ux in 0..nw {
            let (sx, sy) = match rotation {
                Rotation::Deg0 => (ux, uy),
                Rotation::Deg90 => (uy, h - 1 - ux),
                Rotation::Deg180 => (w - 1 - ux, h - 1 - uy),
                Rotation::Deg270 => (w - 1 - uy, ux),
            };
            out[(uy * nw + ux) * 3..][..3].copy_from_slice(&rgb[(sy * w + sx) * 3..][..3]);
        }
    }
    (out, nw as u32, nh as u32)
}

/// The rotation that undoes `rotation`.
pub fn inverse(rotation: Rotation) -> Rotation {
    match rotation {
        Rotation::Deg0 => Rotation::Deg0,
        Rotation::Deg90 => Rotation::Deg270,
        Rotation::Deg180 => Rotation::Deg180,
        Rotation::Deg270 => Rotation::Deg90,
    }
}

/// The slow path: whole frame → RGB8 (by the `yuv` crate for YUV), crop, rotate upright, then
/// the RGB sampler.
pub fn slow_sample(
    frame: &TestFrame,
    rotation: Rotation,
    crop: Option<CropRect>,
    sampler: &Sampler,
    tensor: &mut [f32],
) {
    let rgb = frame.to_rgb8();
    let crop = crop.unwrap_or(CropRect::new(0, 0, frame.width, frame.height));
    let cropped = crop_rgb8(&rgb, frame.width, crop);
    let (upright, w, h) = rotate_rgb8(&cropped, crop.width, crop.height, rotation);
    let upright_frame = Frame::packed(&upright, w, h, PixelFormat::Rgb8).unwrap();
    sampler.sample(&upright_frame, tensor).unwrap();
}

/// Deterministic noise bytes.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 11) as u8
        })
        .collect()
}
