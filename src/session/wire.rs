//! The visitor protocol as the widget speaks it: every path, body and
//! client frame it sends, and every answer and server frame it reads,
//! decoded into typed values. Field names come from `crate::protocol`,
//! next to the types the server serializes; no other widget module names
//! one. The golden fixtures (`tests/fixtures/wire/`, written by the
//! server's serde) are decoded and compared here by `tests/wire.rs`.
//!
//! JSON is parsed by the browser (`JSON.parse`): serde would roughly double
//! the wasm. Unknown fields are ignored; a required field of the wrong
//! shape makes the whole answer unreadable (`None`, which the caller turns
//! into a `bad_response` failure), never a panic or a guessed success.

use wasm_bindgen::JsValue;

use super::machine::Failure;
use crate::chat::{Delivery, Entry};
use crate::config::Profile;
use crate::digits::int;
use crate::js::{get, get_int, get_string, object, string_or};
use crate::protocol::{
    clip_chars, Availability, AvailabilityState, ClientFrame, Conversation, ConversationEvent, ConversationResponse,
    ConversationStatus, ErrorBody, ErrorCode, ErrorEnvelope, HandshakeRequest, HandshakeResponse, Message, MessagePage,
    PageInfo, Profile as Fields, Rating, RatingRequest, RatingResponse, RatingScale, RemoteConfig, SendMessageRequest,
    SendMessageResponse, Sender, ServerFrame, CONVERSATIONS_PATH, MAX_PAGE_LIMIT, MAX_TIMEZONE_CHARS, MAX_TITLE_CHARS,
    MAX_URL_CHARS, MESSAGES_PATH_END, TOKEN_TTL_SECS,
};

// ---------------------------------------------------------------------------
// Requests and client frames
// ---------------------------------------------------------------------------

/// What a handshake tells the server, as the widget holds it.
pub struct HandshakeBody<'a> {
    pub app_key: &'a str,
    pub external_user_id: &'a Option<String>,
    pub user_hash: &'a Option<String>,
    pub identity_token: &'a Option<String>,
    /// A standalone link's `{u, nick, t, s}`, as JSON text.
    pub link: &'a Option<String>,
    pub visitor_id: String,
    pub fingerprint: &'a Option<String>,
    pub profile: &'a Profile,
    pub locale: &'a str,
    /// The IANA name; one over the server's limit is left out (a cut name
    /// names another zone, or none).
    pub timezone: Option<String>,
    /// Cut to the server's limits here: it only informs agents, and a
    /// shop's title or a tracking URL is often longer.
    pub page: PageInfo,
}

impl HandshakeBody<'_> {
    pub fn encode(self) -> JsValue {
        let text = |v| string_or(v, JsValue::UNDEFINED);
        // JSON text given by the page, already validated: parsed, not copied.
        let json = |v: &Option<String>| {
            v.as_deref().and_then(|json| js_sys::JSON::parse(json).ok()).unwrap_or(JsValue::UNDEFINED)
        };
        // `clip_chars`, not `chars().count()`, which brings a counter of its own.
        let clip = |v: &Option<String>, max| v.as_deref().map_or(JsValue::UNDEFINED, |v| clip_chars(v, max).into());
        let timezone = self.timezone.filter(|zone| clip_chars(zone, MAX_TIMEZONE_CHARS) == zone);
        let (page, profile) = (&self.page, self.profile);
        object(&[
            (HandshakeRequest::APP_KEY, self.app_key.into()),
            (HandshakeRequest::EXTERNAL_USER_ID, text(self.external_user_id)),
            (HandshakeRequest::USER_HASH, text(self.user_hash)),
            (HandshakeRequest::IDENTITY_TOKEN, text(self.identity_token)),
            (HandshakeRequest::LINK, json(self.link)),
            (HandshakeRequest::VISITOR_ID, self.visitor_id.into()),
            (HandshakeRequest::FINGERPRINT, text(self.fingerprint)),
            (Fields::NICKNAME, text(&profile.nickname)),
            (Fields::AVATAR, text(&profile.avatar)),
            (Fields::EMAIL, text(&profile.email)),
            (Fields::PHONE, text(&profile.phone)),
            (Fields::EXTRA, json(&profile.extra)),
            (HandshakeRequest::LOCALE, self.locale.into()),
            (HandshakeRequest::TIMEZONE, text(&timezone)),
            (
                HandshakeRequest::PAGE,
                object(&[
                    (PageInfo::URL, clip(&page.url, MAX_URL_CHARS)),
                    (PageInfo::REFERRER, clip(&page.referrer, MAX_URL_CHARS)),
                    (PageInfo::TITLE, clip(&page.title, MAX_TITLE_CHARS)),
                ]),
            ),
        ])
    }
}

/// The body of a message sent with `POST` [`CONVERSATIONS_PATH`].
pub fn post_body(client_id: &str, text: &str) -> JsValue {
    object(&[(SendMessageRequest::CLIENT_MSG_ID, client_id.into()), (SendMessageRequest::TEXT, text.into())])
}

/// The path of the messages of a conversation after `since`, a full page.
pub fn messages_path(conversation_id: i64, since: i64) -> String {
    let limit = int(MAX_PAGE_LIMIT.into());
    [&conversation_path(conversation_id, MESSAGES_PATH_END), "?since=", &int(since), "&limit=", &limit].concat()
}

/// `/conversations/{id}` then `end` (`LEAVE_PATH_END`, `RATING_PATH_END`...).
pub fn conversation_path(conversation_id: i64, end: &str) -> String {
    [CONVERSATIONS_PATH, "/", &int(conversation_id), end].concat()
}

/// A `RatingRequest`: a blank comment is left out (the server reads it as none).
pub fn rating_body(scale: RatingScale, score: u8, comment: &str) -> JsValue {
    let comment = comment.trim();
    object(&[
        (RatingRequest::SCALE, scale.as_str().into()),
        (RatingRequest::SCORE, score.into()),
        (RatingRequest::COMMENT, if comment.is_empty() { JsValue::UNDEFINED } else { comment.into() }),
    ])
}

/// The [`post_body`]'s message as a socket frame, answered by an `ack` or
/// an `error` naming its client id.
pub fn message_frame(client_id: &str, text: &str) -> JsValue {
    object(&[
        (ClientFrame::TYPE, ClientFrame::TYPE_MESSAGE.into()),
        (ClientFrame::CLIENT_MSG_ID, client_id.into()),
        (ClientFrame::TEXT, text.into()),
    ])
}

pub fn ping_frame() -> JsValue {
    object(&[(ClientFrame::TYPE, ClientFrame::TYPE_PING.into())])
}

/// Renews the socket's authorization with a fresh token.
pub fn auth_frame(token: &str) -> JsValue {
    object(&[(ClientFrame::TYPE, ClientFrame::TYPE_AUTH.into()), (ClientFrame::TOKEN, token.into())])
}

pub fn typing_frame(conversation_id: i64, active: bool) -> JsValue {
    object(&[
        (ClientFrame::TYPE, ClientFrame::TYPE_TYPING.into()),
        (ClientFrame::CONVERSATION_ID, JsValue::from_f64(conversation_id as f64)),
        (ClientFrame::ACTIVE, active.into()),
    ])
}

// ---------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------

/// What a handshake (or identify) answer says.
pub struct Handshake {
    /// The token and its lifetime in ms; `None` when the site is switched off.
    pub token: Option<(String, f64)>,
    pub conversation_id: Option<i64>,
    pub config: Remote,
}

pub fn handshake(json: &JsValue) -> Option<Handshake> {
    let available = get(json, HandshakeResponse::AVAILABLE).as_bool()?;
    let token = match get_string(json, HandshakeResponse::TOKEN) {
        _ if !available => None,
        // An available site gives a token: without one the answer is broken.
        None => return None,
        Some(token) => {
            let secs = get(json, HandshakeResponse::EXPIRES_IN).as_f64();
            Some((token, secs.unwrap_or(TOKEN_TTL_SECS as f64) * 1000.0))
        }
    };
    Some(Handshake {
        token,
        conversation_id: get_int(json, HandshakeResponse::CONVERSATION_ID),
        config: remote(&get(json, HandshakeResponse::CONFIG))?,
    })
}

