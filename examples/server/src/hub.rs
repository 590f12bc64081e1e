//! Live event routing. Each visitor with an open socket has its own channel
//! (shared by that visitor's tabs) and each site with a connected agent has
//! one for its agents, so an event wakes only the sockets it is for: with one
//! channel for everybody, each stored message woke every socket of the server
//! (1,000 visitors × 4 events per message × 1,000 sockets). A channel is
//! created by its first socket and removed with its last: a [`Subscription`]
//! does both. Frames are serialized once per event, not once per socket.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use natter::protocol::ServerFrame;
use tokio::sync::{broadcast, Notify};

/// Backlog of one visitor's channel: a socket that falls this far behind
/// gets a `resync` frame and catches up over REST. Small, because the ring
/// is allocated up front for every connected visitor.
const VISITOR_BACKLOG: usize = 64;
/// Backlog of a site's agent channel: agents see every event of the site.
const AGENT_BACKLOG: usize = 1024;

/// Not a frame: tells a visitor's sockets whose token was minted without a
/// proof of identity to close, the user having just been verified. Never
/// sent to a client.
pub const REVOKE_UNPROVEN: &str = "\0revoke-unproven";

pub fn encode(frame: &ServerFrame) -> Arc<str> {
    // Serializing these plain structs cannot fail; an empty frame would be
    // ignored by clients rather than crash the server.
    Arc::from(serde_json::to_string(frame).unwrap_or_default())
}

struct VisitorChannel {
    app_key: Arc<str>,
    tx: broadcast::Sender<Arc<str>>,
}

#[derive(Default)]
struct Channels {
    /// Visitor id → the channel of that visitor's sockets.
    visitors: HashMap<Arc<str>, VisitorChannel>,
    /// App key → the channel of that site's agent sockets; its receiver
    /// count is the number of connected agents (presence).
    agents: HashMap<Arc<str>, broadcast::Sender<Arc<str>>>,
}

impl Channels {
    /// A frame for every connected visitor of a site (presence changes: rare).
    fn to_site_visitors(&self, app_key: &str, frame: &ServerFrame) {
        let json = encode(frame);
        for c in self.visitors.values().filter(|c| c.app_key.as_ref() == app_key) {
            let _ = c.tx.send(json.clone());
        }
    }
}

pub struct Hub {
    channels: Mutex<Channels>,
    /// The echo bot counts as an online agent on every site.
    bot_online: bool,
    /// Woken when a site's first agent arrives or its last one leaves, so
    /// the scheduler recomputes availability.
    pub presence_changed: Notify,
}

/// Which channel a subscription holds.
enum Audience {
    Visitor(Arc<str>),
    Agents(Arc<str>),
}

/// A socket's receiver. Dropping it removes the channel when it was the last
/// one, and for an agent counts the agent out (presence).
pub struct Subscription<'a> {
    hub: &'a Hub,
    audience: Audience,
    rx: broadcast::Receiver<Arc<str>>,
}

impl Subscription<'_> {
    pub async fn recv(&mut self) -> Result<Arc<str>, broadcast::error::RecvError> {
        self.rx.recv().await
    }
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        // Subscribing and unsubscribing both hold the lock, so a count of 1
        // (this receiver) means nobody else can be using the channel.
        let hub = self.hub;
        match &self.audience {
            Audience::Visitor(visitor) => {
                let mut channels = hub.lock();
                if channels.visitors.get(visitor).is_some_and(|c| c.tx.receiver_count() <= 1) {
                    channels.visitors.remove(visitor);
                }
            }
            Audience::Agents(app_key) => {
                let mut channels = hub.lock();
                if channels.agents.get(app_key).is_some_and(|tx| tx.receiver_count() <= 1) {
                    channels.agents.remove(app_key);
                    hub.presence_changed.notify_one();
                    if !hub.bot_online {
                        channels.to_site_visitors(app_key, &ServerFrame::Presence { agents_online: false });
                    }
                }
            }
        }
    }
}

impl Hub {
    pub fn new(bot_online: bool) -> Hub {
        Hub { channels: Mutex::new(Channels::default()), bot_online, presence_changed: Notify::new() }
    }

