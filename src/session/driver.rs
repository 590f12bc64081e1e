//! The browser side of the session: performs the machine's outputs with
//! `fetch`, `WebSocket` and a single timer, and reports what comes back to
//! the widget as [`Event`]s tagged with the session's generation (so late
//! answers for a session that was replaced are ignored).
//!
//! The socket is opened, fed and closed by three small `host.js` helpers
//! (see their comment below), not gloo-net's `WebSocket`, which wraps it in
//! futures channels the widget does not need.

use wasm_bindgen::prelude::*;
use web_sys::WebSocket;

use super::machine::{Input, Machine, Output, Timing};
use super::{http, wire};
use crate::js::{get, get_string, object};
use crate::protocol::{
    CONVERSATIONS_PATH, CURRENT_CONVERSATION_PATH, HANDSHAKE_PATH, IDENTIFY_PATH, JWT_SUBPROTOCOL_PREFIX,
    LEAVE_PATH_END, RATING_PATH_END, WS_PATH, WS_SUBPROTOCOL,
};
use crate::timer::Timer;

/// What happened on the network, for the widget to interpret.
pub enum Event {
    /// The answer to a request, as the request helper gives it (see
    /// [`super::outcome`]): one variant for every request kind, read where
    /// it is used, not in the session's handler.
    Answer(Reply, JsValue),
    SocketOpened,
    SocketClosed(u16),
    /// A parsed JSON frame.
    Frame(JsValue),
    Tick,
    Online(bool),
}

/// Which request an answer belongs to; the request helper hands it back
/// in the answer: a number, or the client id of the message a post sent.
pub enum Reply {
    Handshake,
    Fetched,
    Current,
    /// The answer to the post of this message (its client id).
    Posted(String),
    /// The answer to ending the conversation (`.../leave`).
    Left,
    /// The answer to a rating.
    Rated,
}

/// The tags of the answers that are not a post's (a post's is its client id).
const REPLY_HANDSHAKE: u32 = 0;
const REPLY_FETCHED: u32 = 1;
const REPLY_CURRENT: u32 = 2;
const REPLY_LEFT: u32 = 3;
const REPLY_RATED: u32 = 4;

/// Where events go: the widget's handler, with the session generation.
pub type Sink = fn(u32, Event);

pub struct Session {
    generation: u32,
    machine: Machine,
    api_base: String,
    ws_url: String,
    locale: &'static str,
    /// The handshake request body; the widget updates it when the identity
    /// or profile changes.
    handshake_body: JsValue,
    /// A standalone-link session: requests carry `X-CS-Entry: link`, and the
    /// token is renewed with `identify` (the link itself expires quickly).
    link: bool,
    /// The one handler of everything that comes back (see [`inbox`]).
    inbox: JsValue,
    socket: Option<Socket>,
    /// The timer for the machine's next deadline.
    timer: Option<(f64, Timer)>,
}

impl Session {
    pub fn new(generation: u32, sink: Sink, api_base: String, ws_base: Option<String>, locale: &'static str) -> Self {
        let ws_url = ws_base.unwrap_or_else(|| {
            // The API base is validated to start with one of the two schemes.
            // `http` + `s://host` or `://host` becomes `ws` + the same.
            match api_base.strip_prefix("http") {
                Some(rest) if rest.starts_with("s://") || rest.starts_with("://") => ["ws", rest].concat(),
                _ => api_base.clone(),
            }
        }) + WS_PATH;
        // The backoff jitter needs spread between tabs, not secrecy:
        // `Math.random` seeds it without Web Crypto's fallible calls.
        let seed = (js_sys::Math::random() * 9_007_199_254_740_992.0) as u64 ^ (js_sys::Date::now() as u64);
        let inbox = inbox(generation, sink);
        watch_network(&inbox, true);
        Self {
            generation,
            inbox,
            machine: Machine::new(Timing::default(), seed),
            api_base,
            ws_url,
            locale,
            handshake_body: JsValue::UNDEFINED,
            link: false,
            socket: None,
            timer: None,
        }
    }

    pub fn generation(&self) -> u32 {
        self.generation
    }

    pub fn set_handshake_body(&mut self, body: JsValue, link: bool) {
        self.handshake_body = body;
        self.link = link;
    }

    pub fn set_locale(&mut self, locale: &'static str) {
        self.locale = locale;
    }

