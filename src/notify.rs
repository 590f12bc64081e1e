//! Decisions behind bringing the visitor back to the chat: when a chime
//! plays, what the tab's title says, which message the preview shows.
//!
//! Pure logic, unit-tested natively; `widget::engage` does what these say.

use crate::chat::{Chat, Entry};
use crate::digits::int;
use crate::i18n::Strings;
use crate::protocol::Sender;

/// What decides a chime for a new agent message.
pub struct ChimeCheck {
    /// The `sound` config field.
    pub sound: bool,
    /// The visitor's mute toggle.
    pub muted: bool,
    /// A click or key in the widget since the page loaded: browsers refuse
    /// audio before an interaction, and a sound nobody asked for is rude.
    pub interacted: bool,
    /// The panel is open in a visible tab: the visitor sees the message.
    pub watching: bool,
}

impl ChimeCheck {
    pub fn due(&self) -> bool {
        self.sound && !self.muted && self.interacted && !self.watching
    }
}

/// `(N) New message`: the tab's title while unread messages wait.
pub fn alert_title(strings: &Strings, unread: u32) -> String {
    ["(", &int(unread.into()), ") ", strings.new_message].concat()
}

/// The tab's title while it flashes: the page's own title alternating with
/// an alert. The page may set its title meanwhile: a title that is not the
/// one last written is the page's, and is the one restored.
#[derive(Debug, PartialEq)]
pub struct TitleFlash {
    /// The page's own title, as the page last set it.
    page: String,
    /// What the widget last wrote.
    written: String,
}

impl TitleFlash {
    /// Starts from the title the page shows now.
    pub fn new(current: String) -> Self {
        Self { written: current.clone(), page: current }
    }

    /// The title to write on the next flash, given the one shown now.
    pub fn next(&mut self, current: &str, alert: &str) -> &str {
        if current != self.written {
            self.page = current.to_string();
        }
        self.written = if current == self.page { alert } else { &self.page }.to_string();
        &self.written
    }

    /// The title to write when flashing stops: the page's own, unless the
    /// page set one since the last flash (then it is shown already).
    pub fn restore(&self, current: &str) -> Option<&str> {
        (current == self.written && current != self.page).then_some(&self.page)
    }
}

/// The message the preview bubble shows: the latest agent message, when it
/// is unread and newer than the one the visitor dismissed (by server id).
pub fn preview(chat: &Chat, dismissed: i64) -> Option<&Entry> {
    let latest = chat.entries().iter().rev().find(|e| e.from == Sender::Agent)?;
    let id = latest.id?;
    (id > chat.read_upto() && id > dismissed).then_some(latest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::tests::server as message;
    use crate::i18n::Locale;

    #[test]
    fn a_chime_needs_sound_no_mute_an_interaction_and_an_absent_visitor() {
        let check = |sound, muted, interacted, watching| ChimeCheck { sound, muted, interacted, watching }.due();
        assert!(check(true, false, true, false));
        assert!(!check(false, false, true, false), "sound off");
        assert!(!check(true, true, true, false), "muted");
        assert!(!check(true, false, false, false), "no interaction yet");
        assert!(!check(true, false, true, true), "the visitor sees the message");
    }

    #[test]
    fn alert_titles_count_in_each_locale() {
        assert_eq!(alert_title(Locale::EnUs.strings(), 1), "(1) New message");
        assert_eq!(alert_title(Locale::EnUs.strings(), 3), "(3) New message");
        assert_eq!(alert_title(Locale::ZhCn.strings(), 2), "(2) 条新消息");
    }

    #[test]
    fn the_title_alternates_and_the_pages_own_comes_back() {
        let mut flash = TitleFlash::new("Shop".into());
        assert_eq!(flash.next("Shop", "(1) New message"), "(1) New message");
        assert_eq!(flash.next("(1) New message", "(2) New message"), "Shop");
        assert_eq!(flash.next("Shop", "(2) New message"), "(2) New message");
        assert_eq!(flash.restore("(2) New message"), Some("Shop"));
        // Stopped while the page's own title shows: nothing to write.
        assert_eq!(flash.restore("Shop"), None);
    }

    #[test]
    fn a_title_the_page_set_meanwhile_is_the_one_kept() {
        let mut flash = TitleFlash::new("Shop".into());
        flash.next("Shop", "(1) New message");
        // The page set its title while the alert showed.
        assert_eq!(flash.restore("Cart (2)"), None);
        assert_eq!(flash.next("Cart (2)", "(1) New message"), "(1) New message");
        assert_eq!(flash.next("(1) New message", "(1) New message"), "Cart (2)");
        flash.next("Cart (2)", "(1) New message");
        assert_eq!(flash.restore("(1) New message"), Some("Cart (2)"));
    }

    #[test]
    fn the_preview_is_the_latest_unread_agent_message_until_dismissed() {
        let mut chat = Chat::default();
        let text = |chat: &Chat, dismissed| preview(chat, dismissed).map(|e| e.text.clone());
        assert_eq!(text(&chat, 0), None);
        chat.receive(message(1, Sender::Agent, "Hello"), false);
        chat.receive(message(2, Sender::Agent, "Can I help?"), false);
        chat.receive(message(3, Sender::Visitor, "Yes"), false);
        assert_eq!(text(&chat, 0).as_deref(), Some("Can I help?"));
        assert_eq!(text(&chat, 2), None, "dismissed");
        chat.receive(message(4, Sender::Agent, "Sure"), false);
        assert_eq!(text(&chat, 2).as_deref(), Some("Sure"), "a newer message shows again");
        chat.mark_read();
        assert_eq!(text(&chat, 0), None, "read");
    }
}
