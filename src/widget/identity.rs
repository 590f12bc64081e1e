//! The widget's side of identity (decided in `crate::identity`): the
//! `identify()` command, forgetting the previous visitor, and going on
//! anonymously when the server refuses a user id.

use wasm_bindgen::JsValue;

use super::stored::{new_visitor_id, READ_KEY, USER_KEY};
use super::Widget;
use crate::identity::{self, Change};
use crate::page::object_layer;
use crate::session::machine::{Failure, Input};
use crate::session::wire;
use crate::{config, events, js, log, outbox, storage};

impl Widget {
    /// `identify(profile)`: login, logout (`externalUserId: null`), a switch
    /// of user, or new profile fields. A change of user starts a new session
    /// with an empty view; logout also forgets everything this browser kept
    /// for the old user and rotates the anonymous id, so the next person on
    /// a shared device sees nothing of the last one.
    pub(super) fn identify(&mut self, arg: &JsValue) {
        let (update, problems) = config::identity(&object_layer(arg).layer);
        for problem in &problems {
            log::warn(&["identify(): ", &problem.message()].concat());
        }
        match identity::identify(&mut self.config, update) {
            Change::Logout(user) => {
                storage::remove(&outbox::key(&self.config.app_key, Some(&user)));
                // The new session forgets the user's local state.
                self.restart_session();
            }
            Change::User => self.restart_session(),
            Change::Profile if self.refused => self.restart_session(),
            Change::Profile => {
                let body = self.handshake_body();
                let link = self.config.link.is_some();
                if let Some(session) = &mut self.session {
                    session.set_handshake_body(body, link);
                }
                self.feed(Input::Renew);
            }
        }
        let profile = &self.config.profile;
        let text = |v| js::string_or(v, JsValue::NULL);
        events::emit(
            "identify",
            js::object(&[
                ("externalUserId", text(&self.config.external_user_id)),
                ("nickname", text(&profile.nickname)),
                ("avatar", text(&profile.avatar)),
                ("email", text(&profile.email)),
                ("phone", text(&profile.phone)),
            ]),
        );
    }

    /// At the start of a session: when this browser last had another user
    /// (or none) than now, the view, the read marker and the anonymous id
    /// go. Outboxes are kept per user, so nothing unsent is ever sent as
    /// someone else. Then the current user is remembered.
    pub(super) fn forget_previous_visitor(&mut self) {
        let user_key = [USER_KEY, &self.config.app_key].concat();
        let last_user = storage::get(&user_key);
        if identity::another_visitor(last_user.as_deref(), self.config.external_user_id.as_deref()) {
            storage::remove(&[READ_KEY, &self.config.app_key].concat());
            new_visitor_id();
            self.chat.clear();
            self.ui.clear_messages();
            self.announce_unread();
        }
        match &self.config.external_user_id {
            Some(user) => storage::set(&user_key, user),
            None => storage::remove(&user_key),
        }
    }

    /// The server refused the session. If it refused the signed-in user's
    /// identity, the visitor goes on anonymously in a new session, showing
    /// nothing of that user, and returns true. What they wrote meanwhile is
    /// theirs: it moves to the anonymous outbox, to be sent as the visitor
    /// they still are.
    pub(super) fn continue_anonymously(&mut self, failure: &Failure) -> bool {
        let Some(user) = identity::drop_refused_user(&mut self.config, wire::refusal(failure)) else { return false };
        events::error(
            &failure.code(),
            &["identity not verified, continuing anonymously: ", &failure.describe()].concat(),
        );
        let app_key = &self.config.app_key;
        let refused = outbox::key(app_key, Some(&user));
        let unsent = outbox::load(&refused);
        storage::remove(&refused);
        outbox::update(&outbox::key(app_key, None), |anonymous| anonymous.append(unsent));
        self.chat.clear();
        self.ui.clear_messages();
        self.start_session();
        true
    }
}
