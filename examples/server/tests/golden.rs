//! Golden wire fixtures: every body and frame of the visitor protocol,
//! written by the server's own serde types into `tests/fixtures/wire/`.
//! The widget's wasm test (`tests/wire.rs`) decodes each answer and server
//! frame through the widget's wire module and encodes each request body and
//! client frame to compare with these, so neither side can rename a field
//! alone.
//!
//! A difference fails with a diff; `NATTER_BLESS=1 cargo test -p
//! natter-server --test golden` rewrites the files (review them, and run the
//! wasm test).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use natter::protocol::*;
use natter_server::error::{ApiError, Locale};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/wire"))
}

fn message(id: i64, from: Sender, text: &str) -> Message {
    Message {
        id,
        client_msg_id: (from == Sender::Visitor).then(|| format!("c-{id}")),
        conversation_id: 7,
        from,
        text: text.into(),
        agent_name: (from == Sender::Agent).then(|| "Ada".into()),
        created_at: format!("2026-05-21T07:53:{:02}.123Z", id % 60),
        event: None,
        form: None,
    }
}

fn local(en: &str, zh: &str) -> LocalText {
    [("en-US".to_string(), en.to_string()), ("zh-CN".to_string(), zh.to_string())].into()
}

fn field(name: &str, kind: FieldType, label: LocalText, required: bool) -> FormField {
    FormField { name: name.into(), kind, label, help: None, required, max_length: None, options: vec![] }
}

/// Every field type once, and each optional part of a form.
fn forms() -> Forms {
    let pre_chat = Form {
        title: Some(local("Before we start", "开始之前")),
        intro: Some(local("Tell us who you are.", "请告诉我们您是谁。")),
        submit_label: Some(local("Start chat", "开始聊天")),
        fields: vec![
            field("name", FieldType::Text, local("Name", "姓名"), true),
            FormField {
                help: Some(local("We reply here and by email.", "我们会在此处和邮件中回复。")),
                max_length: Some(254),
                ..field("email", FieldType::Email, local("Email", "邮箱"), true)
            },
            field("phone", FieldType::Phone, local("Phone", "电话"), false),
            field("consent", FieldType::Checkbox, local("I accept the privacy policy", "我接受隐私政策"), true),
        ],
    };
    let refund = Form {
        title: Some(local("Ask for a refund", "申请退款")),
        fields: vec![
            field("order", FieldType::Text, local("Order number", "订单号"), true),
            FormField {
                options: vec![
                    FormOption { value: "damaged".into(), label: local("Arrived damaged", "到货损坏") },
                    FormOption { value: "late".into(), label: local("Arrived late", "到货延迟") },
                ],
                ..field("reason", FieldType::Select, local("Reason", "原因"), true)
            },
            FormField {
                max_length: Some(2000),
                ..field("details", FieldType::Textarea, local("Details", "详情"), false)
            },
        ],
        ..Form::default()
    };
    Forms { pre_chat: Some(pre_chat), offline: None, tickets: [("refund".to_string(), refund)].into() }
}

fn refund_values() -> std::collections::BTreeMap<String, FieldValue> {
    [
        ("order".to_string(), FieldValue::Text("A-1043".into())),
        ("reason".to_string(), FieldValue::Text("damaged".into())),
        ("details".to_string(), FieldValue::Text("The lid is cracked.".into())),
    ]
    .into()
}

/// The visitor's refund form as stored: labels as the visitor saw them.
fn form_message(id: i64) -> Message {
    let field = |name: &str, label: &str, value: &str| SubmittedField {
        name: name.into(),
        label: label.into(),
        value: FieldValue::Text(value.into()),
    };
    Message {
        form: Some(SubmittedForm {
            name: "refund".into(),
            title: Some("Ask for a refund".into()),
            fields: vec![
                field("order", "Order number", "A-1043"),
                field("reason", "Reason", "damaged"),
                field("details", "Details", "The lid is cracked."),
            ],
        }),
        ..message(
            id,
            Sender::Visitor,
            "Ask for a refund\nOrder number: A-1043\nReason: damaged\nDetails: The lid is cracked.",
        )
    }
}

/// A `system` message recording a step of the conversation's life.
fn event(id: i64, event: ConversationEvent, agent: Option<&str>, text: &str) -> Message {
    Message { event: Some(event), agent_name: agent.map(Into::into), ..message(id, Sender::System, text) }
}

fn rating(scale: RatingScale, score: u8, comment: Option<&str>) -> Rating {
    Rating {
        conversation_id: 7,
        scale,
        score,
        comment: comment.map(Into::into),
        created_at: "2026-05-21T07:55:00.000Z".into(),
        updated_at: "2026-05-21T07:56:00.000Z".into(),
    }
}

