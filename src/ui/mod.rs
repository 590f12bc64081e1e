//! The launcher and the chat panel, rendered in an open shadow root on a host
//! element appended to `<body>`.
//!
//! `Ui` owns every node and listener it creates; dropping it removes the host
//! element and all listeners. It knows nothing of the network: the widget
//! tells it what to show and hears back through [`UiAction`]s.

mod icon;
mod messages;

use crate::digits::{int, px};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{
    CssStyleSheet, Document, Element, HtmlElement, HtmlTextAreaElement, KeyboardEvent, ShadowRootInit,
    ShadowRootMode,
};

use crate::chat::Entry;
use crate::config::{ButtonShape, Config, Icon, Look};
use crate::connection::Connection;
use crate::dom::{set_text, Listener};
use crate::i18n::Strings;
use crate::log;
use crate::style::CSS;

/// The attribute that marks the host element on the page.
pub const HOST_ATTRIBUTE: &str = "data-natter-widget";
const PANEL_ID: &str = "natter-panel";

/// What a person did in the widget's UI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UiAction {
    Toggle,
    Close,
    /// Escape pressed inside the panel.
    Escape,
    /// Enter in the composer, or the send button.
    Send,
    /// The retry control of a failed message, by client message id.
    Retry(String),
    /// The composer's text changed.
    Input,
}

pub struct Ui {
    host: HtmlElement,
    root: Element,
    launcher: HtmlElement,
    launcher_icon: Element,
    launcher_label: Element,
    badge: Element,
    panel: Element,
    title: Element,
    subtitle: Element,
    subtitle_text: Element,
    close: Element,
    banner: Element,
    list: Element,
    greeting: Element,
    typing: Element,
    input: HtmlTextAreaElement,
    send: Element,
    hint: Element,
    /// Message rows, index-aligned with `Chat::entries`.
    rows: Vec<Element>,
    strings: &'static Strings,
    custom_title: bool,
    custom_subtitle: bool,
    online: bool,
    unread: u32,
    open: bool,
    _listeners: Vec<Listener>,
}

