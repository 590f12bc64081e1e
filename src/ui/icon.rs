//! Icons: the built-in ones and image URLs as markup, and custom inline SVG
//! from configuration, read by `svg` and built from what it keeps.

use web_sys::{Document, Element};

use crate::dom::{append, element_ns, set_attribute, set_attributes};
use crate::svg;

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

/// An `<img>` icon for a URL that configuration already checked.
pub fn image(url: &str) -> String {
    [r#"<img src=""#, &svg::escape(url), r#"" alt="" part="icon">"#].concat()
}

/// The kept part of inline SVG markup as page elements, or `None` if it is
/// not one well-formed `<svg>` element (the caller then keeps the built-in
/// icon and warns). `svg::read` decides what is kept; only that is created.
pub fn inline_svg(doc: &Document, markup: &str) -> Option<Element> {
    let mut built = Elements { doc, open: Vec::new(), root: None };
    let root = if svg::read(markup, &mut built) { built.root? } else { return None };
    set_attributes(&root, &[("aria-hidden", "true"), ("focusable", "false")]);
    Some(root)
}

/// SVG elements built as `svg::read` keeps them.
struct Elements<'a> {
    doc: &'a Document,
    open: Vec<Element>,
    root: Option<Element>,
}

impl svg::Build for Elements<'_> {
    fn open(&mut self, tag: &str) {
        let el = element_ns(self.doc, svg::SVG_NS, tag);
        match self.open.last() {
            Some(parent) => append(parent, &el),
            None => self.root = Some(el.clone()),
        }
        self.open.push(el);
    }
    fn attribute(&mut self, name: &str, value: &str) {
        if let Some(el) = self.open.last() {
            set_attribute(el, name, value);
        }
    }
    fn close(&mut self) {
        self.open.pop();
    }
}
