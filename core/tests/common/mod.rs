//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// Directory of the public PDQ vector set.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/pdq-vectors")
}

/// Decodes a PNG of the vector set to packed RGB8: (pixels, width, height).
pub fn load_rgb8(file: &str) -> (Vec<u8>, usize, usize) {
    let img = image::open(vectors_dir().join(file)).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    (img.into_raw(), w as usize, h as usize)
}

/// One row of vectors.tsv.
pub struct Vector {
    pub file: String,
    pub width: usize,
    pub height: usize,
    pub hash_hex: String,
    pub quality: u8,
    /// orig, rot90, rot180, rot270, flipx, flipy, flipp, flipm
    pub dihedral: [String; 8],
}

pub fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(vectors_dir().join("vectors.tsv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(
        header,
        [
            "file", "width", "height", "hash_hex", "quality", "orig", "rot90", "rot180", "rot270", "flipx", "flipy",
            "flipp", "flipm"
        ]
    );
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            assert_eq!(c.len(), 13, "bad row {l}");
            Vector {
                file: c[0].to_string(),
                width: c[1].parse().unwrap(),
                height: c[2].parse().unwrap(),
                hash_hex: c[3].to_string(),
                quality: c[4].parse().unwrap(),
                dihedral: std::array::from_fn(|i| c[5 + i].to_string()),
            }
        })
        .collect()
}

/// Deterministic 64-bit generator (SplitMix64) for seeded test data.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
