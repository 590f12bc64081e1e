//! The widget's side of the server conversation: starting a session for the
//! current identity, and showing what the session reports (answers, frames,
//! the remote config, status changes, refused messages).

use std::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::JsValue;

use super::stored::visitor_id;
use super::{resolve_color, resolve_locale, with_widget, Remote, Widget, GENERATION};
use crate::chat::{Delivery, Entry};
use crate::config::{self, Problem, Raw};
use crate::connection::Connection;
use crate::events;
use crate::js::{self, get, get_string};
use crate::page::object_layer;
use crate::protocol::{Availability, AvailabilityState, PageInfo, Sender};
use crate::session::machine::{Failure, Input, Output};
use crate::session::wire::{self, Frame, Refusal};
use crate::session::{outcome, Event, Mock, Reply, Session, Transport};
use crate::{fingerprint, log, outbox};

pub(super) use crate::session::wire::typing_frame;

impl Widget {
    /// Starts talking to the server (or, in mock mode, to the pretend
    /// agent): identity, the outbox left by an earlier page (shown as
    /// pending and sent again, in order), then the handshake. Called again
    /// with a new session when the visitor's identity changes.
    pub(super) fn start_session(&mut self) {
        let generation = GENERATION.with(|g| {
            g.set(g.get().wrapping_add(1));
            g.get()
        });
        let session: Box<dyn Transport> = if self.config.mock {
            Box::new(Mock::new(generation, on_session_event))
        } else {
            if self.fingerprint.is_none() && self.config.fingerprint && !fingerprint::privacy_requested() {
                self.fingerprint = fingerprint::compute();
            }
            let locale = resolve_locale(&self.config, self.chosen_locale, self.remote.locale.as_deref());
            let api_base = self.config.api_base.clone().unwrap_or_default();
            Box::new(Session::new(generation, on_session_event, api_base, self.config.ws_base.clone(), locale.tag()))
        };
        self.session = Some(session);
        self.forget_previous_visitor();
        let body = self.handshake_body();
        let link = self.config.link.is_some();
        if let Some(session) = &mut self.session {
            session.set_handshake_body(body, link);
        }
        for message in outbox::load(&self.outbox_key()).entries() {
            self.show_pending(message.client_id.clone(), message.text.clone());
            if let Some(session) = &mut self.session {
                // Queued before the start, which reports the first status.
                session.feed(Input::Enqueue { client_id: message.client_id.clone(), text: message.text.clone() });
            }
        }
        self.history_loaded = false;
        self.refused = false;
        self.forget_conversation();
        if self.config.mock {
            // The pretend agent is always there.
            self.set_availability(Availability { state: AvailabilityState::Online, next_open_at: None });
        }
        let Some(session) = &mut self.session else { return };
        let notices = session.start();
        self.notices(notices);
        self.take_received();
    }

    /// The handshake request: app key, identity layers, profile, page.
    pub(super) fn handshake_body(&self) -> JsValue {
        let window = crate::js::window().map_or(JsValue::UNDEFINED, JsValue::from);
        let document = get(&window, "document");
        // The page's context informs agents (cut to the server's limits in
        // the body), copied through the wasm, which turns lone surrogates
        // into U+FFFD.
        let read = |owner: &JsValue, key| get_string(owner, key).filter(|s| !s.is_empty());
        let config = &self.config;
        wire::HandshakeBody {
            app_key: &config.app_key,
            external_user_id: &config.external_user_id,
            user_hash: &config.user_hash,
            identity_token: &config.identity_token,
            link: &config.link,
            visitor_id: visitor_id(),
            fingerprint: &self.fingerprint,
            profile: &config.profile,
            locale: resolve_locale(config, self.chosen_locale, self.remote.locale.as_deref()).tag(),
            timezone: js::time_zone().as_string(),
            page: PageInfo {
                url: read(&get(&window, "location"), "href"),
                referrer: read(&document, "referrer"),
                title: read(&document, "title"),
            },
        }
        .encode()
    }

