//! Small DOM helpers and owners. Every listener the widget adds is held by a
//! [`Listener`] that removes it when dropped, so dropping the widget leaves
//! nothing behind on the page.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// An event listener that lives exactly as long as this value.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

impl Listener {
    pub fn new(target: &EventTarget, kind: &'static str, handler: impl FnMut(Event) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(Event)>::new(handler);
        // Adding a listener only fails for a non-callable callback, which a
        // Closure never is.
        let _ = target.add_event_listener_with_callback(kind, callback.as_ref().unchecked_ref());
        Self { target: target.clone(), kind, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self
            .target
            .remove_event_listener_with_callback(self.kind, self.callback.as_ref().unchecked_ref());
    }
}

/// Creates `<tag>` with the given attributes. Only attribute names known at
/// compile time are set here; text from outside goes through `set_text`.
pub fn element(doc: &Document, tag: &str, attributes: &[(&str, &str)]) -> Result<Element, JsValue> {
    let el = doc.create_element(tag)?;
    set_attributes(&el, attributes)?;
    Ok(el)
}

/// Creates an SVG element (`svg`, `path`, ...) with the given attributes.
pub fn svg_element(doc: &Document, tag: &str, attributes: &[(&str, &str)]) -> Result<Element, JsValue> {
    let el = doc.create_element_ns(Some(SVG_NS), tag)?;
    set_attributes(&el, attributes)?;
    Ok(el)
}

fn set_attributes(el: &Element, attributes: &[(&str, &str)]) -> Result<(), JsValue> {
    for (name, value) in attributes {
        el.set_attribute(name, value)?;
    }
    Ok(())
}

/// Sets plain text content: never parsed as markup.
pub fn set_text(el: &Element, text: &str) {
    el.set_text_content(Some(text));
}
