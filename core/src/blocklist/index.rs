//! Multi-index hashing (Norouzi et al.): the 256 bits are cut into 16 chunks
//! of 16 bits, and each chunk has its own table from chunk value to the
//! entries holding that value.
//!
//! Why it finds every match: if two hashes differ in at most `d` bits, some
//! chunk differs in at most `⌊d/16⌋` bits (pigeonhole: 16 chunks each with
//! `⌊d/16⌋ + 1` or more differing bits add up to more than `d`). For the
//! default `d = 31` that is 1 bit, so probing each chunk's own value and its
//! 16 one-bit neighbours (17 buckets x 16 chunks) reaches every entry within
//! distance 31; each candidate is then checked with the full distance. With
//! `d` up to 47, the 120 two-bit neighbours are probed too; above that the
//! caller scans linearly.

/// Number of 16-bit chunks in a 256-bit hash.
const CHUNKS: usize = 16;

/// A stored hash, aligned so that it never straddles two cache lines
/// (one memory access per candidate check).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C, align(32))]
pub(crate) struct Packed(pub(crate) [u64; 4]);

/// Chunk `t` (0..16) of a hash in the internal four-word layout.
#[inline(always)]
pub(crate) fn chunk(h: &[u64; 4], t: usize) -> usize {
    ((h[t / 4] >> (16 * (t % 4))) & 0xffff) as usize
}

/// Largest `max_distance` the index answers (probing 2-bit neighbours).
pub(crate) const MAX_INDEXED_DISTANCE: u32 = 16 * 3 - 1;

/// The 16 chunk tables, stored compactly: for each table, `slots` offsets
/// into its slice of `ids` (entries sorted by their bucket in that table).
///
/// A table has `2^bits` buckets, `bits = clamp(⌊log2 n⌋, 8, 16)`, so a
/// bucket holds about one entry on average for lists up to 65536 entries
/// and the tables stay small (and in cache) for small lists. A bucket is
/// the chunk value's low `bits` bits; entries whose chunks differ only in
/// higher bits share it, which adds candidates but never loses one.
pub(crate) struct MihIndex {
    bits: u32,
    slots: usize,
    offsets: Vec<u32>,
    ids: Vec<u32>,
    n: usize,
}

/// A fixed buffer of candidate entries, checked in batches.
struct Candidates {
    buf: [u32; 1024],
    len: usize,
}

impl Candidates {
    fn new() -> Self {
        Candidates { buf: [0; 1024], len: 0 }
    }

    #[inline(always)]
    fn add(&mut self, ids: &[u32], check: &mut impl FnMut(&[u32])) {
        if self.len + ids.len() > self.buf.len() {
            self.flush(check);
            if ids.len() > self.buf.len() {
                check(ids);
                return;
            }
        }
        self.buf[self.len..self.len + ids.len()].copy_from_slice(ids);
        self.len += ids.len();
    }

    #[inline(always)]
    fn flush(&mut self, check: &mut impl FnMut(&[u32])) {
        check(&self.buf[..self.len]);
        self.len = 0;
    }
}

/// The best candidate so far: (distance, entry, which query hash); smaller
/// tuples win, so ties go to the lowest entry, then the lowest query hash.
pub(crate) type Best = Option<(u32, u32, u32)>;

#[inline(always)]
pub(crate) fn distance(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    (a[0] ^ b[0]).count_ones() + (a[1] ^ b[1]).count_ones() + (a[2] ^ b[2]).count_ones() + (a[3] ^ b[3]).count_ones()
}

#[inline(always)]
pub(crate) fn consider(best: &mut Best, cand: (u32, u32, u32)) {
    match best {
        Some(b) if *b <= cand => {}
        _ => *best = Some(cand),
    }
}

