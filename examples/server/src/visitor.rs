//! Visitor REST endpoints under `/api/v1/cs/`: handshake, identify, config,
//! send, current conversation, message cursor, leave.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use natter::protocol::{
    ClientLimits, ConversationResponse, ErrorCode, FormSubmission, HandshakeRequest, HandshakeResponse,
    IdentifyRequest, LinkEntry, Message, MessagePage, PageInfo, Profile, RemoteConfig, SendMessageRequest,
    SendMessageResponse, ServerFrame, BEARER_PREFIX, CLOCK_SKEW_SECS, DEFAULT_PAGE_LIMIT, ENTRY_HEADER, ENTRY_LINK,
    MAX_CLIENT_MSG_ID_LEN, MAX_EXTRA_BYTES, MAX_FIELD_CHARS, MAX_LOCALE_CHARS, MAX_PAGE_LIMIT, MAX_TEXT_CHARS,
    MAX_TIMEZONE_CHARS, MAX_URL_CHARS, TOKEN_TTL_SECS,
};
use serde::Deserialize;

use crate::auth::{self, Claims};
use crate::clock::{now_ms, rfc3339};
use crate::config::Site;
use crate::error::ApiError;
use crate::http::{header_str, json, ClientIp, JsonBody};
use crate::store::{self, Details, Identity, Resolved, Stored};
use crate::{bot, forms, App, AppState};

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

    /// A visitor request's token, entry and record: the token verifies, the
    /// request passes the origin rule (or, for a link token, the site still
    /// takes links), and the visitor record is live (a record merged into a
    /// user's at login no longer acts: 401 `token_invalid`).
    pub async fn authenticate_visitor(
        &self,
        token: &str,
        headers: &HeaderMap,
    ) -> Result<(Arc<Site>, Claims), ApiError> {
        let (site, claims) = self.verify_visitor_token(token)?;
        if claims.is_link() {
            link_enabled(&site)?;
        } else {
            check_origin(&site, headers)?;
        }
        self.check_access(&claims).await?;
        Ok((site, claims))
    }

    /// The visitor record still takes this token: it was not merged into a
    /// user's at login, and if the user's identity has been proven since,
    /// the token was minted on a proof too (401 `token_invalid` otherwise).
    pub async fn check_access(&self, claims: &Claims) -> Result<(), ApiError> {
        self.visitor_access(&claims.sub, claims.prf).await
    }

    /// [`Self::check_access`] for a visitor whose token proved its identity
    /// or not (`proven`).
    pub async fn visitor_access(&self, visitor: &str, proven: bool) -> Result<(), ApiError> {
        let v = visitor.to_string();
        match self.store.call(move |c| store::visitor_access(c, &v)).await? {
            store::Access::Open => Ok(()),
            store::Access::ProvenOnly if proven => Ok(()),
            store::Access::ProvenOnly => Err(ApiError::detail(
                ErrorCode::TokenInvalid,
                "this user's identity was verified after this token was issued; handshake again",
            )),
            store::Access::Gone => {
                Err(ApiError::detail(ErrorCode::TokenInvalid, "this visitor was merged; handshake again"))
            }
        }
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
            availability: self.availability(site),
            rating: c.rating.scale(),
            forms: c.forms.clone(),
            appearance: c.remote.appearance.clone(),
            limits: ClientLimits {
                messages_per_minute: self.sites.limits.messages_per_minute,
                ..ClientLimits::default()
            },
        }
    }

    /// Pushes a freshly stored message (and its new conversation, or the
    /// join its agent's first reply made) to the visitor's and the agents'
    /// sockets.
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
        if let Some(joined) = &stored.joined {
            self.announce_step(row, joined.clone());
        }
        let frame = ServerFrame::Message { message: stored.message.clone() };
        self.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &frame);
    }
}

pub fn check_origin(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    // A browser sends one `Origin`; two are forged and neither is trusted.
    if headers.get_all(header::ORIGIN).iter().nth(1).is_some() {
        return Err(ApiError::detail(ErrorCode::OriginDenied, "more than one Origin header"));
    }
    let allowed = match header_str(headers, header::ORIGIN) {
        Some(origin) => site.origin_allowed(Some(origin)),
        // Browsers leave `Origin` out of same-origin GETs and say so with
        // `Sec-Fetch-Site`; the page's origin is then this server's own.
        None if header_str(headers, "sec-fetch-site") == Some("same-origin") => header_str(headers, header::HOST)
            .is_some_and(|host| {
                ["http://", "https://"].iter().any(|scheme| site.origin_allowed(Some(&format!("{scheme}{host}"))))
            }),
        None => site.origin_allowed(None),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::OriginDenied))
    }
}

