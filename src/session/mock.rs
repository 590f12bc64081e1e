//! Mock mode's transport: no network. It takes the server session's place
//! behind the widget, fed the same inputs: each message is acknowledged at
//! once and echoed by a pretend agent [`REPLY_MS`] later, and its status is
//! always online.

use std::cell::Cell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

use super::machine::{Input, Output};
use super::{Event, Sink, Transport};
use crate::chat::{Delivery, Entry};
use crate::connection::Connection;
use crate::protocol::Sender;
use crate::timer::Timer;

/// The pretend agent answers after this long, as documented.
pub const REPLY_MS: u32 = 1400;

thread_local! {
    /// The last message id given out. Ids go on across sessions, as a
    /// server's do: the read marker outlives a change of user, and a reply
    /// numbered below it would never count as unread.
    static LAST_ID: Cell<i64> = const { Cell::new(0) };
}

pub struct Mock {
    generation: u32,
    /// Acknowledgements and replies for the widget to take.
    received: Vec<Entry>,
    /// Replies waiting for their timer, oldest first: the timers all have
    /// the same delay, so they fire in this order.
    replies: Vec<(Entry, Timer)>,
    /// The one handler of every reply timer: it ticks the widget's
    /// transport, as the server session's timer does.
    tick: JsValue,
}

impl Mock {
    pub fn new(generation: u32, sink: Sink) -> Self {
        let tick = Closure::<dyn FnMut()>::new(move || sink(generation, Event::Tick)).into_js_value();
        Self { generation, received: Vec::new(), replies: Vec::new(), tick }
    }

    fn entry(from: Sender, text: String, agent_name: Option<String>, client_id: Option<String>) -> Entry {
        let id = LAST_ID.with(|last| {
            last.set(last.get() + 1);
            last.get()
        });
        Entry {
            id: Some(id),
            client_id,
            from,
            text,
            agent_name,
            event: None,
            created_at: js_sys::Date::now(),
            delivery: Delivery::Sent,
        }
    }
}

impl Transport for Mock {
    fn generation(&self) -> u32 {
        self.generation
    }

    fn start(&mut self) -> Vec<Output> {
        vec![Output::Status(Connection::Online)]
    }

    fn feed(&mut self, input: Input) -> Vec<Output> {
        match input {
            Input::Enqueue { client_id, text } => {
                let reply = ["[mock] ", &text].concat();
                let ack = Self::entry(Sender::Visitor, text, None, Some(client_id));
                self.received.push(ack);
                let reply = Self::entry(Sender::Agent, reply, Some("Mock agent".into()), None);
                self.replies.push((reply, Timer::new(&self.tick, REPLY_MS)));
            }
            // The oldest reply's timer fired: it arrives, stamped now.
            Input::Tick if !self.replies.is_empty() => {
                let (mut reply, _fired) = self.replies.remove(0);
                reply.created_at = js_sys::Date::now();
                self.received.push(reply);
            }
            _ => {}
        }
        Vec::new()
    }

    fn take_received(&mut self) -> Vec<Entry> {
        std::mem::take(&mut self.received)
    }
}
