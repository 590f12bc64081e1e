//! The widget runtime: the one instance on the page, its life cycle, and the
//! commands of the public API.
//!
//! State lives in a thread-local because the page has exactly one runtime and
//! its event handlers are plain callbacks. Handlers re-enter through
//! [`with_runtime`], which refuses (instead of panicking) if the runtime is
//! already borrowed.

use std::cell::RefCell;

use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, HtmlScriptElement};

use crate::config::{self, Config, Problem};
use crate::dom::Listener;
use crate::log;
use crate::page::{object_layer, ScriptTag};
use crate::ui::{Ui, UiAction};

/// Commands that need a mounted widget wait here until one exists, so
/// `Natter('open')` before `init` still opens the panel once it is ready.
const MAX_PENDING: usize = 64;

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
    On(Widget),
}

struct Widget {
    config: Config,
    ui: Ui,
    open: bool,
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
            "open" | "close" | "toggle" => match &mut self.state {
                State::On(widget) => widget.command(name),
                _ if self.pending.len() < MAX_PENDING => self.pending.push((name.to_string(), args)),
                _ => log::warn(&format!("dropped {name}(): too many commands before init")),
            },
            _ => log::error(&format!("unknown command \"{name}\"")),
        }
    }

    fn init(&mut self, options: &JsValue) {
        let mut layers = vec![object_layer(options)];
        layers.extend(self.script.layers.iter().cloned());
        let (config, problems) = config::merge(&layers);
        for problem in &problems {
            match problem {
                Problem::MissingAppKey => log::error(&problem.message()),
                _ => log::warn(&problem.message()),
            }
        }
        let Some(config) = config else { return };
        match &self.state {
            State::Off => {}
            State::WaitingForBody { config: current, .. } | State::On(Widget { config: current, .. }) => {
                if current.app_key != config.app_key {
                    log::warn("init() ignored: already running with another app key; call shutdown() first");
                }
                return;
            }
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        if document.body().is_some() {
            self.mount(&document, config);
        } else {
            let ready = Listener::new(&document, "DOMContentLoaded", |_| {
                with_runtime(|runtime| {
                    if let State::WaitingForBody { config, .. } = std::mem::take(&mut runtime.state) {
                        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
                            runtime.mount(&document, config);
                        }
                    }
                })
            });
            self.state = State::WaitingForBody { config, _ready: ready };
        }
    }

    fn mount(&mut self, document: &Document, config: Config) {
        let Some(body) = document.body() else { return };
        let ui = match Ui::mount(document, &body, &config, on_ui_action) {
            Ok(ui) => ui,
            Err(err) => {
                log::error(&format!("could not render the widget: {}", describe(&err)));
                return;
            }
        };
        let mut widget = Widget { open: false, ui, config };
        if widget.config.default_open {
            widget.set_open(true);
        }
        for (name, _args) in std::mem::take(&mut self.pending) {
            widget.command(&name);
        }
        self.state = State::On(widget);
    }

    fn shutdown(&mut self) {
        self.state = State::Off;
        self.pending.clear();
    }
}

impl Widget {
    fn command(&mut self, name: &str) {
        match name {
            "open" => self.set_open(true),
            "close" => self.set_open(false),
            "toggle" => self.set_open(!self.open),
            _ => {}
        }
    }

    fn set_open(&mut self, open: bool) {
        self.open = open;
        self.ui.set_open(open);
    }
}

fn on_ui_action(action: UiAction) {
    with_runtime(|runtime| {
        if let State::On(widget) = &mut runtime.state {
            match action {
                UiAction::Toggle => widget.set_open(!widget.open),
                UiAction::Close => widget.set_open(false),
            }
        }
    });
}

fn describe(err: &JsValue) -> String {
    match err.dyn_ref::<js_sys::Error>() {
        Some(e) => e.message().into(),
        None => err.as_string().unwrap_or_else(|| "unknown error".to_string()),
    }
}
