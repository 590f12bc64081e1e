//! A strict reader for the inline SVG of a custom launcher icon.
//!
//! The browser's `DOMParser` is not used: for malformed markup Chromium
//! builds a `<parsererror style=...>` element, which a strict CSP reports as
//! a violation on the host page. This reader accepts well-formed markup only
//! and keeps drawing elements and presentation attributes: no script, no
//! event attributes, no links, no styles, no external references. Elements
//! that are not allowed are dropped with everything inside them.
//!
//! What it keeps comes back as markup for the UI to parse, far fewer wasm
//! bytes than creating each node: only allowlisted tag and attribute names
//! and escaped attribute values, no text and no comments. None of the tags
//! lets HTML parsing leave SVG content, so the browser builds exactly the
//! kept tree.
//!
//! Pure logic, unit-tested natively.

use crate::text::find;

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

/// The safe part of `markup` as markup, with `root_attributes` (constant
/// markup such as ` aria-hidden="true"`) added to the root; `None` when it
/// is not one well-formed `<svg>` element.
pub fn sanitize(markup: &str, root_attributes: &'static str) -> Option<String> {
    let mut reader = Reader { rest: markup, elements: 0, root_attributes, out: String::new() };
    reader.skip_prolog();
    reader.element(0, true)?;
    reader.skip_misc();
    // Only allowlisted names are written, and no other starts with "svg".
    (reader.rest.is_empty() && reader.out.starts_with("<svg")).then_some(reader.out)
}

struct Reader<'a> {
    rest: &'a str,
    elements: usize,
    root_attributes: &'static str,
    out: String,
}

impl<'a> Reader<'a> {
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

    /// One element and its content, written out when `keep` and allowed.
    fn element(&mut self, depth: usize, keep: bool) -> Option<()> {
        self.elements += 1;
        if depth > MAX_DEPTH || self.elements > MAX_ELEMENTS {
            return None;
        }
        self.rest = self.rest.strip_prefix('<')?;
        let tag = self.name()?;
        let keep = keep && TAGS.contains(&tag);
        if keep {
            self.write(&["<", tag]);
        }
        let mut names = Vec::new();
        let closed = loop {
            if self.token("/>") {
                break true;
            }
            if self.token(">") {
                break false;
            }
            let name = self.name()?;
            if !self.token("=") {
                return None;
            }
            self.rest = self.rest.trim_start();
            let quote = *self.rest.as_bytes().first().filter(|b| **b == b'"' || **b == b'\'')?;
            let end = position(&self.rest[1..], quote)? + 1;
            let value = attribute_value(&self.rest[1..end])?;
            self.rest = &self.rest[end + 1..];
            if names.contains(&name) {
                return None;
            }
            names.push(name);
            if keep && ATTRIBUTES.contains(&name) && safe_value(&value) {
                self.write(&[" ", name, "=\"", &value, "\""]);
            }
        };
        if keep {
            self.write(&[if depth == 0 { self.root_attributes } else { "" }, ">"]);
        }
        if !closed {
            loop {
                // Text (e.g. in <title>) is not drawn; it is dropped.
                self.rest = &self.rest[position(self.rest, b'<')?..];
                if self.rest.starts_with("<!--") {
                    let end = find(self.rest, "-->")?;
                    self.rest = &self.rest[end + 3..];
                } else if let Some(rest) = self.rest.strip_prefix("</") {
                    self.rest = rest;
                    if self.name()? != tag {
                        return None;
                    }
                    if !self.token(">") {
                        return None;
                    }
                    break;
                } else if self.rest.starts_with("<!") || self.rest.starts_with("<?") {
                    // DOCTYPE, CDATA, processing instructions: refused.
                    return None;
                } else {
                    self.element(depth + 1, keep)?;
                }
            }
        }
        if keep {
            self.write(&["</", tag, ">"]);
        }
        Some(())
    }

    /// Skips whitespace, then `token` if it comes next.
    fn token(&mut self, token: &str) -> bool {
        self.rest = self.rest.trim_start();
        let found = self.rest.starts_with(token);
        if found {
            self.rest = &self.rest[token.len()..];
        }
        found
    }

