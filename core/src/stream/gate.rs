//! The change gate: how much a frame differs from the last classified one, per tile.
//!
//! A thumbnail of about 64×64 point samples is read straight from the frame's crop in its own
//! pixel format (R, G, B for the packed RGB formats; Y, U, V for the YUV formats: no colour
//! conversion, no resize). Each tile is cut into cells of about 4×4 samples; a cell differs
//! by the largest of the three channels' absolute differences of its mean colour, and a tile
//! by the mean over its cells, divided by 255. A change of a region's colour counts in full,
//! while grain and small shifts of fine texture cancel within a cell. The frames' difference
//! is the largest tile difference, so a change confined to one tile counts as fully as a cut
//! of the whole frame. Frames of another size, format or crop differ by 1.0. Reading and
//! comparing ~4,096 samples costs about 0.03 ms whatever the frame's size, and nothing is
//! allocated per frame.

use std::time::Duration;

use crate::error::{Result, SafeFrameError};
use crate::frame::{CropRect, Frame, PixelFormat};

/// The most tiles per side a [`ChangeGate`] may use.
pub const MAX_TILES: u32 = 16;

/// Point samples per side of the thumbnail, before rounding up to a multiple of the tiles.
const THUMBNAIL_SIDE: u32 = 64;

/// Samples per side of the largest thumbnail (`tiles × ceil(64 / tiles)` for 1..=16 tiles).
const MAX_SIDE: usize = 80;

/// Samples per side of the cells whose mean colours are compared (fewer in the smallest tiles).
/// At 64×64 samples a cell covers 1/256 of the frame: a change of a region's colour counts in
/// full, while grain, noise and small shifts of fine texture (which move single samples both
/// ways) cancel within the cell. Measured on real clips in `docs/performance.md#streams`.
const CELL_SIDE: usize = 4;

/// When a [`StreamFilter`](super::StreamFilter) classifies: at once when a frame changed,
/// rarely when nothing did.
///
/// Each frame is compared with the **last classified frame** (so a slow fade or pan adds up)
/// on a thumbnail cut into `tiles × tiles` tiles. A frame whose largest tile difference is
/// above `threshold` is *changed*: it is classified now (inline) or held redacted until its
/// verdict arrives (background), whatever the cadence. Other frames reuse the verdict in force
/// until it is `max_age` old (in frame timestamps), then the cadence decides when the next
/// classification runs.
///
/// ```
/// use safeframe::stream::{ChangeGate, StreamConfig};
/// use std::time::Duration;
/// let gate = ChangeGate { threshold: 0.04, ..ChangeGate::default() };
/// assert_eq!((gate.tiles, gate.max_age), (4, Duration::from_secs(1)));
/// let config = StreamConfig { change_gate: Some(gate), ..StreamConfig::default() };
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangeGate {
    /// The largest tile difference that still counts as unchanged: 0 to 1, the mean over the
    /// tile's cells of the largest channel difference of each cell's mean colour, over 255
    /// (default 0.10, about 25 levels of 255; 0 counts every difference as a change). Measured
    /// on real clips (`docs/performance.md`): frame-to-frame noise of still footage stays
    /// under 0.02, scene cuts differ by 0.26 or more.
    pub threshold: f32,
    /// Tiles per side (default 4: a 4×4 grid; 1 to [`MAX_TILES`]).
    pub tiles: u32,
    /// The longest an unchanged scene reuses a verdict, measured in frame timestamps (default
    /// 1 s; more than zero). Then a classification is due at the cadence's next frame.
    pub max_age: Duration,
}

impl Default for ChangeGate {
    fn default() -> Self {
        Self {
            threshold: 0.10,
            tiles: 4,
            max_age: Duration::from_secs(1),
        }
    }
}

impl ChangeGate {
    /// Checks the fields; the error names the first bad one
    /// (`change_gate.threshold`, `change_gate.tiles`, `change_gate.max_age`).
    pub fn validate(&self) -> Result<()> {
        let bad = |field: &str, reason: String| {
            Err(SafeFrameError::InvalidConfig {
                field: format!("change_gate.{field}"),
                reason,
            })
        };
        if !(0.0..=1.0).contains(&self.threshold) {
            return bad("threshold", format!("{} must be between 0 and 1", self.threshold));
        }
        if !(1..=MAX_TILES).contains(&self.tiles) {
            return bad("tiles", format!("{} must be 1 to {MAX_TILES}", self.tiles));
        }
        if self.max_age.is_zero() {
            return bad("max_age", "must be more than zero".into());
        }
        Ok(())
    }

