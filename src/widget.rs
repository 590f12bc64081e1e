//! The widget runtime: the one instance on the page, its life cycle, and the
//! commands of the public API.
//!
//! State lives in a thread-local because the page has exactly one runtime and
//! its event handlers are plain callbacks. Handlers re-enter through
//! [`with_runtime`], which refuses (instead of panicking) if the runtime is
//! already borrowed; host callbacks never run inside it (see `events`).

use std::cell::RefCell;

use gloo_timers::callback::Timeout;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, HtmlScriptElement};

use crate::chat::{Change, Chat, Delivery, Entry};
use crate::config::{self, Config, Problem};
use crate::connection::Connection;
use crate::dom::{Listener, Observer};
use crate::events::{self, Origin};
use crate::i18n::{self, Locale};
use crate::page::{object_layer, InitObject, ScriptTag};
use crate::protocol::{Sender, MAX_TEXT_CHARS};
use crate::text::{self, Refusal};
use crate::ui::{Ui, UiAction};
use crate::{ids, log, storage};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// `localStorage` key of the visitor's chosen locale (`setLocale`).
const LOCALE_KEY: &str = "natter_locale";
/// Commands that need a mounted widget wait here until one exists, so
/// `Natter('open')` before `init` still opens the panel once it is ready.
const MAX_PENDING: usize = 64;
/// Mock mode answers after this long, as documented.
const MOCK_REPLY_MS: u32 = 1400;

#[derive(Default)]
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
    WaitingForBody { config: Config, _ready: Listener },
    On(Box<Widget>),
}

struct Widget {
    config: Config,
    /// From `setLocale`, the top of the locale chain for this instance.
    chosen_locale: Option<Locale>,
    ui: Ui,
    chat: Chat,
    open: bool,
    connection: Connection,
    mock: Mock,
    /// The host page's scroll position when the full-screen (mobile) panel
    /// opened, restored when it closes.
    saved_scroll: Option<(f64, f64)>,
    /// Re-attaches the host element if a single-page app removes it.
    _reattach: Observer,
    /// Keeps the mobile panel sized to the visual viewport.
    _viewport: Vec<Listener>,
}

/// Mock mode: no network; each visitor message is acknowledged at once and
/// echoed by a pretend agent.
#[derive(Default)]
struct Mock {
    next_id: i64,
    /// Pending replies, oldest first; `fired` of them have run and are
    /// dropped at the next send (never inside their own callback).
    replies: Vec<Timeout>,
    fired: usize,
}

thread_local! {
    static RUNTIME: RefCell<Runtime> = RefCell::new(Runtime::default());
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
    web_sys::window()?.document()
}

/// Starts the runtime: reads the script tag, initialises from it unless the
/// page defers or queued its own `init`, then replays queued commands in order.
pub fn boot(script: Option<HtmlScriptElement>, queue: Array) {
    let script = ScriptTag::read(script.as_ref());
    let queued_init = queue.iter().any(|entry| Array::from(&entry).get(0).as_string().as_deref() == Some("init"));
    let auto_init = !script.defer_init && !queued_init;
    with_runtime(|runtime| {
        runtime.script = script;
        if auto_init {
            runtime.init(&JsValue::UNDEFINED);
        }
    });
    for entry in queue.iter() {
        let entry = Array::from(&entry);
        match entry.get(0).as_string() {
            Some(name) => call(&name, entry.slice(1, entry.length())),
            None => log::error("ignored a queued call without a command name"),
        }
    }
}

/// Runs one public API command.
pub fn call(name: &str, args: Array) {
    with_runtime(|runtime| runtime.command(name, args));
}

