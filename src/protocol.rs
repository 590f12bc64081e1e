//! Wire types of the Natter protocol, shared by the widget and the server.
//!
//! `docs/protocol.md` is the normative description; this module is its Rust
//! form. Everything here is plain data: no I/O, no clock, no allocation-heavy
//! helpers, so the widget can compile it to wasm without serde (it reads JSON
//! through the browser's `JSON.parse`) while the server and native tools turn
//! on the `serde` feature to get derives with the exact JSON field names.
//!
//! Layout:
//! - constants: paths, headers, subprotocols, token lifetime, limits, close
//!   codes;
//! - [`ErrorCode`] and the error envelope;
//! - REST bodies (handshake, identify, messages, config);
//! - WebSocket frames in both directions ([`ServerFrame`], [`ClientFrame`]);
//! - agent-side views ([`VisitorInfo`], [`AgentConversation`]);
//! - forms: definitions ([`Forms`]), submissions and their validation;
//! - [`JsonValue`], a dependency-free JSON tree for the free-form `extra` field.
//!
//! The JSON names the widget reads and writes are associated constants next
//! to each type (`Message::CONVERSATION_ID`, `ServerFrame::TYPE_HELLO`): the
//! widget's `session::wire` uses them, serde derives the same spelling from
//! the field names, and the golden wire fixtures (`tests/fixtures/wire/`)
//! fail when the two part.

use std::collections::BTreeMap;

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/// Prefix of every visitor REST endpoint.
pub const VISITOR_API_PREFIX: &str = "/api/v1/cs";
/// Prefix of every agent REST endpoint.
pub const AGENT_API_PREFIX: &str = "/api/v1/agent";
/// Visitor WebSocket path.
pub const WS_PATH: &str = "/ws";
/// Visitor REST paths, under [`VISITOR_API_PREFIX`].
pub const HANDSHAKE_PATH: &str = "/handshake";
pub const IDENTIFY_PATH: &str = "/identify";
pub const CONFIG_PATH: &str = "/config";
/// `POST` sends a message; `/conversations/{id}` prefixes the paths below.
pub const CONVERSATIONS_PATH: &str = "/conversations";
pub const CURRENT_CONVERSATION_PATH: &str = "/conversations/current";
/// `GET /conversations/{id}/messages?since=&limit=`, after the id.
pub const MESSAGES_PATH_END: &str = "/messages";
/// `POST /conversations/{id}/leave`, after the id.
pub const LEAVE_PATH_END: &str = "/leave";
/// `POST /api/v1/cs/conversations/{id}/rating`: the visitor's rating of an
/// ended conversation.
pub const RATING_PATH_END: &str = "/rating";
/// `PATCH`: merge key/value data into the visitor's conversation fields
/// (the open conversation's, else kept for the next one).
pub const CONVERSATION_FIELDS_PATH: &str = "/conversations/current/fields";
/// Agent WebSocket path.
pub const AGENT_WS_PATH: &str = "/api/v1/agent/ws";

/// Subprotocol a visitor WebSocket must offer; the server selects it.
pub const WS_SUBPROTOCOL: &str = "natter.v1";
/// Subprotocol an agent WebSocket must offer; the server selects it.
pub const AGENT_WS_SUBPROTOCOL: &str = "natter.agent.v1";
/// Prefix of the subprotocol carrying the visitor JWT (`jwt.<token>`):
/// browsers cannot set headers on a WebSocket, so the token rides here.
pub const JWT_SUBPROTOCOL_PREFIX: &str = "jwt.";
/// Prefix of the subprotocol carrying the agent token (`bearer.<token>`).
pub const BEARER_SUBPROTOCOL_PREFIX: &str = "bearer.";

/// Request header selecting the language of error messages (`en-US`, `zh-CN`).
pub const LOCALE_HEADER: &str = "X-Locale";
/// Request header marking the standalone-link entry: `X-CS-Entry: link`
/// skips the origin allowlist and checks the site's link settings instead.
pub const ENTRY_HEADER: &str = "X-CS-Entry";
/// The value of [`ENTRY_HEADER`] for the standalone link page.
pub const ENTRY_LINK: &str = "link";
/// Request header carrying a token: `Authorization: Bearer <token>`.
pub const AUTHORIZATION_HEADER: &str = "Authorization";
/// What precedes the token in [`AUTHORIZATION_HEADER`].
pub const BEARER_PREFIX: &str = "Bearer ";
/// Content type of every request and answer body.
pub const CONTENT_TYPE_HEADER: &str = "Content-Type";
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// Default lifetime of a signed standalone link's `t`, in seconds.
pub const LINK_TTL_SECS: u64 = 300;
/// How far in the future a link's `t` (or an identity token's `iat`/`nbf`)
/// may be before it is refused, in seconds (clock skew between servers).
pub const CLOCK_SKEW_SECS: u64 = 60;
/// Prefix of the admin API.
pub const ADMIN_API_PREFIX: &str = "/api/v1/admin";

/// Lifetime of a visitor JWT, in seconds (30 minutes).
pub const TOKEN_TTL_SECS: u64 = 30 * 60;
/// Maximum length of a message text, in Unicode scalar values.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Maximum length of a `clientMsgId`, in bytes (ASCII only).
pub const MAX_CLIENT_MSG_ID_LEN: usize = 64;
/// Maximum size of any request body, in bytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Maximum size of the serialized `extra` profile object, in bytes.
pub const MAX_EXTRA_BYTES: usize = 8 * 1024;
/// Largest set of conversation fields, as JSON.
pub const MAX_CONVERSATION_FIELDS_BYTES: usize = 8 * 1024;
/// Longest conversation field key (printable characters).
pub const MAX_FIELD_KEY_CHARS: usize = 64;
/// Maximum length of a short profile field (nickname, email, phone, ...).
pub const MAX_FIELD_CHARS: usize = 256;
/// Maximum length of a URL field (avatar, page url, referrer).
pub const MAX_URL_CHARS: usize = 2048;
/// Maximum length of a `locale` tag (`en-US`).
pub const MAX_LOCALE_CHARS: usize = 35;
/// Maximum length of a `timezone` name (`Europe/Paris`).
pub const MAX_TIMEZONE_CHARS: usize = 64;
/// Maximum length of a page title.
pub const MAX_TITLE_CHARS: usize = MAX_FIELD_CHARS;
/// Longest rating comment, in characters.
pub const MAX_RATING_COMMENT_CHARS: usize = 1000;
/// A visitor may change a rating for this long after first giving it.
pub const RATING_CHANGE_SECS: u64 = 24 * 60 * 60;
/// Most fields in one form.
pub const MAX_FORM_FIELDS: usize = 20;
/// Most options of one `select` field.
pub const MAX_FORM_OPTIONS: usize = 50;
/// Most ticket forms a site defines.
pub const MAX_TICKET_FORMS: usize = 20;
/// Longest form or field name, in bytes (see [`is_form_name`]).
pub const MAX_FORM_NAME_LEN: usize = 64;
/// A text-like field's `maxLength` when it gives none; a `textarea`'s is
/// [`DEFAULT_TEXTAREA_MAX_CHARS`]. No field may allow more than [`MAX_TEXT_CHARS`].
pub const DEFAULT_FIELD_MAX_CHARS: u32 = 200;
pub const DEFAULT_TEXTAREA_MAX_CHARS: u32 = 2000;
/// Default page size of message listings.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Largest accepted `limit` of message listings.
pub const MAX_PAGE_LIMIT: u32 = 200;
/// Interval of the polling fallback when no WebSocket is available.
pub const POLL_INTERVAL_MS: u32 = 8000;
/// Interval between server WebSocket pings (protocol ping frames).
pub const PING_INTERVAL_SECS: u32 = 25;