    /// Samples per side of one tile.
    fn per_tile(&self) -> usize {
        THUMBNAIL_SIDE.div_ceil(self.tiles.max(1)) as usize
    }
}

/// What a thumbnail was read from: thumbnails of different sources are not compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Source {
    format: PixelFormat,
    region: CropRect,
}

/// A frame's thumbnail as the change gate reads it (see the [`stream`](super) module):
/// `side × side` point samples of three bytes. [`StreamFilter`](super::StreamFilter) keeps two;
/// use it directly to measure change outside a stream.
///
/// ```
/// use safeframe::frame::{Frame, PixelFormat};
/// use safeframe::stream::{ChangeGate, Thumbnail};
/// let gate = ChangeGate::default();
/// let (grey, white) = (vec![128u8; 64 * 48 * 3], vec![255u8; 64 * 48 * 3]);
/// let (mut a, mut b) = (Thumbnail::new(), Thumbnail::new());
/// a.read(&Frame::packed(&grey, 64, 48, PixelFormat::Rgb8)?, &gate);
/// b.read(&Frame::packed(&white, 64, 48, PixelFormat::Rgb8)?, &gate);
/// assert!(a.difference(&b, gate.tiles) > gate.threshold);
/// assert_eq!(a.difference(&a, gate.tiles), 0.0);
/// # Ok::<(), safeframe::SafeFrameError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Thumbnail {
    source: Option<Source>,
    side: usize,
    samples: Vec<[u8; 3]>,
}

impl Default for Thumbnail {
    fn default() -> Self {
        Self::new()
    }
}

impl Thumbnail {
    /// An empty thumbnail with room for the largest grid (the only allocation; reading
    /// allocates nothing). It differs fully from any other.
    pub fn new() -> Self {
        Self {
            source: None,
            side: 0,
            samples: Vec::with_capacity(MAX_SIDE * MAX_SIDE),
        }
    }

    /// Reads the thumbnail of `frame`'s crop for `gate`'s grid.
    pub fn read(&mut self, frame: &Frame<'_>, gate: &ChangeGate) {
        let region = frame.region();
        let side = (gate.tiles.clamp(1, MAX_TILES) as usize) * gate.per_tile();
        self.side = side;
        self.source = Some(Source {
            format: frame.format(),
            region,
        });
        // Sample i of n sits at the centre of the i-th of n equal spans of the region.
        let at = |i: usize, start: u32, len: u32| {
            let offset = ((2 * i as u64 + 1) * u64::from(len)) / (2 * side as u64);
            start as usize + offset as usize
        };
        let mut columns = [0usize; MAX_SIDE];
        let mut rows = [0usize; MAX_SIDE];
        for i in 0..side {
            columns[i] = at(i, region.x, region.width);
            rows[i] = at(i, region.y, region.height);
        }
        let layout = *frame.layout();
        self.samples.clear();
        match frame.format() {
            PixelFormat::Rgba8 | PixelFormat::Bgra8 | PixelFormat::Rgb8 => {
                let plane = layout.plane(0);
                let data = frame.buffer(plane.buffer);
                for &y in &rows[..side] {
                    for &x in &columns[..side] {
                        let i = plane.index(x, y);
                        self.samples.push([data[i], data[i + 1], data[i + 2]]);
                    }
                }
            }
            _ => {
                let (luma, u_plane) = (layout.plane(0), layout.plane(1));
                // NV12/NV21 keep both chroma bytes in plane 1; I420 and YUV_420_888 split them.
                let v_plane = if layout.plane_count() == 2 {
                    None
                } else {
                    Some(layout.plane(2))
                };
                let (luma_data, u_data) = (frame.buffer(luma.buffer), frame.buffer(u_plane.buffer));
                let v_data = v_plane.map(|p| frame.buffer(p.buffer));
                for &y in &rows[..side] {
                    for &x in &columns[..side] {
                        let luma_sample = luma_data[luma.index(x, y)];
                        let u_index = u_plane.index(x / 2, y / 2);
                        let (u, v) = match (v_plane, v_data) {
                            (Some(v_plane), Some(v_data)) => (u_data[u_index], v_data[v_plane.index(x / 2, y / 2)]),
                            _ => (u_data[u_index], u_data[u_index + 1]),
                        };
                        self.samples.push([luma_sample, u, v]);
                    }
                }
            }
        }
    }

