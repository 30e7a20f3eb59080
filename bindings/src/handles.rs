//! Numbered handles to filters and stream filters, for the zero-copy paths (JNI and C ABI).
//!
//! A handle is a number, not a pointer: a stale, released or made-up handle is an error, never
//! a dangling pointer. Numbers come from one counter shared by both kinds and are never reused,
//! so a filter handle given where a stream handle is expected is an error too.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use safeframe::filter::Filter;
use safeframe::stream::StreamFilter;

use crate::error::SafeFrameError;

static NEXT: AtomicI64 = AtomicI64::new(1);

/// One table of handles to `T`.
pub(crate) struct Registry<T> {
    what: &'static str,
    source: &'static str,
    table: Mutex<Option<HashMap<i64, Arc<T>>>>,
}

/// Handles from `SafeFrameFilter.directHandle()`.
pub(crate) static FILTERS: Registry<Filter> = Registry::new("filter", "SafeFrameFilter.directHandle()");
/// Handles from `SafeFrameStream.directHandle()`.
pub(crate) static STREAMS: Registry<StreamFilter> = Registry::new("stream", "SafeFrameStream.directHandle()");

impl<T> Registry<T> {
    const fn new(what: &'static str, source: &'static str) -> Self {
        Self {
            what,
            source,
            table: Mutex::new(None),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<i64, Arc<T>>) -> R) -> R {
        // The table holds no invariant a panic could break half-way.
        let mut guard = self.table.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(guard.get_or_insert_with(HashMap::new))
    }

    /// Registers `item` and returns its new handle (always positive).
    pub(crate) fn register(&self, item: Arc<T>) -> i64 {
        let handle = NEXT.fetch_add(1, Ordering::Relaxed);
        self.with(|t| t.insert(handle, item));
        handle
    }

    /// The item behind `handle` (used by the JNI path, which does not exist on Apple platforms).
    #[cfg_attr(target_vendor = "apple", allow(dead_code))]
    pub(crate) fn get(&self, handle: i64) -> Result<Arc<T>, SafeFrameError> {
        self.with(|t| t.get(&handle).cloned())
            .ok_or_else(|| self.unknown(handle))
    }

    /// Removes `handle` and returns its item.
    pub(crate) fn take(&self, handle: i64) -> Result<Arc<T>, SafeFrameError> {
        self.with(|t| t.remove(&handle)).ok_or_else(|| self.unknown(handle))
    }

    fn unknown(&self, handle: i64) -> SafeFrameError {
        SafeFrameError::invalid_argument(format!(
            "{} handle {handle} is unknown or already released; get a new one from {}",
            self.what, self.source
        ))
    }
}

/// Registers a filter (see [`Registry::register`]).
pub(crate) fn register(filter: Arc<Filter>) -> i64 {
    FILTERS.register(filter)
}

/// The filter behind `handle`.
#[cfg_attr(target_vendor = "apple", allow(dead_code))]
pub(crate) fn get(handle: i64) -> Result<Arc<Filter>, SafeFrameError> {
    FILTERS.get(handle)
}

/// Removes a filter handle and returns its filter.
pub(crate) fn take(handle: i64) -> Result<Arc<Filter>, SafeFrameError> {
    FILTERS.take(handle)
}
