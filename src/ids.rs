//! Random identifiers, made by a short script: the browser's
//! `crypto.getRandomValues` rather than the `uuid` crate with `getrandom`
//! (same result, fewer bytes), and unlike `crypto.randomUUID` it also works
//! on plain-http pages. Without Web Crypto (very old or unusual
//! environments) Math.random is enough for a client message id, which only
//! needs to be unique.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub fn uuid() -> String;
}
