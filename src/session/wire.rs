//! Reading the server's JSON (already parsed by the browser) into the
//! widget's types. Unknown fields are ignored; a value of the wrong shape
//! makes that one item unreadable, never a panic.

use wasm_bindgen::JsValue;

use crate::chat::{Delivery, Entry};
use crate::js::{get, get_int, get_string};
use crate::protocol::Sender;

/// What a handshake (or identify) answer says.
pub struct Handshake {
    pub available: bool,
    pub token: Option<String>,
    pub ttl_ms: f64,
    pub conversation_id: Option<i64>,
    /// The site's remote config (`RemoteConfig`), as parsed JSON.
    pub config: JsValue,
}

pub fn handshake(json: &JsValue) -> Handshake {
    Handshake {
        available: get(json, "available").as_bool().unwrap_or(false),
        token: get_string(json, "token"),
        ttl_ms: get(json, "expiresIn").as_f64().unwrap_or(f64::from(crate::protocol::TOKEN_TTL_SECS as u32)) * 1000.0,
        conversation_id: get_int(json, "conversationId"),
        config: get(json, "config"),
    }
}

/// A `Message`, with its conversation id.
pub fn message(json: &JsValue) -> Option<(Entry, i64)> {
    let from = match get_string(json, "from")?.as_str() {
        "visitor" => Sender::Visitor,
        "agent" => Sender::Agent,
        "system" => Sender::System,
        _ => return None,
    };
    // `new Date(text)` parses like `Date.parse`, from the JS string as it is.
    let created_at = Some(get(json, "createdAt"))
        .filter(JsValue::is_string)
        .map(|s| js_sys::Date::new(&s).get_time())
        .filter(|t| t.is_finite());
    let entry = Entry {
        id: Some(get_int(json, "id")?),
        client_id: get_string(json, "clientMsgId"),
        from,
        text: get_string(json, "text")?,
        agent_name: get_string(json, "agentName"),
        created_at: created_at.unwrap_or_else(js_sys::Date::now),
        delivery: Delivery::Sent,
    };
    Some((entry, get_int(json, "conversationId")?))
}

/// A message with its conversation id, as the widget receives it.
pub type Received = (Entry, Option<i64>);

/// A `MessagePage`: the messages, the complete cursor, whether more follow.
pub fn page(json: &JsValue) -> (Vec<Received>, Option<i64>, bool) {
    let messages = get(json, "messages");
    let mut list = Vec::new();
    if js_sys::Array::is_array(&messages) {
        // A plain loop: smaller than an iterator chain's adapters.
        // Checked above: a cast, not a copy by `Array.from`.
        let array: js_sys::Array = messages.into();
        for i in 0..array.length() {
            if let Some((entry, conversation_id)) = message(&array.get(i)) {
                list.push((entry, Some(conversation_id)));
            }
        }
    }
    (list, get_int(json, "nextSince"), get(json, "hasMore").as_bool().unwrap_or(false))
}

/// The id of an open `Conversation`.
pub fn open_conversation(json: &JsValue) -> Option<i64> {
    (get_string(json, "status").as_deref() == Some("open")).then(|| get_int(json, "id")).flatten()
}
