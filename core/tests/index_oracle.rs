//! The multi-index search returns exactly what a linear scan returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::SplitMix64;
use safeframe::blocklist::{Blocklist, INDEX_MIN_ENTRIES};
use safeframe::pdq::PdqHash;

fn random_hash(rng: &mut SplitMix64) -> PdqHash {
    let mut b = [0u8; 32];
    for c in b.chunks_mut(8) {
        c.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    PdqHash(b)
}

/// Flips exactly `d` distinct random bits.
fn perturb(rng: &mut SplitMix64, h: PdqHash, d: usize) -> PdqHash {
    let mut bits: Vec<usize> = (0..256).collect();
    for i in 0..d {
        let j = i + rng.below((256 - i) as u64) as usize;
        bits.swap(i, j);
    }
    let mut out = h;
    for &k in &bits[..d] {
        out.0[31 - k / 8] ^= 1 << (k % 8);
    }
    out
}

/// Random list plus clusters of near-duplicates (to exercise ties and
/// shared chunk buckets).
fn build_list(rng: &mut SplitMix64, n: usize) -> (Blocklist, Vec<PdqHash>) {
    let mut hashes = Vec::with_capacity(n);
    while hashes.len() < n {
        let base = random_hash(rng);
        hashes.push(base);
        if rng.below(10) == 0 {
            for _ in 0..rng.below(6) {
                let d = rng.below(12) as usize;
                hashes.push(perturb(rng, base, d));
            }
        }
    }
    hashes.truncate(n);
    let list = Blocklist::from_entries(hashes.iter().enumerate().map(|(i, h)| (*h, Some(format!("e{i}"))))).unwrap();
    (list, hashes)
}

fn check(list: &Blocklist, queries: &[PdqHash], max_distance: u32) -> Option<u32> {
    let fast = list.match_query(queries, max_distance);
    let linear = list.match_query_linear(queries, max_distance);
    assert_eq!(fast, linear, "max_distance {max_distance}");
    // The builds without the popcnt dispatch agree too (a test hook: `--features test-hooks`,
    // on in workspace test runs through safeframe-tests).
    #[cfg(feature = "test-hooks")]
    if max_distance == 31 {
        for lin in [false, true] {
            assert_eq!(list.match_query_portable(queries, max_distance, lin), linear);
        }
    }
    linear.map(|m| {
        assert!(m.distance <= max_distance);
        m.distance
    })
}

#[test]
fn index_matches_linear_scan_on_random_lists_with_planted_near_duplicates() {
    let mut rng = SplitMix64(0x5eed_0001);
    // 1024 entries: 10-bit buckets; 20k: 14-bit; 70k: full 16-bit chunks.
    let rounds = if cfg!(debug_assertions) { 82 } else { 410 };
    let sets = [(INDEX_MIN_ENTRIES, rounds), (20_000, rounds), (70_000, rounds / 2)];
    // Under Miri (scripts/miri: the dispatched scan), the smallest indexed list, two rounds.
    let sets = if cfg!(miri) {
        &[(INDEX_MIN_ENTRIES, 2)][..]
    } else {
        &sets[..]
    };
    for &(n, rounds) in sets {
        let (list, hashes) = build_list(&mut rng, n);
        assert!(list.is_indexed());
        let mut found_at = [0usize; 41];
        for round in 0..rounds {
            // 8 query hashes: mostly random, some planted near an entry.
            let mut q: Vec<PdqHash> = (0..8).map(|_| random_hash(&mut rng)).collect();
            let planted = round % 41;
            let target = hashes[rng.below(n as u64) as usize];
            let slot = rng.below(8) as usize;
            q[slot] = perturb(&mut rng, target, planted);
            if round % 3 == 0 {
                let other = hashes[rng.below(n as u64) as usize];
                let d = rng.below(41) as usize;
                q[(slot + 3) % 8] = perturb(&mut rng, other, d);
            }
            for max_distance in [0, 15, 16, 31, 32, 47, 48] {
                let got = check(&list, &q, max_distance);
                if max_distance as usize >= planted {
                    // The planted entry is within reach, so something is found
                    // at least as close.
                    assert!(got.is_some_and(|d| d as usize <= planted));
                }
            }
            if let Some(m) = list.match_query(&q, 31) {
                found_at[m.distance as usize] += 1;
            }
        }
        // Planted matches were found across the whole 0..=31 range.
        let reached = found_at[..=31].iter().filter(|&&c| c > 0).count();
        assert!(reached >= 30.min(rounds / 2), "{found_at:?}");
    }
}

#[test]
fn index_and_scan_agree_on_ties_between_identical_entries() {
    let mut rng = SplitMix64(7);
    let base = random_hash(&mut rng);
    let mut entries: Vec<PdqHash> = (0..4096).map(|_| random_hash(&mut rng)).collect();
    for i in [100, 5, 3000, 77] {
        entries[i] = base;
    }
    let list = Blocklist::from_entries(entries.iter().map(|h| (*h, None::<&str>))).unwrap();
    let q = [perturb(&mut rng, base, 3), perturb(&mut rng, base, 2), base];
    let m = list.match_query(&q, 31).unwrap();
    assert_eq!((m.distance, m.entry_index, m.which_hash), (0, 5, 2));
    assert_eq!(Some(m), list.match_query_linear(&q, 31));
}

#[test]
fn small_lists_without_index_still_match() {
    let mut rng = SplitMix64(99);
    let (list, hashes) = build_list(&mut rng, 100);
    assert!(!list.is_indexed());
    let q = [perturb(&mut rng, hashes[42], 10)];
    assert!(check(&list, &q, 31).is_some_and(|d| d <= 10));
}

#[test]
fn index_matches_linear_scan_when_buckets_are_huge() {
    // Every entry equals one base hash except in one random chunk, so the
    // buckets of the base's chunk values hold thousands of entries.
    let mut rng = SplitMix64(0xb0c4e7);
    let base = random_hash(&mut rng);
    let entries: Vec<PdqHash> = (0..6000)
        .map(|i| {
            let mut h = base;
            let k = i % 16;
            let r = rng.next_u64().to_le_bytes();
            h.0[2 * k] = r[0];
            h.0[2 * k + 1] = r[1];
            h
        })
        .collect();
    let list = Blocklist::from_entries(entries.iter().map(|h| (*h, None::<&str>))).unwrap();
    for d in [0usize, 5, 12, 20, 30, 40] {
        let q = [perturb(&mut rng, base, d), random_hash(&mut rng)];
        for max_distance in [8, 31, 47] {
            assert_eq!(
                list.match_query(&q, max_distance),
                list.match_query_linear(&q, max_distance),
                "d {d} max {max_distance}"
            );
        }
    }
}