impl Runtime {
    fn command(&mut self, name: &str, args: Array) {
        match name {
            "init" => self.init(&args.get(0)),
            "shutdown" => self.shutdown(),
            "on" | "off" => {
                let (event, callback) = (args.get(0).as_string(), events::as_function(&args.get(1)));
                match (event, callback) {
                    (Some(event), Some(callback)) if name == "on" => events::on(&event, callback, Origin::Api),
                    (Some(event), Some(callback)) => events::off(&event, &callback),
                    _ => log::warn(&format!("{name}() expects an event name and a function")),
                }
            }
            "open" | "close" | "toggle" | "identify" | "sendMessage" | "setLocale" => match &mut self.state {
                State::On(widget) => widget.command(name, &args),
                _ if self.pending.len() < MAX_PENDING => self.pending.push((name.to_string(), args)),
                _ => log::warn(&format!("dropped {name}(): too many commands before init")),
            },
            _ => log::error(&format!("unknown command \"{name}\"")),
        }
    }

    fn init(&mut self, options: &JsValue) {
        let InitObject { layer, handlers } = object_layer(options);
        let mut layers = vec![layer];
        layers.extend(self.script.layers.iter().cloned());
        let (config, problems) = config::merge(&layers);
        for problem in &problems {
            match problem {
                Problem::MissingAppKey => events::error("init_missing_app_key", &problem.message()),
                _ => log::warn(&problem.message()),
            }
        }
        let Some(config) = config else { return };
        match &self.state {
            State::Off => {}
            State::WaitingForBody { config: current, .. } => return same_key_or_warn(&current.app_key, &config.app_key),
            State::On(widget) => return same_key_or_warn(&widget.config.app_key, &config.app_key),
        }
        for (event, handler) in handlers {
            events::on(&event, handler, Origin::Init);
        }
        let Some(doc) = document() else { return };
        if doc.body().is_some() {
            self.mount(&doc, config);
        } else {
            let ready = Listener::new(&doc, "DOMContentLoaded", |_| {
                with_runtime(|runtime| {
                    if let State::WaitingForBody { config, .. } = std::mem::take(&mut runtime.state) {
                        if let Some(doc) = document() {
                            runtime.mount(&doc, config);
                        }
                    }
                })
            });
            self.state = State::WaitingForBody { config, _ready: ready };
        }
    }

    fn mount(&mut self, document: &Document, config: Config) {
        let Some(body) = document.body() else { return };
        let locale = resolve_locale(&config, None);
        let ui = match Ui::mount(document, &body, &config, locale.strings(), on_ui_action) {
            Ok(ui) => ui,
            Err(err) => {
                events::error("init_render_failed", &format!("could not render the widget: {}", describe(&err)));
                return;
            }
        };
        let mut widget = Box::new(Widget {
            _reattach: watch_removal(document),
            _viewport: watch_viewport(),
            config,
            chosen_locale: None,
            ui,
            chat: Chat::default(),
            open: false,
            connection: Connection::Connecting,
            mock: Mock::default(),
            saved_scroll: None,
        });
        widget.set_connection(if widget.config.mock { Connection::Online } else { Connection::Connecting });
        events::emit("ready", events::object(&[("version", VERSION.into())]));
        if widget.config.default_open {
            widget.set_open(true, false);
        }
        for (name, args) in std::mem::take(&mut self.pending) {
            widget.command(&name, &args);
        }
        self.state = State::On(widget);
    }

    fn shutdown(&mut self) {
        let was_on = !matches!(self.state, State::Off);
        self.state = State::Off;
        self.pending.clear();
        if was_on {
            events::emit("shutdown", JsValue::UNDEFINED);
        }
        events::reset_instance();
    }
}

fn same_key_or_warn(current: &str, requested: &str) {
    if current != requested {
        log::warn("init() ignored: already running with another app key; call shutdown() first");
    }
}

