//! Live event fan-out, after axum's `examples/chat`: one broadcast channel;
//! every socket filters what is addressed to it. Frames are serialized once
//! per event, not once per socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use natter::protocol::ServerFrame;
use tokio::sync::broadcast;

/// Capacity of the channel: a socket that falls this far behind gets a
/// `resync` frame and catches up over REST.
const CHANNEL_CAPACITY: usize = 1024;

/// One event, pre-serialized for each audience.
#[derive(Clone, Debug)]
pub struct Event {
    pub app_key: Arc<str>,
    /// Target visitor; `None` with `for_visitors` set = every visitor of the site.
    pub visitor: Option<Arc<str>>,
    /// Frame for visitor sockets, if any.
    pub for_visitors: Option<Arc<str>>,
    /// Frame for the site's agent sockets, if any.
    pub for_agents: Option<Arc<str>>,
}

pub fn encode(frame: &ServerFrame) -> Arc<str> {
    // Serializing these plain structs cannot fail; an empty frame would be
    // ignored by clients rather than crash the server.
    Arc::from(serde_json::to_string(frame).unwrap_or_default())
}

pub struct Hub {
    tx: broadcast::Sender<Event>,
    /// Connected agent sockets per site, for presence.
    agents: Mutex<HashMap<String, usize>>,
    /// The echo bot counts as an online agent on every site.
    bot_online: bool,
}

impl Hub {
    pub fn new(bot_online: bool) -> Hub {
        let (tx, _) = broadcast::channel(CHANNEL_CAPACITY);
        Hub { tx, agents: Mutex::new(HashMap::new()), bot_online }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    pub fn publish(&self, event: Event) {
        // No subscriber is not an error: nobody is listening right now.
        let _ = self.tx.send(event);
    }

    /// A frame for one visitor and for the site's agents.
    pub fn to_visitor_and_agents(&self, app_key: &str, visitor: &str, frame: &ServerFrame) {
        let json = encode(frame);
        self.publish(Event {
            app_key: app_key.into(),
            visitor: Some(visitor.into()),
            for_visitors: Some(json.clone()),
            for_agents: Some(json),
        });
    }

    pub fn to_visitor(&self, app_key: &str, visitor: &str, frame: &ServerFrame) {
        self.publish(Event { app_key: app_key.into(), visitor: Some(visitor.into()), for_visitors: Some(encode(frame)), for_agents: None });
    }

    pub fn to_agents(&self, app_key: &str, frame: &ServerFrame) {
        self.publish(Event { app_key: app_key.into(), visitor: None, for_visitors: None, for_agents: Some(encode(frame)) });
    }

    pub fn agents_online(&self, app_key: &str) -> bool {
        self.bot_online || self.agents.lock().map(|m| m.get(app_key).copied().unwrap_or(0) > 0).unwrap_or(false)
    }

    /// Counts an agent socket in or out and tells the site's visitors when
    /// presence flips.
    pub fn agent_presence(&self, app_key: &str, connected: bool) {
        let before = self.agents_online(app_key);
        if let Ok(mut map) = self.agents.lock() {
            let n = map.entry(app_key.to_string()).or_insert(0);
            *n = if connected { *n + 1 } else { n.saturating_sub(1) };
        }
        let after = self.agents_online(app_key);
        if before != after {
            self.publish(Event {
                app_key: app_key.into(),
                visitor: None,
                for_visitors: Some(encode(&ServerFrame::Presence { agents_online: after })),
                for_agents: None,
            });
        }
    }
}

impl Event {
    /// The frame a visitor socket should forward, if any.
    pub fn for_visitor(&self, app_key: &str, visitor: &str) -> Option<&Arc<str>> {
        let addressed = self.visitor.as_deref().is_none_or(|v| v == visitor);
        (self.app_key.as_ref() == app_key && addressed).then_some(self.for_visitors.as_ref()).flatten()
    }

    /// The frame an agent socket of `app_key` should forward, if any.
    pub fn for_agent(&self, app_key: &str) -> Option<&Arc<str>> {
        (self.app_key.as_ref() == app_key).then_some(self.for_agents.as_ref()).flatten()
    }
}
