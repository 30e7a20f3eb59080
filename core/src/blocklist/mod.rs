//! Blocklists of PDQ hashes: loading, the binary form, and matching.
//!
//! # Text form
//!
//! UTF-8 text, one entry per line:
//!
//! ```text
//! # Lines starting with '#' are comments; blank lines are ignored.
//! d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22
//! 6aceec1ecb52b54e06d4f368a97d82a48deb7d344090727b32a1f8813e3b6d26 gradient-test  # trailing comment
//! ```
//!
//! - The first word is the hash: exactly 64 hex digits (either case), as
//!   `pdq-photo-hasher` prints it ([`PdqHash::to_hex`](crate::pdq::PdqHash::to_hex)).
//! - After whitespace, the rest of the line up to a trailing comment is the
//!   entry's label (inner spaces kept, outer whitespace trimmed; no control
//!   characters). A trailing comment starts at a `#` that begins a word,
//!   so a label cannot contain ` #`.
//! - Leading and trailing whitespace, `\r\n` line ends and a UTF-8 BOM are
//!   accepted.
//! - Any other line is an error, reported with its 1-based line number
//!   ([`BlocklistError::Line`]); nothing is loaded then.
//!
//! # Binary form
//!
//! A compact form that loads without parsing hex: magic `PDQBLST\0`,
//! version, count, CRC-32, then the packed 32-byte hashes and a label
//! table. Layout (little-endian):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 8 | magic `PDQBLST\0` |
//! | 8 | 2 | version = 1 |
//! | 10 | 2 | flags = 0 |
//! | 12 | 4 | entry count `N` |
//! | 16 | 4 | label bytes `L` |
//! | 20 | 4 | CRC-32 (IEEE) of all bytes after the header |
//! | 24 | 32·N | hashes, 32 bytes each in hex order (byte i = hex digits 2i, 2i+1) |
//! | 24+32N | 4·N | label end offsets: label i is `labels[end(i-1)..end(i)]`, `end(-1) = 0`; empty means no label |
//! | 24+36N | L | labels, UTF-8, concatenated |
//!
//! # Matching
//!
//! [`Blocklist::match_query`] returns the nearest entry within a distance
//! over several query hashes (a frame's 8 dihedral hashes).
//! [`Matcher`] adds Meta's rule: distance ≤ [`DEFAULT_MAX_DISTANCE`] (31),
//! and hashes with quality < [`MIN_QUALITY`] (50) reported as low quality
//! and searched only when [`MatchOptions::allow_low_quality`] is set.
//! Lists of [`INDEX_MIN_ENTRIES`] or more use a multi-index hashing table
//! (16 chunks of 16 bits; see the `index` module source) that returns the
//! same answer as a linear scan.

mod binary;
mod error;
mod index;
mod list;
mod matcher;
mod scan;
mod text;

pub use binary::{BINARY_MAGIC, BINARY_VERSION};
pub use error::{BinaryError, BlocklistError, LineError};
pub use list::{Blocklist, Entry, INDEX_MIN_ENTRIES, MAX_ENTRIES};
pub use matcher::{Match, MatchOptions, MatchOutcome, Matcher, DEFAULT_MAX_DISTANCE, MIN_QUALITY};
