//! The text blocklist parser, in memory (`Blocklist::from_text`, `from_bytes`) and streamed
//! from a file (`Blocklist::load`, a different reader), then the binary round trip and matching.
//!
//! Checks: no panic; the in-memory and the streaming parser agree (same entries, or both fail
//! on the same line); a parsed list survives `to_binary` → `from_bytes` unchanged; the indexed,
//! linear and portable searches give the same match.
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use safeframe::blocklist::{Blocklist, BlocklistError, BINARY_MAGIC};
use safeframe::pdq::PdqHash;

/// A scratch file per fuzzing process for the streaming parser.
fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| scratch_dir().join(format!("safeframe-fuzz-blocklist-{}.txt", std::process::id())))
}

fn entries(list: &Blocklist) -> Vec<(PdqHash, Option<String>)> {
    list.iter().map(|e| (e.hash, e.label.map(str::to_owned))).collect()
}

fn line_of(error: &BlocklistError) -> Option<usize> {
    match error {
        BlocklistError::Line { line, .. } => Some(*line),
        _ => None,
    }
}

/// Memory-backed `/dev/shm` when there is one: rewriting a file on a disk file system waits for
/// its writeback and makes the target a hundred times slower.
fn scratch_dir() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        shm
    } else {
        std::env::temp_dir()
    }
}

fuzz_target!(|data: &[u8]| {
    let in_memory = Blocklist::from_text(data);
    if !data.starts_with(&BINARY_MAGIC) {
        let auto = Blocklist::from_bytes(data);
        assert_eq!(
            in_memory.as_ref().map(entries).ok(),
            auto.as_ref().map(entries).ok(),
            "from_bytes must read text as from_text does"
        );
        // The streaming parser (what `load` and the CLI use) must agree with the in-memory one.
        let path = scratch();
        let written = std::fs::File::create(path).and_then(|mut f| f.write_all(data));
        if written.is_ok() {
            let streamed = Blocklist::load(path);
            let _ = std::fs::remove_file(path);
            match (&in_memory, &streamed) {
                (Ok(a), Ok(b)) => assert_eq!(entries(a), entries(b)),
                (Err(a), Err(b)) => assert_eq!(line_of(a), line_of(b), "{a} / {b}"),
                (a, b) => panic!(
                    "in memory {:?}, streamed {:?}",
                    a.as_ref().map(Blocklist::len),
                    b.as_ref().map(Blocklist::len)
                ),
            }
        }
    }
    let Ok(list) = in_memory else { return };
    let binary = list.to_binary();
    let back = Blocklist::from_bytes(&binary).expect("a list's binary form reads back");
    assert_eq!(entries(&list), entries(&back));
    assert_eq!(back.to_binary(), binary);
    // Queries: the listed hashes with a few bits flipped, at a few distances.
    let queries: Vec<PdqHash> = list
        .iter()
        .take(8)
        .enumerate()
        .map(|(i, e)| {
            let mut h = e.hash;
            h.0[i % 32] ^= 0x5a;
            h
        })
        .collect();
    for max_distance in [0, 4, 31, 256] {
        let indexed = list.match_query(&queries, max_distance);
        let linear = list.match_query_linear(&queries, max_distance);
        let portable = list.match_query_portable(&queries, max_distance, false);
        let key =
            |m: &Option<safeframe::blocklist::Match<'_>>| m.as_ref().map(|m| (m.distance, m.entry_index, m.which_hash));
        assert_eq!(key(&indexed), key(&linear));
        assert_eq!(key(&portable), key(&linear));
        if let Some(m) = linear {
            assert!(m.distance <= max_distance);
            assert_eq!(m.label, list.get(m.entry_index).and_then(|e| e.label));
        }
    }
});