fn conversation(status: ConversationStatus) -> Conversation {
    Conversation {
        id: 7,
        status,
        created_at: "2026-05-21T07:50:00.000Z".into(),
        updated_at: "2026-05-21T07:53:20.123Z".into(),
        last_message_id: Some(42),
        ended_by: None,
        agent_name: None,
        rating: None,
    }
}

/// Ended by the agent who had joined it, then rated.
fn ended_conversation() -> Conversation {
    Conversation {
        ended_by: Some(Sender::Agent),
        agent_name: Some("Ada".into()),
        rating: Some(rating(RatingScale::Csat, 4, Some("Quick and kind"))),
        ..conversation(ConversationStatus::Closed)
    }
}

fn offline() -> Availability {
    Availability { state: AvailabilityState::Offline, next_open_at: Some("2026-05-22T01:00:00.000Z".into()) }
}

fn remote_config() -> RemoteConfig {
    RemoteConfig {
        available: true,
        site_name: Some("Acme Support".into()),
        locale: Some("zh-CN".into()),
        greeting: Some("Hello! How can we help?".into()),
        offline_message: Some("We are away; leave a message.".into()),
        online: false,
        availability: offline(),
        rating: Some(RatingScale::Nps),
        forms: forms(),
        appearance: Appearance {
            theme: Some("dark".into()),
            primary_color: Some("#0f766e".into()),
            header_title: Some("Talk to us".into()),
            launcher: Some("whenConversation".into()),
            keep_open: Some(false),
            sound: Some(false),
            title_flash: Some(true),
            preview: Some(false),
            ..Appearance::default()
        },
        limits: ClientLimits::default(),
    }
}

fn handshake(conversation_id: Option<i64>) -> HandshakeResponse {
    HandshakeResponse {
        available: true,
        token: Some("eyJ0eXAi.visitor.token".into()),
        expires_at: Some("2026-05-21T08:23:20.000Z".into()),
        expires_in: Some(1200),
        cs_visitor_id: Some("cv_0123abcd".into()),
        conversation_id,
        identity_changed: None,
        config: remote_config(),
    }
}

fn error(err: ApiError) -> ErrorEnvelope {
    ErrorEnvelope { error: err.body(Locale::EnUs) }
}

/// A fixture: its file name and the JSON serde writes for it.
struct Fixture {
    name: String,
    json: Value,
}

fn fixture(name: &str, value: &impl Serialize) -> Fixture {
    Fixture { name: format!("{name}.json"), json: serde_json::to_value(value).expect("serializable") }
}

/// A request body or client frame: the server must read back what it wrote.
fn request<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(name: &str, value: &T) -> Fixture {
    let fixture = fixture(name, value);
    let read: T = serde_json::from_value(fixture.json.clone()).expect("the server reads its own fixture");
    assert_eq!(&read, value, "{name} does not read back");
    fixture
}

