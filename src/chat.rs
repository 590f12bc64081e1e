//! The conversation as the visitor sees it: messages in server order with
//! the visitor's own unsent ones after them, deduplicated by server id and by
//! client message id, and the unread count.
//!
//! Pure logic, unit-tested natively. The UI mirrors the list by index.

use crate::protocol::{ConversationEvent, Sender};

/// Where a message stands from the visitor's side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Written locally, not yet acknowledged by the server.
    Pending,
    /// Stored by the server (or received from it).
    Sent,
    /// Refused for good; the reason is shown with a retry control.
    Failed(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Server id; `None` until acknowledged.
    pub id: Option<i64>,
    /// The visitor's client message id, for idempotent sends.
    pub client_id: Option<String>,
    pub from: Sender,
    pub text: String,
    pub agent_name: Option<String>,
    /// A life-cycle step a `system` message records (joined, ended).
    pub event: Option<ConversationEvent>,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    pub delivery: Delivery,
}

/// What changed, so the UI can patch the DOM instead of re-rendering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Inserted(usize),
    Updated(usize),
    /// An entry left index `.0` for index `.1` (counted without it).
    Moved(usize, usize),
    /// Already present and unchanged.
    None,
}

#[derive(Default)]
pub struct Chat {
    entries: Vec<Entry>,
    /// Every message up to this server id has been seen (persisted and
    /// shared between tabs by the widget).
    read_upto: i64,
    unread: u32,
}

impl Chat {
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn unread(&self) -> u32 {
        self.unread
    }

    pub fn read_upto(&self) -> i64 {
        self.read_upto
    }

    /// Marks everything held as read; returns whether the count changed.
    pub fn mark_read(&mut self) -> bool {
        let last = self.last_id().unwrap_or(0);
        self.set_read_upto(last)
    }

    /// Everything up to `id` was seen (here or in another tab); returns
    /// whether the unread count changed.
    pub fn set_read_upto(&mut self, id: i64) -> bool {
        self.read_upto = self.read_upto.max(id);
        let before = self.unread;
        self.unread = self.entries.iter().filter(|e| self.counts_as_unread(e)).count() as u32;
        before != self.unread
    }

    /// Only agents' (and the bot's) messages: a life-cycle line such as
    /// "Ada joined" is no message to read, and would double the count.
    fn counts_as_unread(&self, entry: &Entry) -> bool {
        entry.from == Sender::Agent && entry.id.is_some_and(|id| id > self.read_upto)
    }

    /// The highest server id held: the `since` cursor for catching up.
    pub fn last_id(&self) -> Option<i64> {
        self.server_entries().last().and_then(|e| e.id)
    }

    /// The server messages, in id order: every entry before the pending and
    /// failed ones (which have no id and are kept last).
    fn server_entries(&self) -> &[Entry] {
        &self.entries[..self.entries.partition_point(|e| e.id.is_some())]
    }

    /// Adds the visitor's own message, pending, after everything else.
    pub fn add_pending(&mut self, client_id: String, text: String, created_at: f64) -> usize {
        self.entries.push(Entry {
            id: None,
            client_id: Some(client_id),
            from: Sender::Visitor,
            text,
            agent_name: None,
            event: None,
            created_at,
            delivery: Delivery::Pending,
        });
        self.entries.len() - 1
    }

    /// Sets the delivery state of a pending message by client id.
    pub fn set_delivery(&mut self, client_id: &str, delivery: Delivery) -> Change {
        match self.entries.iter().position(|e| e.id.is_none() && e.client_id.as_deref() == Some(client_id)) {
            Some(i) if self.entries[i].delivery != delivery => {
                self.entries[i].delivery = delivery;
                Change::Updated(i)
            }
            _ => Change::None,
        }
    }

    /// Takes a message from the server: an acknowledgement of one of ours, a
    /// duplicate, or a new message. `visible` says whether the visitor can
    /// see the panel right now (if not, messages from others count as unread).
    pub fn receive(&mut self, mut entry: Entry, visible: bool) -> Change {
        entry.delivery = Delivery::Sent;
        let Some(id) = entry.id else { return Change::None };
        // A binary search, not a scan: a history page of thousands of
        // messages would otherwise cost a scan per message.
        let Err(at) = self.server_entries().binary_search_by_key(&entry.id, |e| e.id) else { return Change::None };
        // Our own message coming back: it takes its server id and moves to
        // its place in server order (still `at`, as it was after it).
        if let Some(client_id) = entry.client_id.as_deref() {
            let pending = self.server_entries().len();
            if let Some(i) = self.entries[pending..].iter().position(|e| e.client_id.as_deref() == Some(client_id)) {
                let i = pending + i;
                self.entries.remove(i);
                self.entries.insert(at, entry);
                return if at == i { Change::Updated(i) } else { Change::Moved(i, at) };
            }
        }
        if visible {
            self.read_upto = self.read_upto.max(id);
        } else if self.counts_as_unread(&entry) {
            self.unread += 1;
        }
        self.entries.insert(at, entry);
        Change::Inserted(at)
    }