    /// The largest tile difference from `other` (0 to 1), for `tiles × tiles` tiles; 1.0 when
    /// the two were read from different sources or grids.
    ///
    /// Each tile is cut into cells of about 4×4 samples; a cell differs by the largest channel
    /// difference of its **mean** colour, and the tile by the mean of its cells' differences
    /// (weighted by their samples), over 255.
    pub fn difference(&self, other: &Thumbnail, tiles: u32) -> f32 {
        let tiles = tiles.clamp(1, MAX_TILES) as usize;
        if self.source.is_none()
            || self.source != other.source
            || self.side != other.side
            || !self.side.is_multiple_of(tiles)
        {
            return 1.0;
        }
        let side = self.side;
        let per_tile = side / tiles;
        let cells = per_tile.div_ceil(CELL_SIDE);
        // Cell j of a tile spans samples bound(j)..bound(j + 1) of the tile's side.
        let bound = |j: usize| j * per_tile / cells;
        let mut largest = 0u32;
        for tile_row in 0..tiles {
            for tile_column in 0..tiles {
                let (top, left) = (tile_row * per_tile, tile_column * per_tile);
                let mut tile = 0u32;
                for cell_row in 0..cells {
                    for cell_column in 0..cells {
                        let (first, last) = (left + bound(cell_column), left + bound(cell_column + 1));
                        let mut sums = [0i32; 3];
                        for row in top + bound(cell_row)..top + bound(cell_row + 1) {
                            let span = row * side + first..row * side + last;
                            for (a, b) in self.samples[span.clone()].iter().zip(&other.samples[span]) {
                                for (sum, (&a, &b)) in sums.iter_mut().zip(a.iter().zip(b)) {
                                    *sum += i32::from(a) - i32::from(b);
                                }
                            }
                        }
                        tile += sums.iter().map(|sum| sum.unsigned_abs()).max().unwrap_or(0);
                    }
                }
                largest = largest.max(tile);
            }
        }
        largest as f32 / ((per_tile * per_tile) as f32 * 255.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::Frame;

    fn rgb(width: u32, height: u32, paint: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
        let mut pixels = Vec::new();
        for y in 0..height {
            for x in 0..width {
                pixels.extend(paint(x, y));
            }
        }
        pixels
    }

    fn thumbnail(pixels: &[u8], width: u32, height: u32, gate: &ChangeGate) -> Thumbnail {
        let mut thumbnail = Thumbnail::new();
        let frame = Frame::packed(pixels, width, height, PixelFormat::Rgb8).unwrap();
        thumbnail.read(&frame, gate);
        thumbnail
    }

    #[test]
    fn a_change_in_one_tile_of_sixteen_counts_fully() {
        let gate = ChangeGate::default();
        let grey = rgb(320, 240, |_, _| [128; 3]);
        // The bottom-right tile of the 4×4 grid turns red.
        let changed = rgb(
            320,
            240,
            |x, y| if x >= 240 && y >= 180 { [255, 0, 0] } else { [128; 3] },
        );
        let (a, b) = (thumbnail(&grey, 320, 240, &gate), thumbnail(&changed, 320, 240, &gate));
        assert_eq!(a.difference(&a, gate.tiles), 0.0);
        assert!((a.difference(&b, gate.tiles) - 128.0 / 255.0).abs() < 1e-6);
    }

    #[test]
    fn differences_are_the_tile_mean_of_the_largest_channel_change() {
        let gate = ChangeGate::default();
        let a = rgb(64, 64, |_, _| [100, 100, 100]);
        // Every sample: red +10, green −20, blue +5: the largest change is 20.
        let b = rgb(64, 64, |_, _| [110, 80, 105]);
        let d = thumbnail(&a, 64, 64, &gate).difference(&thumbnail(&b, 64, 64, &gate), 4);
        assert!((d - 20.0 / 255.0).abs() < 1e-6, "{d}");
    }

    #[test]
    fn fine_texture_that_shifts_cancels_but_a_region_that_changes_counts() {
        let gate = ChangeGate::default();
        // A checkerboard of single samples (64×64 frame: one pixel per sample), then the same
        // board shifted by one sample: every sample changes by 200 levels, no region's colour does.
        let board = |shift: u32| {
            rgb(64, 64, move |x, y| {
                [if (x + y + shift).is_multiple_of(2) { 228 } else { 28 }; 3]
            })
        };
        let (a, b) = (thumbnail(&board(0), 64, 64, &gate), thumbnail(&board(1), 64, 64, &gate));
        assert_eq!(a.difference(&b, gate.tiles), 0.0);
        // One cell (4×4 samples, 1/16 of a tile) turns from the board to flat red: its mean
        // colour moves by (255 - 128) in red, so the tile differs by 127 / 255 / 16.
        let red_cell = rgb(64, 64, |x, y| {
            if x < 4 && y < 4 {
                [255, 128, 128]
            } else {
                [if (x + y).is_multiple_of(2) { 228 } else { 28 }; 3]
            }
        });
        let d = a.difference(&thumbnail(&red_cell, 64, 64, &gate), gate.tiles);
        assert!((d - 127.0 / 255.0 / 16.0).abs() < 1e-6, "{d}");
    }

    #[test]
    fn a_uniform_change_counts_fully_for_every_tile_count() {
        let (w, h) = (160u32, 120u32);
        let grey = rgb(w, h, |_, _| [100; 3]);
        let lighter = rgb(w, h, |_, _| [100, 140, 100]);
        for tiles in 1..=MAX_TILES {
            let gate = ChangeGate {
                tiles,
                ..ChangeGate::default()
            };
            let d = thumbnail(&grey, w, h, &gate).difference(&thumbnail(&lighter, w, h, &gate), tiles);
            assert!((d - 40.0 / 255.0).abs() < 1e-6, "{tiles}: {d}");
        }
    }

    #[test]
    fn frames_from_other_sources_differ_fully() {
        let gate = ChangeGate::default();
        let a = rgb(64, 64, |_, _| [9; 3]);
        let b = rgb(32, 64, |_, _| [9; 3]);
        assert_eq!(
            thumbnail(&a, 64, 64, &gate).difference(&thumbnail(&b, 32, 64, &gate), 4),
            1.0
        );
        assert_eq!(Thumbnail::new().difference(&Thumbnail::new(), 4), 1.0);
    }

    #[test]
    fn yuv_frames_are_read_in_their_own_planes() {
        let gate = ChangeGate::default();
        let (w, h) = (64u32, 48u32);
        let len = PixelFormat::Nv21.packed_len(w, h).unwrap();
        let grey = vec![128u8; len];
        let mut tinted = grey.clone();
        // Only the chroma changes, by 40 levels: a same-luma colour change is still seen.
        tinted[(w * h) as usize..].fill(168);
        let read = |pixels: &[u8]| {
            let mut thumbnail = Thumbnail::new();
            thumbnail.read(&Frame::packed(pixels, w, h, PixelFormat::Nv21).unwrap(), &gate);
            thumbnail
        };
        let d = read(&grey).difference(&read(&tinted), gate.tiles);
        assert!((d - 40.0 / 255.0).abs() < 1e-6, "{d}");
    }

    #[test]
    fn every_tile_count_gives_whole_tiles_within_the_largest_grid() {
        for tiles in 1..=MAX_TILES {
            let gate = ChangeGate {
                tiles,
                ..ChangeGate::default()
            };
            let side = tiles as usize * gate.per_tile();
            assert!(side <= MAX_SIDE && side >= THUMBNAIL_SIDE as usize, "{tiles}: {side}");
        }
    }

    #[test]
    fn bad_gates_name_their_field() {
        let field = |gate: ChangeGate| match gate.validate() {
            Err(SafeFrameError::InvalidConfig { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let gate = ChangeGate::default();
        assert_eq!(
            field(ChangeGate {
                threshold: -0.1,
                ..gate
            }),
            "change_gate.threshold"
        );
        assert_eq!(field(ChangeGate { threshold: 1.5, ..gate }), "change_gate.threshold");
        assert_eq!(
            field(ChangeGate {
                threshold: f32::NAN,
                ..gate
            }),
            "change_gate.threshold"
        );
        assert_eq!(field(ChangeGate { tiles: 0, ..gate }), "change_gate.tiles");
        assert_eq!(field(ChangeGate { tiles: 17, ..gate }), "change_gate.tiles");
        assert_eq!(
            field(ChangeGate {
                max_age: Duration::ZERO,
                ..gate
            }),
            "change_gate.max_age"
        );
        assert!(ChangeGate { threshold: 0.0, ..gate }.validate().is_ok());
        assert!(ChangeGate {
            threshold: 1.0,
            tiles: 16,
            ..gate
        }
        .validate()
        .is_ok());
    }
}
