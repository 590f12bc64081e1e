//! REST calls with the browser's `fetch`, and reading JSON answers.
//!
//! The promise chain (fetch, then the JSON body) runs in five lines of JS
//! that call back into Rust once: not gloo-net, which wraps the same call but
//! brings the `http` crate and its error types, nor `JsFuture` and an async
//! executor, which cost the wasm several KiB for two awaits per request.

use wasm_bindgen::prelude::*;

use super::machine::Failure;
use crate::js::get;

// Inside `then`, a synchronous throw (no `fetch`, a bad URL, a body that
// cannot be serialized) becomes the rejection branch like any network
// failure, and `done` never runs inside the caller's call stack. The answer
// is one object, tagged with `reply`: the session's one handler tells it
// from socket events by that. The request options are built in `host.js`
// from a few arguments: from Rust, each header is a string crossing plus a
// property set. Headers (see `crate::protocol`): `Content-Type:
// application/json`, `X-Locale: <locale>`, `X-CS-Entry: link` for a
// standalone-link session, `Authorization: Bearer <token>`. No cookies: the
// protocol carries its token in a header. `JSON.stringify(undefined)` is
// undefined: no body.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// Calls `done({reply, status, json, retryAfter})` once, on a later
    /// task: status 0 when the request failed (offline, refused, invalid
    /// URL), `json` null when the body is not JSON. `body` is sent as JSON
    /// unless undefined.
    #[wasm_bindgen(js_name = request)]
    fn fetch_json(url: &str, body: &JsValue, locale: &str, link: bool, token: &str, reply: &JsValue, done: &JsValue);
}

/// One request: `GET` when `body` is undefined, else `POST` with JSON.
/// `link` marks requests of a standalone-link session (`X-CS-Entry: link`).
/// `done` is called once, on a later task, with the answer for [`outcome`].
pub fn call(url: &str, token: Option<&str>, body: &JsValue, locale: &str, link: bool, reply: &JsValue, done: &JsValue) {
    // An empty token is none: one string argument is less glue than an optional one.
    fetch_json(url, body, locale, link, token.unwrap_or_default(), reply, done);
}

/// What an answer of [`call`] says: the JSON body, or why there is none.
pub fn outcome(answer: &JsValue) -> Result<JsValue, Failure> {
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
