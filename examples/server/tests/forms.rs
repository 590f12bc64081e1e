//! Forms against the real binary (`docs/protocol.md` section 16): the
//! site's forms delivered in `/config` and the handshake, bad definitions
//! refused at start naming site, form and field, every field error with its
//! field, profile fields filled in with labels in the visitor's locale,
//! `form_required` and where it does not apply, exactly-once submissions,
//! the socket's `message` frame, and a conversation that an offline form
//! opens (a ticket). The `form.submitted` webhook is in `webhooks.rs`.

mod common;

use common::*;
use serde_json::{json, Value};

const SEND: &str = "/api/v1/cs/conversations";

/// `sk_demo` with a pre-chat form (name and email required), an offline
/// form and a ticket form `refund` with every field type.
const FORMS: &str = r#"
[sites.forms.preChat]
title = { en-US = "Before we start", zh-CN = "开始之前" }
[[sites.forms.preChat.fields]]
name = "name"
type = "text"
label = { en-US = "Name", zh-CN = "姓名" }
required = true
[[sites.forms.preChat.fields]]
name = "email"
type = "email"
label = { en-US = "Email", zh-CN = "邮箱" }
required = true

[sites.forms.offline]
title = { en-US = "Leave a message" }
[[sites.forms.offline.fields]]
name = "email"
type = "email"
label = { en-US = "Email" }
required = true
[[sites.forms.offline.fields]]
name = "message"
type = "textarea"
label = { en-US = "Message" }
required = true

[sites.forms.tickets.refund]
title = { en-US = "Refund" }
[[sites.forms.tickets.refund.fields]]
name = "order"
type = "text"
label = { en-US = "Order number" }
required = true
maxLength = 10
[[sites.forms.tickets.refund.fields]]
name = "reason"
type = "select"
label = { en-US = "Reason" }
required = true
options = [
  { value = "broken", label = { en-US = "It arrived broken" } },
  { value = "late", label = { en-US = "It came late" } },
]
[[sites.forms.tickets.refund.fields]]
name = "email"
type = "email"
label = { en-US = "Email" }
[[sites.forms.tickets.refund.fields]]
name = "phone"
type = "phone"
label = { en-US = "Phone" }
[[sites.forms.tickets.refund.fields]]
name = "agree"
type = "checkbox"
label = { en-US = "I kept the receipt" }
required = true
"#;

fn site(forms: &str) -> String {
    format!(
        "[limits]\nhandshake_per_minute = 1000\n\n[[sites]]\napp_key = \"sk_demo\"\nallowed_origins = [\"{ORIGIN}\"]\n\
         [[sites.agents]]\nname = \"Ada\"\ntoken = \"{AGENT_TOKEN}\"\n{forms}"
    )
}

fn start() -> (TempDir, Server) {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    std::fs::write(&cfg, site(FORMS)).unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    (dir, server)
}

/// A handshake with profile fields (`nickname`, `email`...) and a locale;
/// returns the token.
fn handshake_with(server: &Server, visitor_id: &str, profile: Value, locale: &str) -> String {
    let mut body = json!({ "appKey": "sk_demo", "visitorId": visitor_id, "locale": locale });
    body.as_object_mut().unwrap().extend(profile.as_object().unwrap().clone());
    let r = server.visitor("POST", "/api/v1/cs/handshake", None, Some(body));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_string()
}

fn submit(server: &Server, token: &str, client_msg_id: &str, name: &str, values: Value) -> Response {
    let body = json!({ "clientMsgId": client_msg_id, "form": { "name": name, "values": values } });
    server.visitor("POST", SEND, Some(token), Some(body))
}

fn refund() -> Value {
    json!({ "order": "A-17", "reason": "late", "agree": true })
}

fn no_conversation(server: &Server, token: &str) {
    let r = server.visitor("GET", "/api/v1/cs/conversations/current", Some(token), None);
    assert_eq!(r.json()["conversation"], Value::Null, "nothing stored");
}

#[test]
fn the_forms_come_in_the_config_and_the_handshake() {
    let (_dir, server) = start();
    let r = server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    let forms = r.json()["forms"].clone();
    assert_eq!(forms["preChat"]["title"], json!({ "en-US": "Before we start", "zh-CN": "开始之前" }));
    assert_eq!(
        forms["preChat"]["fields"][1],
        json!({
            "name": "email", "type": "email", "label": { "en-US": "Email", "zh-CN": "邮箱" }, "required": true
        })
    );
    assert_eq!(forms["offline"]["fields"][1]["type"], "textarea");
    let reason = &forms["tickets"]["refund"]["fields"][1];
    assert_eq!(reason["options"][1], json!({ "value": "late", "label": { "en-US": "It came late" } }));
    assert_eq!(forms["tickets"]["refund"]["fields"][0]["maxLength"], 10);
    let (_, handshake) = server.handshake("v_forms_config");
    assert_eq!(handshake["config"]["forms"], forms);
}

