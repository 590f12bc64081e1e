//! A strict reader for the inline SVG of a custom launcher icon.
//!
//! The browser's `DOMParser` is not used: for malformed markup Chromium
//! builds a `<parsererror style=...>` element, which a strict CSP reports as
//! a violation on the host page. This reader accepts well-formed markup only
//! and keeps drawing elements and presentation attributes: no script, no
//! event attributes, no links, no styles, no external references. Elements
//! that are not allowed are dropped with everything inside them.
//!
//! Pure logic, unit-tested natively.

use crate::text::find;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub tag: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
}

const TAGS: &[&str] = &[
    "svg", "g", "path", "circle", "ellipse", "rect", "line", "polyline", "polygon", "defs", "linearGradient",
    "radialGradient", "stop",
];
const ATTRIBUTES: &[&str] = &[
    "viewBox", "d", "fill", "stroke", "stroke-width", "stroke-linecap", "stroke-linejoin", "fill-rule", "clip-rule",
    "cx", "cy", "r", "rx", "ry", "x", "y", "x1", "y1", "x2", "y2", "width", "height", "points", "transform", "opacity",
    "fill-opacity", "stroke-opacity", "offset", "stop-color", "stop-opacity", "id", "gradientUnits",
    "gradientTransform",
];
/// Bounds the work a hostile icon can cause.
const MAX_ELEMENTS: usize = 256;
const MAX_DEPTH: usize = 16;

/// Parses `markup`; `None` when it is not one well-formed `<svg>` element.
pub fn parse(markup: &str) -> Option<Node> {
    let mut reader = Reader { rest: markup, elements: 0 };
    reader.skip_prolog();
    let root = reader.element(0)?;
    reader.skip_misc();
    (reader.rest.is_empty() && root.as_ref()?.tag == "svg").then_some(root).flatten()
}

struct Reader<'a> {
    rest: &'a str,
    elements: usize,
}

impl Reader<'_> {
    fn skip_prolog(&mut self) {
        self.skip_misc();
        if self.rest.starts_with("<?xml") {
            if let Some(end) = find(self.rest, "?>") {
                self.rest = &self.rest[end + 2..];
            }
        }
        self.skip_misc();
    }

    /// Whitespace and comments.
    fn skip_misc(&mut self) {
        loop {
            self.rest = self.rest.trim_start();
            if !self.rest.starts_with("<!--") {
                return;
            }
            match find(self.rest, "-->") {
                Some(end) => self.rest = &self.rest[end + 3..],
                None => return,
            }
        }
    }

    /// One element and its content. `Some(None)`: well-formed but dropped.
    fn element(&mut self, depth: usize) -> Option<Option<Node>> {
        self.elements += 1;
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS {
            return None;
        }
        self.rest = self.rest.strip_prefix('<')?;
        let tag = self.name()?;
        let mut attributes = Vec::new();
        let closed = loop {
            self.rest = self.rest.trim_start();
            if let Some(rest) = self.rest.strip_prefix("/>") {
                self.rest = rest;
                break true;
            }
            if let Some(rest) = self.rest.strip_prefix('>') {
                self.rest = rest;
                break false;
            }
            let name = self.name()?;
            self.rest = self.rest.trim_start().strip_prefix('=')?.trim_start();
            let quote = self.rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let end = self.rest[1..].find(quote)? + 1;
            let value = unescape(&self.rest[1..end])?;
            self.rest = &self.rest[end + 1..];
            if attributes.iter().any(|(n, _): &(String, String)| *n == name) {
                return None;
            }
            attributes.push((name, value));
        };
        let mut children = Vec::new();
        if !closed {
            loop {
                let text_end = self.rest.find('<')?;
                // Text (e.g. in <title>) is not drawn; it is dropped.
                self.rest = &self.rest[text_end..];
                if self.rest.starts_with("<!--") {
                    let end = find(self.rest, "-->")?;
                    self.rest = &self.rest[end + 3..];
                } else if let Some(rest) = self.rest.strip_prefix("</") {
                    self.rest = rest;
                    if self.name()? != tag {
                        return None;
                    }
                    self.rest = self.rest.trim_start().strip_prefix('>')?;
                    break;
                } else if self.rest.starts_with("<!") || self.rest.starts_with("<?") {
                    // DOCTYPE, CDATA, processing instructions: refused.
                    return None;
                } else if let Some(child) = self.element(depth + 1)? {
                    children.push(child);
                }
            }
        }
        if !TAGS.contains(&tag.as_str()) {
            return Some(None);
        }
        attributes.retain(|(name, value)| ATTRIBUTES.contains(&name.as_str()) && safe_value(value));
        Some(Some(Node { tag, attributes, children }))
    }

    fn name(&mut self) -> Option<String> {
        let end = self.rest.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))).unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let name = self.rest[..end].to_string();
        self.rest = &self.rest[end..];
        Some(name)
    }
}

