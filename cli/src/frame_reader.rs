//! Whole raw frames from a byte stream, as ffmpeg's `rawvideo` writes them.
//!
//! Kept apart from `safeframe stream` (and free of SDK types) so the fuzz target
//! `fuzz/fuzz_targets/stream_frame_reader.rs` exercises exactly this code.

use std::io::{ErrorKind, Read};

/// Why a frame could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameReadError {
    /// Reading the input failed.
    #[error("reading frame {index}: {source}")]
    Io {
        /// Index of the frame being read.
        index: u64,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The input ended inside a frame.
    #[error("partial last frame: the input ended after {got} of the {expected} bytes of frame {index}")]
    PartialFrame {
        /// Index of the incomplete frame.
        index: u64,
        /// Bytes read.
        got: usize,
        /// Bytes a frame has.
        expected: usize,
    },
}

/// Reads frames of a fixed byte length one after another.
#[derive(Debug)]
pub struct FrameReader<R> {
    input: R,
    index: u64,
}

impl<R: Read> FrameReader<R> {
    /// A reader of frames from `input`.
    pub fn new(input: R) -> Self {
        Self { input, index: 0 }
    }

    /// Index of the next frame to be read (the number of whole frames read so far).
    pub fn index(&self) -> u64 {
        self.index
    }

    /// Fills `frame` with the next frame. `Ok(false)` when the input ended cleanly between
    /// frames; a frame cut short is [`FrameReadError::PartialFrame`]. An empty `frame` reads
    /// nothing and returns `Ok(false)`.
    pub fn next_into(&mut self, frame: &mut [u8]) -> Result<bool, FrameReadError> {
        if frame.is_empty() {
            return Ok(false);
        }
        let mut filled = 0;
        while filled < frame.len() {
            match self.input.read(&mut frame[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(FrameReadError::Io {
                        index: self.index,
                        source,
                    })
                }
            }
        }
        match filled {
            0 => Ok(false),
            n if n < frame.len() => Err(FrameReadError::PartialFrame {
                index: self.index,
                got: n,
                expected: frame.len(),
            }),
            _ => {
                self.index += 1;
                Ok(true)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_frames_then_a_clean_end() {
        let bytes: Vec<u8> = (0..12).collect();
        let mut reader = FrameReader::new(&bytes[..]);
        let mut frame = [0u8; 4];
        for i in 0..3u8 {
            assert!(reader.next_into(&mut frame).unwrap());
            assert_eq!(frame, [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]);
        }
        assert!(!reader.next_into(&mut frame).unwrap());
        assert_eq!(reader.index(), 3);
    }

    #[test]
    fn a_frame_cut_short_is_an_error_naming_it() {
        let bytes = [1u8; 10];
        let mut reader = FrameReader::new(&bytes[..]);
        let mut frame = [0u8; 4];
        assert!(reader.next_into(&mut frame).unwrap());
        assert!(reader.next_into(&mut frame).unwrap());
        match reader.next_into(&mut frame) {
            Err(FrameReadError::PartialFrame { index, got, expected }) => assert_eq!((index, got, expected), (2, 2, 4)),
            other => panic!("{other:?}"),
        }
    }
}
