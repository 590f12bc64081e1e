//! Icons: the built-in ones, and custom launcher icons from configuration.
//!
//! A custom inline SVG is parsed by the browser's `DOMParser` (which runs no
//! script) and copied element by element into new nodes, keeping only
//! drawing elements and presentation attributes: no script, no event
//! attributes, no links, no styles, no external references.

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, DomParser, Element, Node, SupportedType};

use crate::dom::{element, svg_element};

pub const CHAT: &str = "M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z";
pub const CLOSE: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
pub const SEND: &str = "M3.4 20.4 21.9 12 3.4 3.6 3.4 10l13.1 2-13.1 2z";

const TAGS: &[&str] = &[
    "svg", "g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon", "defs", "linearGradient",
    "radialGradient", "stop",
];
const ATTRIBUTES: &[&str] = &[
    "viewBox", "d", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "fill-rule", "clip-rule",
    "cx", "cy", "r", "rx", "ry", "x", "y", "x1", "y1", "x2", "y2", "width", "height", "points", "transform", "opacity",
    "fill-opacity", "stroke-opacity", "offset", "stop-color", "stop-opacity", "id", "gradientUnits",
    "gradientTransform", "xmlns",
];
/// Bounds the work a hostile icon can cause.
const MAX_NODES: usize = 256;

/// A built-in icon: one path in a 24×24 box.
pub fn builtin(doc: &Document, path: &str) -> Result<Element, JsValue> {
    let svg = svg_element(doc, "svg", &[("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")])?;
    let shape: Node = svg_element(doc, "path", &[("d", path)])?.into();
    svg.append_child(&shape)?;
    Ok(svg)
}

/// An `<img>` icon for a URL that configuration already checked.
pub fn image(doc: &Document, url: &str) -> Result<Element, JsValue> {
    element(doc, "img", &[("src", url), ("alt", ""), ("part", "icon")])
}

/// A sanitized copy of inline SVG markup, or `None` if it is not well-formed
/// SVG (the caller then keeps the built-in icon and warns).
pub fn sanitized_svg(doc: &Document, markup: &str) -> Option<Element> {
    let parsed = DomParser::new().ok()?.parse_from_string(markup, SupportedType::ImageSvgXml).ok()?;
    let source = parsed.document_element()?;
    if source.local_name() != "svg" || parsed.get_elements_by_tag_name("parsererror").length() > 0 {
        return None;
    }
    let mut budget = MAX_NODES;
    let svg = copy(doc, &source, &mut budget)?;
    svg.set_attribute("aria-hidden", "true").ok()?;
    svg.set_attribute("focusable", "false").ok()?;
    Some(svg)
}

fn copy(doc: &Document, source: &Element, budget: &mut usize) -> Option<Element> {
    *budget = budget.checked_sub(1)?;
    let tag = source.local_name();
    let out = svg_element(doc, &tag, &[]).ok()?;
    for name in source.get_attribute_names().iter().filter_map(|n| n.as_string()) {
        let Some(value) = source.get_attribute(&name) else { continue };
        if ATTRIBUTES.contains(&name.as_str()) && safe_value(&value) {
            out.set_attribute(&name, &value).ok()?;
        }
    }
    let children = source.children();
    for i in 0..children.length() {
        let Some(child) = children.item(i) else { continue };
        if TAGS.contains(&child.local_name().as_str()) {
            let copied: Node = copy(doc, &child, budget)?.unchecked_into();
            out.append_child(&copied).ok()?;
        }
    }
    Some(out)
}

/// Attribute values may reference a gradient in the same icon (`url(#id)`)
/// and nothing else.
fn safe_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    match lower.find("url(") {
        None => !lower.contains("javascript:"),
        Some(_) => {
            lower.starts_with("url(#")
                && lower.ends_with(')')
                && lower[5..lower.len() - 1].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
    }
}
