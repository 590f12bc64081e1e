//! The widget runtime: the one instance on the page, its life cycle, and the
//! commands of the public API.
//!
//! State lives in a thread-local because the page has exactly one runtime and
//! its event handlers are plain callbacks. Handlers re-enter through
//! [`with_runtime`], which refuses (instead of panicking) if the runtime is
//! already borrowed; host callbacks never run inside it (see `events`).

mod engage;
mod identity;
mod life;
mod session;
mod stored;

use crate::digits::int;
use session::typing_frame;
use std::cell::RefCell;
use stored::READ_KEY;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, HtmlScriptElement};

use crate::chat::{Change, Chat, Delivery, Entry};
use crate::config::{self, Config, Problem, RawLayer};
use crate::connection::Connection;
use crate::dom::{Listener, Observer};
use crate::events;
use crate::i18n::{self, Locale};
use crate::page::{object_layer, InitObject, ScriptTag};
use crate::protocol::Sender;
use crate::protocol::MAX_TEXT_CHARS;
use crate::session::machine::Input;
use crate::session::Transport;
use crate::tabs::Tabs;
use crate::text::{self, Refusal};
use crate::ui::{self, Ui, UiAction};
use crate::{ids, js, log, outbox, storage};
use engage::Engagement;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// `localStorage` key of the visitor's chosen locale (`setLocale`).
const LOCALE_KEY: &str = "natter_locale";
/// Commands that need a mounted widget wait here until one exists, so
/// `Natter('open')` before `init` still opens the panel once it is ready.
const MAX_PENDING: usize = 64;

struct Runtime {
    script: ScriptTag,
    state: State,
    pending: Vec<(String, Array)>,
}

#[derive(Default)]
enum State {
    #[default]
    Off,
    /// `init` ran before `<body>` existed; mounting waits for DOMContentLoaded.
    WaitingForBody {
        config: Box<Config>,
        layers: Vec<RawLayer>,
        _ready: Listener,
    },
    On(Box<Widget>),
}

struct Widget {
    config: Config,
    /// init, data-* and query layers, kept to re-merge with the remote config.
    layers: Vec<RawLayer>,
    /// The server session, or mock mode's stand-in; `None` after a fatal
    /// error.
    session: Option<Box<dyn Transport>>,
    /// The server refused the handshake: the next identity or locale
    /// change starts a new session.
    refused: bool,
    /// Identity layer 2, computed once when allowed.
    fingerprint: Option<String>,
    /// From the remote config.
    remote: Remote,
    /// When the last `typing` frame went out (they are throttled).
    typing_sent_at: f64,
    /// The session's conversation history has been loaded: until then,
    /// fetched messages are shown but not announced as new `message`s.
    history_loaded: bool,
    /// From `setLocale`, the top of the locale chain for this instance.
    chosen_locale: Option<Locale>,
    ui: Ui,
    chat: Chat,
    open: bool,
    /// The state last told to the page; `None` before the first session
    /// reports one.
    connection: Option<Connection>,
    /// The host page's scroll position when the full-screen (mobile) panel
    /// opened, restored when it closes.
    saved_scroll: Option<(f64, f64)>,
    /// Re-attaches the host element if a single-page app removes it.
    _reattach: Observer,
    /// Visual viewport and tab visibility.
    _page: Vec<Listener>,
    /// Read state shared with other tabs of the site.
    tabs: Option<Tabs>,
    /// Launcher control, keep-open, chime, title and preview.
    engagement: Engagement,
    /// The conversation's life cycle, availability and rating.
    life: life::Life,
}

/// What the site's remote config says beyond appearance.
#[derive(Default)]
struct Remote {
    locale: Option<String>,
    greeting: Option<String>,
    offline_message: Option<String>,
}

/// Typing frames go out at most this often.
const TYPING_EVERY_MS: f64 = 2500.0;

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// The channels of a CSS color as the browser resolves it, `0xrrggbb`,
    /// or `None` when the browser does not take `value` as a color.
    fn color_channels(value: &str) -> Option<u32>;
}

/// The browser's reading of a CSS color (see [`crate::appearance::ResolveColor`]).
fn resolve_color(value: &str) -> Option<crate::appearance::Rgb> {
    let [_, r, g, b] = color_channels(value)?.to_be_bytes();
    Some(crate::appearance::Rgb(r, g, b))
}

thread_local! {
    // Const-initialised: no lazy-init code in the wasm.
    static RUNTIME: RefCell<Runtime> = const {
        RefCell::new(Runtime {
            script: ScriptTag { layers: Vec::new(), defer_init: false, origin: String::new() },
            state: State::Off,
            pending: Vec::new(),
        })
    };
    /// Tags each session so answers meant for a replaced one are ignored.
    static GENERATION: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn with_runtime(f: impl FnOnce(&mut Runtime)) {
    RUNTIME.with(|cell| match cell.try_borrow_mut() {
        Ok(mut runtime) => f(&mut runtime),
        Err(_) => log::error("internal error: re-entrant call ignored"),
    });
}

fn with_widget(f: impl FnOnce(&mut Widget)) {
    with_runtime(|runtime| {
        if let State::On(widget) = &mut runtime.state {
            f(widget);
        }
    });
}

fn document() -> Option<Document> {
    crate::js::window()?.document()
}

fn tab_visible() -> bool {
    document().is_some_and(|d| js::get(&d, "visibilityState") == "visible")
}

/// Starts the runtime: reads the script tag, initialises from it unless the
/// page defers or queued its own `init`, then replays queued commands in order.
pub fn boot(script: Option<HtmlScriptElement>, queue: Array) {
    let script = ScriptTag::read(script.as_ref());
    let queued_init =
        queue.iter().any(|entry| entry.unchecked_into::<Array>().get(0).as_string().as_deref() == Some("init"));
    let auto_init = !script.defer_init && !queued_init;
    with_runtime(|runtime| {
        runtime.script = script;
        if auto_init {
            runtime.init(&JsValue::UNDEFINED);
        }
    });
    for entry in queue.iter() {
        // The loader queues arrays (it copies each call with `Array.from`).
        let entry: Array = entry.unchecked_into();
        match entry.get(0).as_string() {
            Some(name) => {
                call(&name, entry.slice(1, entry.length()));
            }
            None => log::error("ignored a queued call without a command name"),
        }
    }
}

/// Runs one public API command; `getState` returns the state (undefined
/// before the widget is ready).
pub fn call(name: &str, args: Array) -> JsValue {
    let mut result = JsValue::UNDEFINED;
    with_runtime(|runtime| match &runtime.state {
        State::On(widget) if name == "getState" => result = widget.get_state(&args.get(0)),
        _ => runtime.command(name, args),
    });
    result
}

impl Runtime {
    fn command(&mut self, name: &str, args: Array) {
        match name {
            "init" => self.init(&args.get(0)),
            "shutdown" => self.shutdown(),
            "on" | "once" | "off" => events::command(name, &args),
            "open" | "close" | "toggle" | "identify" | "sendMessage" | "setLocale" | "showLauncher"
            | "hideLauncher" | "endChat" | "getState" => match &mut self.state {
                State::On(widget) => widget.command(name, &args),
                _ if self.pending.len() < MAX_PENDING => self.pending.push((name.to_string(), args)),
                _ => log::warn(&["dropped ", name, "(): too many commands before init"].concat()),
            },
            _ => unknown_command(name),
        }
    }

    fn init(&mut self, options: &JsValue) {
        let InitObject { layer, handlers } = object_layer(options);
        let mut layers = vec![layer];
        layers.extend(self.script.layers.iter().cloned());
        let (config, problems) = config::merge(&layers, &[], resolve_color);
        for problem in &problems {
            match problem {
                Problem::MissingAppKey => events::error("init_missing_app_key", &problem.message()),
                _ => log::warn(&problem.message()),
            }
        }
        let Some(config) = config else { return };
        match &self.state {
            State::Off => {}
            State::WaitingForBody { config: current, .. } => {
                return same_key_or_warn(&current.app_key, &config.app_key)
            }
            State::On(widget) => return same_key_or_warn(&widget.config.app_key, &config.app_key),
        }
        for (event, handler) in handlers {
            events::on_init(event, &handler);
        }
        let Some(doc) = document() else { return };
        if doc.body().is_some() {
            self.mount(&doc, config, layers);
        } else {
            let ready = Listener::new(&doc, "DOMContentLoaded", |_| {
                with_runtime(|runtime| {
                    if let State::WaitingForBody { config, layers, .. } = std::mem::take(&mut runtime.state) {
                        if let Some(doc) = document() {
                            runtime.mount(&doc, *config, layers);
                        }
                    }
                })
            });
            self.state = State::WaitingForBody { config: Box::new(config), layers, _ready: ready };
        }
    }

    fn mount(&mut self, document: &Document, config: Config, layers: Vec<RawLayer>) {
        let Some(body) = document.body() else { return };
        let locale = resolve_locale(&config, None, None);
        let ui = match Ui::mount(document, &body, &config, locale.strings(), on_ui_action) {
            Ok(ui) => ui,
            Err(err) => {
                events::error("init_render_failed", &["could not render the widget: ", &describe(&err)].concat());
                return;
            }
        };
        let mut config = config;
        config.api_base.get_or_insert_with(|| self.script.origin.clone());
        let mut widget = Box::new(Widget {
            _reattach: watch_removal(document),
            _page: watch_page(),
            tabs: Tabs::join(&config.app_key, on_read_elsewhere),
            life: life::Life::default(),
            config,
            layers,
            session: None,
            refused: false,
            fingerprint: None,
            remote: Remote::default(),
            typing_sent_at: 0.0,
            history_loaded: false,
            chosen_locale: None,
            ui,
            chat: Chat::default(),
            open: false,
            connection: None,
            saved_scroll: None,
            engagement: Engagement::new(),
        });
        let read_upto =
            storage::get(&[READ_KEY, &widget.config.app_key].concat()).and_then(|v| crate::digits::parse_int(&v));
        widget.chat.set_read_upto(read_upto.unwrap_or(0));
        widget.start_session();
        let availability = widget.availability_payload();
        events::emit("ready", js::object(&[("version", VERSION.into()), ("availability", availability)]));
        if widget.config.default_open {
            widget.set_open(true, false);
        }
        widget.restore_kept();
        widget.engage();
        for (name, args) in &self.pending {
            widget.command(name, args);
        }
        self.pending.clear();
        self.state = State::On(widget);
    }

    fn shutdown(&mut self) {
        let was_on = !matches!(self.state, State::Off);
        self.state = State::Off;
        self.pending.clear();
        events::shutdown(was_on);
    }
}

/// The answer to a command the API does not have. `Widget::command` only
/// sees the names `Runtime::command` lets through, but says so too rather
/// than ignore one.
fn unknown_command(name: &str) {
    log::error(&["unknown command \"", name, "\""].concat());
}

fn same_key_or_warn(current: &str, requested: &str) {
    if current != requested {
        log::warn("init() ignored: already running with another app key; call shutdown() first");
    }
}

/// The full locale chain (see `i18n::resolve`).
fn resolve_locale(config: &Config, chosen: Option<Locale>, remote: Option<&str>) -> Locale {
    // `languages[0]` is the preferred language (`language` where there is no list).
    let navigator = crate::js::window().map(|w| JsValue::from(w.navigator()));
    let browser = navigator
        .and_then(|n| js::get_string(&js::get(&n, "languages"), "0").or_else(|| js::get_string(&n, "language")));
    i18n::resolve(chosen.or(config.locale), storage::get(LOCALE_KEY).as_deref(), remote, browser.as_deref())
}

impl Widget {
    fn command(&mut self, name: &str, args: &Array) {
        let arg = args.get(0);
        match name {
            "open" => {
                if let Some(prefill) = js_sys::Reflect::get(&arg, &"prefill".into()).ok().and_then(|p| p.as_string()) {
                    self.ui.set_composer_text(&prefill);
                }
                self.set_open(true, true);
            }
            "close" => self.set_open(false, false),
            "toggle" => self.set_open(!self.open, true),
            "sendMessage" => match arg.as_string() {
                Some(text) => {
                    self.send(&text);
                }
                None => events::error("bad_request", "sendMessage() expects a string"),
            },
            "setLocale" => match arg.as_string().as_deref().and_then(Locale::parse) {
                Some(locale) => self.set_locale(locale),
                None => log::warn("setLocale() expects \"zh-CN\" or \"en-US\""),
            },
            "identify" => self.identify(&arg),
            "showLauncher" => self.force_launcher(true),
            "hideLauncher" => self.force_launcher(false),
            "endChat" => self.end_chat(),
            "getState" => {
                self.get_state(&arg);
            }
            _ => unknown_command(name),
        }
    }

    /// Opens or closes the panel. `focus` moves focus into the composer when
    /// opening (not for `defaultOpen`, which must not steal the page's focus).
    fn set_open(&mut self, open: bool, focus: bool) {
        if open == self.open {
            return;
        }
        self.open = open;
        self.ui.set_open(open);
        let window = crate::js::window();
        if open {
            self.remember_focus();
            self.read_all();
            // Full-screen on narrow screens: remember where the page was.
            // Read as properties: a web-sys binding each is an import each.
            let narrow = window.as_ref().is_some_and(|w| {
                js::get(&js::call(w, "matchMedia", &["(max-width: 480px)".into()]), "matches").is_truthy()
            });
            let offset = |w, key| js::get(w, key).as_f64().unwrap_or(0.0);
            self.saved_scroll =
                window.as_ref().filter(|_| narrow).map(|w| (offset(w, "scrollX"), offset(w, "scrollY")));
            // Reading the visual viewport forces layout: only the full-screen
            // panel needs it.
            if narrow {
                fit_viewport(&self.ui);
            }
            self.ui.scroll_to_end();
            if focus {
                self.ui.focus_composer();
            }
            events::emit("open", JsValue::UNDEFINED);
        } else {
            if let (Some(w), Some((x, y))) = (window, self.saved_scroll.take()) {
                w.scroll_to_with_x_and_y(x, y);
            }
            events::emit("close", JsValue::UNDEFINED);
        }
        self.engage();
    }

    fn on_action(&mut self, action: UiAction) {
        match action {
            UiAction::Toggle => self.set_open(!self.open, true),
            UiAction::Close | UiAction::Escape => {
                self.set_open(false, false);
                self.return_focus();
            }
            UiAction::Send => {
                let text = self.ui.composer_text();
                if self.send(&text) {
                    self.ui.set_composer_text("");
                }
                self.ui.focus_composer();
            }
            UiAction::Retry(client_id) => self.retry(&client_id),
            UiAction::Interacted | UiAction::Mute | UiAction::Dismiss => self.on_engage_action(action),
            UiAction::Menu => self.ui.set_menu(!self.ui.menu_open(), true),
            UiAction::CloseMenu(focus) => self.ui.set_menu(false, focus),
            UiAction::EndChat => {
                self.ui.set_menu(false, false);
                self.ui.set_confirm(true);
            }
            UiAction::ConfirmEnd(end) => {
                self.ui.set_confirm(false);
                if end {
                    self.end_chat();
                    self.ui.focus_composer();
                } else {
                    self.ui.focus_menu();
                }
            }
            UiAction::Rate => self.rate(),
            UiAction::ChangeRating => self.change_rating(),
            UiAction::Scroll => self.ui.scrolled(),
            UiAction::Fill => self.ui.fill(self.chat.entries()),
            UiAction::Input => {
                self.ui.fit_composer();
                self.ui.set_hint(None);
                let now = js_sys::Date::now();
                // Agents see the visitor typing, once there is a conversation,
                // until the composer is cleared or the message is sent.
                if self.ui.composer_text().trim().is_empty() {
                    self.stop_typing();
                } else if now - self.typing_sent_at > TYPING_EVERY_MS && self.send_typing(true) {
                    self.typing_sent_at = now;
                }
            }
        }
    }

    /// A typing frame, when the socket is open and there is a conversation;
    /// returns whether it went out.
    fn send_typing(&self, active: bool) -> bool {
        let Some(session) = self.session.as_ref().filter(|s| s.socket_open()) else { return false };
        let Some(conversation) = session.conversation_id() else { return false };
        session.send_frame(&typing_frame(conversation, active));
        true
    }

    /// Tells the agent the visitor stopped typing, if they were told otherwise.
    fn stop_typing(&mut self) {
        if self.typing_sent_at > 0.0 {
            self.typing_sent_at = 0.0;
            self.send_typing(false);
        }
    }

    /// Sends a visitor message; returns whether it was accepted. Refusals
    /// are shown under the composer and emitted as `error`.
    fn send(&mut self, text: &str) -> bool {
        let text = match text::outgoing(text) {
            Ok(text) => text.to_string(),
            Err(refusal) => {
                let strings = self.ui.strings();
                let (code, reason) = match refusal {
                    Refusal::Empty => ("empty_text", strings.empty_message.to_string()),
                    Refusal::TooLong => {
                        ("text_too_long", [strings.too_long, " ", &int(MAX_TEXT_CHARS as i64)].concat())
                    }
                };
                self.ui.set_hint(Some(&reason));
                events::emit("error", js::object(&[("code", code.into()), ("message", reason.into())]));
                return false;
            }
        };
        self.ui.set_hint(None);
        let client_id = ids::uuid();
        self.show_pending(client_id.clone(), text.clone());
        self.deliver(client_id, text);
        true
    }

    /// The storage key of the current identity's outbox.
    fn outbox_key(&self) -> String {
        outbox::key(&self.config.app_key, self.config.external_user_id.as_deref())
    }

    /// Takes an acknowledged or refused message out of the outbox.
    fn unqueue(&self, client_id: &str) {
        outbox::update(&self.outbox_key(), |outbox| outbox.remove(client_id));
    }

    fn show_pending(&mut self, client_id: String, text: String) {
        let index = self.chat.add_pending(client_id, text, js_sys::Date::now());
        self.ui.insert_message(index, &self.chat.entries()[index]);
        if self.open {
            self.ui.scroll_to_end();
        }
        // The first message makes a conversation (`launcher: whenConversation`).
        self.engage();
    }

    /// Hands a message to the outbox and the session. The outbox is written
    /// to storage first, so a reload or a crash cannot lose it.
    fn deliver(&mut self, client_id: String, text: String) {
        outbox::update(&self.outbox_key(), |outbox| outbox.push(&client_id, &text));
        self.stop_typing();
        self.feed(Input::Enqueue { client_id, text });
    }

    fn retry(&mut self, client_id: &str) {
        let Some(entry) = self.chat.entries().iter().find(|e| e.client_id.as_deref() == Some(client_id)).cloned()
        else {
            return;
        };
        let change = self.chat.set_delivery(client_id, Delivery::Pending);
        self.apply(change);
        self.deliver(client_id.to_string(), entry.text);
    }

    /// Mirrors a chat change in the UI.
    fn apply(&mut self, change: Change) {
        match change {
            Change::Inserted(i) => self.ui.insert_message(i, &self.chat.entries()[i]),
            Change::Updated(i) => self.ui.update_message(i, &self.chat.entries()[i]),
            Change::Moved(from, to) => {
                self.ui.remove_message(from);
                self.ui.insert_message(to, &self.chat.entries()[to]);
            }
            Change::None => {}
        }
    }

    /// A message from the session: shown once, in order, and
    /// announced through the `message` event.
    fn receive(&mut self, entry: Entry, conversation_id: Option<i64>) {
        self.receive_all(vec![(entry, conversation_id)], true);
    }

    /// Messages from the server, shown once each and in order, then one
    /// scroll, one read-marker write and one unread announcement for the
    /// whole batch (a history page can hold 200). `announce`: emit each as
    /// a `message` event (history loaded at start is not new to the host).
    pub(super) fn receive_all(&mut self, batch: Vec<(Entry, Option<i64>)>, announce: bool) {
        let visible = self.open && tab_visible();
        let (unread_before, read_before) = (self.chat.unread(), self.chat.read_upto());
        let mut shown = false;
        let mut agent_arrived = false;
        // A few rows at once; more (a history page) a chunk per task.
        self.ui.set_batch(batch.len() > ui::CHUNK);
        for (entry, conversation_id) in batch {
            let change = self.chat.receive(entry, visible);
            self.apply(change);
            if let Change::Inserted(i) = change {
                // A life-cycle line, acted on once, when first shown.
                let entry = &self.chat.entries()[i];
                if let Some(event) = entry.event {
                    let agent_name = entry.agent_name.clone();
                    self.life_message(event, agent_name, conversation_id, announce);
                }
            }
            if let Change::Inserted(i) | Change::Updated(i) | Change::Moved(_, i) = change {
                shown = true;
                if announce {
                    agent_arrived |= self.chat.entries()[i].from == Sender::Agent;
                    events::emit("message", message_payload(&self.chat.entries()[i], conversation_id));
                }
            }
        }
        self.ui.set_batch(false);
        if shown && self.open {
            self.ui.scroll_to_end();
        }
        self.share_read(read_before);
        if self.chat.unread() != unread_before {
            self.announce_unread();
        }
        if agent_arrived {
            self.agent_arrived();
        }
        // Messages in history make a conversation (`launcher: whenConversation`).
        self.engage();
    }

    pub(super) fn read_if_visible(&mut self) {
        if self.open && tab_visible() {
            self.read_all();
        }
    }

    /// The visitor has seen everything: clear the count here, remember it,
    /// and tell the other tabs.
    fn read_all(&mut self) {
        let before = self.chat.read_upto();
        if self.chat.mark_read() {
            self.announce_unread();
        }
        self.share_read(before);
    }

    fn share_read(&self, before: i64) {
        let upto = self.chat.read_upto();
        if upto > before {
            storage::set(&[READ_KEY, &self.config.app_key].concat(), &int(upto));
            if let Some(tabs) = &self.tabs {
                tabs.announce_read(upto);
            }
        }
    }

    fn announce_unread(&mut self) {
        let count = self.chat.unread();
        self.ui.set_unread(count);
        events::emit("unread", js::object(&[("count", count.into())]));
        self.engage();
    }

    fn set_connection(&mut self, state: Connection) {
        self.ui.set_connection(state);
        if self.refused {
            // The session's last status must not read as a network outage.
            self.ui.show_unavailable();
        }
        // A new session (a change of user) reports its state from the
        // start: the page hears of changes only.
        if self.connection.replace(state) != Some(state) {
            events::emit("connection", js::object(&[("state", state.as_str().into())]));
        }
    }

    fn set_locale(&mut self, locale: Locale) {
        storage::set(LOCALE_KEY, locale.tag());
        self.chosen_locale = Some(locale);
        self.relocalize();
        if self.refused {
            self.restart_session();
        }
    }

    fn relocalize(&mut self) {
        let locale = resolve_locale(&self.config, self.chosen_locale, self.remote.locale.as_deref());
        if let Some(session) = &mut self.session {
            session.set_locale(locale.tag());
        }
        let strings = locale.strings();
        if std::ptr::eq(strings, self.ui.strings()) {
            return;
        }
        self.ui.set_strings(strings);
        self.show_notice();
        // Meta lines ("Sending…", "Retry") are localized too.
        for i in 0..self.chat.entries().len() {
            self.ui.update_message(i, &self.chat.entries()[i]);
        }
    }

    /// A new session, which reloads the conversation and shows the outbox
    /// again, in an empty view.
    fn restart_session(&mut self) {
        self.clear_view();
        self.start_session();
    }

    /// Empties the view; what was already read stays read (logout forgets
    /// it with everything else).
    fn clear_view(&mut self) {
        let read = self.chat.read_upto();
        self.chat.clear();
        self.chat.set_read_upto(read);
        self.ui.clear_messages();
    }

    /// Puts the host element back if the page removed it (single-page apps
    /// that re-render `<body>`), with all its state.
    fn reattach(&mut self) {
        let host = self.ui.host();
        if host.is_connected() {
            return;
        }
        if let Some(body) = document().and_then(|d| d.body()) {
            crate::dom::append(&body, host);
            self._reattach.observe_child_list(&body);
        }
    }
}

fn on_read_elsewhere(id: i64) {
    with_widget(|widget| {
        if widget.chat.set_read_upto(id) {
            widget.announce_unread();
        }
    });
}

fn message_payload(entry: &Entry, conversation_id: Option<i64>) -> JsValue {
    let created_at = js_sys::Date::new(&JsValue::from_f64(entry.created_at)).to_iso_string();
    js::object(&[
        ("id", js::number_or_undefined(entry.id)),
        ("conversationId", js::number_or_undefined(conversation_id)),
        ("from", entry.from.as_str().into()),
        ("text", entry.text.as_str().into()),
        ("agentName", js::string_or(&entry.agent_name, JsValue::UNDEFINED)),
        ("createdAt", created_at.into()),
    ])
}

fn on_ui_action(action: UiAction) {
    with_widget(|widget| widget.on_action(action));
}

/// Observes `<html>` and `<body>` (direct children only: cheap) for the
/// removal of the host element.
fn watch_removal(document: &Document) -> Observer {
    let observer = Observer::new(|| with_widget(Widget::reattach));
    if let Some(html) = document.document_element() {
        observer.observe_child_list(&html);
    }
    if let Some(body) = document.body() {
        observer.observe_child_list(&body);
    }
    observer
}

/// Page-level listeners: the visual viewport (the mobile panel follows it)
/// and tab visibility (replies read while the tab was hidden count as read
/// once the visitor comes back to the open panel).
fn watch_page() -> Vec<Listener> {
    let mut listeners = Vec::new();
    if let Some(viewport) = visual_viewport() {
        for kind in ["resize", "scroll"] {
            listeners.push(Listener::new(&viewport, kind, |_| with_widget(|widget| fit_viewport(&widget.ui))));
        }
    }
    if let Some(doc) = document() {
        listeners.push(Listener::new(&doc, "visibilitychange", |_| with_widget(Widget::visibility_changed)));
    }
    listeners
}

fn fit_viewport(ui: &Ui) {
    if let Some(viewport) = visual_viewport() {
        let size = |key| js::get(&viewport, key).as_f64().unwrap_or(0.0);
        ui.fit_viewport(size("offsetTop"), size("height"));
    }
}

/// `window.visualViewport`, where the browser has one.
fn visual_viewport() -> Option<web_sys::EventTarget> {
    let viewport = js::get(&crate::js::window()?.into(), "visualViewport");
    viewport.is_object().then(|| viewport.unchecked_into())
}

fn describe(err: &JsValue) -> String {
    // An Error's message, read as a property: `instanceof Error` is one more import.
    js::get_string(err, "message").or_else(|| err.as_string()).unwrap_or_else(|| "unknown error".to_string())
}
