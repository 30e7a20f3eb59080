//! The text form: one hash per line, optional label, `#` comments.

use std::io::BufRead;

use super::error::{BlocklistError, LineError};
use super::list::Builder;
use crate::pdq::{PdqHash, PDQ_HEX_LEN};

/// Parses one line into the builder; blank and comment lines add nothing.
fn parse_line(builder: &mut Builder, line_no: usize, raw: &[u8]) -> Result<(), BlocklistError> {
    let line_err = |kind| BlocklistError::Line { line: line_no, kind };
    let mut line = raw.strip_suffix(b"\n").unwrap_or(raw);
    line = line.strip_suffix(b"\r").unwrap_or(line);
    if line_no == 1 {
        line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line); // UTF-8 BOM
    }
    let line = line.trim_ascii();
    if line.is_empty() || line[0] == b'#' {
        return Ok(());
    }
    let end = line.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(line.len());
    let (token, rest) = line.split_at(end);
    let hash = if token.len() == PDQ_HEX_LEN {
        PdqHash::from_hex_bytes(token)
    } else {
        // A hash glued to a comment ("…ff#x") is reported as a wrong length.
        Err(crate::pdq::HexError::WrongLength { len: token.len() })
    }
    .map_err(|e| line_err(LineError::BadHash(e)))?;

    // Label: the rest up to a `#` that starts a word (a trailing comment).
    let rest = rest.trim_ascii_start();
    let mut label_end = rest.len();
    let mut from = 0;
    while let Some(p) = rest[from..].iter().position(|&b| b == b'#') {
        let i = from + p;
        if i == 0 || rest[i - 1].is_ascii_whitespace() {
            label_end = i;
            break;
        }
        from = i + 1;
    }
    let label_bytes = rest[..label_end].trim_ascii_end();
    let label = if label_bytes.is_ascii() {
        if label_bytes.iter().any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(line_err(LineError::LabelControlChar));
        }
        // ASCII is UTF-8.
        std::str::from_utf8(label_bytes).map_err(|_| line_err(LineError::LabelNotUtf8))?
    } else {
        let label = std::str::from_utf8(label_bytes).map_err(|_| line_err(LineError::LabelNotUtf8))?;
        if label.chars().any(|c| c.is_control() && c != '\t') {
            return Err(line_err(LineError::LabelControlChar));
        }
        label
    };
    builder.push(hash, label)
}

/// Parses a whole text blocklist held in memory.
pub(crate) fn parse_text(data: &[u8], builder: &mut Builder) -> Result<(), BlocklistError> {
    if data.is_empty() {
        return Ok(());
    }
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        parse_line(builder, i + 1, line)?;
    }
    Ok(())
}

/// Parses a text blocklist from a stream, one line at a time (the text is
/// never held in memory whole).
pub(crate) fn parse_text_reader<R: BufRead>(
    mut reader: R,
    what: &str,
    builder: &mut Builder,
) -> Result<(), BlocklistError> {
    let mut buf = Vec::with_capacity(256);
    let mut line_no = 0;
    loop {
        buf.clear();
        let n = reader
            .read_until(b'\n', &mut buf)
            .map_err(|source| BlocklistError::Io {
                what: what.to_string(),
                source,
            })?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        parse_line(builder, line_no, &buf)?;
    }
}
