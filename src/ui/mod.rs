//! The launcher and the chat panel, rendered in an open shadow root on a host
//! element appended to `<body>`.
//!
//! `Ui` owns every node and listener it creates; dropping it removes the host
//! element and all listeners. It knows nothing of the network: the widget
//! tells it what to show and hears back through [`UiAction`]s.

mod engage;
mod icon;
mod menu;
mod messages;
mod rating;
mod window;

pub use window::CHUNK;

use crate::digits::{int, px};
use crate::js;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CssStyleSheet, Document, Element, Event, HtmlElement, HtmlTextAreaElement};

use crate::chat::Entry;
use crate::config::{ButtonShape, Config, Icon, Look};
use crate::connection::Connection;
use crate::dom::{
    append, child, element, find, insert, replace, scroll_height, set_attribute, set_css_text, set_hidden, set_style,
    set_text, show_text, toggle_class, Listener,
};
use crate::i18n::Strings;
use crate::log;
use crate::protocol::AvailabilityState;
use crate::style::CSS;
use window::{Step, View, Window};

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// `element.innerHTML = markup` (`outerHTML` when `outer`) through the
    /// widget's Trusted Types policy; an error where the page refuses it.
    #[wasm_bindgen(catch)]
    fn set_html(element: &JsValue, outer: bool, markup: &str) -> Result<(), JsValue>;
}

/// The attribute that marks the host element on the page.
pub const HOST_ATTRIBUTE: &str = "data-natter-widget";

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
    /// The list scrolled: see [`Ui::scrolled`].
    Scroll,
    /// The frame asked for by the list came: see [`Ui::fill`].
    Fill,
    /// A click or key anywhere in the widget (before its own action).
    Interacted,
    /// The header's mute toggle.
    Mute,
    /// The preview bubble's close button.
    Dismiss,
    /// The header menu's button.
    Menu,
    /// Escape in the menu (`true`: focus goes back to its button), or
    /// focus left it.
    CloseMenu(bool),
    /// The menu's End chat: asks for confirmation.
    EndChat,
    /// The confirmation's End (`true`) or Cancel.
    ConfirmEnd(bool),
    /// The rating card's submit, and its Change after a rating.
    Rate,
    ChangeRating,
}

pub struct Ui {
    host: HtmlElement,
    root: Element,
    launcher: HtmlElement,
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
    mute: Element,
    preview: Element,
    peek: Element,
    dismiss: Element,
    more: Element,
    menu: Element,
    end_chat: Element,
    confirm: Element,
    rating: Element,
    notice: Element,
    /// What the header's status line says: the availability, and when the
    /// site opens again (RFC 3339).
    availability: (AvailabilityState, Option<String>),
    strings: &'static Strings,
    custom_title: bool,
    custom_subtitle: bool,
    unread: u32,
    open: bool,
    window: Window,
    batch: bool,
    /// Keep the newest message in view.
    follow: bool,
    fill_handler: JsValue,
    fill_frame: Option<Frame>,
    _listeners: [Listener; 6],
}

/// The widget's markup: src/ui/widget.html with its icons, minified by
/// build.rs. Constant: no page or configuration input.
const TEMPLATE: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.html"));

/// The parts of the markup that `Ui` keeps, each found by a class selector.
struct Parts<E> {
    root: E,
    panel: E,
    launcher: E,
    launcher_label: E,
    badge: E,
    title: E,
    subtitle: E,
    subtitle_text: E,
    close: E,
    banner: E,
    list: E,
    greeting: E,
    typing: E,
    input: E,
    send: E,
    hint: E,
    mute: E,
    preview: E,
    peek: E,
    dismiss: E,
    more: E,
    menu: E,
    end_chat: E,
    confirm: E,
    rating: E,
    notice: E,
}

