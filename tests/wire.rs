//! The widget's wire module against the golden fixtures the server's serde
//! writes (`tests/fixtures/wire/`, see `examples/server/tests/golden.rs`):
//! every answer and server frame decodes to the values the server put in,
//! and every request body and client frame the widget builds is what the
//! server's types write. Run in Chromium by `npm test` with the DOM tests.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect, JSON};
use natter::chat::{Delivery, Entry};
use natter::config::Profile;
use natter::protocol::{
    Availability, AvailabilityState, ConversationEvent, PageInfo, Rating, RatingScale, Sender, LEAVE_PATH_END,
    RATING_PATH_END,
};
use natter::session::machine::Failure;
use natter::session::wire::{self, Frame, HandshakeBody, Info, Refusal};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! fixture {
    ($name:literal) => {
        JSON::parse(include_str!(concat!("fixtures/wire/", $name, ".json"))).expect($name)
    };
}

/// `json` with its object keys sorted, for comparing values built in
/// different orders.
fn canonical(json: &JsValue) -> String {
    if Array::is_array(json) {
        let items: Vec<String> = Array::from(json).iter().map(|item| canonical(&item)).collect();
        return format!("[{}]", items.join(","));
    }
    if json.is_object() {
        let mut keys: Vec<String> =
            Object::keys(json.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()).collect();
        keys.sort();
        let fields: Vec<String> = keys
            .iter()
            .map(|k| format!("{:?}:{}", k, canonical(&Reflect::get(json, &k.into()).expect("field"))))
            .collect();
        return format!("{{{}}}", fields.join(","));
    }
    JSON::stringify(json).expect("stringify").into()
}

fn at(json: &JsValue, path: &[&str]) -> JsValue {
    path.iter().fold(json.clone(), |v, k| Reflect::get(&v, &(*k).into()).expect("field"))
}

fn time(text: &str) -> f64 {
    js_sys::Date::parse(text)
}

fn sent(id: i64, from: Sender, text: &str, client_id: Option<&str>, agent: Option<&str>, at: &str) -> Entry {
    Entry {
        id: Some(id),
        client_id: client_id.map(String::from),
        from,
        text: text.into(),
        agent_name: agent.map(String::from),
        event: None,
        created_at: time(at),
        delivery: Delivery::Sent,
    }
}

