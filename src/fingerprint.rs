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
#[wasm_bindgen(inline_js = "export function utc_offset() {
  const minutes = -new Date().getTimezoneOffset(), abs = Math.abs(minutes);
  const two = (n) => String(n).padStart(2, '0');
  return 'UTC' + (minutes < 0 ? '-' : '+') + two(Math.floor(abs / 60)) + ':' + two(abs % 60);
}
export function signals() {
  const mark = 'natter:fingerprint', nav = navigator, screen = window.screen, text = 'Natter mmmWWlli 0123 &%@';
  performance.mark(mark + ':start');
  const parts = [nav.userAgent, (nav.languages || []).join(',')];
  if (screen) parts.push(screen.width | 0, screen.height | 0, screen.colorDepth | 0);
  parts.push(utc_offset());
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 220;
    canvas.height = 30;
    const ctx = canvas.getContext('2d');
    if (ctx) {
      ctx.textBaseline = 'top';
      ctx.font = '16px sans-serif';
      ctx.fillStyle = '#f60';
      ctx.fillRect(100, 1, 62, 20);
      ctx.fillStyle = '#069';
      ctx.fillText(text, 2, 4);
      parts.push(canvas.toDataURL());
      for (const font of ['Arial', 'Helvetica Neue', 'Segoe UI', 'Roboto', 'Noto Sans CJK SC', 'PingFang SC', 'Ubuntu']) {
        ctx.font = '16px \"' + font + '\", monospace';
        parts.push(Math.round(ctx.measureText(text).width * 100));
      }
    }
  } catch {}
  performance.measure(mark, mark + ':start');
  return parts.join('\x1f');
}")]
extern "C" {
    /// The time zone as an offset, `UTC+02:00`. `Intl.DateTimeFormat` would
    /// give its name, but its first use loads locale data: 50 ms on the
    /// main thread.
    pub fn utc_offset() -> JsValue;
    /// What the browser looks like, as one string.
    fn signals() -> JsValue;
}

/// Whether the browser asks not to be tracked (Global Privacy Control).
pub fn privacy_requested() -> bool {
    crate::js::window().is_some_and(|w| crate::js::get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true))
}

/// The hash, or `None` outside a page.
pub fn compute() -> Option<String> {
    crate::js::window()?;
    Some(hash(&signals().as_string()?))
}

/// Two independent 32-bit FNV-1a hashes: 64 bits as 16 hex digits. Enough to
/// tell browsers apart at this entropy; it is not a security measure.
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
