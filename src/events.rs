//! Events for the host page: `Natter.on(name, fn)` handlers and a
//! `natter:<name>` CustomEvent on `window` for tag managers.
//!
//! Events are delivered on a later tick (a microtask), never inside the
//! widget's own call stack, so a handler may call the API freely, and a
//! handler that throws is reported without breaking the widget.

use std::cell::RefCell;

use js_sys::Function;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::CustomEvent;

use crate::log;

/// Every event name the widget emits.
pub const NAMES: &[&str] = &["ready", "open", "close", "message", "error", "identify", "shutdown", "unread", "connection"];
/// `NAMES.join(", ")`, written out (checked by a test).
const KNOWN: &str = "ready, open, close, message, error, identify, shutdown, unread, connection";

/// Who registered a handler: `init({onReady})` handlers belong to that
/// instance and go away with `shutdown`; `on()` handlers stay.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Api,
    Init,
}

struct Handler {
    event: String,
    callback: Function,
    origin: Origin,
}

struct Events {
    handlers: Vec<Handler>,
    queue: Vec<(&'static str, JsValue, Option<Function>)>,
    /// The payload of `ready` once fired, for late subscribers.
    ready: Option<JsValue>,
    flush: Option<Closure<dyn FnMut()>>,
    scheduled: bool,
}

#[wasm_bindgen]
extern "C" {
    /// The global `queueMicrotask`: one import, where `Promise.resolve().then`
    /// took two.
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &Function);
}

thread_local! {
    // Const-initialised: no lazy-init code in the wasm.
    static EVENTS: RefCell<Events> = const {
        RefCell::new(Events { handlers: Vec::new(), queue: Vec::new(), ready: None, flush: None, scheduled: false })
    };
}

/// Registers a handler. `on('ready')` after ready still fires, once.
pub fn on(event: &str, callback: Function, origin: Origin) {
    if !NAMES.contains(&event) {
        log::warn(&["on(): unknown event \"", event, "\"; known events: ", KNOWN].concat());
        return;
    }
    let late_ready = EVENTS.with(|cell| {
        let mut events = cell.borrow_mut();
        events.handlers.push(Handler { event: event.to_string(), callback: callback.clone(), origin });
        if event == "ready" {
            events.ready.clone()
        } else {
            None
        }
    });
    if let Some(payload) = late_ready {
        enqueue("ready", payload, Some(callback));
    }
}

/// Removes a handler registered with the same function.
pub fn off(event: &str, callback: &Function) {
    EVENTS.with(|cell| {
        cell.borrow_mut().handlers.retain(|h| !(h.event == event && h.callback == *callback));
    });
}

/// Queues an event for every handler and for `window`.
pub fn emit(event: &'static str, payload: JsValue) {
    enqueue(event, payload, None);
}

/// Forgets `ready` (so the next init fires it again) and the handlers that
/// came with `init`. Events already queued are still delivered.
pub fn reset_instance() {
    EVENTS.with(|cell| {
        let mut events = cell.borrow_mut();
        events.ready = None;
        events.handlers.retain(|h| h.origin == Origin::Api);
    });
}

fn enqueue(event: &'static str, payload: JsValue, only: Option<Function>) {
    EVENTS.with(|cell| {
        let mut events = cell.borrow_mut();
        events.queue.push((event, payload, only));
        if events.scheduled {
            return;
        }
        events.scheduled = true;
        let flush = events.flush.get_or_insert_with(|| Closure::new(flush));
        // A microtask runs after the current call into the widget has
        // returned.
        queue_microtask(flush.as_ref().unchecked_ref());
    });
}

fn flush() {
    let (queue, handlers) = EVENTS.with(|cell| {
        let mut events = cell.borrow_mut();
        events.scheduled = false;
        // From now on `on('ready')` delivers late: handlers registered
        // before this point get the broadcast below, never both.
        if let Some((_, payload, _)) = events.queue.iter().find(|(name, _, only)| *name == "ready" && only.is_none()) {
            events.ready = Some(payload.clone());
        }
        let handlers: Vec<(String, Function)> = events.handlers.iter().map(|h| (h.event.clone(), h.callback.clone())).collect();
        (std::mem::take(&mut events.queue), handlers)
    });
    // Handlers run with no borrow held: they may call on/off/emit.
    for (event, payload, only) in queue {
        match only {
            Some(callback) => deliver(event, &callback, &payload),
            None => {
                for (_, callback) in handlers.iter().filter(|(name, _)| name == event) {
                    deliver(event, callback, &payload);
                }
                dispatch_dom_event(event, &payload);
            }
        }
    }
}

fn deliver(event: &str, callback: &Function, payload: &JsValue) {
    // Reflect.apply, as `js::call` does: `Function.call` is one more import.
    if let Err(err) = js_sys::Reflect::apply(callback, &JsValue::NULL, &js_sys::Array::of1(payload)) {
        web_sys::console::error_2(&["[Natter] a \"", event, "\" handler threw:"].concat().into(), &err);
    }
}

fn dispatch_dom_event(event: &str, payload: &JsValue) {
    let Some(window) = crate::js::window() else { return };
    // Options as a plain object: CustomEventInit is one more import.
    let init = crate::js::object(&[("detail", payload.clone())]);
    if let Ok(dom_event) = CustomEvent::new_with_event_init_dict(&["natter:", event].concat(), init.unchecked_ref()) {
        // A throwing window listener is reported by the browser, not to us.
        let _ = window.dispatch_event(&dom_event);
    }
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
