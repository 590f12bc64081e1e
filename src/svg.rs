//! The inline SVG of a custom launcher icon: read here, by a small XML
//! reader of our own, into the elements and attributes the allowlists keep;
//! `ui::icon` builds only those in the page. The browser never parses the
//! markup, so no element ever exists with an event handler or a style for a
//! strict CSP to report.
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
const MAX_ELEMENTS: usize = 256;
/// ...nested at most this deep, the root `<svg>` counted.
const MAX_DEPTH: usize = 17;
pub const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Where [`read`] puts what it keeps: the widget builds page elements, the
/// tests record. Calls nest: `open`, its `attribute`s, its children, `close`.
pub trait Build {
    fn open(&mut self, tag: &str);
    fn attribute(&mut self, name: &str, value: &str);
    fn close(&mut self);
}

/// Reads icon markup: one well-formed `<svg>` element in the SVG namespace,
/// with nothing but whitespace and comments around it, of at most
/// [`MAX_ELEMENTS`] elements nested at most [`MAX_DEPTH`] deep. Hands what
/// the allowlists keep to `out` as it goes, and says at the end whether the
/// markup was such an icon; when it was not, what `out` built is to be
/// thrown away. Text inside elements is not drawn, so it is dropped.
pub fn read(markup: &str, out: &mut impl Build) -> bool {
    plain(markup) && read_plain(markup, out).is_some()
}

fn read_plain(markup: &str, out: &mut impl Build) -> Option<()> {
    // The open elements: each tag name, and whether it is kept (an element
    // that is not is dropped with everything inside it).
    let mut open: Vec<(&str, bool)> = Vec::new();
    let (mut rest, mut elements, mut done) = (markup, 0, false);
    while let Some(lt) = rest.bytes().position(|b| b == b'<') {
        if open.is_empty() && !is_space(&rest[..lt]) {
            return None;
        }
        rest = &rest[lt + 1..];
        if let Some(comment) = rest.strip_prefix("!--") {
            rest = &comment[find(comment, "-->")? + 3..];
            continue;
        }
        let name = if let Some(end) = rest.strip_prefix("/") {
            let close = end.bytes().position(|b| b == b'>')?;
            rest = &end[close + 1..];
            trim_space(&end[..close])
        } else {
            let (name, attributes, empty, after) = start_tag(rest)?;
            elements += 1;
            if done || elements > MAX_ELEMENTS || open.len() == MAX_DEPTH {
                return None;
            }
            let in_kept = open.last().is_none_or(|&(_, kept)| kept);
            let in_svg = attributes.iter().all(|(name, value)| *name != "xmlns" || value == SVG_NS);
            let kept = in_kept && in_svg && allowed_tag(name);
            if open.is_empty() && !(kept && name == "svg") {
                return None;
            }
            if kept {
                out.open(name);
                for (name, value) in &attributes {
                    if allowed_attribute(name, value) {
                        out.attribute(name, value);
                    }
                }
            }
            open.push((name, kept));
            rest = after;
            if !empty {
                continue;
            }
            name
        };
        // An end tag, or the end of an empty element.
        let (open_name, kept) = open.pop()?;
        if name != open_name {
            return None;
        }
        if kept {
            out.close();
        }
        done = open.is_empty();
    }
    (done && is_space(rest)).then_some(())
}

/// XML's whitespace: ASCII only (and core's Unicode `trim` costs bytes).
fn is_space(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_whitespace())
}

