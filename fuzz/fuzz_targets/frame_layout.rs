//! Frame layouts: every pixel format × row strides × pixel strides × rotation × crop, through
//! every constructor (`Layout::new`, `Frame`/`FrameMut` `new`, `packed`, `nv12`, `nv21`,
//! `i420`, `yuv420_888`), then redaction (block and blur) in place on what they accept.
//!
//! Checks: no panic or overflow; each constructor accepts exactly the geometries the
//! documentation describes (an independent computation in 128-bit arithmetic, below), and the
//! read-only and writable constructors agree; crop and rotation give the documented upright
//! size; blocking and blurring write only the bytes of the planes' samples (never row padding,
//! never bytes between the samples of a plane with a pixel stride, never past the end).
#![no_main]

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use safeframe::frame::{
    CropRect, Frame, FrameMut, Layout, PixelFormat, Plane, PlaneMut, Rotation, YuvColor, YuvMatrix, YuvRange,
    MAX_PIXELS, MAX_SIDE,
};
use safeframe::redactor::Redactor;

/// The most bytes one buffer of a frame may have in this harness (redaction touches them all).
const MAX_BUFFER: usize = 1 << 18;

const FORMATS: [PixelFormat; 7] = [
    PixelFormat::Rgba8,
    PixelFormat::Bgra8,
    PixelFormat::Rgb8,
    PixelFormat::Nv12,
    PixelFormat::Nv21,
    PixelFormat::I420,
    PixelFormat::Yuv420888,
];

/// A stride: near the smallest valid one (most inputs), or any value (overflow paths).
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Stride {
    Above(u8),
    Below(u8),
    Raw(u64),
}

impl Stride {
    fn get(self, minimum: usize) -> usize {
        match self {
            Self::Above(d) => minimum.saturating_add(usize::from(d)),
            Self::Below(d) => minimum.saturating_sub(usize::from(d)),
            Self::Raw(v) => v as usize,
        }
    }
}

/// A buffer length: what the geometry needs plus or minus a little, or any value.
#[derive(Debug, Clone, Copy, Arbitrary)]
enum Len {
    Exact,
    Plus(u8),
    Minus(u8),
    Raw(u32),
}

