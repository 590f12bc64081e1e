//! The connection to the server: a pure state machine (`machine`) with its
//! backoff (`backoff`), driven in the browser by `driver`; or, in mock
//! mode, a pretend agent (`mock`). The widget talks to either through
//! [`Transport`], the same way.

pub mod backoff;
pub mod machine;

mod driver;
mod http;
mod mock;
pub mod wire;

use crate::chat::Entry;
use machine::{Input, Output};
use wasm_bindgen::JsValue;

pub use driver::{Event, Reply, Session, Sink};
pub use http::outcome;
pub use mock::Mock;

/// What the widget drives: it feeds inputs (what the visitor did, what came
/// back through the [`Sink`]) and shows the outputs. The server's
/// session has a handshake and a socket; the mock has neither, and the
/// defaults say so.
pub trait Transport {
    /// Tags what comes back through the sink (see [`Session::generation`]).
    fn generation(&self) -> u32;
    /// Starts, after the widget has queued the restored outbox.
    fn start(&mut self) -> Vec<Output>;
    fn feed(&mut self, input: Input) -> Vec<Output>;
    /// Messages the transport made itself (the mock's acknowledgements and
    /// replies), for the widget to show as the server's: taken after each
    /// feed, since the widget cannot be called back while it feeds.
    fn take_received(&mut self) -> Vec<Entry> {
        Vec::new()
    }
    fn set_handshake_body(&mut self, _body: JsValue, _link: bool) {}
    fn set_locale(&mut self, _locale: &'static str) {}
    fn conversation_id(&self) -> Option<i64> {
        None
    }
    /// Whether client frames (typing) can go out now.
    fn socket_open(&self) -> bool {
        false
    }
    fn send_frame(&self, _frame: &JsValue) {}
    /// Ends the conversation (`rating` undefined) or rates it (see
    /// [`Session::conclude`]); the mock has no conversations.
    fn conclude(&self, _conversation_id: i64, _rating: &JsValue) {}
}

impl Transport for Session {
    fn generation(&self) -> u32 {
        Session::generation(self)
    }
    fn start(&mut self) -> Vec<Output> {
        Session::start(self)
    }
    fn feed(&mut self, input: Input) -> Vec<Output> {
        Session::feed(self, input)
    }
    fn set_handshake_body(&mut self, body: JsValue, link: bool) {
        Session::set_handshake_body(self, body, link)
    }
    fn set_locale(&mut self, locale: &'static str) {
        Session::set_locale(self, locale)
    }
    fn conversation_id(&self) -> Option<i64> {
        Session::conversation_id(self)
    }
    fn socket_open(&self) -> bool {
        Session::socket_open(self)
    }
    fn send_frame(&self, frame: &JsValue) {
        Session::send_frame(self, frame)
    }
    fn conclude(&self, conversation_id: i64, rating: &JsValue) {
        Session::conclude(self, conversation_id, rating)
    }
}
