//! Static files (`--static DIR`, repeatable) and the embedded agent console.
//!
//! Directories are searched in order; `/` serves the first `index.html`.
//! Content-hashed names (`widget-<hex>.js`, `widget-<hex>.wasm`, any
//! `name-<8+ hex>.{js,mjs,css,wasm}`) are cached for a year as immutable;
//! everything else is `no-cache` with an `ETag`, so a new build shows at once.

use std::path::{Component, Path, PathBuf};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use natter::protocol::ErrorCode;

use crate::error::ApiError;
use crate::App;

const CONSOLE_HTML: &str = include_str!("console/index.html");
const CONSOLE_JS: &str = include_str!("console/app.js");
const CONSOLE_CSS: &str = include_str!("console/app.css");
const LANDING_HTML: &str = include_str!("console/landing.html");

/// The console runs under a strict policy: no inline script or style.
const CONSOLE_CSP: &str =
    "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn embedded(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CONSOLE_CSP),
            (header::CACHE_CONTROL, "no-cache"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

pub async fn console_page() -> Response {
    embedded(CONSOLE_HTML, "text/html; charset=utf-8")
}

pub async fn console_script() -> Response {
    embedded(CONSOLE_JS, "text/javascript; charset=utf-8")
}

pub async fn console_style() -> Response {
    embedded(CONSOLE_CSS, "text/css; charset=utf-8")
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

/// `widget-0123abcd.wasm` and the like: named by content, never changes.
pub fn is_content_hashed(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else { return false };
    if !matches!(ext, "js" | "mjs" | "css" | "wasm") {
        return false;
    }
    let Some((_, hash)) = stem.rsplit_once(['-', '.']) else { return false };
    hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Maps a URL path to a relative file path, refusing anything that could
/// leave the directory.
fn relative(path: &str) -> Option<PathBuf> {
    let trimmed = path.trim_start_matches('/');
    let mut rel = PathBuf::new();
    for part in trimmed.split('/') {
        if part.is_empty() {
            continue;
        }
        if part.starts_with('.') || part.contains(['\\', '\0', '%']) {
            return None;
        }
        rel.push(part);
    }
    if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    if path.ends_with('/') || rel.as_os_str().is_empty() {
        rel.push("index.html");
    }
    Some(rel)
}

async fn find(dirs: &[PathBuf], rel: &Path) -> Option<(PathBuf, std::fs::Metadata)> {
    for dir in dirs {
        let candidate = dir.join(rel);
        if let Ok(meta) = tokio::fs::metadata(&candidate).await {
            if meta.is_file() {
                return Some((candidate, meta));
            }
        }
    }
    None
}

fn etag(meta: &std::fs::Metadata) -> String {
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    format!("\"{:x}-{:x}\"", meta.len(), mtime)
}

/// Everything no route matched: API paths get a JSON 404, the rest is
/// looked up in the static directories.
pub async fn fallback(State(app): State<App>, method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/ws" {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::new(ErrorCode::MethodNotAllowed).into_response();
    }
    let Some(rel) = relative(path) else { return ApiError::new(ErrorCode::NotFound).into_response() };
    let Some((file, meta)) = find(&app.static_dirs, &rel).await else {
        if path == "/" {
            return embedded(LANDING_HTML, "text/html; charset=utf-8");
        }
        return ApiError::new(ErrorCode::NotFound).into_response();
    };
    let tag = etag(&meta);
    let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let cache = if is_content_hashed(name) { "public, max-age=31536000, immutable" } else { "no-cache" };
    let mut resp = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        match tokio::fs::read(&file).await {
            Ok(bytes) if method == Method::HEAD => {
                let mut r = StatusCode::OK.into_response();
                r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
                r
            }
            Ok(bytes) => (StatusCode::OK, bytes).into_response(),
            Err(err) => {
                tracing::warn!(%err, file = %file.display(), "cannot read static file");
                return ApiError::new(ErrorCode::NotFound).into_response();
            }
        }
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names() {
        assert!(is_content_hashed("widget-3f9a0c1d.wasm"));
        assert!(is_content_hashed("widget-3f9a0c1d2b.js"));
        assert!(is_content_hashed("widget.3f9a0c1d.js"));
        assert!(!is_content_hashed("widget.js"));
        assert!(!is_content_hashed("widget-latest.js"));
        assert!(!is_content_hashed("widget-3f9a.js"));
        assert!(!is_content_hashed("index-3f9a0c1d.html"));
    }

    #[test]
    fn paths_stay_inside() {
        assert_eq!(relative("/"), Some(PathBuf::from("index.html")));
        assert_eq!(relative("/demo/"), Some(PathBuf::from("demo/index.html")));
        assert_eq!(relative("/widget.js"), Some(PathBuf::from("widget.js")));
        assert_eq!(relative("/../etc/passwd"), None);
        assert_eq!(relative("/a/%2e%2e/b"), None);
        assert_eq!(relative("/.git/config"), None);
    }
}
