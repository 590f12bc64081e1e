//! REST calls with the browser's `fetch`, and reading JSON answers.
//!
//! web-sys `fetch` is used directly rather than gloo-net: gloo-net wraps the
//! same call but brings the `http` crate and its own error types, bytes the
//! page does not need for a handful of JSON requests.

use js_sys::JSON;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, RequestInit, Response};

use super::machine::Failure;
use crate::js::get;

/// One request: `GET` when `body` is `None`, else `POST` with JSON.
/// `link` marks requests of a standalone-link session (`X-CS-Entry: link`).
pub async fn call(url: &str, token: Option<&str>, body: Option<&JsValue>, locale: &str, link: bool) -> Result<JsValue, Failure> {
    let init = RequestInit::new();
    init.set_method(if body.is_some() { "POST" } else { "GET" });
    // No cookies: the protocol carries its token in a header.
    init.set_credentials(web_sys::RequestCredentials::Omit);
    if let Some(body) = body {
        let text = JSON::stringify(body).map_err(|_| Failure::Network)?;
        init.set_body(&text);
    }
    let request = Request::new_with_str_and_init(url, &init).map_err(|_| Failure::Network)?;
    let headers = request.headers();
    let _ = headers.set("Content-Type", "application/json");
    let _ = headers.set("X-Locale", locale);
    if link {
        let _ = headers.set(crate::protocol::ENTRY_HEADER, "link");
    }
    if let Some(token) = token {
        let _ = headers.set("Authorization", &format!("Bearer {token}"));
    }
    let window = web_sys::window().ok_or(Failure::Network)?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| Failure::Network)?
        .dyn_into()
        .map_err(|_| Failure::Network)?;
    let status = response.status();
    let json = match response.json() {
        Ok(promise) => JsFuture::from(promise).await.unwrap_or(JsValue::NULL),
        Err(_) => JsValue::NULL,
    };
    if response.ok() {
        return Ok(json);
    }
    let error = get(&json, "error");
    let retry_after = response
        .headers()
        .get("Retry-After")
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .or_else(|| get(&error, "retryAfterSec").as_f64().map(|n| n as u32));
    Err(Failure::Http {
        status,
        code: get(&error, "code").as_string(),
        message: get(&error, "message").as_string(),
        retry_after_ms: retry_after.map(|s| f64::from(s.max(1)) * 1000.0),
    })
}

