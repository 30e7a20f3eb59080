//! Known-content blocklists (PDQ hashes) as a foreign object.

use std::sync::Arc;

use safeframe::blocklist::{Blocklist as CoreBlocklist, MatchOptions, DEFAULT_MAX_DISTANCE, MIN_QUALITY};
use safeframe::known::KnownContent;

use crate::error::SafeFrameError;

/// How frames are matched against a [`Blocklist`]. Every field has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct BlocklistOptions {
    /// Largest Hamming distance (of 256 bits) that still matches, 0 to 256 (default 31, Meta's
    /// recommendation for PDQ).
    #[uniffi(default = 31)]
    pub max_distance: i32,
    /// Frames whose hash quality (0–100) is below this are not matched (default 50): flat or
    /// featureless frames hash unreliably.
    #[uniffi(default = 50)]
    pub min_quality: i32,
    /// Match low-quality hashes too (default false).
    #[uniffi(default = false)]
    pub allow_low_quality: bool,
    /// Also match rotated and mirrored copies (all 8 dihedral hashes; default true).
    #[uniffi(default = true)]
    pub dihedral: bool,
}

impl Default for BlocklistOptions {
    fn default() -> Self {
        Self {
            max_distance: DEFAULT_MAX_DISTANCE as i32,
            min_quality: i32::from(MIN_QUALITY),
            allow_low_quality: false,
            dihedral: true,
        }
    }
}

impl BlocklistOptions {
    fn to_core(self) -> Result<MatchOptions, SafeFrameError> {
        let max_distance = u32::try_from(self.max_distance)
            .ok()
            .filter(|&d| d <= 256)
            .ok_or_else(|| {
                SafeFrameError::invalid_argument(format!("max_distance must be 0..=256, got {}", self.max_distance))
            })?;
        let min_quality = u8::try_from(self.min_quality)
            .ok()
            .filter(|&q| q <= 100)
            .ok_or_else(|| {
                SafeFrameError::invalid_argument(format!("min_quality must be 0..=100, got {}", self.min_quality))
            })?;
        Ok(MatchOptions {
            max_distance,
            min_quality,
            allow_low_quality: self.allow_low_quality,
            dihedral: self.dihedral,
        })
    }
}

/// A list of PDQ hashes of known content, with its matching options. A frame that matches an
/// entry is blocked whatever the classifier says; its verdict has category `Known` and
/// `known` names the entry.
///
/// Attach it with `SafeFrameFilter.withBlocklist(list)`; streams made from that filter use it
/// too. Immutable and thread-safe; one list can serve several filters.
///
/// ```kotlin
/// val list = Blocklist.fromFile("/data/local/blocklist.txt", BlocklistOptions())
/// val guarded = filter.withBlocklist(list)   // same model, plus the list
/// ```
#[derive(Debug, uniffi::Object)]
pub struct Blocklist {
    list: Arc<CoreBlocklist>,
    options: MatchOptions,
}

#[uniffi::export]
impl Blocklist {
    /// Loads a blocklist file: the text form (one 64-hex-digit PDQ hash per line, an optional
    /// label after it, `#` comments) or the binary form (`PDQBLST` magic).
    #[uniffi::constructor]
    pub fn from_file(path: String, options: BlocklistOptions) -> Result<Arc<Self>, SafeFrameError> {
        let options = options.to_core()?;
        let list = CoreBlocklist::load(&path).map_err(safeframe::SafeFrameError::from)?;
        Ok(Arc::new(Self {
            list: Arc::new(list),
            options,
        }))
    }

    /// Parses a blocklist held in memory (text or binary form, as [`Blocklist::from_file`]).
    #[uniffi::constructor]
    pub fn from_bytes(bytes: Vec<u8>, options: BlocklistOptions) -> Result<Arc<Self>, SafeFrameError> {
        let options = options.to_core()?;
        let list = CoreBlocklist::from_bytes(&bytes).map_err(safeframe::SafeFrameError::from)?;
        Ok(Arc::new(Self {
            list: Arc::new(list),
            options,
        }))
    }

    /// The number of entries.
    pub fn len(&self) -> i64 {
        i64::try_from(self.list.len()).unwrap_or(i64::MAX)
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The label of entry `entry` (0-based, as `KnownMatch.entry` gives it), if it has one.
    pub fn label(&self, entry: u32) -> Option<String> {
        self.list.get(entry as usize).and_then(|e| e.label).map(str::to_owned)
    }
}

impl Blocklist {
    /// A matcher for one filter or stream (each gets its own hasher; the list is shared).
    pub(crate) fn known_content(&self) -> KnownContent {
        KnownContent::new(Arc::clone(&self.list), self.options)
    }
}
