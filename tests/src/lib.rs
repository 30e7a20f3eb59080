//! Shared helpers for SafeFrame's cross-crate tests: fixture paths and the oracle cases.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod doors;
pub mod frames;
pub mod signed;

use std::collections::BTreeMap;
use std::path::PathBuf;

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::policy::Action;
use safeframe::scores::{Category, Scores};
use serde::Deserialize;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A path under `tests/fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(path)
}

/// A path under `models/`.
pub fn model_dir(name: &str) -> PathBuf {
    workspace().join("models").join(name)
}

/// A PNG of `width`×`height` (8-bit RGBA) whose pixel data is missing (an empty IDAT chunk):
/// its header says the size, so a decoder's limits can be tested without allocating pixels.
pub fn png_without_pixels(width: u32, height: u32) -> Vec<u8> {
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &[]), (b"IEND", &[])] {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let chunk = [kind, data].concat();
        png.extend_from_slice(&chunk);
        png.extend_from_slice(&crc32fast::hash(&chunk).to_be_bytes());
    }
    png
}

/// Loads an oracle pack (`oracle`, `faulty-nan`, `faulty-shape`) with default options.
pub fn oracle_classifier(pack: &str) -> Classifier {
    Classifier::from_dir(fixture("oracle").join(pack), &ClassifierOptions::default())
        .unwrap_or_else(|e| panic!("loading oracle pack {pack}: {e}"))
}

/// A throwaway signing key for tests (never the project's): `tag` picks one of 256 fixed keys,
/// so tests are repeatable and need no random source.
pub fn throwaway_signer(tag: u8) -> safeframe::signing::PackSigner {
    let mut seed = [0x5a; 32];
    seed[0] = tag;
    safeframe::signing::PackSigner::from_seed(seed)
}

/// Default options that also trust `signer`'s key (the shipped keys stay trusted).
pub fn options_trusting(signer: &safeframe::signing::PackSigner) -> ClassifierOptions {
    ClassifierOptions {
        trust: safeframe::signing::TrustPolicy::default().trusting(signer.public_key()),
        ..ClassifierOptions::default()
    }
}

/// Copies the pack directory `source` (its `manifest.json`, `signature.json` and model file)
/// into `dest`, creating it.
pub fn copy_pack(source: &std::path::Path, dest: &std::path::Path) {
    std::fs::create_dir_all(dest).unwrap();
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dest.join(entry.file_name())).unwrap();
        }
    }
}

/// Signs the pack in `dir` with `signer` (over its manifest as it now is): writes its
/// `signature.json`.
pub fn sign_pack(dir: &std::path::Path, signer: &safeframe::signing::PackSigner) {
    let manifest = std::fs::read(dir.join("manifest.json")).unwrap();
    let parsed = safeframe::manifest::ModelManifest::from_json(&manifest).unwrap();
    let signature = signer.sign(&manifest, &parsed.sha256).unwrap();
    std::fs::write(dir.join(safeframe::signing::SIGNATURE_FILE), signature.to_json()).unwrap();
}

/// The axis a [`ImageSpec::Gradient`] runs along.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GradientAxis {
    /// Left to right.
    X,
    /// Top to bottom.
    Y,
}

/// An image described as data in `oracle-cases.json` and `oracle-second-cases.json`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ImageSpec {
    /// Every pixel the same colour.
    Solid {
        /// The colour.
        rgb: [u8; 3],
    },
    /// Four quadrants: (x, y) is top-left when x < width/2 and y < height/2 (integer division).
    Quadrants {
        /// Top-left colour.
        top_left: [u8; 3],
        /// Top-right colour.
        top_right: [u8; 3],
        /// Bottom-left colour.
        bottom_left: [u8; 3],
        /// Bottom-right colour.
        bottom_right: [u8; 3],
    },
    /// A linear ramp (second-opinion cases only): along `axis`, `n` pixels long, position `t`
    /// has each channel `(from·(n−1−t) + to·t + (n−1)/2) / (n−1)` (integer division; `from`
    /// when `n == 1`).
    Gradient {
        /// The axis the ramp runs along.
        axis: GradientAxis,
        /// Colour at position 0.
        from: [u8; 3],
        /// Colour at position n − 1.
        to: [u8; 3],
    },
    /// A checkerboard (second-opinion cases only): (x, y) is `a` when `x/cell + y/cell` is
    /// even, else `b`.
    Checker {
        /// Side of a square, in pixels.
        cell: u32,
        /// First colour (the top-left square).
        a: [u8; 3],
        /// Second colour.
        b: [u8; 3],
    },
}

impl ImageSpec {
    /// The colour of pixel (x, y) of a `width`×`height` image.
    pub fn pixel(&self, x: u32, y: u32, width: u32, height: u32) -> [u8; 3] {
        match self {
            Self::Solid { rgb } => *rgb,
            Self::Quadrants {
                top_left,
                top_right,
                bottom_left,
                bottom_right,
            } => match (x < width / 2, y < height / 2) {
                (true, true) => *top_left,
                (false, true) => *top_right,
                (true, false) => *bottom_left,
                (false, false) => *bottom_right,
            },
            Self::Gradient { axis, from, to } => {
                let (n, t) = match axis {
                    GradientAxis::X => (width, x),
                    GradientAxis::Y => (height, y),
                };
                if n == 1 {
                    return *from;
                }
                std::array::from_fn(|c| {
                    let value = (u32::from(from[c]) * (n - 1 - t) + u32::from(to[c]) * t + (n - 1) / 2) / (n - 1);
                    value as u8
                })
            }
            Self::Checker { cell, a, b } => {
                if (x / cell + y / cell).is_multiple_of(2) {
                    *a
                } else {
                    *b
                }
            }
        }
    }

    /// Whether every pixel has the same colour.
    pub fn is_solid(&self) -> bool {
        matches!(self, Self::Solid { .. })
    }

    /// Tightly packed RGB8 pixels.
    pub fn rgb8(&self, width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                out.extend_from_slice(&self.pixel(x, y, width, height));
            }
        }
        out
    }
}

/// The verdict a case expects under one preset.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
pub struct ExpectedVerdict {
    /// Expected action.
    pub action: Action,
    /// Expected category (`None` for allow).
    pub category: Option<Category>,
}

/// One case of `oracle-cases.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct OracleCase {
    /// Case name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The image.
    pub image: ImageSpec,
    /// Scores the oracle gives.
    pub expected_scores: Scores,
    /// Verdict per preset name.
    pub expected: BTreeMap<String, ExpectedVerdict>,
}