/// WebSocket close code: the server is shutting down; reconnect with backoff.
pub const CLOSE_GOING_AWAY: u16 = 1001;
/// WebSocket close code: the token expired or became invalid; handshake again.
pub const CLOSE_TOKEN_EXPIRED: u16 = 4001;
/// WebSocket close code: the client sent too many frames; reconnect later.
pub const CLOSE_RATE_LIMITED: u16 = 4029;
/// WebSocket close code: this token or address holds too many sockets already;
/// stay on polling and try a socket again only after the longest backoff.
pub const CLOSE_TOO_MANY_SOCKETS: u16 = 4030;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Machine-readable error codes, serialized in snake_case
/// (`"origin_denied"`). Each has one HTTP status, see [`ErrorCode::status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum ErrorCode {
    /// 400: malformed JSON, wrong types, missing or invalid field.
    BadRequest,
    /// 400: message text empty or only whitespace.
    EmptyText,
    /// 401: no token where one is required.
    TokenMissing,
    /// 401: token malformed, forged, or signed for another site.
    TokenInvalid,
    /// 401: token past its expiry.
    TokenExpired,
    /// 403: the request `Origin` is not on the site's allowlist.
    OriginDenied,
    /// 403: a proof of `externalUserId` was given and is wrong: `userHash`
    /// mismatch, `identityToken` forged, expired, malformed or for another user.
    IdentityRejected,
    /// 403: `externalUserId` came without any proof where one is required
    /// (the site enforces verification, or the user is already verified).
    IdentityUnverified,
    /// 403: a standalone link is unsigned where a signature is required,
    /// carries a wrong signature, or a `t` too far in the future.
    LinkInvalid,
    /// 403: a signed standalone link is older than the site's link TTL.
    LinkExpired,
    /// 403: the token's visitor does not own this conversation.
    Forbidden,
    /// 404: unknown route or resource.
    NotFound,
    /// 404: unknown app key.
    UnknownAppKey,
    /// 404: WebSocket upgrades are disabled on this server.
    WebsocketDisabled,
    /// 405: the path exists, the method does not.
    MethodNotAllowed,
    /// 409: `clientMsgId` reused with a different text.
    ClientMsgIdConflict,
    /// 409: the conversation is closed.
    ConversationClosed,
    /// 409: the conversation is still open (a rating needs an ended one).
    ConversationOpen,
    /// 409: the rating is older than [`RATING_CHANGE_SECS`] and can no
    /// longer be changed.
    RatingLocked,
    /// 403: the site does not ask for ratings, or asks on another scale.
    RatingDisabled,
    /// 400: a form submission names no form the site defines.
    UnknownForm,
    /// 400: a form submission failed validation; the body's `fields` names
    /// each field's problem ([`FieldError`]).
    InvalidForm,
    /// 409: the site's pre-chat form must be submitted before the first
    /// message of a conversation.
    FormRequired,
    /// 413: request body over [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// 413: message text over [`MAX_TEXT_CHARS`].
    TextTooLong,
    /// 429: rate limit hit; see `Retry-After`.
    RateLimited,
    /// 400 (WebSocket only): a frame with an unknown `type`.
    UnknownFrame,
    /// 500: unexpected server failure; nothing was stored.
    Internal,
    /// 503: the site is switched off, or the server is shutting down.
    Unavailable,
}

impl ErrorCode {
    /// Every code, for documentation and exhaustive tests.
    pub const ALL: [ErrorCode; 29] = [
        ErrorCode::BadRequest,
        ErrorCode::EmptyText,
        ErrorCode::TokenMissing,
        ErrorCode::TokenInvalid,
        ErrorCode::TokenExpired,
        ErrorCode::OriginDenied,
        ErrorCode::IdentityRejected,
        ErrorCode::IdentityUnverified,
        ErrorCode::LinkInvalid,
        ErrorCode::LinkExpired,
        ErrorCode::Forbidden,
        ErrorCode::NotFound,
        ErrorCode::UnknownAppKey,
        ErrorCode::WebsocketDisabled,
        ErrorCode::MethodNotAllowed,
        ErrorCode::ClientMsgIdConflict,
        ErrorCode::ConversationClosed,
        ErrorCode::ConversationOpen,
        ErrorCode::RatingLocked,
        ErrorCode::RatingDisabled,
        ErrorCode::UnknownForm,
        ErrorCode::InvalidForm,
        ErrorCode::FormRequired,
        ErrorCode::BodyTooLarge,
        ErrorCode::TextTooLong,
        ErrorCode::RateLimited,
        ErrorCode::UnknownFrame,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    /// The wire spelling, identical to the serde one.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::EmptyText => "empty_text",
            ErrorCode::TokenMissing => "token_missing",
            ErrorCode::TokenInvalid => "token_invalid",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::OriginDenied => "origin_denied",
            ErrorCode::IdentityRejected => "identity_rejected",
            ErrorCode::IdentityUnverified => "identity_unverified",
            ErrorCode::LinkInvalid => "link_invalid",
            ErrorCode::LinkExpired => "link_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UnknownAppKey => "unknown_app_key",
            ErrorCode::WebsocketDisabled => "websocket_disabled",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ClientMsgIdConflict => "client_msg_id_conflict",
            ErrorCode::ConversationClosed => "conversation_closed",
            ErrorCode::ConversationOpen => "conversation_open",
            ErrorCode::RatingLocked => "rating_locked",
            ErrorCode::RatingDisabled => "rating_disabled",
            ErrorCode::UnknownForm => "unknown_form",
            ErrorCode::InvalidForm => "invalid_form",
            ErrorCode::FormRequired => "form_required",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::TextTooLong => "text_too_long",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::UnknownFrame => "unknown_frame",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }

    /// Parses the wire spelling (for clients decoding without serde).
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The HTTP status that carries this code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest
            | ErrorCode::EmptyText
            | ErrorCode::UnknownFrame
            | ErrorCode::UnknownForm
            | ErrorCode::InvalidForm => 400,
            ErrorCode::TokenMissing | ErrorCode::TokenInvalid | ErrorCode::TokenExpired => 401,
            ErrorCode::OriginDenied
            | ErrorCode::IdentityRejected
            | ErrorCode::IdentityUnverified
            | ErrorCode::LinkInvalid
            | ErrorCode::LinkExpired
            | ErrorCode::Forbidden
            | ErrorCode::RatingDisabled => 403,
            ErrorCode::NotFound | ErrorCode::UnknownAppKey | ErrorCode::WebsocketDisabled => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::ClientMsgIdConflict
            | ErrorCode::ConversationClosed
            | ErrorCode::ConversationOpen
            | ErrorCode::RatingLocked
            | ErrorCode::FormRequired => 409,
            ErrorCode::BodyTooLarge | ErrorCode::TextTooLong => 413,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Unavailable => 503,
        }
    }

    /// Whether a client may retry the same request later unchanged.
    pub fn is_retryable(self) -> bool {
        matches!(self, ErrorCode::RateLimited | ErrorCode::Internal | ErrorCode::Unavailable)
    }
}