fn fixtures() -> Vec<Fixture> {
    let mut all = vec![
        // Answers.
        fixture("handshake", &handshake(Some(7))),
        fixture("handshake-no-conversation", &handshake(None)),
        fixture(
            "handshake-unavailable",
            &HandshakeResponse::unavailable(RemoteConfig { available: false, ..RemoteConfig::default() }),
        ),
        fixture("config", &remote_config()),
        fixture(
            "messages-page",
            &MessagePage {
                messages: vec![
                    message(40, Sender::Visitor, "Hi, my order is late"),
                    message(41, Sender::Agent, "Let me check \u{1f50d}"),
                    message(42, Sender::System, "Ada joined"),
                ],
                has_more: true,
                next_since: 42,
                conversation: Some(conversation(ConversationStatus::Open)),
            },
        ),
        fixture(
            "messages-page-ended",
            &MessagePage {
                messages: vec![
                    event(45, ConversationEvent::Joined, Some("Ada"), "Ada joined the conversation."),
                    event(46, ConversationEvent::EndedByAgent, Some("Ada"), "Ada ended the conversation."),
                    event(47, ConversationEvent::EndedByVisitor, None, "The visitor ended the conversation."),
                    event(48, ConversationEvent::EndedBySystem, None, "The conversation was closed."),
                ],
                has_more: false,
                next_since: 48,
                conversation: Some(ended_conversation()),
            },
        ),
        fixture(
            "posted-form",
            &SendMessageResponse {
                message: form_message(49),
                conversation: conversation(ConversationStatus::Open),
                duplicate: false,
            },
        ),
        fixture("rating", &RatingResponse { rating: rating(RatingScale::Nps, 9, None) }),
        fixture(
            "posted",
            &SendMessageResponse {
                message: message(43, Sender::Visitor, "Thanks!"),
                conversation: conversation(ConversationStatus::Open),
                duplicate: false,
            },
        ),
        fixture(
            "conversation-current",
            &ConversationResponse { conversation: Some(conversation(ConversationStatus::Open)) },
        ),
        fixture("conversation-none", &ConversationResponse { conversation: None }),
        // Server frames.
        fixture(
            "frame-hello",
            &ServerFrame::Hello {
                cs_visitor_id: Some("cv_0123abcd".into()),
                conversation_id: Some(7),
                last_message_id: 42,
                agents_online: true,
                expires_at: Some("2026-05-21T08:23:20.000Z".into()),
                ping_interval_secs: 20,
                availability: Some(Availability { state: AvailabilityState::Online, next_open_at: None }),
            },
        ),
        fixture(
            "frame-hello-no-conversation",
            &ServerFrame::Hello {
                cs_visitor_id: Some("cv_0123abcd".into()),
                conversation_id: None,
                last_message_id: 0,
                agents_online: false,
                expires_at: Some("2026-05-21T08:23:20.000Z".into()),
                ping_interval_secs: PING_INTERVAL_SECS,
                availability: None,
            },
        ),
        fixture("frame-message", &ServerFrame::Message { message: message(44, Sender::Agent, "Shipped today") }),
        fixture(
            "frame-typing",
            &ServerFrame::Typing {
                conversation_id: 7,
                from: Sender::Agent,
                agent_name: Some("Ada".into()),
                active: true,
            },
        ),
        fixture(
            "frame-typing-stopped",
            &ServerFrame::Typing { conversation_id: 7, from: Sender::Agent, agent_name: None, active: false },
        ),
        fixture("frame-presence", &ServerFrame::Presence { agents_online: true }),
        fixture("frame-availability", &ServerFrame::Availability(offline())),
        fixture(
            "frame-availability-away",
            &ServerFrame::Availability(Availability { state: AvailabilityState::Away, next_open_at: None }),
        ),
        fixture("frame-read", &ServerFrame::Read { conversation_id: 7, up_to: 43, by: Sender::Agent }),
        fixture(
            "frame-conversation",
            &ServerFrame::Conversation { conversation: conversation(ConversationStatus::Open), visitor: None },
        ),
        fixture(
            "frame-conversation-closed",
            &ServerFrame::Conversation { conversation: ended_conversation(), visitor: None },
        ),
        fixture("frame-pong", &ServerFrame::Pong),
        fixture("frame-auth-ok", &ServerFrame::AuthOk { expires_at: "2026-05-21T08:53:20.000Z".into() }),
        fixture("frame-resync", &ServerFrame::Resync),
        fixture(
            "frame-error",
            &ServerFrame::Error {
                client_msg_id: None,
                status: None,
                error: ApiError::new(ErrorCode::UnknownFrame).body(Locale::EnUs),
            },
        ),
        fixture(
            "frame-ack",
            &ServerFrame::Ack {
                client_msg_id: Some("c-43".into()),
                message: message(43, Sender::Visitor, "Thanks!"),
                conversation: conversation(ConversationStatus::Open),
                duplicate: false,
            },
        ),
        fixture(
            "frame-error-message",
            &ServerFrame::Error {
                client_msg_id: Some("c-43".into()),
                status: Some(429),
                error: ApiError::rate_limited(12).body(Locale::EnUs),
            },
        ),
        // Request bodies and client frames.
        request(
            "request-handshake",
            &HandshakeRequest {
                app_key: "pk_demo".into(),
                external_user_id: Some("user-17".into()),
                fingerprint: Some("fp_9f2c".into()),
                visitor_id: Some("v_5b0e7a36-2f0e-4b43-9d0a-6f1d2c3b4a59".into()),
                user_hash: Some("a3f1".into()),
                identity_token: Some("eyJhbGciOiJIUzI1NiJ9.e30.sig".into()),
                profile: Profile {
                    nickname: Some("Lin".into()),
                    avatar: Some("https://example.com/lin.png".into()),
                    email: Some("lin@example.com".into()),
                    phone: Some("+86 10 1234 5678".into()),
                    extra: Some(JsonValue::Object(vec![
                        ("plan".into(), JsonValue::String("pro".into())),
                        ("seats".into(), JsonValue::Number(3.0)),
                    ])),
                },
                locale: Some("zh-CN".into()),
                timezone: Some("Asia/Shanghai".into()),
                page: Some(PageInfo {
                    url: Some("https://shop.example.com/cart".into()),
                    referrer: Some("https://example.com/".into()),
                    title: Some("Cart".into()),
                }),
                link: Some(LinkEntry {
                    u: Some("user-17".into()),
                    nick: Some("Lin".into()),
                    t: Some(1_779_349_000),
                    s: Some("5e1d".into()),
                }),
            },
        ),
        request(
            "request-post",
            &SendMessageRequest { client_msg_id: Some("c-43".into()), text: "Thanks!".into(), form: None },
        ),
        request(
            "request-post-form",
            &SendMessageRequest {
                client_msg_id: Some("c-49".into()),
                text: String::new(),
                form: Some(FormSubmission { name: "refund".into(), values: refund_values() }),
            },
        ),
        request(
            "request-post-form-checkbox",
            &SendMessageRequest {
                client_msg_id: Some("c-50".into()),
                text: String::new(),
                form: Some(FormSubmission {
                    name: PRE_CHAT_FORM.into(),
                    values: [
                        ("name".to_string(), FieldValue::Text("Lin".into())),
                        ("consent".to_string(), FieldValue::Checked(true)),
                    ]
                    .into(),
                }),
            },
        ),
        request(
            "request-rating",
            &RatingRequest { scale: RatingScale::Csat, score: 5, comment: Some("Quick and kind".into()) },
        ),
        request("request-rating-no-comment", &RatingRequest { scale: RatingScale::Nps, score: 0, comment: None }),
        request("client-frame-typing", &ClientFrame::Typing { conversation_id: Some(7), active: true }),
        request("client-frame-ping", &ClientFrame::Ping),
        request(
            "client-frame-message",
            &ClientFrame::Message {
                client_msg_id: Some("c-43".into()),
                text: "Thanks!".into(),
                conversation_id: None,
                form: None,
            },
        ),
        request(
            "client-frame-message-form",
            &ClientFrame::Message {
                client_msg_id: Some("c-49".into()),
                text: String::new(),
                conversation_id: None,
                form: Some(FormSubmission { name: "refund".into(), values: refund_values() }),
            },
        ),
        request("client-frame-auth", &ClientFrame::Auth { token: "eyJ0eXAi.renewed.token".into() }),
    ];
    // Error bodies, one for each code the widget tells apart, and the
    // retry hint of `rate_limited`.
    for code in [
        ErrorCode::IdentityRejected,
        ErrorCode::IdentityUnverified,
        ErrorCode::UnknownAppKey,
        ErrorCode::RatingLocked,
        ErrorCode::ConversationOpen,
        ErrorCode::UnknownForm,
        ErrorCode::FormRequired,
    ] {
        all.push(fixture(&format!("error-{}", code.as_str()), &error(ApiError::new(code))));
    }
    all.push(fixture("error-rate_limited", &error(ApiError::rate_limited(12))));
    let mut invalid = error(ApiError::new(ErrorCode::InvalidForm));
    invalid.error.fields =
        Some([("email".to_string(), FieldError::Email), ("order".to_string(), FieldError::Required)].into());
    all.push(fixture("error-invalid_form", &invalid));
    all
}

