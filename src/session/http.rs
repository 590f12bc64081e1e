//! REST calls with the browser's `fetch`, and reading JSON answers.
//!
//! The promise chain (fetch, then the JSON body) runs in five lines of JS
//! that call back into Rust once: not gloo-net, which wraps the same call but
//! brings the `http` crate and its error types, nor `JsFuture` and an async
//! executor, which cost the wasm several KiB for two awaits per request.

use wasm_bindgen::prelude::*;

use super::machine::Failure;
use super::wire;
use crate::js::{get, object};
use crate::protocol::{
    AUTHORIZATION_HEADER, BEARER_PREFIX, CONTENT_TYPE_HEADER, ENTRY_HEADER, ENTRY_LINK, JSON_CONTENT_TYPE,
    LOCALE_HEADER,
};

// Inside `then`, a synchronous throw (no `fetch`, a bad URL, a body that
// cannot be serialized) becomes the rejection branch like any network
// failure, and `done` never runs inside the caller's call stack. The answer
// is one object, tagged with `reply`: the session's one handler tells it
// from socket events by that. The helper is transport only: the method,
// the headers (see [`headers`]) and the body come from here. No cookies:
// the protocol carries its token in a header. `JSON.stringify(undefined)`
// is undefined: no body.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// Calls `done({reply, status, json, retryAfter})` once, on a later
    /// task: status 0 when the request failed (offline, refused, invalid
    /// URL), `json` null when the body is not JSON. `body` is sent as JSON
    /// unless undefined.
    #[wasm_bindgen(js_name = request)]
    fn fetch_json(url: &str, method: &str, headers: &JsValue, body: &JsValue, reply: &JsValue, done: &JsValue);
}

/// One request: `GET` when `body` is undefined, else `POST` with JSON.
/// `link` marks requests of a standalone-link session (`X-CS-Entry: link`).
/// `done` is called once, on a later task, with the answer for [`outcome`].
pub fn call(url: &str, token: Option<&str>, body: &JsValue, locale: &str, link: bool, reply: &JsValue, done: &JsValue) {
    let method = if body.is_undefined() { "GET" } else { "POST" };
    fetch_json(url, method, &headers(token, locale, link), body, reply, done);
}

/// The visitor protocol's request headers: JSON, the locale of error
/// messages, the standalone-link entry, the token.
fn headers(token: Option<&str>, locale: &str, link: bool) -> JsValue {
    let absent = JsValue::UNDEFINED;
    object(&[
        (CONTENT_TYPE_HEADER, JSON_CONTENT_TYPE.into()),
        (LOCALE_HEADER, locale.into()),
        (ENTRY_HEADER, if link { ENTRY_LINK.into() } else { absent.clone() }),
        (AUTHORIZATION_HEADER, token.map_or(absent, |token| [BEARER_PREFIX, token].concat().into())),
    ])
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
    let retry_after = get(answer, "retryAfter").as_string().and_then(|s| crate::digits::parse::<u32>(s.trim(), 10));
    Err(wire::failure(status, &json, retry_after))
}