    pub fn conversation_id(&self) -> Option<i64> {
        self.machine.conversation_id()
    }

    /// Starts the session (after the widget has queued restored messages).
    pub fn start(&mut self) -> Vec<Output> {
        let online = crate::js::window().is_none_or(|w| get(&w.navigator(), "onLine").as_bool() != Some(false));
        self.feed(Input::Online(online))
    }

    /// Feeds one input, performs the I/O it asks for, and returns every
    /// output: the widget shows the status changes, failed messages and
    /// fatal errors among them (one list, not a second one copied out).
    pub fn feed(&mut self, input: Input) -> Vec<Output> {
        match &input {
            Input::Tick => self.timer = None,
            // The socket is gone; detach its handlers.
            Input::SocketClosed { .. } => self.socket = None,
            _ => {}
        }
        let mut outputs = self.machine.handle(js_sys::Date::now(), input);
        let mut done = 0;
        while let Some(output) = outputs.get(done) {
            done += 1;
            match output {
                Output::Handshake => match (self.machine.token(), self.link) {
                    (Some(token), true) => {
                        self.spawn(IDENTIFY_PATH, Some(token), &object(&[]), &REPLY_HANDSHAKE.into())
                    }
                    _ => self.spawn(HANDSHAKE_PATH, None, &self.handshake_body, &REPLY_HANDSHAKE.into()),
                },
                Output::OpenSocket => {
                    match Socket::open(&self.ws_url, self.machine.token().unwrap_or_default(), &self.inbox) {
                        Some(socket) => self.socket = Some(socket),
                        // Not even created: the machine hears it closed, and
                        // what that asks for is performed in turn.
                        None => {
                            let mut more = self.machine.handle(js_sys::Date::now(), Input::SocketClosed { code: 1006 });
                            outputs.append(&mut more);
                        }
                    }
                }
                Output::CloseSocket => self.socket = None,
                Output::Ping => self.send_frame(&wire::ping_frame()),
                Output::Auth => self.send_frame(&wire::auth_frame(self.machine.token().unwrap_or_default())),
                Output::FetchMessages { conversation_id, since } => {
                    let path = wire::messages_path(*conversation_id, *since);
                    self.spawn(&path, self.machine.token(), &JsValue::UNDEFINED, &REPLY_FETCHED.into());
                }
                Output::FetchCurrent => self.spawn(
                    CURRENT_CONVERSATION_PATH,
                    self.machine.token(),
                    &JsValue::UNDEFINED,
                    &REPLY_CURRENT.into(),
                ),
                Output::Post | Output::Send => {
                    if let Some(next) = self.machine.sending() {
                        if *output == Output::Send {
                            // The POST's body as a `message` frame, answered by an
                            // `ack` or an `error` naming the client id.
                            self.send_frame(&wire::message_frame(&next.client_id, &next.text));
                        } else {
                            let body = wire::post_body(&next.client_id, &next.text);
                            self.spawn(
                                CONVERSATIONS_PATH,
                                self.machine.token(),
                                &body,
                                &next.client_id.as_str().into(),
                            );
                        }
                    }
                }
                Output::Failed { .. } | Output::Status(_) | Output::Fatal(_) => {}
            }
        }
        self.arm_timer();
        outputs
    }

    /// Sends a client frame (typing, read) if the socket is open.
    pub fn send_frame(&self, frame: &JsValue) {
        if let Some(socket) = &self.socket {
            send_json(&socket.ws, frame);
        }
    }

    pub fn socket_open(&self) -> bool {
        self.machine.socket_open()
    }

    /// Ends the conversation (`body` undefined) or rates it: a request of
    /// its own beside the machine's, answered as [`Reply::Left`] or
    /// [`Reply::Rated`].
    pub fn conclude(&self, conversation_id: i64, rating: &JsValue) {
        let (end, reply, body) = match rating.is_undefined() {
            true => (LEAVE_PATH_END, REPLY_LEFT, object(&[])),
            false => (RATING_PATH_END, REPLY_RATED, rating.clone()),
        };
        self.spawn(&wire::conversation_path(conversation_id, end), self.machine.token(), &body, &reply.into());
    }

    /// A request to the visitor API at `path` (`GET` when `body` is
    /// undefined, else `POST`); its answer comes back tagged with `reply`
    /// (see [`Reply`]).
    fn spawn(&self, path: &str, token: Option<&str>, body: &JsValue, reply: &JsValue) {
        let url = [&self.api_base, crate::protocol::VISITOR_API_PREFIX, path].concat();
        http::call(&url, token, body, self.locale, self.link, reply, &self.inbox);
    }