impl<E> Parts<E> {
    /// Every part by `find(selector)`, or the selector of the first one
    /// missing. Generic so that a native test runs the same lookups over the
    /// markup.
    fn find(mut find: impl FnMut(&'static str) -> Option<E>) -> Result<Self, &'static str> {
        let mut part = |selector| find(selector).ok_or(selector);
        Ok(Self {
            root: part(".root")?,
            panel: part(".panel")?,
            launcher: part(".launcher")?,
            launcher_label: part(".label")?,
            badge: part(".badge")?,
            title: part(".title")?,
            subtitle: part(".subtitle")?,
            subtitle_text: part(".status")?,
            close: part(".close")?,
            banner: part(".banner")?,
            list: part(".messages")?,
            greeting: part(".greeting")?,
            typing: part(".typing")?,
            input: part(".input")?,
            send: part(".send")?,
            hint: part(".hint")?,
            mute: part(".mute")?,
            preview: part(".preview")?,
            peek: part(".peek")?,
            dismiss: part(".dismiss")?,
            more: part(".more")?,
            menu: part(".menu")?,
            end_chat: part(".end-chat")?,
            confirm: part(".confirm")?,
            rating: part(".rating")?,
            notice: part(".notice")?,
        })
    }
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
        let host: HtmlElement = element(doc, "natter-widget", &[(HOST_ATTRIBUTE, "")]).unchecked_into();
        // Options as a plain object: web-sys's ShadowRootInit is a setter
        // import and an enum table in the glue.
        let shadow = host.attach_shadow(js::object(&[("mode", "open".into())]).unchecked_ref())?;
        let sheet = CssStyleSheet::new()?;
        sheet.replace_sync(CSS)?;
        shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

        // The skeleton is constant markup (no page or config input), parsed
        // once: far fewer wasm bytes than building it call by call. Text from
        // outside only ever goes in through textContent and attributes.
        set_html(&shadow, false, TEMPLATE)?;
        // No page code runs until the host is appended, so a part is only
        // missing if the markup and this code disagree: an error, which the
        // test `every_part_is_in_the_markup_once` catches first.
        let parts = Parts::find(|selector| find(&shadow, selector))
            .map_err(|selector| JsValue::from_str(&["the widget's markup has no ", selector].concat()))?;
        let root = parts.root;

        // One delegated listener per event type, on the container, all
        // sharing one closure type (one copy of the closure glue).
        let listen =
            |target: &Element, kind| Listener::new(target, kind, move |event| on_event(kind, &event, on_action));
        // Scroll events do not bubble to the root.
        let scrolled = listen(&parts.list, "scroll");
        let [click, keydown, submit, input_changed, focusout] =
            ["click", "keydown", "submit", "input", "focusout"].map(|kind| listen(&root, kind));
        let fill_handler = Closure::<dyn FnMut()>::new(move || on_action(UiAction::Fill)).into_js_value();
        let mut ui = Self {
            host,
            root,
            launcher: parts.launcher.unchecked_into(),
            launcher_label: parts.launcher_label,
            badge: parts.badge,
            panel: parts.panel,
            title: parts.title,
            subtitle: parts.subtitle,
            subtitle_text: parts.subtitle_text,
            close: parts.close,
            banner: parts.banner,
            list: parts.list,
            greeting: parts.greeting,
            typing: parts.typing,
            input: parts.input.unchecked_into(),
            send: parts.send,
            hint: parts.hint,
            mute: parts.mute,
            preview: parts.preview,
            peek: parts.peek,
            dismiss: parts.dismiss,
            more: parts.more,
            menu: parts.menu,
            end_chat: parts.end_chat,
            confirm: parts.confirm,
            rating: parts.rating,
            notice: parts.notice,
            availability: (AvailabilityState::Online, None),
            strings,
            custom_title: false,
            custom_subtitle: false,
            unread: 0,
            open: false,
            window: Window::default(),
            batch: false,
            follow: true,
            fill_frame: None,
            fill_handler,
            _listeners: [click, keydown, submit, input_changed, scrolled, focusout],
        };
        append(body, &ui.host);
        ui.set_strings(strings);
        ui.apply_look(config);
        Ok(ui)
    }

    /// Configuration → root classes, CSS custom properties on the host,
    /// launcher icon and label, header texts. Called again when the remote
    /// config arrives.
    pub fn apply_look(&mut self, config: &Config) {
        let look: &Look = &config.look;
        // One CSSOM cssText (allowed under a strict CSP, unlike a style
        // attribute) instead of a call per property. Every value was checked
        // by configuration: no `;`, braces, quotes or comments.
        let mut css = [
            "--nt-z:",
            &int(config.z_index),
            ";--nt-primary:",
            &look.primary,
            ";--nt-accent:",
            &look.accent,
            ";--nt-on-primary:",
            &look.on_primary.css(),
            ";--nt-ring-light:",
            &look.ring,
        ]
        .concat();
        for (name, value) in [
            (";--nt-ox:", look.offset_x),
            (";--nt-oy:", look.offset_y),
            (";--nt-pw:", look.panel_width),
            (";--nt-ph:", look.panel_height),
            (";--nt-pr:", look.panel_radius),
            (";--nt-bs:", look.button_size),
        ] {
            css.push_str(name);
            css.push_str(&px(value));
        }
        if let Some(background) = &look.header_background {
            css.push_str(";--nt-header-bg:");
            css.push_str(background);
        }
        if let Some(url) = &look.background_image {
            css.push_str(";--nt-bg-image:");
            css.push_str(&crate::appearance::css_url(url));
        }
        set_css_text(&self.host, &css);
        toggle_class(&self.panel, "bg", look.background_image.is_some());
        let pill = look.button_shape == ButtonShape::Pill;
        set_attribute(
            &self.root,
            "class",
            &["root ", config.position.code(), " ", config.theme.code(), if pill { " pill" } else { "" }].concat(),
        );
        set_hidden(&self.launcher_label, !pill || look.button_label.is_none());
        set_text(&self.launcher_label, look.button_label.as_deref().unwrap_or(""));
        self.set_launcher_icon(look.button_icon.as_ref());
        self.custom_title = look.header_title.is_some();
        self.custom_subtitle = look.header_subtitle.is_some();
        set_text(&self.title, look.header_title.as_deref().unwrap_or(self.strings.default_title));
        if let Some(subtitle) = &look.header_subtitle {
            set_text(&self.subtitle_text, subtitle);
        } else {
            self.show_availability();
        }
    }

    /// The launcher's first child: built-in and image icons from markup of
    /// constants and escaped values, custom SVG as sanitized elements.
    fn set_launcher_icon(&self, custom: Option<&Icon>) {
        let Some(old) = child(&self.launcher, 0) else { return };
        let image;
        let markup = match custom {
            Some(Icon::Image(url)) => {
                image = icon::image(url);
                &image
            }
            Some(Icon::Svg(markup)) => {
                match self.host.owner_document().and_then(|doc| icon::inline_svg(&doc, markup)) {
                    Some(svg) => return replace(&old, &svg),
                    None => {
                        log::warn("ignored buttonIcon: not well-formed SVG");
                        icon::CHAT
                    }
                }
            }
            None => icon::CHAT,
        };
        // Where the page refuses it, the current icon stays.
        let _ = set_html(&old, true, markup);
    }

    /// Hides the whole widget (a site switched off) or shows it again.
    pub fn set_hidden(&self, hidden: bool) {
        set_hidden(&self.root, hidden);
    }

    /// Every localized string and accessible name. Message rows keep their
    /// text and are re-rendered for their meta lines by the caller.
    pub fn set_strings(&mut self, strings: &'static Strings) {
        self.strings = strings;
        // Screen readers pick the voice from `lang`, not from the host page.
        set_attribute(&self.root, "lang", strings.lang);
        for (el, name, value) in [
            (&self.panel, "aria-label", strings.panel_label),
            (&self.close, "aria-label", strings.close_chat),
            (&self.list, "aria-label", strings.messages_label),
            (&self.input, "aria-label", strings.composer_label),
            (&self.input, "placeholder", strings.placeholder),
            (&self.send, "aria-label", strings.send),
            (&self.mute, "aria-label", strings.mute),
            (&self.dismiss, "aria-label", strings.dismiss_preview),
            (&self.more, "aria-label", strings.menu),
        ] {
            set_attribute(el, name, value);
        }
        // The life cycle's fixed texts: the menu, the confirmation, the rating card.
        for (selector, text) in [
            (".end-chat", strings.end_chat),
            (".confirm p", strings.end_confirm),
            (".end", strings.end),
            (".cancel", strings.cancel),
            (".comment span", strings.comment),
            (".rate-send", strings.send_rating),
            (".rate-change", strings.change),
        ] {
            if let Some(el) = find(&self.root, selector) {
                set_text(&el, text);
            }
        }
        if !self.custom_title {
            set_text(&self.title, strings.default_title);
        }
        self.show_availability();
        self.set_unread(self.unread);
        self.set_open(self.open);
    }

    pub fn strings(&self) -> &'static Strings {
        self.strings
    }

