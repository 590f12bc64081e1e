//! Icons: the built-in ones and image URLs as markup, and custom inline SVG
//! from configuration, parsed by the browser as XML and kept only as far as
//! `svg` allows.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

use crate::dom::{descendants, find, remove_attribute, set_attributes};
use crate::{js, svg};

/// A built-in icon's markup: one path in a 24×24 box, hidden from screen
/// readers and from keyboard focus. Macros, so that the widget's markup is
/// one constant.
macro_rules! builtin {
    ($path:literal) => {
        concat!(r#"<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=""#, $path, r#""/></svg>"#)
    };
}
macro_rules! chat {
    () => {
        $crate::ui::icon::builtin!("M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z")
    };
}
macro_rules! close {
    () => {
        $crate::ui::icon::builtin!(
            "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z"
        )
    };
}
macro_rules! send {
    () => {
        $crate::ui::icon::builtin!("M3.4 20.4 21.9 12 3.4 3.6 3.4 10l13.1 2-13.1 2z")
    };
}
pub(super) use {builtin, chat, close, send};

/// The launcher's built-in icon.
pub const CHAT: &str = chat!();

const SVG_NS: &str = "http://www.w3.org/2000/svg";

// `DOMParser` is not used: for malformed markup Chromium builds a
// `<parsererror style=...>` element, which a strict CSP reports on the host
// page. `innerHTML` on an element of an XML document throws instead. That
// document has no window: nothing in it runs or loads. `xlink:` is declared
// for icons that use it without declaring it.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// An inert element holding `markup` parsed as XML, or `None` when it
    /// is not well-formed.
    #[wasm_bindgen(js_name = parseXml)]
    fn parse_xml(markup: &str) -> Option<Element>;
}

/// An `<img>` icon for a URL that configuration already checked.
pub fn image(url: &str) -> String {
    [r#"<img src=""#, &svg::escape(url), r#"" alt="" part="icon">"#].concat()
}

/// The safe part of inline SVG markup, or `None` if it is not one
/// well-formed `<svg>` element (the caller then keeps the built-in icon and
/// warns).
pub fn inline_svg(markup: &str) -> Option<Element> {
    if !svg::plain(markup) {
        return None;
    }
    let holder = parse_xml(markup)?;
    let root = holder.first_element_child()?;
    let too_big = descendants(&holder) > svg::MAX_ELEMENTS || find(&holder, svg::TOO_DEEP).is_some();
    if too_big || js::get(&root, "tagName") != "svg" || !keep(&root) {
        return None;
    }
    // One element, with nothing but whitespace and comments around it (its
    // own text is gone now).
    if holder.child_element_count() != 1
        || !js::get_string(&holder, "textContent").unwrap_or_default().trim().is_empty()
    {
        return None;
    }
    set_attributes(&root, &[("aria-hidden", "true"), ("focusable", "false")]);
    Some(root)
}

/// Removes from `el`'s subtree what `svg` does not allow; `false` when `el`
/// itself is not allowed.
fn keep(el: &Element) -> bool {
    if js::get(el, "namespaceURI") != SVG_NS || !svg::allowed_tag(&js::get_string(el, "tagName").unwrap_or_default()) {
        return false;
    }
    for name in el.get_attribute_names().iter() {
        let name = name.as_string().unwrap_or_default();
        if !svg::allowed_attribute(&name, &el.get_attribute(&name).unwrap_or_default()) {
            remove_attribute(el, &name);
        }
    }
    let mut next = el.first_child();
    while let Some(node) = next {
        next = node.next_sibling();
        // Text is not drawn: only kept elements stay. (Every child node,
        // text and comments too, has the `remove` bound for elements.)
        if node.node_type() != web_sys::Node::ELEMENT_NODE || !keep(node.unchecked_ref()) {
            node.unchecked_ref::<Element>().remove();
        }
    }
    true
}