/// The body of every error: `{"error": {...}}`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

/// One error: a stable code for programs, a localized message for people.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait before retrying; present with `rate_limited` (same
    /// value as the `Retry-After` header, which cross-origin scripts may not
    /// be able to read).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub retry_after_sec: Option<u64>,
    /// With `invalid_form`: each invalid field's name and problem.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub fields: Option<BTreeMap<String, FieldError>>,
}

/// Wire names, as serde spells them (the golden wire fixtures check both agree).
impl ErrorEnvelope {
    pub const ERROR: &str = "error";
}

impl ErrorBody {
    pub const CODE: &str = "code";
    pub const MESSAGE: &str = "message";
    pub const RETRY_AFTER_SEC: &str = "retryAfterSec";
    pub const FIELDS: &str = "fields";
}

// ---------------------------------------------------------------------------
// Messages and conversations
// ---------------------------------------------------------------------------

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Sender {
    Visitor,
    Agent,
    System,
}

impl Sender {
    pub fn as_str(self) -> &'static str {
        match self {
            Sender::Visitor => "visitor",
            Sender::Agent => "agent",
            Sender::System => "system",
        }
    }

    /// A plain match: smaller in the wasm than a search through `as_str`.
    pub fn parse(s: &str) -> Option<Sender> {
        match s {
            "visitor" => Some(Sender::Visitor),
            "agent" => Some(Sender::Agent),
            "system" => Some(Sender::System),
            _ => None,
        }
    }
}

/// One chat message. `id` is an integer, strictly increasing across the whole
/// server, so `since=<id>` is a stable cursor; it stays below 2^53.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Message {
    pub id: i64,
    /// The sender's idempotency key, echoed back so a client can match its
    /// pending copy; absent on messages created without one.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub client_msg_id: Option<String>,
    pub conversation_id: i64,
    pub from: Sender,
    pub text: String,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub agent_name: Option<String>,
    /// RFC 3339 UTC timestamp with milliseconds, e.g. `2026-05-21T07:53:20.123Z`.
    pub created_at: String,
    /// On `system` messages that record a step of the conversation's life:
    /// clients show their own localised line for it (with `agentName` where
    /// an agent did it) and fall back to `text`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub event: Option<ConversationEvent>,
    /// On a visitor's form submission: the form as the visitor filled it.
    /// `text` then holds a plain-text rendering for older clients,
    /// notifications and webhooks.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub form: Option<SubmittedForm>,
}

/// A step of a conversation's life, recorded as a `system` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum ConversationEvent {
    /// An agent (`agentName`) joined: by an explicit join or a first reply.
    Joined,
    /// The visitor ended the conversation.
    EndedByVisitor,
    /// An agent (`agentName`) ended it.
    EndedByAgent,
    /// The server ended it (idle for longer than the site allows).
    EndedBySystem,
}

impl ConversationEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationEvent::Joined => "joined",
            ConversationEvent::EndedByVisitor => "endedByVisitor",
            ConversationEvent::EndedByAgent => "endedByAgent",
            ConversationEvent::EndedBySystem => "endedBySystem",
        }
    }

    /// A plain match: smaller in the wasm than a search through `as_str`.
    pub fn parse(s: &str) -> Option<ConversationEvent> {
        match s {
            "joined" => Some(ConversationEvent::Joined),
            "endedByVisitor" => Some(ConversationEvent::EndedByVisitor),
            "endedByAgent" => Some(ConversationEvent::EndedByAgent),
            "endedBySystem" => Some(ConversationEvent::EndedBySystem),
            _ => None,
        }
    }

    /// Who ended the conversation, for an `ended*` event.
    pub fn ended_by(self) -> Option<Sender> {
        match self {
            ConversationEvent::Joined => None,
            ConversationEvent::EndedByVisitor => Some(Sender::Visitor),
            ConversationEvent::EndedByAgent => Some(Sender::Agent),
            ConversationEvent::EndedBySystem => Some(Sender::System),
        }
    }
}

impl Message {
    pub const ID: &str = "id";
    pub const CLIENT_MSG_ID: &str = "clientMsgId";
    pub const CONVERSATION_ID: &str = "conversationId";
    pub const FROM: &str = "from";
    pub const TEXT: &str = "text";
    pub const AGENT_NAME: &str = "agentName";
    pub const CREATED_AT: &str = "createdAt";
    pub const EVENT: &str = "event";
    pub const FORM: &str = "form";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum ConversationStatus {
    Open,
    Closed,
}

impl ConversationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Open => "open",
            ConversationStatus::Closed => "closed",
        }
    }

    /// A plain match: smaller in the wasm than a search through `as_str`.
    pub fn parse(s: &str) -> Option<ConversationStatus> {
        match s {
            "open" => Some(ConversationStatus::Open),
            "closed" => Some(ConversationStatus::Closed),
            _ => None,
        }
    }
}

/// A conversation as the visitor sees it.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Conversation {
    pub id: i64,
    pub status: ConversationStatus,
    pub created_at: String,
    pub updated_at: String,
    /// Id of the newest message, `null` when there is none.
    pub last_message_id: Option<i64>,
    /// Who ended it; present once `status` is `closed`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub ended_by: Option<Sender>,
    /// The agent who joined it, once one has.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub agent_name: Option<String>,
    /// The visitor's rating of it, once given.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub rating: Option<Rating>,
}

impl Conversation {
    pub const ID: &str = "id";
    pub const STATUS: &str = "status";
    pub const ENDED_BY: &str = "endedBy";
    pub const AGENT_NAME: &str = "agentName";
    pub const RATING: &str = "rating";
}

// ---------------------------------------------------------------------------
// Ratings and availability
// ---------------------------------------------------------------------------

/// How a site asks visitors to rate a conversation: CSAT is 1 to 5, NPS 0 to 10.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum RatingScale {
    Csat,
    Nps,
}

impl RatingScale {
    pub fn as_str(self) -> &'static str {
        match self {
            RatingScale::Csat => "csat",
            RatingScale::Nps => "nps",
        }
    }

    pub fn parse(s: &str) -> Option<RatingScale> {
        match s {
            "csat" => Some(RatingScale::Csat),
            "nps" => Some(RatingScale::Nps),
            _ => None,
        }
    }

    /// Lowest and highest score, both included.
    pub fn range(self) -> (u8, u8) {
        match self {
            RatingScale::Csat => (1, 5),
            RatingScale::Nps => (0, 10),
        }
    }
}

/// `POST .../conversations/{id}/rating`. The same body again is answered
/// 200 with the stored rating; a different one within
/// [`RATING_CHANGE_SECS`] of the first replaces it.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase", deny_unknown_fields))]
pub struct RatingRequest {
    /// Must be the site's scale.
    pub scale: RatingScale,
    pub score: u8,
    /// Up to [`MAX_RATING_COMMENT_CHARS`]; blank is the same as absent.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub comment: Option<String>,
}

impl RatingRequest {
    pub const SCALE: &str = "scale";
    pub const SCORE: &str = "score";
    pub const COMMENT: &str = "comment";
}

