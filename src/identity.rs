//! Who the visitor is, as the widget decides it: what an `identify()` call
//! changes, when what this browser kept belongs to someone else, and what
//! happens when the server refuses a user id. Pure and tested natively; the
//! widget performs the storage and session changes (`widget::identity`).

use crate::config::{Config, IdentityUpdate, Profile};
use crate::session::wire::Refusal;

/// What an `identify()` call changed.
#[derive(Debug, PartialEq)]
pub enum Change {
    /// The same user (or still nobody): new proofs or profile fields, which
    /// the current session sends with a renewed handshake.
    Profile,
    /// Another user: a new session in an empty view.
    User,
    /// This user signed out (`externalUserId: null`): a new anonymous
    /// session, and the user's unsent messages leave this (possibly shared)
    /// device with them.
    Logout(String),
}

/// Applies an `identify()` update. A new user id drops the old proofs, and
/// a switch between two users the old profile, so the next person's
/// profile starts empty; given fields replace current ones, left-out
/// fields stay.
pub fn identify(config: &mut Config, update: IdentityUpdate) -> Change {
    let previous = config.external_user_id.clone();
    let user_changes = update.external_user_id.as_ref().is_some_and(|id| *id != previous);
    if let Some(external_user_id) = update.external_user_id {
        config.external_user_id = external_user_id;
        config.user_hash = None;
        config.identity_token = None;
        if user_changes && previous.is_some() {
            config.profile = Profile::default();
        }
    }
    let profile = &mut config.profile;
    let given = update.profile;
    update_field(&mut profile.nickname, given.nickname);
    update_field(&mut profile.avatar, given.avatar);
    update_field(&mut profile.email, given.email);
    update_field(&mut profile.phone, given.phone);
    update_field(&mut profile.extra, given.extra);
    update_field(&mut config.user_hash, update.user_hash);
    update_field(&mut config.identity_token, update.identity_token);
    match (user_changes, previous, &config.external_user_id) {
        (false, ..) => Change::Profile,
        (true, Some(user), None) => Change::Logout(user),
        (true, ..) => Change::User,
    }
}

/// An `identify()` field: given, it replaces the current value; left out,
/// the current value stays.
fn update_field(field: &mut Option<String>, given: Option<String>) {
    if given.is_some() {
        *field = given;
    }
}

/// Whether what this browser kept (read marker, anonymous id, view) belongs
/// to another visitor: it last had a user, and now has another one or none.
/// A site may log out by navigation without calling `identify()`.
pub fn another_visitor(last_user: Option<&str>, user: Option<&str>) -> bool {
    last_user.is_some() && last_user != user
}