    pub fn set_open(&mut self, open: bool) {
        self.open = open;
        // The stylesheet keys the open layout on this attribute, too.
        set_attribute(&self.launcher, "aria-expanded", if open { "true" } else { "false" });
        set_hidden(&self.panel, !open);
        self.update_launcher_name();
    }

    /// The header's status line: online, away, or offline (with the local
    /// time the site opens again, in the widget's language, when known).
    pub fn set_availability(&mut self, state: AvailabilityState, next_open_at: Option<String>) {
        self.availability = (state, next_open_at);
        self.show_availability();
    }

    fn show_availability(&self) {
        let s = self.strings;
        let (state, next_open_at) = &self.availability;
        toggle_class(&self.subtitle, "off", *state != AvailabilityState::Online);
        if self.custom_subtitle {
            return;
        }
        let until;
        let text = match (state, next_open_at) {
            (AvailabilityState::Online, _) => s.online,
            (AvailabilityState::Away, _) => s.away,
            (AvailabilityState::Offline, Some(at)) => {
                until = [s.offline_until, " ", &local_time(at, s.lang)].concat();
                &until
            }
            (AvailabilityState::Offline, None) => s.offline,
        };
        set_text(&self.subtitle_text, text);
    }

    /// A standing note above the composer (the offline message), or none.
    pub fn set_notice(&self, text: Option<&str>) {
        show_text(&self.notice, text);
    }

