//! Blocklist text and binary forms, errors, and the matching rule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;

use common::vectors;
use safeframe::blocklist::{
    BinaryError, Blocklist, BlocklistError, LineError, MatchOptions, MatchOutcome, Matcher, BINARY_MAGIC,
    DEFAULT_MAX_DISTANCE, MIN_QUALITY,
};
use safeframe::pdq::{HexError, PdqDihedral, PdqHash};

const A: &str = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22";
const B: &str = "6aceec1ecb52b54e06d4f368a97d82a48deb7d344090727b32a1f8813e3b6d26";
const C: &str = "cfb2009ddd21c6dab0046a7745b5984757a8a4535b3377aea2591d32b33ff940";

fn h(s: &str) -> PdqHash {
    PdqHash::from_hex(s).unwrap()
}

fn flip_bits(mut x: PdqHash, bits: &[usize]) -> PdqHash {
    for &k in bits {
        x.0[31 - k / 8] ^= 1 << (k % 8);
    }
    x
}

#[test]
fn text_form_accepts_comments_labels_and_blank_lines() {
    let text = format!(
        "\u{feff}# header comment\n\
         \n\
         {A}\n\
         \t{B}   gradient test image   # trailing comment\r\n\
         {}  label with a#b inside\n\
         # last comment\n\
         {C}#glued\n",
        C.to_uppercase()
    );
    // The glued comment on the last line makes the hash token 70 characters.
    let err = Blocklist::from_text(text.as_bytes()).unwrap_err();
    assert!(matches!(
        err,
        BlocklistError::Line {
            line: 7,
            kind: LineError::BadHash(HexError::WrongLength { len: 70 })
        }
    ));
    let text = text.replace(&format!("{C}#glued"), &format!("{C} #comment"));
    let list = Blocklist::from_text(text.as_bytes()).unwrap();
    assert_eq!(list.len(), 4);
    let e: Vec<_> = list.iter().collect();
    assert_eq!((e[0].hash, e[0].label), (h(A), None));
    assert_eq!((e[1].hash, e[1].label), (h(B), Some("gradient test image")));
    assert_eq!((e[2].hash, e[2].label), (h(C), Some("label with a#b inside")));
    assert_eq!((e[3].hash, e[3].label), (h(C), None));
    assert!(Blocklist::from_text(b"").unwrap().is_empty());
    assert!(Blocklist::from_text(b"\n\n# only comments\n").unwrap().is_empty());
}