/// One faulty-model case.
#[derive(Debug, Clone, Deserialize)]
pub struct FaultyCase {
    /// Pack directory under `tests/fixtures/oracle/`.
    pub pack: String,
    /// Case name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The image.
    pub image: ImageSpec,
    /// `"error"` or `"ok"`.
    pub expect: String,
    /// Scores for `"ok"` cases.
    pub expected_scores: Option<Scores>,
}

/// `oracle-cases.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct OracleCases {
    /// Allowed |Δ| per score.
    pub score_tolerance: f32,
    /// The presets as the file states them (rule form).
    pub presets: BTreeMap<String, serde_json::Value>,
    /// The cases.
    pub cases: Vec<OracleCase>,
    /// Faulty-model cases.
    pub faulty: Vec<FaultyCase>,
}

/// Reads `tests/fixtures/oracle/oracle-cases.json`.
pub fn oracle_cases() -> OracleCases {
    let text = std::fs::read_to_string(fixture("oracle/oracle-cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Largest |a − b| over the five scores.
pub fn max_score_diff(a: &Scores, b: &Scores) -> f32 {
    a.to_array()
        .iter()
        .zip(b.to_array())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// One case of `oracle-second-cases.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct SecondCase {
    /// Case name.
    pub name: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The image.
    pub image: ImageSpec,
    /// Mean colour (R, G, B, 0..=255) of the top-left 112×112 of the 224×224 crop, as PIL makes it.
    pub top_left_mean: [f64; 3],
    /// Expected score per label.
    pub expected_scores: BTreeMap<String, f32>,
    /// Wrong readings that move this case's nsfw score (informative).
    #[serde(default)]
    pub detects: Vec<String>,
}

/// `oracle-second-cases.json`: the second-opinion oracle's cases, expected values made with PIL.
#[derive(Debug, Clone, Deserialize)]
pub struct SecondCases {
    /// The pack directory under `tests/fixtures/oracle/`.
    pub pack: String,
    /// The pack's labels, in output order.
    pub labels: Vec<String>,
    /// Allowed |Δ| per score.
    pub score_tolerance: f32,
    /// Allowed |Δ| per channel of `top_left_mean`.
    pub mean_tolerance: f64,
    /// The cases.
    pub cases: Vec<SecondCase>,
}

/// Reads `tests/fixtures/oracle/oracle-second-cases.json`.
pub fn second_cases() -> SecondCases {
    let text = std::fs::read_to_string(fixture("oracle/oracle-second-cases.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The second-opinion oracle pack (`tests/fixtures/oracle/oracle-second`), not loaded yet.
pub fn second_opinion() -> safeframe::second_opinion::SecondOpinion {
    safeframe::second_opinion::SecondOpinion::from_dir(fixture("oracle/oracle-second"), &ClassifierOptions::default())
        .unwrap_or_else(|e| panic!("reading the oracle-second manifest: {e}"))
}
