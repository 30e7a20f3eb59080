//! The 256-bit PDQ hash value: hex form, bit order and Hamming distance.

use std::fmt;
use std::str::FromStr;

/// Number of hex digits in a PDQ hash (256 bits).
pub const PDQ_HEX_LEN: usize = 64;

/// A 256-bit PDQ hash.
///
/// The 32 bytes are kept in the order the reference prints them: byte `i` is
/// hex digits `2i` and `2i + 1` of [`PdqHash::to_hex`]. Seen as the reference's
/// 16 words `w[0..16]` of 16 bits, bit `k` (0..256) of the hash is bit `k % 16`
/// of `w[k / 16]`, and the hex string is `w[15]`, `w[14]`, …, `w[0]`, each as
/// 4 digits. Equivalently: the hex string is one big-endian 256-bit integer
/// `N` and bit `k` is `(N >> k) & 1`. Bit `k = row * 16 + col` is set when DCT
/// coefficient (row, col) is above the median of the 256 coefficients.
///
/// ```
/// use safeframe::pdq::PdqHash;
/// let h = PdqHash::from_hex(
///     "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22",
/// )?;
/// assert_eq!(h.to_words()[15], 0xd8f8);
/// assert!(h.bit(1)); // last digit 2 = 0b0010
/// assert_eq!(h.distance(&h), 0);
/// # Ok::<(), safeframe::pdq::HexError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PdqHash(pub [u8; 32]);

/// Why a string is not a PDQ hash in hex.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The string does not have exactly 64 characters.
    #[error("a PDQ hash is 64 hex digits, got {len} characters")]
    WrongLength {
        /// Length of the given string in bytes.
        len: usize,
    },
    /// A character is not a hex digit.
    #[error("character {position} of the PDQ hash is not a hex digit (0-9, a-f, A-F)")]
    InvalidDigit {
        /// 0-based byte position of the first bad character.
        position: usize,
    },
}

/// Hex digit values; 0xff marks a non-digit.
const HEX_LUT: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

impl PdqHash {
    /// The all-zero hash (what the reference gives images smaller than 5 px).
    pub const ZERO: PdqHash = PdqHash([0; 32]);

    /// Parses 64 hex digits (either case) as the reference prints them.
    pub fn from_hex(s: &str) -> Result<Self, HexError> {
        Self::from_hex_bytes(s.as_bytes())
    }

    /// Like [`PdqHash::from_hex`], on ASCII bytes.
    pub fn from_hex_bytes(s: &[u8]) -> Result<Self, HexError> {
        if s.len() != PDQ_HEX_LEN {
            return Err(HexError::WrongLength { len: s.len() });
        }
        let mut out = [0u8; 32];
        let mut bad = 0u8;
        for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            let hi = HEX_LUT[usize::from(pair[0])];
            let lo = HEX_LUT[usize::from(pair[1])];
            bad |= hi | lo;
            *o = (hi << 4) | (lo & 15);
        }
        // Every digit is < 16, so any 0xff marks a bad character.
        if bad & 0xf0 != 0 {
            let position = s.iter().position(|&c| HEX_LUT[usize::from(c)] == 0xff).unwrap_or(0);
            return Err(HexError::InvalidDigit { position });
        }
        Ok(PdqHash(out))
    }

    /// The 64 lowercase hex digits, as `pdq-photo-hasher` prints them.
    pub fn to_hex(&self) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(PDQ_HEX_LEN);
        for b in self.0 {
            s.push(char::from(DIGITS[usize::from(b >> 4)]));
            s.push(char::from(DIGITS[usize::from(b & 15)]));
        }
        s
    }

    /// The reference's 16 words: `w[j]` holds bits `16j..16j+16`.
    pub fn to_words(&self) -> [u16; 16] {
        let mut w = [0u16; 16];
        for (j, wj) in w.iter_mut().enumerate() {
            *wj = u16::from_be_bytes([self.0[30 - 2 * j], self.0[31 - 2 * j]]);
        }
        w
    }

    /// Builds a hash from the reference's 16 words (see [`PdqHash::to_words`]).
    pub fn from_words(w: [u16; 16]) -> Self {
        let mut out = [0u8; 32];
        for (j, wj) in w.iter().enumerate() {
            let [hi, lo] = wj.to_be_bytes();
            out[30 - 2 * j] = hi;
            out[31 - 2 * j] = lo;
        }
        PdqHash(out)
    }

    /// Bit `k` (0..256) of the hash; `false` for `k >= 256`.
    pub fn bit(&self, k: usize) -> bool {
        if k >= 256 {
            return false;
        }
        (self.0[31 - k / 8] >> (k % 8)) & 1 == 1
    }

    /// Sets bit `k` (0..256); does nothing for `k >= 256`.
    pub(crate) fn set_bit(&mut self, k: usize) {
        if k < 256 {
            self.0[31 - k / 8] |= 1 << (k % 8);
        }
    }

    /// The hash as four 64-bit words (an internal layout for fast distances).
    #[inline]
    pub(crate) fn to_u64s(self) -> [u64; 4] {
        let b = self.0;
        let mut w = [0u64; 4];
        for (i, wi) in w.iter_mut().enumerate() {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[8 * i..8 * i + 8]);
            *wi = u64::from_be_bytes(x);
        }
        w
    }

    /// Inverse of `to_u64s`.
    #[inline]
    pub(crate) fn from_u64s(w: [u64; 4]) -> Self {
        let mut b = [0u8; 32];
        for (i, wi) in w.iter().enumerate() {
            b[8 * i..8 * i + 8].copy_from_slice(&wi.to_be_bytes());
        }
        PdqHash(b)
    }

    /// Hamming distance: the number of differing bits (0..=256).
    ///
    /// ```
    /// use safeframe::pdq::PdqHash;
    /// let mut b = [0u8; 32];
    /// b[0] = 0b1000_0001;
    /// assert_eq!(PdqHash::ZERO.distance(&PdqHash(b)), 2);
    /// ```
    #[inline]
    pub fn distance(&self, other: &PdqHash) -> u32 {
        let a = self.to_u64s();
        let b = other.to_u64s();
        (a[0] ^ b[0]).count_ones()
            + (a[1] ^ b[1]).count_ones()
            + (a[2] ^ b[2]).count_ones()
            + (a[3] ^ b[3]).count_ones()
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u32 {
        self.distance(&PdqHash::ZERO)
    }
}

impl fmt::Display for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for PdqHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PdqHash({})", self.to_hex())
    }
}

impl FromStr for PdqHash {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PdqHash::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_layout_round_trips() {
        let h = PdqHash::from_hex("0123456789abcdef00112233445566778899aabbccddeeff0f1e2d3c4b5a6978").unwrap();
        assert_eq!(PdqHash::from_u64s(h.to_u64s()), h);
        assert_eq!(PdqHash::from_words(h.to_words()), h);
    }
}