/// A stored rating.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct Rating {
    pub conversation_id: i64,
    pub scale: RatingScale,
    pub score: u8,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub comment: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl Rating {
    pub const CONVERSATION_ID: &str = "conversationId";
    pub const SCALE: &str = "scale";
    pub const SCORE: &str = "score";
    pub const COMMENT: &str = "comment";
    pub const CREATED_AT: &str = "createdAt";
    pub const UPDATED_AT: &str = "updatedAt";
}

/// Answer to a rating.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RatingResponse {
    pub rating: Rating,
}

impl RatingResponse {
    pub const RATING: &str = "rating";
}

/// Whether anyone is there: `online` inside the site's hours with an agent
/// (or the bot) connected, `away` inside hours with none, `offline` outside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum AvailabilityState {
    Online,
    #[default]
    Away,
    Offline,
}

impl AvailabilityState {
    pub fn as_str(self) -> &'static str {
        match self {
            AvailabilityState::Online => "online",
            AvailabilityState::Away => "away",
            AvailabilityState::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<AvailabilityState> {
        match s {
            "online" => Some(AvailabilityState::Online),
            "away" => Some(AvailabilityState::Away),
            "offline" => Some(AvailabilityState::Offline),
            _ => None,
        }
    }
}

/// The site's availability, in `GET /config`, the handshake's `config`,
/// `hello`, and an `availability` frame whenever it changes.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct Availability {
    pub state: AvailabilityState,
    /// RFC 3339: when the hours next begin; present when `offline` and the
    /// site has hours that open again.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub next_open_at: Option<String>,
}

impl Availability {
    pub const STATE: &str = "state";
    pub const NEXT_OPEN_AT: &str = "nextOpenAt";
}

// ---------------------------------------------------------------------------
// Visitor REST bodies
// ---------------------------------------------------------------------------

/// Page the visitor is on, shown to agents.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct PageInfo {
    pub url: Option<String>,
    pub referrer: Option<String>,
    pub title: Option<String>,
}

impl PageInfo {
    pub const URL: &str = "url";
    pub const REFERRER: &str = "referrer";
    pub const TITLE: &str = "title";
}

impl PageInfo {
    /// The page context cut to its limits: it only informs agents, so a
    /// long title or URL (common on shops and news sites) is cut, never
    /// refused. The widget cuts to the same limits before sending.
    pub fn clipped(self) -> PageInfo {
        let clip = |value: Option<String>, max| value.map(|v| clip_chars(&v, max).to_string());
        PageInfo {
            url: clip(self.url, MAX_URL_CHARS),
            referrer: clip(self.referrer, MAX_URL_CHARS),
            title: clip(self.title, MAX_TITLE_CHARS),
        }
    }
}

/// `s` cut to at most `max` characters (Unicode scalar values, as every
/// `_CHARS` limit counts them), at a character boundary.
pub fn clip_chars(s: &str, max: usize) -> &str {
    // A byte loop: `char_indices().nth()` is larger in the wasm.
    let mut count = 0;
    for (i, byte) in s.bytes().enumerate() {
        if byte & 0xC0 != 0x80 {
            if count == max {
                return s.get(..i).unwrap_or(s);
            }
            count += 1;
        }
    }
    s
}

/// Optional display fields. In `identify`, an absent or `null` field leaves
/// the stored value unchanged and `""` clears it.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct Profile {
    pub nickname: Option<String>,
    pub avatar: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Arbitrary JSON business context (order number, plan...).
    pub extra: Option<JsonValue>,
}

impl Profile {
    pub const NICKNAME: &str = "nickname";
    pub const AVATAR: &str = "avatar";
    pub const EMAIL: &str = "email";
    pub const PHONE: &str = "phone";
    pub const EXTRA: &str = "extra";
}

/// `POST /api/v1/cs/handshake`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct HandshakeRequest {
    pub app_key: String,
    /// Identity layer 1: the host's stable business user id.
    pub external_user_id: Option<String>,
    /// Identity layer 2: a browser fingerprint hash.
    pub fingerprint: Option<String>,
    /// Identity layer 3: the widget's `v_<uuid>` from localStorage.
    pub visitor_id: Option<String>,
    /// Hex HMAC-SHA256 of `externalUserId` with the site's identity secret.
    pub user_hash: Option<String>,
    /// Alternative proof: an HS256 JWT signed with the site's identity
    /// secret whose `sub` is the external user id (see docs/identity.md).
    pub identity_token: Option<String>,
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub profile: Profile,
    pub locale: Option<String>,
    /// IANA time zone name, e.g. `Europe/Paris`.
    pub timezone: Option<String>,
    pub page: Option<PageInfo>,
    /// The standalone link's parameters; read only with `X-CS-Entry: link`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub link: Option<LinkEntry>,
}

/// The profile's fields ([`Profile`]) sit at the top level.
impl HandshakeRequest {
    pub const APP_KEY: &str = "appKey";
    pub const EXTERNAL_USER_ID: &str = "externalUserId";
    pub const FINGERPRINT: &str = "fingerprint";
    pub const VISITOR_ID: &str = "visitorId";
    pub const USER_HASH: &str = "userHash";
    pub const IDENTITY_TOKEN: &str = "identityToken";
    pub const LOCALE: &str = "locale";
    pub const TIMEZONE: &str = "timezone";
    pub const PAGE: &str = "page";
    pub const LINK: &str = "link";
}

/// The query parameters of a standalone link (`?k=&u=&nick=&t=&s=`), sent
/// in the handshake body. `k` is the request's `appKey`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default))]
pub struct LinkEntry {
    /// External user id (identity layer 1), verified when the link is signed.
    pub u: Option<String>,
    /// Nickname shown to agents.
    pub nick: Option<String>,
    /// Unix seconds at signing; a JSON integer (a string of digits is accepted).
    #[cfg_attr(feature = "serde", serde(deserialize_with = "serde_support::int_or_digits"))]
    pub t: Option<i64>,
    /// Hex HMAC-SHA256(link secret, `appKey\nt\nu\nnick`).
    pub s: Option<String>,
}

/// `POST /api/v1/admin/cs/sites/{appKey}/link-entry/sign` body.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct LinkSignRequest {
    pub external_user_id: Option<String>,
    pub nickname: Option<String>,
}

/// Answer of the link signing endpoint.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct LinkSignResponse {
    pub app_key: String,
    pub t: i64,
    pub s: String,
    pub ttl_sec: u64,
    /// RFC 3339 time after which the link is refused (`t + ttlSec`).
    pub expires_at: String,
    /// The standalone page URL, relative to the server:
    /// `/standalone.html?k=..&u=..&nick=..&t=..&s=..` (percent-encoded).
    pub url: String,
}

/// Answer to a handshake (and to `identify`). When the site is switched off
/// only `available: false` and `config` are present.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct HandshakeResponse {
    pub available: bool,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub token: Option<String>,
    /// RFC 3339 expiry of `token`.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub expires_at: Option<String>,
    /// Seconds until `token` expires ([`TOKEN_TTL_SECS`] when fresh).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub expires_in: Option<u64>,
    /// The server's id of this visitor (`cv_<hex>`), stable across tokens.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub cs_visitor_id: Option<String>,
    /// The visitor's open conversation, if any.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub conversation_id: Option<i64>,
    /// Set by `identify` when the identity (and so the visitor) changed.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub identity_changed: Option<bool>,
    pub config: RemoteConfig,
}

