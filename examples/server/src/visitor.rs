//! Visitor REST endpoints under `/api/v1/cs/`: handshake, identify, config,
//! send, current conversation, message cursor, leave.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use natter::protocol::{
    ClientLimits, ConversationResponse, ErrorCode, HandshakeRequest, HandshakeResponse, IdentifyRequest, Message,
    MessagePage, PageInfo, Profile, RemoteConfig, SendMessageRequest, SendMessageResponse, ServerFrame,
    DEFAULT_PAGE_LIMIT, MAX_CLIENT_MSG_ID_LEN, MAX_EXTRA_BYTES, MAX_FIELD_CHARS, MAX_PAGE_LIMIT, MAX_TEXT_CHARS,
    MAX_URL_CHARS, TOKEN_TTL_SECS,
};
use serde::Deserialize;

use crate::auth::{self, Claims};
use crate::clock::{now_ms, rfc3339};
use crate::config::Site;
use crate::error::ApiError;
use crate::http::{header_str, json, ClientIp, JsonBody};
use crate::store::{self, Details, Identity, Stored};
use crate::{bot, App, AppState};

// ---------------------------------------------------------------------------
// Shared checks
// ---------------------------------------------------------------------------

impl AppState {
    pub fn site(&self, app_key: &str) -> Result<Arc<Site>, ApiError> {
        if app_key.trim().is_empty() {
            return Err(ApiError::detail(ErrorCode::BadRequest, "appKey is required"));
        }
        self.sites.get(app_key).cloned().ok_or_else(|| ApiError::new(ErrorCode::UnknownAppKey))
    }

    /// Verifies a visitor token: the `aud` claim picks the site's key.
    pub fn verify_visitor_token(&self, token: &str) -> Result<(Arc<Site>, Claims), ApiError> {
        let unverified = auth::peek(token)?;
        let site = self.sites.get(&unverified.aud).cloned().ok_or(ApiError::new(ErrorCode::TokenInvalid))?;
        let claims = auth::verify(token, &site.jwt_secret, now_ms() / 1000)?;
        Ok((site, claims))
    }

    pub fn limit(&self, key: String, per_minute: u32) -> Result<(), ApiError> {
        self.limiter.check(&key, per_minute).map_err(ApiError::rate_limited)
    }

    pub fn remote_config(&self, site: &Site) -> RemoteConfig {
        let c = &site.config;
        RemoteConfig {
            available: c.enabled,
            site_name: c.name.clone(),
            locale: c.remote.locale.clone(),
            greeting: c.remote.greeting.clone(),
            offline_message: c.remote.offline_message.clone(),
            online: self.hub.agents_online(site.app_key()),
            appearance: c.remote.appearance.clone(),
            limits: ClientLimits { messages_per_minute: self.sites.limits.messages_per_minute, ..ClientLimits::default() },
        }
    }

    /// Pushes a freshly stored message (and its new conversation) to the
    /// visitor's and the agents' sockets.
    pub async fn announce(&self, stored: &Stored) {
        let row = &stored.conversation;
        if stored.new_conversation {
            let visitor_id = row.visitor_id.clone();
            let visitor = self.store.call(move |c| store::visitor(c, &visitor_id)).await.ok().flatten();
            let frame = ServerFrame::Conversation { conversation: row.conversation.clone(), visitor };
            self.hub.to_agents(&row.app_key, &frame);
            let frame = ServerFrame::Conversation { conversation: row.conversation.clone(), visitor: None };
            self.hub.to_visitor(&row.app_key, &row.visitor_id, &frame);
        }
        let frame = ServerFrame::Message { message: stored.message.clone() };
        self.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &frame);
    }
}

pub fn check_origin(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    let allowed = match header_str(headers, header::ORIGIN) {
        Some(origin) => site.origin_allowed(Some(origin)),
        // Browsers leave `Origin` out of same-origin GETs and say so with
        // `Sec-Fetch-Site`; the page's origin is then this server's own.
        None if header_str(headers, "sec-fetch-site") == Some("same-origin") => header_str(headers, header::HOST)
            .is_some_and(|host| ["http://", "https://"].iter().any(|scheme| site.origin_allowed(Some(&format!("{scheme}{host}"))))),
        None => site.origin_allowed(None),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::OriginDenied))
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// An authenticated visitor request: per-IP limit, token, then `Origin`.
pub struct VisitorAuth {
    pub site: Arc<Site>,
    pub visitor: String,
}