/// The full locale chain (see `i18n::resolve`).
fn resolve_locale(config: &Config, chosen: Option<Locale>) -> Locale {
    let languages: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|l| l.as_string()).collect())
        .unwrap_or_default();
    i18n::resolve(chosen.or(config.locale), storage::get(LOCALE_KEY).as_deref(), None, &languages)
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
            _ => {}
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
        let window = web_sys::window();
        if open {
            if self.chat.mark_read() {
                self.announce_unread();
            }
            // Full-screen on narrow screens: remember where the page was.
            let narrow = window.as_ref().and_then(|w| w.match_media("(max-width: 480px)").ok().flatten()).is_some_and(|m| m.matches());
            self.saved_scroll = window.as_ref().filter(|_| narrow).map(|w| (w.scroll_x().unwrap_or(0.0), w.scroll_y().unwrap_or(0.0)));
            fit_viewport(&self.ui);
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
    }

    fn on_action(&mut self, action: UiAction) {
        match action {
            UiAction::Toggle => self.set_open(!self.open, true),
            UiAction::Close | UiAction::Escape => {
                self.set_open(false, false);
                self.ui.focus_launcher();
            }
            UiAction::Send => {
                let text = self.ui.composer_text();
                if self.send(&text) {
                    self.ui.set_composer_text("");
                }
                self.ui.focus_composer();
            }
            UiAction::Retry(client_id) => self.retry(&client_id),
            UiAction::Input => {
                self.ui.fit_composer();
                self.ui.set_hint(None);
            }
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
                    Refusal::TooLong => ("text_too_long", format!("{} {MAX_TEXT_CHARS}", strings.too_long)),
                };
                self.ui.set_hint(Some(&reason));
                events::emit("error", events::object(&[("code", code.into()), ("message", reason.into())]));
                return false;
            }
        };
        self.ui.set_hint(None);
        let client_id = ids::uuid();
        let index = self.chat.add_pending(client_id.clone(), text.clone(), js_sys::Date::now());
        self.ui.insert_message(index, &self.chat.entries()[index]);
        if self.config.mock {
            self.mock_deliver(client_id, text);
        }
        true
    }

    fn retry(&mut self, client_id: &str) {
        let Some(entry) = self.chat.entries().iter().find(|e| e.client_id.as_deref() == Some(client_id)).cloned() else {
            return;
        };
        let change = self.chat.set_delivery(client_id, Delivery::Pending);
        self.apply(change);
        if self.config.mock {
            self.mock_deliver(client_id.to_string(), entry.text);
        }
    }

    /// Mirrors a chat change in the UI.
    fn apply(&mut self, change: Change) {
        match change {
            Change::Inserted(i) => self.ui.insert_message(i, &self.chat.entries()[i]),
            Change::Updated(i) => self.ui.update_message(i, &self.chat.entries()[i]),
            Change::None => {}
        }
    }

    /// A message from the server (or the mock): shown once, in order, and
    /// announced through the `message` event.
    fn receive(&mut self, entry: Entry, conversation_id: Option<i64>) {
        let visible = self.open && document().is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Visible);
        let unread_before = self.chat.unread();
        let change = self.chat.receive(entry, visible);
        self.apply(change);
        if let Change::Inserted(i) | Change::Updated(i) = change {
            events::emit("message", message_payload(&self.chat.entries()[i], conversation_id));
        }
        if self.chat.unread() != unread_before {
            self.announce_unread();
        }
    }

    fn announce_unread(&mut self) {
        let count = self.chat.unread();
        self.ui.set_unread(count);
        events::emit("unread", events::object(&[("count", count.into())]));
    }

    fn set_connection(&mut self, state: Connection) {
        self.connection = state;
        self.ui.set_connection(state);
        events::emit("connection", events::object(&[("state", state.as_str().into())]));
    }

    fn set_locale(&mut self, locale: Locale) {
        storage::set(LOCALE_KEY, locale.tag());
        self.chosen_locale = Some(locale);
        let strings = resolve_locale(&self.config, self.chosen_locale).strings();
        self.ui.set_strings(strings);
        // Meta lines ("Sending…", "Retry") are localized too.
        for i in 0..self.chat.entries().len() {
            self.ui.update_message(i, &self.chat.entries()[i]);
        }
    }

    fn identify(&mut self, arg: &JsValue) {
        let (update, problems) = config::identity(&object_layer(arg).layer);
        for problem in &problems {
            log::warn(&format!("identify(): {}", problem.message()));
        }
        if let Some(external_user_id) = &update.external_user_id {
            self.config.external_user_id = external_user_id.clone();
        }
        let profile = &mut self.config.profile;
        let given = update.profile;
        for (field, value) in [
            (&mut profile.nickname, given.nickname),
            (&mut profile.avatar, given.avatar),
            (&mut profile.email, given.email),
            (&mut profile.phone, given.phone),
            (&mut profile.extra, given.extra),
        ] {
            if value.is_some() {
                *field = value;
            }
        }
        if update.user_hash.is_some() {
            self.config.user_hash = update.user_hash;
        }
        let profile = &self.config.profile;
        let text = |v: &Option<String>| v.as_deref().map(JsValue::from_str).unwrap_or(JsValue::NULL);
        events::emit(
            "identify",
            events::object(&[
                ("externalUserId", text(&self.config.external_user_id)),
                ("nickname", text(&profile.nickname)),
                ("avatar", text(&profile.avatar)),
                ("email", text(&profile.email)),
                ("phone", text(&profile.phone)),
            ]),
        );
    }

    fn mock_deliver(&mut self, client_id: String, text: String) {
        self.mock.next_id += 1;
        let ack = Entry {
            id: Some(self.mock.next_id),
            client_id: Some(client_id),
            from: Sender::Visitor,
            text: text.clone(),
            agent_name: None,
            created_at: js_sys::Date::now(),
            delivery: Delivery::Sent,
        };
        self.receive(ack, None);
        self.mock.next_id += 1;
        let reply = Entry {
            id: Some(self.mock.next_id),
            client_id: None,
            from: Sender::Agent,
            text: format!("[mock] {text}"),
            agent_name: Some("Mock agent".to_string()),
            created_at: 0.0,
            delivery: Delivery::Sent,
        };
        let fired = std::mem::take(&mut self.mock.fired).min(self.mock.replies.len());
        self.mock.replies.drain(..fired);
        self.mock.replies.push(Timeout::new(MOCK_REPLY_MS, move || {
            with_widget(|widget| {
                widget.mock.fired += 1;
                let mut reply = reply;
                reply.created_at = js_sys::Date::now();
                widget.receive(reply, None);
            })
        }));
    }

    /// Puts the host element back if the page removed it (single-page apps
    /// that re-render `<body>`), with all its state.
    fn reattach(&mut self) {
        let host = self.ui.host();
        if host.is_connected() {
            return;
        }
        if let Some(body) = document().and_then(|d| d.body()) {
            if body.append_child(host).is_ok() {
                self._reattach.observe_child_list(&body);
            }
        }
    }
}

fn message_payload(entry: &Entry, conversation_id: Option<i64>) -> JsValue {
    let created_at = js_sys::Date::new(&JsValue::from_f64(entry.created_at)).to_iso_string();
    events::object(&[
        ("id", entry.id.map(|id| JsValue::from_f64(id as f64)).unwrap_or(JsValue::UNDEFINED)),
        ("conversationId", conversation_id.map(|id| JsValue::from_f64(id as f64)).unwrap_or(JsValue::UNDEFINED)),
        ("from", entry.from.as_str().into()),
        ("text", entry.text.as_str().into()),
        ("agentName", entry.agent_name.as_deref().map(JsValue::from_str).unwrap_or(JsValue::UNDEFINED)),
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

fn watch_viewport() -> Vec<Listener> {
    let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) else { return Vec::new() };
    ["resize", "scroll"]
        .into_iter()
        .map(|kind| Listener::new(&viewport, kind, |_| with_widget(|widget| fit_viewport(&widget.ui))))
        .collect()
}

fn fit_viewport(ui: &Ui) {
    if let Some(viewport) = web_sys::window().and_then(|w| w.visual_viewport()) {
        ui.fit_viewport(viewport.offset_top(), viewport.height());
    }
}

fn describe(err: &JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(e) => e.message().into(),
        None => err.as_string().unwrap_or_else(|| "unknown error".to_string()),
    }
}
