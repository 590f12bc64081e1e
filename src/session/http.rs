//! REST calls with the browser's `fetch`, and reading JSON answers.
//!
//! The promise chain (fetch, then the JSON body) runs in five lines of JS
//! that call back into Rust once: not gloo-net, which wraps the same call but
//! brings the `http` crate and its error types, nor `JsFuture` and an async
//! executor, which cost the wasm several KiB for two awaits per request.

use wasm_bindgen::prelude::*;

use super::machine::Failure;
use crate::js::{get, object};

// Inside `then`, a synchronous throw (no `fetch`, a bad URL, a body that
// cannot be serialized) becomes the rejection branch like any network
// failure, and `done` never runs inside the caller's call stack. The answer
// is one object: a one-argument callback shares its glue with the other
// closures of the widget.
#[wasm_bindgen(inline_js = "export function request(url, init, body, done) {
  Promise.resolve().then(() => fetch(url, body === undefined ? init : { ...init, body: JSON.stringify(body) })).then(
    (r) => r.json().catch(() => null).then((json) => done({ status: r.status, json, retryAfter: r.headers.get('Retry-After') })),
    () => done({ status: 0 }),
  );
}")]
extern "C" {
    /// Calls `done({status, json, retryAfter})` once, on a later task: status
    /// 0 when the request failed (offline, refused, invalid URL), `json` null
    /// when the body is not JSON. `body` is sent as JSON unless undefined.
    fn request(url: &str, init: &JsValue, body: &JsValue, done: &JsValue);
}

/// One request: `GET` when `body` is undefined, else `POST` with JSON.
/// `link` marks requests of a standalone-link session (`X-CS-Entry: link`).
/// `done` runs once, on a later task.
pub fn call(url: &str, token: Option<&str>, body: &JsValue, locale: &str, link: bool, done: impl FnOnce(Result<JsValue, Failure>) + 'static) {
    let bearer = token.map(|token| JsValue::from(["Bearer ", token].concat())).unwrap_or(JsValue::UNDEFINED);
    let headers = object(&[
        ("Content-Type", "application/json".into()),
        ("X-Locale", locale.into()),
        (crate::protocol::ENTRY_HEADER, if link { "link".into() } else { JsValue::UNDEFINED }),
        ("Authorization", bearer),
    ]);
    let init = object(&[
        ("method", if body.is_undefined() { "GET" } else { "POST" }.into()),
        // No cookies: the protocol carries its token in a header.
        ("credentials", "omit".into()),
        ("headers", headers),
    ]);
    let answer = Closure::once_into_js(move |answer: JsValue| done(read(&answer)));
    request(url, &init, body, &answer);
}

fn read(answer: &JsValue) -> Result<JsValue, Failure> {
    let status = get(answer, "status").as_f64().unwrap_or(0.0) as u16;
    let json = get(answer, "json");
    if (200..300).contains(&status) {
        return Ok(json);
    }
    if status == 0 {
        return Err(Failure::Network);
    }
    let error = get(&json, "error");
    let retry_after = get(answer, "retryAfter")
        .as_string()
        .and_then(|s| crate::digits::parse::<u32>(s.trim(), 10))
        .or_else(|| get(&error, "retryAfterSec").as_f64().map(|n| n as u32));
    Err(Failure::Http {
        status,
        code: get(&error, "code").as_string(),
        message: get(&error, "message").as_string(),
        retry_after_ms: retry_after.map(|s| f64::from(s.max(1)) * 1000.0),
    })
}
