//! Numbered handles for the objects JavaScript holds (filters, models, streams): JavaScript
//! keeps a number, never a pointer, so a stale or forged handle is an `InvalidArgument` error
//! rather than memory misuse.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::api::{WebFilter, WebModel, WebStream};
use crate::errors::WebError;

/// One object behind a handle (boxed: they differ in size, and live long).
pub enum Object {
    Filter(Box<WebFilter>),
    Model(Box<WebModel>),
    Stream(Box<WebStream>),
}

#[derive(Default)]
struct Table {
    next: u32,
    objects: HashMap<u32, Object>,
}

thread_local! {
    static TABLE: RefCell<Table> = RefCell::new(Table::default());
}

/// Stores `object` and returns its handle (≥ 1).
pub fn insert(object: Object) -> Result<u32, WebError> {
    TABLE.with(|table| {
        let mut table = table.try_borrow_mut().map_err(|_| busy())?;
        let handle = table
            .next
            .checked_add(1)
            .ok_or_else(|| WebError::internal("out of handles"))?;
        table.next = handle;
        table.objects.insert(handle, object);
        Ok(handle)
    })
}

/// Drops the object behind `handle`; whether there was one.
pub fn remove(handle: u32) -> bool {
    TABLE.with(|table| {
        let removed = table.try_borrow_mut().ok().and_then(|mut t| t.objects.remove(&handle));
        removed.is_some()
    })
}

/// Runs `f` on the object behind `handle`.
pub fn with<T>(handle: u32, f: impl FnOnce(&mut Object) -> Result<T, WebError>) -> Result<T, WebError> {
    TABLE.with(|table| {
        let mut table = table.try_borrow_mut().map_err(|_| busy())?;
        let object = table
            .objects
            .get_mut(&handle)
            .ok_or_else(|| WebError::invalid_argument(format!("no object with handle {handle} (freed already?)")))?;
        f(object)
    })
}

fn busy() -> WebError {
    WebError::internal("the handle table is in use (a re-entrant call)")
}
