//! Conversation fields against the real binary: set before a conversation
//! (kept for the next one) and during it, merged, `null` removes a key, the
//! limits answer 400 naming the field, only the visitor's own conversation
//! is touched, and agents read them on the conversation.

mod common;

use common::*;
use serde_json::{json, Value};

const FIELDS: &str = "/api/v1/cs/conversations/current/fields";

fn demo() -> (TempDir, Server) {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    (dir, server)
}

fn set(server: &Server, token: &str, fields: Value) -> Response {
    server.visitor("PATCH", FIELDS, Some(token), Some(json!({ "fields": fields })))
}

fn agent_fields(server: &Server, conversation: i64) -> Value {
    let r = server.agent("GET", &format!("/api/v1/agent/conversations/{conversation}"), None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["fields"].clone()
}

#[test]
fn fields_wait_for_the_next_conversation_then_merge_into_it() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_fields_1");
    let r = set(&server, &token, json!({ "plan": "pro", "seats": 5 }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({ "fields": { "plan": "pro", "seats": 5 }, "conversationId": null }));

    let sent = server.send(&token, "m1", "hello");
    assert_eq!(sent.status, 201, "{}", sent.body);
    let id = sent.json()["conversation"]["id"].as_i64().unwrap();
    assert_eq!(agent_fields(&server, id), json!({ "plan": "pro", "seats": 5 }));

    let r = set(&server, &token, json!({ "seats": null, "trial": false, "order": "A-17" }));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["conversationId"], json!(id));
    let want = json!({ "plan": "pro", "trial": false, "order": "A-17" });
    assert_eq!(agent_fields(&server, id), want);
    // The list shows them too.
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    assert_eq!(list["conversations"][0]["fields"], want);

    // Once it has ended, new fields wait for the next conversation.
    let r = server.visitor("POST", &format!("/api/v1/cs/conversations/{id}/leave"), Some(&token), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(set(&server, &token, json!({ "next": true })).json()["conversationId"], Value::Null);
    assert_eq!(agent_fields(&server, id), want);
    let next = server.send(&token, "m2", "again").json()["conversation"]["id"].as_i64().unwrap();
    assert_eq!(agent_fields(&server, next), json!({ "next": true }));
}

#[test]
fn fields_of_one_visitor_never_reach_another_conversation() {
    let (_dir, server) = demo();
    let (alice, _) = server.handshake("v_fields_alice");
    let (bob, _) = server.handshake("v_fields_bob");
    let alice_conv = server.send(&alice, "a1", "hi").json()["conversation"]["id"].as_i64().unwrap();
    let bob_conv = server.send(&bob, "b1", "hi").json()["conversation"]["id"].as_i64().unwrap();
    assert_eq!(set(&server, &bob, json!({ "who": "bob" })).json()["conversationId"], json!(bob_conv));
    assert_eq!(agent_fields(&server, alice_conv), json!({}));
    assert_eq!(agent_fields(&server, bob_conv), json!({ "who": "bob" }));
    // No token, no fields.
    let r = server.visitor("PATCH", FIELDS, None, Some(json!({ "fields": { "who": "eve" } })));
    assert_eq!((r.status, r.code()), (401, "token_missing".into()), "{}", r.body);
}

#[test]
fn bad_fields_are_400_naming_the_field_and_store_nothing() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_fields_bad");
    let id = server.send(&token, "m1", "hello").json()["conversation"]["id"].as_i64().unwrap();
    let long_key = "k".repeat(65);
    let cases = [
        (json!({ "fields": [1] }), "fields must be an object"),
        (json!({ "fields": { "nested": { "a": 1 } } }), "fields.nested must be a string, number, boolean or null"),
        (json!({ "fields": { "list": [1, 2] } }), "fields.list must be"),
        (json!({ "fields": { "": 1 } }), "must be 1 to 64 printable characters"),
        (json!({ "fields": { long_key.clone(): 1 } }), "must be 1 to 64 printable characters"),
        (json!({ "fields": { "tab\there": 1 } }), "must be 1 to 64 printable characters"),
        (json!({ "fields": { "big": "x".repeat(8 * 1024) } }), "fields would be larger than 8192 bytes"),
        (json!({ "fieldz": {} }), "unknown field `fieldz`"),
    ];
    for (body, says) in cases {
        let r = server.visitor("PATCH", FIELDS, Some(&token), Some(body.clone()));
        assert_eq!((r.status, r.code()), (400, "bad_request".into()), "{body}: {}", r.body);
        let message = r.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(says), "{body}: {message}");
    }
    // Exactly 64 printable characters (any script) is a key.
    let key = "é".repeat(64);
    assert_eq!(set(&server, &token, json!({ key.clone(): 1 })).status, 200);
    // The size is the merged result's: adding to a full set is refused.
    let filler = "x".repeat(8 * 1024 - 200);
    assert_eq!(set(&server, &token, json!({ "a": filler })).status, 200);
    let r = set(&server, &token, json!({ "b": "y".repeat(300) }));
    assert_eq!(r.status, 400, "{}", r.body);
    let fields = agent_fields(&server, id);
    assert_eq!((fields.get("b"), fields[&key].clone()), (None, json!(1)));
}

#[test]
fn setting_fields_is_rate_limited_per_visitor() {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    std::fs::write(
        &cfg,
        format!(
            "[limits]\nmessages_per_minute = 3\n[[sites]]\napp_key = \"sk_demo\"\nallowed_origins = [\"{ORIGIN}\"]\n"
        ),
    )
    .unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    let (token, _) = server.handshake("v_fields_rate");
    let statuses: Vec<u16> = (0..4).map(|i| set(&server, &token, json!({ "n": i })).status).collect();
    assert_eq!(statuses, [200, 200, 200, 429]);
}
