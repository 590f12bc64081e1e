//! Conversation fields: key/value data (strings, numbers, booleans) the
//! visitor's page attaches to its conversation, shown to agents and sent
//! with webhooks. Unlike the visitor's `extra`, they belong to one
//! conversation: set while none is open, they wait for the next one.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use natter::protocol::{ErrorCode, MAX_CONVERSATION_FIELDS_BYTES, MAX_FIELD_KEY_CHARS};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::http::{json, JsonBody};
use crate::store::{self, Fields, FieldsMerged};
use crate::visitor::VisitorAuth;
use crate::App;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldsRequest {
    fields: Value,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldsResponse {
    /// Every field now set.
    fields: Fields,
    /// The open conversation they belong to; `null`: kept for the next one.
    conversation_id: Option<i64>,
}

fn bad(detail: String) -> ApiError {
    ApiError::detail(ErrorCode::BadRequest, detail)
}

/// The request's changes: an object whose keys are 1 to
/// [`MAX_FIELD_KEY_CHARS`] printable characters and whose values are
/// strings, numbers, booleans or `null` (removes the key).
fn changes(fields: Value) -> Result<Fields, ApiError> {
    let Value::Object(fields) = fields else { return Err(bad("fields must be an object".into())) };
    for (key, value) in &fields {
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_FIELD_KEY_CHARS || key.chars().any(char::is_control) {
            let shown: String = key.chars().take(MAX_FIELD_KEY_CHARS).filter(|c| !c.is_control()).collect();
            return Err(bad(format!("fields key \"{shown}\" must be 1 to {MAX_FIELD_KEY_CHARS} printable characters")));
        }
        if matches!(value, Value::Array(_) | Value::Object(_)) {
            return Err(bad(format!("fields.{key} must be a string, number, boolean or null")));
        }
    }
    Ok(fields)
}

/// `PATCH /api/v1/cs/conversations/current/fields` *token*: merges
/// `{fields}` into the visitor's open conversation's fields, or into those
/// kept for the next conversation; 200 `{fields, conversationId}`.
pub async fn set(
    State(app): State<App>,
    auth: VisitorAuth,
    body: Result<JsonBody<FieldsRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let JsonBody(req) = body?;
    let changes = changes(req.fields)?;
    // A write like a message: budgeted per visitor.
    app.limit(format!("fields:{}", auth.visitor), app.sites.limits.messages_per_minute)?;
    let visitor = auth.visitor;
    let merged =
        app.store.write(move |c| store::merge_fields(c, &visitor, changes, MAX_CONVERSATION_FIELDS_BYTES)).await?;
    match merged {
        FieldsMerged::TooLarge => {
            Err(bad(format!("fields would be larger than {MAX_CONVERSATION_FIELDS_BYTES} bytes of JSON")))
        }
        FieldsMerged::Stored(fields, conversation_id) => {
            Ok(json(StatusCode::OK, &FieldsResponse { fields, conversation_id }))
        }
    }
}
