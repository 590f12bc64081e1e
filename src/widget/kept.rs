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

/// The persisted outbox of a site: `[[clientMsgId, text], ...]`. Each change
/// reads, edits and writes the stored list, so tabs of the same site do not
/// overwrite each other's messages.
/// The outbox of one identity: the anonymous visitor's, or a signed-in
/// user's. Keyed by user, a message is only ever sent as whoever wrote it,
/// and a user's unsent messages wait for that user to be back.
pub fn outbox_key(app_key: &str, user: Option<&str>) -> String {
    match user {
        Some(user) => [OUTBOX_KEY, app_key, ":", user].concat(),
        None => [OUTBOX_KEY, app_key].concat(),
    }
}

pub fn outbox_load(key: &str) -> Vec<(String, String)> {
    let Some(json) = storage::get(key) else { return Vec::new() };
    let Ok(list) = js_sys::JSON::parse(&json) else { return Vec::new() };
    if !js_sys::Array::is_array(&list) {
        return Vec::new();
    }
    js_sys::Array::from(&list)
        .iter()
        .filter_map(|pair| {
            let pair = js_sys::Array::from(&pair);
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

pub fn outbox_store(key: &str, edit: impl FnOnce(&mut Vec<(String, String)>)) {
    let mut list = outbox_load(key);
    edit(&mut list);
    if list.is_empty() {
        storage::remove(key);
        return;
    }
    let array: js_sys::Array = list.iter().map(|(id, text)| js_sys::Array::of2(&id.into(), &text.into())).collect();
    if let Some(json) = js_sys::JSON::stringify(&array).ok().and_then(|s| s.as_string()) {
        storage::set(key, &json);
    }
}