impl FromRequestParts<App> for VisitorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, app).await?;
        app.limit(format!("api:{ip}"), app.sites.limits.api_per_minute)?;
        let token = bearer(&parts.headers).ok_or(ApiError::new(ErrorCode::TokenMissing))?;
        let (site, claims) = app.verify_visitor_token(token)?;
        check_origin(&site, &parts.headers)?;
        Ok(VisitorAuth { site, visitor: claims.sub })
    }
}

// ---------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------

fn too_long(field: &str, max: usize) -> ApiError {
    ApiError::detail(ErrorCode::BadRequest, format!("{field} is longer than {max} characters"))
}

fn check_len(field: &str, value: &Option<String>, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(too_long(field, max)),
        _ => Ok(()),
    }
}

/// Empty or blank identity layers count as absent.
fn layer(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

fn validate_context(profile: &Profile, page: &Option<PageInfo>, locale: &Option<String>, tz: &Option<String>) -> Result<(), ApiError> {
    check_len("nickname", &profile.nickname, MAX_FIELD_CHARS)?;
    check_len("email", &profile.email, MAX_FIELD_CHARS)?;
    check_len("phone", &profile.phone, MAX_FIELD_CHARS)?;
    check_len("avatar", &profile.avatar, MAX_URL_CHARS)?;
    check_len("locale", locale, 35)?;
    check_len("timezone", tz, 64)?;
    if let Some(page) = page {
        check_len("page.url", &page.url, MAX_URL_CHARS)?;
        check_len("page.referrer", &page.referrer, MAX_URL_CHARS)?;
        check_len("page.title", &page.title, MAX_FIELD_CHARS)?;
    }
    if let Some(extra) = &profile.extra {
        if serde_json::to_vec(extra).map_or(true, |v| v.len() > MAX_EXTRA_BYTES) {
            return Err(ApiError::detail(ErrorCode::BadRequest, format!("extra is larger than {MAX_EXTRA_BYTES} bytes")));
        }
    }
    Ok(())
}

fn validate_layers(ext: &Option<String>, fp: &Option<String>, vid: &Option<String>) -> Result<(), ApiError> {
    check_len("externalUserId", ext, MAX_FIELD_CHARS)?;
    check_len("fingerprint", fp, MAX_FIELD_CHARS)?;
    check_len("visitorId", vid, MAX_FIELD_CHARS)
}

/// Whether `externalUserId` is proven, per the site's identity settings.
fn verify_identity(site: &Site, ext: &Option<String>, user_hash: &Option<String>) -> Result<bool, ApiError> {
    let (Some(ext), Some(secret)) = (ext, &site.config.identity_secret) else { return Ok(false) };
    match user_hash {
        Some(h) if auth::user_hash_matches(secret.as_bytes(), ext, h) => Ok(true),
        Some(_) => Err(ApiError::detail(ErrorCode::IdentityRejected, "userHash does not match externalUserId")),
        None if site.config.require_user_hash => Err(ApiError::detail(ErrorCode::IdentityRejected, "userHash is required")),
        None => Ok(false),
    }
}

/// Checks a message text against the limits.
pub fn validate_text(text: &str) -> Result<(), ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::EmptyText));
    }
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(ApiError::detail(ErrorCode::TextTooLong, format!("{n} > {MAX_TEXT_CHARS} characters")));
    }
    Ok(())
}

pub fn validate_client_msg_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > MAX_CLIENT_MSG_ID_LEN || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::detail(
            ErrorCode::BadRequest,
            format!("clientMsgId must be 1 to {MAX_CLIENT_MSG_ID_LEN} printable ASCII characters"),
        ));
    }
    Ok(())
}

fn details(profile: Profile, locale: Option<String>, timezone: Option<String>, page: Option<PageInfo>, headers: &HeaderMap, ip: std::net::IpAddr) -> Details {
    Details {
        profile,
        locale,
        timezone,
        page,
        user_agent: header_str(headers, header::USER_AGENT).map(|ua| ua.chars().take(512).collect()),
        ip: Some(ip.to_string()),
    }
}

