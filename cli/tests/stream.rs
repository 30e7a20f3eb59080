//! `safeframe stream` round-trips a generated NV12 clip: allowed frames come out
//! byte-identical, the frames the oracle flags come out redacted, events name the frames.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Stdio};

use safeframe::blocklist::{Blocklist, MatchOptions};
use safeframe::frame::{PixelFormat, YuvColor};
use safeframe::known::KnownContent;
use safeframe::policy::Action;
use safeframe_tests::frames::TestFrame;
use safeframe_tests::{fixture, oracle_cases};

const W: u32 = 64;
const H: u32 = 48;

/// A tightly packed NV12 frame of an oracle case image (made in Rust, no ffmpeg).
fn nv12(case_name: &str) -> (Vec<u8>, Action) {
    let cases = oracle_cases();
    let case = cases.cases.iter().find(|c| c.name == case_name).unwrap();
    assert_eq!((case.width, case.height), (W, H));
    let rgb = case.image.rgb8(W, H);
    let frame = TestFrame::from_rgb(&rgb, W, H, PixelFormat::Nv12, 0, YuvColor::default(), 0);
    let bytes = [frame.planes[0].as_slice(), frame.planes[1].as_slice()].concat();
    assert_eq!(bytes.len(), PixelFormat::Nv12.packed_len(W, H).unwrap());
    (bytes, case.expected["child"].action)
}

fn safeframe(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_safeframe"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    output
}

fn oracle_pack() -> String {
    fixture("oracle/oracle").display().to_string()
}

#[test]
fn stream_round_trips_an_nv12_clip_and_redacts_only_flagged_frames() {
    // grey (allow), red (block), yellow (blur), blue (allow) — the child preset's verdicts.
    let script = [
        "solid-grey-32x32",
        "solid-red-64x48",
        "solid-red-64x48",
        "solid-yellow-64x48",
        "solid-blue-64x48",
        "solid-blue-64x48",
    ];
    let cases = oracle_cases();
    let grey_case = cases.cases.iter().find(|c| c.name == "solid-grey-32x32").unwrap();
    let grey_rgb = grey_case.image.rgb8(W, H);
    let grey = TestFrame::from_rgb(&grey_rgb, W, H, PixelFormat::Nv12, 0, YuvColor::default(), 0);
    let grey = (
        [grey.planes[0].as_slice(), grey.planes[1].as_slice()].concat(),
        Action::Allow,
    );
    let frames: Vec<(Vec<u8>, Action)> = script
        .iter()
        .map(|name| {
            if name.starts_with("solid-grey") {
                grey.clone()
            } else {
                nv12(name)
            }
        })
        .collect();
    let clip: Vec<u8> = frames.iter().flat_map(|(bytes, _)| bytes.clone()).collect();
    let events = std::env::temp_dir().join(format!("safeframe-stream-events-{}.jsonl", std::process::id()));
    let w = W.to_string();
    let h = H.to_string();
    let model = oracle_pack();
    let output = safeframe(
        &[
            "stream",
            "--width",
            &w,
            "--height",
            &h,
            "--format",
            "nv12",
            "--fps",
            "25",
            "--clear-after",
            "1",
            "--model",
            &model,
            "--events",
            events.to_str().unwrap(),
        ],
        &clip,
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout.len(), clip.len());
    let frame_len = frames[0].0.len();
    let y_len = (W * H) as usize;
    // Yellow (blur) right after red (block) keeps the block: hysteresis never lowers a
    // redaction, and blue's first clean verdict clears it (--clear-after 1).
    assert_eq!(frames[3].1, Action::Blur);
    let applied = [
        Action::Allow,
        Action::Block,
        Action::Block,
        Action::Block,
        Action::Allow,
        Action::Allow,
    ];
    for (i, (((input, _), action), out)) in frames
        .iter()
        .zip(applied)
        .zip(output.stdout.chunks(frame_len))
        .enumerate()
    {
        match action {
            Action::Allow | Action::Warn => assert!(out == input.as_slice(), "frame {i} ({action}) changed"),
            Action::Block => {
                assert!(out[..y_len].iter().all(|&b| b == 16), "frame {i}: Y not black");
                assert!(out[y_len..].iter().all(|&b| b == 128), "frame {i}: UV not neutral");
            }
            Action::Blur => assert!(out != input.as_slice(), "frame {i} not blurred"),
        }
    }
    let text = std::fs::read_to_string(&events).unwrap();
    let _ = std::fs::remove_file(&events);
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let changes: Vec<(u64, String)> = lines
        .iter()
        .filter(|l| l.get("action").is_some())
        .map(|l| (l["frame"].as_u64().unwrap(), l["action"].as_str().unwrap().to_owned()))
        .collect();
    let expect = |v: &[(u64, &str)]| v.iter().map(|(f, a)| (*f, (*a).to_owned())).collect::<Vec<_>>();
    assert_eq!(changes, expect(&[(0, "allow"), (1, "block"), (4, "allow")]));
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(summary["frames"], 6);
    assert_eq!(summary["blocked"], 3);
    assert_eq!(summary["errors"], 0);
}

