//! The life of a conversation: an agent joins it (explicitly or by a first
//! reply), the visitor or an agent ends it, the server ends it when idle.
//! Each step is stored as a `system` message carrying its event, and pushed
//! with the changed conversation to the visitor's sockets and the agents.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use natter::protocol::{ConversationResponse, Message, ServerFrame};

use crate::agent::{of_site, AgentAuth};
use crate::error::ApiError;
use crate::http::json;
use crate::store::{self, ConversationRow, Ender, Step};
use crate::visitor::{owned, path_id, VisitorAuth};
use crate::{webhooks, App, AppState};

impl AppState {
    /// Pushes a conversation that changed (the visitor's sockets and the
    /// agents see the same frame).
    pub fn conversation_changed(&self, row: &ConversationRow) {
        let frame = ServerFrame::Conversation { conversation: row.conversation.clone(), visitor: None };
        self.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &frame);
    }

    /// Pushes a life-cycle step: the conversation as it is now, then the
    /// system message that records the step.
    pub fn announce_step(&self, row: &ConversationRow, message: Message) {
        self.conversation_changed(row);
        self.hub.to_visitor_and_agents(&row.app_key, &row.visitor_id, &ServerFrame::Message { message });
    }

    /// Stores a step and announces it when it happened just now.
    async fn step<F>(&self, f: F) -> Result<ConversationRow, ApiError>
    where
        F: FnOnce(&rusqlite::Connection, i64) -> store::Result<Step> + Send + 'static,
    {
        let now = self.now_ms();
        let (row, message) = self.store.write(move |c| f(c, now)).await?;
        if let Some(message) = message {
            self.announce_step(&row, message);
        }
        Ok(row)
    }

    /// Ends conversation `id` (a no-op when it has ended already).
    pub async fn end_conversation(&self, id: i64, by: Ender) -> Result<ConversationRow, ApiError> {
        let outbox = self.hooks.outbox.clone();
        let row = self
            .step(move |c, now| {
                let step = store::end_conversation(c, id, &by, now)?;
                if step.1.is_some() {
                    outbox.enqueue(c, webhooks::CONVERSATION_ENDED, &step.0, now)?;
                }
                Ok(step)
            })
            .await?;
        self.hooks.wake();
        Ok(row)
    }
}

fn answer(row: ConversationRow) -> Response {
    json(StatusCode::OK, &ConversationResponse { conversation: Some(row.conversation) })
}

/// `POST /api/v1/cs/conversations/{id}/leave`: the visitor ends it.
pub async fn leave(
    State(app): State<App>,
    auth: VisitorAuth,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    owned(&app, &auth, id).await?;
    Ok(answer(app.end_conversation(id, Ender::Visitor).await?))
}

/// `POST /api/v1/agent/conversations/{id}/close`: an agent ends it.
pub async fn close(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    of_site(&app, &agent.site, id).await?;
    Ok(answer(app.end_conversation(id, Ender::Agent(agent.name)).await?))
}

/// `POST /api/v1/agent/conversations/{id}/join`: an agent joins it
/// (409 `conversation_closed` once it has ended and nobody had joined).
pub async fn join(
    State(app): State<App>,
    agent: AgentAuth,
    path: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path_id(path)?;
    of_site(&app, &agent.site, id).await?;
    let name = agent.name;
    let row = app.step(move |c, now| store::join(c, id, &name, now)).await?;
    Ok(answer(row))
}
