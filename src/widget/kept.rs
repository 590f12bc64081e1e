//! What the browser keeps for the widget in `localStorage`: the anonymous
//! visitor id (identity layer 3), the outbox of unacknowledged messages, the
//! read marker, and the user it last had.

use crate::{ids, storage};

/// `localStorage` key prefix of the outbox: messages not yet acknowledged.
const OUTBOX_KEY: &str = "natter_outbox:";
/// `localStorage` key prefix of the read marker: the highest message id seen.
pub const READ_KEY: &str = "natter_read:";
/// `localStorage` key prefix of the external user id this browser last had.
pub const USER_KEY: &str = "natter_user:";
/// `localStorage` key of the anonymous visitor id (identity layer 3).
pub const VISITOR_KEY: &str = "natter_visitor_id";

/// The anonymous visitor id (identity layer 3), created on first use.
pub fn visitor_id() -> String {
    storage::get(VISITOR_KEY).filter(|id| id.starts_with("v_")).unwrap_or_else(|| {
        let id = ["v_", &ids::uuid()].concat();
        storage::set(VISITOR_KEY, &id);
        id
    })
}

/// The outbox of one identity: the anonymous visitor's, or a signed-in
/// user's. Keyed by user, a message is only ever sent as whoever wrote it,
/// and a user's unsent messages wait for that user to be back.
pub fn outbox_key(app_key: &str, user: Option<&str>) -> String {
    match user {
        Some(user) => [OUTBOX_KEY, app_key, ":", user].concat(),
        None => [OUTBOX_KEY, app_key].concat(),
    }
}

/// The persisted outbox: `[[clientMsgId, text], ...]`. Each change reads,
/// edits and writes the stored list, so tabs of the same site do not
/// overwrite each other's messages.
pub fn outbox_load(key: &str) -> Vec<(String, String)> {
    let mut list = Vec::new();
    let Some(json) = storage::get(key) else { return list };
    let Ok(stored) = js_sys::JSON::parse(&json) else { return list };
    if js_sys::Array::is_array(&stored) {
        for pair in js_sys::Array::from(&stored).iter() {
            let pair = js_sys::Array::from(&pair);
            if let (Some(id), Some(text)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                list.push((id, text));
            }
        }
    }
    list
}

/// Adds messages at the end of the outbox.
pub fn outbox_add(key: &str, messages: Vec<(String, String)>) {
    let mut list = outbox_load(key);
    list.extend(messages);
    outbox_save(key, &list);
}

/// Takes an acknowledged or refused message out of the outbox.
pub fn outbox_remove(key: &str, client_id: &str) {
    let mut list = outbox_load(key);
    list.retain(|(id, _)| id != client_id);
    outbox_save(key, &list);
}

fn outbox_save(key: &str, list: &[(String, String)]) {
    if list.is_empty() {
        storage::remove(key);
        return;
    }
    let array = js_sys::Array::new();
    for (id, text) in list {
        array.push(&js_sys::Array::of2(&id.into(), &text.into()));
    }
    if let Some(json) = js_sys::JSON::stringify(&array).ok().and_then(|s| s.as_string()) {
        storage::set(key, &json);
    }
}
