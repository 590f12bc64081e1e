//! Events for the host page: `Natter.on(name, fn)` handlers and a
//! `natter:<name>` CustomEvent on `window` for tag managers.
//!
//! Which events exist and when they fire is decided here and by the widget.
//! The hub that holds the handlers and calls them is a short script,
//! `js/hub.js`, next to the `Natter` function that owns it and hands it over
//! at boot: it delivers events on a later tick (a microtask), never inside
//! the widget's own call stack, so a handler may call the API freely, and a
//! handler that throws is reported without breaking the widget.

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::log;

/// Every event name the widget emits.
pub const NAMES: &[&str] = &[
    "ready",
    "open",
    "close",
    "message",
    "error",
    "identify",
    "shutdown",
    "unread",
    "connection",
    "availability",
    "conversationStarted",
    "agentJoined",
    "conversationEnded",
    "typing",
    "rating",
];
/// `NAMES.join(", ")`, written out (checked by a test).
const KNOWN: &str = "ready, open, close, message, error, identify, shutdown, unread, connection, availability, \
                     conversationStarted, agentJoined, conversationEnded, typing, rating";

#[wasm_bindgen]
extern "C" {
    /// The page's event hub (`createHub` in `js/hub.js`).
    pub type Hub;
}

// The hub handed over at boot is kept on the glue's side, where the calls
// below reach it: keeping it in a Rust cell, with the clone and the check
// at every call, made the wasm about 190 bytes bigger (brotli) than these
// lines make the glue (about 45).
#[wasm_bindgen(inline_js = r#"
let hub;
export function attach(given) { hub = given; }
export function hub_on(event, callback, init, once) { hub.on(event, callback, init, once); }
export function hub_off(event, callback) { hub.off(event, callback); }
export function hub_emit(event, payload) { hub.emit(event, payload); }
export function hub_shutdown(announce) { hub.shutdown(announce); }
"#)]
extern "C" {
    /// Takes the hub the loader handed to `boot`, before any other call.
    pub fn attach(hub: Hub);
    /// `init`: the handler came with `init({onReady})` and goes with
    /// `shutdown`; `once`: it goes after its first call.
    fn hub_on(event: &str, callback: &Function, init: bool, once: bool);
    fn hub_off(event: &str, callback: &Function);
    fn hub_emit(event: &str, payload: JsValue);
    fn hub_shutdown(announce: bool);
}

/// `on`, `once` and `off` from the API: `[event, fn]`. Only known events
/// can be subscribed to. `on('ready')` after ready still fires, once.
pub fn command(name: &str, args: &Array) {
    let callback = args.get(1);
    match (args.get(0).as_string(), callback.dyn_ref::<Function>()) {
        (Some(event), Some(callback)) if name == "off" => hub_off(&event, callback),
        (Some(event), Some(callback)) if NAMES.contains(&event.as_str()) => {
            hub_on(&event, callback, false, name == "once")
        }
        (Some(event), Some(_)) => {
            log::warn(&[name, "(): unknown event \"", &event, "\"; known events: ", KNOWN].concat())
        }
        _ => log::warn(&[name, "() expects an event name and a function"].concat()),
    }
}

/// An `init({onReady})` handler (`event` is one of [`NAMES`]): it belongs
/// to that instance.
pub fn on_init(event: &'static str, callback: &Function) {
    hub_on(event, callback, true, false);
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

#[cfg(test)]
mod tests {
    #[test]
    fn known_lists_the_names() {
        assert_eq!(super::KNOWN, super::NAMES.join(", "));
    }
}
