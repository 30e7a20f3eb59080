//! The public vector set: every hash, dihedral hash and quality must equal
//! what Meta's reference `pdq-photo-hasher` printed (0 differing bits).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::{load_rgb8, vectors};
use safeframe::pdq::{PdqHash, PdqHasher, PixelFormat};

#[test]
fn vector_set_is_complete() {
    let v = vectors();
    assert_eq!(v.len(), 14);
    for row in &v {
        assert!(common::vectors_dir().join(&row.file).exists(), "{}", row.file);
    }
}

#[test]
fn every_vector_hash_and_quality_is_bit_exact() {
    let mut hasher = PdqHasher::new();
    let mut failures = Vec::new();
    for v in vectors() {
        let (rgb, w, h) = load_rgb8(&v.file);
        assert_eq!((w, h), (v.width, v.height), "{}", v.file);
        let r = hasher.hash_rgb8(&rgb, w, h, w * 3, PixelFormat::Rgb8).unwrap();
        let want = PdqHash::from_hex(&v.hash_hex).unwrap();
        let bits = r.hash.distance(&want);
        if bits != 0 || r.quality != v.quality {
            failures.push(format!(
                "{}: {} bits off, quality {} want {}",
                v.file, bits, r.quality, v.quality
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn every_vector_dihedral_hash_is_bit_exact() {
    let names = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"];
    let mut hasher = PdqHasher::new();
    let mut failures = Vec::new();
    for v in vectors() {
        let (rgb, w, h) = load_rgb8(&v.file);
        let d = hasher.hash_rgb8_dihedral(&rgb, w, h, w * 3, PixelFormat::Rgb8).unwrap();
        if d.quality != v.quality {
            failures.push(format!("{}: quality {} want {}", v.file, d.quality, v.quality));
        }
        for ((got, want), name) in d.hashes().iter().zip(&v.dihedral).zip(names) {
            let want = PdqHash::from_hex(want).unwrap();
            let bits = got.distance(&want);
            if bits != 0 {
                failures.push(format!("{} {name}: {bits} bits off", v.file));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