    pub fn set_unread(&mut self, count: u32) {
        self.unread = count;
        let digits = int(count.into());
        set_hidden(&self.badge, count == 0);
        set_text(&self.badge, if count > 99 { "99+" } else { &digits });
        self.update_launcher_name();
    }

    fn update_launcher_name(&self) {
        let s = self.strings;
        let action = if self.open { s.close_chat } else { s.open_chat };
        let count = int(self.unread.into());
        let name: &[&str] = match self.unread {
            0 => &[action],
            1 => &[action, " (", s.unread_one, ")"],
            _ => &[action, " (", s.unread_many, " ", &count, ")"],
        };
        set_attribute(&self.launcher, "aria-label", &name.concat());
    }

    pub fn set_connection(&self, state: Connection) {
        let text = match state {
            Connection::Online => None,
            Connection::Connecting => Some(self.strings.connecting),
            Connection::Polling => Some(self.strings.polling),
            Connection::Offline => Some(self.strings.offline_banner),
        };
        show_text(&self.banner, text);
    }

    /// The server refused the widget: the header says offline and the
    /// banner says why nothing is sent, until the next connection state.
    pub fn show_unavailable(&mut self) {
        self.set_availability(AvailabilityState::Offline, None);
        show_text(&self.banner, Some(self.strings.unavailable_banner));
    }

    /// Shows "<name> is typing…", or hides it.
    pub fn set_typing(&self, who: Option<&str>) {
        show_text(&self.typing, who.map(|name| [name, " ", self.strings.typing].concat()).as_deref());
    }

    pub fn set_greeting(&self, text: Option<&str>) {
        show_text(&self.greeting, text);
    }

    /// A refusal reason under the composer, or none.
    pub fn set_hint(&self, text: Option<&str>) {
        show_text(&self.hint, text);
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
        set_style(&self.input, "height", "auto");
        set_style(&self.input, "height", &px((scroll_height(&self.input) + 2).into()));
    }

    pub fn focus_composer(&self) {
        // Without scrolling it into view: the composer is always in view in
        // the shown panel, so that work is saved when opening.
        js::call(&self.input, "focus", &[js::object(&[("preventScroll", true.into())])]);
    }

    pub fn focus_launcher(&self) {
        let _ = self.launcher.focus();
    }

    // Message rows are the list's children after the greeting, one for
    // each entry of `self.window`, in `Chat::entries` order: the DOM is
    // their only record. Rows outside the window are built when the visitor
    // scrolls near them, a chunk per task (`fill`).

    /// Many messages come at once (a history page): their rows are built by
    /// later `fill` steps, a chunk per task, rather than in this one.
    pub fn set_batch(&mut self, many: bool) {
        self.batch = many;
    }

    /// The entry at `index` was inserted. A single new message always has
    /// its row built at once, outside the busy steps of building rows, so
    /// that the live region announces it: below rows that were dropped, the
    /// window starts again at it. A batch's rows are built by those steps,
    /// even among the rows (before the visitor's unsent messages).
    pub fn insert_message(&mut self, index: usize, entry: &Entry) {
        let now = !self.batch;
        let dropped = self.window.make_room(index, now);
        self.remove_rows(dropped);
        match (self.window.insert(index, now), self.host.owner_document()) {
            (Some(at), Some(doc)) => {
                // Rows built by earlier steps were seen busy in an earlier
                // frame: only this one is news.
                set_attribute(&self.list, "aria-busy", "false");
                insert(&self.list, &messages::row(&doc, entry, self.strings), self.row(at).as_ref());
            }
            _ => self.schedule_fill(),
        }
        self.place_greeting();
    }

    /// Re-renders the row of the entry at `index` after it changed.
    pub fn update_message(&self, index: usize, entry: &Entry) {
        let Some(at) = self.window.row(index) else { return };
        let (Some(doc), Some(old)) = (self.host.owner_document(), self.row(at)) else { return };
        messages::update(&doc, &old, entry, self.strings);
    }

    pub fn remove_message(&mut self, index: usize) {
        if let Some(row) = self.window.remove(index).and_then(|at| self.row(at)) {
            row.remove();
        }
        self.place_greeting();
    }

    pub fn clear_messages(&mut self) {
        self.window.clear();
        self.remove_rows(usize::MAX);
        self.place_greeting();
    }

    /// The greeting opens the conversation: it shows above the first
    /// message's row only, not above older rows that are not built.
    fn place_greeting(&self) {
        toggle_class(&self.greeting, "later", self.window.shown().start > 0);
    }

    /// Removes the first `count` rows (all, if there are fewer).
    fn remove_rows(&self, count: usize) {
        for row in (0..count).map_while(|_| self.row(0)) {
            row.remove();
        }
    }

    /// The row at DOM position `at` (0: the first message row).
    fn row(&self, at: usize) -> Option<Element> {
        child(&self.list, at as u32 + 1)
    }

    /// The list scrolled: rows may be needed, in the coming frame.
    pub fn scrolled(&mut self) {
        self.schedule_fill();
    }

