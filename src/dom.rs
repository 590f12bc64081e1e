//! Small DOM helpers and owners. Every listener the widget adds is held by a
//! [`Listener`] that removes it when dropped, so dropping the widget leaves
//! nothing behind on the page.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event, EventTarget, HtmlElement};

/// An event listener that lives exactly as long as this value.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    // The same closure type as the session's handler: one copy of the
    // closure glue for both.
    callback: Closure<dyn FnMut(JsValue)>,
}

impl Listener {
    pub fn new(target: &EventTarget, kind: &'static str, mut handler: impl FnMut(Event) + 'static) -> Self {
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| handler(event.unchecked_into()));
        // Adding or removing a listener only fails for a non-callable
        // callback, which a Closure never is.
        target.unchecked_ref::<DomTarget>().add_event_listener(kind, callback.as_ref());
        Self { target: target.clone(), kind, callback }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.target.unchecked_ref::<DomTarget>().remove_event_listener(self.kind, self.callback.as_ref());
    }
}

// The few DOM calls below, bound without web-sys's exception plumbing,
// which costs wasm bytes at every call site. They cannot throw as used here:
// tag, attribute, class and property names and selectors are compile-time
// constants or allowlisted, only fresh nodes are inserted, and callbacks are
// always functions. Each type is the interface that has the methods, and
// web-sys values are seen as one through `unchecked_ref`.
#[wasm_bindgen]
extern "C" {
    type DomDocument;
    #[wasm_bindgen(method, js_name = createElement)]
    fn create_element(this: &DomDocument, tag: &str) -> Element;
    #[wasm_bindgen(method, js_name = createElementNS)]
    fn create_element_ns(this: &DomDocument, namespace: &str, tag: &str) -> Element;

    /// An element, or a shadow root for `querySelector`.
    type DomNode;
    #[wasm_bindgen(method, js_name = setAttribute)]
    fn set_attribute(this: &DomNode, name: &str, value: &str);
    #[wasm_bindgen(method, js_name = appendChild)]
    fn append_child(this: &DomNode, child: &JsValue);
    #[wasm_bindgen(method, js_name = insertBefore)]
    fn insert_before(this: &DomNode, child: &Element, before: Option<&Element>);
    #[wasm_bindgen(method, js_name = replaceWith)]
    fn replace_with(this: &DomNode, with: &Element);
    #[wasm_bindgen(method, js_name = querySelector)]
    fn query_selector(this: &DomNode, selector: &str) -> Option<Element>;
    #[wasm_bindgen(method, getter)]
    fn children(this: &DomNode) -> Children;
    #[wasm_bindgen(method, getter, js_name = classList)]
    fn class_list(this: &DomNode) -> ClassList;
    #[wasm_bindgen(method, getter)]
    fn style(this: &DomNode) -> InlineStyle;

    /// `HTMLCollection`, read by index.
    type Children;
    #[wasm_bindgen(method, indexing_getter)]
    fn get(this: &Children, index: u32) -> Option<Element>;

    /// `DOMTokenList`.
    type ClassList;
    #[wasm_bindgen(method)]
    fn toggle(this: &ClassList, token: &str, force: bool);

    /// `CSSStyleDeclaration`.
    type InlineStyle;
    #[wasm_bindgen(method, js_name = setProperty)]
    fn set_property(this: &InlineStyle, name: &str, value: &str);

    type DomTarget;
    #[wasm_bindgen(method, js_name = addEventListener)]
    fn add_event_listener(this: &DomTarget, kind: &str, callback: &JsValue);
    #[wasm_bindgen(method, js_name = removeEventListener)]
    fn remove_event_listener(this: &DomTarget, kind: &str, callback: &JsValue);
}

/// Creates `<tag>` with the given attributes. Only attribute names known at
/// compile time are set here; text from outside goes through `set_text`.
pub fn element(doc: &Document, tag: &str, attributes: &[(&str, &str)]) -> Element {
    let el = doc.unchecked_ref::<DomDocument>().create_element(tag);
    set_attributes(&el, attributes);
    el
}

/// Creates an element of another namespace (SVG) with an allowlisted tag.
pub fn element_ns(doc: &Document, namespace: &str, tag: &str) -> Element {
    doc.unchecked_ref::<DomDocument>().create_element_ns(namespace, tag)
}

/// Creates `<tag>` with the given attributes as the last child of `parent`.
pub fn child_element(doc: &Document, parent: &Element, tag: &str, attributes: &[(&str, &str)]) -> Element {
    let el = element(doc, tag, attributes);
    append(parent, &el);
    el
}

/// Sets constant or allowlisted attributes.
pub fn set_attributes(el: &Element, attributes: &[(&str, &str)]) {
    for (name, value) in attributes {
        set_attribute(el, name, value);
    }
}

/// Sets a constant or allowlisted attribute.
pub fn set_attribute(el: &Element, name: &str, value: &str) {
    el.unchecked_ref::<DomNode>().set_attribute(name, value);
}

/// Appends a fresh node.
pub fn append(parent: &Element, child: &JsValue) {
    parent.unchecked_ref::<DomNode>().append_child(child);
}

/// Inserts a fresh element before `before`, one of `parent`'s children
/// (`None`: at the end).
pub fn insert(parent: &Element, child: &Element, before: Option<&Element>) {
    parent.unchecked_ref::<DomNode>().insert_before(child, before);
}

/// Puts a fresh element in the place of `old`, which has a parent.
pub fn replace(old: &Element, with: &Element) {
    old.unchecked_ref::<DomNode>().replace_with(with);
}

/// The first element in `root` that matches a constant `selector`.
pub fn find(root: &JsValue, selector: &str) -> Option<Element> {
    root.unchecked_ref::<DomNode>().query_selector(selector)
}

/// The `index`-th child element of `parent`.
pub fn child(parent: &Element, index: u32) -> Option<Element> {
    // By index: `HTMLCollection.item` would be one more import.
    parent.unchecked_ref::<DomNode>().children().get(index)
}

/// Shows or hides an HTML element (the `hidden` attribute).
pub fn set_hidden(el: &Element, hidden: bool) {
    el.unchecked_ref::<HtmlElement>().set_hidden(hidden);
}

/// Sets `el`'s text and shows it, or hides it when there is no text.
pub fn show_text(el: &Element, text: Option<&str>) {
    set_hidden(el, text.is_none());
    set_text(el, text.unwrap_or(""));
}

/// Adds or removes a class.
pub fn toggle_class(el: &Element, class: &str, on: bool) {
    el.unchecked_ref::<DomNode>().class_list().toggle(class, on);
}

/// Sets one property of an HTML element's inline style through CSSOM
/// (allowed under a strict CSP, unlike a `style` attribute).
pub fn set_style(el: &Element, name: &str, value: &str) {
    el.unchecked_ref::<DomNode>().style().set_property(name, value);
}

/// Replaces an element's whole inline style through CSSOM: one call for many
/// properties.
pub fn set_css_text(el: &Element, css: &str) {
    crate::js::set(&el.unchecked_ref::<DomNode>().style(), "cssText", &css.into());
}

/// `scrollHeight`, read as a property: web-sys binds it once per element
/// type.
pub fn scroll_height(el: &Element) -> i32 {
    crate::js::get(el, "scrollHeight").as_f64().unwrap_or(0.0) as i32
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
            // Options as a plain object: MutationObserverInit is one more import.
            let options = crate::js::object(&[("childList", true.into())]);
            let _ = observer.observe_with_options(node, options.unchecked_ref());
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
