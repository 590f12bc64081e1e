//! Random identifiers, made by a short script: the browser's
//! `crypto.getRandomValues` rather than the `uuid` crate with `getrandom`
//! (same result, fewer bytes), and unlike `crypto.randomUUID` it also works
//! on plain-http pages. Without Web Crypto (very old or unusual
//! environments) Math.random is enough for a client message id, which only
//! needs to be unique.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = "export function uuid() {
  const bytes = new Uint8Array(16);
  try { crypto.getRandomValues(bytes); } catch { bytes.forEach((_, i) => { bytes[i] = Math.random() * 256; }); }
  bytes[6] = (bytes[6] & 15) | 64;
  bytes[8] = (bytes[8] & 63) | 128;
  let id = '';
  bytes.forEach((byte, i) => { id += (i == 4 || i == 6 || i == 8 || i == 10 ? '-' : '') + (byte + 256).toString(16).slice(1); });
  return id;
}")]
extern "C" {
    /// A random (version 4) UUID, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
    pub fn uuid() -> String;
}
