//! Natter: an embeddable website chat widget.
//!
//! This file is only the surface the JS shim calls (`boot`, `call`); the
//! work happens in modules named for what they do. Pure logic, tested
//! natively (`cargo test -p natter`):
//! - [`config`]: fields, validation and layer merging; [`appearance`]:
//!   colors, backgrounds and icon sources; [`svg`]: the custom icon's reader;
//! - [`protocol`]: the wire types and names shared with the companion server;
//! - [`identity`]: identify, logout and the verification fallback, decided;
//! - [`outbox`]: the visitor's unsent messages, in order;
//! - [`chat`]: the conversation as shown, in server order, and the unread count;
//! - [`session`]: the connection's state machine and backoff (`machine`,
//!   `backoff`), the visitor protocol's one wire module (`wire`), the
//!   browser driver (`driver`, `http`) and mock mode (`mock`);
//! - [`text`]: what may be sent, links in received text; [`digits`]: numbers
//!   without `core::fmt`; [`i18n`]: locales and strings; [`connection`]: the
//!   connection state the visitor is told;
//! - [`notify`]: when a chime plays, the flashing tab title, the preview.
//!
//! In the browser:
//! - `widget`: the runtime, its life cycle and the command API (`identity`:
//!   the identify command; `session`: talking to the server and showing what
//!   it says; `stored`: what localStorage keeps besides the outbox);
//! - `page`: config from the script tag and `init()` objects;
//! - `ui` (`messages`, `window`, `icon`), `style`, `dom`: the Shadow DOM
//!   launcher and panel, the message rows and their window;
//! - `events`: the host page's events (the hub itself is in `js/hub.js`);
//! - `storage`, `tabs`, `timer`, `fingerprint`, `ids`, `js`, `log`: browser
//!   helpers (localStorage, other tabs, timers, identity layer 2, random ids,
//!   plain JS values, `[Natter]` console messages); `host.js` holds the few
//!   written in JS.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod appearance;
pub mod chat;
pub mod config;
pub mod digits;
pub mod i18n;
pub mod identity;
pub mod notify;
pub mod outbox;
pub mod protocol;
pub mod session;
pub mod svg;
pub mod text;

pub mod connection;
mod dom;
mod events;
mod fingerprint;
mod ids;
mod js;
mod log;
mod page;
mod storage;
mod style;
mod tabs;
mod timer;
mod ui;
mod widget;

use js_sys::Array;
use wasm_bindgen::prelude::*;
use web_sys::HtmlScriptElement;

pub use events::Hub;

/// Starts the runtime. `script` is the loader's own `<script>` element (its
/// `data-*` attributes and query string configure the widget), `queue` the
/// calls made before the runtime was ready, each an array `[command, ...args]`,
/// and `hub` the page's event hub, which the `Natter` function owns.
#[wasm_bindgen]
pub fn boot(script: Option<HtmlScriptElement>, queue: Array, hub: Hub) {
    events::attach(hub);
    widget::boot(script, queue);
}

/// Runs one command of the public API: `call("open", [{prefill: "hi"}])`;
/// returns what the command answers (`getState`), else undefined.
#[wasm_bindgen]
pub fn call(name: &str, args: Array) -> JsValue {
    widget::call(name, args)
}

// Safe because the wasm has one thread: the cfg leaves it out of threaded builds.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };
