//! Icons, as markup: the built-in ones, and custom launcher icons from
//! configuration (inline SVG read by `svg::sanitize`, which keeps only safe
//! drawing markup, or an image URL).

use crate::svg;

pub const CHAT: &str = "M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z";
pub const CLOSE: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";
pub const SEND: &str = "M3.4 20.4 21.9 12 3.4 3.6 3.4 10l13.1 2-13.1 2z";

/// Decorative: hidden from screen readers and from keyboard focus.
const DECORATIVE: &str = r#" aria-hidden="true" focusable="false""#;

/// A built-in icon: one path in a 24×24 box.
pub fn builtin(path: &str) -> String {
    [r#"<svg viewBox="0 0 24 24""#, DECORATIVE, r#"><path d=""#, path, r#""/></svg>"#].concat()
}

/// An `<img>` icon for a URL that configuration already checked.
pub fn image(url: &str) -> String {
    [r#"<img src=""#, &svg::escape(url), r#"" alt="" part="icon">"#].concat()
}

/// Inline SVG markup made safe, or `None` if it is not well-formed SVG (the
/// caller then keeps the built-in icon and warns).
pub fn inline_svg(markup: &str) -> Option<String> {
    svg::sanitize(markup, DECORATIVE)
}
