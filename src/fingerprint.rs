//! Identity layer 2: a low-entropy hash of what the browser looks like (user
//! agent, screen, time zone, languages, how it draws text on a canvas, and a
//! short font probe). Only the 16-hex-digit hash leaves the browser, never
//! the inputs. It is skipped when the site turns it off or the browser sends
//! Global Privacy Control.
//!
//! The WebGL renderer is left out on purpose: creating a WebGL context
//! measured 20-30 ms here, a long task on slow phones, for little entropy
//! beyond the canvas rendering, which already reflects the GPU and fonts.

use crate::digits::{int, padded};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::js::get;

/// Fonts whose presence differs between systems; measured against a
/// generic family.
const PROBE_FONTS: &[&str] = &["Arial", "Helvetica Neue", "Segoe UI", "Roboto", "Noto Sans CJK SC", "PingFang SC", "Ubuntu"];
/// Latin only: a CJK glyph sends the browser searching its fallback fonts,
/// which measured 20 ms of the 30 the whole fingerprint took.
const PROBE_TEXT: &str = "Natter mmmWWlli 0123 &%@";

/// Whether the browser asks not to be tracked (Global Privacy Control).
pub fn privacy_requested() -> bool {
    web_sys::window().is_some_and(|w| get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true))
}

/// The hash, or `None` outside a browser. Its cost shows in the page's User
/// Timing as `natter:fingerprint` (marks around the work), for benchmarks.
pub fn compute() -> Option<String> {
    let performance = web_sys::window()?.performance();
    if let Some(p) = &performance {
        let _ = p.mark("natter:fingerprint:start");
    }
    let hash = inputs().map(|parts| hash(&parts.join("\u{1f}")));
    if let Some(p) = &performance {
        let _ = p.measure_with_start_mark("natter:fingerprint", "natter:fingerprint:start");
    }
    hash
}

fn inputs() -> Option<Vec<String>> {
    let window = web_sys::window()?;
    let document = window.document()?;
    let navigator = window.navigator();
    let mut parts: Vec<String> = vec![navigator.user_agent().unwrap_or_default(), navigator.languages().join(",").into()];
    if let Ok(screen) = window.screen() {
        let n = |r: Result<i32, JsValue>| int(r.unwrap_or(0).into());
        parts.extend([n(screen.width()), n(screen.height()), n(screen.color_depth())]);
    }
    parts.push(utc_offset());
    let canvas: HtmlCanvasElement = document.create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(220);
    canvas.set_height(30);
    if let Some(ctx) = canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok()) {
        ctx.set_text_baseline("top");
        ctx.set_font("16px sans-serif");
        ctx.set_fill_style_str("#f60");
        ctx.fill_rect(100.0, 1.0, 62.0, 20.0);
        ctx.set_fill_style_str("#069");
        let _ = ctx.fill_text(PROBE_TEXT, 2.0, 4.0);
        parts.push(canvas.to_data_url().unwrap_or_default());
        for font in PROBE_FONTS {
            ctx.set_font(&["16px \"", font, "\", monospace"].concat());
            let width = ctx.measure_text(PROBE_TEXT).map(|m| m.width()).unwrap_or(0.0);
            parts.push(int((width * 100.0).round() as i64));
        }
    }
    Some(parts)
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

/// The time zone as an offset, `UTC+02:00`. `Intl.DateTimeFormat` would give
/// its name, but its first use loads locale data: 50 ms on the main thread.
pub fn utc_offset() -> String {
    let minutes = -js_sys::Date::new_0().get_timezone_offset() as i32;
    let sign = if minutes < 0 { "-" } else { "+" };
    ["UTC", sign, &padded((minutes.unsigned_abs() / 60).into(), 10, 2), ":", &padded((minutes.unsigned_abs() % 60).into(), 10, 2)].concat()
}