/// The site's remote config (`RemoteConfig`).
pub struct Remote {
    pub site_name: Option<String>,
    pub locale: Option<String>,
    pub greeting: Option<String>,
    pub offline_message: Option<String>,
    pub availability: Availability,
    /// The rating asked for after a conversation ends; `None`: none.
    pub rating: Option<RatingScale>,
    /// The `appearance` object, read as a config layer like `init`'s.
    pub appearance: JsValue,
}

pub fn remote(json: &JsValue) -> Option<Remote> {
    json.is_object().then(|| Remote {
        site_name: get_string(json, RemoteConfig::SITE_NAME),
        locale: get_string(json, RemoteConfig::LOCALE),
        greeting: get_string(json, RemoteConfig::GREETING),
        offline_message: get_string(json, RemoteConfig::OFFLINE_MESSAGE),
        availability: availability(&get(json, RemoteConfig::AVAILABILITY))
            .unwrap_or_else(|| present(get(json, RemoteConfig::ONLINE).as_bool().unwrap_or(true))),
        rating: get_string(json, RemoteConfig::RATING).and_then(|s| RatingScale::parse(&s)),
        appearance: get(json, RemoteConfig::APPEARANCE),
    })
}

/// An `Availability`; `None` when absent or of an unknown state.
pub fn availability(json: &JsValue) -> Option<Availability> {
    Some(Availability {
        state: AvailabilityState::parse(&get_string(json, Availability::STATE)?)?,
        next_open_at: get_string(json, Availability::NEXT_OPEN_AT),
    })
}

/// What a server without `availability` says: whether an agent is there.
fn present(online: bool) -> Availability {
    let state = if online { AvailabilityState::Online } else { AvailabilityState::Away };
    Availability { state, next_open_at: None }
}

/// A stored `Rating`.
pub fn rating(json: &JsValue) -> Option<Rating> {
    Some(Rating {
        conversation_id: get_int(json, Rating::CONVERSATION_ID)?,
        scale: RatingScale::parse(&get_string(json, Rating::SCALE)?)?,
        score: u8::try_from(get_int(json, Rating::SCORE)?).ok()?,
        comment: get_string(json, Rating::COMMENT),
        created_at: get_string(json, Rating::CREATED_AT)?,
        updated_at: get_string(json, Rating::UPDATED_AT)?,
    })
}

/// A `RatingResponse`: the rating as stored.
pub fn rated(json: &JsValue) -> Option<Rating> {
    rating(&get(json, RatingResponse::RATING))
}

/// A `Message`, with its conversation id.
pub fn message(json: &JsValue) -> Option<(Entry, i64)> {
    let from = Sender::parse(&get_string(json, Message::FROM)?)?;
    // `new Date(text)` parses like `Date.parse`, from the JS string as it is.
    let created_at = Some(get(json, Message::CREATED_AT))
        .filter(JsValue::is_string)
        .map(|s| js_sys::Date::new(&s).get_time())
        .filter(|t| t.is_finite());
    let entry = Entry {
        id: Some(get_int(json, Message::ID)?),
        client_id: get_string(json, Message::CLIENT_MSG_ID),
        from,
        text: get_string(json, Message::TEXT)?,
        agent_name: get_string(json, Message::AGENT_NAME),
        // An event this widget does not know shows as its `text`.
        event: get_string(json, Message::EVENT).and_then(|event| ConversationEvent::parse(&event)),
        created_at: created_at.unwrap_or_else(js_sys::Date::now),
        delivery: Delivery::Sent,
    };
    Some((entry, get_int(json, Message::CONVERSATION_ID)?))
}

/// A message with its conversation id, as the widget receives it.
pub type Received = (Entry, Option<i64>);

/// A `MessagePage`.
pub struct Page {
    pub messages: Vec<Received>,
    /// The complete cursor.
    pub next_since: i64,
    pub has_more: bool,
    /// The conversation as it is now, when the server says.
    pub conversation: Option<Info>,
}

