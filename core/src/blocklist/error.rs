//! Errors from loading, parsing and writing blocklists.

use crate::pdq::HexError;

/// A blocklist that could not be read, parsed or written.
#[derive(Debug, thiserror::Error)]
pub enum BlocklistError {
    /// Reading or writing a file or stream failed.
    #[error("blocklist I/O on {what}: {source}")]
    Io {
        /// The file (or stream) involved.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a text blocklist is not valid; nothing was loaded.
    #[error("blocklist line {line}: {kind}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        kind: LineError,
    },
    /// A binary blocklist is damaged or of another format.
    #[error("binary blocklist: {0}")]
    Binary(#[from] BinaryError),
    /// More entries than an index can address.
    #[error("blocklist has more than {max} entries; split it")]
    TooManyEntries {
        /// Largest supported number of entries.
        max: u64,
    },
    /// The labels together exceed the 4 GiB label table.
    #[error("blocklist labels total more than 4 GiB; shorten them")]
    LabelsTooLarge,
}

/// What is wrong with one line of a text blocklist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// The first word is not a 64-digit hex PDQ hash.
    #[error("expected a 64-hex-digit PDQ hash first: {0}")]
    BadHash(#[from] HexError),
    /// The label is not valid UTF-8.
    #[error("label is not valid UTF-8")]
    LabelNotUtf8,
    /// The label contains a control character.
    #[error("label contains a control character")]
    LabelControlChar,
}

/// What is wrong with a binary blocklist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    /// The file does not start with the binary magic.
    #[error("not a binary PDQ blocklist (bad magic)")]
    BadMagic,
    /// Written by a newer version of the format.
    #[error("format version {0} is not supported (this build reads version 1)")]
    UnsupportedVersion(u16),
    /// Flags this build does not know are set.
    #[error("unknown flags {0:#06x}")]
    UnknownFlags(u16),
    /// The file is shorter than its header says.
    #[error("truncated: {section} ends early")]
    Truncated {
        /// Which part is cut off.
        section: &'static str,
    },
    /// Bytes follow the label table.
    #[error("unexpected bytes after the label table")]
    TrailingBytes,
    /// The CRC-32 of the body does not match the header.
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x}); the file is damaged")]
    ChecksumMismatch {
        /// CRC-32 stored in the header.
        stored: u32,
        /// CRC-32 of the body as read.
        computed: u32,
    },
    /// Label end offsets decrease or point past the label bytes.
    #[error("label offsets of entry {entry} are invalid")]
    BadLabelOffsets {
        /// 0-based entry index.
        entry: usize,
    },
    /// The label bytes are not UTF-8 or a label splits a character.
    #[error("label table is not valid UTF-8")]
    LabelsNotUtf8,
}
