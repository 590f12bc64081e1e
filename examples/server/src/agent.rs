//! Agent REST endpoints under `/api/v1/agent/`, authenticated with a bearer
//! agent token from the site configuration. Agents see every conversation
//! of their site, and only of their site.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use natter::protocol::{
    AgentMe, ConversationStatus, ErrorCode, SendMessageRequest, Sender, ServerFrame, TypingRequest,
};
use serde::Deserialize;

use crate::config::Site;
use crate::error::ApiError;
use crate::http::{json, JsonBody};
use crate::store::{self, ConversationRow};
use crate::visitor::{bearer, page, path_id, sent, validate_client_msg_id, validate_text, PageQuery};
use crate::{App, AppState};

/// Default and largest page of `GET /conversations`.
const LIST_DEFAULT: u32 = 100;
const LIST_MAX: u32 = 500;

/// An authenticated agent.
pub struct AgentAuth {
    pub site: Arc<Site>,
    pub name: String,
}

impl FromRequestParts<App> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, ApiError> {
        let token = bearer(&parts.headers).ok_or(ApiError::new(ErrorCode::TokenMissing))?;
        let (site, name) = app.sites.agent(token).ok_or(ApiError::new(ErrorCode::TokenInvalid))?;
        Ok(AgentAuth { site, name })
    }
}

/// Loads a conversation of the agent's site (404 otherwise).
pub async fn of_site(app: &AppState, site: &Site, id: i64) -> Result<ConversationRow, ApiError> {
    app.store
        .call(move |c| store::conversation(c, id))
        .await?
        .filter(|row| row.app_key == site.app_key())
        .ok_or(ApiError::new(ErrorCode::NotFound))
}

/// Stores an agent (or bot) reply and pushes it live; a first reply joins
/// the conversation.
pub async fn post_reply(
    app: &AppState,
    site: &Site,
    agent_name: &str,
    conversation: i64,
    client_msg_id: Option<String>,
    text: String,
) -> Result<store::Stored, ApiError> {
    let (key, name, now) = (site.app_key().to_string(), agent_name.to_string(), app.now_ms());
    let outbox = app.hooks.outbox.clone();
    let stored = app
        .store
        .write(move |c| {
            let stored = store::send_agent(c, &key, &name, conversation, client_msg_id.as_deref(), &text, now)?;
            outbox.message_stored(c, &stored, now)?;
            Ok(stored)
        })
        .await?;
    app.hooks.wake();
    if !stored.duplicate {
        app.announce(&stored).await;
    }
    Ok(stored)
}

/// `GET /api/v1/agent/me`.
pub async fn me(agent: AgentAuth) -> Response {
    json(
        StatusCode::OK,
        &AgentMe {
            agent_name: agent.name,
            app_key: agent.site.app_key().into(),
            site_name: agent.site.config.name.clone(),
        },
    )
}

#[derive(Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    limit: Option<u32>,
}

/// `AgentConversationList` with each conversation's `startForm`.
#[derive(serde::Serialize)]
struct ConversationList {
    conversations: Vec<store::AgentView>,
}

/// `GET /api/v1/agent/conversations?status=open|closed|all&limit=`.
pub async fn list(
    State(app): State<App>,
    agent: AgentAuth,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let q = crate::visitor::query(query)?;
    let status = match q.status.as_deref() {
        None | Some("all") => None,
        Some("open") => Some(ConversationStatus::Open),
        Some("closed") => Some(ConversationStatus::Closed),
        Some(_) => return Err(ApiError::detail(ErrorCode::BadRequest, "status must be open, closed or all")),
    };
    let limit = q.limit.unwrap_or(LIST_DEFAULT).clamp(1, LIST_MAX);
    let key = agent.site.app_key().to_string();
    let conversations = app.store.call(move |c| store::list_conversations(c, &key, status, limit)).await?;
    Ok(json(StatusCode::OK, &ConversationList { conversations }))
}

/// `GET /api/v1/agent/conversations/{id}`.
pub async fn one(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let row = of_site(&app, &agent.site, path_id(path)?).await?;
    let view = app.store.call(move |c| store::agent_view(c, row)).await?;
    Ok(json(StatusCode::OK, &view))
}

/// `GET /api/v1/agent/conversations/{id}/messages?since=&limit=`.
pub async fn messages(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let q = crate::visitor::query(query)?;
    of_site(&app, &agent.site, id).await?;
    page(&app, id, q).await
}

/// `POST /api/v1/agent/conversations/{id}/messages`: reply.
pub async fn reply(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonBody<SendMessageRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    let JsonBody(req) = body?;
    Ok(sent(store_reply(&app, agent.site, agent.name, id, req).await?))
}

/// An agent's reply to conversation `id`: the one path of the reply
/// endpoint and of the agent socket's `message` frame.
pub async fn store_reply(
    app: &App,
    site: Arc<Site>,
    name: String,
    id: i64,
    req: SendMessageRequest,
) -> Result<store::Stored, ApiError> {
    if let Some(cmid) = &req.client_msg_id {
        validate_client_msg_id(cmid)?;
    }
    if req.form.is_some() {
        return Err(ApiError::detail(ErrorCode::BadRequest, "forms are submitted by visitors only"));
    }
    validate_text(&req.text)?;
    // In its own task, like a visitor's send: a console that goes away
    // mid-request must not leave a stored reply unannounced.
    let task = app.clone();
    tokio::spawn(async move { post_reply(&task, &site, &name, id, req.client_msg_id, req.text).await })
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal))?
}

/// Tells a conversation's visitor that an agent is (not) typing.
pub fn agent_typing(app: &AppState, row: &ConversationRow, agent_name: &str, active: bool) {
    let frame = ServerFrame::Typing {
        conversation_id: row.conversation.id,
        from: Sender::Agent,
        agent_name: Some(agent_name.to_string()),
        active,
    };
    app.hub.to_visitor(&row.app_key, &row.visitor_id, &frame);
}

/// `POST /api/v1/agent/conversations/{id}/typing` `{active}`: 204.
pub async fn typing(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
    body: Result<JsonBody<TypingRequest>, ApiError>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(path)?;
    let JsonBody(req) = body?;
    let row = of_site(&app, &agent.site, id).await?;
    agent_typing(&app, &row, &agent.name, req.active);
    Ok(StatusCode::NO_CONTENT)
}