/// The five XML entities and numeric references; anything else is refused.
fn unescape(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let end = rest[amp..].find(';')? + amp;
        let entity = &rest[amp + 1..end];
        let c = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = match entity.strip_prefix("#x").or_else(|| entity.strip_prefix("#X")) {
                    Some(hex) => crate::digits::parse(hex, 16)?,
                    None => crate::digits::parse(entity.strip_prefix('#')?, 10)?,
                };
                char::from_u32(code)?
            }
        };
        out.push(c);
        rest = &rest[end + 1..];
    }
    if rest.contains('<') {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

/// Attribute values may reference a gradient in the same icon (`url(#id)`)
/// and nothing else.
fn safe_value(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    if find(&lower, "javascript:").is_some() || find(&lower, "data:").is_some() {
        return false;
    }
    match find(&lower, "url(") {
        None => true,
        Some(_) => {
            lower.starts_with("url(#")
                && lower.ends_with(')')
                && lower[5..lower.len() - 1].bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(node: &Node) -> Vec<String> {
        let mut out = vec![node.tag.clone()];
        for child in &node.children {
            out.extend(tags(child));
        }
        out
    }

    #[test]
    fn keeps_drawing_elements_and_attributes() {
        let svg = parse(r##"<?xml version="1.0"?><!-- icon --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g fill='#fff'><path d="M0 0h24v24H0z"/><circle cx="12" cy="12" r="4"></circle></g></svg>"##)
            .expect("valid");
        assert_eq!(tags(&svg), vec!["svg", "g", "path", "circle"]);
        assert_eq!(svg.attributes, vec![("viewBox".to_string(), "0 0 24 24".to_string())]);
        assert_eq!(svg.children[0].attributes, vec![("fill".to_string(), "#fff".to_string())]);
    }

    #[test]
    fn drops_scripts_events_links_styles_and_foreign_content() {
        let svg = parse(concat!(
            r#"<svg viewBox="0 0 1 1" onload="alert(1)" style="x"><script>alert(1)</script>"#,
            r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div></foreignObject>"#,
            r##"<a href="javascript:alert(1)"><path d="M0 0"/></a><use href="#x"/>"##,
            r##"<path d="M1 1" fill="url(https://evil.example/x)" stroke="url(#grad)" onclick="alert(1)"/></svg>"##
        ))
        .expect("well-formed");
        assert_eq!(tags(&svg), vec!["svg", "path"]);
        assert_eq!(svg.attributes, vec![("viewBox".to_string(), "0 0 1 1".to_string())]);
        assert_eq!(
            svg.children[0].attributes,
            vec![("d".to_string(), "M1 1".to_string()), ("stroke".to_string(), "url(#grad)".to_string())]
        );
    }

    #[test]
    fn refuses_malformed_markup() {
        for bad in [
            r#"<svg viewBox="0 0 24 24"><path d="M0 0"></svg>"#,
            r#"<svg><path d="M0 0"/>"#,
            r#"<svg a="1" a="2"></svg>"#,
            r#"<svg a=1></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>"#,
            r#"<svg><![CDATA[x]]></svg>"#,
            r#"<svg a="&unknown;"></svg>"#,
            r#"<div></div>"#,
            r#"<svg></svg><svg></svg>"#,
            "",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bounds_depth_and_size() {
        let deep = format!("<svg>{}{}</svg>", "<g>".repeat(40), "</g>".repeat(40));
        assert_eq!(parse(&deep), None);
        let wide = format!("<svg>{}</svg>", "<path d=\"M0 0\"/>".repeat(300));
        assert_eq!(parse(&wide), None);
    }

    #[test]
    fn decodes_entities() {
        let svg = parse(r#"<svg id="a&amp;b&#65;&#x42;"></svg>"#).expect("valid");
        assert_eq!(svg.attributes, vec![("id".to_string(), "a&bAB".to_string())]);
    }
}
