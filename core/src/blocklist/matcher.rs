//! The matching rule: distance threshold and the low-quality rule.

use super::list::Blocklist;
use crate::pdq::{PdqDihedral, PdqHash};

/// Meta's recommended match threshold: Hamming distance ≤ 31 of 256 bits.
pub const DEFAULT_MAX_DISTANCE: u32 = 31;

/// Hashes with quality below this (0..=49) are low quality: Meta recommends
/// not matching them (flat or nearly featureless images collide easily).
pub const MIN_QUALITY: u8 = 50;

/// A blocklist entry close enough to a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match<'a> {
    /// The entry's label, if it has one.
    pub label: Option<&'a str>,
    /// Hamming distance between the entry and the query hash (0..=256).
    pub distance: u32,
    /// 0-based index of the entry in the list.
    pub entry_index: usize,
    /// Position of the matching hash in the query slice (for a
    /// [`PdqDihedral`]: 0 = orig, 1 = rot90, … 7 = flipm).
    pub which_hash: usize,
}

/// What a [`Matcher`] decided for one image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOutcome<'a> {
    /// Quality below the minimum and low quality not allowed: not searched.
    LowQuality {
        /// The hash's quality.
        quality: u8,
    },
    /// Searched; nothing within the distance.
    NoMatch {
        /// Whether the hash was low quality (searched because allowed).
        low_quality: bool,
    },
    /// Searched; the nearest entry within the distance.
    Matched {
        /// The nearest entry.
        found: Match<'a>,
        /// Whether the hash was low quality (searched because allowed).
        low_quality: bool,
    },
}

impl<'a> MatchOutcome<'a> {
    /// The match, if any.
    pub fn found(&self) -> Option<&Match<'a>> {
        match self {
            MatchOutcome::Matched { found, .. } => Some(found),
            _ => None,
        }
    }
}

/// Options of a [`Matcher`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchOptions {
    /// Largest Hamming distance that still matches (default 31).
    pub max_distance: u32,
    /// Qualities below this are low quality (default 50).
    pub min_quality: u8,
    /// Search low-quality hashes too (default false: report them as
    /// [`MatchOutcome::LowQuality`] without searching).
    pub allow_low_quality: bool,
    /// Match all 8 dihedral hashes of a frame (default true), so rotated and mirrored copies
    /// of listed content match too; `false` matches the frame's own hash only (faster).
    pub dihedral: bool,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            max_distance: DEFAULT_MAX_DISTANCE,
            min_quality: MIN_QUALITY,
            allow_low_quality: false,
            dihedral: true,
        }
    }
}

/// Applies the matching rule (threshold + quality) against a [`Blocklist`].
///
/// ```
/// use safeframe::blocklist::{Blocklist, MatchOutcome, Matcher};
/// use safeframe::pdq::{PdqHash, PdqHasher, PixelFormat};
///
/// let (w, h) = (64, 48);
/// let rgb: Vec<u8> = (0..w * h * 3).map(|i| ((i * 37) % 256) as u8).collect();
/// let frame = PdqHasher::new().hash_rgb8_dihedral(&rgb, w, h, w * 3, PixelFormat::Rgb8)?;
/// let list = Blocklist::from_entries([(frame.orig, Some("test"))])?;
/// match Matcher::default().check(&list, &frame) {
///     MatchOutcome::Matched { found, .. } => assert_eq!(found.distance, 0),
///     MatchOutcome::LowQuality { quality } => assert!(quality < 50),
///     MatchOutcome::NoMatch { .. } => unreachable!(),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Matcher {
    /// The rule's parameters.
    pub options: MatchOptions,
}

impl Matcher {
    /// A matcher with the given options.
    pub fn new(options: MatchOptions) -> Self {
        Matcher { options }
    }

    /// Matches a frame's 8 dihedral hashes in one pass ([`MatchOptions::dihedral`]), or only
    /// its own hash.
    pub fn check<'a>(&self, list: &'a Blocklist, frame: &PdqDihedral) -> MatchOutcome<'a> {
        if self.options.dihedral {
            self.check_hashes(list, &frame.hashes(), frame.quality)
        } else {
            self.check_hashes(list, &[frame.orig], frame.quality)
        }
    }

    /// Matches any set of query hashes that share one quality.
    pub fn check_hashes<'a>(&self, list: &'a Blocklist, hashes: &[PdqHash], quality: u8) -> MatchOutcome<'a> {
        let low_quality = quality < self.options.min_quality;
        if low_quality && !self.options.allow_low_quality {
            return MatchOutcome::LowQuality { quality };
        }
        match list.match_query(hashes, self.options.max_distance) {
            Some(found) => MatchOutcome::Matched { found, low_quality },
            None => MatchOutcome::NoMatch { low_quality },
        }
    }
}
