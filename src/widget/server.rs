//! The widget's side of the server conversation: starting a session for the
//! current identity, and showing what the session reports (answers, frames,
//! the remote config, status changes, refused messages).

use wasm_bindgen::JsValue;

use super::kept::{outbox_add, outbox_entry, outbox_load, outbox_remove, visitor_id, USER_KEY};
use super::{resolve_color, resolve_locale, with_widget, Remote, Widget, GENERATION};
use crate::chat::Delivery;
use crate::config::{self, Problem, Raw};
use crate::connection::Connection;
use crate::events;
use crate::js::{self, get, get_int, get_string};
use crate::page::object_layer;
use crate::protocol::{clip_chars, Sender, MAX_TITLE_CHARS, MAX_URL_CHARS};
use crate::session::machine::{Failure, Input, Output};
use crate::session::{outcome, wire, Event, Reply, Session};
use crate::{fingerprint, log, storage};

impl Widget {
    /// Starts talking to the server: identity, the outbox left by an earlier
    /// page (shown as pending and sent again, in order), then the handshake.
    /// Called again with a new session when the visitor's identity changes.
    pub(super) fn start_session(&mut self) {
        let generation = GENERATION.with(|g| {
            g.set(g.get().wrapping_add(1));
            g.get()
        });
        let locale = resolve_locale(&self.config, self.chosen_locale, self.remote.locale.as_deref());
        let api_base = self.config.api_base.clone().unwrap_or_default();
        self.session =
            Some(Session::new(generation, on_session_event, api_base, self.config.ws_base.clone(), locale.tag()));
        if self.fingerprint.is_none() && self.config.fingerprint && !fingerprint::privacy_requested() {
            self.fingerprint = fingerprint::compute();
        }
        // A site may log out by navigation without calling identify(): when
        // the page comes up with another user (or none) than this browser
        // last had, forget what belonged to the previous one.
        let user_key = [USER_KEY, &self.config.app_key].concat();
        let last_user = storage::get(&user_key);
        if last_user.is_some() && last_user != self.config.external_user_id {
            self.forget_visitor();
        }
        match &self.config.external_user_id {
            Some(user) => storage::set(&user_key, user),
            None => storage::remove(&user_key),
        }
        let body = self.handshake_body();
        let link = self.config.link.is_some();
        if let Some(session) = &mut self.session {
            session.set_handshake_body(body, link);
        }
        let restored = outbox_load(&self.outbox());
        for i in 0..restored.length() {
            let (client_id, text) = outbox_entry(&restored.get(i));
            self.show_pending(client_id.clone(), text.clone());
            if let Some(session) = &mut self.session {
                // Queued before the start, which reports the first status.
                session.feed(Input::Enqueue { client_id, text });
            }
        }
        self.history_loaded = false;
        self.refused = false;
        let Some(session) = &mut self.session else { return };
        let notices = session.start();
        self.notices(notices);
    }

    /// The handshake request: app key, identity layers, profile, page.
    pub(super) fn handshake_body(&self) -> JsValue {
        let text = |v| js::string_or(v, JsValue::UNDEFINED);
        let json = |v: &Option<String>| {
            v.as_deref().and_then(|json| js_sys::JSON::parse(json).ok()).unwrap_or(JsValue::UNDEFINED)
        };
        let profile = &self.config.profile;
        let window = crate::js::window().map_or(JsValue::UNDEFINED, JsValue::from);
        let document = get(&window, "document");
        // The page's context informs agents: cut to the server's limits (a
        // shop's title or a tracking URL is often longer), and copied
        // through the wasm, which turns lone surrogates into U+FFFD.
        let clipped = |owner: &JsValue, key, max| {
            get_string(owner, key).filter(|s| !s.is_empty()).map_or(JsValue::UNDEFINED, |s| clip_chars(&s, max).into())
        };
        let page = js::object(&[
            ("url", clipped(&get(&window, "location"), "href", MAX_URL_CHARS)),
            ("referrer", clipped(&document, "referrer", MAX_URL_CHARS)),
            ("title", clipped(&document, "title", MAX_TITLE_CHARS)),
        ]);
        js::object(&[
            ("appKey", self.config.app_key.as_str().into()),
            ("externalUserId", text(&self.config.external_user_id)),
            ("userHash", text(&self.config.user_hash)),
            ("identityToken", text(&self.config.identity_token)),
            ("link", json(&self.config.link)),
            ("visitorId", visitor_id().into()),
            ("fingerprint", text(&self.fingerprint)),
            ("nickname", text(&profile.nickname)),
            ("avatar", text(&profile.avatar)),
            ("email", text(&profile.email)),
            ("phone", text(&profile.phone)),
            ("extra", json(&profile.extra)),
            ("locale", resolve_locale(&self.config, self.chosen_locale, self.remote.locale.as_deref()).tag().into()),
            ("timezone", js::time_zone()),
            ("page", page),
        ])
    }

