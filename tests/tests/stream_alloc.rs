//! `StreamFilter::process` allocates nothing per frame in steady state (inline and
//! background, with and without the change gate, classifying, holding or reusing a verdict,
//! redacting or not). A counting global
//! allocator sees every allocation of this test binary, on every thread.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use safeframe::frame::{FrameMut, PixelFormat};
use safeframe::manifest::InputSpec;
use safeframe::sampler::Sampler;
use safeframe::scores::Scores;
use safeframe::stream::{Cadence, ChangeGate, FrameModel, Mode, StreamConfig, StreamFilter};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards its arguments to the system allocator unchanged and returns
// its result, so `System`'s guarantees (valid, suitably aligned, non-overlapping blocks) carry
// over; the only addition is an atomic counter (`fetch_add`), which neither allocates nor
// unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: `GlobalAlloc::alloc`'s contract (a layout of non-zero size), which our
        // caller upholds, is exactly `System.alloc`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: our caller guarantees `ptr` was allocated by this allocator with `layout`;
        // every block of this allocator comes from `System` with the same layout, as
        // `System.dealloc` requires.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: our caller guarantees `ptr` came from this allocator with `layout` and a
        // valid non-zero `new_size`; those blocks come from `System` with the same layout, so
        // `System.realloc`'s requirements hold.
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

/// Processes frames whose content switches between `a` and `b` every 7 frames (so the change
/// gate sees cuts, holds and reuse) after a warm-up; returns the allocations counted.
fn allocations_over(filter: &StreamFilter, frames: usize, a: &mut [u8], b: &mut [u8]) -> usize {
    let (w, h) = (320, 240);
    let mut process = |i: usize, timestamp_ns: i64| {
        let data = if (i / 7).is_multiple_of(2) { &mut *a } else { &mut *b };
        let mut frame = FrameMut::packed(data, w, h, PixelFormat::Nv21)
            .unwrap()
            .with_timestamp_ns(timestamp_ns);
        filter.process(&mut frame);
    };
    // Warm up: the first redactions size the scratch buffers, and a background worker thread
    // finishes starting (its thread-local set-up allocates once) when its first result is in.
    let start = std::time::Instant::now();
    let mut i = 0;
    while i < 200 || (filter.counters().classified < 2 && start.elapsed().as_secs() < 10) {
        process(i, i as i64 * 50_000_000);
        i += 1;
    }
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for i in 0..frames {
        process(i, 100_000_000_000 + i as i64 * 33_000_000);
    }
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

#[test]
fn process_does_not_allocate_in_steady_state() {
    let len = PixelFormat::Nv21.packed_len(320, 240).unwrap();
    for gate in [None, Some(ChangeGate::default())] {
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
                change_gate: gate,
                ..StreamConfig::default()
            };
            let filter = StreamFilter::new(model(), config).unwrap();
            // Fresh scenes for each run: redaction in place turns both into the block fill.
            let (mut a, mut b) = (vec![100u8; len], vec![160u8; len]);
            let counted = allocations_over(&filter, 1_000, &mut a, &mut b);
            let counters = filter.counters();
            let what = format!("{mode:?} {cadence:?} gate {}", gate.is_some());
            assert!(counters.blocked > 0 && counters.classified > 0, "{what}: {counters:?}");
            if gate.is_some() {
                // The gate's own paths ran: reuse on unchanged frames, holds in background.
                assert!(counters.reused > 0, "{what}: {counters:?}");
                assert_eq!(counters.held > 0, mode == Mode::Background, "{what}: {counters:?}");
            }
            assert_eq!(counted, 0, "{what}: {counted} allocations over 1000 frames");
        }
    }
}
