//! Icons: the built-in ones, and custom launcher icons from configuration
//! (inline SVG read by `svg::parse`, which keeps only safe drawing markup,
//! or an image URL).

use web_sys::{Document, Element};

use crate::dom::{append, element, set_attribute, set_attributes, svg_element};
use crate::svg;

pub const CHAT: &str = "M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z";
pub const CLOSE: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
pub const SEND: &str = "M3.4 20.4 21.9 12 3.4 3.6 3.4 10l13.1 2-13.1 2z";

/// A built-in icon: one path in a 24×24 box.
pub fn builtin(doc: &Document, path: &str) -> Element {
    let svg = svg_element(doc, "svg", &[("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")]);
    append(&svg, &svg_element(doc, "path", &[("d", path)]));
    svg
}

/// An `<img>` icon for a URL that configuration already checked.
pub fn image(doc: &Document, url: &str) -> Element {
    element(doc, "img", &[("src", url), ("alt", ""), ("part", "icon")])
}

/// The DOM for inline SVG markup, or `None` if it is not well-formed SVG
/// (the caller then keeps the built-in icon and warns).
pub fn inline_svg(doc: &Document, markup: &str) -> Option<Element> {
    let svg = build(doc, &svg::parse(markup)?);
    set_attributes(&svg, &[("aria-hidden", "true"), ("focusable", "false")]);
    Some(svg)
}

fn build(doc: &Document, node: &svg::Node) -> Element {
    let el = svg_element(doc, &node.tag, &[]);
    for (name, value) in &node.attributes {
        set_attribute(&el, name, value);
    }
    for child in &node.children {
        append(&el, &build(doc, child));
    }
    el
}