/// `X-CS-Entry: link`: the standalone link page.
pub fn is_link_entry(headers: &HeaderMap) -> bool {
    header_str(headers, ENTRY_HEADER).is_some_and(|v| v.trim().eq_ignore_ascii_case(ENTRY_LINK))
}

fn link_enabled(site: &Site) -> Result<(), ApiError> {
    if site.config.link.enabled {
        Ok(())
    } else {
        Err(ApiError::detail(ErrorCode::Unavailable, "standalone links are disabled for this site"))
    }
}

/// The entry rule of `handshake` and `config`: a link request needs the
/// site's link entry on, any other request passes the origin rule.
fn check_entry(site: &Site, headers: &HeaderMap) -> Result<(), ApiError> {
    if is_link_entry(headers) {
        link_enabled(site)
    } else {
        check_origin(site, headers)
    }
}

pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    header_str(headers, header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix(BEARER_PREFIX).or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// An authenticated visitor request: per-IP limit, token, then `Origin`.
pub struct VisitorAuth {
    pub site: Arc<Site>,
    pub visitor: String,
    /// The token came from a standalone-link handshake.
    pub link: bool,
    /// The token was minted on a proof of identity ([`Claims::prf`]).
    pub proven: bool,
}

impl FromRequestParts<App> for VisitorAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, app).await?;
        app.limit(format!("api:{ip}"), app.sites.limits.api_per_minute)?;
        let token = bearer(&parts.headers).ok_or(ApiError::new(ErrorCode::TokenMissing))?;
        let (site, claims) = app.authenticate_visitor(token, &parts.headers).await?;
        let link = claims.is_link();
        Ok(VisitorAuth { site, visitor: claims.sub, link, proven: claims.prf })
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

/// The profile and locale are checked; the page context is not: it is cut
/// to its limits (see `details`).
fn validate_context(profile: &Profile, locale: &Option<String>, tz: &Option<String>) -> Result<(), ApiError> {
    check_len("nickname", &profile.nickname, MAX_FIELD_CHARS)?;
    check_len("email", &profile.email, MAX_FIELD_CHARS)?;
    check_len("phone", &profile.phone, MAX_FIELD_CHARS)?;
    check_len("avatar", &profile.avatar, MAX_URL_CHARS)?;
    check_len("locale", locale, MAX_LOCALE_CHARS)?;
    check_len("timezone", tz, MAX_TIMEZONE_CHARS)?;
    if let Some(extra) = &profile.extra {
        if serde_json::to_vec(extra).map_or(true, |v| v.len() > MAX_EXTRA_BYTES) {
            return Err(ApiError::detail(
                ErrorCode::BadRequest,
                format!("extra is larger than {MAX_EXTRA_BYTES} bytes"),
            ));
        }
    }
    Ok(())
}

/// Identity layers are ids: at most [`MAX_FIELD_CHARS`], no control
/// characters (they are compared, signed and shown as they are).
fn validate_layers(ext: &Option<String>, fp: &Option<String>, vid: &Option<String>) -> Result<(), ApiError> {
    for (field, value) in [("externalUserId", ext), ("fingerprint", fp), ("visitorId", vid)] {
        check_len(field, value, MAX_FIELD_CHARS)?;
        if value.as_deref().is_some_and(|v| !auth::is_canonical_id(v)) {
            return Err(ApiError::detail(ErrorCode::BadRequest, format!("{field} contains control characters")));
        }
    }
    Ok(())
}

/// The identity a request claims, after checking its proofs.
#[derive(Debug, Default)]
struct Proof {
    external_user_id: Option<String>,
    verified: bool,
}

