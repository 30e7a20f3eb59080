//! `safeframe stream`'s raw frame reader (cli/src/frame_reader.rs, compiled in as it is) over a
//! reader that hands out arbitrary chunk sizes, `Interrupted` and other I/O errors.
//!
//! Checks: no panic; every whole frame holds exactly the next bytes of the input; a clean end
//! comes only between frames; a partial frame reports how many bytes arrived; the frame index
//! counts whole frames; an `Interrupted` error is retried, never reported.
#![no_main]

use std::io::{self, Read};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

#[path = "../../cli/src/frame_reader.rs"]
#[allow(dead_code)]
mod frame_reader;

use frame_reader::{FrameReadError, FrameReader};

/// What one `read` call does.
#[derive(Debug, Arbitrary)]
enum Step {
    /// Returns at most this many bytes (0 only at the end of the data).
    Chunk(u8),
    /// Fails with `Interrupted` (to be retried by the reader).
    Interrupted,
    /// Fails with another error (to be reported).
    Fail,
}

#[derive(Debug, Arbitrary)]
struct Input {
    /// Bytes of one frame.
    frame_len: u8,
    steps: Vec<Step>,
    data: Vec<u8>,
}

/// A reader that follows `steps` (then reads in chunks of 7) over `data`.
struct Scripted<'a> {
    data: &'a [u8],
    pos: usize,
    steps: std::slice::Iter<'a, Step>,
}

impl Read for Scripted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let limit = match self.steps.next() {
            Some(Step::Chunk(n)) => usize::from(*n).max(1),
            Some(Step::Interrupted) => return Err(io::Error::from(io::ErrorKind::Interrupted)),
            Some(Step::Fail) => return Err(io::Error::other("scripted failure")),
            None => 7,
        };
        let n = limit.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fuzz_target!(|input: Input| {
    let frame_len = usize::from(input.frame_len);
    let fails = input.steps.iter().any(|s| matches!(s, Step::Fail));
    let mut reader = FrameReader::new(Scripted {
        data: &input.data,
        pos: 0,
        steps: input.steps.iter(),
    });
    let mut frame = vec![0u8; frame_len];
    let mut consumed = 0usize;
    // Each call consumes at least one read; the script is finite, so this ends.
    for _ in 0..=input.data.len() + input.steps.len() + 1 {
        let index = reader.index();
        match reader.next_into(&mut frame) {
            Ok(true) => {
                assert!(frame_len > 0);
                assert_eq!(frame, input.data[consumed..consumed + frame_len]);
                consumed += frame_len;
                assert_eq!(reader.index(), index + 1);
            }
            Ok(false) => {
                assert_eq!(reader.index(), index);
                if frame_len > 0 {
                    // A clean end: everything was consumed in whole frames.
                    assert_eq!(consumed, input.data.len());
                }
                return;
            }
            Err(FrameReadError::PartialFrame {
                index: at,
                got,
                expected,
            }) => {
                assert_eq!((at, expected), (index, frame_len));
                assert!(got > 0 && got < expected);
                assert_eq!(consumed + got, input.data.len());
                return;
            }
            Err(FrameReadError::Io { index: at, source }) => {
                assert!(fails, "an I/O error without a failing read: {source}");
                assert_ne!(source.kind(), io::ErrorKind::Interrupted);
                assert_eq!(at, index);
                return;
            }
        }
    }
    panic!("the reader did not finish");
});