impl HandshakeResponse {
    pub const AVAILABLE: &str = "available";
    pub const TOKEN: &str = "token";
    pub const EXPIRES_IN: &str = "expiresIn";
    pub const CONVERSATION_ID: &str = "conversationId";
    pub const CONFIG: &str = "config";

    /// The answer of a site whose chat is switched off: its config only.
    pub fn unavailable(config: RemoteConfig) -> Self {
        Self {
            available: false,
            token: None,
            expires_at: None,
            expires_in: None,
            cs_visitor_id: None,
            conversation_id: None,
            identity_changed: None,
            config,
        }
    }
}

/// `POST /api/v1/cs/identify`. `externalUserId` is three-state: absent keeps
/// the identity, a string switches to that user, `null` logs out (the
/// visitor becomes anonymous again, under a fresh visitor record).
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct IdentifyRequest {
    #[cfg_attr(
        feature = "serde",
        serde(deserialize_with = "serde_support::present", skip_serializing_if = "Option::is_none")
    )]
    pub external_user_id: Option<Option<String>>,
    pub user_hash: Option<String>,
    /// See [`HandshakeRequest::identity_token`].
    pub identity_token: Option<String>,
    pub fingerprint: Option<String>,
    pub visitor_id: Option<String>,
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub profile: Profile,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub page: Option<PageInfo>,
}

/// `POST /api/v1/cs/conversations` (visitor) and the agent reply body.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct SendMessageRequest {
    /// Idempotency key chosen by the sender: 1 to [`MAX_CLIENT_MSG_ID_LEN`]
    /// printable ASCII characters. Required for visitors, optional for agents.
    #[cfg_attr(feature = "serde", serde(default))]
    pub client_msg_id: Option<String>,
    /// Ignored (may be empty) when `form` is given: the server writes the
    /// stored message's text from the form.
    #[cfg_attr(feature = "serde", serde(default))]
    pub text: String,
    /// Visitors only: a form submission instead of a text message, through
    /// the same path (idempotent by `clientMsgId`, ordered with messages).
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub form: Option<FormSubmission>,
}

impl SendMessageRequest {
    pub const CLIENT_MSG_ID: &str = "clientMsgId";
    pub const TEXT: &str = "text";
    pub const FORM: &str = "form";
}

/// Answer to a send: the stored message (the original one on a retry).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct SendMessageResponse {
    pub message: Message,
    pub conversation: Conversation,
    /// `true` when this was a retry of an already stored `clientMsgId`.
    pub duplicate: bool,
}

impl SendMessageResponse {
    pub const MESSAGE: &str = "message";
}

/// `GET .../messages?since=&limit=`: ascending by id, ids `> since`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct MessagePage {
    pub messages: Vec<Message>,
    /// More messages exist after the last one returned.
    pub has_more: bool,
    /// The cursor for the next call: last returned id, or the `since` given.
    pub next_since: i64,
    /// The conversation as it is now (status, `endedBy`, `agentName`,
    /// `rating`), so polling clients see it change without a socket.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub conversation: Option<Conversation>,
}

impl MessagePage {
    pub const MESSAGES: &str = "messages";
    pub const HAS_MORE: &str = "hasMore";
    pub const NEXT_SINCE: &str = "nextSince";
    pub const CONVERSATION: &str = "conversation";
}

/// `GET /api/v1/cs/conversations/current`, `POST .../leave`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ConversationResponse {
    pub conversation: Option<Conversation>,
}

impl ConversationResponse {
    pub const CONVERSATION: &str = "conversation";
}

// ---------------------------------------------------------------------------
// Remote config
// ---------------------------------------------------------------------------

/// The site's remote configuration: the lowest layer of the widget's merge.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct RemoteConfig {
    /// `false` when the site is switched off: show nothing, send nothing.
    pub available: bool,
    pub site_name: Option<String>,
    /// Default locale of the site (`en-US`, `zh-CN`).
    pub locale: Option<String>,
    /// Greeting shown when the panel opens on an empty conversation.
    pub greeting: Option<String>,
    /// Shown instead of the greeting when nobody is online.
    pub offline_message: Option<String>,
    /// An agent (or the bot) is connected right now (kept for older
    /// clients; `availability` says more).
    pub online: bool,
    pub availability: Availability,
    /// The rating the site asks for after a conversation ends; `null`: none.
    pub rating: Option<RatingScale>,
    /// The site's forms: pre-chat, offline and named ticket forms.
    pub forms: Forms,
    pub appearance: Appearance,
    pub limits: ClientLimits,
}

impl RemoteConfig {
    pub const SITE_NAME: &str = "siteName";
    pub const LOCALE: &str = "locale";
    pub const GREETING: &str = "greeting";
    pub const OFFLINE_MESSAGE: &str = "offlineMessage";
    pub const ONLINE: &str = "online";
    pub const AVAILABILITY: &str = "availability";
    pub const RATING: &str = "rating";
    pub const FORMS: &str = "forms";
    pub const APPEARANCE: &str = "appearance";
}

/// Appearance fields of the remote config; every field optional, same names
/// and ranges as the widget's init config.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase", deny_unknown_fields))]
pub struct Appearance {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub theme: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub position: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub primary_color: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub primary_color_accent: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub offset_x: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub offset_y: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub panel_width: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub panel_height: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub panel_radius: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub button_size: Option<i32>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub button_shape: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub button_label: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub button_icon: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub header_title: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub header_subtitle: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub header_background: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub background_image: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub z_index: Option<i64>,
    /// `visible`, `hidden` or `whenConversation`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub launcher: Option<String>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keep_open: Option<bool>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub sound: Option<bool>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub title_flash: Option<bool>,
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub preview: Option<bool>,
}

/// Limits a client needs to know to validate before sending.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct ClientLimits {
    pub max_text_chars: u32,
    pub poll_interval_ms: u32,
    pub token_ttl_secs: u64,
    pub messages_per_minute: u32,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            max_text_chars: MAX_TEXT_CHARS as u32,
            poll_interval_ms: POLL_INTERVAL_MS,
            token_ttl_secs: TOKEN_TTL_SECS,
            messages_per_minute: 20,
        }
    }
}

// ---------------------------------------------------------------------------
// WebSocket frames
// ---------------------------------------------------------------------------

