//! The outbox: the visitor's messages that the server has not acknowledged
//! yet, in the order they were written. The widget keeps it in
//! `localStorage`, so a reload or a crash loses none of them, one outbox per
//! identity (see [`key`]).
//!
//! The list and its stored form are pure and tested natively; [`load`],
//! [`save`] and [`update`] at the end are the storage calls. The stored form
//! is JSON, `[["clientMsgId","text"],...]`, read and written here for this
//! one shape: serde_json would cost the wasm far more than these few lines,
//! and `JSON.parse` would keep the reading out of native tests.

use crate::digits::padded;
use crate::session::machine::Outgoing;
use crate::storage;

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

    /// Reads the stored form; anything else (corrupt, cut short, written by
    /// someone else) is an empty outbox.
    pub fn parse(json: &str) -> Self {
        Self::read(json).unwrap_or_default()
    }

    fn read(json: &str) -> Option<Self> {
        let mut entries = Vec::new();
        let mut rest = json.strip_prefix('[')?;
        while rest != "]" {
            if !entries.is_empty() {
                rest = rest.strip_prefix(',')?;
            }
            let (client_id, after) = string(rest.strip_prefix('[')?)?;
            let (text, after) = string(after.strip_prefix(',')?)?;
            entries.push(Outgoing { client_id, text });
            rest = after.strip_prefix(']')?;
        }
        Some(Self { entries })
    }

    /// The stored form.
    pub fn to_json(&self) -> String {
        let mut json = String::from("[");
        for (i, entry) in self.entries.iter().enumerate() {
            if i > 0 {
                json.push(',');
            }
            json.push('[');
            quote(&mut json, &entry.client_id);
            json.push(',');
            quote(&mut json, &entry.text);
            json.push(']');
        }
        json.push(']');
        json
    }
}

/// `text` as a JSON string: quotes, backslashes and control characters
/// escaped, everything else as it is. Read byte by byte: the bytes escaped
/// are ASCII, which never occurs inside another character's UTF-8, so the
/// runs between them are whole characters.
fn quote(json: &mut String, text: &str) {
    json.push('"');
    let mut run = 0;
    for (i, byte) in text.bytes().enumerate() {
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0..=0x1f => &["\\u", &padded(byte.into(), 16, 4)].concat(),
            _ => continue,
        };
        json.push_str(&text[run..i]);
        json.push_str(escaped);
        run = i + 1;
    }
    json.push_str(&text[run..]);
    json.push('"');
}

/// The JSON string at the start of `json`, and what follows it. Every
/// escape `JSON.stringify` writes for text is read (earlier versions stored
/// the outbox with it); it writes no surrogate halves for valid text, and
/// none are taken here. Byte by byte, as [`quote`] writes.
fn string(json: &str) -> Option<(String, &str)> {
    let body = json.strip_prefix('"')?;
    let bytes = body.as_bytes();
    let mut text = String::new();
    let (mut i, mut run) = (0, 0);
    loop {
        match *bytes.get(i)? {
            b'"' => {
                text.push_str(&body[run..i]);
                return Some((text, &body[i + 1..]));
            }
            0..=0x1f => return None,
            b'\\' => {
                text.push_str(&body[run..i]);
                let escaped = match *bytes.get(i + 1)? {
                    b'b' => '\u{8}',
                    b't' => '\t',
                    b'n' => '\n',
                    b'f' => '\u{c}',
                    b'r' => '\r',
                    b'u' => {
                        let hex = body.get(i + 2..i + 6)?;
                        i += 4;
                        char::from_u32(crate::digits::parse(hex, 16)?)?
                    }
                    byte @ (b'"' | b'\\' | b'/') => byte.into(),
                    _ => return None,
                };
                text.push(escaped);
                i += 2;
                run = i;
            }
            _ => i += 1,
        }
    }
}

/// The outbox stored under `key`: empty when there is none, or it cannot be
/// read.
pub fn load(key: &str) -> Outbox {
    storage::get(key).map(|json| Outbox::parse(&json)).unwrap_or_default()
}

