//! One message row in the list: avatar, bubble, and a meta line with the
//! sender, the time and the delivery state. Text becomes text nodes and
//! checked links only; nothing from a message is ever parsed as markup.

use crate::digits::padded;
use wasm_bindgen::JsValue;
use web_sys::{Document, Element};

use crate::chat::{Delivery, Entry};
use crate::dom::{append, child_element, element, find, replace, set_text};
use crate::i18n::Strings;
use crate::protocol::Sender;
use crate::text::{link_label, segments, Segment};

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// The host of `url` as the browser's URL parser writes it: IDNA's
    /// ASCII form. `None` for a URL it refuses.
    fn ascii_host(url: &str) -> Option<String>;
}

/// The attribute on a retry button naming the client message id; the list
/// has one delegated click listener instead of one per button.
pub const RETRY_ATTRIBUTE: &str = "data-retry";

pub fn row(doc: &Document, entry: &Entry, strings: &Strings) -> Element {
    let from = entry.from.as_str();
    let state = match entry.delivery {
        Delivery::Pending => " pending",
        Delivery::Sent => "",
        Delivery::Failed(_) => " failed",
    };
    let row =
        element(doc, "div", &[("class", &["msg ", from, state].concat()), ("part", &["message ", from].concat())]);
    if entry.from == Sender::Agent {
        let avatar = child_element(doc, &row, "div", &[("class", "avatar"), ("aria-hidden", "true")]);
        let name = entry.agent_name.as_deref().unwrap_or(strings.agent);
        // ASCII-only uppercasing: Unicode case tables would cost ~10 KB of wasm.
        set_text(&avatar, &name.chars().next().map(|c| c.to_ascii_uppercase().to_string()).unwrap_or_default());
    }
    let stack = child_element(doc, &row, "div", &[("class", "stack")]);
    let bubble = child_element(doc, &stack, "div", &[("class", "bubble")]);
    // A life-cycle line in the widget's language; other text as it came.
    let line = strings.event_line(entry.event, entry.agent_name.as_deref());
    for segment in segments(line.as_deref().unwrap_or(&entry.text)) {
        match segment {
            Segment::Text(text) => append(&bubble, &doc.create_text_node(text)),
            Segment::Link(url) => {
                let link = child_element(
                    doc,
                    &bubble,
                    "a",
                    &[("href", url), ("target", "_blank"), ("rel", "noopener noreferrer")],
                );
                set_text(&link, &link_label(url, ascii_host));
            }
        }
    }
    if entry.from != Sender::System {
        meta(doc, &stack, entry, strings);
    }
    row
}

/// Brings a shown row up to date in place (a pending message acknowledged,
/// failed or retried). The row node stays: put back as a new node, the list's
/// live region would announce the whole message again. Its state (class)
/// and meta line change, and the bubble only when the text did.
pub fn update(doc: &Document, shown: &Element, entry: &Entry, strings: &Strings) {
    let fresh = row(doc, entry, strings);
    shown.set_class_name(&fresh.class_name());
    for part in [".bubble", ".meta"] {
        if let (Some(was), Some(now)) = (find(shown, part), find(&fresh, part)) {
            if part == ".meta" || was.text_content() != now.text_content() {
                replace(&was, &now);
            }
        }
    }
}

/// The meta line, appended to `stack`.
fn meta(doc: &Document, stack: &Element, entry: &Entry, strings: &Strings) {
    let meta = child_element(doc, stack, "div", &[("class", "meta")]);
    let who = match entry.from {
        Sender::Agent => entry.agent_name.as_deref().unwrap_or(strings.agent),
        _ => strings.you,
    };
    let text = match &entry.delivery {
        Delivery::Pending => [who, " · ", strings.sending].concat(),
        Delivery::Sent => [who, " · ", &clock(entry.created_at)].concat(),
        Delivery::Failed(reason) => [strings.not_sent, " · ", reason].concat(),
    };
    set_text(&child_element(doc, &meta, "span", &[]), &text);
    if let (Delivery::Failed(_), Some(client_id)) = (&entry.delivery, &entry.client_id) {
        let retry = child_element(
            doc,
            &meta,
            "button",
            &[("type", "button"), ("class", "retry"), ("part", "retry"), (RETRY_ATTRIBUTE, client_id)],
        );
        set_text(&retry, strings.retry);
    }
}

/// Local wall-clock time, `09:41`.
fn clock(ms: f64) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let (h, m) = (date.get_hours(), date.get_minutes());
    [&padded(h.into(), 10, 2), ":", &padded(m.into(), 10, 2)].concat()
}
