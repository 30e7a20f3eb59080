//! Search kernels and the run-time choice of hardware popcount.
//!
//! On x86-64 without `-C target-cpu`, `u64::count_ones` compiles to a slow
//! bit-twiddling sequence. The search therefore runs inside a function
//! compiled with the `popcnt` feature when the CPU has it (checked at run
//! time, cached by std); elsewhere (aarch64 has a native count, other
//! targets) the same code runs as is.
#![allow(unsafe_code)]

use super::index::{consider, distance, Best, MihIndex, Packed};

/// How to search.
#[derive(Clone, Copy)]
pub(crate) enum Strategy<'a> {
    /// Compare the queries with every entry.
    Linear,
    /// Probe the multi-index tables.
    Index(&'a MihIndex),
}

/// Linear scan: each entry against every query hash while it is in cache.
#[inline(always)]
fn linear(hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32) -> Best {
    let mut best: Best = None;
    let mut limit = max_distance;
    for (i, h) in hashes.iter().enumerate() {
        for (qi, q) in queries.iter().enumerate() {
            let d = distance(&h.0, q);
            if d <= limit {
                // Entries come in increasing order, so only a strictly
                // smaller distance can win from here on.
                consider(&mut best, (d, i as u32, qi as u32));
                limit = d.saturating_sub(1);
                if d == 0 {
                    return best;
                }
            }
        }
    }
    best
}

#[inline(always)]
fn run(hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32, how: Strategy) -> Best {
    match how {
        Strategy::Linear => linear(hashes, queries, max_distance),
        Strategy::Index(ix) => ix.nearest(hashes, queries, max_distance),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn run_popcnt(hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32, how: Strategy) -> Best {
    run(hashes, queries, max_distance, how)
}

/// Nearest entry (smallest distance, then lowest entry, then lowest query
/// hash) within `max_distance` of any query hash.
pub(crate) fn nearest(hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32, how: Strategy) -> Best {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: `run_popcnt` only needs the `popcnt` instruction, which
        // the CPU was just reported to support.
        return unsafe { run_popcnt(hashes, queries, max_distance, how) };
    }
    run(hashes, queries, max_distance, how)
}

/// The same search compiled without any extra CPU feature (for benchmarks
/// and for checking the dispatched one; the `test-hooks` feature).
#[cfg(feature = "test-hooks")]
pub(crate) fn nearest_portable(hashes: &[Packed], queries: &[[u64; 4]], max_distance: u32, how: Strategy) -> Best {
    run(hashes, queries, max_distance, how)
}