/// Stores `outbox` under `key`; an empty one leaves no key behind.
pub fn save(key: &str, outbox: &Outbox) {
    if outbox.entries.is_empty() {
        storage::remove(key);
    } else {
        storage::set(key, &outbox.to_json());
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
        assert_eq!(ids(&Outbox::parse(&stored.to_json())), ["c1", "c2", "c3"]);
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
    fn any_text_comes_back_as_it_was_written() {
        let texts =
            ["", "plain", "\"quoted\" \\ back\\slash /", "line\nbreak\ttab\r\0\x1f\x7f", "héllo 你好 😀", "\\u0041"];
        let written = outbox(&texts.map(|text| ("id", text)));
        let json = written.to_json();
        assert!(!json.contains('\n'), "{json}");
        assert_eq!(Outbox::parse(&json), written);
    }

    /// What `JSON.stringify` wrote in earlier versions reads the same.
    #[test]
    fn reads_what_json_stringify_wrote() {
        let json = r#"[["c1","a\"b\\c\/d\b\f\n\r\t\u0001\u00E9\u4f60😀"],["c2",""]]"#;
        assert_eq!(Outbox::parse(json), outbox(&[("c1", "a\"b\\c/d\u{8}\u{c}\n\r\t\u{1}é你😀"), ("c2", "")]));
        assert_eq!(Outbox::parse("[]"), Outbox::default());
        assert_eq!(Outbox::default().to_json(), "[]");
    }

    /// Characters from every class the codec treats apart.
    fn random_text(seed: &mut u64) -> String {
        const CHARS: &[char] = &['a', ' ', '"', '\\', '/', '\n', '\0', '\u{1f}', '\u{7f}', 'é', '你', '😀', 'u', '['];
        let mut next = || {
            *seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (*seed >> 33) as usize
        };
        let len = next() % 12;
        (0..len).map(|_| CHARS[next() % CHARS.len()]).collect()
    }

    #[test]
    fn random_texts_come_back_and_any_cut_or_changed_value_reads_without_panic() {
        let mut seed = 7;
        for _ in 0..500 {
            let written =
                outbox(&[("c1", &random_text(&mut seed)), (&random_text(&mut seed), &random_text(&mut seed))]);
            let json = written.to_json();
            assert_eq!(Outbox::parse(&json), written, "{json}");
            for (cut, _) in json.char_indices().skip(1) {
                // A value cut short is never taken for a shorter outbox.
                assert_eq!(Outbox::parse(&json[..cut]), Outbox::default(), "{:?}", &json[..cut]);
            }
            let changed = json.replacen('"', "\\", 1 + seed as usize % 3);
            let _ = Outbox::parse(&changed);
        }
    }

    #[test]
    fn a_corrupt_or_foreign_value_is_an_empty_outbox() {
        let foreign = [
            "",
            "null",
            "{}",
            "\"text\"",
            "[",
            "[[\"c1\",\"a\"]",
            "[[\"c1\",\"a\"],]",
            "[[\"c1\",\"a\"]]x",
            "[[\"c1\"]]",
            "[[\"c1\",\"a\",\"b\"]]",
            "[[\"c1\",5]]",
            "[[1,\"a\"]]",
            "[[\"c1\",\"a]]",
            "[[\"c1\",\"a\\\"]]",
            "[[\"c1\",\"\\x\"]]",
            "[[\"c1\",\"\\u12\"]]",
            "[[\"c1\",\"\\u12g4\"]]",
            "[[\"c1\",\"\\ud800\"]]",
            "[[\"c1\",\"\\ud83d\\ude00\"]]",
            "[[\"c1\",\"\\u00é\"]]",
            "[[\"c1\",\"raw\nbreak\"]]",
            "[ [\"c1\",\"a\"] ]",
            "[[\"c1\",\"a\"],[\"c2\",\"b\"],{}]",
            "[[\"c1\",\"é\\",
        ];
        for json in foreign {
            assert_eq!(Outbox::parse(json), Outbox::default(), "{json:?}");
        }
    }
}
