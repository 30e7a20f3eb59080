//! The background inference worker: runs the model on the newest sampled tensor.
//!
//! The frame thread samples into its own tensor and swaps it into the single pending slot
//! (a sample not yet taken is replaced: only the newest counts); the worker swaps it out,
//! runs the model and leaves the outcome with a sequence number. Three tensors circulate by
//! swapping, so nothing is allocated per frame.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use crate::error::{Result, SafeFrameError};
use crate::policy::Policy;
use crate::second_opinion::SecondOpinion;
use crate::stream::{Classified, FrameModel};

#[derive(Debug)]
struct Slot {
    pending: Vec<f32>,
    has_pending: bool,
    /// The stream's number for the pending sample.
    pending_id: u64,
    /// The same frame sampled for the second model, when the stream asked for it.
    pending_second: Vec<f32>,
    has_second: bool,
    shutdown: bool,
    outcome: Option<Result<Classified>>,
    /// The number of the sample the outcome is for (0: none yet).
    outcome_id: u64,
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
    /// Starts the worker thread for `model`, whose tensors have `tensor_len` values, with the
    /// second opinion (run when `policy` says it could change the verdict and the frame was
    /// sampled for it too).
    pub(crate) fn start(
        model: Arc<dyn FrameModel>,
        second: Option<Arc<SecondOpinion>>,
        policy: Policy,
        tensor_len: usize,
    ) -> Result<Self> {
        let second_len = second.as_ref().map_or(0, |s| s.sampler().tensor_len());
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot {
                pending: vec![0.0; tensor_len],
                has_pending: false,
                pending_id: 0,
                pending_second: vec![0.0; second_len],
                has_second: false,
                shutdown: false,
                outcome: None,
                outcome_id: 0,
            }),
            wake: Condvar::new(),
        });
        let for_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("safeframe-inference".into())
            .spawn(move || {
                run(
                    &for_thread,
                    model.as_ref(),
                    second.as_deref(),
                    &policy,
                    tensor_len,
                    second_len,
                )
            })
            .map_err(|e| SafeFrameError::StreamWorker {
                reason: format!("cannot start the inference thread: {e}"),
            })?;
        Ok(Self {
            shared,
            handle: Some(handle),
        })
    }

    /// Hands the worker a new sample numbered `id` (numbers increase), swapping `tensor` with
    /// the slot's buffer. Returns whether an older sample that the worker had not taken yet
    /// was replaced. `second`, when given, is the same frame sampled for the second model
    /// (swapped too).
    pub(crate) fn submit(&self, tensor: &mut Vec<f32>, second: Option<&mut Vec<f32>>, id: u64) -> bool {
        let mut slot = self.shared.lock();
        std::mem::swap(&mut slot.pending, tensor);
        slot.pending_id = id;
        slot.has_second = second.is_some();
        if let Some(second) = second {
            std::mem::swap(&mut slot.pending_second, second);
        }
        let replaced = slot.has_pending;
        slot.has_pending = true;
        drop(slot);
        self.shared.wake.notify_one();
        replaced
    }

    /// The newest outcome for a sample numbered above `seen`, with that sample's number.
    pub(crate) fn take_outcome(&self, seen: u64) -> Option<(u64, Result<Classified>)> {
        let mut slot = self.shared.lock();
        if slot.outcome_id > seen {
            let id = slot.outcome_id;
            slot.outcome.take().map(|outcome| (id, outcome))
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

fn run(
    shared: &Shared,
    model: &dyn FrameModel,
    second: Option<&SecondOpinion>,
    policy: &Policy,
    tensor_len: usize,
    second_len: usize,
) {
    let mut tensor = vec![0.0f32; tensor_len];
    let mut second_tensor = vec![0.0f32; second_len];
    loop {
        let has_second;
        let id;
        {
            let mut slot = shared.lock();
            while !slot.has_pending && !slot.shutdown {
                slot = shared.wake.wait(slot).unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if slot.shutdown {
                return;
            }
            std::mem::swap(&mut slot.pending, &mut tensor);
            id = slot.pending_id;
            has_second = std::mem::take(&mut slot.has_second);
            if has_second {
                std::mem::swap(&mut slot.pending_second, &mut second_tensor);
            }
            slot.has_pending = false;
        }
        let outcome = model
            .infer(&tensor)
            .and_then(|scores| Classified::cascade(scores, second, policy, has_second.then_some(&second_tensor[..])));
        let mut slot = shared.lock();
        slot.outcome = Some(outcome);
        slot.outcome_id = id;
    }
}
