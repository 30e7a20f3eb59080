//! PDQ perceptual hashing, bit-exact with Meta's reference `pdq-photo-hasher`.
//!
//! [`PdqHasher`] turns borrowed pixels (packed RGB/BGR/RGBA/BGRA/ARGB or an
//! 8-bit Y plane, any row stride) into a 256-bit [`PdqHash`] and a quality
//! 0..=100, or into all eight dihedral hashes ([`PdqDihedral`]) from one DCT.
//! On the same decoded RGB pixels the hash, the dihedral hashes and the
//! quality equal what the reference C++ CLI prints, bit for bit: the crate's
//! tests check this on the public vector set in `tests/fixtures/pdq-vectors`.
//!
//! What makes that possible (all read from the reference source):
//! - images with a side above 512 are first resized to 512x512 by nearest
//!   neighbour (CImg's `resize(512, 512)`), read straight from the caller's
//!   buffer without a copy;
//! - every float step is `f32` in the reference's order, with no fused
//!   multiply-add: luma `0.299*R + 0.587*G + 0.114*B`, the Jarosz box filter,
//!   the centre sampling, the DCT sums, Torben's median;
//! - the reference's special cases: < 5 px → zero hash and quality 0;
//!   a 64x64 image skips the filter for the plain hash (not the dihedral one).
//!
//! Matching: two hashes are the same picture when their Hamming distance is
//! at most 31; hashes with quality below 50 should not be matched (see
//! [`crate::blocklist`]).

mod dct;
mod error;
mod filter;
mod hash;
mod hasher;
mod luma;

pub use error::PdqError;
pub use hash::{HexError, PdqHash, PDQ_HEX_LEN};
pub use hasher::{
    hash_luma8, hash_luma8_dihedral, hash_rgb8, hash_rgb8_dihedral, PdqDihedral, PdqHasher, PdqResult,
    MIN_HASHABLE_DIM, PRE_RESIZE,
};
pub use luma::{ChromaPlane, PixelFormat};