    /// One timer for the machine's next deadline.
    fn arm_timer(&mut self) {
        let Some(at) = self.machine.next_deadline() else {
            self.timer = None;
            return;
        };
        if self.timer.as_ref().is_some_and(|(armed, _)| *armed == at) {
            return;
        }
        let delay = (at - js_sys::Date::now()).clamp(0.0, 2_147_483_647.0) as u32;
        // The timer calls the session's handler itself, without an argument.
        self.timer = Some((at, Timer::new(&self.inbox, delay)));
    }
}

// The socket's wiring in one call each way (in `host.js`): through web-sys
// it is five imports with their glue. A frame's JSON text goes straight
// from `stringify` to `send`: through web-sys it would be copied into wasm
// and back out. What throws (a refused URL, a send while closing) is caught
// in JS: nothing is done about it but to go on, and exception plumbing at
// each Rust call site costs more than a `try` there.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// A WebSocket whose `open`, `message` and `close` events go to
    /// `handler`, or none when the browser refuses to open it.
    fn open_socket(url: &str, protocol: &str, token_protocol: &str, handler: &JsValue) -> Option<WebSocket>;
    /// Detaches the handler and closes.
    fn close_socket(ws: &WebSocket);
    fn send_json(ws: &WebSocket, frame: &JsValue);
    /// Adds (or removes) `handler` as the window's `online` and `offline`
    /// listener.
    fn watch_network(handler: &JsValue, on: bool);
    /// A message's JSON, parsed where it is (not copied into the wasm and
    /// back out), or undefined when it is not JSON.
    fn parse_frame(message: &JsValue) -> JsValue;
}

/// The handler of a session's answers, socket events, timer and the
/// browser's `online` and `offline` events: one closure for the session
/// instead of one per request, socket, timer and listener, told apart by
/// what arrives. It is owned by JS (freed by the garbage collector): an
/// answer that arrives after its session was replaced still finds it, and is
/// ignored by its generation.
fn inbox(generation: u32, sink: Sink) -> JsValue {
    Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let event = if event.is_undefined() {
            // The timer calls it without an argument.
            Event::Tick
        } else if let Some(reply) = Some(get(&event, "reply")).filter(|r| !r.is_undefined()) {
            let reply = match (reply.as_string(), reply.as_f64().map(|n| n as u32)) {
                (Some(client_id), _) => Reply::Posted(client_id),
                (_, Some(REPLY_HANDSHAKE)) => Reply::Handshake,
                (_, Some(REPLY_FETCHED)) => Reply::Fetched,
                (_, Some(REPLY_CURRENT)) => Reply::Current,
                (_, Some(REPLY_LEFT)) => Reply::Left,
                (_, Some(REPLY_RATED)) => Reply::Rated,
                // Only `spawn` tags answers: nothing else is one of ours.
                _ => return,
            };
            Event::Answer(reply, event)
        } else {
            // Socket and network events, told apart by their type (not
            // `instanceof`, which costs an import per class).
            match get_string(&event, "type").as_deref() {
                Some("close") => Event::SocketClosed(get(&event, "code").as_f64().unwrap_or(1006.0) as u16),
                Some("message") => {
                    // Frames that are not JSON are ignored (the protocol has none).
                    let frame = parse_frame(&event);
                    if frame.is_undefined() {
                        return;
                    }
                    Event::Frame(frame)
                }
                Some("online") => Event::Online(true),
                Some("offline") => Event::Online(false),
                Some("open") => Event::SocketOpened,
                // The socket's `error` is not listened to: `close` follows it
                // with the code.
                _ => return,
            }
        };
        sink(generation, event);
    })
    .into_js_value()
}

impl Drop for Session {
    fn drop(&mut self) {
        watch_network(&self.inbox, false);
    }
}

/// An open (or opening) WebSocket, closed and detached when dropped.
struct Socket {
    ws: WebSocket,
}

impl Socket {
    fn open(url: &str, token: &str, inbox: &JsValue) -> Option<Self> {
        let ws = open_socket(url, WS_SUBPROTOCOL, &[JWT_SUBPROTOCOL_PREFIX, token].concat(), inbox)?;
        Some(Self { ws })
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        close_socket(&self.ws);
    }
}