#[wasm_bindgen_test]
fn handshake_answers_decode() {
    let answer = wire::handshake(&fixture!("handshake")).expect("handshake decodes");
    assert_eq!(answer.token, Some(("eyJ0eXAi.visitor.token".to_string(), 1_200_000.0)));
    assert_eq!(answer.conversation_id, Some(7));
    assert_eq!(answer.config.site_name.as_deref(), Some("Acme Support"));

    let answer = wire::handshake(&fixture!("handshake-no-conversation")).expect("decodes");
    assert_eq!(answer.conversation_id, None);
    assert!(answer.token.is_some());

    // Switched off: no token, still a config.
    let answer = wire::handshake(&fixture!("handshake-unavailable")).expect("decodes");
    assert_eq!(answer.token, None);
    assert_eq!(answer.config.site_name, None);
    // A site that asks for no rating; away when the server says so.
    assert_eq!(answer.config.rating, None);
    assert_eq!(answer.config.availability.state, AvailabilityState::Away);
    // An older server's config has only `online`.
    let older = JSON::parse(r#"{"online":true}"#).expect("json");
    assert_eq!(wire::remote(&older).expect("decodes").availability.state, AvailabilityState::Online);

    // An available site without a token is a broken answer, not a success.
    let broken = fixture!("handshake");
    Reflect::delete_property(broken.unchecked_ref::<Object>(), &"token".into()).expect("delete");
    assert!(wire::handshake(&broken).is_none());
    assert!(wire::handshake(&JsValue::NULL).is_none());
}

#[wasm_bindgen_test]
fn remote_config_decodes() {
    let config = wire::remote(&fixture!("config")).expect("config decodes");
    assert_eq!(config.site_name.as_deref(), Some("Acme Support"));
    assert_eq!(config.locale.as_deref(), Some("zh-CN"));
    assert_eq!(config.greeting.as_deref(), Some("Hello! How can we help?"));
    assert_eq!(config.offline_message.as_deref(), Some("We are away; leave a message."));
    assert_eq!(
        config.availability,
        Availability { state: AvailabilityState::Offline, next_open_at: Some("2026-05-22T01:00:00.000Z".into()) }
    );
    assert_eq!(config.rating, Some(RatingScale::Nps));
    assert_eq!(at(&config.appearance, &["primaryColor"]).as_string().as_deref(), Some("#0f766e"));
    assert_eq!(at(&config.appearance, &["theme"]).as_string().as_deref(), Some("dark"));
}

#[wasm_bindgen_test]
fn message_answers_decode() {
    let page = wire::page(&fixture!("messages-page")).expect("page decodes");
    assert_eq!(page.next_since, 42);
    assert!(page.has_more);
    assert_eq!(
        page.messages,
        vec![
            (
                sent(40, Sender::Visitor, "Hi, my order is late", Some("c-40"), None, "2026-05-21T07:53:40.123Z"),
                Some(7)
            ),
            (sent(41, Sender::Agent, "Let me check \u{1f50d}", None, Some("Ada"), "2026-05-21T07:53:41.123Z"), Some(7)),
            (sent(42, Sender::System, "Ada joined", None, None, "2026-05-21T07:53:42.123Z"), Some(7)),
        ]
    );

    // One unreadable message fails the page: the cursor must not pass it.
    let broken = fixture!("messages-page");
    let second = at(&broken, &["messages", "1"]);
    Reflect::set(&second, &"from".into(), &"robot".into()).expect("set");
    assert!(wire::page(&broken).is_none());
    assert_eq!(
        wire::page(&fixture!("messages-page")).and_then(|page| page.conversation),
        Some(Info { id: 7, open: true, ended_by: None, agent_name: None, rating: None })
    );

    let posted = wire::posted(&fixture!("posted")).expect("post answer decodes");
    assert_eq!(posted, (sent(43, Sender::Visitor, "Thanks!", Some("c-43"), None, "2026-05-21T07:53:43.123Z"), 7));
    assert!(wire::posted(&fixture!("conversation-none")).is_none());
}

fn rating(scale: RatingScale, score: u8, comment: Option<&str>) -> Rating {
    Rating {
        conversation_id: 7,
        scale,
        score,
        comment: comment.map(String::from),
        created_at: "2026-05-21T07:55:00.000Z".into(),
        updated_at: "2026-05-21T07:56:00.000Z".into(),
    }
}

#[wasm_bindgen_test]
fn an_ended_conversation_and_its_life_cycle_messages_decode() {
    let page = wire::page(&fixture!("messages-page-ended")).expect("page decodes");
    let ended = Info {
        id: 7,
        open: false,
        ended_by: Some(Sender::Agent),
        agent_name: Some("Ada".into()),
        rating: Some(rating(RatingScale::Csat, 4, Some("Quick and kind"))),
    };
    assert_eq!(page.conversation.as_ref(), Some(&ended));
    let events: Vec<_> =
        page.messages.iter().map(|(entry, _)| (entry.from, entry.event, entry.agent_name.as_deref())).collect();
    assert_eq!(
        events,
        vec![
            (Sender::System, Some(ConversationEvent::Joined), Some("Ada")),
            (Sender::System, Some(ConversationEvent::EndedByAgent), Some("Ada")),
            (Sender::System, Some(ConversationEvent::EndedByVisitor), None),
            (Sender::System, Some(ConversationEvent::EndedBySystem), None),
        ]
    );
    // An event this widget does not know leaves the message as plain text.
    let newer = fixture!("messages-page-ended");
    Reflect::set(&at(&newer, &["messages", "0"]), &"event".into(), &"transferred".into()).expect("set");
    let page = wire::page(&newer).expect("still decodes");
    assert_eq!((page.messages[0].0.event, page.messages[0].0.text.as_str()), (None, "Ada joined the conversation."));

    let Frame::Conversation(info) = frame(fixture!("frame-conversation-closed")) else { panic!("conversation") };
    assert_eq!(info, ended);
}

#[wasm_bindgen_test]
fn ratings_decode_and_are_requested_as_the_server_reads_them() {
    assert_eq!(wire::rated(&fixture!("rating")), Some(rating(RatingScale::Nps, 9, None)));
    assert_eq!(wire::rated(&fixture!("conversation-none")), None);
    assert_eq!(
        canonical(&wire::rating_body(RatingScale::Csat, 5, "Quick and kind")),
        canonical(&fixture!("request-rating"))
    );
    // A blank comment is none.
    assert_eq!(
        canonical(&wire::rating_body(RatingScale::Nps, 0, " \n ")),
        canonical(&fixture!("request-rating-no-comment"))
    );
    for (json, status, code) in [
        (fixture!("error-rating_locked"), 409, "rating_locked"),
        (fixture!("error-conversation_open"), 409, "conversation_open"),
    ] {
        let failure = wire::failure(status, &json, None);
        assert_eq!(failure.code(), code);
        assert_eq!(failure.describe(), at(&json, &["error", "message"]).as_string().expect("a message"));
    }
}

#[wasm_bindgen_test]
fn conversation_answers_decode() {
    assert_eq!(wire::current(&fixture!("conversation-current")), Some(Some(7)));
    assert_eq!(wire::current(&fixture!("conversation-none")), Some(None));
    assert_eq!(wire::current(&fixture!("frame-presence")), None);
}

#[wasm_bindgen_test]
fn error_bodies_decode_with_their_exact_codes() {
    for (json, code, refusal) in [
        (fixture!("error-identity_rejected"), "identity_rejected", Refusal::Identity),
        (fixture!("error-identity_unverified"), "identity_unverified", Refusal::Identity),
        (fixture!("error-unknown_app_key"), "unknown_app_key", Refusal::UnknownAppKey),
    ] {
        let failure = wire::failure(403, &json, None);
        assert_eq!(wire::refusal(&failure), refusal);
        let Failure::Http { status, code: got, message, retry_after_ms } = failure else { panic!("an HTTP failure") };
        assert_eq!(status, 403);
        assert_eq!(got.as_deref(), Some(code));
        assert_eq!(message, at(&json, &["error", "message"]).as_string());
        assert!(message.is_some_and(|m| !m.is_empty()));
        assert_eq!(retry_after_ms, None);
    }
    // Codes are matched whole: a newer code sharing a prefix is no identity refusal.
    let newer = JSON::parse(r#"{"error":{"code":"identity_provider_down","message":"later"}}"#).expect("json");
    assert_eq!(wire::refusal(&wire::failure(503, &newer, None)), Refusal::Other);
    assert_eq!(wire::refusal(&Failure::Network), Refusal::Other);
    let limited = wire::failure(429, &fixture!("error-rate_limited"), None);
    assert!(matches!(limited, Failure::Http { retry_after_ms: Some(ms), .. } if ms == 12_000.0), "{limited:?}");
    assert_eq!(limited.code(), "rate_limited");
    // The header, when readable, wins over the body's copy.
    let limited = wire::failure(429, &fixture!("error-rate_limited"), Some(3));
    assert!(matches!(limited, Failure::Http { retry_after_ms: Some(ms), .. } if ms == 3_000.0), "{limited:?}");
}

fn frame(json: JsValue) -> Frame {
    wire::frame(&json).expect("frame decodes")
}

#[wasm_bindgen_test]
fn server_frames_decode() {
    let Frame::Hello { conversation_id, availability, ping_interval_ms } = frame(fixture!("frame-hello")) else {
        panic!("hello")
    };
    let online = Availability { state: AvailabilityState::Online, next_open_at: None };
    assert_eq!((conversation_id, availability, ping_interval_ms), (Some(7), online, Some(20_000.0)));
    // Without `availability`, `agentsOnline` says online or away.
    let Frame::Hello { conversation_id, availability, ping_interval_ms } =
        frame(fixture!("frame-hello-no-conversation"))
    else {
        panic!("hello")
    };
    assert_eq!(
        (conversation_id, availability.state, ping_interval_ms),
        (None, AvailabilityState::Away, Some(25_000.0))
    );

    let Frame::Availability(availability) = frame(fixture!("frame-availability")) else { panic!("availability") };
    assert_eq!(
        availability,
        Availability { state: AvailabilityState::Offline, next_open_at: Some("2026-05-22T01:00:00.000Z".into()) }
    );
    let Frame::Availability(availability) = frame(fixture!("frame-availability-away")) else { panic!("availability") };
    assert_eq!(availability, Availability { state: AvailabilityState::Away, next_open_at: None });

    let Frame::Message(entry, conversation_id) = frame(fixture!("frame-message")) else { panic!("message") };
    assert_eq!(entry, sent(44, Sender::Agent, "Shipped today", None, Some("Ada"), "2026-05-21T07:53:44.123Z"));
    assert_eq!(conversation_id, 7);

    let Frame::Typing { active, agent_name } = frame(fixture!("frame-typing")) else { panic!("typing") };
    assert!(active);
    assert_eq!(agent_name.as_deref(), Some("Ada"));
    let Frame::Typing { active, agent_name } = frame(fixture!("frame-typing-stopped")) else { panic!("typing") };
    assert!(!active);
    assert_eq!(agent_name, None);

    assert!(matches!(frame(fixture!("frame-presence")), Frame::Presence { agents_online: true }));
    assert!(matches!(frame(fixture!("frame-conversation")), Frame::Conversation(Info { id: 7, open: true, .. })));
    assert!(matches!(
        frame(fixture!("frame-conversation-closed")),
        Frame::Conversation(Info { id: 7, open: false, .. })
    ));
    assert!(matches!(frame(fixture!("frame-resync")), Frame::Resync));
    for alive in [fixture!("frame-pong"), fixture!("frame-auth-ok"), fixture!("frame-read")] {
        assert!(matches!(frame(alive), Frame::Alive));
    }
    let error = fixture!("frame-error");
    let Frame::Error { message } = frame(error.clone()) else { panic!("error") };
    assert_eq!(Some(message), at(&error, &["error", "message"]).as_string());

    // The answers to a message sent on the socket, named by its client id.
    let Frame::Answered { client_id, answer } = frame(fixture!("frame-ack")) else { panic!("ack") };
    assert_eq!(client_id, "c-43");
    let (entry, conversation_id) = answer.expect("stored");
    assert_eq!(entry, sent(43, Sender::Visitor, "Thanks!", Some("c-43"), None, "2026-05-21T07:53:43.123Z"));
    assert_eq!(conversation_id, 7);
    let Frame::Answered { client_id, answer } = frame(fixture!("frame-error-message")) else { panic!("refused") };
    assert_eq!(client_id, "c-43");
    let Err(Failure::Http { status: 429, code: Some(code), retry_after_ms: Some(ms), .. }) = answer else {
        panic!("{answer:?}")
    };
    assert_eq!((code.as_str(), ms), ("rate_limited", 12_000.0));
}

#[wasm_bindgen_test]
fn unknown_and_broken_frames_are_told_apart() {
    let parse = |text: &str| JSON::parse(text).expect("json");
    assert!(matches!(frame(parse(r#"{"type":"shiny","x":1}"#)), Frame::Unknown(kind) if kind == "shiny"));
    // A known type with unreadable fields, or no type at all.
    assert!(wire::frame(&parse(r#"{"type":"message","message":{"id":1}}"#)).is_none());
    assert!(wire::frame(&parse(r#"{"type":"typing"}"#)).is_none());
    assert!(wire::frame(&parse(r#"{"message":{}}"#)).is_none());
    assert!(wire::frame(&parse(r#"{"type":"availability","state":"sleepy"}"#)).is_none());
    // A ping interval out of range keeps the widget's own.
    let Frame::Hello { ping_interval_ms, .. } =
        frame(parse(r#"{"type":"hello","agentsOnline":true,"pingIntervalSecs":0}"#))
    else {
        panic!("hello")
    };
    assert_eq!(ping_interval_ms, None);
}

#[wasm_bindgen_test]
fn request_bodies_are_what_the_server_reads() {
    let profile = Profile {
        nickname: Some("Lin".into()),
        avatar: Some("https://example.com/lin.png".into()),
        email: Some("lin@example.com".into()),
        phone: Some("+86 10 1234 5678".into()),
        extra: Some(r#"{"plan":"pro","seats":3}"#.into()),
    };
    let body = HandshakeBody {
        app_key: "pk_demo",
        external_user_id: &Some("user-17".into()),
        user_hash: &Some("a3f1".into()),
        identity_token: &Some("eyJhbGciOiJIUzI1NiJ9.e30.sig".into()),
        link: &Some(r#"{"u":"user-17","nick":"Lin","t":1779349000,"s":"5e1d"}"#.into()),
        visitor_id: "v_5b0e7a36-2f0e-4b43-9d0a-6f1d2c3b4a59".into(),
        fingerprint: &Some("fp_9f2c".into()),
        profile: &profile,
        locale: "zh-CN",
        timezone: Some("Asia/Shanghai".into()),
        page: PageInfo {
            url: Some("https://shop.example.com/cart".into()),
            referrer: Some("https://example.com/".into()),
            title: Some("Cart".into()),
        },
    };
    assert_eq!(canonical(&body.encode()), canonical(&fixture!("request-handshake")));
    assert_eq!(canonical(&wire::post_body("c-43", "Thanks!")), canonical(&fixture!("request-post")));
    assert_eq!(canonical(&wire::typing_frame(7, true)), canonical(&fixture!("client-frame-typing")));
    assert_eq!(canonical(&wire::ping_frame()), canonical(&fixture!("client-frame-ping")));
    assert_eq!(canonical(&wire::message_frame("c-43", "Thanks!")), canonical(&fixture!("client-frame-message")));
    assert_eq!(canonical(&wire::auth_frame("eyJ0eXAi.renewed.token")), canonical(&fixture!("client-frame-auth")));
}

#[wasm_bindgen_test]
fn a_time_zone_over_the_limit_is_left_out() {
    let profile = Profile::default();
    let body = |timezone: &str| {
        HandshakeBody {
            app_key: "pk_demo",
            external_user_id: &None,
            user_hash: &None,
            identity_token: &None,
            link: &None,
            visitor_id: "v_1".into(),
            fingerprint: &None,
            profile: &profile,
            locale: "en-US",
            timezone: Some(timezone.into()),
            page: PageInfo::default(),
        }
        .encode()
    };
    assert_eq!(at(&body("Europe/Paris"), &["timezone"]).as_string().as_deref(), Some("Europe/Paris"));
    assert!(at(&body(&"x".repeat(65)), &["timezone"]).is_undefined());
}

#[wasm_bindgen_test]
fn paths_carry_the_ids_and_a_full_page() {
    assert_eq!(wire::messages_path(7, 42), "/conversations/7/messages?since=42&limit=200");
    assert_eq!(wire::conversation_path(7, LEAVE_PATH_END), "/conversations/7/leave");
    assert_eq!(wire::conversation_path(7, RATING_PATH_END), "/conversations/7/rating");
}