    pub(super) fn feed(&mut self, input: Input) {
        if let Some(session) = &mut self.session {
            let notices = session.feed(input);
            self.notices(notices);
        }
    }

    /// What the session says the visitor must see.
    pub(super) fn notices(&mut self, notices: Vec<Output>) {
        // Read by reference: consuming the list costs more code than it saves.
        for notice in &notices {
            match notice {
                Output::Status(state) => self.set_connection(*state),
                Output::Failed { client_id, failure } => {
                    outbox_remove(&self.outbox(), client_id);
                    let change = self.chat.set_delivery(client_id, Delivery::Failed(failure.describe()));
                    self.apply(change);
                    emit_failure(failure);
                }
                Output::Fatal(failure) => {
                    self.session = None;
                    let code = failure.code();
                    if code.starts_with("identity_") && self.config.external_user_id.is_some() {
                        // An unverified user id: stay anonymous, show nothing of that user.
                        events::error(
                            &code,
                            &["identity not verified, continuing anonymously: ", &failure.describe()].concat(),
                        );
                        // What the visitor wrote meanwhile is theirs: it is
                        // sent as the anonymous visitor they still are.
                        let refused = self.outbox();
                        let unsent = outbox_load(&refused);
                        storage::remove(&refused);
                        self.config.external_user_id = None;
                        self.config.user_hash = None;
                        self.config.identity_token = None;
                        outbox_add(&self.outbox(), &unsent);
                        self.chat.clear();
                        self.ui.clear_messages();
                        self.start_session();
                        return;
                    }
                    if code == "unknown_app_key" {
                        // A typo in the key: there is no chat to offer, so no
                        // launcher; the developer gets one error.
                        self.ui.set_hidden(true);
                        let key = &self.config.app_key;
                        let api = self.config.api_base.as_deref().unwrap_or_default();
                        let message = ["this site is not configured: ", api, " knows no app key \"", key, "\""];
                        events::error(&code, &message.concat());
                        return;
                    }
                    // Not for the visitor to fix: say so, keep what they
                    // write (the outbox), try again on the next identify()
                    // or setLocale().
                    self.refused = true;
                    self.set_connection(Connection::Offline);
                    events::error(&code, &["the server refused the connection: ", &failure.describe()].concat());
                }
                _ => {}
            }
        }
    }

    /// An answer or a frame from the server.
    pub(super) fn on_session(&mut self, event: Event) {
        let input = match event {
            Event::Answer(reply, answer) => match (reply, outcome(&answer)) {
                (Reply::Handshake, Ok(json)) => {
                    let answer = wire::handshake(&json);
                    // Without a conversation there is no history to load.
                    self.history_loaded |= answer.conversation_id.is_none();
                    self.apply_remote(&answer.config);
                    match (answer.available, answer.token) {
                        (true, Some(token)) => {
                            Input::HandshakeOk { token, ttl_ms: answer.ttl_ms, conversation_id: answer.conversation_id }
                        }
                        _ => {
                            // The site is switched off: show nothing, send nothing.
                            self.session = None;
                            self.ui.set_hidden(true);
                            events::error("site_unavailable", "this site's chat is switched off");
                            return;
                        }
                    }
                }
                (Reply::Handshake, Err(failure)) => Input::HandshakeFailed(failure),
                (Reply::Fetched, Ok(json)) => {
                    let (messages, next_since, has_more) = wire::page(&json);
                    self.receive_all(messages, self.history_loaded);
                    self.history_loaded |= !has_more;
                    Input::Fetched { next_since: next_since.unwrap_or(0), has_more }
                }
                (Reply::Current, Ok(json)) => Input::Current(wire::open_conversation(&get(&json, "conversation"))),
                (Reply::Posted(client_id), result) => self.posted(client_id, result),
                // Fetching messages or the current conversation failed.
                (_, Err(failure)) => {
                    // Catching up failed: say so (the next poll or reconnect
                    // retries); a network error already shows as offline.
                    if failure != Failure::Network {
                        emit_failure(&failure);
                    }
                    Input::FetchFailed(failure)
                }
            },
            Event::SocketOpened => Input::SocketOpened,
            Event::SocketClosed(code) => Input::SocketClosed { code },
            Event::Frame(frame) => {
                self.feed(Input::Frame);
                match self.on_frame(&frame) {
                    Some(input) => input,
                    None => return,
                }
            }
            Event::Tick => Input::Tick,
            Event::Online(online) => Input::Online(online),
        };
        self.feed(input);
    }