#[test]
fn bad_form_definitions_are_refused_at_start_naming_site_form_and_field() {
    let dir = TempDir::new();
    let field = |extra: &str| {
        format!(
            "[sites.forms.tickets.refund]\n[[sites.forms.tickets.refund.fields]]\nname = \"order\"\n\
             label = {{ en-US = \"Order\" }}\n{extra}\n"
        )
    };
    let cases = [
        (field("type = \"text\"\nmaxLength = 0"), "forms.tickets.refund: field order: maxLength: 1 to 4000"),
        (field("type = \"text\"\nmaxLength = 4001"), "forms.tickets.refund: field order: maxLength: 1 to 4000"),
        (field("type = \"checkbox\"\nmaxLength = 5"), "field order: maxLength: only text-like fields have one"),
        (field("type = \"select\""), "field order: options: a select has 1 to 50 options"),
        (
            field("type = \"text\"\noptions = [{ value = \"a\", label = { en-US = \"A\" } }]"),
            "field order: options: only a select has options",
        ),
        (
            field("type = \"select\"\noptions = [{ value = \"a\", label = { en-US = \"A\" } }, { value = \"a\", label = { en-US = \"B\" } }]"),
            "field order: options: value \"a\" given twice",
        ),
        (
            "[sites.forms.preChat]\n[[sites.forms.preChat.fields]]\nname = \"email\"\ntype = \"email\"\nlabel = { zh-CN = \"邮箱\" }\n"
                .into(),
            "forms.preChat: field email: label: needs an en-US text",
        ),
        (
            "[sites.forms.offline]\nfields = []\n".into(),
            "forms.offline: fields: 1 to 20 fields",
        ),
        (
            "[sites.forms.tickets.offline]\n[[sites.forms.tickets.offline.fields]]\nname = \"a\"\ntype = \"text\"\nlabel = { en-US = \"A\" }\n"
                .into(),
            "forms.tickets.offline: a ticket form's name",
        ),
        (field("type = \"text\"\n[[sites.forms.tickets.refund.fields]]\nname = \"order\"\ntype = \"text\"\nlabel = { en-US = \"Again\" }"), "field order: defined twice"),
        (field("type = \"date\""), "unknown variant `date`"),
        (field("type = \"text\"\nmaxlength = 5"), "unknown field `maxlength`"),
    ];
    for (forms, says) in cases {
        let cfg = dir.0.join("bad.toml");
        std::fs::write(&cfg, site(&forms)).unwrap();
        let (refused, stderr) = refused_config(&cfg);
        assert!(refused && stderr.contains(says), "{forms}\nwants {says:?}; got {stderr}");
        if !says.starts_with("unknown") {
            assert!(stderr.contains("site sk_demo: forms."), "{stderr}");
        }
    }
}

#[test]
fn each_refused_field_is_named_with_its_problem_and_nothing_is_stored() {
    let (_dir, server) = start();
    let profile = json!({ "nickname": "Al", "email": "al@example.com" });
    let token = handshake_with(&server, "v_forms_bad", profile, "en-US");
    let values = json!({
        "order": "12345678901", "reason": "bored", "email": "not mail", "phone": "12",
        "agree": "yes", "color": "red"
    });
    let r = submit(&server, &token, "f1", "refund", values);
    assert_eq!((r.status, r.code()), (400, "invalid_form".into()), "{}", r.body);
    let want = json!({
        "order": "tooLong", "reason": "option", "email": "email", "phone": "phone", "agree": "type", "color": "unknown"
    });
    assert_eq!(r.json()["error"]["fields"], want);
    let r = submit(&server, &token, "f1", "refund", json!({ "order": " ", "agree": false, "email": true }));
    assert_eq!(
        r.json()["error"]["fields"],
        json!({
            "order": "required", "reason": "required", "agree": "required", "email": "type"
        })
    );
    let r = submit(&server, &token, "f1", "wishes", json!({}));
    assert_eq!((r.status, r.code()), (400, "unknown_form".into()), "{}", r.body);
    no_conversation(&server, &token);
    // A refused form spends no message budget and the id stays free.
    let r = submit(&server, &token, "f1", "refund", refund());
    assert_eq!(r.status, 201, "{}", r.body);
}