pub fn page(json: &JsValue) -> Option<Page> {
    let messages = get(json, MessagePage::MESSAGES);
    if !js_sys::Array::is_array(&messages) {
        return None;
    }
    // Checked above: a cast, not a copy by `Array.from`. A plain loop:
    // smaller than an iterator chain's adapters.
    let array: js_sys::Array = messages.into();
    let mut list = Vec::new();
    for i in 0..array.length() {
        // One unreadable message fails the page: skipping it would move
        // the cursor past it, and it would never be shown.
        let (entry, conversation_id) = message(&array.get(i))?;
        list.push((entry, Some(conversation_id)));
    }
    Some(Page {
        messages: list,
        next_since: get_int(json, MessagePage::NEXT_SINCE)?,
        has_more: get(json, MessagePage::HAS_MORE).as_bool()?,
        conversation: conversation(&get(json, MessagePage::CONVERSATION)),
    })
}

/// A `Conversation`, as the widget needs it.
#[derive(Debug, PartialEq)]
pub struct Info {
    pub id: i64,
    pub open: bool,
    /// Who ended it, once closed.
    pub ended_by: Option<Sender>,
    /// The agent who joined it.
    pub agent_name: Option<String>,
    /// The visitor's rating of it; an unreadable one is none.
    pub rating: Option<Rating>,
}

pub fn conversation(json: &JsValue) -> Option<Info> {
    Some(Info {
        id: get_int(json, Conversation::ID)?,
        open: ConversationStatus::parse(&get_string(json, Conversation::STATUS)?)? == ConversationStatus::Open,
        ended_by: get_string(json, Conversation::ENDED_BY).and_then(|by| Sender::parse(&by)),
        agent_name: get_string(json, Conversation::AGENT_NAME),
        rating: rating(&get(json, Conversation::RATING)),
    })
}

/// A `ConversationResponse`: the visitor's open conversation, if any.
pub fn current(json: &JsValue) -> Option<Option<i64>> {
    let conversation = get(json, ConversationResponse::CONVERSATION);
    if conversation.is_null() {
        return Some(None);
    }
    self::conversation(&conversation).map(|info| info.open.then_some(info.id))
}

/// A `SendMessageResponse`: the stored message.
pub fn posted(json: &JsValue) -> Option<(Entry, i64)> {
    message(&get(json, SendMessageResponse::MESSAGE))
}

/// The failure of an answer that was not a success: the `ErrorEnvelope`'s
/// code and message, and the `Retry-After` header's seconds or else the
/// body's copy of them (cross-origin pages may not read the header).
pub fn failure(status: u16, json: &JsValue, retry_after_header: Option<u32>) -> Failure {
    let error = get(json, ErrorEnvelope::ERROR);
    let retry_after = retry_after_header.or_else(|| get(&error, ErrorBody::RETRY_AFTER_SEC).as_f64().map(|n| n as u32));
    Failure::Http {
        status,
        code: get_string(&error, ErrorBody::CODE),
        message: get_string(&error, ErrorBody::MESSAGE),
        retry_after_ms: retry_after.map(|s| f64::from(s.max(1)) * 1000.0),
    }
}

/// How the widget answers a refused session.
#[derive(Debug, PartialEq)]
pub enum Refusal {
    /// The proof of the external user id was wrong or missing.
    Identity,
    UnknownAppKey,
    Other,
}

/// The refusal a failure's code says, the code matched exactly: a code
/// this widget does not know is an ordinary refusal, never taken for
/// another that shares its prefix.
pub fn refusal(failure: &Failure) -> Refusal {
    // Constants: matching them pulls in no table of every code.
    const IDENTITY_REJECTED: &str = ErrorCode::IdentityRejected.as_str();
    const IDENTITY_UNVERIFIED: &str = ErrorCode::IdentityUnverified.as_str();
    const UNKNOWN_APP_KEY: &str = ErrorCode::UnknownAppKey.as_str();
    match failure {
        Failure::Http { code: Some(code), .. } => match code.as_str() {
            IDENTITY_REJECTED | IDENTITY_UNVERIFIED => Refusal::Identity,
            UNKNOWN_APP_KEY => Refusal::UnknownAppKey,
            _ => Refusal::Other,
        },
        _ => Refusal::Other,
    }
}

/// The code of a failure for an answer that does not decode.
pub const BAD_RESPONSE: &str = "bad_response";

/// A success whose body does not decode: a server fault, retried as one.
pub fn bad_response() -> Failure {
    Failure::Http { status: 502, code: Some(BAD_RESPONSE.into()), message: None, retry_after_ms: None }
}