fn trim_space(s: &str) -> &str {
    let b = s.as_bytes();
    let (mut start, mut end) = (0, b.len());
    while start < end && b[start].is_ascii_whitespace() {
        start += 1;
    }
    while end > start && b[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    &s[start..end]
}

/// A start tag after its `<`: the name, the attributes with their values
/// decoded, whether it is empty (`/>`), and the markup after it.
#[allow(clippy::type_complexity)]
fn start_tag(s: &str) -> Option<(&str, Vec<(&str, String)>, bool, &str)> {
    let end = s.bytes().position(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>')?;
    let (name, mut rest) = s.split_at(end);
    let mut attributes = Vec::new();
    loop {
        rest = trim_space(rest);
        if let Some(after) = rest.strip_prefix("/>") {
            return (!name.is_empty()).then_some((name, attributes, true, after));
        }
        if let Some(after) = rest.strip_prefix('>') {
            return (!name.is_empty()).then_some((name, attributes, false, after));
        }
        let eq = rest.bytes().position(|b| b == b'=')?;
        let attribute = trim_space(&rest[..eq]);
        let value = trim_space(&rest[eq + 1..]);
        let quote = *value.as_bytes().first().filter(|q| matches!(q, b'"' | b'\''))?;
        let len = value[1..].bytes().position(|b| b == quote)?;
        let raw = &value[1..1 + len];
        if attribute.is_empty() || attribute.bytes().any(|b| b.is_ascii_whitespace()) || raw.bytes().any(|b| b == b'<')
        {
            return None;
        }
        attributes.push((attribute, decode(raw)?));
        rest = &value[len + 2..];
        // XML separates attributes by whitespace: `a="1"b="2"` is not well-formed.
        if !rest.bytes().next().is_some_and(|b| b.is_ascii_whitespace() || b == b'/' || b == b'>') {
            return None;
        }
    }
}

/// An attribute value with its character references (`&amp;`, `&#92;`,
/// `&#x5c;`) replaced; `None` for an unknown or unterminated one.
fn decode(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.bytes().position(|b| b == b'&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp + 1..];
        let semi = rest.bytes().position(|b| b == b';')?;
        out.push(match &rest[..semi] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            number => {
                let code = match number.strip_prefix("#x") {
                    Some(hex) => crate::digits::parse(hex, 16),
                    None => crate::digits::parse(number.strip_prefix('#')?, 10),
                };
                char::from_u32(code?)?
            }
        });
        rest = &rest[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Whether an element with this (qualified) name in the SVG namespace is kept.
pub fn allowed_tag(name: &str) -> bool {
    TAGS.contains(&name)
}

/// Whether an attribute with this (qualified) name and value is kept.
pub fn allowed_attribute(name: &str, value: &str) -> bool {
    ATTRIBUTES.contains(&name) && safe_value(name, value)
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

/// Presentation attributes are CSS: `u\72l(` is `url(` once unescaped.
/// So values are held to the characters of numbers, path data, transforms
/// and ids (no escape, quote, colon or slash: no URL of any spelling, and
/// no `var()` of the host page's properties), and
/// the paint attributes, the ones that can hold `url()`, to the forms a
/// color or a gradient of the same icon takes.
fn safe_value(name: &str, value: &str) -> bool {
    let lower = trim_space(value).to_ascii_lowercase();
    match name {
        "fill" | "stroke" | "stop-color" => paint(&lower),
        _ => {
            ["url(", "var(", "env("].iter().all(|f| find(&lower, f).is_none())
                && lower.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || b.is_ascii_whitespace()
                        || matches!(b, b'.' | b',' | b'+' | b'-' | b'#' | b'%' | b'(' | b')' | b'_')
                })
        }
    }
}

/// A paint value, lowercased: a reference to a gradient of this icon
/// (`url(#id)`), a keyword or color name, hex, or a color function of
/// numbers.
fn paint(value: &str) -> bool {
    let (body, allowed): (&str, fn(u8) -> bool) = if let Some(id) = value.strip_prefix("url(#") {
        (id.strip_suffix(')').unwrap_or(""), |b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    } else if let Some(hex) = value.strip_prefix('#') {
        (hex, |b| b.is_ascii_hexdigit())
    } else if let Some(args) = ["rgb(", "rgba(", "hsl(", "hsla("].iter().find_map(|f| value.strip_prefix(f)) {
        (args.strip_suffix(')').unwrap_or(""), |b| {
            b.is_ascii_digit() || matches!(b, b' ' | b'.' | b',' | b'%' | b'/' | b'+' | b'-')
        })
    } else {
        (value, |b| b.is_ascii_alphabetic())
    };
    !body.is_empty() && body.bytes().all(allowed)
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
    fn paint_values_take_colors_and_local_gradients_only() {
        for (name, value) in [
            ("fill", "none"),
            ("fill", "currentColor"),
            ("fill", "#1a2B3c"),
            ("stroke", "rgb(1, 2, 3)"),
            ("stroke", "rgba(1 2 3 / 50%)"),
            ("stop-color", "hsl(60 100% 95%)"),
            ("fill", "url(#g-1_a)"),
            ("fill", " red "),
            ("transform", "rotate(45 12 12)"),
        ] {
            assert!(allowed_attribute(name, value), "{name}={value}");
        }
    }

    /// CSS escapes, comments and case: each of these is `url(...)` to the
    /// browser's CSS parser, or not a paint at all.
    #[test]
    fn escaped_urls_are_refused() {
        let outside = "http://other.example/t.svg#p)";
        let mut corpus = Vec::new();
        for spelling in [
            "u\\72l(",
            "\\75 rl(",
            "\\75rl(",
            "u\\000072l(",
            "U\\52L(",
            "\\55\\52\\4c(",
            "ur\\l(",
            "url\\(",
            "uRl(",
            "URL(",
            "url(",
            "url( ",
            "/**/url(",
            "url(/**/",
        ] {
            corpus.push(format!("{spelling}{outside}"));
            corpus.push(format!("{spelling}'{outside}'"));
            corpus.push(format!("red {spelling}{outside}"));
            corpus.push(format!("{spelling}#a) {spelling}{outside}"));
        }
        corpus.extend(["url(#a) url(http://x/)".to_string(), "url(#a)/**/".into(), "url(#a\\29)".into()]);
        corpus.extend(["image(http://x/)".into(), "src(http://x/)".into(), "image-set(\"http://x/\" 1x)".into()]);
        corpus.extend(["var(--x)".into(), "env(x)".into(), "rgb(1 2 3) url(http://x/)".into(), "#fff\nurl(x)".into()]);
        for value in &corpus {
            for name in ["fill", "stroke", "stop-color", "opacity", "transform", "d", "stroke-width"] {
                assert!(!allowed_attribute(name, value), "{name}={value}");
            }
        }
    }

    /// What `read` keeps, written as `tag[name=value ...](children)`, or
    /// `None` when it refuses the markup.
    fn kept(markup: &str) -> Option<String> {
        struct Record(String);
        impl Build for Record {
            fn open(&mut self, tag: &str) {
                self.0 += &format!(" {tag}(");
            }
            fn attribute(&mut self, name: &str, value: &str) {
                self.0 += &format!("{name}={value:?} ");
            }
            fn close(&mut self) {
                self.0 += ")";
            }
        }
        let mut out = Record(String::new());
        read(markup, &mut out).then(|| out.0.trim().to_string())
    }

    #[test]
    fn reads_only_what_the_allowlists_keep() {
        let hostile = r##"<!-- icon --> <svg xmlns="http://www.w3.org/2000/svg" viewBox='0 0 24 24' onload="alert(1)" style="x">
            <script>alert(1)</script><title>Chat</title>
            <foreignObject><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div></foreignObject>
            <a href="javascript:alert(1)"><rect width="24" height="24"/></a>
            <linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient>
            <g xmlns="http://www.w3.org/1999/xhtml"><path d="M1 1"/></g>
            <path d="M2 2h20v20H2z" fill="url(#g)" onclick="alert(1)" fill-rule="u&#92;72l(x)"/>
            text is not drawn &amp; dropped
        </svg>
        "##;
        assert_eq!(
            kept(hostile).as_deref(),
            Some(
                r##"svg(viewBox="0 0 24 24"  linearGradient(id="g"  stop(offset="0" stop-color="#fff" ))"##.to_owned()
                    + r##" path(d="M2 2h20v20H2z" fill="url(#g)" ))"##
            )
            .as_deref()
        );
        assert_eq!(
            kept(r#"<svg><path d="M0 0 &lt;&gt;"/></svg>"#).as_deref(),
            Some("svg( path())"),
            "refused for its < and >"
        );
        assert_eq!(
            kept(r#"<svg><path d="M0&#x20;0&#32;L1 1"/></svg>"#).as_deref(),
            Some(r#"svg( path(d="M0 0 L1 1" ))"#)
        );
    }

    #[test]
    fn refuses_what_is_not_one_well_formed_svg() {
        for bad in [
            "",
            "plain text",
            "<svg>",
            "<svg></g>",
            "<svg><path></svg>",
            "<svg/><svg/>",
            "x<svg/>",
            "<svg/>x",
            "<g/>",
            "<svg:svg xmlns:svg='http://www.w3.org/2000/svg'/>",
            r#"<svg xmlns="http://www.w3.org/1999/xhtml"/>"#,
            "<svg a=1/>",
            "<svg a='1'b='2'/>",
            "<svg a='&unknown;'/>",
            "<svg a='&#xzz;'/>",
            "<svg a='&#1114112;'/>",
            "<svg a='&amp'/>",
            "<svg a='<'/>",
            "<svg a='1/>",
            "< svg/>",
            "<svg><!-- open </svg>",
            "<?xml version='1.0'?><svg/>",
        ] {
            assert_eq!(kept(bad), None, "{bad}");
        }
        assert_eq!(kept("<svg/>").as_deref(), Some("svg()"));
        assert_eq!(kept("\n<svg ></svg >\n").as_deref(), Some("svg()"));
    }

    #[test]
    fn bounds_size_and_depth() {
        let many = |n: usize| ["<svg>", &"<path/>".repeat(n), "</svg>"].concat();
        assert!(kept(&many(255)).is_some());
        assert_eq!(kept(&many(256)), None);
        let deep = |n: usize| ["<g>".repeat(n), "</g>".repeat(n)].concat();
        assert!(kept(&["<svg>", &deep(16), "</svg>"].concat()).is_some());
        assert_eq!(kept(&["<svg>", &deep(17), "</svg>"].concat()), None);
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