/// Frames the server sends, as JSON text frames tagged by `type`.
/// Visitors receive `hello`, `message`, `typing` (agent), `presence`, `availability`, `read`
/// (agent), `conversation`, `pong`, `authOk`, `ack`, `error`, `resync`; agents also
/// receive `visitor`, and `typing`/`read` from visitors.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase"))]
pub enum ServerFrame {
    /// First frame after the upgrade. Clients then catch up with
    /// `GET .../messages?since=<last id they hold>`.
    Hello {
        /// `cv_...` for visitors; absent on agent sockets.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        cs_visitor_id: Option<String>,
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        conversation_id: Option<i64>,
        /// Newest message id visible to this socket (0 when none).
        last_message_id: i64,
        agents_online: bool,
        /// Token expiry (visitor sockets): the socket closes with
        /// [`CLOSE_TOKEN_EXPIRED`] then unless an `auth` frame renews it.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        expires_at: Option<String>,
        ping_interval_secs: u32,
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        availability: Option<Availability>,
    },
    /// A new message in one of the socket's conversations.
    Message { message: Message },
    /// The other side is typing (`active: true`) or stopped.
    Typing {
        conversation_id: i64,
        from: Sender,
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        agent_name: Option<String>,
        active: bool,
    },
    /// Whether any agent (or the bot) is connected to the site.
    Presence { agents_online: bool },
    /// The site's availability changed (an agent came or went, its hours
    /// began or ended).
    Availability(Availability),
    /// The other side has read every message up to `upTo` included.
    Read { conversation_id: i64, up_to: i64, by: Sender },
    /// A conversation was created, closed or changed.
    Conversation {
        conversation: Conversation,
        /// Agent sockets only: who the visitor is.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        visitor: Option<VisitorInfo>,
    },
    /// Agent sockets only: a visitor's identity or profile changed.
    Visitor { visitor: VisitorInfo },
    /// Answer to a client `ping`.
    Pong,
    /// Answer to a client `auth`: the socket now lives until `expiresAt`.
    AuthOk { expires_at: String },
    /// Answer to a client `message`: it is stored, as a `POST` answered
    /// 201 (or 200, `duplicate`, for a stored `clientMsgId`) would say.
    Ack {
        /// The frame's (absent when an agent's frame gave none).
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        client_msg_id: Option<String>,
        message: Message,
        conversation: Conversation,
        duplicate: bool,
    },
    /// The last client frame was refused; the socket stays open. A refused
    /// `message` is named by its `clientMsgId`, with the HTTP status its
    /// `POST` would have had.
    Error {
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        client_msg_id: Option<String>,
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        status: Option<u16>,
        error: ErrorBody,
    },
    /// Events were dropped for this socket (it was too slow): fetch with
    /// `since` to catch up.
    Resync,
}

/// The `type` tags, then the fields the widget reads.
impl ServerFrame {
    pub const TYPE: &str = "type";
    pub const TYPE_HELLO: &str = "hello";
    pub const TYPE_MESSAGE: &str = "message";
    pub const TYPE_TYPING: &str = "typing";
    pub const TYPE_PRESENCE: &str = "presence";
    pub const TYPE_READ: &str = "read";
    pub const TYPE_CONVERSATION: &str = "conversation";
    pub const TYPE_VISITOR: &str = "visitor";
    pub const TYPE_PONG: &str = "pong";
    pub const TYPE_AUTH_OK: &str = "authOk";
    pub const TYPE_ERROR: &str = "error";
    pub const TYPE_RESYNC: &str = "resync";
    pub const TYPE_ACK: &str = "ack";
    pub const TYPE_AVAILABILITY: &str = "availability";
    pub const AVAILABILITY: &str = "availability";
    pub const CONVERSATION_ID: &str = "conversationId";
    pub const AGENTS_ONLINE: &str = "agentsOnline";
    pub const PING_INTERVAL_SECS: &str = "pingIntervalSecs";
    pub const MESSAGE: &str = "message";
    pub const ACTIVE: &str = "active";
    pub const AGENT_NAME: &str = "agentName";
    pub const CONVERSATION: &str = "conversation";
    pub const ERROR: &str = "error";
    pub const CLIENT_MSG_ID: &str = "clientMsgId";
    pub const STATUS: &str = "status";
}

/// Frames a client may send. Anything else gets an `error` frame with
/// `unknown_frame` (unknown `type`) or `bad_request` (bad fields).
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "type", rename_all = "camelCase", rename_all_fields = "camelCase"))]
pub enum ClientFrame {
    /// Typing indicator. Visitors may omit `conversationId` (their open
    /// conversation is used); agents must give it.
    Typing {
        #[cfg_attr(feature = "serde", serde(default))]
        conversation_id: Option<i64>,
        active: bool,
    },
    /// Read receipt: everything up to `upTo` included has been seen.
    Read { conversation_id: i64, up_to: i64 },
    /// Application-level liveness check (browsers cannot see protocol pings).
    Ping,
    /// Renew the socket's authorization with a fresh visitor token of the
    /// same visitor.
    Auth { token: String },
    /// Send a message, as `POST /api/v1/cs/conversations` (visitors) or the
    /// agent reply endpoint (agents) does: same checks, limits and
    /// `clientMsgId` idempotency; answered with `ack` or an `error` naming
    /// the `clientMsgId`. Visitors may give `conversationId` (it must be
    /// their open conversation); agents must.
    Message {
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        client_msg_id: Option<String>,
        #[cfg_attr(feature = "serde", serde(default))]
        text: String,
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        conversation_id: Option<i64>,
        /// As in `SendMessageRequest`: visitors only.
        #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
        form: Option<FormSubmission>,
    },
}

/// The `type` tags, then the fields.
impl ClientFrame {
    pub const TYPE: &str = "type";
    pub const TYPE_TYPING: &str = "typing";
    pub const TYPE_READ: &str = "read";
    pub const TYPE_PING: &str = "ping";
    pub const TYPE_AUTH: &str = "auth";
    pub const TYPE_MESSAGE: &str = "message";
    pub const CONVERSATION_ID: &str = "conversationId";
    pub const ACTIVE: &str = "active";
    pub const UP_TO: &str = "upTo";
    pub const TOKEN: &str = "token";
    pub const CLIENT_MSG_ID: &str = "clientMsgId";
    pub const TEXT: &str = "text";
    pub const FORM: &str = "form";
}

// ---------------------------------------------------------------------------
// Agent side
// ---------------------------------------------------------------------------

/// Everything an agent sees about a visitor.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct VisitorInfo {
    pub cs_visitor_id: String,
    pub external_user_id: Option<String>,
    pub fingerprint: Option<String>,
    pub visitor_id: Option<String>,
    /// `externalUserId` was proven with a valid `userHash`.
    pub verified: bool,
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub profile: Profile,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub page: PageInfo,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub first_seen_at: String,
    pub last_seen_at: String,
}

/// A conversation with its visitor and newest message, for agent listings.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct AgentConversation {
    pub conversation: Conversation,
    pub visitor: VisitorInfo,
    pub last_message: Option<Message>,
    /// The conversation fields the visitor's page set: an object of
    /// strings, numbers and booleans.
    pub fields: JsonValue,
}

/// `GET /api/v1/agent/conversations`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AgentConversationList {
    pub conversations: Vec<AgentConversation>,
}

/// `GET /api/v1/agent/me`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct AgentMe {
    pub agent_name: String,
    pub app_key: String,
    pub site_name: Option<String>,
}

/// `POST /api/v1/agent/conversations/{id}/typing`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TypingRequest {
    pub active: bool,
}

// ---------------------------------------------------------------------------
// Forms
// ---------------------------------------------------------------------------

/// Text in several languages: locale tag (`en-US`, `zh-CN`) to text. A client
/// shows its locale's, else `en-US`'s, else the first.
pub type LocalText = BTreeMap<String, String>;

/// The site's forms, in `RemoteConfig.forms`.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct Forms {
    /// Shown before the first message of a conversation; while it has a
    /// required field the profile does not fill, the visitor sends nothing
    /// else first ([`ErrorCode::FormRequired`]).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub pre_chat: Option<Form>,
    /// Shown instead of the composer while availability is `offline`; a
    /// submission is kept as a ticket for the site's people.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub offline: Option<Form>,
    /// Named forms the page opens with `showForm(name)`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "BTreeMap::is_empty"))]
    pub tickets: BTreeMap<String, Form>,
}