    /// One step towards the rows the visitor's scroll position needs, in an
    /// animation frame (asked for on scroll and while there is more to do):
    /// one step per frame, just before the frame's own layout, and the one
    /// layout it forces (to scroll) is the frame's.
    pub fn fill(&mut self, entries: &[Entry]) {
        self.fill_frame = None;
        let list = &self.list;
        let number = |name| js::get(list, name).as_f64().unwrap_or(0.0);
        let (top, height, screen) = (number("scrollTop"), number("scrollHeight"), number("clientHeight"));
        let below = height - top - screen;
        // Scrolled to the end of the rows follows the newest only where
        // they reach it; scrolled away from it never does.
        self.follow = below < 2.0 && (self.follow || self.window.shown().end == entries.len());
        let view = View {
            follow: self.follow,
            near_top: top < 2.0 * screen,
            near_bottom: below < 2.0 * screen,
            more_above: top > below,
        };
        let step = self.window.next(view);
        if step == Step::Done {
            // A frame later than the last rows built: the accessibility tree
            // has seen them while busy, so they are not announced as new.
            set_attribute(list, "aria-busy", "false");
            return;
        }
        // Rows built by scrolling or for a history page are not news for the
        // live region.
        set_attribute(list, "aria-busy", "true");
        let shown = self.window.shown();
        match &step {
            Step::Build(range) => {
                let Some(doc) = self.host.owner_document() else { return };
                let before = self.window.row(range.end).and_then(|at| self.row(at));
                for entry in entries.get(range.clone()).unwrap_or_default() {
                    insert(list, &messages::row(&doc, entry, self.strings), before.as_ref());
                }
            }
            Step::Drop(range) => {
                for row in range.clone().filter_map(|_| self.row(range.start - shown.start)) {
                    row.remove();
                }
            }
            Step::Done => {}
        }
        self.window.apply(&step);
        self.place_greeting();
        if self.follow {
            self.scroll_to_end();
        } else if matches!(&step, Step::Build(r) | Step::Drop(r) if r.start <= shown.start && *r != shown) {
            // Rows above changed: keep what the visitor reads in place (by
            // hand, as `overflow-anchor` is not in every browser).
            self.list.set_scroll_top((number("scrollTop") + scroll_height(list) as f64 - height) as i32);
        }
        self.schedule_fill();
    }

    fn schedule_fill(&mut self) {
        if self.fill_frame.is_none() {
            self.fill_frame = Some(Frame::new(&self.fill_handler));
        }
    }

    /// Scrolls the list to the newest message, building its rows first if
    /// the visitor had scrolled far from it. It reads layout, so callers do
    /// it once per batch of rows, not per row.
    pub fn scroll_to_end(&mut self) {
        self.follow = true;
        if self.window.behind() {
            self.schedule_fill();
        }
        self.list.set_scroll_top(scroll_height(&self.list));
    }

    /// Sizes the full-screen panel to the visual viewport, so an on-screen
    /// keyboard never covers the composer.
    pub fn fit_viewport(&self, top: f64, height: f64) {
        // On the root: the host's inline style belongs to `apply_look`.
        // Whole pixels: formatting an f64 would pull ~8 KB of float printing into the wasm.
        set_style(&self.root, "--nt-vvt", &px(top.round() as i64));
        set_style(&self.root, "--nt-vvh", &px(height.round() as i64));
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

/// An animation frame that runs the list's fill handler, by its id,
/// cancelled when dropped (as `Timer` does for timeouts).
struct Frame(i32);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = requestAnimationFrame)]
    fn request_animation_frame(handler: &JsValue) -> i32;
    #[wasm_bindgen(js_name = cancelAnimationFrame)]
    fn cancel_animation_frame(id: i32);
}

impl Frame {
    fn new(handler: &JsValue) -> Self {
        Self(request_animation_frame(handler))
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        cancel_animation_frame(self.0);
    }
}

