//! The conversation's life cycle as this page lives it: which conversation
//! is open, ending it (the header menu's End chat, confirmed; `endChat()`),
//! what the server's life-cycle messages mean for the page
//! (`conversationStarted`, `agentJoined`, `conversationEnded`), the site's
//! availability, the agent's typing, the rating card, and `getState()`.
//!
//! Events are emitted for what happens while the page lives: a life-cycle
//! message is acted on once, when it is first shown, whichever path brought
//! it (socket, catch-up, polling); history loaded at start shows its lines
//! but announces nothing.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{resolve_locale, Widget};
use crate::events;
use crate::js::{object, string_or};
use crate::protocol::{Availability, AvailabilityState, ConversationEvent, Rating, RatingScale, RATING_CHANGE_SECS};
use crate::session::machine::{Failure, Input};
use crate::session::wire::{self, Info};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = queueMicrotask)]
    fn queue_microtask(callback: &JsValue);
}

#[derive(Default)]
pub(super) struct Life {
    /// The newest conversation this page knows of, and whether it is open.
    conversation: Option<i64>,
    open: bool,
    /// `None` until the server (or mock mode) says.
    availability: Option<Availability>,
    /// The scale the site asks ratings on; `None`: no rating.
    pub(super) scale: Option<RatingScale>,
    /// The conversation the rating card is for, and its rating once stored.
    card: Option<(i64, Option<Rating>)>,
    /// An agent is typing: the page hears of changes only.
    typing: bool,
}

impl Widget {
    /// A conversation the server named (handshake, hello, a frame, a page,
    /// an answer). A newer one takes the place of the one known, and is
    /// `conversationStarted` when `announce` (not the one the page loaded
    /// with); an older one is history.
    pub(super) fn conversation_is(&mut self, id: i64, open: bool, announce: bool) {
        let life = &mut self.life;
        match life.conversation {
            Some(known) if id < known => return,
            // Conversations do not open again once closed.
            Some(known) if id == known => life.open &= open,
            _ => {
                life.conversation = Some(id);
                life.open = open;
                if announce && open {
                    events::emit("conversationStarted", object(&[("conversationId", id_value(id))]));
                }
                if life.card.take().is_some() {
                    self.ui.hide_rating();
                }
            }
        }
        self.ui.set_can_end(self.life.open);
    }

    /// A new session (another visitor): no conversation known yet.
    pub(super) fn forget_conversation(&mut self) {
        self.life.conversation = None;
        self.life.open = false;
        self.life.card = None;
        self.ui.hide_rating();
        self.ui.set_can_end(false);
    }

    /// What a page or a `conversation` frame says of the conversation.
    pub(super) fn conversation_info(&mut self, info: Info) {
        self.conversation_is(info.id, info.open, true);
        if !info.open && self.life.conversation == Some(info.id) {
            self.offer_rating(info.id, info.rating);
        }
    }

    /// A life-cycle message shown for the first time: its event, when
    /// `announce` (not history loaded at start), and what it changes.
    pub(super) fn life_message(
        &mut self,
        event: ConversationEvent,
        agent_name: Option<String>,
        conversation_id: Option<i64>,
        announce: bool,
    ) {
        let Some(id) = conversation_id else { return };
        let by = event.ended_by();
        self.conversation_is(id, by.is_none(), announce);
        if announce {
            let agent = string_or(&agent_name, JsValue::UNDEFINED);
            let (name, detail) = match by {
                None => ("agentJoined", ("agentName", agent)),
                Some(by) => ("conversationEnded", ("by", by.as_str().into())),
            };
            events::emit(name, object(&[("conversationId", id_value(id)), detail]));
        }
        if by.is_some() && self.life.conversation == Some(id) {
            self.offer_rating(id, None);
        }
    }

    /// The rating card for an ended conversation, when the site asks for
    /// ratings: asking while it has none, thanks once one is stored. Asked
    /// again (every poll brings the conversation), it keeps what it shows.
    fn offer_rating(&mut self, id: i64, rating: Option<Rating>) {
        let Some(scale) = self.life.scale else { return };
        match (&self.life.card, rating) {
            (Some((card, stored)), Some(rating)) if *card == id => {
                if stored.as_ref() != Some(&rating) {
                    self.thank(rating);
                }
            }
            (Some((card, _)), None) if *card == id => {}
            (_, None) => {
                self.ui.ask_rating(scale, None, "");
                self.life.card = Some((id, None));
            }
            // Rated before this page: nothing to ask.
            (_, Some(rating)) => self.life.card = Some((id, Some(rating))),
        }
    }

    /// Thanks for a stored rating, with Change within the day it may change.
    fn thank(&mut self, rating: Rating) {
        let given = js_sys::Date::parse(&rating.created_at);
        let can_change = js_sys::Date::now() < given + RATING_CHANGE_SECS as f64 * 1000.0;
        self.ui.thank_rating(rating.scale, rating.score, can_change);
        self.life.card = Some((rating.conversation_id, Some(rating)));
    }

