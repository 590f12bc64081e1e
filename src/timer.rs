//! One-shot timers of a JS handler, cancelled when dropped.
//!
//! Not gloo-timers: its `Timeout` wraps each callback in a closure of its
//! own, with its own setTimeout/clearTimeout imports; here the caller keeps
//! one handler for many timers.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &JsValue, delay: u32) -> i32;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: i32);
}

/// A `setTimeout` of `handler`, by its id, cleared when dropped (clearing
/// one that already fired does nothing).
pub struct Timer(i32);

impl Timer {
    pub fn new(handler: &JsValue, delay_ms: u32) -> Self {
        Self(set_timeout(handler, delay_ms))
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        clear_timeout(self.0);
    }
}
