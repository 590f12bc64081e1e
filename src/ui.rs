//! The launcher and the chat panel, rendered in an open shadow root on a host
//! element appended to `<body>`.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CssStyleSheet, Document, Element, HtmlElement, ShadowRootInit, ShadowRootMode};

use crate::config::Config;
use crate::dom::{element, set_text, svg_element, Listener};
use crate::style::CSS;

/// The attribute that marks the host element on the page.
pub const HOST_ATTRIBUTE: &str = "data-natter-widget";
const PANEL_ID: &str = "natter-panel";

const CHAT_ICON: &str = "M12 3C6.5 3 2 6.9 2 11.7c0 2.6 1.3 4.9 3.4 6.5L4.6 22l4.2-2.3c1 .3 2.1.4 3.2.4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z";
const CLOSE_ICON: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";

/// What a person did in the widget's UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UiAction {
    Toggle,
    Close,
}

/// The mounted widget UI. Dropping it removes the host element and every
/// listener it added.
pub struct Ui {
    host: HtmlElement,
    launcher: Element,
    panel: Element,
    _listeners: Vec<Listener>,
}

impl Ui {
    /// Builds the UI and appends it to `body`. `on_action` is called for
    /// clicks; it must not call back into this `Ui` synchronously.
    pub fn mount(doc: &Document, body: &HtmlElement, config: &Config, on_action: fn(UiAction)) -> Result<Self, JsValue> {
        let host: HtmlElement = doc.create_element("natter-widget")?.unchecked_into();
        host.set_attribute(HOST_ATTRIBUTE, "")?;
        // CSSOM, not a style attribute: allowed under a strict CSP.
        host.style().set_property("--nt-z", &config.z_index.to_string())?;

        let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        let root = element(doc, "div", &[("class", &format!("root {}", config.position.code()))])?;

        let panel = element(
            doc,
            "div",
            &[("id", PANEL_ID), ("part", "panel"), ("class", "panel"), ("role", "dialog"), ("aria-label", "Chat"), ("hidden", "")],
        )?;
        let header = element(doc, "div", &[("class", "header")])?;
        let title = element(doc, "h2", &[("class", "title")])?;
        set_text(&title, "Chat with us");
        let close = element(doc, "button", &[("type", "button"), ("class", "close"), ("part", "close"), ("aria-label", "Close chat")])?;
        close.append_child(&icon(doc, CLOSE_ICON)?.into())?;
        header.append_child(&title)?;
        header.append_child(&close)?;
        let body_region = element(doc, "div", &[("class", "body"), ("part", "messages")])?;
        panel.append_child(&header)?;
        panel.append_child(&body_region)?;

        let launcher = element(
            doc,
            "button",
            &[
                ("type", "button"),
                ("class", "launcher"),
                ("part", "launcher"),
                ("aria-label", "Open chat"),
                ("aria-expanded", "false"),
                ("aria-controls", PANEL_ID),
            ],
        )?;
        launcher.append_child(&icon(doc, CHAT_ICON)?.into())?;

        root.append_child(&panel)?;
        root.append_child(&launcher)?;
        shadow.append_child(&root)?;

        let listeners = vec![
            Listener::new(&launcher, "click", move |_| on_action(UiAction::Toggle)),
            Listener::new(&close, "click", move |_| on_action(UiAction::Close)),
        ];
        body.append_child(&host)?;
        Ok(Self { host, launcher, panel, _listeners: listeners })
    }

    pub fn set_open(&self, open: bool) {
        // Attribute writes on our own elements cannot fail.
        let _ = self.launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
        let _ = self.launcher.set_attribute("aria-label", if open { "Close chat" } else { "Open chat" });
        let _ = self.panel.toggle_attribute_with_force("hidden", !open);
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.host.remove();
    }
}

fn icon(doc: &Document, path: &str) -> Result<Element, JsValue> {
    let svg = svg_element(doc, "svg", &[("viewBox", "0 0 24 24"), ("aria-hidden", "true"), ("focusable", "false")])?;
    let shape: web_sys::Node = svg_element(doc, "path", &[("d", path)])?.into();
    svg.append_child(&shape)?;
    Ok(svg)
}
