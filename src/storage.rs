//! First-party `localStorage`, with an in-memory stand-in when the browser
//! refuses storage (blocked cookies, some private modes, sandboxed iframes):
//! the widget keeps working for the life of the page and says so once.

use std::cell::RefCell;

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

use crate::{js, log};

thread_local! {
    /// The stand-in: a plain JS object (the keys are the widget's own
    /// `natter_*` names), smaller in the wasm than a list of Rust strings.
    /// Created, and the page told, the first time storage fails.
    static FALLBACK: RefCell<Option<Object>> = const { RefCell::new(None) };
}

fn local() -> Option<web_sys::Storage> {
    crate::js::window()?.local_storage().ok().flatten()
}

fn fallback() -> JsValue {
    FALLBACK.with(|cell| {
        let mut fallback = cell.borrow_mut();
        let object = fallback.get_or_insert_with(|| {
            log::warn("localStorage is not available; keeping state in memory for this page only");
            Object::new()
        });
        object.clone().into()
    })
}

pub fn get(key: &str) -> Option<String> {
    match local().map(|s| s.get_item(key)) {
        Some(Ok(value)) => value,
        _ => js::get_string(&fallback(), key),
    }
}

pub fn set(key: &str, value: &str) {
    // A full quota also throws: keep the value in memory then.
    if local()
        .map(|s| s.set_item(key, value))
        .is_none_or(|r| r.is_err())
    {
        js::set(&fallback(), key, &value.into());
    }
}

pub fn remove(key: &str) {
    if let Some(storage) = local() {
        let _ = storage.remove_item(key);
    }
    if let Some(object) = FALLBACK.with(|cell| cell.borrow().clone()) {
        let _ = Reflect::delete_property(&object, &key.into());
    }
}
