//! `StreamFilter::process` allocates nothing per frame in steady state (inline and
//! background, classifying or reusing a verdict, redacting or not). A counting global
//! allocator sees every allocation of this test binary, on every thread.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::manifest::InputSpec;
use safeframe::sampler::Sampler;
use safeframe::scores::Scores;
use safeframe::stream::{Cadence, FrameModel, Mode, StreamConfig, StreamFilter};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Alternates clean and explicit scores every 50 calls, without allocating.
struct Alternating {
    sampler: Sampler,
    calls: AtomicUsize,
}

impl FrameModel for Alternating {
    fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    fn infer(&self, _tensor: &[f32]) -> safeframe::Result<Scores> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        Ok(if (call / 50) & 1 == 0 {
            Scores::new([0.0, 0.0, 1.0, 0.0, 0.0])
        } else {
            Scores::new([0.0, 0.0, 0.1, 0.9, 0.0])
        })
    }
}

fn model() -> Arc<Alternating> {
    let spec = InputSpec {
        width: 32,
        height: 32,
        ..InputSpec::nsfwjs()
    };
    Arc::new(Alternating {
        sampler: Sampler::new(&spec),
        calls: AtomicUsize::new(0),
    })
}

fn allocations_over(filter: &StreamFilter, frames: usize, data: &mut [u8]) -> usize {
    let (w, h) = (320, 240);
    // Warm up: the first redactions size the scratch buffers, and a background worker thread
    // finishes starting (its thread-local set-up allocates once) when its first result is in.
    let start = std::time::Instant::now();
    let mut i = 0;
    while i < 200 || (filter.counters().classified < 2 && start.elapsed().as_secs() < 10) {
        let mut frame = FrameMut::packed(data, w, h, PixelFormat::Nv21)
            .unwrap()
            .with_timestamp_ns(i * 50_000_000);
        filter.process(&mut frame);
        i += 1;
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 0..frames {
        let mut frame = FrameMut::packed(data, w, h, PixelFormat::Nv21)
            .unwrap()
            .with_timestamp_ns(100_000_000_000 + i as i64 * 33_000_000);
        filter.process(&mut frame);
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn process_does_not_allocate_in_steady_state() {
    let mut data = vec![100u8; PixelFormat::Nv21.packed_len(320, 240).unwrap()];
    for (mode, cadence) in [
        (Mode::Inline, Cadence::EveryFrame),
        (Mode::Inline, Cadence::EveryNth(4)),
        (Mode::Background, Cadence::EveryFrame),
        (
            Mode::Background,
            Cadence::MinInterval(std::time::Duration::from_millis(100)),
        ),
    ] {
        let config = StreamConfig {
            mode,
            cadence,
            clear_after: 2,
            ..StreamConfig::default()
        };
        let filter = StreamFilter::new(model(), config).unwrap();
        let counted = allocations_over(&filter, 1_000, &mut data);
        let counters = filter.counters();
        assert!(
            counters.blocked > 0 && counters.classified > 0,
            "{mode:?} {cadence:?}: {counters:?}"
        );
        assert_eq!(
            counted, 0,
            "{mode:?} {cadence:?}: {counted} allocations over 1000 frames"
        );
    }
}
