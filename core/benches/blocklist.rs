//! Blocklist matching and loading at 10k, 100k and 1M random entries.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use criterion::measurement::Measurement;
use criterion::{BenchmarkId, Criterion};
use safeframe::blocklist::{Blocklist, DEFAULT_MAX_DISTANCE};
use safeframe::pdq::PdqHash;
use std::hint::black_box;

#[path = "support/clock.rs"]
mod clock;
use std::time::Duration;

/// SplitMix64, seeded: the same lists on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn hash(&mut self) -> PdqHash {
        let mut b = [0u8; 32];
        for c in b.chunks_mut(8) {
            c.copy_from_slice(&self.next().to_le_bytes());
        }
        PdqHash(b)
    }
}

fn random_list(n: usize, seed: u64) -> Blocklist {
    let mut rng = Rng(seed);
    Blocklist::from_entries((0..n).map(|i| (rng.hash(), Some(format!("entry-{i}"))))).expect("list")
}

/// 8 query hashes: 7 random, one 20 bits from entry `n / 2` (a hit).
fn queries(list: &Blocklist, seed: u64, hit: bool) -> Vec<PdqHash> {
    let mut rng = Rng(seed);
    let mut q: Vec<PdqHash> = (0..8).map(|_| rng.hash()).collect();
    if hit {
        let mut h = list.get(list.len() / 2).expect("entry").hash;
        for k in 0..20 {
            h.0[k] ^= 1;
        }
        q[5] = h;
    }
    q
}

fn query_bench<M: Measurement>(c: &mut Criterion<M>) {
    let mut g = c.benchmark_group("query_8_hashes");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(3));
    for n in [10_000usize, 100_000, 1_000_000] {
        let list = random_list(n, 1);
        // 256 different query sets, cycled, so caches hold no earlier answer.
        let misses: Vec<Vec<PdqHash>> = (0..256).map(|s| queries(&list, 1000 + s, false)).collect();
        let hit = queries(&list, 3, true);
        assert_eq!(
            list.match_query(&hit, DEFAULT_MAX_DISTANCE).map(|m| m.distance),
            Some(20)
        );
        let mut k = 0usize;
        let mut next = || {
            k = (k + 1) % misses.len();
            &misses[k]
        };
        g.bench_with_input(BenchmarkId::new("mih_miss", n), &n, |b, _| {
            b.iter(|| list.match_query(black_box(next()), DEFAULT_MAX_DISTANCE))
        });
        g.bench_with_input(BenchmarkId::new("mih_hit_same_query", n), &n, |b, _| {
            b.iter(|| list.match_query(black_box(&hit), DEFAULT_MAX_DISTANCE))
        });
        // The search without the popcnt dispatch is a test hook (`--features test-hooks`).
        #[cfg(feature = "test-hooks")]
        g.bench_with_input(BenchmarkId::new("mih_portable_popcount", n), &n, |b, _| {
            b.iter(|| list.match_query_portable(black_box(next()), DEFAULT_MAX_DISTANCE, false))
        });
        g.bench_with_input(BenchmarkId::new("linear_popcnt", n), &n, |b, _| {
            b.iter(|| list.match_query_linear(black_box(next()), DEFAULT_MAX_DISTANCE))
        });
        #[cfg(feature = "test-hooks")]
        g.bench_with_input(BenchmarkId::new("linear_portable_popcount", n), &n, |b, _| {
            b.iter(|| list.match_query_portable(black_box(next()), DEFAULT_MAX_DISTANCE, true))
        });
    }
    g.finish();
}

fn load_bench<M: Measurement>(c: &mut Criterion<M>) {
    let n = 1_000_000;
    let list = random_list(n, 1);
    let mut text = String::with_capacity(n * 80);
    for e in list.iter() {
        text.push_str(&e.hash.to_hex());
        if let Some(l) = e.label {
            text.push(' ');
            text.push_str(l);
        }
        text.push('\n');
    }
    let bin = list.to_binary();
    drop(list);
    let mut g = c.benchmark_group("load_1m");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(10));
    g.bench_function("text_from_bytes", |b| {
        b.iter(|| Blocklist::from_bytes(black_box(text.as_bytes())))
    });
    g.bench_function("binary_from_bytes", |b| {
        b.iter(|| Blocklist::from_bytes(black_box(&bin)))
    });
    // From files, as an app or the CLI loads them (streamed, line by line for text).
    let dir = std::env::temp_dir().join(format!("safeframe-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (text_path, bin_path) = (dir.join("list.txt"), dir.join("list.bin"));
    std::fs::write(&text_path, &text).unwrap();
    std::fs::write(&bin_path, &bin).unwrap();
    g.bench_function("text_file", |b| b.iter(|| Blocklist::load(black_box(&text_path))));
    g.bench_function("binary_file", |b| b.iter(|| Blocklist::load(black_box(&bin_path))));
    let _ = std::fs::remove_dir_all(&dir);
    g.finish();
}

fn all<M: Measurement>(c: &mut Criterion<M>) {
    query_bench(c);
    load_bench(c);
}

fn main() {
    clock::run(all, all);
}
