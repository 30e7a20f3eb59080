//! Memory over a long stream: RSS before and after 100,000 frames through `StreamFilter`.
//!
//! `cargo run --release -p safeframe --example stream_rss -- PACK_DIR [FRAMES] [inline|background]`
//! (e.g. `tests/fixtures/oracle/oracle`). 1280×720 NV21 frames whose colour changes every 50
//! frames (grey, red, grey, yellow: allowed, blocked, allowed, blurred by the oracle), every 3rd frame
//! classified. Prints VmRSS after a warm-up of 1,000 frames and at the end, and VmHWM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use safeframe::classifier::{Classifier, ClassifierOptions};
use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::stream::{Cadence, Mode, StreamConfig, StreamFilter};

fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// An NV21 frame of one solid colour given as (Y, U, V).
fn fill(data: &mut [u8], w: usize, h: usize, (y, u, v): (u8, u8, u8)) {
    data[..w * h].fill(y);
    for pair in data[w * h..].chunks_mut(2) {
        pair.copy_from_slice(&[v, u]);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let pack = args
        .get(1)
        .expect("usage: stream_rss PACK_DIR [FRAMES] [inline|background]");
    let frames: u64 = args.get(2).map_or(100_000, |s| s.parse().unwrap());
    let mode = match args.get(3).map(String::as_str) {
        Some("background") => Mode::Background,
        _ => Mode::Inline,
    };
    let classifier = Classifier::from_dir(pack, &ClassifierOptions::default()).unwrap();
    let config = StreamConfig {
        cadence: Cadence::EveryNth(3),
        clear_after: 2,
        mode,
        ..StreamConfig::default()
    };
    let filter = StreamFilter::with_classifier(classifier, config).unwrap();
    let (w, h) = (1280usize, 720usize);
    let mut data = vec![0u8; PixelFormat::Nv21.packed_len(w as u32, h as u32).unwrap()];
    // BT.601 limited range: grey, red, grey, yellow (allow, block, allow, blur).
    let grey = (126, 128, 128);
    let colours = [grey, (81, 90, 240), grey, (210, 16, 146)];
    let mut rss_warm = 0;
    let start = std::time::Instant::now();
    for i in 0..frames {
        fill(&mut data, w, h, colours[(i / 50 % 4) as usize]);
        let mut frame = FrameMut::packed(&mut data, w as u32, h as u32, PixelFormat::Nv21)
            .unwrap()
            .with_timestamp_ns(i as i64 * 33_333_333);
        filter.process(&mut frame);
        if i == 999 {
            rss_warm = status_kb("VmRSS:");
        }
        if (i + 1) % 20_000 == 0 {
            eprintln!("after {} frames: VmRSS {} kB", i + 1, status_kb("VmRSS:"));
        }
    }
    let rss_end = status_kb("VmRSS:");
    println!(
        "{frames} frames ({mode:?}) in {:.1} s; VmRSS after 1,000 frames {rss_warm} kB, after {frames} frames {rss_end} kB ({:+} kB); VmHWM {} kB; counters {:?}",
        start.elapsed().as_secs_f64(),
        rss_end as i64 - rss_warm as i64,
        status_kb("VmHWM:"),
        filter.counters()
    );
}
