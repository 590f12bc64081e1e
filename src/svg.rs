//! The rules for the inline SVG of a custom launcher icon; `ui::icon`
//! applies them to the browser's XML parse of the markup.
//!
//! Only drawing elements and presentation attributes are kept: no script,
//! no event attributes, no links, no styles, no external references.
//! Elements that are not allowed are dropped with everything inside them.
//!
//! Pure logic, unit-tested natively.

use crate::text::find;

const TAGS: &[&str] = &[
    "svg",
    "g",
    "path",
    "circle",
    "ellipse",
    "rect",
    "line",
    "polyline",
    "polygon",
    "defs",
    "linearGradient",
    "radialGradient",
    "stop",
];
const ATTRIBUTES: &[&str] = &[
    "viewBox",
    "d",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-linecap",
    "stroke-linejoin",
    "fill-rule",
    "clip-rule",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "width",
    "height",
    "points",
    "transform",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "offset",
    "stop-color",
    "stop-opacity",
    "id",
    "gradientUnits",
    "gradientTransform",
];
/// Bounds the work a hostile icon can cause: at most this many elements...
pub const MAX_ELEMENTS: u32 = 256;
/// ...and a selector that matches an element more than 16 levels below the
/// root `<svg>`, itself the child of the parse's container (`:scope`).
pub const TOO_DEEP: &str = ":scope * * * * * * * * * * * * * * * * * *";

/// Whether an element with this (qualified) name in the SVG namespace is kept.
pub fn allowed_tag(name: &str) -> bool {
    TAGS.contains(&name)
}

/// Whether an attribute with this (qualified) name and value is kept.
pub fn allowed_attribute(name: &str, value: &str) -> bool {
    ATTRIBUTES.contains(&name) && safe_value(value)
}

/// Whether `markup` is free of what well-formed XML allows but an icon may
/// not hold: CDATA sections, DOCTYPEs and processing instructions (the XML
/// declaration included). Comments may hold anything.
pub fn plain(markup: &str) -> bool {
    let mut rest = markup;
    while let Some(lt) = rest.bytes().position(|b| b == b'<') {
        rest = &rest[lt..];
        if rest.starts_with("<!--") {
            let Some(end) = find(rest, "-->") else { return false };
            rest = &rest[end + 3..];
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            return false;
        } else {
            rest = &rest[1..];
        }
    }
    true
}

/// `value` escaped for a double-quoted attribute in markup.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
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

    #[test]
    fn allowlists_drawing_elements_and_attributes() {
        for tag in ["svg", "g", "path", "linearGradient", "stop"] {
            assert!(allowed_tag(tag), "{tag}");
        }
        for tag in
            ["script", "foreignObject", "a", "use", "image", "animate", "set", "style", "svg:path", "lineargradient"]
        {
            assert!(!allowed_tag(tag), "{tag}");
        }
        assert!(allowed_attribute("viewBox", "0 0 24 24"));
        assert!(allowed_attribute("fill", "#fff"));
        assert!(allowed_attribute("stroke", "url(#grad)"));
        for (name, value) in [
            ("onload", "alert(1)"),
            ("style", "fill:red"),
            ("href", "#x"),
            ("xlink:href", "#x"),
            ("xmlns", "http://www.w3.org/2000/svg"),
            ("viewbox", "0 0 1 1"),
            ("fill", "url(https://evil.example/x)"),
            ("fill", "URL(#a b)"),
            ("d", "JavaScript:x"),
            ("fill", "data:x"),
        ] {
            assert!(!allowed_attribute(name, value), "{name}={value}");
        }
    }

    #[test]
    fn refuses_cdata_doctypes_and_processing_instructions() {
        assert!(plain(r#"<svg viewBox="0 0 1 1"><!-- <![CDATA[ <? --><path d="M0 0"/></svg><!-- end -->"#));
        for bad in [
            r#"<?xml version="1.0"?><svg></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>"#,
            r#"<svg><![CDATA[x]]></svg>"#,
            r#"<svg><?pi x?></svg>"#,
            r#"<svg><!-- unterminated </svg>"#,
        ] {
            assert!(!plain(bad), "{bad}");
        }
    }

    #[test]
    fn escapes_for_attributes() {
        assert_eq!(escape(r#"a&b"c<d>é"#), "a&amp;b&quot;c&lt;d&gt;é");
    }
}
