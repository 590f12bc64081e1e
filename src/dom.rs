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

/// A MutationObserver watching direct children of the nodes given to
/// [`Observer::observe_child_list`]; disconnected when dropped.
pub struct Observer {
    observer: Option<web_sys::MutationObserver>,
    _callback: Closure<dyn FnMut()>,
}

impl Observer {
    pub fn new(on_change: impl FnMut() + 'static) -> Self {
        let callback = Closure::<dyn FnMut()>::new(on_change);
        let observer = web_sys::MutationObserver::new(callback.as_ref().unchecked_ref()).ok();
        Self { observer, _callback: callback }
    }

    pub fn observe_child_list(&self, node: &web_sys::Node) {
        if let Some(observer) = &self.observer {
            let options = web_sys::MutationObserverInit::new();
            options.set_child_list(true);
            let _ = observer.observe_with_options(node, &options);
        }
    }
}

impl Drop for Observer {
    fn drop(&mut self) {
        if let Some(observer) = &self.observer {
            observer.disconnect();
        }
    }
}