fn issue(app: &AppState, site: &Site, visitor: String, conversation_id: Option<i64>, identity_changed: Option<bool>) -> Result<HandshakeResponse, ApiError> {
    let now = now_ms() / 1000;
    let exp = now + TOKEN_TTL_SECS as i64;
    let claims = Claims { iss: auth::ISSUER.into(), aud: site.app_key().into(), sub: visitor.clone(), iat: now, exp };
    Ok(HandshakeResponse {
        available: true,
        token: Some(auth::sign(&claims, &site.jwt_secret)?),
        expires_at: Some(rfc3339(exp * 1000)),
        expires_in: Some(TOKEN_TTL_SECS),
        cs_visitor_id: Some(visitor),
        conversation_id,
        identity_changed,
        config: app.remote_config(site),
    })
}

async fn open_conversation_id(app: &AppState, visitor: &str) -> Result<Option<i64>, ApiError> {
    let v = visitor.to_string();
    Ok(app.store.call(move |c| store::open_conversation(c, &v)).await?.map(|r| r.conversation.id))
}

// ---------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------

/// `POST /api/v1/cs/handshake`.
pub async fn handshake(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<JsonBody<HandshakeRequest>, ApiError>,
) -> Result<Response, ApiError> {
    app.limit(format!("entry:{ip}"), app.sites.limits.handshake_per_minute)?;
    let JsonBody(req) = body?;
    let site = app.site(&req.app_key)?;
    check_origin(&site, &headers)?;
    if !site.config.enabled {
        let config = app.remote_config(&site);
        let resp = HandshakeResponse {
            available: false,
            token: None,
            expires_at: None,
            expires_in: None,
            cs_visitor_id: None,
            conversation_id: None,
            identity_changed: None,
            config,
        };
        return Ok(json(StatusCode::OK, &resp));
    }
    let (ext, fp, vid) = (layer(req.external_user_id), layer(req.fingerprint), layer(req.visitor_id));
    validate_layers(&ext, &fp, &vid)?;
    validate_context(&req.profile, &req.page, &req.locale, &req.timezone)?;
    let verified = verify_identity(&site, &ext, &req.user_hash)?;
    let identity = Identity { external_user_id: ext, fingerprint: fp, anon_id: vid, verified, claim: None };
    let d = details(req.profile, req.locale, req.timezone, req.page, &headers, ip);
    let key = site.app_key().to_string();
    let visitor = app.store.call(move |c| store::resolve_visitor(c, &key, &identity, &d, now_ms())).await?;
    let conversation = open_conversation_id(&app, &visitor).await?;
    tracing::debug!(%visitor, app_key = site.app_key(), "handshake");
    Ok(json(StatusCode::OK, &issue(&app, &site, visitor, conversation, None)?))
}

/// `POST /api/v1/cs/identify`.
pub async fn identify(
    State(app): State<App>,
    auth: VisitorAuth,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<JsonBody<IdentifyRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let JsonBody(req) = body?;
    let site = auth.site;
    let current_id = auth.visitor.clone();
    let current_ext = app.store.call(move |c| store::visitor_external_id(c, &current_id)).await?;
    let new_ext = match req.external_user_id {
        None => current_ext.clone(),
        Some(v) => layer(v),
    };
    let (fp, vid) = (layer(req.fingerprint), layer(req.visitor_id));
    validate_layers(&new_ext, &fp, &vid)?;
    validate_context(&req.profile, &req.page, &req.locale, &req.timezone)?;
    let d = details(req.profile, req.locale, req.timezone, req.page, &headers, ip);
    let changed = new_ext != current_ext;
    let visitor = if changed {
        let verified = verify_identity(&site, &new_ext, &req.user_hash)?;
        let claim = Some(auth.visitor.clone());
        let identity = Identity { external_user_id: new_ext, fingerprint: fp, anon_id: vid, verified, claim };
        let key = site.app_key().to_string();
        app.store.call(move |c| store::resolve_visitor(c, &key, &identity, &d, now_ms())).await?
    } else {
        let v = auth.visitor.clone();
        app.store.call(move |c| store::touch_visitor(c, &v, &d, now_ms())).await?;
        auth.visitor
    };
    let v = visitor.clone();
    if let Some(info) = app.store.call(move |c| store::visitor(c, &v)).await? {
        app.hub.to_agents(site.app_key(), &ServerFrame::Visitor { visitor: info });
    }
    let conversation = open_conversation_id(&app, &visitor).await?;
    Ok(json(StatusCode::OK, &issue(&app, &site, visitor, conversation, Some(changed))?))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigQuery {
    #[serde(default)]
    app_key: String,
}

/// `GET /api/v1/cs/config?appKey=`.
pub async fn config(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    query: Result<Query<ConfigQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    app.limit(format!("entry:{ip}"), app.sites.limits.handshake_per_minute)?;
    let Query(q) = query.map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.body_text()))?;
    let site = app.site(&q.app_key)?;
    check_origin(&site, &headers)?;
    Ok(json(StatusCode::OK, &app.remote_config(&site)))
}