/// The lines of `expected` and `actual` that differ, numbered.
fn diff(expected: &str, actual: &str) -> String {
    let (expected, actual): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let mut out = String::new();
    for i in 0..expected.len().max(actual.len()) {
        let (e, a) = (expected.get(i), actual.get(i));
        if e != a {
            let _ = writeln!(
                out,
                "  line {}:\n    file:  {}\n    serde: {}",
                i + 1,
                e.unwrap_or(&"<none>"),
                a.unwrap_or(&"<none>")
            );
        }
    }
    out
}

#[test]
fn wire_fixtures_are_what_the_server_writes() {
    let bless = std::env::var_os("NATTER_BLESS").is_some_and(|v| v == "1");
    let dir = dir();
    let fixtures = fixtures();
    let mut problems = String::new();
    for Fixture { name, json } in &fixtures {
        let text = serde_json::to_string_pretty(json).expect("printable") + "\n";
        let path = dir.join(name);
        if bless {
            std::fs::create_dir_all(&dir).expect("fixture directory");
            std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(file) if file == text => {}
            Ok(file) => {
                let _ = write!(problems, "\n{name} differs from what serde writes:\n{}", diff(&file, &text));
            }
            Err(e) => {
                let _ = write!(problems, "\n{name}: {e}");
            }
        }
    }
    // A fixture no kind writes any more would be decoded by the widget's
    // test as if it were still current.
    let written: BTreeSet<&str> = fixtures.iter().map(|f| f.name.as_str()).collect();
    for entry in std::fs::read_dir(&dir).expect("fixture directory").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !written.contains(name.as_str()) {
            if bless {
                std::fs::remove_file(entry.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            } else {
                let _ = write!(problems, "\n{name}: no fixture of that name is written any more");
            }
        }
    }
    assert!(problems.is_empty(), "golden wire fixtures out of date:{problems}\n\nIf the change is intended, rewrite them with NATTER_BLESS=1 cargo test -p natter-server --test golden, then run the widget's wasm test (tests/wire.rs).");
}