#[test]
fn profile_fields_are_filled_in_and_labels_are_in_the_visitors_locale() {
    let (_dir, server) = start();
    let profile = json!({ "nickname": "Ada", "email": "ada@example.com" });
    let token = handshake_with(&server, "v_forms_zh", profile, "zh-CN");
    let r = submit(&server, &token, "p1", "preChat", json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    let message = r.json()["message"].clone();
    assert_eq!(
        message["form"],
        json!({
            "name": "preChat",
            "title": "开始之前",
            "fields": [
                { "name": "name", "label": "姓名", "value": "Ada" },
                { "name": "email", "label": "邮箱", "value": "ada@example.com" }
            ]
        })
    );
    assert_eq!(message["text"], "开始之前\n姓名: Ada\n邮箱: ada@example.com");
    assert_eq!(message["from"], "visitor");
    // A value given wins over the profile's; labels fall back to en-US.
    let token = handshake_with(&server, "v_forms_fr", json!({ "email": "old@example.com" }), "fr-FR");
    let r = submit(&server, &token, "p1", "preChat", json!({ "name": "Bo", "email": "bo@example.com" }));
    assert_eq!(r.json()["message"]["text"], "Before we start\nName: Bo\nEmail: bo@example.com");
    // A checkbox reads yes/no in the text; an empty optional field is left out.
    let r = submit(
        &server,
        &token,
        "t1",
        "refund",
        json!({ "order": "A-17", "reason": "late", "agree": true, "phone": "" }),
    );
    let m = r.json()["message"].clone();
    assert_eq!(m["text"], "Refund\nOrder number: A-17\nReason: late\nEmail: old@example.com\nI kept the receipt: yes");
    assert_eq!(m["form"]["fields"][3], json!({ "name": "agree", "label": "I kept the receipt", "value": true }));
    // History has the form too.
    let id = r.json()["conversation"]["id"].as_i64().unwrap();
    let page = server.visitor("GET", &format!("{SEND}/{id}/messages"), Some(&token), None).json();
    assert_eq!(page["messages"][1]["form"], m["form"]);
    let agent = server.agent("GET", &format!("/api/v1/agent/conversations/{id}/messages"), None).json();
    assert_eq!(agent["messages"][1]["form"], m["form"]);
}

#[test]
fn a_new_conversation_needs_the_pre_chat_form_unless_the_profile_fills_it() {
    let (_dir, server) = start();
    let (token, _) = server.handshake("v_forms_anon");
    let r = server.send(&token, "m1", "hello");
    assert_eq!((r.status, r.code()), (409, "form_required".into()), "{}", r.body);
    no_conversation(&server, &token);
    // A ticket form does not open it either.
    let r = submit(&server, &token, "t1", "refund", refund());
    assert_eq!((r.status, r.code()), (409, "form_required".into()), "{}", r.body);
    let r = submit(&server, &token, "p1", "preChat", json!({ "name": "Cy", "email": "cy@example.com" }));
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["conversation"]["id"].as_i64().unwrap();
    // Inside the conversation, messages and other forms go as usual.
    assert_eq!(server.send(&token, "m1", "hello").status, 201);
    assert_eq!(submit(&server, &token, "t1", "refund", refund()).status, 201);
    let reply =
        server.agent("POST", &format!("/api/v1/agent/conversations/{id}/messages"), Some(json!({ "text": "hi" })));
    assert_eq!(reply.status, 201, "agents' replies are unaffected: {}", reply.body);
    // The next conversation asks again.
    let r = server.visitor("POST", &format!("{SEND}/{id}/leave"), Some(&token), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(server.send(&token, "m2", "again").code(), "form_required");

    // A profile with both fields sends at once.
    let profile = json!({ "nickname": "Di", "email": "di@example.com" });
    let token = handshake_with(&server, "v_forms_known", profile, "en-US");
    assert_eq!(server.send(&token, "m1", "hello").status, 201);
    // Half a profile is not enough.
    let token = handshake_with(&server, "v_forms_half", json!({ "nickname": "Ed" }), "en-US");
    assert_eq!(server.send(&token, "m1", "hello").code(), "form_required");
}

#[test]
fn a_submission_is_stored_once_by_its_client_msg_id() {
    let (_dir, server) = start();
    let profile = json!({ "nickname": "Fay", "email": "fay@example.com" });
    let token = handshake_with(&server, "v_forms_once", profile, "en-US");
    let first = submit(&server, &token, "t1", "refund", refund());
    assert_eq!(first.status, 201, "{}", first.body);
    let again = submit(&server, &token, "t1", "refund", refund());
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json()["duplicate"], true);
    assert_eq!(again.json()["message"], first.json()["message"]);
    let other = submit(&server, &token, "t1", "refund", json!({ "order": "B-2", "reason": "late", "agree": true }));
    assert_eq!((other.status, other.code()), (409, "client_msg_id_conflict".into()), "{}", other.body);
    let text = server.send(&token, "t1", first.json()["message"]["text"].as_str().unwrap());
    assert_eq!(text.code(), "client_msg_id_conflict", "a text under a form's id: {}", text.body);
    let id = first.json()["conversation"]["id"].as_i64().unwrap();
    let page = server.visitor("GET", &format!("{SEND}/{id}/messages"), Some(&token), None).json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_socket_message_frame_takes_a_form_and_names_refused_fields() {
    let (_dir, server) = start();
    let profile = json!({ "nickname": "Gus", "email": "gus@example.com" });
    let token = handshake_with(&server, "v_forms_ws", profile, "en-US");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let bad =
        json!({ "type": "message", "clientMsgId": "w1", "form": { "name": "refund", "values": { "order": "" } } });
    send_frame(&mut ws, bad).await;
    let error = frame_of_type(&mut ws, "error").await;
    assert_eq!((error["clientMsgId"].clone(), error["status"].clone()), (json!("w1"), json!(400)), "{error}");
    assert_eq!(error["error"]["code"], "invalid_form");
    assert_eq!(error["error"]["fields"], json!({ "order": "required", "reason": "required", "agree": "required" }));
    let good = json!({ "type": "message", "clientMsgId": "w1", "form": { "name": "refund", "values": refund() } });
    send_frame(&mut ws, good).await;
    let ack = frame_of_type(&mut ws, "ack").await;
    assert_eq!(ack["message"]["form"]["name"], "refund", "{ack}");
    assert_eq!(ack["message"]["form"]["fields"][0]["value"], "A-17");
    // Without the profile, the first frame of a conversation must be a form.
    let (token, _) = server.handshake("v_forms_ws_anon");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    send_frame(&mut ws, json!({ "type": "message", "clientMsgId": "w1", "text": "hi" })).await;
    let error = frame_of_type(&mut ws, "error").await;
    assert_eq!((error["status"].clone(), error["error"]["code"].clone()), (json!(409), json!("form_required")));
}

#[test]
fn an_offline_form_opens_a_conversation_marked_as_a_ticket() {
    let (_dir, server) = start();
    let (token, _) = server.handshake("v_forms_offline");
    let values = json!({ "email": "hal@example.com", "message": "Call me back" });
    let r = submit(&server, &token, "o1", "offline", values);
    assert_eq!(r.status, 201, "the offline form opens a conversation without the pre-chat form: {}", r.body);
    let id = r.json()["conversation"]["id"].as_i64().unwrap();
    assert_eq!(server.send(&token, "m1", "and another thing").status, 201, "then it goes on as usual");
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let listed = &list["conversations"][0];
    assert_eq!((listed["conversation"]["id"].as_i64(), listed["startForm"].clone()), (Some(id), json!("offline")));
    let one = server.agent("GET", &format!("/api/v1/agent/conversations/{id}"), None).json();
    assert_eq!(one["startForm"], "offline");
    let first = server.agent("GET", &format!("/api/v1/agent/conversations/{id}/messages?limit=1"), None).json();
    assert_eq!(first["messages"][0]["form"]["name"], "offline");
    // A conversation opened by a message has no startForm.
    let profile = json!({ "nickname": "Ida", "email": "ida@example.com" });
    let token = handshake_with(&server, "v_forms_plain", profile, "en-US");
    let id = server.send(&token, "m1", "hi").json()["conversation"]["id"].as_i64().unwrap();
    let one = server.agent("GET", &format!("/api/v1/agent/conversations/{id}"), None).json();
    assert!(one.get("startForm").is_none(), "{one}");
}

#[test]
fn the_configuration_example_of_the_docs_is_accepted_with_its_forms() {
    let md = doc("protocol.md");
    let section = &md[md.find("## 14. Configuration file").expect("section 14")..];
    let dir = TempDir::new();
    let cfg = dir.0.join("example.toml");
    std::fs::write(&cfg, block(section, "toml")).unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    let r =
        server.request("GET", "/api/v1/cs/config?appKey=sk_live_shop", &[("Origin", "https://shop.example.com")], None);
    assert_eq!(r.status, 200, "{}", r.body);
    let forms = r.json()["forms"].clone();
    assert_eq!(forms["preChat"]["fields"][0]["name"], "email");
    assert_eq!(forms["tickets"]["refund"]["fields"][1]["options"][1]["value"], "late");
}
