//! First-party `localStorage`, with an in-memory stand-in when the browser
//! refuses storage (blocked cookies, some private modes, sandboxed iframes):
//! the widget keeps working for the life of the page and says so once.

use std::cell::RefCell;

use crate::log;

/// A few keys at most: a list is smaller in the wasm than a HashMap.
struct Fallback {
    values: Vec<(String, String)>,
    warned: bool,
}

thread_local! {
    // Const-initialised: no lazy-init code in the wasm.
    static FALLBACK: RefCell<Fallback> = const { RefCell::new(Fallback { values: Vec::new(), warned: false }) };
}

fn local() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn warn_once() {
    FALLBACK.with(|cell| {
        let mut fallback = cell.borrow_mut();
        if !fallback.warned {
            fallback.warned = true;
            log::warn("localStorage is not available; keeping state in memory for this page only");
        }
    });
}

pub fn get(key: &str) -> Option<String> {
    match local().map(|s| s.get_item(key)) {
        Some(Ok(value)) => value,
        _ => {
            warn_once();
            FALLBACK.with(|cell| cell.borrow().values.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()))
        }
    }
}

pub fn set(key: &str, value: &str) {
    // A full quota also throws: keep the value in memory then.
    if local().map(|s| s.set_item(key, value)).is_none_or(|r| r.is_err()) {
        warn_once();
        FALLBACK.with(|cell| {
            let values = &mut cell.borrow_mut().values;
            values.retain(|(k, _)| k != key);
            values.push((key.to_string(), value.to_string()));
        });
    }
}

pub fn remove(key: &str) {
    if let Some(storage) = local() {
        let _ = storage.remove_item(key);
    }
    FALLBACK.with(|cell| cell.borrow_mut().values.retain(|(k, _)| k != key));
}
