//! Identity layer 2: a low-entropy hash of what the browser looks like (user
//! agent, screen, time zone, languages, how it draws text on a canvas, and a
//! short font probe). Only the 16-hex-digit hash leaves the browser, never
//! the inputs. It is skipped when the site turns it off or the browser sends
//! Global Privacy Control.
//!
//! The WebGL renderer is left out on purpose: creating a WebGL context
//! measured 20-30 ms here, a long task on slow phones, for little entropy
//! beyond the canvas rendering, which already reflects the GPU and fonts.

use crate::digits::padded;
use wasm_bindgen::prelude::*;

// The signals are read by a short script, not through bindings: each
// browser call from Rust is a JS shim and an import of its own (the canvas
// probe alone needed a dozen), and the script is a third of the bytes.
// Fonts whose presence differs between systems are measured against a
// generic family. The probe text is Latin only: a CJK glyph sends the
// browser searching its fallback fonts (20 ms of the 30 the whole probe
// took). The parts are joined by unit separators; only their hash leaves
// the browser. Its cost shows in the page's User Timing as
// `natter:fingerprint`, for benchmarks.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// What the browser looks like, as one string; an error when a page
    /// API it reads throws (a host page may patch any of them).
    #[wasm_bindgen(catch)]
    fn signals() -> Result<JsValue, JsValue>;
}

/// Whether the browser asks not to be tracked (Global Privacy Control).
pub fn privacy_requested() -> bool {
    crate::js::window().is_some_and(|w| crate::js::get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true))
}

/// The hash, or `None` outside a page or when reading the signals failed.
pub fn compute() -> Option<String> {
    crate::js::window()?;
    Some(hash(&signals().ok()?.as_string()?))
}

/// Two 32-bit FNV-1a-style hashes over the same bytes (the standard offset
/// and prime, and a second pair), 64 bits as 16 hex digits. Enough to tell
/// browsers apart at this entropy; it is not a security measure: the server
/// uses it only to find an anonymous visitor who cleared storage, never a
/// signed-in user's record (docs/protocol.md, visitor identity).
pub fn hash(input: &str) -> String {
    let mut a: u32 = 0x811c_9dc5;
    let mut b: u32 = 0x0100_0193 ^ 0x5bd1_e995;
    for byte in input.bytes() {
        a = (a ^ u32::from(byte)).wrapping_mul(0x0100_0193);
        b = (b ^ u32::from(byte)).wrapping_mul(0x01ee_b0fb);
    }
    [padded(a.into(), 16, 8).as_str(), padded(b.into(), 16, 8).as_str()].concat()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hash_is_stable_and_sensitive() {
        let h = super::hash("Mozilla/5.0|1920|1080");
        assert_eq!(h.len(), 16);
        assert_eq!(h, super::hash("Mozilla/5.0|1920|1080"));
        assert_ne!(h, super::hash("Mozilla/5.0|1920|1081"));
    }
}
