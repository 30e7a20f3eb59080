//! `Blocklist`: the entries, their labels and the search index.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read};
use std::path::Path;

use super::binary::{read_binary, write_binary, BINARY_MAGIC};
use super::error::BlocklistError;
use super::index::{MihIndex, Packed, MAX_INDEXED_DISTANCE};
use super::matcher::Match;
use super::scan::{self, Strategy};
use super::text::{parse_text, parse_text_reader};
use crate::pdq::PdqHash;

/// Lists shorter than this are searched linearly and get no index (a scan
/// of so few entries is as fast as probing the tables).
pub const INDEX_MIN_ENTRIES: usize = 1024;

/// Most entries a list can hold (entry numbers are 32-bit).
pub const MAX_ENTRIES: usize = u32::MAX as usize;

/// A list of known PDQ hashes with optional labels, ready to match.
///
/// Load it from the text or binary form ([`Blocklist::load`],
/// [`Blocklist::from_bytes`]) or build it from entries; every entry is
/// validated first and a bad one rejects the whole list. Matching
/// ([`Blocklist::match_query`]) returns the nearest entry within a Hamming
/// distance over several query hashes (e.g. the 8 dihedral hashes of a
/// frame), using a multi-index hashing table for lists of
/// [`INDEX_MIN_ENTRIES`] or more.
///
/// ```
/// use safeframe::blocklist::{Blocklist, DEFAULT_MAX_DISTANCE};
/// use safeframe::pdq::PdqHash;
///
/// let text = "# known images\n\
///     d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22 bridge # from the vectors\n";
/// let list = Blocklist::from_bytes(text.as_bytes())?;
/// let mut q = list.get(0).unwrap().hash;
/// q.0[31] ^= 0b111; // 3 bits away
/// let m = list.match_query(&[PdqHash::ZERO, q], DEFAULT_MAX_DISTANCE).unwrap();
/// assert_eq!((m.label, m.distance, m.entry_index, m.which_hash), (Some("bridge"), 3, 0, 1));
/// # Ok::<(), safeframe::blocklist::BlocklistError>(())
/// ```
pub struct Blocklist {
    hashes: Vec<Packed>,
    label_ends: Vec<u32>,
    labels: String,
    index: Option<MihIndex>,
}

/// One entry of a blocklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The listed hash.
    pub hash: PdqHash,
    /// Its label, if the list gave one.
    pub label: Option<&'a str>,
}

impl std::fmt::Debug for Blocklist {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocklist")
            .field("len", &self.len())
            .field("indexed", &self.index.is_some())
            .finish()
    }
}

/// Collects entries while loading; `finish` builds the index.
pub(crate) struct Builder {
    hashes: Vec<Packed>,
    label_ends: Vec<u32>,
    labels: String,
}

impl Builder {
    pub(crate) fn new() -> Self {
        Builder {
            hashes: Vec::new(),
            label_ends: Vec::new(),
            labels: String::new(),
        }
    }

    /// A builder with room for `entries` entries (a hint; it still grows).
    pub(crate) fn with_capacity(entries: usize) -> Self {
        Builder {
            hashes: Vec::with_capacity(entries),
            label_ends: Vec::with_capacity(entries),
            labels: String::new(),
        }
    }

    pub(crate) fn from_parts(hashes: Vec<Packed>, label_ends: Vec<u32>, labels: String) -> Self {
        Builder {
            hashes,
            label_ends,
            labels,
        }
    }

