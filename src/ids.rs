//! Random identifiers, made by a short script: the browser's
//! `crypto.getRandomValues` rather than the `uuid` crate with `getrandom`
//! (same result, fewer bytes), and unlike `crypto.randomUUID` it also works
//! on plain-http pages. Two uses: client message ids, which only need to be
//! unique, and the anonymous visitor id (`v_<uuid>`, identity layer 3),
//! which also stands for the visitor until a token exists, so it must not
//! be guessable. Every browser that runs the wasm has Web Crypto; the
//! `Math.random` fallback is only for a host page that broke it, where a
//! widget that works beats one that stops.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub fn uuid() -> String;
}