/// The server refused the session. When it refused the identity of a
/// signed-in user, the widget goes on as the anonymous visitor: the user id
/// and its proofs are dropped, and the user is returned. Any other refusal
/// changes nothing.
pub fn drop_refused_user(config: &mut Config, refusal: Refusal) -> Option<String> {
    if refusal != Refusal::Identity || config.external_user_id.is_none() {
        return None;
    }
    config.user_hash = None;
    config.identity_token = None;
    config.external_user_id.take()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Raw, RawLayer};

    fn config(layer: &[(&str, Raw)]) -> Config {
        let mut layer: RawLayer = layer.iter().map(|(name, raw)| (name.to_string(), raw.clone())).collect();
        layer.push(("appKey".into(), Raw::Text("sk_test".into())));
        config::merge(&[layer], &[], |_| None).0.expect("a valid config")
    }

    fn update(layer: &[(&str, Raw)]) -> IdentityUpdate {
        let layer: RawLayer = layer.iter().map(|(name, raw)| (name.to_string(), raw.clone())).collect();
        config::identity(&layer).0
    }

    fn text(value: &str) -> Raw {
        Raw::Text(value.into())
    }

    const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1XzEifQ.c2lnbmF0dXJl";
    const HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn profile_fields_update_the_same_user() {
        let mut config =
            config(&[("externalUserId", text("u_1")), ("nickname", text("Ann")), ("userHash", text(HASH))]);
        let change =
            identify(&mut config, update(&[("externalUserId", text("u_1")), ("email", text("a@example.com"))]));
        assert_eq!(change, Change::Profile);
        assert_eq!(config.profile.nickname.as_deref(), Some("Ann"), "left out: kept");
        assert_eq!(config.profile.email.as_deref(), Some("a@example.com"));
        assert_eq!(config.user_hash, None, "the id was given again without its proof");
        let change = identify(&mut config, update(&[("userHash", text(HASH))]));
        assert_eq!(change, Change::Profile);
        assert_eq!(config.user_hash.as_deref(), Some(HASH));
    }

    #[test]
    fn a_first_sign_in_keeps_the_anonymous_profile() {
        let mut config = config(&[("nickname", text("Guest"))]);
        let change = identify(&mut config, update(&[("externalUserId", text("u_1")), ("userHash", text(HASH))]));
        assert_eq!(change, Change::User);
        assert_eq!(config.external_user_id.as_deref(), Some("u_1"));
        assert_eq!(config.user_hash.as_deref(), Some(HASH));
        assert_eq!(config.profile.nickname.as_deref(), Some("Guest"));
    }

    #[test]
    fn a_switch_of_user_starts_from_an_empty_profile_without_the_old_proofs() {
        let mut config = config(&[
            ("externalUserId", text("u_1")),
            ("userHash", text(HASH)),
            ("nickname", text("Ann")),
            ("email", text("ann@example.com")),
        ]);
        let change = identify(&mut config, update(&[("externalUserId", text("u_2")), ("nickname", text("Bob"))]));
        assert_eq!(change, Change::User);
        assert_eq!(config.external_user_id.as_deref(), Some("u_2"));
        assert_eq!(config.user_hash, None);
        assert_eq!(config.profile, Profile { nickname: Some("Bob".into()), ..Profile::default() });
    }

    #[test]
    fn logout_names_the_user_who_left() {
        let mut config =
            config(&[("externalUserId", text("u_1")), ("userHash", text(HASH)), ("nickname", text("Ann"))]);
        let change = identify(&mut config, update(&[("externalUserId", Raw::Null)]));
        assert_eq!(change, Change::Logout("u_1".into()));
        assert_eq!((config.external_user_id, config.user_hash), (None, None));
        assert_eq!(config.profile, Profile::default());
        let mut anonymous = self::config(&[]);
        assert_eq!(identify(&mut anonymous, update(&[("externalUserId", Raw::Null)])), Change::Profile);
    }

    #[test]
    fn kept_state_belongs_to_another_visitor_only_after_a_user() {
        assert!(!another_visitor(None, None));
        assert!(!another_visitor(None, Some("u_1")), "a first sign-in keeps the anonymous visitor's");
        assert!(!another_visitor(Some("u_1"), Some("u_1")));
        assert!(another_visitor(Some("u_1"), Some("u_2")));
        assert!(another_visitor(Some("u_1"), None), "a logout by navigation");
    }

    #[test]
    fn a_refused_identity_continues_anonymously() {
        let mut config =
            config(&[("externalUserId", text("u_1")), ("userHash", text(HASH)), ("nickname", text("Ann"))]);
        assert_eq!(drop_refused_user(&mut config, Refusal::Other), None);
        assert_eq!(config.external_user_id.as_deref(), Some("u_1"));
        assert_eq!(drop_refused_user(&mut config, Refusal::Identity), Some("u_1".into()));
        assert_eq!((&config.external_user_id, &config.user_hash, &config.identity_token), (&None, &None, &None));
        assert_eq!(config.profile.nickname.as_deref(), Some("Ann"), "what the visitor said about themselves stays");
        assert_eq!(drop_refused_user(&mut config, Refusal::Identity), None, "already anonymous");
        // A token without a user id that is refused is a refusal like any
        // other: the token stays for the next try.
        let mut token_only = self::config(&[("identityToken", text(TOKEN))]);
        assert_eq!(drop_refused_user(&mut token_only, Refusal::Identity), None);
        assert_eq!(token_only.identity_token.as_deref(), Some(TOKEN));
    }
}
