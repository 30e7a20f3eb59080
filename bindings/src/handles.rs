//! Numbered handles to filters, for the zero-copy paths (JNI and C ABI).
//!
//! A handle is a number, not a pointer: a stale, released or made-up handle is an error, never
//! a dangling pointer. Numbers are never reused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use safeframe::filter::Filter;

use crate::error::SafeFrameError;

struct Table {
    next: i64,
    filters: HashMap<i64, Arc<Filter>>,
}

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

fn table() -> MutexGuard<'static, Option<Table>> {
    // The table holds no invariant a panic could break half-way.
    TABLE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers `filter` and returns its new handle (always positive).
pub(crate) fn register(filter: Arc<Filter>) -> i64 {
    let mut guard = table();
    let table = guard.get_or_insert_with(|| Table {
        next: 1,
        filters: HashMap::new(),
    });
    let handle = table.next;
    table.next += 1;
    table.filters.insert(handle, filter);
    handle
}

/// The filter behind `handle` (used by the JNI path, which does not exist on Apple platforms).
#[cfg_attr(target_vendor = "apple", allow(dead_code))]
pub(crate) fn get(handle: i64) -> Result<Arc<Filter>, SafeFrameError> {
    table()
        .as_ref()
        .and_then(|t| t.filters.get(&handle).cloned())
        .ok_or_else(|| unknown(handle))
}

/// Removes `handle` and returns its filter.
pub(crate) fn take(handle: i64) -> Result<Arc<Filter>, SafeFrameError> {
    table()
        .as_mut()
        .and_then(|t| t.filters.remove(&handle))
        .ok_or_else(|| unknown(handle))
}

fn unknown(handle: i64) -> SafeFrameError {
    SafeFrameError::invalid_argument(format!(
        "filter handle {handle} is unknown or already released; get a new one from SafeFrameFilter.directHandle()"
    ))
}