#[test]
fn a_partial_last_frame_is_an_error_and_full_frames_before_it_are_written() {
    let (frame, _) = nv12("solid-blue-64x48");
    let mut input = frame.clone();
    input.extend_from_slice(&frame[..100]);
    let w = W.to_string();
    let h = H.to_string();
    let model = oracle_pack();
    let output = safeframe(
        &[
            "stream", "--width", &w, "--height", &h, "--format", "nv12", "--model", &model,
        ],
        &input,
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("partial last frame"), "{stderr}");
    assert!(output.stdout == frame, "the complete frame before it must be written");
}

#[test]
fn an_empty_input_is_an_empty_output() {
    let model = oracle_pack();
    let output = safeframe(
        &[
            "stream", "--width", "8", "--height", "8", "--format", "i420", "--model", &model,
        ],
        &[],
    );
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
}

/// A fixture photo scaled to `W2`×`H2`, as tightly packed NV12.
fn photo_nv12(name: &str) -> TestFrame {
    let image = image::open(fixture("images").join(name)).unwrap();
    let rgb = image
        .resize_exact(W2, H2, image::imageops::FilterType::Triangle)
        .into_rgb8();
    TestFrame::from_rgb(rgb.as_raw(), W2, H2, PixelFormat::Nv12, 0, YuvColor::default(), 0)
}

const W2: u32 = 160;
const H2: u32 = 120;

#[test]
fn stream_blocks_frames_on_the_blocklist_as_known_and_names_the_entry() {
    let listed = photo_nv12("photo-chelsea-cat.png");
    let other = photo_nv12("photo-rocket.png");
    let bytes = |f: &TestFrame| [f.planes[0].as_slice(), f.planes[1].as_slice()].concat();
    let clip: Vec<u8> = [&other, &listed, &listed, &other]
        .iter()
        .flat_map(|f| bytes(f))
        .collect();
    let frame_len = bytes(&other).len();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("list.txt");
    let hash = KnownContent::new(Blocklist::from_entries::<_, &str>([]).unwrap(), MatchOptions::default())
        .hash(&listed.frame())
        .unwrap();
    std::fs::write(&list, format!("# test list\n{} cat-photo\n", hash.orig.to_hex())).unwrap();
    let events = dir.path().join("events.jsonl");
    let (w, h, model) = (W2.to_string(), H2.to_string(), oracle_pack());
    let base = [
        "stream",
        "--width",
        &w,
        "--height",
        &h,
        "--format",
        "nv12",
        "--clear-after",
        "1",
        "--model",
        &model,
    ];
    // Without the list the oracle allows all four frames: they come out unchanged.
    let plain = safeframe(&base, &clip);
    assert!(plain.status.success(), "{}", String::from_utf8_lossy(&plain.stderr));
    assert!(plain.stdout == clip, "the oracle should allow these frames");
    let mut args = base.to_vec();
    args.extend([
        "--blocklist",
        list.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let output = safeframe(&args, &clip);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let frames: Vec<&[u8]> = output.stdout.chunks(frame_len).collect();
    assert_eq!(frames.len(), 4);
    let y_len = (W2 * H2) as usize;
    assert!(frames[0] == &clip[..frame_len], "frame 0 changed");
    for (i, frame) in frames.iter().enumerate().take(3).skip(1) {
        assert!(frame[..y_len].iter().all(|&b| b == 16), "frame {i}: Y not black");
    }
    // Frame 3's hash check releases the hold; its clean classification came first, so it
    // is still blocked (--clear-after 1 needs one more clean classification).
    assert!(frames[3][..y_len].iter().all(|&b| b == 16), "frame 3: Y not black");
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let block = lines.iter().find(|l| l["action"] == "block").unwrap();
    assert_eq!(block["frame"], 1);
    assert_eq!(block["category"], "known");
    assert_eq!(block["cause"], "known_content");
    assert_eq!(block["match"]["label"], "cat-photo");
    assert_eq!(block["match"]["distance"], 0);
    let summary = &lines.last().unwrap()["summary"];
    assert_eq!(
        (summary["hashed"].as_u64(), summary["known_matches"].as_u64()),
        (Some(4), Some(2))
    );
}

// ------------------------------------------------------------------------------------------
// The change gate, end to end: a cut from grey to a red top-left quadrant (the oracle blocks
// it) is never released unredacted; a static scene rests; bad settings exit 2.
// ------------------------------------------------------------------------------------------

const CUT_W: u32 = 320;
const CUT_H: u32 = 240;

/// A 320×240 RGBA frame painted by `paint(x, y)`.
fn rgba_scene(paint: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut rgba = Vec::with_capacity((CUT_W * CUT_H * 4) as usize);
    for y in 0..CUT_H {
        for x in 0..CUT_W {
            let [r, g, b] = paint(x, y);
            rgba.extend([r, g, b, 255]);
        }
    }
    rgba
}

/// The two cuts, `(before, after)`: grey to a red top-left quadrant; and a change of one of the
/// gate's 16 tiles (80×60), grey to red, in a quadrant whose three other tiles are dark red
/// (the oracle reads the quadrant's mean colour: allowed before, blocked after).
fn cuts() -> [(Vec<u8>, Vec<u8>); 2] {
    const GREY: [u8; 3] = [128, 128, 128];
    let quadrant = |x: u32, y: u32| x < 160 && y < 120;
    let tile = |x: u32, y: u32| x < 80 && y < 60;
    [
        (
            rgba_scene(|_, _| GREY),
            rgba_scene(|x, y| if quadrant(x, y) { [255, 0, 0] } else { GREY }),
        ),
        (
            rgba_scene(|x, y| {
                if quadrant(x, y) && !tile(x, y) {
                    [153, 0, 0]
                } else {
                    GREY
                }
            }),
            rgba_scene(|x, y| match (tile(x, y), quadrant(x, y)) {
                (true, _) => [255, 0, 0],
                (false, true) => [153, 0, 0],
                _ => GREY,
            }),
        ),
    ]
}

/// Runs `safeframe stream` over `frames` with `flags`; returns the output frames and the
/// summary counters.
fn stream_rgba(frames: &[&[u8]], flags: &[&str]) -> (Vec<Vec<u8>>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let pack = oracle_pack();
    let (w, h) = (CUT_W.to_string(), CUT_H.to_string());
    let mut args = vec![
        "stream", "--model", &pack, "--format", "rgba", "--width", &w, "--height", &h,
    ];
    let events_arg = events.display().to_string();
    args.extend(["--events", &events_arg]);
    args.extend(flags);
    let output = safeframe(&args, &frames.concat());
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let len = (CUT_W * CUT_H * 4) as usize;
    let out: Vec<Vec<u8>> = output.stdout.chunks(len).map(<[u8]>::to_vec).collect();
    assert_eq!(out.len(), frames.len());
    let text = std::fs::read_to_string(&events).unwrap();
    let last: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    (out, last["summary"].clone())
}

#[test]
fn stream_never_releases_a_cut_to_flagged_content_in_any_mode_or_cadence() {
    for (before, flagged) in cuts() {
        let frames: Vec<&[u8]> = (0..60)
            .map(|i| if i < 23 { &before[..] } else { &flagged[..] })
            .collect();
        for flags in [
            &["--background"][..],
            &["--background", "--every", "5"],
            &["--every", "10"],
            &[],
            &["--background", "--hold", "block"],
        ] {
            let (out, summary) = stream_rgba(&frames, flags);
            let released = out
                .iter()
                .zip(&frames)
                .filter(|(o, i)| i[..] == flagged[..] && o[..] == i[..])
                .count();
            assert_eq!(released, 0, "{flags:?}: {summary}");
            if flags.contains(&"--background") {
                // How many frames pass before the worker's verdicts arrive depends on timing;
                // that the cut frame itself is held does not.
                assert!(summary["held"].as_u64().unwrap() >= 1, "{flags:?}: {summary}");
            } else {
                // Inline: the scene before the cut passes untouched, every frame after it is
                // blocked, nothing is held.
                assert!(out[..23].iter().all(|o| o[..] == before[..]), "{flags:?}: {summary}");
                assert_eq!(summary["blocked"], 37, "{flags:?}: {summary}");
                assert_eq!(summary["held"], 0, "{flags:?}: {summary}");
            }
        }
    }
}

#[test]
fn stream_rests_on_a_static_scene() {
    let grey = rgba_scene(|_, _| [128, 128, 128]);
    let frames: Vec<&[u8]> = (0..300).map(|_| &grey[..]).collect();
    let (out, summary) = stream_rgba(&frames, &[]);
    assert!(out.iter().all(|o| o[..] == grey[..]));
    // 300 frames at 30 fps: one classification per second of frame time.
    assert_eq!(summary["classified"], 10, "{summary}");
    assert_eq!(summary["reused"], 290, "{summary}");
    let (_, every_frame) = stream_rgba(&frames, &["--no-change-gate"]);
    assert_eq!(every_frame["classified"], 300, "{every_frame}");
}

#[test]
fn stream_refuses_bad_gate_settings_with_exit_2_naming_the_field() {
    for (flags, field) in [
        (&["--change-threshold", "-0.1"][..], "change_gate.threshold"),
        (&["--change-threshold", "1.5"], "change_gate.threshold"),
        (&["--change-tiles", "0"], "change_gate.tiles"),
        (&["--max-age-ms", "0"], "change_gate.max_age"),
    ] {
        let pack = oracle_pack();
        let mut args = vec![
            "stream", "--model", &pack, "--format", "rgba", "--width", "4", "--height", "4",
        ];
        args.extend(flags);
        let output = safeframe(&args, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(field), "{flags:?}: {stderr}");
    }
}
