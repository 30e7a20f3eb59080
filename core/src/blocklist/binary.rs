//! The compact binary form (version 1); layout in the module docs of
//! `crate::blocklist`. All integers are little-endian.

use std::io::{Read, Write};

use super::error::{BinaryError, BlocklistError};
use super::index::Packed;
use super::list::{Blocklist, Builder};
use crate::pdq::PdqHash;

/// First 8 bytes of a binary blocklist.
pub const BINARY_MAGIC: [u8; 8] = *b"PDQBLST\0";
/// The binary format version this build writes and reads.
pub const BINARY_VERSION: u16 = 1;
const HEADER_LEN: usize = 24;

fn io_err(what: &str) -> impl Fn(std::io::Error) -> BlocklistError + '_ {
    move |source| BlocklistError::Io {
        what: what.to_string(),
        source,
    }
}

/// Writes `list` in the binary form.
pub(crate) fn write_binary<W: Write>(list: &Blocklist, mut w: W, what: &str) -> Result<(), BlocklistError> {
    let n = u32::try_from(list.len()).map_err(|_| BlocklistError::TooManyEntries {
        max: u64::from(u32::MAX),
    })?;
    let (hashes, ends, labels) = list.raw_parts();
    let l = u32::try_from(labels.len()).map_err(|_| BlocklistError::LabelsTooLarge)?;
    let mut crc = crc32fast::Hasher::new();
    for h in hashes {
        crc.update(&PdqHash::from_u64s(h.0).0);
    }
    for e in ends {
        crc.update(&e.to_le_bytes());
    }
    crc.update(labels.as_bytes());

    let mut header = [0u8; HEADER_LEN];
    header[..8].copy_from_slice(&BINARY_MAGIC);
    header[8..10].copy_from_slice(&BINARY_VERSION.to_le_bytes());
    header[12..16].copy_from_slice(&n.to_le_bytes());
    header[16..20].copy_from_slice(&l.to_le_bytes());
    header[20..24].copy_from_slice(&crc.finalize().to_le_bytes());
    let err = io_err(what);
    w.write_all(&header).map_err(&err)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    for chunk in hashes.chunks(2048) {
        buf.clear();
        for h in chunk {
            buf.extend_from_slice(&PdqHash::from_u64s(h.0).0);
        }
        w.write_all(&buf).map_err(&err)?;
    }
    for chunk in ends.chunks(16 * 1024) {
        buf.clear();
        for e in chunk {
            buf.extend_from_slice(&e.to_le_bytes());
        }
        w.write_all(&buf).map_err(&err)?;
    }
    w.write_all(labels.as_bytes()).map_err(&err)?;
    w.flush().map_err(&err)
}

/// Reads exactly `buf.len()` bytes or reports which section is cut short.
fn read_section<R: Read>(r: &mut R, buf: &mut [u8], section: &'static str, what: &str) -> Result<(), BlocklistError> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            BlocklistError::Binary(BinaryError::Truncated { section })
        } else {
            io_err(what)(e)
        }
    })
}

fn le_u16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}
fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Reads a binary blocklist from a stream, validating header, sizes, label
/// offsets, UTF-8 and the checksum. Memory use stays at the final size.
pub(crate) fn read_binary<R: Read>(mut r: R, what: &str) -> Result<Blocklist, BlocklistError> {
    let mut header = [0u8; HEADER_LEN];
    read_section(&mut r, &mut header, "header", what)?;
    if header[..8] != BINARY_MAGIC {
        return Err(BinaryError::BadMagic.into());
    }
    let version = le_u16(&header[8..10]);
    if version != BINARY_VERSION {
        return Err(BinaryError::UnsupportedVersion(version).into());
    }
    let flags = le_u16(&header[10..12]);
    if flags != 0 {
        return Err(BinaryError::UnknownFlags(flags).into());
    }
    let n = le_u32(&header[12..16]) as usize;
    let l = le_u32(&header[16..20]) as usize;
    let stored = le_u32(&header[20..24]);
    let mut crc = crc32fast::Hasher::new();

    // Grow the vectors as data arrives, so a forged count cannot make us
    // allocate gigabytes for a short file.
    let mut hashes: Vec<Packed> = Vec::with_capacity(n.min(1 << 20));
    let mut buf = vec![0u8; 32 * 2048];
    let mut left = n;
    while left > 0 {
        let k = left.min(2048);
        let chunk = &mut buf[..32 * k];
        read_section(&mut r, chunk, "hashes", what)?;
        crc.update(chunk);
        for h in chunk.chunks_exact(32) {
            let mut a = [0u8; 32];
            a.copy_from_slice(h);
            hashes.push(Packed(PdqHash(a).to_u64s()));
        }
        left -= k;
    }
    let mut ends: Vec<u32> = Vec::with_capacity(n.min(1 << 20));
    let mut left = n;
    let mut prev = 0u32;
    while left > 0 {
        let k = left.min(8192);
        let chunk = &mut buf[..4 * k];
        read_section(&mut r, chunk, "label offsets", what)?;
        crc.update(chunk);
        for e in chunk.chunks_exact(4) {
            let end = le_u32(e);
            if end < prev || end as usize > l {
                return Err(BinaryError::BadLabelOffsets { entry: ends.len() }.into());
            }
            prev = end;
            ends.push(end);
        }
        left -= k;
    }
    if prev as usize != l {
        return Err(BinaryError::BadLabelOffsets {
            entry: n.saturating_sub(1),
        }
        .into());
    }
    let mut label_bytes = Vec::with_capacity(l.min(1 << 24));
    let got = r
        .by_ref()
        .take(l as u64)
        .read_to_end(&mut label_bytes)
        .map_err(io_err(what))?;
    if got != l {
        return Err(BinaryError::Truncated { section: "labels" }.into());
    }
    crc.update(&label_bytes);
    let mut probe = [0u8; 1];
    if r.read(&mut probe).map_err(io_err(what))? != 0 {
        return Err(BinaryError::TrailingBytes.into());
    }
    let computed = crc.finalize();
    if computed != stored {
        return Err(BinaryError::ChecksumMismatch { stored, computed }.into());
    }
    let labels = String::from_utf8(label_bytes).map_err(|_| BinaryError::LabelsNotUtf8)?;
    if ends.iter().any(|&e| !labels.is_char_boundary(e as usize)) {
        return Err(BinaryError::LabelsNotUtf8.into());
    }
    Builder::from_parts(hashes, ends, labels).finish()
}
