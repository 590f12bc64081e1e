//! Icons: the built-in ones and image URLs as markup, and custom inline SVG
//! from configuration, read by `svg` and built from what it keeps.

use web_sys::{Document, Element};

use crate::dom::{append, element_ns, set_attribute, set_attributes};
use crate::svg;

/// The launcher's built-in icon: src/ui/icons/chat.svg as build.rs put it
/// in the widget's markup, for putting back after a custom icon.
pub const CHAT: &str = include_str!(concat!(env!("OUT_DIR"), "/chat.svg"));

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