// ---------------------------------------------------------------------------
// Server frames
// ---------------------------------------------------------------------------

/// The longest ping interval a `hello` may ask for, in seconds: beyond it
/// a dead socket would go unnoticed too long.
const MAX_PING_INTERVAL_SECS: i64 = 3600;

/// A server frame, as the widget reads it.
#[derive(Debug)]
pub enum Frame {
    Hello {
        conversation_id: Option<i64>,
        /// From `agentsOnline` where the server does not say.
        availability: Availability,
        /// `None` when absent or out of range (1 s to an hour).
        ping_interval_ms: Option<f64>,
    },
    Message(Entry, i64),
    /// An agent is typing (or stopped); the name when it is known.
    Typing {
        active: bool,
        agent_name: Option<String>,
    },
    Presence {
        agents_online: bool,
    },
    Availability(Availability),
    /// A conversation was created, closed or changed.
    Conversation(Info),
    /// Alive, nothing to show: `pong`, `authOk`, and `read` (an agent's
    /// read receipt, not shown).
    Alive,
    Resync,
    /// The answer to a message sent on the socket, as its `POST`'s would
    /// be: stored (an `ack`), or refused (an `error` naming it, with the
    /// status the `POST` would have had).
    Answered {
        client_id: String,
        answer: Result<(Entry, i64), Failure>,
    },
    /// The server refused the last client frame (not a message).
    Error {
        message: String,
    },
    /// A `type` this widget does not know (a newer server's).
    Unknown(String),
}

/// `None` when the frame has no `type`, or a known one with unreadable fields.
pub fn frame(json: &JsValue) -> Option<Frame> {
    let kind = get_string(json, ServerFrame::TYPE)?;
    Some(match kind.as_str() {
        ServerFrame::TYPE_HELLO => Frame::Hello {
            conversation_id: get_int(json, ServerFrame::CONVERSATION_ID),
            availability: match availability(&get(json, ServerFrame::AVAILABILITY)) {
                Some(availability) => availability,
                None => present(get(json, ServerFrame::AGENTS_ONLINE).as_bool()?),
            },
            ping_interval_ms: get_int(json, ServerFrame::PING_INTERVAL_SECS)
                .filter(|secs| (1..=MAX_PING_INTERVAL_SECS).contains(secs))
                .map(|secs| secs as f64 * 1000.0),
        },
        ServerFrame::TYPE_MESSAGE => {
            let (entry, conversation_id) = message(&get(json, ServerFrame::MESSAGE))?;
            Frame::Message(entry, conversation_id)
        }
        ServerFrame::TYPE_TYPING => Frame::Typing {
            active: get(json, ServerFrame::ACTIVE).as_bool()?,
            agent_name: get_string(json, ServerFrame::AGENT_NAME),
        },
        ServerFrame::TYPE_PRESENCE => {
            Frame::Presence { agents_online: get(json, ServerFrame::AGENTS_ONLINE).as_bool()? }
        }
        ServerFrame::TYPE_AVAILABILITY => Frame::Availability(availability(json)?),
        ServerFrame::TYPE_CONVERSATION => Frame::Conversation(conversation(&get(json, ServerFrame::CONVERSATION))?),
        ServerFrame::TYPE_PONG | ServerFrame::TYPE_AUTH_OK | ServerFrame::TYPE_READ => Frame::Alive,
        ServerFrame::TYPE_RESYNC => Frame::Resync,
        ServerFrame::TYPE_ACK => Frame::Answered {
            client_id: get_string(json, ServerFrame::CLIENT_MSG_ID)?,
            answer: message(&get(json, ServerFrame::MESSAGE)).ok_or_else(bad_response),
        },
        ServerFrame::TYPE_ERROR => match get_string(json, ServerFrame::CLIENT_MSG_ID) {
            // The frame's `error` is the POST's error envelope.
            Some(client_id) => {
                let status = get_int(json, ServerFrame::STATUS).and_then(|n| u16::try_from(n).ok())?;
                Frame::Answered { client_id, answer: Err(failure(status, json, None)) }
            }
            None => Frame::Error { message: get_string(&get(json, ServerFrame::ERROR), ErrorBody::MESSAGE)? },
        },
        _ => Frame::Unknown(kind),
    })
}
