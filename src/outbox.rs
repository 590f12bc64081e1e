//! The outbox: the visitor's messages that the server has not acknowledged
//! yet, in the order they were written. The widget keeps it in
//! `localStorage`, so a reload or a crash loses none of them, one outbox per
//! identity (see [`key`]).
//!
//! The list is pure and tested natively; [`load`], [`save`] and [`update`]
//! at the end are the storage calls (their reading of foreign values is
//! tested in the browser, `tests/dom.rs`).

use crate::session::machine::Outgoing;
use crate::storage;
use js_sys::Array;
use wasm_bindgen::JsCast;

/// `localStorage` key prefix of the outbox.
const KEY: &str = "natter_outbox:";

/// The storage key of one identity's outbox: the anonymous visitor's, or a
/// signed-in user's. Keyed by user, a message is only ever sent as whoever
/// wrote it, and a user's unsent messages wait for that user to be back.
pub fn key(app_key: &str, user: Option<&str>) -> String {
    match user {
        Some(user) => [KEY, app_key, ":", user].concat(),
        None => [KEY, app_key].concat(),
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outbox {
    entries: Vec<Outgoing>,
}

impl Outbox {
    /// The messages, oldest first.
    pub fn entries(&self) -> &[Outgoing] {
        &self.entries
    }

    /// Adds a message at the end.
    pub fn push(&mut self, client_id: &str, text: &str) {
        self.entries.push(Outgoing { client_id: client_id.into(), text: text.into() });
    }

    /// Adds another outbox's messages at the end, in their order.
    pub fn append(&mut self, mut other: Outbox) {
        self.entries.append(&mut other.entries);
    }

    /// Takes out an acknowledged or refused message.
    pub fn remove(&mut self, client_id: &str) {
        if let Some(i) = self.entries.iter().position(|entry| entry.client_id == client_id) {
            self.entries.remove(i);
        }
    }

    /// The stored form's entries, as the edge reads them: each `None` is an
    /// entry that is not a `[clientMsgId, text]` pair of strings (written by
    /// someone else), left out; the others keep their order.
    pub fn from_entries(entries: impl IntoIterator<Item = Option<(String, String)>>) -> Self {
        let entries = entries.into_iter().flatten().map(|(client_id, text)| Outgoing { client_id, text }).collect();
        Self { entries }
    }
}

// The storage edge. The stored form is JSON, `[["clientMsgId","text"],...]`,
// read and written by the browser's own JSON (no JSON code in the wasm).

/// The outbox stored under `key`: empty when there is none or it is not a
/// JSON array.
pub fn load(key: &str) -> Outbox {
    let stored = storage::get(key).and_then(|json| js_sys::JSON::parse(&json).ok());
    let Some(list) = stored.and_then(|value| value.dyn_into::<Array>().ok()) else {
        return Outbox::default();
    };
    Outbox::from_entries(list.iter().map(|entry| {
        let pair = entry.dyn_into::<Array>().ok().filter(|pair| pair.length() == 2)?;
        Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
    }))
}

/// Stores `outbox` under `key`; an empty one leaves no key behind.
pub fn save(key: &str, outbox: &Outbox) {
    if outbox.entries.is_empty() {
        storage::remove(key);
        return;
    }
    let list: Array = outbox
        .entries
        .iter()
        .map(|entry| Array::of2(&entry.client_id.as_str().into(), &entry.text.as_str().into()))
        .collect();
    if let Some(json) = js_sys::JSON::stringify(&list).ok().and_then(|json| json.as_string()) {
        storage::set(key, &json);
    }
}

/// Reads, changes and writes back the stored outbox at once: tabs of the
/// same site all change it this way, so none overwrites another's messages.
pub fn update(key: &str, change: impl FnOnce(&mut Outbox)) {
    let mut outbox = load(key);
    change(&mut outbox);
    save(key, &outbox);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbox(entries: &[(&str, &str)]) -> Outbox {
        let mut outbox = Outbox::default();
        for (client_id, text) in entries {
            outbox.push(client_id, text);
        }
        outbox
    }

    fn ids(outbox: &Outbox) -> Vec<&str> {
        outbox.entries().iter().map(|e| e.client_id.as_str()).collect()
    }

    #[test]
    fn keys_are_per_app_and_user() {
        assert_eq!(key("sk_demo", None), "natter_outbox:sk_demo");
        assert_eq!(key("sk_demo", Some("u_42")), "natter_outbox:sk_demo:u_42");
        assert_ne!(key("sk_demo", Some("u_1")), key("sk_demo", Some("u_2")));
    }

    #[test]
    fn messages_keep_the_order_they_were_written_in() {
        let stored = outbox(&[("c1", "first"), ("c2", "second"), ("c3", "third")]);
        assert_eq!(ids(&stored), ["c1", "c2", "c3"]);
    }

    #[test]
    fn a_removal_takes_out_that_message_once_and_nothing_else() {
        let mut stored = outbox(&[("c1", "a"), ("c2", "b"), ("c3", "c")]);
        stored.remove("c2");
        assert_eq!(ids(&stored), ["c1", "c3"]);
        stored.remove("c2");
        assert_eq!(ids(&stored), ["c1", "c3"]);
        stored.remove("unknown");
        assert_eq!(ids(&stored), ["c1", "c3"]);
        stored.remove("c1");
        stored.remove("c3");
        assert_eq!(stored, Outbox::default());
    }

    #[test]
    fn moving_to_another_outbox_keeps_both_orders() {
        let mut anonymous = outbox(&[("a1", "mine")]);
        anonymous.append(outbox(&[("u1", "written"), ("u2", "while signed in")]));
        assert_eq!(ids(&anonymous), ["a1", "u1", "u2"]);
        assert_eq!(anonymous.entries()[2].text, "while signed in");
    }

    #[test]
    fn entries_that_are_not_pairs_of_strings_are_left_out_in_order() {
        let pair = |id: &str, text: &str| Some((id.to_string(), text.to_string()));
        let read = Outbox::from_entries([pair("c1", "a"), None, pair("c2", ""), None]);
        assert_eq!(ids(&read), ["c1", "c2"]);
        assert_eq!(Outbox::from_entries([None]), Outbox::default());
    }
}