    /// Forgets everything (logout, shutdown).
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An acknowledged message, as the server sends it.
    pub(crate) fn server(id: i64, from: Sender, text: &str) -> Entry {
        Entry {
            id: Some(id),
            client_id: None,
            from,
            text: text.into(),
            agent_name: None,
            event: None,
            created_at: 0.0,
            delivery: Delivery::Sent,
        }
    }

    fn ids(chat: &Chat) -> Vec<Option<i64>> {
        chat.entries().iter().map(|e| e.id).collect()
    }

    #[test]
    fn keeps_server_order_and_dedupes() {
        let mut chat = Chat::default();
        assert_eq!(chat.receive(server(2, Sender::Agent, "b"), true), Change::Inserted(0));
        assert_eq!(chat.receive(server(1, Sender::Agent, "a"), true), Change::Inserted(0));
        assert_eq!(chat.receive(server(3, Sender::Agent, "c"), true), Change::Inserted(2));
        assert_eq!(chat.receive(server(2, Sender::Agent, "b"), true), Change::None);
        assert_eq!(ids(&chat), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(chat.last_id(), Some(3));
    }

    #[test]
    fn pending_messages_stay_last_until_acknowledged() {
        let mut chat = Chat::default();
        chat.receive(server(1, Sender::Agent, "hi"), true);
        let i = chat.add_pending("c1".into(), "hello".into(), 0.0);
        assert_eq!(i, 1);
        chat.receive(server(2, Sender::Agent, "still there?"), true);
        assert_eq!(ids(&chat), vec![Some(1), Some(2), None]);
        // The ack carries id 3: our message keeps its place (now last in order).
        let mut ack = server(3, Sender::Visitor, "hello");
        ack.client_id = Some("c1".into());
        assert_eq!(chat.receive(ack.clone(), true), Change::Updated(2));
        assert_eq!(ids(&chat), vec![Some(1), Some(2), Some(3)]);
        assert_eq!(chat.entries()[2].delivery, Delivery::Sent);
        // A second ack (a retry, or the WebSocket echo) changes nothing.
        assert_eq!(chat.receive(ack, true), Change::None);
        assert_eq!(chat.entries().len(), 3);
    }

    #[test]
    fn ack_moves_a_message_before_later_server_messages() {
        let mut chat = Chat::default();
        chat.add_pending("c1".into(), "first".into(), 0.0);
        chat.receive(server(5, Sender::Agent, "reply"), true);
        let mut ack = server(4, Sender::Visitor, "first");
        ack.client_id = Some("c1".into());
        // The UI must take the pending row away, not only add the sent one.
        assert_eq!(chat.receive(ack, true), Change::Moved(1, 0));
        assert_eq!(ids(&chat), vec![Some(4), Some(5)]);
    }

    #[test]
    fn failed_and_retried_states() {
        let mut chat = Chat::default();
        chat.add_pending("c1".into(), "x".into(), 0.0);
        assert_eq!(chat.set_delivery("c1", Delivery::Failed("too long".into())), Change::Updated(0));
        assert_eq!(chat.set_delivery("c1", Delivery::Failed("too long".into())), Change::None);
        assert_eq!(chat.set_delivery("c1", Delivery::Pending), Change::Updated(0));
        assert_eq!(chat.set_delivery("nope", Delivery::Pending), Change::None);
    }

    #[test]
    fn unread_counts_only_agent_messages_while_hidden() {
        let mut chat = Chat::default();
        chat.receive(server(1, Sender::Agent, "a"), false);
        chat.receive(server(2, Sender::Visitor, "mine from another tab"), false);
        chat.receive(server(3, Sender::System, "s"), false);
        chat.receive(server(4, Sender::Agent, "seen"), true);
        assert_eq!(chat.unread(), 1);
        assert!(chat.mark_read());
        assert!(!chat.mark_read());
        assert_eq!(chat.unread(), 0);
        assert_eq!(chat.read_upto(), 4);
    }

    #[test]
    fn read_marker_survives_reloads_and_tabs() {
        // A reload fetches history: what was read before is not unread again.
        let mut chat = Chat::default();
        chat.set_read_upto(2);
        for id in 1..=4 {
            chat.receive(server(id, Sender::Agent, "x"), false);
        }
        assert_eq!(chat.unread(), 2);
        // Another tab read up to 3.
        assert!(chat.set_read_upto(3));
        assert_eq!(chat.unread(), 1);
        // An older marker from a slow tab changes nothing.
        assert!(!chat.set_read_upto(1));
        assert_eq!(chat.read_upto(), 3);
    }
}