    pub(super) fn feed(&mut self, input: Input) {
        if let Some(session) = &mut self.session {
            let notices = session.feed(input);
            self.notices(notices);
            self.take_received();
        }
    }

    /// Shows the messages the session made itself (mock mode's): an
    /// acknowledgement takes its message out of the outbox, as the server's
    /// does.
    fn take_received(&mut self) {
        let received = self.session.as_mut().map(|session| session.take_received()).unwrap_or_default();
        for entry in received {
            if let Some(client_id) = &entry.client_id {
                self.unqueue(client_id);
            }
            self.receive(entry, None);
        }
    }

    /// What the session says the visitor must see.
    pub(super) fn notices(&mut self, notices: Vec<Output>) {
        // Read by reference: consuming the list costs more code than it saves.
        for notice in &notices {
            match notice {
                Output::Status(state) => self.set_connection(*state),
                Output::Failed { client_id, failure } => {
                    self.unqueue(client_id);
                    let change = self.chat.set_delivery(client_id, Delivery::Failed(failure.describe()));
                    self.apply(change);
                    emit_failure(failure);
                }
                Output::Fatal(failure) => {
                    self.session = None;
                    // An unverified user id: stay anonymous, show nothing of that user.
                    if self.continue_anonymously(failure) {
                        return;
                    }
                    let code = failure.code();
                    if wire::refusal(failure) == Refusal::UnknownAppKey {
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
                    let Some(answer) = wire::handshake(&json) else {
                        self.feed(Input::HandshakeFailed(wire::bad_response()));
                        return;
                    };
                    // Without a conversation there is no history to load.
                    self.history_loaded |= answer.conversation_id.is_none();
                    self.apply_remote(answer.config);
                    if let Some(id) = answer.conversation_id {
                        self.conversation_is(id, true, false);
                    }
                    let Some((token, ttl_ms)) = answer.token else {
                        // The site is switched off: show nothing, send nothing.
                        self.session = None;
                        self.ui.set_hidden(true);
                        events::error("site_unavailable", "this site's chat is switched off");
                        return;
                    };
                    Input::HandshakeOk { token, ttl_ms, conversation_id: answer.conversation_id }
                }
                (Reply::Handshake, Err(failure)) => Input::HandshakeFailed(failure),
                (Reply::Fetched, Ok(json)) => match wire::page(&json) {
                    Some(page) => {
                        // The conversation as it is now first: a rating given
                        // before is known before its end's line is shown.
                        if let Some(info) = page.conversation {
                            self.conversation_info(info);
                        }
                        self.receive_all(page.messages, self.history_loaded);
                        self.history_loaded |= !page.has_more;
                        Input::Fetched { next_since: page.next_since, has_more: page.has_more }
                    }
                    None => self.fetch_failed(wire::bad_response()),
                },
                (Reply::Current, Ok(json)) => match wire::current(&json) {
                    Some(conversation) => Input::Current(conversation),
                    None => self.fetch_failed(wire::bad_response()),
                },
                (Reply::Posted(client_id), result) => {
                    self.posted(client_id, result.and_then(|json| wire::posted(&json).ok_or_else(wire::bad_response)))
                }
                (Reply::Fetched | Reply::Current, Err(failure)) => self.fetch_failed(failure),
                (Reply::Left, answer) => return self.left(answer),
                (Reply::Rated, answer) => return self.rated(answer),
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
        // The handshake or a frame may have made a conversation known.
        self.engage();
    }

    /// Catching up (messages or the current conversation) failed: say so
    /// (the next poll or reconnect retries); a network error already shows
    /// as offline.
    /// A sent message's answer, by `POST` or on the socket.
    fn posted(&mut self, client_id: String, answer: Result<(Entry, i64), Failure>) -> Input {
        match answer {
            Ok((entry, conversation_id)) => {
                self.unqueue(&client_id);
                self.conversation_is(conversation_id, true, true);
                self.receive(entry, Some(conversation_id));
                Input::Posted { client_id, conversation_id }
            }
            Err(failure) => Input::PostFailed { client_id, failure },
        }
    }

    fn fetch_failed(&mut self, failure: Failure) -> Input {
        if failure != Failure::Network {
            emit_failure(&failure);
        }
        Input::FetchFailed(failure)
    }

    /// Shows what a frame says; returns what the machine must know.
    pub(super) fn on_frame(&mut self, frame: &JsValue) -> Option<Input> {
        let Some(frame) = wire::frame(frame) else {
            // Something may be missing from the view: catch up.
            log::warn("unreadable frame from the server");
            return Some(Input::Resync);
        };
        match frame {
            Frame::Hello { conversation_id, availability, ping_interval_ms } => {
                self.set_availability(availability);
                if let Some(id) = conversation_id {
                    self.conversation_is(id, true, true);
                }
                Some(Input::Hello { conversation_id, ping_interval_ms })
            }
            Frame::Message(entry, conversation_id) => {
                if entry.from == Sender::Agent {
                    self.ui.set_typing(None);
                    self.agent_typing(false);
                }
                self.conversation_is(conversation_id, true, true);
                self.receive(entry, Some(conversation_id));
                Some(Input::Conversation(conversation_id))
            }
            Frame::Typing { active, agent_name } => {
                let name = agent_name.unwrap_or_else(|| self.ui.strings().agent.to_string());
                self.ui.set_typing(active.then_some(name.as_str()));
                self.agent_typing(active);
                None
            }
            Frame::Availability(availability) => {
                self.set_availability(availability);
                None
            }
            // `availability` (in `hello` and its own frames) says more.
            Frame::Presence { .. } => None,
            Frame::Conversation(info) => {
                let open = info.open.then_some(info.id);
                self.conversation_info(info);
                open.map(Input::Conversation)
            }
            Frame::Resync => Some(Input::Resync),
            Frame::Alive => None,
            Frame::Answered { client_id, answer } => Some(self.posted(client_id, answer)),
            Frame::Error { message } => {
                log::warn(&["the server refused a frame: ", &message].concat());
                None
            }
            Frame::Unknown(kind) => {
                // A newer server's frame: said once, not at every frame.
                if !UNKNOWN_FRAME_SEEN.swap(true, Ordering::Relaxed) {
                    log::warn(&["ignoring frames of an unknown type: ", &kind].concat());
                }
                None
            }
        }
    }

    /// The site's remote config: the lowest layer of appearance, plus
    /// locale, greeting, availability and the rating asked for.
    pub(super) fn apply_remote(&mut self, remote: wire::Remote) {
        self.remote =
            Remote { locale: remote.locale, greeting: remote.greeting, offline_message: remote.offline_message };
        let mut appearance = object_layer(&remote.appearance).layer;
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
        if let Some(name) = remote.site_name {
            appearance.push(("headerTitle".into(), Raw::Text(name)));
        }
        if !appearance.is_empty() {
            if let (Some(merged), _) = config::merge(&self.layers, &appearance, resolve_color) {
                self.config.look = merged.look;
                self.config.theme = merged.theme;
                self.config.position = merged.position;
                self.config.z_index = merged.z_index;
                self.config.engage = merged.engage;
                self.ui.apply_look(&self.config);
            }
        }
        self.ui.set_greeting(self.remote.greeting.as_deref());
        self.life.scale = remote.rating;
        self.set_availability(remote.availability);
        self.relocalize();
    }
}

/// The `error` event for a failed request, not logged to the console.
pub(super) fn emit_failure(failure: &Failure) {
    events::emit("error", js::object(&[("code", failure.code().into()), ("message", failure.describe().into())]));
}

/// Whether a frame of an unknown type was logged already.
static UNKNOWN_FRAME_SEEN: AtomicBool = AtomicBool::new(false);

pub(super) fn on_session_event(generation: u32, event: Event) {
    with_widget(|widget| {
        if widget.session.as_ref().map(|session| session.generation()) == Some(generation) {
            widget.on_session(event);
        }
    });
}
