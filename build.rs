//! Minifies the widget's stylesheet and markup (src/ui/widget.css,
//! src/ui/widget.html with the icons of src/ui/icons/ put in) into OUT_DIR,
//! where src/style.rs and src/ui include them: `cargo test`, `cargo build`
//! and scripts/build.mjs all get the same bytes with no extra step.
//!
//! Hand-written rather than a minifier crate: the sources are ours and plain
//! (no escapes in strings, no text between tags), so dropping comments and
//! whitespace is all there is to do. lightningcss, the well-kept choice for
//! CSS, measured 50 s of cold compile on two cores (default features off)
//! to write a stylesheet 28 bytes smaller in brotli, and does no HTML.

use std::path::Path;
use std::{env, fs};

const ICONS: [&str; 4] = ["chat", "close", "send", "sound"];

fn main() {
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let read = |path: &str| {
        println!("cargo:rerun-if-changed={path}");
        fs::read_to_string(path).unwrap_or_else(|err| panic!("{path}: {err}"))
    };
    let write = |name: &str, text: &str| {
        let path = Path::new(&out).join(name);
        fs::write(&path, text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    };

    write("widget.css", &minify_css(&read("src/ui/widget.css")));
    let mut html = read("src/ui/widget.html");
    for name in ICONS {
        let svg = minify_markup(&read(&format!("src/ui/icons/{name}.svg")));
        let placeholder = format!("{{{{{name}}}}}");
        assert!(html.contains(&placeholder), "src/ui/widget.html has no {placeholder}");
        html = html.replace(&placeholder, &svg);
        write(&format!("{name}.svg"), &svg);
    }
    write("widget.html", &minify_markup(&html));
}

/// CSS without comments and without whitespace where it means nothing:
/// around `{ } ; , /`, after `:` and `(`, before `! )`. A space before `:`
/// stays (`.header :focus-visible` is a descendant), as do spaces in values
/// (`calc(a - b)`, `0 6px 20px`) and strings (`"Segoe UI"`).
fn minify_css(css: &str) -> String {
    minify(css, "{};,/:(", "{};,/!)", true).replace(";}", "}")
}

/// HTML or SVG without comments and without whitespace between tags or
/// before a tag's end; other whitespace (between attributes) becomes one
/// space. Attribute values are copied as they are.
fn minify_markup(html: &str) -> String {
    minify(html, ">", "</>", false)
}

/// Copies `source` without comments (`/* */` in CSS, `<!-- -->` in markup),
/// quoted strings as they are, each run of whitespace as one space or, next
/// to a character of `after`/`before` (or at either end), as nothing.
fn minify(source: &str, after: &str, before: &str, css: bool) -> String {
    let (open, close) = if css { ("/*", "*/") } else { ("<!--", "-->") };
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    let mut space = false;
    while let Some(c) = rest.chars().next() {
        if let Some(comment) = rest.strip_prefix(open) {
            let end = comment.find(close).expect("an unterminated comment");
            rest = &comment[end + close.len()..];
            continue;
        }
        if c.is_whitespace() {
            space = true;
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let previous = out.chars().last();
        if std::mem::take(&mut space) && previous.is_some_and(|p| !after.contains(p)) && !before.contains(c) {
            out.push(' ');
        }
        let len =
            if c == '"' || c == '\'' { rest[1..].find(c).expect("an unterminated string") + 2 } else { c.len_utf8() };
        out.push_str(&rest[..len]);
        rest = &rest[len..];
    }
    out
}