impl Forms {
    pub const PRE_CHAT: &str = "preChat";
    pub const OFFLINE: &str = "offline";
    pub const TICKETS: &str = "tickets";

    /// The form a submission's `name` means: [`PRE_CHAT_FORM`],
    /// [`OFFLINE_FORM`] or a ticket form's name.
    pub fn get(&self, name: &str) -> Option<&Form> {
        match name {
            PRE_CHAT_FORM => self.pre_chat.as_ref(),
            OFFLINE_FORM => self.offline.as_ref(),
            _ => self.tickets.get(name),
        }
    }
}

/// The names submissions give the pre-chat and offline forms; ticket forms
/// go by their own names, which may be neither.
pub const PRE_CHAT_FORM: &str = "preChat";
pub const OFFLINE_FORM: &str = "offline";

/// Fields with these names are the visitor's profile fields: a pre-chat form
/// skips them when `identify` gave them, and the server fills them in.
pub const PROFILE_FORM_FIELDS: [&str; 3] = ["name", "email", "phone"];

/// One form.
#[derive(Clone, Debug, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, rename_all = "camelCase"))]
pub struct Form {
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub title: Option<LocalText>,
    /// A line under the title.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub intro: Option<LocalText>,
    /// The submit button's label; clients have a default.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub submit_label: Option<LocalText>,
    /// 1 to [`MAX_FORM_FIELDS`], names unique.
    pub fields: Vec<FormField>,
}

impl Form {
    pub const TITLE: &str = "title";
    pub const INTRO: &str = "intro";
    pub const SUBMIT_LABEL: &str = "submitLabel";
    pub const FIELDS: &str = "fields";
}

/// One field of a form.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct FormField {
    /// The key of its value ([`is_form_name`]).
    pub name: String,
    #[cfg_attr(feature = "serde", serde(rename = "type"))]
    pub kind: FieldType,
    pub label: LocalText,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub help: Option<LocalText>,
    /// Text-like fields: not empty after trimming; a checkbox: checked.
    #[cfg_attr(feature = "serde", serde(default))]
    pub required: bool,
    /// Text-like fields, in characters: 1 to [`MAX_TEXT_CHARS`]; absent
    /// means [`FieldType::default_max_chars`].
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub max_length: Option<u32>,
    /// `select` only: 1 to [`MAX_FORM_OPTIONS`], values unique.
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Vec::is_empty"))]
    pub options: Vec<FormOption>,
}

impl FormField {
    pub const NAME: &str = "name";
    pub const TYPE: &str = "type";
    pub const LABEL: &str = "label";
    pub const HELP: &str = "help";
    pub const REQUIRED: &str = "required";
    pub const MAX_LENGTH: &str = "maxLength";
    pub const OPTIONS: &str = "options";
}

/// A `select` field's choice.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FormOption {
    pub value: String,
    pub label: LocalText,
}

impl FormOption {
    pub const VALUE: &str = "value";
    pub const LABEL: &str = "label";
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum FieldType {
    Text,
    Email,
    Phone,
    Textarea,
    Select,
    Checkbox,
}

impl FieldType {
    pub fn parse(s: &str) -> Option<FieldType> {
        match s {
            "text" => Some(FieldType::Text),
            "email" => Some(FieldType::Email),
            "phone" => Some(FieldType::Phone),
            "textarea" => Some(FieldType::Textarea),
            "select" => Some(FieldType::Select),
            "checkbox" => Some(FieldType::Checkbox),
            _ => None,
        }
    }

    /// `maxLength` when the field gives none.
    pub fn default_max_chars(self) -> u32 {
        if self == FieldType::Textarea {
            DEFAULT_TEXTAREA_MAX_CHARS
        } else {
            DEFAULT_FIELD_MAX_CHARS
        }
    }
}

/// A field's value: text for every type but `checkbox`, whose value is a
/// boolean.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(untagged))]
pub enum FieldValue {
    Text(String),
    Checked(bool),
}

/// A form as the visitor sends it, in `SendMessageRequest.form`.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FormSubmission {
    /// [`PRE_CHAT_FORM`], [`OFFLINE_FORM`] or a ticket form's name.
    pub name: String,
    /// Field name to value; optional fields may be left out.
    pub values: BTreeMap<String, FieldValue>,
}

impl FormSubmission {
    pub const NAME: &str = "name";
    pub const VALUES: &str = "values";
}

/// A stored submission, in `Message.form`: each field with the label the
/// visitor saw, in the form's order; profile fields the server filled in
/// from `identify` included.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubmittedForm {
    pub name: String,
    #[cfg_attr(feature = "serde", serde(default, skip_serializing_if = "Option::is_none"))]
    pub title: Option<String>,
    pub fields: Vec<SubmittedField>,
}

impl SubmittedForm {
    pub const NAME: &str = "name";
    pub const TITLE: &str = "title";
    pub const FIELDS: &str = "fields";
}

#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubmittedField {
    pub name: String,
    pub label: String,
    pub value: FieldValue,
}

impl SubmittedField {
    pub const NAME: &str = "name";
    pub const LABEL: &str = "label";
    pub const VALUE: &str = "value";
}

/// Why a field's value was refused, in `ErrorBody.fields`; clients show
/// their own localised message for each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub enum FieldError {
    /// Required and empty (or a required checkbox unchecked).
    Required,
    /// Longer than the field's `maxLength`.
    TooLong,
    /// Not an email address: one `@` with text before it and a dotted
    /// domain after it, no spaces.
    Email,
    /// Not a phone number: 5 to 20 digits, with only `+ - . ( )` and spaces
    /// besides.
    Phone,
    /// Not one of the `select` field's option values.
    Option,
    /// A boolean for a text field or text for a checkbox.
    Type,
    /// No field of the form has this name.
    Unknown,
}

impl FieldError {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldError::Required => "required",
            FieldError::TooLong => "tooLong",
            FieldError::Email => "email",
            FieldError::Phone => "phone",
            FieldError::Option => "option",
            FieldError::Type => "type",
            FieldError::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<FieldError> {
        match s {
            "required" => Some(FieldError::Required),
            "tooLong" => Some(FieldError::TooLong),
            "email" => Some(FieldError::Email),
            "phone" => Some(FieldError::Phone),
            "option" => Some(FieldError::Option),
            "type" => Some(FieldError::Type),
            "unknown" => Some(FieldError::Unknown),
            _ => None,
        }
    }
}

/// A form or field name: 1 to [`MAX_FORM_NAME_LEN`] ASCII letters, digits,
/// `_` and `-`, starting with a letter.
pub fn is_form_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.len() <= MAX_FORM_NAME_LEN
        && bytes.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks a text-like field's value (`text`, `email`, `phone`, `textarea`;
/// `select` and `checkbox` are checked against their options and by type).
/// The widget and the server run this same function, so they agree.
pub fn check_text(kind: FieldType, required: bool, max_chars: u32, value: &str) -> Result<(), FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return if required { Err(FieldError::Required) } else { Ok(()) };
    }
    if value.chars().count() > max_chars as usize {
        return Err(FieldError::TooLong);
    }
    match kind {
        FieldType::Email if !is_email(value) => Err(FieldError::Email),
        FieldType::Phone if !is_phone(value) => Err(FieldError::Phone),
        _ => Ok(()),
    }
}

fn is_email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !value.contains(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|label| !label.is_empty())
}