    pub(crate) fn push(&mut self, hash: PdqHash, label: &str) -> Result<(), BlocklistError> {
        // Compared as u64: on 32-bit targets MAX_ENTRIES is usize::MAX, and a usize comparison
        // with it is one clippy refuses as always true or false.
        if self.hashes.len() as u64 >= MAX_ENTRIES as u64 {
            return Err(BlocklistError::TooManyEntries {
                max: MAX_ENTRIES as u64,
            });
        }
        self.labels.push_str(label);
        let end = u32::try_from(self.labels.len()).map_err(|_| BlocklistError::LabelsTooLarge)?;
        self.hashes.push(Packed(hash.to_u64s()));
        self.label_ends.push(end);
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<Blocklist, BlocklistError> {
        if self.hashes.len() as u64 > MAX_ENTRIES as u64 {
            return Err(BlocklistError::TooManyEntries {
                max: MAX_ENTRIES as u64,
            });
        }
        self.hashes.shrink_to_fit();
        self.label_ends.shrink_to_fit();
        self.labels.shrink_to_fit();
        let index = (self.hashes.len() >= INDEX_MIN_ENTRIES).then(|| MihIndex::build(&self.hashes));
        Ok(Blocklist {
            hashes: self.hashes,
            label_ends: self.label_ends,
            labels: self.labels,
            index,
        })
    }
}

fn open(path: &Path) -> Result<BufReader<File>, BlocklistError> {
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(|source| BlocklistError::Io {
            what: path.display().to_string(),
            source,
        })
}

impl Blocklist {
    /// Builds a list from `(hash, label)` pairs; an empty label means none.
    pub fn from_entries<I, S>(entries: I) -> Result<Self, BlocklistError>
    where
        I: IntoIterator<Item = (PdqHash, Option<S>)>,
        S: AsRef<str>,
    {
        let mut b = Builder::new();
        for (hash, label) in entries {
            b.push(hash, label.as_ref().map_or("", |s| s.as_ref()))?;
        }
        b.finish()
    }

    /// Parses a list held in memory: the binary form if it starts with
    /// [`BINARY_MAGIC`], the text form otherwise.
    pub fn from_bytes(data: &[u8]) -> Result<Self, BlocklistError> {
        if data.starts_with(&BINARY_MAGIC) {
            read_binary(data, "memory")
        } else {
            Self::from_text(data)
        }
    }

    /// Parses the text form (see the [module docs](crate::blocklist)).
    pub fn from_text(data: &[u8]) -> Result<Self, BlocklistError> {
        let mut b = Builder::new();
        parse_text(data, &mut b)?;
        b.finish()
    }

    /// Reads the binary form from a stream.
    pub fn read_binary<R: Read>(reader: R) -> Result<Self, BlocklistError> {
        read_binary(reader, "stream")
    }

    /// Loads a list file, binary or text (chosen by the magic bytes). The
    /// file is streamed: memory use stays near the final list size.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, BlocklistError> {
        let path = path.as_ref();
        let what = path.display().to_string();
        let mut r = open(path)?;
        let head = std::io::BufRead::fill_buf(&mut r).map_err(|source| BlocklistError::Io {
            what: what.clone(),
            source,
        })?;
        if head.starts_with(&BINARY_MAGIC) {
            read_binary(r, &what)
        } else {
            // Each entry line has at least 65 bytes (hash + newline); reserving
            // for that many avoids growing (and leaving freed copies behind).
            // Reserved pages that are never written cost no memory, and
            // `finish` gives back the unused part.
            let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let estimate = usize::try_from((len / 65 + 1).min(MAX_ENTRIES as u64)).unwrap_or(0);
            let mut b = Builder::with_capacity(estimate.min(64 << 20));
            parse_text_reader(r, &what, &mut b)?;
            b.finish()
        }
    }