/// The delegated listener for events of `kind` anywhere in the widget.
fn on_event(kind: &str, event: &Event, on_action: fn(UiAction)) {
    match kind {
        "click" => {
            // Chimes wait for the visitor's first click or key in the widget.
            on_action(UiAction::Interacted);
            // The preview's text opens the closed panel, as the launcher does.
            if closest(event, ".launcher,.peek").is_some() {
                on_action(UiAction::Toggle);
            } else if let Some(action) = menu::clicked(event) {
                on_action(action);
            } else if closest(event, ".close").is_some() {
                on_action(UiAction::Close);
            } else if closest(event, ".mute").is_some() {
                on_action(UiAction::Mute);
            } else if closest(event, ".dismiss").is_some() {
                on_action(UiAction::Dismiss);
            } else if let Some(id) = closest(event, ".retry").and_then(|el| el.get_attribute(messages::RETRY_ATTRIBUTE))
            {
                on_action(UiAction::Retry(id));
            }
        }
        "keydown" => {
            on_action(UiAction::Interacted);
            // Read as properties: the KeyboardEvent bindings are four imports.
            let key = |name| js::get(event, name);
            let name = key("key").as_string().unwrap_or_default();
            let escape = if name == "Escape" { menu::escape(event) } else { None };
            if menu::rove(event, &name) {
                // Moved among items: the keys do not scroll the list.
                event.prevent_default();
            } else if let Some(action) = escape {
                // The menu's or the confirmation's Escape, not the panel's.
                on_action(action);
            } else if name == "Escape" {
                on_action(UiAction::Escape);
            // Enter sends; Shift+Enter is a newline; Enter that confirms
            // an IME composition (is_composing, or the legacy 229) does not send.
            } else if name == "Enter"
                && closest(event, ".input").is_some()
                && !key("shiftKey").is_truthy()
                && !key("isComposing").is_truthy()
                && key("keyCode").as_f64() != Some(229.0)
            {
                event.prevent_default();
                on_action(UiAction::Send);
            }
        }
        "submit" => {
            event.prevent_default();
            on_action(UiAction::Send);
        }
        "input" if closest(event, ".rating").is_none() => on_action(UiAction::Input),
        "focusout" => {
            if let Some(action) = menu::left(event) {
                on_action(action);
            }
        }
        "scroll" => on_action(UiAction::Scroll),
        // No other kind is listened to (see `mount`).
        _ => {}
    }
}

/// `at` (RFC 3339) as a local weekday and time in `lang`, by the browser's
/// `Intl` (its time zone, its way of writing times).
fn local_time(at: &str, lang: &str) -> String {
    let options = js::object(&[("weekday", "short".into()), ("hour", "numeric".into()), ("minute", "2-digit".into())]);
    js_sys::Date::new(&at.into()).to_locale_string(lang, &options).into()
}

/// The event target, if it is `selector` or inside one.
fn closest(event: &Event, selector: &str) -> Option<Element> {
    // Targets here are elements; for anything else the `closest` binding
    // fails (it catches exceptions) and the answer is `None`.
    event.target()?.unchecked_into::<Element>().closest(selector).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many elements of `markup` have `class` among their classes.
    fn elements_with_class(markup: &str, class: &str) -> usize {
        markup
            .split(" class=\"")
            .skip(1)
            .filter(|rest| rest.split('"').next().is_some_and(|list| list.split_whitespace().any(|c| c == class)))
            .count()
    }

    #[test]
    fn every_part_is_in_the_markup_once() {
        let mut counts = Vec::new();
        let parts = Parts::find(|selector| {
            let class = selector.strip_prefix('.')?;
            counts.push((class, elements_with_class(TEMPLATE, class)));
            (counts.last()?.1 == 1).then_some(())
        });
        assert_eq!(parts.err(), None, "parts found so far: {counts:?}");
    }

    #[test]
    fn the_markup_is_minified_with_its_icons() {
        assert!(TEMPLATE.starts_with(r#"<div class="root"><div id="natter-panel" class="panel""#), "{TEMPLATE}");
        assert!(!TEMPLATE.contains("<!--") && !TEMPLATE.contains("{{") && !TEMPLATE.contains('\n'));
        assert!(TEMPLATE
            .contains(&["aria-controls=\"natter-panel\">", icon::CHAT, "<span class=\"label\" hidden>"].concat()));
        assert_eq!(
            TEMPLATE.matches("<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"").count(),
            5
        );
    }
}