/// `POST /api/v1/cs/conversations`: send a message.
pub async fn send(State(app): State<App>, auth: VisitorAuth, body: Result<JsonBody<SendMessageRequest>, ApiError>) -> Result<Response, ApiError> {
    app.limit(format!("msg:{}", auth.visitor), app.sites.limits.messages_per_minute)?;
    let JsonBody(req) = body?;
    let cmid = req.client_msg_id.ok_or_else(|| ApiError::detail(ErrorCode::BadRequest, "clientMsgId is required"))?;
    validate_client_msg_id(&cmid)?;
    validate_text(&req.text)?;
    if !auth.site.config.enabled {
        return Err(ApiError::new(ErrorCode::Unavailable));
    }
    let (key, visitor, text) = (auth.site.app_key().to_string(), auth.visitor.clone(), req.text);
    let stored = app.store.call(move |c| store::send_visitor(c, &key, &visitor, &cmid, &text, now_ms())).await?;
    if !stored.duplicate {
        app.announce(&stored).await;
        bot::answer(&app, &stored.message);
    }
    let status = if stored.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    let resp = SendMessageResponse { message: stored.message, conversation: stored.conversation.conversation, duplicate: stored.duplicate };
    Ok(json(status, &resp))
}

/// `GET /api/v1/cs/conversations/current`.
pub async fn current(State(app): State<App>, auth: VisitorAuth) -> Result<Response, ApiError> {
    let v = auth.visitor;
    let conversation = app.store.call(move |c| store::open_conversation(c, &v)).await?.map(|r| r.conversation);
    Ok(json(StatusCode::OK, &ConversationResponse { conversation }))
}

#[derive(Deserialize)]
pub struct PageQuery {
    since: Option<i64>,
    limit: Option<u32>,
}

pub fn path_id(path: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    path.map(|Path(id)| id).map_err(|_| ApiError::detail(ErrorCode::NotFound, "conversation id must be an integer"))
}

pub fn page_query(query: Result<Query<PageQuery>, QueryRejection>) -> Result<PageQuery, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.body_text()))
}

/// Reads one page of a conversation; the caller has checked access.
pub async fn page(app: &AppState, conversation: i64, q: PageQuery) -> Result<Response, ApiError> {
    let since = q.since.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(DEFAULT_PAGE_LIMIT).clamp(1, MAX_PAGE_LIMIT);
    let (messages, has_more): (Vec<Message>, bool) =
        app.store.call(move |c| store::messages(c, conversation, since, limit)).await?;
    let next_since = messages.last().map_or(since, |m| m.id);
    Ok(json(StatusCode::OK, &MessagePage { messages, has_more, next_since }))
}

/// Loads a conversation the visitor owns: 404 when absent, 403 when another's.
async fn owned(app: &AppState, auth: &VisitorAuth, id: i64) -> Result<store::ConversationRow, ApiError> {
    let row = app.store.call(move |c| store::conversation(c, id)).await?.ok_or(ApiError::new(ErrorCode::NotFound))?;
    if row.app_key != auth.site.app_key() || row.visitor_id != auth.visitor {
        return Err(ApiError::new(ErrorCode::Forbidden));
    }
    Ok(row)
}

/// `GET /api/v1/cs/conversations/{id}/messages?since=&limit=`.
pub async fn messages(
    State(app): State<App>,
    auth: VisitorAuth,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let q = page_query(query)?;
    owned(&app, &auth, id).await?;
    page(&app, id, q).await
}

/// `POST /api/v1/cs/conversations/{id}/leave`.
pub async fn leave(State(app): State<App>, auth: VisitorAuth, path: Result<Path<i64>, PathRejection>) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    owned(&app, &auth, id).await?;
    let (row, system) = app.store.call(move |c| store::leave(c, id, now_ms())).await?;
    if let Some(message) = system {
        let frame = ServerFrame::Conversation { conversation: row.conversation.clone(), visitor: None };
        app.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &frame);
        app.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &ServerFrame::Message { message });
    }
    Ok(json(StatusCode::OK, &ConversationResponse { conversation: Some(row.conversation) }))
}