    /// The binary form as bytes.
    pub fn to_binary(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + 36 * self.len() + self.labels.len());
        // Writing to a Vec cannot fail; a (theoretical) size error leaves
        // the output empty, which any reader rejects.
        if write_binary(self, &mut out, "memory").is_err() {
            out.clear();
        }
        out
    }

    /// Writes the binary form to a file (created or truncated).
    pub fn write_binary(&self, path: impl AsRef<Path>) -> Result<(), BlocklistError> {
        let path = path.as_ref();
        let what = path.display().to_string();
        let f = File::create(path).map_err(|source| BlocklistError::Io {
            what: what.clone(),
            source,
        })?;
        write_binary(self, BufWriter::with_capacity(1 << 16, f), &what)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the list has no entries.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Whether a multi-index table was built (lists of [`INDEX_MIN_ENTRIES`] or more).
    pub fn is_indexed(&self) -> bool {
        self.index.is_some()
    }

    /// Approximate heap bytes held (hashes, labels, index).
    pub fn heap_bytes(&self) -> usize {
        32 * self.hashes.capacity()
            + 4 * self.label_ends.capacity()
            + self.labels.capacity()
            + self.index.as_ref().map_or(0, MihIndex::heap_bytes)
    }

    /// Entry `i` (0-based, in list order).
    pub fn get(&self, i: usize) -> Option<Entry<'_>> {
        let h = self.hashes.get(i)?;
        Some(Entry {
            hash: PdqHash::from_u64s(h.0),
            label: self.label(i),
        })
    }

    /// All entries in list order.
    pub fn iter(&self) -> impl Iterator<Item = Entry<'_>> + '_ {
        (0..self.len()).filter_map(move |i| self.get(i))
    }

    fn label(&self, i: usize) -> Option<&str> {
        let end = *self.label_ends.get(i)? as usize;
        let start = match i {
            0 => 0,
            _ => *self.label_ends.get(i - 1)? as usize,
        };
        self.labels.get(start..end).filter(|s| !s.is_empty())
    }

    pub(crate) fn raw_parts(&self) -> (&[Packed], &[u32], &str) {
        (&self.hashes, &self.label_ends, &self.labels)
    }

    /// The nearest entry within `max_distance` bits of any of the query
    /// hashes, or `None`. Ties go to the lowest entry index, then the
    /// lowest query position. Quality is not looked at here; use a
    /// [`Matcher`](crate::blocklist::Matcher) for the full rule.
    pub fn match_query(&self, query_hashes: &[PdqHash], max_distance: u32) -> Option<Match<'_>> {
        let how = match &self.index {
            Some(ix) if max_distance <= MAX_INDEXED_DISTANCE => Strategy::Index(ix),
            _ => Strategy::Linear,
        };
        self.search(query_hashes, max_distance, how, false)
    }

    /// Same result as [`Blocklist::match_query`] by comparing with every
    /// entry (the oracle for the index, and the baseline in benchmarks).
    pub fn match_query_linear(&self, query_hashes: &[PdqHash], max_distance: u32) -> Option<Match<'_>> {
        self.search(query_hashes, max_distance, Strategy::Linear, false)
    }

    /// [`Blocklist::match_query`] without run-time popcount dispatch, to
    /// measure what the dispatch gains. Same result. A test hook: only with
    /// the `test-hooks` feature, not part of the API.
    #[cfg(feature = "test-hooks")]
    pub fn match_query_portable(&self, query_hashes: &[PdqHash], max_distance: u32, linear: bool) -> Option<Match<'_>> {
        let how = match &self.index {
            Some(ix) if !linear && max_distance <= MAX_INDEXED_DISTANCE => Strategy::Index(ix),
            _ => Strategy::Linear,
        };
        self.search(query_hashes, max_distance, how, true)
    }

    fn search(&self, query_hashes: &[PdqHash], max_distance: u32, how: Strategy, portable: bool) -> Option<Match<'_>> {
        let mut q = [[0u64; 4]; 8];
        let mut best = None;
        // Queries go in groups of 8 (a frame's dihedral set) without allocating.
        for (g, group) in query_hashes.chunks(8).enumerate() {
            for (dst, h) in q.iter_mut().zip(group) {
                *dst = h.to_u64s();
            }
            let qs = &q[..group.len()];
            let found = match portable {
                #[cfg(feature = "test-hooks")]
                true => scan::nearest_portable(&self.hashes, qs, max_distance, how),
                _ => scan::nearest(&self.hashes, qs, max_distance, how),
            };
            if let Some((d, e, w)) = found {
                let cand = (d, e, w + 8 * g as u32);
                super::index::consider(&mut best, cand);
            }
        }
        let (distance, entry, which) = best?;
        let entry_index = entry as usize;
        Some(Match {
            label: self.label(entry_index),
            distance,
            entry_index,
            which_hash: which as usize,
        })
    }
}
