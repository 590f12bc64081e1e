//! Static files (`--static DIR`, repeatable) and the embedded agent console.
//!
//! Directories are searched in order; `/` serves the first `index.html`.
//! Files are served by tower-http's `ServeDir` (ETag, Last-Modified,
//! conditional and range requests, HEAD), confined to their folder: a path
//! that resolves outside it, through a symlink or otherwise, is not found,
//! and neither are dotfiles.
//!
//! Answers are compressed (brotli or gzip, as the browser accepts, with
//! `Vary: Accept-Encoding`).
//!
//! Every file is public: the widget's files are loaded by pages on other
//! origins (the glue is a module, the wasm is fetched, both in CORS mode), so
//! each answer carries `Access-Control-Allow-Origin: *` (never with
//! credentials) and `Cross-Origin-Resource-Policy: cross-origin`. The value
//! does not depend on the request, so no `Vary: Origin` is needed.
//!
//! Cache classes, as the README promises: content-hashed names
//! (`widget-<hex>.wasm`, any `name-<8+ hex>.{js,mjs,css,wasm}`) for a year as
//! immutable; the widget's other public files (`widget.js`, `standalone.*`,
//! `manifest.json`) for 5 minutes; anything else `no-cache`, so a new build
//! of a page shows at once.

use std::fs::Metadata;
use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use natter::protocol::ErrorCode;
use tower_http::compression::CompressionLayer;
use tower_http::services::fs::{Backend, TokioBackend, TokioFile};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::ApiError;

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

/// `widget-0123abcd.wasm` and the like: named by content, never changes.
pub fn is_content_hashed(name: &str) -> bool {
    let Some((stem, ext)) = name.rsplit_once('.') else { return false };
    if !matches!(ext, "js" | "mjs" | "css" | "wasm") {
        return false;
    }
    let Some((_, hash)) = stem.rsplit_once(['-', '.']) else { return false };
    hash.len() >= 8 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The `Cache-Control` of a file, by its name.
fn cache_class(name: &str) -> &'static str {
    if is_content_hashed(name) {
        "public, max-age=31536000, immutable"
    } else if matches!(name, "widget.js" | "standalone.html" | "standalone.mjs" | "manifest.json") {
        "public, max-age=300"
    } else {
        "no-cache"
    }
}

/// The types browsers check, with a charset for text: `ServeDir`'s guess
/// says `application/javascript` for `.mjs` and names no charset.
fn content_type(name: &str) -> Option<&'static str> {
    Some(match name.rsplit_once('.')?.1 {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// Every request no route matched, served from the static directories in
/// order, then the landing page at `/`, else a JSON 404.
pub fn service(dirs: &[PathBuf]) -> Router<()> {
    let mut files = Router::new().fallback(not_found);
    for dir in dirs.iter().rev() {
        // `ServeDir` looks files up below `./DIR`, as `Confined` expects.
        let serve = ServeDir::with_backend(dir, Confined(Path::new(".").join(dir).into())).fallback(files);
        files = Router::new().fallback_service(serve);
    }
    files
        .layer(SetResponseHeaderLayer::overriding(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")))
        .layer(SetResponseHeaderLayer::overriding(
            header::HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn(files_only))
}

/// API paths are never files, files are only read, and what is served gets
/// the cache class and content type of its name. A compressed answer's
/// `ETag` is made weak: the bytes differ from the file's, which a strong
/// validator would promise are the same (as nginx does).
async fn files_only(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if path.starts_with("/api/") || path == "/ws" {
        return ApiError::new(ErrorCode::NotFound).into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return ApiError::new(ErrorCode::MethodNotAllowed).into_response();
    }
    let name = path.rsplit('/').next().unwrap_or("");
    let (cache, content_type) = (cache_class(name), content_type(name));
    let mut resp = next.run(req).await;
    if resp.status().is_success() || resp.status() == StatusCode::NOT_MODIFIED {
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        if let (Some(t), true) = (content_type, h.contains_key(header::CONTENT_TYPE)) {
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
        }
        let strong = h.get(header::ETAG).filter(|tag| !tag.as_bytes().starts_with(b"W/"));
        if let (Some(tag), true) = (strong, h.contains_key(header::CONTENT_ENCODING)) {
            if let Ok(weak) = HeaderValue::from_bytes(&[b"W/", tag.as_bytes()].concat()) {
                h.insert(header::ETAG, weak);
            }
        }
    }
    resp
}

async fn not_found(uri: Uri) -> Response {
    if uri.path() == "/" {
        return embedded(LANDING_HTML, "text/html; charset=utf-8");
    }
    ApiError::new(ErrorCode::NotFound).into_response()
}

/// The file system as `ServeDir` sees it, confined to one folder: a path
/// whose real location (symlinks resolved) is outside the folder, or that
/// names a dotfile, is not found. Links inside the folder still work.
///
/// The check resolves the path, then opens what it resolved to: it stops
/// links placed in the folder, not someone swapping folders while a request
/// runs (the folder is a deployed artefact, not writable by visitors).
#[derive(Clone)]
struct Confined(Arc<Path>);

impl Confined {
    async fn resolve(&self, path: PathBuf) -> io::Result<PathBuf> {
        let not_found = || io::Error::from(io::ErrorKind::NotFound);
        let rel = path.strip_prefix(&*self.0).map_err(|_| not_found())?;
        if rel.components().any(|c| c.as_os_str().as_encoded_bytes().starts_with(b".")) {
            return Err(not_found());
        }
        let (real, root) = tokio::try_join!(tokio::fs::canonicalize(&path), tokio::fs::canonicalize(&*self.0))?;
        if !real.starts_with(&root) {
            tracing::warn!(path = %path.display(), target = %real.display(), "static file outside its folder refused");
            return Err(not_found());
        }
        Ok(real)
    }
}

type Io<T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send>>;

impl Backend for Confined {
    type File = TokioFile;
    type Metadata = Metadata;
    type OpenFuture = Io<TokioFile>;
    type MetadataFuture = Io<Metadata>;

    fn open(&self, path: PathBuf) -> Self::OpenFuture {
        let this = self.clone();
        Box::pin(async move { TokioBackend.open(this.resolve(path).await?).await })
    }

    fn metadata(&self, path: PathBuf) -> Self::MetadataFuture {
        let this = self.clone();
        Box::pin(async move { TokioBackend.metadata(this.resolve(path).await?).await })
    }
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
}