    /// Shows what a frame says; returns what the machine must know.
    pub(super) fn on_frame(&mut self, frame: &JsValue) -> Option<Input> {
        match get_string(frame, "type").as_deref() {
            Some("hello") => {
                self.set_agents_online(get(frame, "agentsOnline").as_bool().unwrap_or(true));
                Some(Input::Hello { conversation_id: get_int(frame, "conversationId") })
            }
            Some("message") => {
                let (entry, conversation_id) = wire::message(&get(frame, "message"))?;
                if entry.from == Sender::Agent {
                    self.ui.set_typing(None);
                }
                self.receive(entry, Some(conversation_id));
                Some(Input::Conversation(conversation_id))
            }
            Some("typing") => {
                let active = get(frame, "active").as_bool().unwrap_or(false);
                let name = get_string(frame, "agentName").unwrap_or_else(|| self.ui.strings().agent.to_string());
                self.ui.set_typing(active.then_some(name.as_str()));
                None
            }
            Some("presence") => {
                self.set_agents_online(get(frame, "agentsOnline").as_bool().unwrap_or(false));
                None
            }
            Some("conversation") => wire::open_conversation(&get(frame, "conversation")).map(Input::Conversation),
            Some("resync") => Some(Input::Resync),
            Some("ack") => Some(self.posted(get_string(frame, "clientMsgId")?, Ok(frame.clone()))),
            // A refused message: read as the answer its POST would have had.
            Some("error") if !get(frame, "clientMsgId").is_undefined() => {
                let client_id = get_string(frame, "clientMsgId")?;
                let answer = js::object(&[("status", get(frame, "status")), ("json", frame.clone())]);
                Some(self.posted(client_id, outcome(&answer)))
            }
            Some("error") => {
                log::warn(
                    &["the server refused a frame: ", &get_string(&get(frame, "error"), "message").unwrap_or_default()]
                        .concat(),
                );
                None
            }
            _ => None,
        }
    }

    /// What the answer to a message says (a POST's, or the socket's `ack`
    /// or `error`): the stored message, or why it was not stored.
    fn posted(&mut self, client_id: String, answer: Result<JsValue, Failure>) -> Input {
        match answer.map(|json| wire::message(&get(&json, "message"))) {
            Ok(Some((entry, conversation_id))) => {
                outbox_remove(&self.outbox(), &client_id);
                self.receive(entry, Some(conversation_id));
                Input::Posted { client_id, conversation_id }
            }
            Ok(None) => Input::PostFailed {
                client_id,
                failure: Failure::Http {
                    status: 502,
                    code: Some("bad_response".into()),
                    message: None,
                    retry_after_ms: None,
                },
            },
            Err(failure) => Input::PostFailed { client_id, failure },
        }
    }

    pub(super) fn set_agents_online(&mut self, online: bool) {
        self.ui.set_online(online);
        let remote = &self.remote;
        let text = if online { None } else { remote.offline_message.as_deref() }.or(remote.greeting.as_deref());
        self.ui.set_greeting(text);
    }

    /// The site's remote config: the lowest layer of appearance, plus
    /// locale, greeting and online state.
    pub(super) fn apply_remote(&mut self, remote: &JsValue) {
        if !remote.is_object() {
            return;
        }
        self.remote = Remote {
            locale: get_string(remote, "locale"),
            greeting: get_string(remote, "greeting"),
            offline_message: get_string(remote, "offlineMessage"),
        };
        let mut appearance = object_layer(&get(remote, "appearance")).layer;
        // Problems of the remote layer alone are the site's to fix (an app
        // key is not its to give: that problem is not reported). Read by
        // reference: consuming the list costs more code.
        for problem in &config::merge(std::slice::from_ref(&appearance), &[], resolve_color).1 {
            if *problem != Problem::MissingAppKey {
                log::warn(&["remote config: ", &problem.message()].concat());
            }
        }
        // The site's name titles the header unless some layer sets
        // `headerTitle`: the lowest value of all, checked as one (a name
        // over 80 characters leaves the default title).
        if let Some(name) = get_string(remote, "siteName") {
            appearance.push(("headerTitle".into(), Raw::Text(name)));
        }
        if !appearance.is_empty() {
            if let (Some(merged), _) = config::merge(&self.layers, &appearance, resolve_color) {
                self.config.look = merged.look;
                self.config.theme = merged.theme;
                self.config.position = merged.position;
                self.config.z_index = merged.z_index;
                self.ui.apply_look(&self.config);
            }
        }
        self.set_agents_online(get(remote, "online").as_bool().unwrap_or(true));
        self.relocalize();
    }
}

/// The `error` event for a failed request, not logged to the console.
fn emit_failure(failure: &Failure) {
    events::emit("error", js::object(&[("code", failure.code().into()), ("message", failure.describe().into())]));
}

pub(super) fn typing_frame(conversation_id: i64, active: bool) -> JsValue {
    js::object(&[
        ("type", "typing".into()),
        ("conversationId", JsValue::from_f64(conversation_id as f64)),
        ("active", active.into()),
    ])
}

pub(super) fn on_session_event(generation: u32, event: Event) {
    with_widget(|widget| {
        if widget.session.as_ref().map(Session::generation) == Some(generation) {
            widget.on_session(event);
        }
    });
}