impl MihIndex {
    /// Builds the tables with one counting sort per chunk. The buckets of
    /// the 4 chunks of one 64-bit word are first extracted into a small
    /// array (2 bytes per entry and chunk), so the 32-byte hashes are read
    /// 4 times instead of 32. Entry indices must fit in `u32` (the caller
    /// checks).
    pub(crate) fn build(hashes: &[Packed]) -> Self {
        let n = hashes.len();
        let bits = n.checked_ilog2().unwrap_or(0).clamp(8, 16);
        let buckets = 1usize << bits;
        let mask = buckets - 1;
        let slots = buckets + 1;
        let mut offsets = vec![0u32; CHUNKS * slots];
        let mut ids = vec![0u32; CHUNKS * n];
        let mut cursor = vec![0u32; buckets];
        let mut keys = vec![0u16; 4 * n];
        for w in 0..4 {
            for (i, h) in hashes.iter().enumerate() {
                for j in 0..4 {
                    keys[j * n + i] = (chunk(&h.0, 4 * w + j) & mask) as u16;
                }
            }
            for j in 0..4 {
                let t = 4 * w + j;
                let keys = &keys[j * n..(j + 1) * n];
                let off = &mut offsets[t * slots..(t + 1) * slots];
                for &k in keys {
                    off[usize::from(k) + 1] += 1;
                }
                for v in 1..slots {
                    off[v] += off[v - 1];
                }
                cursor.copy_from_slice(&off[..buckets]);
                let table = &mut ids[t * n..(t + 1) * n];
                for (i, &k) in keys.iter().enumerate() {
                    let c = &mut cursor[usize::from(k)];
                    table[*c as usize] = i as u32;
                    *c += 1;
                }
            }
        }
        MihIndex {
            bits,
            slots,
            offsets,
            ids,
            n,
        }
    }

    /// Bytes held by the tables.
    pub(crate) fn heap_bytes(&self) -> usize {
        4 * (self.offsets.capacity() + self.ids.capacity())
    }

    /// The entries in bucket `v` of table `t`.
    #[inline(always)]
    fn bucket(&self, t: usize, v: usize) -> &[u32] {
        let base = t * self.slots + v;
        let (lo, hi) = (self.offsets[base] as usize, self.offsets[base + 1] as usize);
        &self.ids[t * self.n..(t + 1) * self.n][lo..hi]
    }

    /// Nearest entry within `max_distance` (≤ [`MAX_INDEXED_DISTANCE`]) of
    /// any query hash.
    #[inline(always)]
    pub(crate) fn nearest(&self, hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32) -> Best {
        let radius = max_distance / CHUNKS as u32;
        let bits = self.bits as usize;
        let mask = (1usize << bits) - 1;
        let mut best = None;
        // Candidates are gathered first and checked in one tight loop, which
        // keeps many independent memory reads in flight.
        let mut cand = Candidates::new();
        for (qi, q) in queries.iter().enumerate() {
            let mut near: u64 = u64::MAX; // (distance << 32) | entry
            let mut check = |ids: &[u32]| {
                for &id in ids {
                    let d = distance(&hashes[id as usize].0, q);
                    let key = (u64::from(d) << 32) | u64::from(id);
                    if d <= max_distance && key < near {
                        near = key;
                    }
                }
            };
            for t in 0..CHUNKS {
                // Flips of chunk bits at or above `bits` land in bucket `c`
                // itself, so only flips below `bits` need their own probe.
                let c = chunk(q, t) & mask;
                cand.add(self.bucket(t, c), &mut check);
                if radius >= 1 {
                    for b in 0..bits {
                        cand.add(self.bucket(t, c ^ (1 << b)), &mut check);
                    }
                }
                if radius >= 2 {
                    for b1 in 0..bits {
                        for b2 in b1 + 1..bits {
                            cand.add(self.bucket(t, c ^ (1 << b1) ^ (1 << b2)), &mut check);
                        }
                    }
                }
            }
            cand.flush(&mut check);
            if near != u64::MAX {
                consider(&mut best, ((near >> 32) as u32, near as u32, qi as u32));
            }
        }
        best
    }
}