#[test]
fn bad_lines_report_their_one_based_line_number() {
    let cases: Vec<(String, usize, LineError)> = vec![
        (
            format!("{A}\n{}\n", &A[..63]),
            2,
            LineError::BadHash(HexError::WrongLength { len: 63 }),
        ),
        (
            format!("# c\n\n{A}x\n"),
            3,
            LineError::BadHash(HexError::WrongLength { len: 65 }),
        ),
        (
            format!("{A}\n{A}\n{}z\n", &B[..63]),
            3,
            LineError::BadHash(HexError::InvalidDigit { position: 63 }),
        ),
        (
            "hello world\n".to_string(),
            1,
            LineError::BadHash(HexError::WrongLength { len: 5 }),
        ),
        (format!("{A} bell\u{7}\n"), 1, LineError::LabelControlChar),
    ];
    for (text, line, kind) in cases {
        match Blocklist::from_text(text.as_bytes()) {
            Err(BlocklistError::Line { line: l, kind: k }) => {
                assert_eq!((l, k), (line, kind), "{text:?}")
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let mut bytes = format!("{A}\n{B} ").into_bytes();
    bytes.extend_from_slice(&[0xff, 0xfe, b'\n']);
    assert!(matches!(
        Blocklist::from_text(&bytes),
        Err(BlocklistError::Line {
            line: 2,
            kind: LineError::LabelNotUtf8
        })
    ));
    // The message names the line.
    let msg = Blocklist::from_text(format!("{A}\nnope\n").as_bytes())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("line 2"), "{msg}");
}

#[test]
fn loading_a_file_streams_text_and_detects_binary() {
    let dir = std::env::temp_dir().join(format!("pdq-dev-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let txt = dir.join("list.txt");
    std::fs::write(&txt, format!("{A} one\n# c\n{B}\n\n{C} three\n")).unwrap();
    let list = Blocklist::load(&txt).unwrap();
    assert_eq!(list.len(), 3);
    let bin = dir.join("list.bin");
    list.write_binary(&bin).unwrap();
    let back = Blocklist::load(&bin).unwrap();
    assert_eq!(back.iter().collect::<Vec<_>>(), list.iter().collect::<Vec<_>>());
    std::fs::write(&txt, format!("{A}\n{B}\nbad\n")).unwrap();
    assert!(matches!(
        Blocklist::load(&txt),
        Err(BlocklistError::Line { line: 3, .. })
    ));
    assert!(matches!(
        Blocklist::load(dir.join("missing")),
        Err(BlocklistError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn sample_list() -> Blocklist {
    Blocklist::from_entries([
        (h(A), Some("bridge")),
        (h(B), None),
        (h(C), Some("ünïcode label")),
        (PdqHash::ZERO, Some("")),
    ])
    .unwrap()
}

#[test]
fn binary_form_round_trips_and_has_the_documented_layout() {
    let list = sample_list();
    let bin = list.to_binary();
    let labels = "bridgeünïcode label".len();
    assert_eq!(bin.len(), 24 + 36 * 4 + labels);
    assert_eq!(&bin[..8], &BINARY_MAGIC);
    assert_eq!(&bin[8..12], &[1, 0, 0, 0]);
    assert_eq!(u32::from_le_bytes(bin[12..16].try_into().unwrap()), 4);
    assert_eq!(u32::from_le_bytes(bin[16..20].try_into().unwrap()) as usize, labels);
    assert_eq!(u32::from_le_bytes(bin[20..24].try_into().unwrap()), crc32(&bin[24..]));
    assert_eq!(&bin[24..56], &h(A).0);
    let back = Blocklist::from_bytes(&bin).unwrap();
    assert_eq!(back.iter().collect::<Vec<_>>(), list.iter().collect::<Vec<_>>());
    assert_eq!(back.get(3).unwrap().label, None);
    let back = Blocklist::read_binary(&bin[..]).unwrap();
    assert_eq!(back.len(), 4);
    let empty = Blocklist::from_entries(Vec::<(PdqHash, Option<&str>)>::new()).unwrap();
    assert!(Blocklist::from_bytes(&empty.to_binary()).unwrap().is_empty());
}

fn crc32(b: &[u8]) -> u32 {
    let mut c = crc32fast::Hasher::new();
    c.update(b);
    c.finalize()
}

fn reseal(mut bin: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&bin[24..]);
    bin[20..24].copy_from_slice(&crc.to_le_bytes());
    bin
}

#[track_caller]
fn bin_err(b: &[u8]) -> BinaryError {
    match Blocklist::read_binary(b) {
        Err(BlocklistError::Binary(e)) => e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_binary_lists_are_rejected_with_typed_errors() {
    let bin = sample_list().to_binary();
    let mut x = bin.clone();
    x[0] = b'X';
    assert_eq!(bin_err(&x), BinaryError::BadMagic);
    let mut x = bin.clone();
    x[8] = 2;
    assert_eq!(bin_err(&x), BinaryError::UnsupportedVersion(2));
    let mut x = bin.clone();
    x[10] = 1;
    assert_eq!(bin_err(&x), BinaryError::UnknownFlags(1));
    let mut x = bin.clone();
    x[40] ^= 1;
    assert!(matches!(bin_err(&x), BinaryError::ChecksumMismatch { .. }));
    assert_eq!(bin_err(&bin[..20]), BinaryError::Truncated { section: "header" });
    assert_eq!(bin_err(&bin[..100]), BinaryError::Truncated { section: "hashes" });
    assert_eq!(
        bin_err(&bin[..24 + 128 + 2]),
        BinaryError::Truncated {
            section: "label offsets"
        }
    );
    assert_eq!(
        bin_err(&bin[..bin.len() - 1]),
        BinaryError::Truncated { section: "labels" }
    );
    let mut x = bin.clone();
    x.push(0);
    assert_eq!(bin_err(&x), BinaryError::TrailingBytes);
    // A forged huge count on a short file fails cleanly.
    let mut x = bin.clone();
    x[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(bin_err(&x), BinaryError::Truncated { section: "hashes" });
    // Offsets that go backwards.
    let mut x = bin.clone();
    let ends = 24 + 32 * 4;
    x[ends..ends + 4].copy_from_slice(&9u32.to_le_bytes());
    x[ends + 4..ends + 8].copy_from_slice(&3u32.to_le_bytes());
    assert_eq!(bin_err(&reseal(x)), BinaryError::BadLabelOffsets { entry: 1 });
    // A label boundary inside a UTF-8 character.
    let mut x = bin.clone();
    x[ends + 8..ends + 12].copy_from_slice(&7u32.to_le_bytes()); // "bridge" + half of "ü"
    assert_eq!(bin_err(&reseal(x)), BinaryError::LabelsNotUtf8);
}

#[test]
fn match_query_returns_nearest_entry_over_all_query_hashes() {
    let list = sample_list();
    let near_b = flip_bits(h(B), &[0, 100, 200]);
    let near_a = flip_bits(h(A), &[5, 6]);
    let far = flip_bits(h(C), &(0..40).map(|i| i * 6).collect::<Vec<_>>());
    let m = list.match_query(&[far, near_b, near_a], DEFAULT_MAX_DISTANCE).unwrap();
    assert_eq!(
        (m.entry_index, m.distance, m.which_hash, m.label),
        (0, 2, 2, Some("bridge"))
    );
    assert!(list.match_query(&[far], DEFAULT_MAX_DISTANCE).is_none());
    assert_eq!(list.match_query(&[far], 40).unwrap().distance, 40);
    assert!(list.match_query(&[], DEFAULT_MAX_DISTANCE).is_none());
    // Exactly at the threshold matches; one more bit does not.
    let at31 = flip_bits(h(C), &(0..31).map(|i| i * 8).collect::<Vec<_>>());
    assert_eq!(list.match_query(&[at31], 31).unwrap().distance, 31);
    let at32 = flip_bits(at31, &[255]);
    assert!(list.match_query(&[at32], 31).is_none());
    // More than 8 query hashes work and report their position.
    let mut many = vec![far; 11];
    many[9] = near_b;
    let m = list.match_query(&many, DEFAULT_MAX_DISTANCE).unwrap();
    assert_eq!((m.entry_index, m.which_hash, m.label), (1, 9, None));
}

fn dihedral_of(hash: PdqHash, quality: u8) -> PdqDihedral {
    let other = PdqHash([0x55; 32]);
    PdqDihedral {
        orig: other,
        rot90: other,
        rot180: hash,
        rot270: other,
        flipx: other,
        flipy: other,
        flipp: other,
        flipm: other,
        quality,
    }
}

#[test]
fn matcher_skips_low_quality_unless_allowed() {
    let list = sample_list();
    let frame = dihedral_of(flip_bits(h(A), &[1]), 49);
    assert_eq!(MIN_QUALITY, 50);
    assert_eq!(
        Matcher::default().check(&list, &frame),
        MatchOutcome::LowQuality { quality: 49 }
    );
    let allow = Matcher::new(MatchOptions {
        allow_low_quality: true,
        ..MatchOptions::default()
    });
    match allow.check(&list, &frame) {
        MatchOutcome::Matched { found, low_quality } => {
            assert!(low_quality);
            assert_eq!((found.entry_index, found.distance, found.which_hash), (0, 1, 2));
        }
        other => panic!("{other:?}"),
    }
    let good = dihedral_of(flip_bits(h(A), &[1]), 50);
    let out = Matcher::default().check(&list, &good);
    assert_eq!(out.found().map(|m| m.label), Some(Some("bridge")));
    let none = dihedral_of(PdqHash([0x0f; 32]), 100);
    assert_eq!(
        Matcher::default().check(&list, &none),
        MatchOutcome::NoMatch { low_quality: false }
    );
    let strict = Matcher::new(MatchOptions {
        max_distance: 0,
        ..MatchOptions::default()
    });
    assert_eq!(strict.check(&list, &good), MatchOutcome::NoMatch { low_quality: false });
}

#[test]
fn vector_hashes_match_their_own_dihedral_columns() {
    // A list of every vector's hash; each row's dihedral set finds its own
    // entry at distance 0 through the `orig` column (or an identical hash).
    let v = vectors();
    let list = Blocklist::from_entries(v.iter().map(|r| (h(&r.hash_hex), Some(r.file.clone())))).unwrap();
    for r in &v {
        let q: Vec<PdqHash> = r.dihedral.iter().map(|s| h(s)).collect();
        let m = list.match_query(&q, DEFAULT_MAX_DISTANCE).unwrap();
        assert_eq!(m.distance, 0, "{}", r.file);
        assert_eq!(list.get(m.entry_index).unwrap().hash, h(&r.hash_hex));
    }
}