impl Len {
    fn get(self, needed: Option<usize>) -> usize {
        match (self, needed) {
            (Self::Exact, Some(n)) => n,
            (Self::Plus(d), Some(n)) => n.saturating_add(usize::from(d)),
            (Self::Minus(d), Some(n)) => n.saturating_sub(usize::from(d)),
            (Self::Raw(v), _) => v as usize,
            (_, None) => 0,
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Ctor {
    /// `Layout::new` with any length (no buffer), then `Frame::new`/`FrameMut::new` when small.
    Single {
        format: u8,
        stride: Stride,
        len: Len,
        raw_len: Option<u64>,
    },
    Packed {
        format: u8,
        len: Len,
    },
    Nv {
        vu: bool,
        y: (Stride, Len),
        uv: (Stride, Len),
    },
    I420 {
        planes: [(Stride, Len); 3],
    },
    Yuv420888 {
        planes: [(Stride, Stride, Len); 3],
    },
}

#[derive(Debug, Arbitrary)]
struct Input {
    width: u16,
    height: u16,
    huge: Option<(u32, u32)>,
    ctor: Ctor,
    rotation: u8,
    crop: Option<(u32, u32, u32, u32)>,
    full_range: bool,
    bt709: bool,
    blur_cells: u8,
}

/// One plane as the documentation describes it.
#[derive(Debug, Clone, Copy)]
struct SpecPlane {
    offset: u128,
    row_stride: u128,
    pixel_stride: u128,
    width: u128,
    height: u128,
    sample_bytes: u128,
}

impl SpecPlane {
    fn new(
        offset: u128,
        row_stride: u128,
        pixel_stride: usize,
        width: usize,
        height: usize,
        sample_bytes: usize,
    ) -> Self {
        Self {
            offset,
            row_stride,
            pixel_stride: pixel_stride as u128,
            width: width as u128,
            height: height as u128,
            sample_bytes: sample_bytes as u128,
        }
    }

    fn span(&self) -> u128 {
        (self.width - 1) * self.pixel_stride + self.sample_bytes
    }

    /// Bytes the plane needs from the start of its buffer, if its strides are valid.
    fn needed(&self) -> Option<u128> {
        if self.pixel_stride < self.sample_bytes || self.row_stride < self.span() {
            return None;
        }
        Some(self.offset + (self.height - 1) * self.row_stride + self.span())
    }

    fn fits(&self, len: usize) -> bool {
        self.needed().is_some_and(|n| n <= len as u128)
    }

    /// Marks the plane's sample bytes in `mask`.
    fn mark(&self, mask: &mut [bool]) {
        for y in 0..self.height {
            for x in 0..self.width {
                let at = (self.offset + y * self.row_stride + x * self.pixel_stride) as usize;
                mask[at..at + self.sample_bytes as usize].fill(true);
            }
        }
    }
}

fn size_ok(w: u32, h: u32) -> bool {
    w >= 1 && h >= 1 && w <= MAX_SIDE && h <= MAX_SIDE && u64::from(w) * u64::from(h) <= MAX_PIXELS
}

/// The planes of a single-buffer frame as `Layout::new` documents them.
fn single_planes(w: usize, h: usize, stride: usize, format: PixelFormat) -> Vec<SpecPlane> {
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let y_size = stride as u128 * h as u128;
    match format {
        PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
            let bpp = format.bytes_per_pixel();
            vec![SpecPlane::new(0, stride as u128, bpp, w, h, bpp)]
        }
        PixelFormat::Nv12 | PixelFormat::Nv21 => vec![
            SpecPlane::new(0, stride as u128, 1, w, h, 1),
            SpecPlane::new(y_size, stride as u128 + stride as u128 % 2, 2, cw, ch, 2),
        ],
        _ => {
            let c = stride.div_ceil(2);
            vec![
                SpecPlane::new(0, stride as u128, 1, w, h, 1),
                SpecPlane::new(y_size, c as u128, 1, cw, ch, 1),
                SpecPlane::new(y_size + c as u128 * ch as u128, c as u128, 1, cw, ch, 1),
            ]
        }
    }
}

fn small(len: usize) -> bool {
    len <= MAX_BUFFER
}

/// The byte every buffer is filled with: no black value of any format (0, 16, 128, 255), so a
/// write of black or of a blurred colour outside the samples shows.
const FILL: u8 = 0x5a;

/// Applies the input's rotation, colour and crop to a writable frame, checks the upright size,
/// then blocks and blurs it. Returns whether the frame was redacted (a crop outside the frame
/// is refused first).
fn redact(mut frame: FrameMut<'_>, input: &Input) -> bool {
    let (w, h) = (frame.width(), frame.height());
    let rotation =
        [Rotation::Deg0, Rotation::Deg90, Rotation::Deg180, Rotation::Deg270][usize::from(input.rotation % 4)];
    frame = frame.with_rotation(rotation).with_yuv_color(YuvColor {
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
    if let Some((x, y, cw, ch)) = input.crop {
        let crop = CropRect::new(x, y, cw, ch);
        let fits = cw >= 1
            && ch >= 1
            && u64::from(x) + u64::from(cw) <= u64::from(w)
            && u64::from(y) + u64::from(ch) <= u64::from(h);
        match frame.with_crop(crop) {
            Ok(cropped) => {
                assert!(fits, "{crop:?} accepted in {w}x{h}");
                frame = cropped;
            }
            Err(_) => {
                assert!(!fits, "{crop:?} refused in {w}x{h}");
                return false;
            }
        }
    }
    let region = frame.region();
    let expected = if rotation.swaps_sides() {
        (region.height, region.width)
    } else {
        (region.width, region.height)
    };
    assert_eq!(frame.upright_size(), expected);
    Redactor::block(&mut frame);
    let mut redactor = Redactor::with_blur_cells(u32::from(input.blur_cells % 64) + 1).expect("1..=64 cells");
    redactor.blur(&mut frame);
    true
}

/// Checks that only sample bytes changed: every byte of `bufs` outside `planes` (plane i in
/// buffer `buffer_of[i]`) still holds [`FILL`].
fn only_samples_written(bufs: &[&[u8]], planes: &[SpecPlane], buffer_of: &[usize]) {
    let mut masks: Vec<Vec<bool>> = bufs.iter().map(|b| vec![false; b.len()]).collect();
    for (plane, &b) in planes.iter().zip(buffer_of) {
        plane.mark(&mut masks[b]);
    }
    for (n, (buf, mask)) in bufs.iter().zip(&masks).enumerate() {
        for (i, (byte, sample)) in buf.iter().zip(mask).enumerate() {
            assert!(
                *sample || *byte == FILL,
                "buffer {n} byte {i} outside every plane was written"
            );
        }
    }
}

fn run(input: &Input) {
    let (width, height) = match input.huge {
        Some((w, h)) => (w, h),
        None => (u32::from(input.width % 512), u32::from(input.height % 512)),
    };
    let size = size_ok(width, height);
    let (w, h) = (width as usize, height as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    match input.ctor {
        Ctor::Single {
            format,
            stride,
            len,
            raw_len,
        } => {
            let format = FORMATS[usize::from(format) % FORMATS.len()];
            let stride = stride.get(w * format.bytes_per_pixel());
            let planes = single_planes(w.max(1), h.max(1), stride, format);
            let needed = planes
                .iter()
                .map(|p| p.needed())
                .collect::<Option<Vec<_>>>()
                .map(|n| n.into_iter().max().unwrap_or(0));
            let len = match raw_len {
                Some(l) => l as usize,
                None => len.get(needed.and_then(|n| usize::try_from(n).ok())),
            }
            // No buffer is larger (and for larger lengths `Layout::new` may refuse a stride whose
            // product with the height overflows though the last row needs no padding).
            .min(isize::MAX as usize);
            let expected = size && format != PixelFormat::Yuv420888 && planes.iter().all(|p| p.fits(len));
            let layout = Layout::new(width, height, stride, format, len);
            assert_eq!(
                layout.is_ok(),
                expected,
                "{format:?} {width}x{height} stride {stride} len {len}: {layout:?}"
            );
            if let Ok(layout) = layout {
                assert_eq!(
                    (layout.width(), layout.height(), layout.stride(), layout.format()),
                    (width, height, stride, format)
                );
                assert_eq!(layout.row_bytes() as u128, planes[0].span());
                assert_eq!(layout.plane_count(), planes.len());
                if format.packed_len(width, height).is_some_and(|n| n == len) && stride == w * format.bytes_per_pixel()
                {
                    assert!(Frame::packed(&vec![0; len], width, height, format).is_ok());
                }
            }
            if !small(len) {
                return;
            }
            let mut buf = vec![FILL; len];
            assert_eq!(Frame::new(&buf, width, height, stride, format).is_ok(), expected);
            let rw = FrameMut::new(&mut buf, width, height, stride, format);
            assert_eq!(rw.is_ok(), expected);
            if rw.is_ok_and(|frame| redact(frame, input)) {
                only_samples_written(&[&buf], &planes, &vec![0; planes.len()]);
            }
        }
        Ctor::Packed { format, len } => {
            let format = FORMATS[usize::from(format) % FORMATS.len()];
            let needed = format.packed_len(width, height);
            let len = len.get(needed);
            if !small(len) {
                return;
            }
            let expected = size && needed.is_some_and(|n| n <= len);
            let mut buf = vec![FILL; len];
            assert_eq!(
                Frame::packed(&buf, width, height, format).is_ok(),
                expected,
                "{format:?} {width}x{height} len {len}"
            );
            let stride = w * format.bytes_per_pixel();
            let planes = single_planes(w.max(1), h.max(1), stride, format);
            let rw = FrameMut::packed(&mut buf, width, height, format);
            assert_eq!(rw.is_ok(), expected);
            if rw.is_ok_and(|frame| redact(frame, input)) {
                only_samples_written(&[&buf], &planes, &vec![0; planes.len()]);
            }
        }
        Ctor::Nv { vu, y, uv } => {
            let (y_stride, uv_stride) = (y.0.get(w), uv.0.get(2 * cw));
            let planes = [
                SpecPlane::new(0, y_stride as u128, 1, w.max(1), h.max(1), 1),
                SpecPlane::new(0, uv_stride as u128, 2, cw.max(1), ch.max(1), 2),
            ];
            let lens = [0, 1].map(|i| [y.1, uv.1][i].get(planes[i].needed().and_then(|n| usize::try_from(n).ok())));
            if !lens.iter().all(|&n| small(n)) {
                return;
            }
            let expected = size && planes[0].fits(lens[0]) && planes[1].fits(lens[1]);
            let (mut yb, mut uvb) = (vec![FILL; lens[0]], vec![FILL; lens[1]]);
            let ro = if vu {
                Frame::nv21(width, height, &yb, y_stride, &uvb, uv_stride)
            } else {
                Frame::nv12(width, height, &yb, y_stride, &uvb, uv_stride)
            };
            assert_eq!(
                ro.is_ok(),
                expected,
                "nv {width}x{height} {y_stride}/{uv_stride} {lens:?}"
            );
            let rw = if vu {
                FrameMut::nv21(width, height, &mut yb, y_stride, &mut uvb, uv_stride)
            } else {
                FrameMut::nv12(width, height, &mut yb, y_stride, &mut uvb, uv_stride)
            };
            assert_eq!(rw.is_ok(), expected);
            if rw.is_ok_and(|frame| redact(frame, input)) {
                only_samples_written(&[&yb, &uvb], &planes, &[0, 1]);
            }
        }
        Ctor::I420 { planes: spec } => {
            let dims = [(w, h), (cw, ch), (cw, ch)];
            let strides: [usize; 3] = std::array::from_fn(|i| spec[i].0.get(dims[i].0));
            let planes: [SpecPlane; 3] = std::array::from_fn(|i| {
                SpecPlane::new(0, strides[i] as u128, 1, dims[i].0.max(1), dims[i].1.max(1), 1)
            });
            let lens: [usize; 3] =
                std::array::from_fn(|i| spec[i].1.get(planes[i].needed().and_then(|n| usize::try_from(n).ok())));
            if !lens.iter().all(|&n| small(n)) {
                return;
            }
            let expected = size && (0..3).all(|i| planes[i].fits(lens[i]));
            let mut bufs = lens.map(|n| vec![FILL; n]);
            let ro = Frame::i420(
                width, height, &bufs[0], strides[0], &bufs[1], strides[1], &bufs[2], strides[2],
            );
            assert_eq!(ro.is_ok(), expected, "i420 {width}x{height} {strides:?} {lens:?}");
            let [b0, b1, b2] = &mut bufs;
            let rw = FrameMut::i420(width, height, b0, strides[0], b1, strides[1], b2, strides[2]);
            assert_eq!(rw.is_ok(), expected);
            if rw.is_ok_and(|frame| redact(frame, input)) {
                only_samples_written(&[&bufs[0], &bufs[1], &bufs[2]], &planes, &[0, 1, 2]);
            }
        }
        Ctor::Yuv420888 { planes: spec } => {
            let dims = [(w, h), (cw, ch), (cw, ch)];
            let pixel: [usize; 3] = std::array::from_fn(|i| spec[i].1.get(1));
            let rows: [usize; 3] = std::array::from_fn(|i| {
                spec[i].0.get(
                    dims[i]
                        .0
                        .max(1)
                        .saturating_sub(1)
                        .saturating_mul(pixel[i])
                        .saturating_add(1),
                )
            });
            let planes: [SpecPlane; 3] = std::array::from_fn(|i| {
                SpecPlane::new(0, rows[i] as u128, pixel[i], dims[i].0.max(1), dims[i].1.max(1), 1)
            });
            let lens: [usize; 3] =
                std::array::from_fn(|i| spec[i].2.get(planes[i].needed().and_then(|n| usize::try_from(n).ok())));
            if !lens.iter().all(|&n| small(n)) {
                return;
            }
            let expected = size && (0..3).all(|i| planes[i].fits(lens[i]));
            let mut bufs = lens.map(|n| vec![FILL; n]);
            let plane = |i: usize, data| Plane {
                data,
                row_stride: rows[i],
                pixel_stride: pixel[i],
            };
            let ro = Frame::yuv420_888(
                width,
                height,
                plane(0, &bufs[0]),
                plane(1, &bufs[1]),
                plane(2, &bufs[2]),
            );
            assert_eq!(
                ro.is_ok(),
                expected,
                "yuv420_888 {width}x{height} {rows:?} {pixel:?} {lens:?}"
            );
            let [b0, b1, b2] = &mut bufs;
            let plane_mut = |i: usize, data| PlaneMut {
                data,
                row_stride: rows[i],
                pixel_stride: pixel[i],
            };
            let rw = FrameMut::yuv420_888(width, height, plane_mut(0, b0), plane_mut(1, b1), plane_mut(2, b2));
            assert_eq!(rw.is_ok(), expected);
            if rw.is_ok_and(|frame| redact(frame, input)) {
                only_samples_written(&[&bufs[0], &bufs[1], &bufs[2]], &planes, &[0, 1, 2]);
            }
        }
    }
}

fuzz_target!(|input: Input| run(&input));
