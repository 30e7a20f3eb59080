//! The background inference worker: runs the model on the newest sampled tensor.
//!
//! The frame thread samples into its own tensor and swaps it into the single pending slot
//! (a sample not yet taken is replaced: only the newest counts); the worker swaps it out,
//! runs the model and leaves the outcome with a sequence number. Three tensors circulate by
//! swapping, so nothing is allocated per frame.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Result, SafeFrameError};
use crate::scores::Scores;
use crate::stream::FrameModel;

#[derive(Debug)]
struct Slot {
    pending: Vec<f32>,
    has_pending: bool,
    shutdown: bool,
    outcome: Option<Result<Scores>>,
    outcome_seq: u64,
}

#[derive(Debug)]
struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot holds plain data that every step rewrites: a poisoned lock is safe to reuse.
        self.slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The handle the frame thread keeps.
#[derive(Debug)]
pub(crate) struct Worker {
    shared: Arc<Shared>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker thread for `model`, whose tensors have `tensor_len` values.
    pub(crate) fn start(model: Arc<dyn FrameModel>, tensor_len: usize) -> Result<Self> {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                pending: vec![0.0; tensor_len],
                has_pending: false,
                shutdown: false,
                outcome: None,
                outcome_seq: 0,
            }),
            wake: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("safeframe-inference".into())
            .spawn(move || run(&for_thread, model.as_ref(), tensor_len))
            .map_err(|e| SafeFrameError::StreamWorker {
                reason: format!("cannot start the inference thread: {e}"),
            })?;
        Ok(Self {
            shared,
            handle: Some(handle),
        })
    }

    /// Hands the worker a new sample, swapping `tensor` with the slot's buffer. Returns
    /// whether an older sample that the worker had not taken yet was replaced.
    pub(crate) fn submit(&self, tensor: &mut Vec<f32>) -> bool {
        let mut slot = self.shared.lock();
        std::mem::swap(&mut slot.pending, tensor);
        let replaced = slot.has_pending;
        slot.has_pending = true;
        drop(slot);
        self.shared.wake.notify_one();
        replaced
    }

    /// The newest outcome whose sequence number is above `seen`, with its number.
    pub(crate) fn take_outcome(&self, seen: u64) -> Option<(u64, Result<Scores>)> {
        let mut slot = self.shared.lock();
        if slot.outcome_seq > seen {
            let seq = slot.outcome_seq;
            slot.outcome.take().map(|outcome| (seq, outcome))
        } else {
            None
        }
    }

    /// Whether the worker thread has ended (it only ends on its own by panicking).
    pub(crate) fn is_dead(&self) -> bool {
        self.handle.as_ref().is_none_or(JoinHandle::is_finished)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.wake.notify_one();
        if let Some(handle) = self.handle.take() {
            // A worker that panicked has already been reported; nothing more to do with it.
            let _ = handle.join();
        }
    }
}

fn run(shared: &Shared, model: &dyn FrameModel, tensor_len: usize) {
    let mut tensor = vec![0.0f32; tensor_len];
    loop {
        {
            let mut slot = shared.lock();
            while !slot.has_pending && !slot.shutdown {
                slot = shared.wake.wait(slot).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if slot.shutdown {
                return;
            }
            std::mem::swap(&mut slot.pending, &mut tensor);
            slot.has_pending = false;
        }
        let outcome = model.infer(&tensor);
        let mut slot = shared.lock();
        slot.outcome = Some(outcome);
        slot.outcome_seq += 1;
    }
}
