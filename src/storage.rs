//! First-party `localStorage`, with an in-memory stand-in when the browser
//! refuses storage (blocked cookies, some private modes, sandboxed iframes):
//! the widget keeps working for the life of the page and says so once.
//!
//! A short script: each step can throw (reading `localStorage` itself, a
//! full quota), and a `try` in JS is a fraction of the wasm bytes of three
//! fallible bindings and their error paths.

use wasm_bindgen::prelude::*;

// The stand-in is a plain object (the keys are the widget's own `natter_*`
// names), created, and the page told, the first time storage fails.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = storage_get)]
    pub fn get(key: &str) -> Option<String>;
    #[wasm_bindgen(js_name = storage_set)]
    pub fn set(key: &str, value: &str);
    #[wasm_bindgen(js_name = storage_remove)]
    pub fn remove(key: &str);
}