fn is_phone(value: &str) -> bool {
    let digits = value.bytes().filter(u8::is_ascii_digit).count();
    (5..=20).contains(&digits) && value.bytes().all(|b| b.is_ascii_digit() || b" +-.()".contains(&b))
}

// ---------------------------------------------------------------------------
// JSON values
// ---------------------------------------------------------------------------

/// A JSON tree, so `extra` needs no serde_json in the widget. Object keys
/// keep their order. Numbers are `f64`, as in JavaScript.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

#[cfg(feature = "serde")]
mod serde_support {
    use super::JsonValue;
    use core::fmt;
    use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

    /// Field present (even as `null`) → `Some(..)`, absent → `None` (via
    /// `#[serde(default)]`): distinguishes "log out" from "unchanged".
    pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    /// A link's `t`: a JSON integer or a string of ASCII digits.
    pub fn int_or_digits<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Option::<JsonValue>::deserialize(d)? {
            None | Some(JsonValue::Null) => Ok(None),
            Some(JsonValue::Number(n)) if n.fract() == 0.0 && (0.0..9.007_199_254_740_992e15).contains(&n) => {
                Ok(Some(n as i64))
            }
            Some(JsonValue::String(s)) if !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().map(Some).map_err(serde::de::Error::custom)
            }
            Some(_) => Err(serde::de::Error::custom("t must be a non-negative integer of unix seconds")),
        }
    }

    impl Serialize for JsonValue {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            match self {
                JsonValue::Null => s.serialize_unit(),
                JsonValue::Bool(b) => s.serialize_bool(*b),
                JsonValue::Number(n) => {
                    // Integral values print without a fraction, as in JS.
                    if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
                        s.serialize_i64(*n as i64)
                    } else {
                        s.serialize_f64(*n)
                    }
                }
                JsonValue::String(v) => s.serialize_str(v),
                JsonValue::Array(items) => {
                    let mut seq = s.serialize_seq(Some(items.len()))?;
                    for item in items {
                        seq.serialize_element(item)?;
                    }
                    seq.end()
                }
                JsonValue::Object(entries) => {
                    let mut map = s.serialize_map(Some(entries.len()))?;
                    for (k, v) in entries {
                        map.serialize_entry(k, v)?;
                    }
                    map.end()
                }
            }
        }
    }

    struct JsonVisitor;

    impl<'de> Visitor<'de> for JsonVisitor {
        type Value = JsonValue;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E>(self) -> Result<JsonValue, E> {
            Ok(JsonValue::Null)
        }
        fn visit_none<E>(self) -> Result<JsonValue, E> {
            Ok(JsonValue::Null)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonValue, D::Error> {
            JsonValue::deserialize(d)
        }
        fn visit_bool<E>(self, v: bool) -> Result<JsonValue, E> {
            Ok(JsonValue::Bool(v))
        }
        fn visit_i64<E>(self, v: i64) -> Result<JsonValue, E> {
            Ok(JsonValue::Number(v as f64))
        }
        fn visit_u64<E>(self, v: u64) -> Result<JsonValue, E> {
            Ok(JsonValue::Number(v as f64))
        }
        fn visit_f64<E>(self, v: f64) -> Result<JsonValue, E> {
            Ok(JsonValue::Number(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<JsonValue, E> {
            Ok(JsonValue::String(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<JsonValue, E> {
            Ok(JsonValue::String(v))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonValue, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element()? {
                items.push(item);
            }
            Ok(JsonValue::Array(items))
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonValue, A::Error> {
            let mut entries = Vec::new();
            while let Some((k, v)) = map.next_entry::<String, JsonValue>()? {
                entries.push((k, v));
            }
            Ok(JsonValue::Object(entries))
        }
    }

    impl<'de> Deserialize<'de> for JsonValue {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JsonValue, D::Error> {
            d.deserialize_any(JsonVisitor)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_checked_as_documented() {
        use FieldType::*;
        assert_eq!(check_text(Text, true, 10, "  "), Err(FieldError::Required));
        assert_eq!(check_text(Text, false, 10, "  "), Ok(()));
        assert_eq!(check_text(Text, false, 3, "abcd"), Err(FieldError::TooLong));
        assert_eq!(check_text(Text, false, 3, " 大家好 "), Ok(()), "characters, trimmed");
        for good in ["a@b.co", "lin.x+tag@mail.example.com"] {
            assert_eq!(check_text(Email, true, 200, good), Ok(()), "{good}");
        }
        for bad in ["a@b", "@b.co", "a b@c.de", "a@b@c.de", "a@.co", "a@b.", "plain"] {
            assert_eq!(check_text(Email, true, 200, bad), Err(FieldError::Email), "{bad}");
        }
        for good in ["+86 10 1234 5678", "(555) 010-9999", "12345"] {
            assert_eq!(check_text(Phone, true, 200, good), Ok(()), "{good}");
        }
        for bad in ["1234", "call me", "+1 555 0100 ext 2", "123456789012345678901"] {
            assert_eq!(check_text(Phone, true, 200, bad), Err(FieldError::Phone), "{bad}");
        }
        for name in ["order", "a", "Order_no-2"] {
            assert!(is_form_name(name), "{name}");
        }
        for name in ["", "2fa", "a b", "a.b", "名字", &"a".repeat(65)] {
            assert!(!is_form_name(name), "{name}");
        }
        for error in [FieldError::Required, FieldError::TooLong, FieldError::Unknown] {
            assert_eq!(FieldError::parse(error.as_str()), Some(error));
        }
    }

    #[test]
    fn error_codes_round_trip_and_have_statuses() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            assert!((400..600).contains(&code.status()));
        }
        assert_eq!(ErrorCode::parse("nope"), None);
    }

    #[test]
    fn senders_and_statuses_parse_their_wire_spelling() {
        for sender in [Sender::Visitor, Sender::Agent, Sender::System] {
            assert_eq!(Sender::parse(sender.as_str()), Some(sender));
        }
        assert_eq!(Sender::parse("bot"), None);
        for status in [ConversationStatus::Open, ConversationStatus::Closed] {
            assert_eq!(ConversationStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ConversationStatus::parse("Open"), None);
    }

    #[test]
    fn clip_chars_cuts_at_a_character_boundary() {
        assert_eq!(clip_chars("", 3), "");
        assert_eq!(clip_chars("abc", 3), "abc");
        assert_eq!(clip_chars("abcd", 3), "abc");
        assert_eq!(clip_chars("h\u{e9}\u{4f60}\u{1f600}x", 4), "h\u{e9}\u{4f60}\u{1f600}");
        assert_eq!(clip_chars("\u{1f600}\u{1f600}", 1), "\u{1f600}");
        assert_eq!(clip_chars("abc", 0), "");
    }

    #[test]
    fn page_context_is_clipped_to_the_limits_never_refused() {
        let at = |n: usize| "\u{e9}".repeat(n);
        let page = PageInfo { url: Some(at(3000)), referrer: Some(at(MAX_URL_CHARS)), title: Some(at(300)) }.clipped();
        assert_eq!(page.url, Some(at(MAX_URL_CHARS)));
        assert_eq!(page.referrer, Some(at(MAX_URL_CHARS)));
        assert_eq!(page.title, Some(at(MAX_TITLE_CHARS)));
        assert_eq!(PageInfo::default().clipped(), PageInfo::default());
    }
}
