//! The binary blocklist parser (`Blocklist::from_bytes` and `Blocklist::read_binary` over a
//! reader that hands out arbitrary chunk sizes).
//!
//! The first input byte picks a mode: with its low bit set the harness writes the magic and
//! the correct CRC-32 into the header, so the fuzzer gets past the checksum to the sizes,
//! label offsets and UTF-8 checks behind it. Checks: no panic, no allocation beyond the input's
//! size (libFuzzer's `-malloc_limit_mb`); both readers agree; a list that loads writes back to
//! the same bytes.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::fuzz_target;
use safeframe::blocklist::{Blocklist, BINARY_MAGIC};

/// A reader that returns at most `chunk` bytes per call.
struct Chunked<'a> {
    data: &'a [u8],
    chunk: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.chunk.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, body)) = input.split_first() else {
        return;
    };
    let mut data = body.to_vec();
    if mode & 1 == 1 {
        // Magic, version 1, flags 0 written by the fuzzer or not, but a correct checksum.
        if data.len() < 24 {
            data.resize(24, 0);
        }
        data[..8].copy_from_slice(&BINARY_MAGIC);
        if mode & 2 == 2 {
            data[8..12].copy_from_slice(&[1, 0, 0, 0]);
        }
        let crc = crc32fast::hash(&data[24..]);
        data[20..24].copy_from_slice(&crc.to_le_bytes());
    }
    let from_bytes = Blocklist::from_bytes(&data);
    if data.starts_with(&BINARY_MAGIC) {
        let chunk = usize::from(mode >> 2) + 1;
        let streamed = Blocklist::read_binary(Chunked { data: &data, chunk });
        match (&from_bytes, &streamed) {
            (Ok(a), Ok(b)) => assert_eq!(a.to_binary(), b.to_binary()),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!(
                "from_bytes {:?}, read_binary {:?}",
                a.as_ref().map(Blocklist::len),
                b.as_ref().map(Blocklist::len)
            ),
        }
    }
    if let Ok(list) = from_bytes {
        if data.starts_with(&BINARY_MAGIC) {
            assert_eq!(
                list.to_binary(),
                data,
                "a loaded binary list writes back to the same bytes"
            );
        }
        for (i, entry) in list.iter().enumerate() {
            assert_eq!(list.get(i).map(|e| e.hash), Some(entry.hash));
        }
    }
});