    /// The card's submit: the score and comment it holds, for its conversation.
    pub(super) fn rate(&mut self) {
        let (Some((id, _)), Some(scale)) = (&self.life.card, self.life.scale) else { return };
        let (Some(score), comment) = self.ui.rating_choice() else { return };
        if let Some(session) = &self.session {
            session.conclude(*id, &wire::rating_body(scale, score, &comment));
        }
    }

    /// Change: the card asks again, with the stored choice.
    pub(super) fn change_rating(&mut self) {
        if let Some((_, Some(rating))) = &self.life.card {
            self.ui.ask_rating(rating.scale, Some(rating.score), rating.comment.as_deref().unwrap_or(""));
        }
    }

    /// The server's answer to a rating.
    pub(super) fn rated(&mut self, answer: Result<JsValue, Failure>) {
        match answer.and_then(|json| wire::rated(&json).ok_or_else(wire::bad_response)) {
            Ok(rating) => {
                events::emit(
                    "rating",
                    object(&[
                        ("conversationId", id_value(rating.conversation_id)),
                        ("scale", rating.scale.as_str().into()),
                        ("score", rating.score.into()),
                        ("comment", string_or(&rating.comment, JsValue::UNDEFINED)),
                    ]),
                );
                self.thank(rating);
            }
            Err(failure) => {
                self.ui.rating_failed(&failure.describe());
                super::session::emit_failure(&failure);
            }
        }
    }

    /// Ends the open conversation, if there is one (`endChat()`, and the
    /// menu's End chat once confirmed).
    pub(super) fn end_chat(&mut self) {
        if let (Some(id), true, Some(session)) = (self.life.conversation, self.life.open, &self.session) {
            session.conclude(id, &JsValue::UNDEFINED);
        }
    }

    /// The server's answer to ending the conversation: closed here at once;
    /// its `endedByVisitor` line comes as a message (fetched now, for a page
    /// without a socket).
    pub(super) fn left(&mut self, answer: Result<JsValue, Failure>) {
        match answer {
            Ok(_) => {
                if let Some(id) = self.life.conversation {
                    self.conversation_is(id, false, true);
                }
                self.feed(Input::Resync);
            }
            Err(failure) => {
                self.ui.set_hint(Some(&failure.describe()));
                super::session::emit_failure(&failure);
            }
        }
    }

    /// The site's availability: the header, the offline note, the event.
    pub(super) fn set_availability(&mut self, availability: Availability) {
        if self.life.availability.as_ref() == Some(&availability) {
            return;
        }
        self.ui.set_availability(availability.state, availability.next_open_at.clone());
        self.life.availability = Some(availability);
        self.show_notice();
        events::emit("availability", self.availability_payload());
    }

    /// Offline: the site's offline message (else the widget's) above the composer.
    pub(super) fn show_notice(&self) {
        let offline = self.life.availability.as_ref().is_some_and(|a| a.state == AvailabilityState::Offline);
        let text = self.remote.offline_message.as_deref().unwrap_or(self.ui.strings().offline_note);
        self.ui.set_notice(offline.then_some(text));
    }

    /// `{state, nextOpenAt?}`, or null until it is known.
    pub(super) fn availability_payload(&self) -> JsValue {
        self.life.availability.as_ref().map_or(JsValue::NULL, |a| {
            object(&[
                ("state", a.state.as_str().into()),
                ("nextOpenAt", string_or(&a.next_open_at, JsValue::UNDEFINED)),
            ])
        })
    }

    /// An agent started or stopped typing: told to the page on change.
    pub(super) fn agent_typing(&mut self, active: bool) {
        if self.life.typing != active {
            self.life.typing = active;
            events::emit("typing", object(&[("from", "agent".into()), ("active", active.into())]));
        }
    }

    /// `getState()`: returned, and given to `callback` (on a microtask,
    /// outside the widget's call stack) when it is a function.
    pub(super) fn get_state(&self, callback: &JsValue) -> JsValue {
        let open_conversation = self.life.conversation.filter(|_| self.life.open);
        let state = object(&[
            ("open", self.open.into()),
            ("unread", self.chat.unread().into()),
            ("conversationId", open_conversation.map_or(JsValue::NULL, id_value)),
            ("availability", self.availability_payload()),
            ("connection", self.connection.map_or(JsValue::NULL, |c| c.as_str().into())),
            ("locale", resolve_locale(&self.config, self.chosen_locale, self.remote.locale.as_deref()).tag().into()),
            ("externalUserId", string_or(&self.config.external_user_id, JsValue::NULL)),
        ]);
        if let Some(callback) = callback.dyn_ref::<js_sys::Function>() {
            queue_microtask(&callback.bind1(&JsValue::NULL, &state).into());
        }
        state
    }
}

fn id_value(id: i64) -> JsValue {
    JsValue::from_f64(id as f64)
}