/// Checks the proofs of an identity claim against the site's identity
/// secret (section 4): every proof given must hold (`identity_rejected`
/// otherwise); an `identityToken` alone names the user (`sub`) and its
/// profile claims overwrite `profile`; an unproven `externalUserId` is
/// refused with `identity_unverified` when the site requires proof. Sites
/// without a secret ignore both proofs.
fn prove(
    site: &Site,
    ext: Option<String>,
    user_hash: Option<&str>,
    identity_token: Option<&str>,
    profile: &mut Profile,
) -> Result<Proof, ApiError> {
    let rejected = |why: &str| ApiError::detail(ErrorCode::IdentityRejected, why);
    let Some(secret) = site.config.identity_secret.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(Proof { external_user_id: ext, verified: false });
    };
    let mut proof = Proof { external_user_id: ext, verified: false };
    if let Some(token) = identity_token.filter(|t| !t.trim().is_empty()) {
        let claims =
            auth::verify_identity_token(token, secret.as_bytes(), site.app_key(), now_ms() / 1000).map_err(rejected)?;
        if proof.external_user_id.as_ref().is_some_and(|e| *e != claims.sub) {
            return Err(rejected("identityToken sub is another user"));
        }
        let set = |field: &mut Option<String>, claim: Option<String>| {
            if claim.is_some() {
                *field = claim;
            }
        };
        set(&mut profile.nickname, claims.nickname);
        set(&mut profile.email, claims.email);
        set(&mut profile.avatar, claims.avatar);
        set(&mut profile.phone, claims.phone);
        proof = Proof { external_user_id: Some(claims.sub), verified: true };
    }
    if let (Some(ext), Some(hash)) = (&proof.external_user_id, user_hash.filter(|h| !h.trim().is_empty())) {
        if !auth::user_hash_matches(secret.as_bytes(), ext, hash) {
            return Err(rejected("userHash does not match externalUserId"));
        }
        proof.verified = true;
    }
    if proof.external_user_id.is_some() && !proof.verified && site.config.require_user_hash {
        return Err(ApiError::detail(ErrorCode::IdentityUnverified, "this site requires userHash or identityToken"));
    }
    Ok(proof)
}

