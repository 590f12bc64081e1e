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

use crate::js::{self, get};

/// Fonts whose presence differs between systems; measured against a
/// generic family.
const PROBE_FONTS: &[&str] = &["Arial", "Helvetica Neue", "Segoe UI", "Roboto", "Noto Sans CJK SC", "PingFang SC", "Ubuntu"];
/// Latin only: a CJK glyph sends the browser searching its fallback fonts,
/// which measured 20 ms of the 30 the whole fingerprint took.
const PROBE_TEXT: &str = "Natter mmmWWlli 0123 &%@";

/// Whether the browser asks not to be tracked (Global Privacy Control).
pub fn privacy_requested() -> bool {
    crate::js::window().is_some_and(|w| get(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true))
}

/// The hash, or `None` outside a browser. Its cost shows in the page's User
/// Timing as `natter:fingerprint` (marks around the work), for benchmarks.
///
/// The browser APIs are reached through `js::get`, `js::set` and `js::call`
/// rather than one web-sys binding each: a binding is a JS shim and an
/// import, and the canvas probe alone needed a dozen.
pub fn compute() -> Option<String> {
    let window = crate::js::window()?;
    let performance = get(&window, "performance");
    js::call(&performance, "mark", &[MARK.into()]);
    let hash = inputs(&window).map(|input| hash(&input));
    js::call(&performance, "measure", &["natter:fingerprint".into(), MARK.into()]);
    hash
}

const MARK: &str = "natter:fingerprint:start";

/// The inputs, each followed by a unit separator.
fn inputs(window: &web_sys::Window) -> Option<String> {
    let document = window.document()?;
    let navigator = window.navigator();
    // The parts, joined by unit separators.
    let mut input = get(&navigator, "userAgent").as_string().unwrap_or_default();
    let mut add = |part: &str| {
        input.push_str("\u{1f}");
        input.push_str(part);
    };
    add(&js::call(&get(&navigator, "languages"), "join", &[",".into()]).as_string().unwrap_or_default());
    let screen = get(window, "screen");
    if screen.is_object() {
        for key in ["width", "height", "colorDepth"] {
            add(&int(get(&screen, key).as_f64().unwrap_or(0.0) as i64));
        }
    }
    add(&utc_offset());
    let canvas = crate::dom::element(&document, "canvas", &[]);
    js::set(&canvas, "width", &220.into());
    js::set(&canvas, "height", &30.into());
    let ctx = js::call(&canvas, "getContext", &["2d".into()]);
    if ctx.is_object() {
        js::set(&ctx, "textBaseline", &"top".into());
        js::set(&ctx, "font", &"16px sans-serif".into());
        js::set(&ctx, "fillStyle", &"#f60".into());
        js::call(&ctx, "fillRect", &[100.into(), 1.into(), 62.into(), 20.into()]);
        js::set(&ctx, "fillStyle", &"#069".into());
        js::call(&ctx, "fillText", &[PROBE_TEXT.into(), 2.into(), 4.into()]);
        add(&js::call(&canvas, "toDataURL", &[]).as_string().unwrap_or_default());
        for font in PROBE_FONTS {
            js::set(&ctx, "font", &["16px \"", font, "\", monospace"].concat().into());
            let width = get(&js::call(&ctx, "measureText", &[PROBE_TEXT.into()]), "width").as_f64().unwrap_or(0.0);
            add(&int((width * 100.0).round() as i64));
        }
    }
    Some(input)
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
    // `new Date(now)`: the binding `new Date()` would be one more import.
    let minutes = -js_sys::Date::new(&js_sys::Date::now().into()).get_timezone_offset() as i32;
    let sign = if minutes < 0 { "-" } else { "+" };
    ["UTC", sign, &padded((minutes.unsigned_abs() / 60).into(), 10, 2), ":", &padded((minutes.unsigned_abs() % 60).into(), 10, 2)].concat()
}
