//! The admin API under `/api/v1/admin/`: a site's admins (bearer tokens
//! from `admin_tokens`) sign standalone links for their site.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use natter::protocol::{ErrorCode, LinkSignRequest, LinkSignResponse, MAX_FIELD_CHARS};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::auth;
use crate::clock::{now_ms, rfc3339};
use crate::error::ApiError;
use crate::http::{json, JsonBody};
use crate::visitor::bearer;
use crate::App;

/// Path of the standalone page the signed URL points at (served by
/// `--static` from the CDN build).
pub const STANDALONE_PAGE: &str = "/standalone.html";

/// Everything but RFC 3986 unreserved characters is percent-encoded.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

pub fn percent_encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The standalone page URL of a link, relative to the server; `u` and
/// `nick` are left out when empty.
pub fn standalone_url(app_key: &str, u: &str, nick: &str, t: i64, s: &str) -> String {
    let mut url = format!("{STANDALONE_PAGE}?k={}", percent_encode(app_key));
    for (name, value) in [("u", u), ("nick", nick)] {
        if !value.is_empty() {
            url.push_str(&format!("&{name}={}", percent_encode(value)));
        }
    }
    url.push_str(&format!("&t={t}&s={s}"));
    url
}

/// `POST /api/v1/admin/cs/sites/{appKey}/link-entry/sign`
/// `{"externalUserId"?, "nickname"?}` → `{appKey, t, s, ttlSec, expiresAt, url}`.
pub async fn sign_link(
    State(app): State<App>,
    Path(app_key): Path<String>,
    headers: HeaderMap,
    body: Result<JsonBody<LinkSignRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let token = bearer(&headers).ok_or(ApiError::new(ErrorCode::TokenMissing))?;
    let own = app.sites.admin(token).ok_or(ApiError::new(ErrorCode::TokenInvalid))?;
    let site = app.sites.get(&app_key).ok_or(ApiError::new(ErrorCode::UnknownAppKey))?;
    if own.app_key() != site.app_key() {
        return Err(ApiError::detail(ErrorCode::Forbidden, "this admin token belongs to another site"));
    }
    let JsonBody(req) = body?;
    // Signed as the handshake will check them: trimmed, no control characters.
    let u = req.external_user_id.unwrap_or_default().trim().to_string();
    let nick = req.nickname.unwrap_or_default().trim().to_string();
    for (field, value) in [("externalUserId", &u), ("nickname", &nick)] {
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(ApiError::detail(
                ErrorCode::BadRequest,
                format!("{field} is longer than {MAX_FIELD_CHARS} characters"),
            ));
        }
        if !auth::is_canonical_id(value) {
            return Err(ApiError::detail(ErrorCode::BadRequest, format!("{field} contains control characters")));
        }
    }
    let link = &site.config.link;
    if !link.enabled {
        return Err(ApiError::detail(ErrorCode::Unavailable, "standalone links are disabled for this site"));
    }
    let secret = site
        .config
        .link_secret()
        .ok_or_else(|| ApiError::detail(ErrorCode::Unavailable, "this site has no link secret"))?;
    let t = now_ms() / 1000;
    let s = auth::link_signature(secret.as_bytes(), site.app_key(), t, &u, &nick)?;
    let resp = LinkSignResponse {
        app_key: site.app_key().to_string(),
        t,
        url: standalone_url(site.app_key(), &u, &nick, t, &s),
        s,
        ttl_sec: link.ttl_secs,
        expires_at: rfc3339((t + link.ttl_secs as i64) * 1000),
    };
    Ok(json(StatusCode::OK, &resp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_percent_encoded() {
        assert_eq!(percent_encode("Alex Lee/é&=?"), "Alex%20Lee%2F%C3%A9%26%3D%3F");
        assert_eq!(standalone_url("sk_demo", "", "", 5, "ab"), "/standalone.html?k=sk_demo&t=5&s=ab");
        assert_eq!(
            standalone_url("sk_demo", "u 1", "N", 5, "ab"),
            "/standalone.html?k=sk_demo&u=u%201&nick=N&t=5&s=ab"
        );
    }
}