    fn name(&mut self) -> Option<&'a str> {
        let rest = self.rest;
        let end = rest.bytes().position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        self.rest = &rest[end..];
        Some(&rest[..end])
    }

    fn write(&mut self, parts: &[&str]) {
        for part in parts {
            self.out.push_str(part);
        }
    }
}

/// Where the ASCII byte `b` first occurs in `s`.
fn position(s: &str, b: u8) -> Option<usize> {
    s.bytes().position(|c| c == b)
}

/// `value` escaped for a double-quoted attribute in markup.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_escaped(&mut out, value);
    out
}

fn push_escaped(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// An attribute value, its references decoded (the five XML entities and
/// numeric references; anything else is refused) and escaped again for
/// markup. Escaping leaves everything `safe_value` looks for unchanged.
fn attribute_value(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = position(rest, b'&') {
        push_escaped(&mut out, &rest[..amp]);
        let end = position(&rest[amp..], b';')? + amp;
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
        push_escaped(&mut out, c.encode_utf8(&mut [0; 4]));
        rest = &rest[end + 1..];
    }
    if position(rest, b'<').is_some() {
        return None;
    }
    push_escaped(&mut out, rest);
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

    fn parse(markup: &str) -> Option<String> {
        sanitize(markup, "")
    }

    #[test]
    fn keeps_drawing_elements_and_attributes() {
        let svg = parse(r##"<?xml version="1.0"?><!-- icon --><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><g fill='#fff'><path d="M0 0h24v24H0z"/><circle cx="12" cy="12" r="4"></circle></g></svg>"##);
        assert_eq!(
            svg.as_deref(),
            Some(r##"<svg viewBox="0 0 24 24"><g fill="#fff"><path d="M0 0h24v24H0z"></path><circle cx="12" cy="12" r="4"></circle></g></svg>"##)
        );
    }

    #[test]
    fn adds_the_root_attributes() {
        let svg = sanitize(r#"<svg viewBox="0 0 1 1"><g/></svg>"#, r#" aria-hidden="true""#);
        assert_eq!(svg.as_deref(), Some(r#"<svg viewBox="0 0 1 1" aria-hidden="true"><g></g></svg>"#));
    }

    #[test]
    fn drops_scripts_events_links_styles_text_and_foreign_content() {
        let svg = parse(concat!(
            r#"<svg viewBox="0 0 1 1" onload="alert(1)" style="x"><script>alert(1)</script><title>a &lt;b&gt;</title>"#,
            r#"<foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div></foreignObject>"#,
            r##"<a href="javascript:alert(1)"><path d="M0 0"/></a><use href="#x"/>"##,
            r##"<path d="M1 1" fill="url(https://evil.example/x)" stroke="url(#grad)" onclick="alert(1)"/> text </svg>"##
        ));
        assert_eq!(svg.as_deref(), Some(r##"<svg viewBox="0 0 1 1"><path d="M1 1" stroke="url(#grad)"></path></svg>"##));
    }

    #[test]
    fn refuses_malformed_markup() {
        for bad in [
            r#"<svg viewBox="0 0 24 24"><path d="M0 0"></svg>"#,
            r#"<svg><path d="M0 0"/>"#,
            r#"<svg a="1" a="2"></svg>"#,
            r#"<svg a=1></svg>"#,
            r#"<svg a="<"></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>"#,
            r#"<svg><![CDATA[x]]></svg>"#,
            r#"<svg a="&unknown;"></svg>"#,
            r#"<div></div>"#,
            r#"<g></g>"#,
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
    fn decodes_checks_and_escapes_values() {
        let svg = parse(r#"<svg id="a&amp;b&#65;&#x42;&quot;&gt;" fill='"' stroke="url(&#35;g)" d="java&#115;cript:x"></svg>"#);
        assert_eq!(svg.as_deref(), Some(r#"<svg id="a&amp;bAB&quot;&gt;" fill="&quot;" stroke="url(#g)"></svg>"#));
    }
}
