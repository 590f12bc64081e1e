//! What the browser keeps for the widget in `localStorage`: the anonymous
//! visitor id (identity layer 3), the outbox of unacknowledged messages, the
//! read marker, and the user it last had.

use js_sys::{Array, JSON};
use wasm_bindgen::{JsCast, JsValue};

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
/// overwrite each other's messages. The entries stay JS arrays: they mostly
/// go from storage back to storage, and copying them into Rust strings and
/// out again would cost more code than it saves.
pub fn outbox_load(key: &str) -> Array {
    stored(key, &JsValue::UNDEFINED)
}

/// The stored outbox's well-formed entries, leaving out `except`'s.
fn stored(key: &str, except: &JsValue) -> Array {
    let list = Array::new();
    let Some(stored) = storage::get(key).and_then(|json| JSON::parse(&json).ok()).filter(Array::is_array) else {
        return list;
    };
    let stored = stored.unchecked_into::<Array>();
    // Index loops here: smaller than js-sys's array iterator.
    for i in 0..stored.length() {
        let pair = stored.get(i);
        if !Array::is_array(&pair) {
            continue;
        }
        let pair = pair.unchecked_into::<Array>();
        let id = pair.get(0);
        if id.is_string() && pair.get(1).is_string() && id != *except {
            list.push(&pair);
        }
    }
    list
}

/// One entry's client id and text (the load checked both are strings).
pub fn outbox_entry(pair: &JsValue) -> (String, String) {
    let pair = pair.unchecked_ref::<Array>();
    (pair.get(0).as_string().unwrap_or_default(), pair.get(1).as_string().unwrap_or_default())
}

/// Adds a message at the end of the outbox.
pub fn outbox_push(key: &str, client_id: &str, text: &str) {
    outbox_add(key, &Array::of1(&Array::of2(&client_id.into(), &text.into())));
}

/// Adds entries (as loaded from another outbox) at the end of the outbox.
pub fn outbox_add(key: &str, entries: &Array) {
    let list = outbox_load(key);
    for i in 0..entries.length() {
        list.push(&entries.get(i));
    }
    outbox_save(key, &list);
}

/// Takes an acknowledged or refused message out of the outbox.
pub fn outbox_remove(key: &str, client_id: &str) {
    outbox_save(key, &stored(key, &client_id.into()));
}

fn outbox_save(key: &str, list: &Array) {
    if list.length() == 0 {
        storage::remove(key);
        return;
    }
    if let Some(json) = JSON::stringify(list).ok().and_then(|s| s.as_string()) {
        storage::set(key, &json);
    }
}