/// The widget's markup: constant, with the built-in icons.
fn template() -> String {
    let icon = |path: &str| [r#"<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=""#, path, r#""/></svg>"#].concat();
    [
        r#"<div class="root"><div id=""#,
        PANEL_ID,
        r#"" class="panel" part="panel" role="dialog" hidden><div class="header" part="header"><div class="heading"><h2 class="title" part="title"></h2><p class="subtitle" part="subtitle"><span class="dot" aria-hidden="true"></span><span class="status"></span></p></div><button type="button" class="close" part="close">"#,
        &icon(icon::CLOSE),
        r#"</button></div><div class="banner" part="banner" role="status" hidden></div><div class="messages" part="messages" role="log" aria-live="polite" tabindex="0"><div class="greeting" part="greeting" hidden></div></div><div class="typing" part="typing" aria-live="polite" hidden></div><p class="hint" part="hint" role="alert" hidden></p><form class="composer" part="composer"><textarea class="input" part="input" rows="1" enterkeyhint="send"></textarea><button type="submit" class="send" part="send">"#,
        &icon(icon::SEND),
        r#"</button></form></div><button type="button" class="launcher" part="launcher" aria-expanded="false" aria-controls=""#,
        PANEL_ID,
        r#"">"#,
        &icon(icon::CHAT),
        r#"<span class="label" hidden></span><span class="badge" part="badge" aria-hidden="true" hidden></span></button></div>"#,
    ]
    .concat()
}

impl Ui {
    /// Builds the UI and appends it to `body`. `on_action` is called from
    /// event listeners; it must not call back into this `Ui` synchronously
    /// while the caller holds it.
    pub fn mount(
        doc: &Document,
        body: &HtmlElement,
        config: &Config,
        strings: &'static Strings,
        on_action: fn(UiAction),
    ) -> Result<Self, JsValue> {
        let host: HtmlElement = doc.create_element("natter-widget")?.unchecked_into();
        host.set_attribute(HOST_ATTRIBUTE, "")?;
        let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        // The skeleton is constant markup (no page or config input), parsed
        // once: far fewer wasm bytes than building it call by call. Text from
        // outside only ever goes in through textContent and attributes.
        shadow.set_inner_html(&template());
        let find = |selector: &str| -> Result<Element, JsValue> {
            shadow.query_selector(selector)?.ok_or_else(|| JsValue::from_str(selector))
        };
        let root = find(".root")?;
        let panel = find(".panel")?;
        let launcher: HtmlElement = find(".launcher")?.unchecked_into();
        let input: HtmlTextAreaElement = find(".input")?.unchecked_into();

        // One delegated listener per event type, on the container.
        let listeners = vec![
            Listener::new(&root, "click", move |event| {
                let Some(target) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else { return };
                let within = |selector: &str| target.closest(selector).ok().flatten();
                if within(".launcher").is_some() {
                    on_action(UiAction::Toggle);
                } else if within(".close").is_some() {
                    on_action(UiAction::Close);
                } else if let Some(id) = within(".retry").and_then(|el| el.get_attribute(messages::RETRY_ATTRIBUTE)) {
                    on_action(UiAction::Retry(id));
                }
            }),
            Listener::new(&root, "keydown", move |event| {
                let Some(key) = event.dyn_ref::<KeyboardEvent>() else { return };
                let in_composer = event.target().and_then(|t| t.dyn_into::<Element>().ok()).is_some_and(|el| el.class_list().contains("input"));
                if key.key() == "Escape" {
                    on_action(UiAction::Escape);
                // Enter sends; Shift+Enter is a newline; Enter that confirms
                // an IME composition (is_composing, or the legacy 229) does not send.
                } else if in_composer && key.key() == "Enter" && !key.shift_key() && !key.is_composing() && key.key_code() != 229 {
                    event.prevent_default();
                    on_action(UiAction::Send);
                }
            }),
            Listener::new(&root, "submit", move |event| {
                event.prevent_default();
                on_action(UiAction::Send);
            }),
            Listener::new(&root, "input", move |_| on_action(UiAction::Input)),
        ];
        body.append_child(&host)?;

        let mut ui = Self {
            launcher_icon: find(".launcher svg")?,
            launcher_label: find(".label")?,
            badge: find(".badge")?,
            title: find(".title")?,
            subtitle: find(".subtitle")?,
            subtitle_text: find(".status")?,
            close: find(".close")?,
            banner: find(".banner")?,
            list: find(".messages")?,
            greeting: find(".greeting")?,
            typing: find(".typing")?,
            send: find(".send")?,
            hint: find(".hint")?,
            host,
            root,
            launcher,
            panel,
            input,
            rows: Vec::new(),
            strings,
            custom_title: false,
            custom_subtitle: false,
            online: true,
            unread: 0,
            open: false,
            _listeners: listeners,
        };
        ui.set_strings(strings);
        ui.apply_look(config);
        Ok(ui)
    }

    /// Configuration → root classes, CSS custom properties on the host,
    /// launcher icon and label, header texts. Called again when the remote
    /// config arrives.
    pub fn apply_look(&mut self, config: &Config) {
        let look: &Look = &config.look;
        let style = self.host.style();
                let vars = [
            ("--nt-z", int(config.z_index)),
            ("--nt-primary", look.primary.clone()),
            ("--nt-accent", look.accent.clone()),
            ("--nt-on-primary", look.on_primary.css()),
            ("--nt-ring-light", look.ring.clone()),
            ("--nt-ox", px(look.offset_x)),
            ("--nt-oy", px(look.offset_y)),
            ("--nt-pw", px(look.panel_width)),
            ("--nt-ph", px(look.panel_height)),
            ("--nt-pr", px(look.panel_radius)),
            ("--nt-bs", px(look.button_size)),
        ];
        for (name, value) in vars {
            // CSSOM, not a style attribute: allowed under a strict CSP.
            let _ = style.set_property(name, &value);
        }
        for (name, value) in [
            ("--nt-header-bg", look.header_background.clone()),
            ("--nt-bg-image", look.background_image.as_deref().map(crate::appearance::css_url)),
        ] {
            let _ = match value {
                Some(value) => style.set_property(name, &value),
                None => style.remove_property(name).map(drop),
            };
        }
        let _ = self.panel.class_list().toggle_with_force("bg", look.background_image.is_some());
        let pill = look.button_shape == ButtonShape::Pill;
        let _ = self.root.set_attribute(
            "class",
            &["root ", config.position.code(), " ", config.theme.code(), if pill { " pill" } else { "" }, if self.open { " open" } else { "" }].concat(),
        );
        let _ = self.launcher_label.toggle_attribute_with_force("hidden", !pill || look.button_label.is_none());
        set_text(&self.launcher_label, look.button_label.as_deref().unwrap_or(""));
        if let Some(doc) = self.host.owner_document() {
            let icon = launcher_icon(&doc, look.button_icon.as_ref());
            if self.launcher_icon.replace_with_with_node_1(&icon).is_ok() {
                self.launcher_icon = icon;
            }
        }
        self.custom_title = look.header_title.is_some();
        self.custom_subtitle = look.header_subtitle.is_some();
        set_text(&self.title, look.header_title.as_deref().unwrap_or(self.strings.default_title));
        if let Some(subtitle) = &look.header_subtitle {
            set_text(&self.subtitle_text, subtitle);
        } else {
            self.set_online(self.online);
        }
    }

    /// Hides the whole widget (a site switched off) or shows it again.
    pub fn set_hidden(&self, hidden: bool) {
        let _ = self.root.toggle_attribute_with_force("hidden", hidden);
    }

    /// Every localized string and accessible name. Message rows keep their
    /// text and are re-rendered for their meta lines by the caller.
    pub fn set_strings(&mut self, strings: &'static Strings) {
        self.strings = strings;
        let attr = |el: &Element, name: &str, value: &str| {
            let _ = el.set_attribute(name, value);
        };
        // Screen readers pick the voice from `lang`, not from the host page.
        attr(&self.root, "lang", strings.lang);
        attr(&self.panel, "aria-label", strings.panel_label);
        attr(&self.close, "aria-label", strings.close_chat);
        attr(&self.list, "aria-label", strings.messages_label);
        attr(&self.input, "aria-label", strings.composer_label);
        attr(&self.input, "placeholder", strings.placeholder);
        attr(&self.send, "aria-label", strings.send);
        if !self.custom_title {
            set_text(&self.title, strings.default_title);
        }
        self.set_online(self.online);
        self.set_unread(self.unread);
        self.set_open(self.open);
    }

    pub fn strings(&self) -> &'static Strings {
        self.strings
    }

    pub fn set_open(&mut self, open: bool) {
        self.open = open;
        let _ = self.launcher.set_attribute("aria-expanded", if open { "true" } else { "false" });
        let _ = self.panel.toggle_attribute_with_force("hidden", !open);
        let _ = self.root.class_list().toggle_with_force("open", open);
        self.update_launcher_name();
    }

    pub fn set_online(&mut self, online: bool) {
        self.online = online;
        let _ = self.subtitle.class_list().toggle_with_force("off", !online);
        if !self.custom_subtitle {
            set_text(&self.subtitle_text, if online { self.strings.online } else { self.strings.offline });
        }
    }

    pub fn set_unread(&mut self, count: u32) {
        self.unread = count;
        let _ = self.badge.toggle_attribute_with_force("hidden", count == 0);
        set_text(&self.badge, &if count > 99 { "99+".to_string() } else { int(count.into()) });
        self.update_launcher_name();
    }

    fn update_launcher_name(&self) {
        let s = self.strings;
        let mut name = if self.open { s.close_chat } else { s.open_chat }.to_string();
        match self.unread {
            0 => {}
            1 => name = [&name, " (", s.unread_one, ")"].concat(),
            n => name = [&name, " (", s.unread_many, " ", &int(n.into()), ")"].concat(),
        }
        let _ = self.launcher.set_attribute("aria-label", &name);
    }

    pub fn set_connection(&self, state: Connection) {
        let text = match state {
            Connection::Online => None,
            Connection::Connecting => Some(self.strings.connecting),
            Connection::Polling => Some(self.strings.polling),
            Connection::Offline => Some(self.strings.offline_banner),
        };
        let _ = self.banner.toggle_attribute_with_force("hidden", text.is_none());
        set_text(&self.banner, text.unwrap_or(""));
    }

    /// Shows "<name> is typing…", or hides it.
    pub fn set_typing(&self, who: Option<&str>) {
        let _ = self.typing.toggle_attribute_with_force("hidden", who.is_none());
        set_text(&self.typing, &who.map(|name| [name, " ", self.strings.typing].concat()).unwrap_or_default());
    }

    pub fn set_greeting(&self, text: Option<&str>) {
        let _ = self.greeting.toggle_attribute_with_force("hidden", text.is_none());
        set_text(&self.greeting, text.unwrap_or(""));
    }

    /// A refusal reason under the composer, or none.
    pub fn set_hint(&self, text: Option<&str>) {
        let _ = self.hint.toggle_attribute_with_force("hidden", text.is_none());
        set_text(&self.hint, text.unwrap_or(""));
    }

    pub fn composer_text(&self) -> String {
        self.input.value()
    }

    pub fn set_composer_text(&self, text: &str) {
        self.input.set_value(text);
        self.fit_composer();
    }

    /// Grows the composer with its content, up to the CSS max-height.
    pub fn fit_composer(&self) {
        let style = self.input.style();
        let _ = style.set_property("height", "auto");
        let _ = style.set_property("height", &px((self.input.scroll_height() + 2).into()));
    }

    pub fn focus_composer(&self) {
        let _ = self.input.focus();
    }

    pub fn focus_launcher(&self) {
        let _ = self.launcher.focus();
    }

    /// Inserts the row for `entry` at `index` (index-aligned with the chat).
    pub fn insert_message(&mut self, index: usize, entry: &Entry) {
        let Some(doc) = self.host.owner_document() else { return };
        let row = messages::row(&doc, entry, self.strings);
        let before = self.rows.get(index).map(|r| r.clone().unchecked_into::<web_sys::Node>());
        if self.list.insert_before(&row, before.as_ref()).is_ok() {
            self.rows.insert(index.min(self.rows.len()), row);
        }
    }

    /// Re-renders the row at `index` after its entry changed.
    pub fn update_message(&mut self, index: usize, entry: &Entry) {
        let Some(doc) = self.host.owner_document() else { return };
        let Some(old) = self.rows.get(index) else { return };
        let row = messages::row(&doc, entry, self.strings);
        if old.replace_with_with_node_1(&row).is_ok() {
            self.rows[index] = row;
        }
    }

    pub fn clear_messages(&mut self) {
        for row in self.rows.drain(..) {
            row.remove();
        }
    }

    /// Scrolls the list to the newest message. It reads layout, so callers
    /// do it once per batch of rows, not per row (a history of 1,000
    /// messages would otherwise lay the list out 1,000 times).
    pub fn scroll_to_end(&self) {
        self.list.set_scroll_top(self.list.scroll_height());
    }

    /// Sizes the full-screen panel to the visual viewport, so an on-screen
    /// keyboard never covers the composer.
    pub fn fit_viewport(&self, top: f64, height: f64) {
        let style = self.host.style();
        // Whole pixels: formatting an f64 would pull ~8 KB of float printing into the wasm.
        let _ = style.set_property("--nt-vvt", &px(top.round() as i64));
        let _ = style.set_property("--nt-vvh", &px(height.round() as i64));
    }

    pub fn host(&self) -> &HtmlElement {
        &self.host
    }
}

impl Drop for Ui {
    fn drop(&mut self) {
        self.host.remove();
    }
}

fn launcher_icon(doc: &Document, custom: Option<&Icon>) -> Element {
    match custom {
        Some(Icon::Image(url)) => icon::image(doc, url),
        Some(Icon::Svg(markup)) => match icon::inline_svg(doc, markup) {
            Some(svg) => svg,
            None => {
                log::warn("ignored buttonIcon: not well-formed SVG");
                icon::builtin(doc, icon::CHAT)
            }
        },
        None => icon::builtin(doc, icon::CHAT),
    }
}
