//! Events for the host page: `Natter.on(name, fn)` handlers and a
//! `natter:<name>` CustomEvent on `window` for tag managers.
//!
//! Events are delivered on a later tick (a microtask), never inside the
//! widget's own call stack, so a handler may call the API freely, and a
//! handler that throws is reported without breaking the widget.
//!
//! Which events exist and when they fire is decided here and by the widget;
//! the hub that holds the handlers and calls them is a short script: it
//! only stores functions and calls them, which in Rust took a copy of the
//! handler list, the queue and their glue (about 1 KB of the wasm).

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::log;

/// Every event name the widget emits.
pub const NAMES: &[&str] =
    &["ready", "open", "close", "message", "error", "identify", "shutdown", "unread", "connection"];
/// `NAMES.join(", ")`, written out (checked by a test).
const KNOWN: &str = "ready, open, close, message, error, identify, shutdown, unread, connection";

/// Who registered a handler: `init({onReady})` handlers belong to that
/// instance and go away with `shutdown`; `on()` handlers stay.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    Init,
}

// `ready` is kept once fired, for late subscribers: it is taken from the
// first broadcast `ready` of a flush, so a handler registered before that
// flush gets the broadcast, never both. `queueMicrotask` runs the flush
// after the current call into the widget has returned; handlers run from a
// snapshot, so they may call on/off/emit.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    fn hub_on(event: &str, callback: &Function, init: bool);
    fn hub_off(event: &str, callback: &Function);
    fn hub_emit(event: &str, payload: JsValue);
    fn hub_shutdown(announce: bool);
}

/// Registers a handler. `on('ready')` after ready still fires, once.
pub fn on(event: &str, callback: Function, origin: Origin) {
    if NAMES.contains(&event) {
        hub_on(event, &callback, origin == Origin::Init);
    } else {
        log::warn(&["on(): unknown event \"", event, "\"; known events: ", KNOWN].concat());
    }
}

/// Removes a handler registered with the same function.
pub fn off(event: &str, callback: &Function) {
    hub_off(event, callback);
}

/// Queues an event for every handler and for `window`.
pub fn emit(event: &'static str, payload: JsValue) {
    hub_emit(event, payload);
}

/// The instance is gone: `announce` queues `shutdown`; `ready` is forgotten
/// (so the next init fires it again) and so are the handlers that came with
/// `init`. Events already queued are still delivered.
pub fn shutdown(announce: bool) {
    hub_shutdown(announce);
}

/// `{code, message}` for the `error` event, also logged to the console.
pub fn error(code: &str, message: &str) {
    log::error(message);
    emit("error", crate::js::object(&[("code", code.into()), ("message", message.into())]));
}

/// Reads `fn` from a JS value, if it is one.
pub fn as_function(value: &JsValue) -> Option<Function> {
    value.dyn_ref::<Function>().cloned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_lists_the_names() {
        assert_eq!(super::KNOWN, super::NAMES.join(", "));
    }
}