    fn lock(&self) -> MutexGuard<'_, Channels> {
        // The maps stay consistent across a panic (each update is one insert
        // or remove), so poisoning is ignored.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The events of one visitor (all its conversations, all its tabs).
    pub fn subscribe_visitor(&self, app_key: &str, visitor: &str) -> Subscription<'_> {
        let visitor: Arc<str> = visitor.into();
        let rx = self
            .lock()
            .visitors
            .entry(visitor.clone())
            .or_insert_with(|| VisitorChannel { app_key: app_key.into(), tx: broadcast::channel(VISITOR_BACKLOG).0 })
            .tx
            .subscribe();
        Subscription { hub: self, audience: Audience::Visitor(visitor), rx }
    }

    /// The events of a site's agents; counts the agent in until the
    /// subscription is dropped, and tells the site's visitors when the first
    /// agent arrives.
    pub fn subscribe_agent(&self, app_key: &str) -> Subscription<'_> {
        let app_key: Arc<str> = app_key.into();
        let mut channels = self.lock();
        // Presence is sent under the lock, so that the frames of agents
        // arriving and leaving reach visitors in the order of the changes.
        if !channels.agents.contains_key(&app_key) {
            self.presence_changed.notify_one();
            if !self.bot_online {
                channels.to_site_visitors(&app_key, &ServerFrame::Presence { agents_online: true });
            }
        }
        let rx =
            channels.agents.entry(app_key.clone()).or_insert_with(|| broadcast::channel(AGENT_BACKLOG).0).subscribe();
        drop(channels);
        Subscription { hub: self, audience: Audience::Agents(app_key), rx }
    }

    /// Sends to one visitor's sockets; nobody connected is not an error.
    fn send_visitor(&self, app_key: &str, visitor: &str, json: Arc<str>) {
        if let Some(c) = self.lock().visitors.get(visitor).filter(|c| c.app_key.as_ref() == app_key) {
            let _ = c.tx.send(json);
        }
    }

    fn send_agents(&self, app_key: &str, json: Arc<str>) {
        if let Some(tx) = self.lock().agents.get(app_key) {
            let _ = tx.send(json);
        }
    }

    /// A frame for one visitor and for the site's agents.
    pub fn to_visitor_and_agents(&self, app_key: &str, visitor: &str, frame: &ServerFrame) {
        let json = encode(frame);
        self.send_visitor(app_key, visitor, json.clone());
        self.send_agents(app_key, json);
    }

    pub fn to_visitor(&self, app_key: &str, visitor: &str, frame: &ServerFrame) {
        self.send_visitor(app_key, visitor, encode(frame));
    }

    /// Closes the visitor's sockets opened with unproven tokens.
    pub fn revoke_unproven(&self, app_key: &str, visitor: &str) {
        self.send_visitor(app_key, visitor, REVOKE_UNPROVEN.into());
    }

    /// A frame for every visitor and agent of a site (availability: rare).
    pub fn to_site(&self, app_key: &str, frame: &ServerFrame) {
        let channels = self.lock();
        channels.to_site_visitors(app_key, frame);
        if let Some(tx) = channels.agents.get(app_key) {
            let _ = tx.send(encode(frame));
        }
    }

    pub fn to_agents(&self, app_key: &str, frame: &ServerFrame) {
        self.send_agents(app_key, encode(frame));
    }

    pub fn agents_online(&self, app_key: &str) -> bool {
        self.bot_online || self.lock().agents.contains_key(app_key)
    }

    /// Open channels (visitors, sites with agents), for tests.
    pub fn channel_counts(&self) -> (usize, usize) {
        let channels = self.lock();
        (channels.visitors.len(), channels.agents.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use natter::protocol::Sender;

    fn typing(conversation_id: i64) -> ServerFrame {
        ServerFrame::Typing { conversation_id, from: Sender::Agent, agent_name: None, active: true }
    }

    fn pending(sub: &mut Subscription<'_>) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(json) = sub.rx.try_recv() {
            out.push(json.to_string());
        }
        out
    }

    #[test]
    fn a_visitor_receives_only_its_own_events() {
        let hub = Hub::new(false);
        let mut a = hub.subscribe_visitor("sk_a", "cv_a");
        let mut a2 = hub.subscribe_visitor("sk_a", "cv_a"); // a second tab
        let mut b = hub.subscribe_visitor("sk_a", "cv_b");
        let mut other_site = hub.subscribe_visitor("sk_b", "cv_c");
        hub.to_visitor("sk_a", "cv_a", &typing(1));
        hub.to_visitor_and_agents("sk_a", "cv_b", &typing(2));
        hub.to_agents("sk_a", &typing(3));
        // A visitor id under another site's key reaches nobody.
        hub.to_visitor("sk_b", "cv_a", &typing(4));
        assert_eq!(pending(&mut a), vec![encode(&typing(1)).to_string()]);
        assert_eq!(pending(&mut a2), vec![encode(&typing(1)).to_string()]);
        assert_eq!(pending(&mut b), vec![encode(&typing(2)).to_string()]);
        assert!(pending(&mut other_site).is_empty());
    }

    #[test]
    fn agents_receive_their_sites_events_and_presence_follows_them() {
        let hub = Hub::new(false);
        let mut visitor = hub.subscribe_visitor("sk_a", "cv_a");
        let mut far_visitor = hub.subscribe_visitor("sk_b", "cv_b");
        assert!(!hub.agents_online("sk_a"));
        let mut agent = hub.subscribe_agent("sk_a");
        let mut second = hub.subscribe_agent("sk_a");
        let mut far_agent = hub.subscribe_agent("sk_b");
        assert!(hub.agents_online("sk_a"));
        let online = encode(&ServerFrame::Presence { agents_online: true }).to_string();
        // One presence frame, for the first agent of the site only.
        assert_eq!(pending(&mut visitor), vec![online.clone()]);
        assert_eq!(pending(&mut far_visitor), vec![online]);

        hub.to_visitor_and_agents("sk_a", "cv_a", &typing(1));
        hub.to_agents("sk_a", &typing(2));
        hub.to_visitor("sk_a", "cv_a", &typing(3));
        let expected = vec![encode(&typing(1)).to_string(), encode(&typing(2)).to_string()];
        assert_eq!(pending(&mut agent), expected);
        assert_eq!(pending(&mut second), expected);
        assert!(pending(&mut far_agent).is_empty());
        assert_eq!(pending(&mut visitor), vec![encode(&typing(1)).to_string(), encode(&typing(3)).to_string()]);

        drop(agent);
        assert!(hub.agents_online("sk_a"));
        assert!(pending(&mut visitor).is_empty());
        drop(second);
        assert!(!hub.agents_online("sk_a"));
        assert_eq!(pending(&mut visitor), vec![encode(&ServerFrame::Presence { agents_online: false }).to_string()]);
        assert!(pending(&mut far_visitor).is_empty());
    }

    #[test]
    fn a_site_frame_reaches_that_sites_visitors_and_agents_and_presence_changes_wake_the_scheduler() {
        let hub = Hub::new(false);
        let mut visitor = hub.subscribe_visitor("sk_a", "cv_a");
        let mut other = hub.subscribe_visitor("sk_b", "cv_b");
        let mut agent = hub.subscribe_agent("sk_a");
        pending(&mut visitor);
        pending(&mut other);
        hub.to_site("sk_a", &typing(1));
        assert_eq!(pending(&mut visitor), vec![encode(&typing(1)).to_string()]);
        assert_eq!(pending(&mut agent), vec![encode(&typing(1)).to_string()]);
        assert!(pending(&mut other).is_empty());
        // The first agent's arrival left a wake-up; its leaving leaves one.
        let woken = || hub.presence_changed.notified().now_or_never().is_some();
        assert!(woken());
        assert!(!woken(), "one wake-up per change");
        drop(agent);
        assert!(woken());
    }

    #[test]
    fn channels_are_removed_with_their_last_socket() {
        let hub = Hub::new(true);
        let a = hub.subscribe_visitor("sk_a", "cv_a");
        let a2 = hub.subscribe_visitor("sk_a", "cv_a");
        let b = hub.subscribe_visitor("sk_a", "cv_b");
        let agent = hub.subscribe_agent("sk_a");
        assert_eq!(hub.channel_counts(), (2, 1));
        drop(a);
        assert_eq!(hub.channel_counts(), (2, 1));
        drop(a2);
        assert_eq!(hub.channel_counts(), (1, 1));
        drop((b, agent));
        assert_eq!(hub.channel_counts(), (0, 0));
        // Sending to nobody is fine, and the bot keeps the site online.
        hub.to_visitor_and_agents("sk_a", "cv_a", &typing(1));
        assert!(hub.agents_online("sk_a"));
        // A new socket gets a fresh channel.
        let _again = hub.subscribe_visitor("sk_a", "cv_a");
        assert_eq!(hub.channel_counts(), (1, 0));
    }
}
