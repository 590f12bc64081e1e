//! Request plumbing shared by the handlers: a JSON body extractor with our
//! error envelope, the client IP, JSON responses, CORS for the visitor API
//! and the headers of private responses.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use natter::protocol::ErrorCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;

/// A JSON object body. The `Content-Type` is not checked (a `text/plain`
/// body avoids a CORS preflight); the body must parse as the expected shape.
/// A body that is not read in time is a 400 (the router's body timeout).
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(ErrorCode::BodyTooLarge)
            } else {
                ApiError::detail(ErrorCode::BadRequest, format!("unreadable body ({})", rejection.body_text()))
            }
        })?;
        let bad = |e: serde_json::Error| ApiError::detail(ErrorCode::BadRequest, e.to_string());
        // Objects only: serde would also fill a struct from an array of its
        // fields in order (`["u_42","Alex"]`).
        match serde_json::from_slice(&bytes).map_err(bad)? {
            value @ serde_json::Value::Object(_) => serde_json::from_value(value).map(JsonBody).map_err(bad),
            _ => Err(ApiError::detail(ErrorCode::BadRequest, "the body must be a JSON object")),
        }
    }
}

/// The peer's IP (no proxy headers are trusted: put a proxy's own limits in
/// front if you deploy behind one).
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| ClientIp(addr.ip()))
            .ok_or_else(|| ApiError::new(ErrorCode::Internal))
    }
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => (status, [(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(_) => ApiError::new(ErrorCode::Internal).into_response(),
    }
}

pub fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// CORS for the visitor API (tower-http). The origin is reflected for every
/// caller and no credentials are allowed: access control is the per-site
/// `Origin` check each endpoint performs (403 `origin_denied`), and
/// reflecting lets the widget read that error instead of an opaque network
/// failure.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-locale"),
            HeaderName::from_static("x-cs-entry"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600))
}

/// Responses that carry visitor data (the visitor, agent and admin APIs):
/// never stored by a cache, never content-sniffed.
pub fn private<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
}

/// One log line per request: method, path (never the query: it may carry
/// an app key), status and latency.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let ms = started.elapsed().as_millis() as u64;
    if status >= 500 {
        tracing::error!(%method, %path, status, ms, "request");
    } else {
        tracing::info!(%method, %path, status, ms, "request");
    }
    resp
}