/// Checks a standalone link (`X-CS-Entry: link`, section 3): signed links
/// must carry a good `s` and a `t` within the site's TTL (and at most
/// [`CLOCK_SKEW_SECS`] ahead); unsigned ones pass only when the site allows
/// them. Returns the link's user id and whether the signature proves it.
fn check_link(site: &Site, link: &LinkEntry, now: i64) -> Result<Proof, ApiError> {
    let invalid = |why: &str| ApiError::detail(ErrorCode::LinkInvalid, why);
    // Normalised before the signature is checked, so what is verified is
    // exactly what is used.
    let (u, nick) = (link.u.as_deref().unwrap_or("").trim(), link.nick.as_deref().unwrap_or("").trim());
    if !auth::is_canonical_id(u) || !auth::is_canonical_id(nick) {
        return Err(invalid("u and nick may not contain control characters"));
    }
    let external_user_id = Some(u.to_string()).filter(|u| !u.is_empty());
    let signature = link.s.as_deref().map(str::trim).filter(|s| !s.is_empty());
    match (link.t, signature) {
        (None, None) if site.config.link.require_signature => Err(invalid("this site requires signed links (t and s)")),
        (None, None) => Ok(Proof { external_user_id, verified: false }),
        (Some(t), Some(s)) => {
            let secret = site.config.link_secret().ok_or_else(|| invalid("this site has no link secret"))?;
            if t > now + CLOCK_SKEW_SECS as i64 {
                return Err(invalid("t is in the future"));
            }
            if !auth::link_signature_matches(secret.as_bytes(), site.app_key(), t, u, nick, s) {
                return Err(invalid("s does not match"));
            }
            if now - t > site.config.link.ttl_secs as i64 {
                return Err(ApiError::detail(ErrorCode::LinkExpired, format!("signed {}s ago", now - t)));
            }
            Ok(Proof { verified: external_user_id.is_some(), external_user_id })
        }
        _ => Err(invalid("t and s go together")),
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

fn details(
    profile: Profile,
    locale: Option<String>,
    timezone: Option<String>,
    page: Option<PageInfo>,
    headers: &HeaderMap,
    ip: std::net::IpAddr,
) -> Details {
    Details {
        profile,
        locale,
        timezone,
        page: page.map(PageInfo::clipped),
        user_agent: header_str(headers, header::USER_AGENT).map(|ua| ua.chars().take(512).collect()),
        ip: Some(ip.to_string()),
    }
}

/// How a token is granted: through a standalone link, on a proof of identity.
#[derive(Clone, Copy, Debug)]
struct Grant {
    link: bool,
    proven: bool,
}

fn issue(
    app: &AppState,
    site: &Site,
    visitor: String,
    grant: Grant,
    conversation_id: Option<i64>,
    identity_changed: Option<bool>,
) -> Result<HandshakeResponse, ApiError> {
    let now = now_ms() / 1000;
    let exp = now + TOKEN_TTL_SECS as i64;
    let ent = grant.link.then(|| ENTRY_LINK.to_string());
    let claims = Claims {
        iss: auth::ISSUER.into(),
        aud: site.app_key().into(),
        sub: visitor.clone(),
        iat: now,
        exp,
        ent,
        prf: grant.proven,
    };
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

/// Resolves the visitor, tells agents about a changed visitor (and the
/// conversations a merge touched), and issues the answer.
async fn resolve_and_issue(
    app: &AppState,
    site: &Site,
    identity: Option<Identity>,
    current: &str,
    d: Details,
    grant: Grant,
    identity_changed: Option<bool>,
) -> Result<Response, ApiError> {
    let key = site.app_key().to_string();
    let resolved = match identity {
        Some(identity) => app.store.call(move |c| store::resolve_visitor(c, &key, &identity, &d, now_ms())).await?,
        None => {
            let v = current.to_string();
            app.store.call(move |c| store::touch_visitor(c, &v, &d, now_ms())).await?;
            Resolved { visitor: current.to_string(), ..Resolved::default() }
        }
    };
    if identity_changed.is_some() || resolved.merged_from.is_some() {
        app.visitor_changed(site, &resolved).await?;
    }
    if resolved.newly_verified {
        app.hub.revoke_unproven(site.app_key(), &resolved.visitor);
    }
    let conversation = open_conversation_id(app, &resolved.visitor).await?;
    tracing::debug!(visitor = %resolved.visitor, merged_from = ?resolved.merged_from, app_key = site.app_key(), "identity resolved");
    Ok(json(StatusCode::OK, &issue(app, site, resolved.visitor, grant, conversation, identity_changed)?))
}

impl AppState {
    /// Pushes the visitor's new profile to agents, and each conversation a
    /// merge moved to it (with the visitor) so consoles re-read them.
    async fn visitor_changed(&self, site: &Site, resolved: &Resolved) -> Result<(), ApiError> {
        let (v, touched) = (resolved.visitor.clone(), resolved.touched.clone());
        let (info, rows) = self
            .store
            .call(move |c| {
                let rows = touched
                    .iter()
                    .filter_map(|id| store::conversation(c, *id).transpose())
                    .collect::<store::Result<Vec<_>>>()?;
                Ok((store::visitor(c, &v)?, rows))
            })
            .await?;
        let Some(info) = info else { return Ok(()) };
        for row in rows {
            let frame = ServerFrame::Conversation { conversation: row.conversation, visitor: Some(info.clone()) };
            self.hub.to_agents(site.app_key(), &frame);
        }
        self.hub.to_agents(site.app_key(), &ServerFrame::Visitor { visitor: info });
        Ok(())
    }
}

/// `POST /api/v1/cs/handshake`.
pub async fn handshake(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<JsonBody<HandshakeRequest>, ApiError>,
) -> Result<Response, ApiError> {
    app.limit(format!("entry:{ip}"), app.sites.limits.handshake_per_minute)?;
    let JsonBody(mut req) = body?;
    let site = app.site(&req.app_key)?;
    let link = is_link_entry(&headers);
    check_entry(&site, &headers)?;
    if !site.config.enabled {
        let resp = HandshakeResponse::unavailable(app.remote_config(&site));
        return Ok(json(StatusCode::OK, &resp));
    }
    let (mut ext, fp, vid) = (layer(req.external_user_id), layer(req.fingerprint), layer(req.visitor_id));
    let mut signed = None;
    if link {
        let entry = req.link.take().unwrap_or_default();
        check_len("link.u", &entry.u, MAX_FIELD_CHARS)?;
        check_len("link.nick", &entry.nick, MAX_FIELD_CHARS)?;
        let proof = check_link(&site, &entry, now_ms() / 1000)?;
        if ext.is_some() && ext != proof.external_user_id {
            return Err(ApiError::detail(ErrorCode::BadRequest, "externalUserId differs from the link's u"));
        }
        if let Some(nick) = entry.nick.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()) {
            req.profile.nickname = Some(nick);
        }
        ext = proof.external_user_id.clone();
        signed = proof.verified.then_some(proof);
    }
    validate_layers(&ext, &fp, &vid)?;
    let proof = match signed {
        Some(proof) => proof,
        None => prove(&site, ext, req.user_hash.as_deref(), req.identity_token.as_deref(), &mut req.profile)?,
    };
    validate_layers(&proof.external_user_id, &None, &None)?;
    validate_context(&req.profile, &req.locale, &req.timezone)?;
    let identity = Identity {
        external_user_id: proof.external_user_id,
        fingerprint: fp,
        anon_id: vid,
        verified: proof.verified,
        claim: None,
        logout: false,
    };
    let d = details(req.profile, req.locale, req.timezone, req.page, &headers, ip);
    let grant = Grant { link, proven: identity.verified };
    resolve_and_issue(&app, &site, Some(identity), "", d, grant, None).await
}

/// `POST /api/v1/cs/identify`.
pub async fn identify(
    State(app): State<App>,
    auth: VisitorAuth,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    body: Result<JsonBody<IdentifyRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let JsonBody(mut req) = body?;
    let site = auth.site;
    let current_id = auth.visitor.clone();
    let current_ext = app.store.call(move |c| store::visitor_external_id(c, &current_id)).await?;
    let (fp, vid) = (layer(req.fingerprint), layer(req.visitor_id));
    // `externalUserId: null` (or "") is a logout: always a fresh anonymous
    // record. A string, or an identityToken alone, names the user (proofs
    // checked); absent keeps the identity.
    let logout = matches!(&req.external_user_id, Some(v) if layer(v.clone()).is_none());
    let named = req.external_user_id.take().flatten().and_then(|v| layer(Some(v)));
    let token = req.identity_token.as_deref().filter(|t| !t.trim().is_empty());
    validate_layers(&named, &fp, &vid)?;
    let new_ext = if logout {
        None
    } else if named.is_some() || token.is_some() {
        let proof = prove(&site, named, req.user_hash.as_deref(), token, &mut req.profile)?;
        validate_layers(&proof.external_user_id, &None, &None)?;
        if proof.external_user_id != current_ext {
            Some(proof)
        } else {
            None
        }
    } else {
        None
    };
    validate_context(&req.profile, &req.locale, &req.timezone)?;
    let d = details(req.profile, req.locale, req.timezone, req.page, &headers, ip);
    let changed = logout || new_ext.is_some();
    // A renewal keeps the token's proof; a new identity has its own (none on logout).
    let proven = if changed { new_ext.as_ref().is_some_and(|p| p.verified) } else { auth.proven };
    let identity = changed.then(|| {
        let (external_user_id, verified) = new_ext.map_or((None, false), |p| (p.external_user_id, p.verified));
        Identity {
            external_user_id,
            fingerprint: fp,
            anon_id: vid,
            verified,
            claim: Some(auth.visitor.clone()),
            logout,
        }
    });
    let grant = Grant { link: auth.link, proven };
    resolve_and_issue(&app, &site, identity, &auth.visitor, d, grant, Some(changed)).await
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
    let q = self::query(query)?;
    let site = app.site(&q.app_key)?;
    check_entry(&site, &headers)?;
    Ok(json(StatusCode::OK, &app.remote_config(&site)))
}

/// `POST /api/v1/cs/conversations`: send a message.
pub async fn send(
    State(app): State<App>,
    auth: VisitorAuth,
    body: Result<JsonBody<SendMessageRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let JsonBody(req) = body?;
    Ok(sent(store_message(&app, &auth.site, &auth.visitor, req).await?))
}

/// Stores a visitor's message: the one path of `POST /conversations` and of
/// the socket's `message` frame (checks, message budget, idempotency by
/// `clientMsgId`, push to the sockets, the bot).
pub async fn store_message(app: &App, site: &Site, visitor: &str, req: SendMessageRequest) -> Result<Stored, ApiError> {
    let cmid = req.client_msg_id.ok_or_else(|| ApiError::detail(ErrorCode::BadRequest, "clientMsgId is required"))?;
    validate_client_msg_id(&cmid)?;
    if req.form.is_none() {
        validate_text(&req.text)?;
    }
    if !site.config.enabled {
        return Err(ApiError::new(ErrorCode::Unavailable));
    }
    let message = visitor_message(app, site, visitor, cmid, req.text, req.form).await?;
    // A retry of a stored message is answered from the store and costs no
    // message budget: only new messages do.
    let (v, m) = (visitor.to_string(), message.clone());
    if let Some(stored) = app.store.call(move |c| store::visitor_duplicate(c, &v, &m)).await? {
        return Ok(stored);
    }
    app.limit(format!("msg:{visitor}"), app.sites.limits.messages_per_minute)?;
    let (key, visitor) = (site.app_key().to_string(), visitor.to_string());
    // Storing and announcing run in their own task: a client that goes away
    // mid-request (offline, closed tab) cancels this handler, and the stored
    // message must still reach the agents and the bot; its retry is a
    // duplicate that announces nothing.
    let task = app.clone();
    let now = app.now_ms();
    tokio::spawn(async move {
        let outbox = task.hooks.outbox.clone();
        let stored = task
            .store
            .write(move |c| {
                let stored = store::send_visitor(c, &key, &visitor, &message, now)?;
                outbox.message_stored(c, &stored, now)?;
                Ok(stored)
            })
            .await?;
        task.hooks.wake();
        if !stored.duplicate {
            task.announce(&stored).await;
            bot::answer(&task, &stored.message);
        }
        Ok::<_, ApiError>(stored)
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::Internal))?
}

/// What a send stores: its text, or its form checked against the site's
/// (400 `unknown_form` / `invalid_form`) with the profile's fields filled
/// in and labels in the locale the visitor's handshake recorded. Whether
/// the pre-chat form still waits depends on the profile too.
async fn visitor_message(
    app: &App,
    site: &Site,
    visitor: &str,
    client_msg_id: String,
    text: String,
    form: Option<FormSubmission>,
) -> Result<store::VisitorMessage, ApiError> {
    let forms = &site.config.forms;
    if form.is_none() && forms.pre_chat.is_none() {
        return Ok(store::VisitorMessage::text(&client_msg_id, &text));
    }
    let v = visitor.to_string();
    let info = app.store.call(move |c| store::visitor(c, &v)).await?.ok_or(ApiError::new(ErrorCode::NotFound))?;
    let pre_chat_pending = forms::pre_chat_pending(forms, &info.profile);
    let Some(submission) = form else {
        return Ok(store::VisitorMessage { pre_chat_pending, ..store::VisitorMessage::text(&client_msg_id, &text) });
    };
    let definition = forms.get(&submission.name).ok_or_else(|| {
        ApiError::detail(ErrorCode::UnknownForm, format!("{:?}", submission.name.chars().take(64).collect::<String>()))
    })?;
    let submitted = forms::submit(definition, &submission, &info.profile, info.locale.as_deref())
        .map_err(ApiError::invalid_form)?;
    Ok(store::VisitorMessage {
        client_msg_id,
        text: forms::plain_text(&submitted),
        form: Some(submitted),
        pre_chat_pending,
    })
}

/// The answer to a send (a visitor's or an agent's): 201 for a new
/// message, 200 for a duplicate.
pub fn sent(stored: Stored) -> Response {
    let status = if stored.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    let resp = SendMessageResponse {
        message: stored.message,
        conversation: stored.conversation.conversation,
        duplicate: stored.duplicate,
    };
    json(status, &resp)
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

/// A query string's fields, or 400 `bad_request` saying what is wrong.
pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query.map(|Query(q)| q).map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.body_text()))
}

/// Reads one page of a conversation; the caller has checked access.
pub async fn page(app: &AppState, conversation: i64, q: PageQuery) -> Result<Response, ApiError> {
    let since = q.since.unwrap_or(0).max(0);
    let limit = q.limit.unwrap_or(DEFAULT_PAGE_LIMIT).clamp(1, MAX_PAGE_LIMIT);
    // One read: the page and the conversation as it is after it.
    let ((messages, has_more), row): ((Vec<Message>, bool), _) = app
        .store
        .call(move |c| Ok((store::messages(c, conversation, since, limit)?, store::conversation(c, conversation)?)))
        .await?;
    let next_since = messages.last().map_or(since, |m| m.id);
    let conversation = row.map(|r| r.conversation);
    Ok(json(StatusCode::OK, &MessagePage { messages, has_more, next_since, conversation }))
}

/// Loads a conversation the visitor owns: 404 when absent, 403 when another's.
pub async fn owned(app: &AppState, auth: &VisitorAuth, id: i64) -> Result<store::ConversationRow, ApiError> {
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
    let q = self::query(query)?;
    owned(&app, &auth, id).await?;
    page(&app, id, q).await
}
